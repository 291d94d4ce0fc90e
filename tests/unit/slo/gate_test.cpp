// The release gate: each reason alone, all together, and freeze windows across DST changes.
// Expected instants are worked out in the comments: UTC midnight + local time - UTC offset.
#include "sloguard/slo/gate.h"

#include <catch2/catch.hpp>

#include "../config/config_test_util.h"

namespace sloguard::slo {
namespace {

constexpr int64_t kDay = 86400;
constexpr int64_t kHour = 3600;
constexpr int64_t k2026_01_01 = 1767225600;  // a Thursday
constexpr int64_t k2026_03_22 = 1774137600;  // Sunday, Europe/Berlin on CET (+1)
constexpr int64_t k2026_03_29 = k2026_03_22 + 7 * kDay;   // Sunday, CET -> CEST at 01:00 UTC
constexpr int64_t k2026_04_05 = k2026_03_29 + 7 * kDay;   // Sunday, CEST (+2)
constexpr int64_t k2026_10_25 = 1792886400;  // Sunday, CEST -> CET at 01:00 UTC

config::Config config_with(const std::string& release_yaml) {
  auto r = config::testing::load("services: [{name: checkout}]\nrelease:\n" + release_yaml);
  INFO(config::testing::all_errors(r));
  REQUIRE(r.ok());
  return *r.config;
}

SloStatus status(const std::string& name, const std::string& policy, bool block, double remaining) {
  SloStatus s;
  s.name = name;
  s.service = "checkout";
  s.policy = policy;
  s.block_releases = block;
  s.budget.remaining_ratio = remaining;
  return s;
}

std::optional<int64_t> end_at(const config::FreezeWindow& w, int64_t at) {
  auto r = freeze_window_end(w, at);
  INFO(r.status().to_string());
  REQUIRE(r.ok());
  return *r;
}

TEST_CASE("gate allows with healthy SLOs and nothing else in the way", "[slo][gate]") {
  config::Config cfg = config_with("  gate: {block_on_alert_severities: [page]}");
  GateInput in{"checkout", k2026_01_01, {status("checkout-availability", "normal", false, 0.9)}, {}, {}, {}};
  GateDecision d = decide_gate(cfg, in);
  CHECK(d.allow);
  CHECK(d.reasons.empty());
}

TEST_CASE("gate denies on a budget policy that blocks releases", "[slo][gate]") {
  config::Config cfg = config_with("  gate: {}");
  GateInput in{"checkout", k2026_01_01,
               {status("checkout-availability", "emergency", true, 0.024), status("checkout-latency", "review", false, 0.6)},
               {}, {}, {}};
  GateDecision d = decide_gate(cfg, in);
  CHECK_FALSE(d.allow);
  REQUIRE(d.reasons.size() == 1);
  CHECK(d.reasons[0].kind == GateReasonKind::kBudgetPolicy);
  CHECK(d.reasons[0].subject == "checkout-availability");
  CHECK(d.reasons[0].message == "checkout-availability: error budget 2.4% left, policy emergency blocks releases");
}

TEST_CASE("gate denies on firing alerts of a blocking severity only", "[slo][gate]") {
  config::Config cfg = config_with("  gate: {block_on_alert_severities: [page]}");
  GateInput in{"checkout", k2026_01_01, {}, {}, {}, {}};
  in.alerts.push_back({"checkout-availability", "ticket-1d", "ticket", k2026_01_01 - 600});
  CHECK(decide_gate(cfg, in).allow);
  in.alerts.push_back({"checkout-availability", "page-1h", "page", k2026_01_01 - 600});
  GateDecision d = decide_gate(cfg, in);
  CHECK_FALSE(d.allow);
  REQUIRE(d.reasons.size() == 1);
  CHECK(d.reasons[0].kind == GateReasonKind::kAlert);
  CHECK(d.reasons[0].message == "checkout-availability: page alert page-1h firing since 2025-12-31T23:50:00Z");
}

TEST_CASE("gate denies during the rollback cooldown and allows after it", "[slo][gate]") {
  config::Config cfg = config_with("  rollback: {cooldown: 1h}");
  GateInput in{"checkout", k2026_01_01, {}, {}, {}, RecentRollback{k2026_01_01 - 1800, "verification failed"}};
  GateDecision d = decide_gate(cfg, in);
  CHECK_FALSE(d.allow);
  REQUIRE(d.reasons.size() == 1);
  CHECK(d.reasons[0].kind == GateReasonKind::kRollbackCooldown);
  CHECK(d.reasons[0].until == k2026_01_01 + 1800);
  in.at = k2026_01_01 + 1800;  // the cooldown is [at, at + 1h)
  CHECK(decide_gate(cfg, in).allow);
}

TEST_CASE("gate denies inside a fixed freeze window and reports its end", "[slo][gate]") {
  config::Config cfg = config_with(
      "  freeze_windows:\n"
      "    - {name: new-year, from: \"2025-12-31T00:00:00Z\", to: \"2026-01-02T00:00:00Z\"}\n"
      "    - {name: other, from: \"2025-12-31T00:00:00Z\", to: \"2026-01-02T00:00:00Z\", services: [checkout]}\n");
  GateInput in{"checkout", k2026_01_01, {}, {}, {}, {}};
  GateDecision d = decide_gate(cfg, in);
  CHECK_FALSE(d.allow);
  REQUIRE(d.reasons.size() == 2);
  CHECK(d.reasons[0].kind == GateReasonKind::kFreezeWindow);
  CHECK(d.reasons[0].until == k2026_01_01 + kDay);
  CHECK(d.reasons[0].message == "freeze window new-year until 2026-01-02T00:00:00Z");
  in.at = k2026_01_01 + kDay;
  CHECK(decide_gate(cfg, in).allow);
}

TEST_CASE("gate lists every reason at once", "[slo][gate]") {
  config::Config cfg = config_with(
      "  freeze_windows: [{name: always, schedule: {days: [mon, tue, wed, thu, fri, sat, sun], start: \"00:00\", "
      "end: \"00:00\"}}]\n");
  GateInput in{"checkout", k2026_01_01, {status("a", "feature_freeze", true, 0.3)}, {"b: store error"},
               {{"a", "page-1h", "page", k2026_01_01}}, RecentRollback{k2026_01_01, ""}};
  GateDecision d = decide_gate(cfg, in);
  CHECK_FALSE(d.allow);
  REQUIRE(d.reasons.size() == 5);
  CHECK(d.reasons[0].kind == GateReasonKind::kBudgetPolicy);
  CHECK(d.reasons[1].kind == GateReasonKind::kEvaluationError);
  CHECK(d.reasons[2].kind == GateReasonKind::kAlert);
  CHECK(d.reasons[3].kind == GateReasonKind::kRollbackCooldown);
  CHECK(d.reasons[4].kind == GateReasonKind::kFreezeWindow);
}

TEST_CASE("weekly freeze window keeps local wall-clock times across DST in Europe/Berlin", "[slo][gate][dst]") {
  config::Config cfg = config_with(
      "  freeze_windows: [{name: maintenance, schedule: {days: [sun], start: \"02:00\", end: \"04:00\"}, "
      "time_zone: Europe/Berlin}]\n");
  const config::FreezeWindow& w = cfg.release.freeze_windows.at(0);

  // CET: 02:00-04:00 local = 01:00-03:00 UTC.
  CHECK_FALSE(end_at(w, k2026_03_22 + 1 * kHour - 1));
  CHECK(end_at(w, k2026_03_22 + 1 * kHour) == k2026_03_22 + 3 * kHour);
  CHECK_FALSE(end_at(w, k2026_03_22 + 3 * kHour));
  // A Saturday at the same hour is not in the window.
  CHECK_FALSE(end_at(w, k2026_03_22 - kDay + 2 * kHour));

  // Spring forward: 02:00 local does not exist (01:00 UTC jumps from 02:00 CET to 03:00 CEST);
  // the window starts at the end of the gap, 01:00 UTC, and ends at 04:00 CEST = 02:00 UTC.
  CHECK_FALSE(end_at(w, k2026_03_29 + 1 * kHour - 1));
  CHECK(end_at(w, k2026_03_29 + 1 * kHour) == k2026_03_29 + 2 * kHour);
  CHECK_FALSE(end_at(w, k2026_03_29 + 2 * kHour));

  // CEST: 02:00-04:00 local = 00:00-02:00 UTC.
  CHECK_FALSE(end_at(w, k2026_04_05 - 1));
  CHECK(end_at(w, k2026_04_05) == k2026_04_05 + 2 * kHour);
  CHECK_FALSE(end_at(w, k2026_04_05 + 2 * kHour));

  // Fall back: 02:00-03:00 local happens twice (00:00 UTC in CEST, 01:00 UTC in CET). The window
  // starts at the first 02:00 and ends at 04:00 CET = 03:00 UTC: three hours.
  CHECK_FALSE(end_at(w, k2026_10_25 - 1));
  CHECK(end_at(w, k2026_10_25) == k2026_10_25 + 3 * kHour);
  CHECK(end_at(w, k2026_10_25 + 3 * kHour - 1) == k2026_10_25 + 3 * kHour);
  CHECK_FALSE(end_at(w, k2026_10_25 + 3 * kHour));

  GateInput in{"checkout", k2026_10_25 + kHour, {}, {}, {}, {}};
  GateDecision d = decide_gate(cfg, in);
  CHECK_FALSE(d.allow);
  REQUIRE(d.reasons.size() == 1);
  CHECK(d.reasons[0].message ==
        "freeze window maintenance (02:00-04:00 Europe/Berlin) until 2026-10-25T03:00:00Z");
}

TEST_CASE("weekly weekend freeze joins Saturday and Sunday and wraps past midnight", "[slo][gate]") {
  config::Config cfg = config_with(
      "  freeze_windows:\n"
      "    - {name: weekend, schedule: {days: [sat, sun], start: \"00:00\", end: \"24:00\"}, "
      "time_zone: America/New_York}\n"
      "    - {name: night, schedule: {days: [fri], start: \"22:00\", end: \"06:00\"}}\n");
  const config::FreezeWindow& weekend = cfg.release.freeze_windows.at(0);
  const config::FreezeWindow& night = cfg.release.freeze_windows.at(1);
  // Saturday 2026-01-03 00:00 EST = 05:00 UTC; Monday 00:00 EST = two days later.
  const int64_t sat = k2026_01_01 + 2 * kDay + 5 * kHour;
  CHECK_FALSE(end_at(weekend, sat - 1));
  CHECK(end_at(weekend, sat) == sat + 2 * kDay);
  CHECK(end_at(weekend, sat + 2 * kDay - 1) == sat + 2 * kDay);
  CHECK_FALSE(end_at(weekend, sat + 2 * kDay));
  // Friday 2026-01-02 22:00 UTC until Saturday 06:00 UTC.
  const int64_t fri = k2026_01_01 + kDay;
  CHECK_FALSE(end_at(night, fri + 22 * kHour - 1));
  CHECK(end_at(night, fri + 22 * kHour) == fri + 30 * kHour);
  CHECK(end_at(night, fri + 29 * kHour) == fri + 30 * kHour);
  CHECK_FALSE(end_at(night, fri + 30 * kHour));
  // Another service's window does not apply.
  config::Config scoped = config_with(
      "  freeze_windows: [{name: f, from: \"2025-01-01T00:00:00Z\", to: \"2027-01-01T00:00:00Z\", services: "
      "[checkout]}]\n");
  CHECK(decide_gate(scoped, GateInput{"search", k2026_01_01, {}, {}, {}, {}}).allow);
}

}  // namespace
}  // namespace sloguard::slo
