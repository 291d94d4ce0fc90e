// analyze(): the canary decision from a deployment, its stages and its progress (pure).
#include <catch2/catch.hpp>

#include "sloguard/hooks/verification.h"

namespace sloguard::hooks {
namespace {

constexpr int64_t kT0 = 1767225600;

Deployment canary() {
  Deployment d;
  d.id = "d1";
  d.service = "checkout";
  d.version = "v2";
  d.started_at = kT0 - 30;  // verification starts at kT0 (rounded up to the minute)
  d.stages = {{5, 120000}, {50, 120000}, {100, 60000}};
  return d;
}

TEST_CASE("the stage follows the time since the verification start", "[hooks][analysis]") {
  config::VerificationConfig vc;
  const Deployment d = canary();
  CHECK(verification_start(d) == kT0);
  CHECK(verification_end(d, vc) == kT0 + 300);  // the stages' sum, not the config's 30m
  Analysis a = analyze(d, vc, std::nullopt, kT0 + 10, std::nullopt);
  REQUIRE(a.stage);
  CHECK(*a.stage == 0);
  CHECK(a.stage_ends_at == kT0 + 120);
  CHECK(a.decision == "continue");
  CHECK(a.phase == "verifying");
  CHECK(*analyze(d, vc, std::nullopt, kT0 + 120, std::nullopt).stage == 1);
  CHECK(*analyze(d, vc, std::nullopt, kT0 + 299, std::nullopt).stage == 2);
  CHECK(*analyze(d, vc, std::nullopt, kT0 + 900, std::nullopt).stage == 2);  // stays on the last
  Deployment plain = d;
  plain.stages.clear();
  CHECK_FALSE(analyze(plain, vc, std::nullopt, kT0 + 10, std::nullopt).stage);
  CHECK(verification_end(plain, vc) == kT0 + 1800);
}

VerificationProgress judged_at(int64_t t, const std::string& state = "ok") {
  VerificationProgress p;
  p.checked_at = t;
  RuleCheck c;
  c.name = "error-ratio-1m";
  c.window_ms = 60000;
  c.state = state;
  p.rules.push_back(c);
  return p;
}

TEST_CASE("promote needs a stage above the caller's weight and judged traffic in it", "[hooks][analysis]") {
  config::VerificationConfig vc;
  const Deployment d = canary();
  CHECK(analyze(d, vc, judged_at(kT0 + 10), kT0 + 10, 5).decision == "continue");
  CHECK(analyze(d, vc, judged_at(kT0 + 130), kT0 + 130, 5).decision == "promote");
  CHECK(analyze(d, vc, judged_at(kT0 + 130), kT0 + 130, 50).decision == "continue");
  CHECK(analyze(d, vc, judged_at(kT0 + 250), kT0 + 250, 50).decision == "promote");
  CHECK(analyze(d, vc, judged_at(kT0 + 250), kT0 + 250, 100).decision == "continue");
  // Time alone does not promote: nothing read, too little traffic, or a check from the stage before.
  CHECK(analyze(d, vc, std::nullopt, kT0 + 130, 5).decision == "continue");
  CHECK(analyze(d, vc, judged_at(kT0 + 130, "insufficient_data"), kT0 + 130, 5).decision == "continue");
  Analysis stale = analyze(d, vc, judged_at(kT0 + 110), kT0 + 130, 5);
  CHECK(stale.decision == "continue");
  CHECK(stale.reasons.at(0).find("no rule has judged enough") != std::string::npos);
}

TEST_CASE("verdicts and read errors decide over the stage", "[hooks][analysis]") {
  config::VerificationConfig vc;
  Deployment d = canary();
  VerificationProgress down;
  down.error = "datasource vm: timed out";
  Analysis a = analyze(d, vc, down, kT0 + 130, 5);
  CHECK(a.decision == "undecided");
  CHECK(a.reasons.at(0).find("timed out") != std::string::npos);
  for (const auto& [outcome, decision] : std::vector<std::pair<std::string, std::string>>{
           {"failed", "rollback"}, {"passed", "promote"}, {"inconclusive", "undecided"}}) {
    Verification v;
    v.outcome = outcome;
    v.reasons = {"because"};
    d.verification = v;
    a = analyze(d, vc, down, kT0 + 10, 5);
    CHECK(a.phase == outcome);
    CHECK(a.decision == decision);
    CHECK(a.reasons == std::vector<std::string>{"because"});
  }
}

TEST_CASE("breached rules within failures_allowed are listed as reasons", "[hooks][analysis]") {
  config::VerificationConfig vc;
  VerificationProgress p;
  RuleCheck c;
  c.name = "error-ratio-1m";
  c.state = "breached";
  c.detail = "error ratio 20.00% over 1m above 10.00%";
  p.rules.push_back(c);
  c.name = "p95-5m";
  c.state = "ok";
  p.rules.push_back(c);
  Analysis a = analyze(canary(), vc, p, kT0 + 70, std::nullopt);
  CHECK(a.decision == "continue");
  REQUIRE(a.reasons.size() == 1);
  CHECK(a.reasons[0].rfind("error-ratio-1m: ", 0) == 0);
}

}  // namespace
}  // namespace sloguard::hooks
