// Verification rules, placeholders, exec, and the rollback runner's safety rules with a fake
// HTTP sender and a manual clock.
#include <catch2/catch.hpp>
#include <mutex>

#include "sloguard/hooks/exec.h"
#include "sloguard/hooks/rollback.h"
#include "sloguard/hooks/verification.h"
#include "temp_dir.h"

namespace sloguard::hooks {
namespace {

Measurement m(uint64_t requests, uint64_t errors, std::optional<double> p95 = std::nullopt) {
  Measurement x;
  x.requests = requests;
  x.errors = errors;
  if (requests) x.error_ratio = static_cast<double>(errors) / static_cast<double>(requests);
  x.p95_ms = p95;
  return x;
}

TEST_CASE("judge applies each verification rule", "[hooks][verification]") {
  config::VerificationConfig vc;  // 5%, 2x, p95 2x, min 100
  CHECK(judge(vc, m(99, 50), m(1000, 0)).outcome == "inconclusive");
  CHECK(judge(vc, m(1000, 60), m(1000, 50)).outcome == "failed");          // 6% > 5% absolute
  CHECK(judge(vc, m(1000, 30), m(1000, 10)).outcome == "failed");          // 3% > 2 x 1%
  CHECK(judge(vc, m(1000, 15), m(1000, 10)).outcome == "passed");          // 1.5% <= 2 x 1%
  CHECK(judge(vc, m(1000, 1), m(1000, 0)).outcome == "passed");            // floor of 0.1% baseline
  CHECK(judge(vc, m(1000, 0, 250.0), m(1000, 0, 100.0)).outcome == "failed");  // p95 2.5x
  CHECK(judge(vc, m(1000, 0, 150.0), m(1000, 0, 100.0)).outcome == "passed");
  CHECK(judge(vc, m(1000, 30), m(10, 0)).outcome == "passed");             // baseline too small: absolute rule only
}

TEST_CASE("placeholders fill known names and leave other braces alone", "[hooks]") {
  RollbackRequest r;
  r.service = "checkout";
  r.version = "v2";
  r.previous_version = "v1";
  r.deployment_id = "d1";
  CHECK(render_placeholders("deployment/{service} {previous_version} {nope} {deployment_id}", r) ==
        "deployment/checkout v1 {nope} d1");
}

TEST_CASE("exec runs without a shell in a clean environment and captures bounded output", "[hooks][exec]") {
  ExecResult r = run_exec({"/bin/sh", "-c", "echo \"$HOME|$SECRET\"; exit 3"}, {{"HOME", "/h"}}, 10000, 1024);
  CHECK(r.started);
  CHECK(r.exit_code == 3);
  CHECK(r.output == "/h|\n");
  ExecResult big = run_exec({"/bin/sh", "-c", "head -c 5000 /dev/zero"}, {}, 10000, 100);
  CHECK(big.output.size() == 100);
  CHECK(big.output_truncated);
  ExecResult missing = run_exec({"/nonexistent/program"}, {}, 1000, 100);
  CHECK_FALSE(missing.ok());
}

class FakeSender final : public net::HttpSender {
 public:
  Result<net::HttpResponse> send(const net::HttpRequest& req) override {
    std::lock_guard<std::mutex> lock(mu);
    requests.push_back(req);
    net::HttpResponse res;
    res.status = statuses.empty() ? 204 : statuses.front();
    if (!statuses.empty()) statuses.erase(statuses.begin());
    return res;
  }
  std::mutex mu;
  std::vector<net::HttpRequest> requests;
  std::vector<int> statuses;
};

struct RunnerFixture {
  RunnerFixture() {
    store::StoreOptions o;
    o.path = (dir.path() / "db").string();
    o.clock = &clock;
    store = std::move(store::open_rocksdb_store(o)).value();
    cfg.services.push_back({"checkout", {}});
    config::HookConfig h;
    h.name = "notify";
    h.url = "http://127.0.0.1:9/hook";
    h.secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    h.max_attempts = 3;
    cfg.release.hooks.push_back(h);
    runner = std::make_unique<RollbackRunner>(*store, clock, sender);
  }
  RollbackRequest request(const std::string& key) {
    RollbackRequest r;
    r.service = "checkout";
    r.reason = "test";
    r.idempotency_key = key;
    r.hooks = {"notify"};
    return r;
  }
  sloguard::testing::TempDir dir;
  ManualClock clock{1767225600000};
  std::unique_ptr<store::Store> store;
  FakeSender sender;
  config::Config cfg;
  std::unique_ptr<RollbackRunner> runner;
};

TEST_CASE("rollback runner: once per key, cooldown, max per period", "[hooks][rollback]") {
  RunnerFixture f;
  f.cfg.release.rollback.cooldown_ms = 3600000;
  f.cfg.release.rollback.max_per_period = 2;
  CHECK(f.runner->trigger(f.cfg, f.request("a"))[0].result == "succeeded");
  CHECK(f.runner->trigger(f.cfg, f.request("a"))[0].result == "duplicate");
  CHECK(f.runner->trigger(f.cfg, f.request("b"))[0].result == "skipped_cooldown");
  f.clock.advance(std::chrono::hours(2));
  CHECK(f.runner->trigger(f.cfg, f.request("c"))[0].result == "succeeded");
  f.clock.advance(std::chrono::hours(2));
  CHECK(f.runner->trigger(f.cfg, f.request("d"))[0].result == "skipped_limit");  // a and c in the last day
  CHECK(f.sender.requests.size() == 2);
  auto last = f.runner->last_rollback("checkout");
  REQUIRE(last.ok());
  REQUIRE(last->has_value());
  CHECK((*last)->at == 1767225600 + 7200);
  auto h = f.runner->history(10);
  REQUIRE(h.ok());
  REQUIRE(h->size() == 4);
  CHECK((*h)[0].result == "skipped_limit");
}

TEST_CASE("rollback runner retries webhooks with backoff from poll, with the same message id", "[hooks][rollback]") {
  RunnerFixture f;
  f.sender.statuses = {503, 503, 503};
  CHECK(f.runner->trigger(f.cfg, f.request("a"))[0].result == "retrying");
  f.runner->poll(f.cfg);  // not due yet
  CHECK(f.sender.requests.size() == 1);
  f.clock.advance(std::chrono::minutes(2));
  f.runner->poll(f.cfg);
  CHECK(f.sender.requests.size() == 2);
  f.clock.advance(std::chrono::minutes(2));
  f.runner->poll(f.cfg);
  CHECK(f.sender.requests.size() == 3);  // max_attempts 3: now failed
  f.clock.advance(std::chrono::minutes(10));
  f.runner->poll(f.cfg);
  CHECK(f.sender.requests.size() == 3);
  auto id = [&](size_t i) {
    for (const auto& [k, v] : f.sender.requests[i].headers) {
      if (k == "webhook-id") return v;
    }
    return std::string();
  };
  CHECK(id(0) == id(2));
  CHECK((*f.runner->history(1))[0].result == "failed");
}

TEST_CASE("rollback runner reports each run's final result once, after its retries", "[hooks][rollback]") {
  RunnerFixture f;
  std::vector<std::pair<std::string, std::string>> results;  // idempotency key, result
  f.runner->set_result_listener([&](const RollbackRequest& req, const AuditEntry& e) {
    results.emplace_back(req.idempotency_key, e.result);
    CHECK(e.hook == "notify");
    CHECK(e.kind == "webhook");
    // Called without the runner's lock: reading it back does not deadlock.
    CHECK(f.runner->history(1).ok());
  });
  f.sender.statuses = {503, 204};
  CHECK(f.runner->trigger(f.cfg, f.request("a"))[0].result == "retrying");
  CHECK(results.empty());  // not final yet
  f.clock.advance(std::chrono::minutes(2));
  f.runner->poll(f.cfg);
  REQUIRE(results.size() == 1);
  CHECK(results[0] == std::pair<std::string, std::string>{"a", "succeeded"});
  CHECK(f.runner->trigger(f.cfg, f.request("a"))[0].result == "duplicate");  // not reported
  CHECK(f.runner->trigger(f.cfg, f.request("b"))[0].result == "skipped_cooldown");
  f.cfg.release.rollback.dry_run = true;
  f.clock.advance(std::chrono::hours(2));
  CHECK(f.runner->trigger(f.cfg, f.request("c"))[0].result == "dry_run");
  REQUIRE(results.size() == 3);
  CHECK(results[1] == std::pair<std::string, std::string>{"b", "skipped_cooldown"});
  CHECK(results[2] == std::pair<std::string, std::string>{"c", "dry_run"});
}

}  // namespace
}  // namespace sloguard::hooks
