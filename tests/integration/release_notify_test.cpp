// Release events through the notifiers end to end: a scripted bad release with
// `release.notify: [hook]` sends one "verification failed" and one rollback-result
// notification to a loopback webhook receiver (through a retry and a restart, never twice); a
// good release sends one "passed"; Alertmanager-triggered hook results are notified too.
#include <catch2/catch.hpp>

#include "receiver.h"
#include "server_fixture.h"

namespace sloguard::testing {
namespace {

using json = nlohmann::json;

constexpr int64_t kT0 = 1767225600;
constexpr const char* kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

std::string config_yaml(const std::string& notify_url, const std::string& hook_url, const std::string& release_extra = "") {
  ::setenv("SLOGUARD_TEST_NOTIFY_SECRET", kSecret, 1);
  return "services: [{name: checkout}]\n"
         "slos:\n"
         "  - {name: checkout-availability, service: checkout, objective: 99%, window: 30d, sli: {kind: availability}}\n"
         "notifiers:\n"
         "  - {name: hook, kind: webhook, url: \"" + notify_url + "\", secret_env: SLOGUARD_TEST_NOTIFY_SECRET}\n"
         "release:\n"
         "  notify: [hook]\n"
         "  verification: {period: 10m, min_requests: 100}\n"
         "  rollback: {cooldown: 1h, hooks: [undo]}\n"
         "  hooks:\n"
         "    - {name: undo, kind: webhook, url: \"" + hook_url + "\", max_attempts: 1}\n" + release_extra;
}

void ingest(ServerFixture& f, int64_t ts, int status, int count, const std::string& version) {
  json e = {{"service", "checkout"}, {"ts", ts}, {"status", status}, {"count", count}, {"version", version}};
  auto [code, body] = f.post("/api/v1/events", json{{"events", json::array({e})}}.dump());
  INFO(body.dump());
  REQUIRE(code == 202);
}

std::string register_deployment(ServerFixture& f) {
  auto [code, body] = f.post(
      "/api/v1/deployments",
      json{{"service", "checkout"}, {"version", "v2"}, {"previous_version", "v1"}, {"environment", "prod"}}.dump());
  INFO(body.dump());
  REQUIRE(code == 201);
  return body["id"].get<std::string>();
}

// Baseline v1 before kT0; v2 in [kT0, kT0 + 10m) with `errors` of its 1000 requests failing.
void script_release(ServerFixture& f, int errors) {
  f.clock().set_seconds(kT0 + 11 * 60);
  for (int m = 0; m < 10; ++m) {
    ingest(f, kT0 - 600 + m * 60, 200, 100, "v1");
    ingest(f, kT0 + m * 60, 200, 100 - errors / 10, "v2");
    if (errors > 0) ingest(f, kT0 + m * 60, 503, errors / 10, "v2");
  }
}

bool signed_ok(const Captured& c) {
  const int64_t ts = std::stoll(c.header("webhook-timestamp"));
  return c.header("webhook-signature") == net::standard_webhooks_signature(kSecret, c.header("webhook-id"), ts, c.body);
}

TEST_CASE("a bad release notifies its failed verification and the rollback result once", "[integration][release]") {
  Receiver notified(Answer{204, "", {}});
  notified.then(Answer{503, "busy", {}});  // the first attempt is retried
  Receiver hook(Answer{204, "", {}});
  ServerFixture f(config_yaml(notified.url("/notify"), hook.url("/rollback")), kT0);
  const std::string id = register_deployment(f);
  script_release(f, 200);  // 20% errors
  f.server().evaluate_now();
  REQUIRE(hook.count() == 1);

  auto [pcode, pending] = f.get("/api/v1/notifications?state=pending");
  REQUIRE(pcode == 200);
  REQUIRE(pending["pending"].size() == 2);
  CHECK(pending["pending"][0]["kind"] == "verification");
  CHECK(pending["pending"][0]["summary"] == "checkout v2: verification failed");
  CHECK(pending["pending"][1]["kind"] == "rollback");
  CHECK(pending["pending"][1]["hook"] == "undo");

  f.server().deliver_now();  // 503: the verification waits, the rollback result waits behind it
  REQUIRE(notified.count() == 1);
  f.reopen();  // restart with both still queued
  f.clock().advance(std::chrono::minutes(10));
  f.server().evaluate_now();  // judged before: nothing new
  f.server().deliver_now();
  f.clock().advance(std::chrono::minutes(10));
  f.server().evaluate_now();
  f.server().deliver_now();

  const std::vector<Captured> seen = notified.seen();
  REQUIRE(seen.size() == 3);
  for (const auto& c : seen) CHECK(signed_ok(c));
  // The retry is the same message: same id, so receivers can drop duplicates.
  CHECK(seen[0].header("webhook-id") == "verify/" + id + "/hook");
  CHECK(seen[1].header("webhook-id") == seen[0].header("webhook-id"));
  const json verdict = seen[1].json();
  CHECK(verdict["type"] == "sloguard.verification.failed");
  CHECK(verdict["title"] == "checkout v2: verification failed");
  CHECK(verdict["data"]["deployment_id"] == id);
  CHECK(verdict["data"]["previous_version"] == "v1");
  CHECK(verdict["data"]["reason"].get<std::string>().find("error ratio 20.00%") != std::string::npos);

  CHECK(seen[2].header("webhook-id") == "rollback/deploy/" + id + "/undo/hook");
  const json result = seen[2].json();
  CHECK(result["type"] == "sloguard.rollback.succeeded");
  CHECK(result["title"] == "checkout: rollback hook undo succeeded");
  CHECK(result["data"]["trigger"] == "verification");
  CHECK(result["data"]["hook_kind"] == "webhook");
  CHECK(hook.count() == 1);
  CHECK(f.get("/api/v1/notifications").second["pending"].empty());
}

TEST_CASE("a good release notifies passed unless notify_passed is false", "[integration][release]") {
  Receiver notified(Answer{204, "", {}});
  Receiver hook(Answer{204, "", {}});
  {
    ServerFixture f(config_yaml(notified.url("/notify"), hook.url("/rollback")), kT0);
    const std::string id = register_deployment(f);
    script_release(f, 0);
    f.server().evaluate_now();
    f.server().deliver_now();
    REQUIRE(notified.count() == 1);
    CHECK(notified.last().json()["type"] == "sloguard.verification.passed");
    CHECK(notified.last().json()["title"] == "checkout v2: verification passed");
    CHECK(notified.last().header("webhook-id") == "verify/" + id + "/hook");
  }
  {
    ServerFixture f(config_yaml(notified.url("/notify"), hook.url("/rollback"), "  notify_passed: false\n"), kT0);
    register_deployment(f);
    script_release(f, 0);
    f.server().evaluate_now();
    f.server().deliver_now();
    CHECK(notified.count() == 1);  // nothing new
  }
  CHECK(hook.count() == 0);
}

TEST_CASE("rollback hooks run from Alertmanager alerts notify their result", "[integration][release]") {
  Receiver notified(Answer{204, "", {}});
  Receiver hook(Answer{204, "", {}});
  ServerFixture f(config_yaml(notified.url("/notify"), hook.url("/rollback"),
                              "  alertmanager: [{match: {alertname: CheckoutErrors}, hooks: [undo]}]\n"
                              "  services: [{name: checkout, notify: [hook]}]\n"),
                  kT0);
  const json payload = {
      {"version", "4"},
      {"status", "firing"},
      {"alerts", json::array({{{"status", "firing"},
                               {"labels", {{"alertname", "CheckoutErrors"}, {"service", "checkout"}}},
                               {"startsAt", "2025-12-31T23:50:00Z"},
                               {"fingerprint", "abc123"}}})}};
  auto [code, body] = f.post("/api/v1/alertmanager", payload.dump());
  INFO(body.dump());
  REQUIRE(code == 200);
  CHECK(body["hook_runs"][0]["result"] == "queued");  // a durable job, run by the hook workers
  CHECK(f.server().run_hooks_now() == 1);
  CHECK(f.post("/api/v1/alertmanager", payload.dump()).second["hook_runs"][0]["result"] == "duplicate");
  f.server().deliver_now();
  REQUIRE(notified.count() == 1);
  const json n = notified.last().json();
  CHECK(n["type"] == "sloguard.rollback.succeeded");
  CHECK(n["data"]["trigger"] == "alertmanager");
  CHECK(n["data"]["alert_key"] == "sloguard/rollback/alertmanager/abc123/1767225000/checkout");
  CHECK(hook.count() == 1);
}

}  // namespace
}  // namespace sloguard::testing
