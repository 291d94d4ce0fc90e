// Release safety end to end: the gate API for each reason, `sloguard gate` exit codes against
// the real binary, deployments with post-deploy verification, and rollback hooks (a signed
// webhook to a loopback receiver, at most once across a restart; dry run; an exec that hangs).
#include <catch2/catch.hpp>
#include <atomic>
#include <cstdlib>
#include <mutex>

#include "child_process.h"
#include "loopback_http.h"
#include "server_fixture.h"
#include "sloguard/net/http_sender.h"

namespace sloguard::testing {
namespace {

using json = nlohmann::json;

constexpr int64_t kT0 = 1767225600;
constexpr const char* kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

const std::string kBase = R"(services: [{name: checkout}]
slos:
  - {name: checkout-availability, service: checkout, objective: 99%, window: 30d, sli: {kind: availability}}
)";

// A receiver that checks each call's Standard Webhooks signature and timestamp.
class WebhookReceiver {
 public:
  explicit WebhookReceiver(const ManualClock& clock) : clock_(clock) {
    http_.server().Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      const std::string id = req.get_header_value("webhook-id");
      const std::string ts = req.get_header_value("webhook-timestamp");
      const std::string sig = req.get_header_value("webhook-signature");
      const int64_t t = ts.empty() ? 0 : std::stoll(ts);
      const bool fresh = std::llabs(t - clock_.now_seconds()) <= 300;
      const bool signed_ok = !id.empty() && sig == net::standard_webhooks_signature(kSecret, id, t, req.body);
      const bool hub_ok = req.get_header_value("X-Hub-Signature-256") == net::hub_signature_256(kSecret, req.body);
      if (fresh && signed_ok && hub_ok) {
        ++valid_;
        bodies_.push_back(json::parse(req.body, nullptr, false));
        res.status = 204;
      } else {
        ++invalid_;
        res.status = 401;
      }
    });
    http_.start();
  }
  std::string url() const { return http_.url("/hook"); }
  int valid() {
    std::lock_guard<std::mutex> lock(mu_);
    return valid_;
  }
  int invalid() {
    std::lock_guard<std::mutex> lock(mu_);
    return invalid_;
  }
  json last() {
    std::lock_guard<std::mutex> lock(mu_);
    return bodies_.empty() ? json() : bodies_.back();
  }

 private:
  const ManualClock& clock_;
  LoopbackHttpServer http_;
  std::mutex mu_;
  int valid_ = 0, invalid_ = 0;
  std::vector<json> bodies_;
};

void ingest(ServerFixture& f, int64_t ts, int status, int count, const std::string& version = "",
            double latency_ms = 20) {
  json e = {{"service", "checkout"}, {"ts", ts}, {"status", status}, {"count", count}, {"latency_ms", latency_ms}};
  if (!version.empty()) e["version"] = version;
  auto [code, body] = f.post("/api/v1/events", json{{"events", json::array({e})}}.dump());
  INFO(body.dump());
  REQUIRE(code == 202);
}

std::string release_yaml(const std::string& hook_url, const std::string& extra_hook_fields = "") {
  return kBase + "release:\n  verification: {period: 10m, min_requests: 100}\n"
                 "  rollback: {cooldown: 1h, hooks: [notify]}\n"
                 "  hooks:\n"
                 "    - {name: notify, kind: webhook, url: \"" +
         hook_url + "\", secret_env: SLOGUARD_TEST_WEBHOOK_SECRET, hub_signature: true, max_attempts: 3" +
         extra_hook_fields + "}\n";
}

std::string register_deployment(ServerFixture& f, const std::string& version, const std::string& previous) {
  auto [code, body] = f.post("/api/v1/deployments",
                             json{{"service", "checkout"}, {"version", version}, {"previous_version", previous},
                                  {"environment", "prod"}}
                                 .dump());
  INFO(body.dump());
  REQUIRE(code == 201);
  return body["id"].get<std::string>();
}

// Baseline (v1) before kT0, the release (v2) in [kT0, kT0 + 10m) with `errors` of 1000 failing.
void script_release(ServerFixture& f, int v2_errors) {
  f.clock().set_seconds(kT0 + 11 * 60);
  for (int m = 0; m < 10; ++m) {
    ingest(f, kT0 - 600 + m * 60, 200, 100, "v1");
    ingest(f, kT0 + m * 60, 200, 100 - v2_errors / 10, "v2");
    if (v2_errors > 0) ingest(f, kT0 + m * 60, 503, v2_errors / 10, "v2");
  }
}

json gate(ServerFixture& f, const std::string& query = "service=checkout") {
  auto [code, body] = f.get("/api/v1/gate?" + query);
  INFO(body.dump());
  REQUIRE(code == 200);
  return body;
}

bool has_reason(const json& g, const std::string& kind) {
  for (const auto& d : g["details"]) {
    if (d["kind"] == kind) return true;
  }
  return false;
}

int run_cli(const std::vector<std::string>& args, std::string* output = nullptr) {
  std::vector<std::string> argv = {SLOGUARD_BINARY, "gate"};
  argv.insert(argv.end(), args.begin(), args.end());
  ChildProcess p(argv);
  int status = p.wait_exit(std::chrono::seconds(30));
  if (output) *output = p.output();
  INFO(p.output());
  REQUIRE(status != -1);
  REQUIRE(WIFEXITED(status));
  return WEXITSTATUS(status);
}

TEST_CASE("gate API allows a healthy service and denies on the budget policy", "[integration][release]") {
  ServerFixture f(kBase);
  ingest(f, kT0 - 120, 200, 1000);
  json g = gate(f);
  CHECK(g["allow"] == true);
  CHECK(g["reasons"].empty());
  CHECK(g["slos"][0]["policy"] == "normal");
  ingest(f, kT0 - 60, 503, 100);  // 100 bad of 1100 at 99%: the budget is overspent
  g = gate(f);
  CHECK(g["allow"] == false);
  CHECK(has_reason(g, "budget_policy"));
  CHECK(g["reasons"][0].get<std::string>().find("policy emergency blocks releases") != std::string::npos);
  // Gated on one SLO, and unknown names.
  CHECK(gate(f, "service=checkout&slo=checkout-availability")["allow"] == false);
  CHECK(f.get("/api/v1/gate?service=nope").first == 404);
  CHECK(f.get("/api/v1/gate?service=checkout&slo=nope").first == 404);
  CHECK(f.get("/api/v1/gate").first == 400);
  // Before the errors, at= sees a healthy budget.
  CHECK(gate(f, "service=checkout&at=" + std::to_string(kT0 - 60))["allow"] == true);
  // The evaluator publishes the verdict as a gauge.
  f.server().evaluate_now();
  auto res = f.http().Get("/metrics");
  REQUIRE(res);
  CHECK(res->body.find("sloguard_release_gate_allowed{service=\"checkout\"} 0") != std::string::npos);
}

TEST_CASE("gate API denies inside a freeze window", "[integration][release]") {
  ServerFixture f(kBase +
                  "release:\n  freeze_windows:\n"
                  "    - {name: new-year, from: \"2025-12-31T00:00:00Z\", to: \"2026-01-02T00:00:00Z\"}\n");
  json g = gate(f);
  CHECK(g["allow"] == false);
  REQUIRE(g["details"].size() == 1);
  CHECK(g["details"][0]["kind"] == "freeze_window");
  CHECK(g["details"][0]["until"] == "2026-01-02T00:00:00Z");
  CHECK(gate(f, "service=checkout&at=2026-01-02T00:00:00Z")["allow"] == true);
}

TEST_CASE("gate API denies while a page alert fires and maps Alertmanager alerts to hooks", "[integration][release]") {
  ServerFixture f(kBase +
                  "release:\n  hooks: [{name: rollback, kind: exec, argv: [/bin/true], dry_run: true}]\n"
                  "  alertmanager: [{match: {alertname: CheckoutErrors}, hooks: [rollback]}]\n");
  auto payload = [](const std::string& status) {
    return json{{"version", "4"},
                {"receiver", "sloguard"},
                {"status", status},
                {"alerts",
                 json::array({{{"status", status},
                               {"labels", {{"alertname", "CheckoutErrors"}, {"service", "checkout"}, {"severity", "page"}}},
                               {"annotations", {{"summary", "5xx above 5%"}}},
                               {"startsAt", "2025-12-31T23:50:00Z"},
                               {"endsAt", "0001-01-01T00:00:00Z"},
                               {"fingerprint", "abc123"}}})}}
        .dump();
  };
  auto [code, body] = f.post("/api/v1/alertmanager", payload("firing"));
  INFO(body.dump());
  REQUIRE(code == 200);
  CHECK(body["matched"] == 1);
  REQUIRE(body["hook_runs"].size() == 1);
  CHECK(body["hook_runs"][0]["result"] == "queued");
  auto queued = f.get("/api/v1/hooks/jobs").second["jobs"];
  REQUIRE(queued.size() == 1);
  CHECK(queued[0]["state"] == "pending");
  CHECK(queued[0]["trigger"] == "alertmanager");
  CHECK(queued[0]["message_id"].get<std::string>().rfind("msg_", 0) == 0);
  CHECK(f.server().run_hooks_now() == 1);
  CHECK(f.get("/api/v1/hooks/jobs").second["jobs"].empty());
  auto history = f.get("/api/v1/hooks/history").second["history"];
  REQUIRE(history.size() == 1);
  CHECK(history[0]["result"] == "dry_run");
  CHECK(history[0]["trigger"] == "alertmanager");
  json g = gate(f);
  CHECK(g["allow"] == false);
  CHECK(has_reason(g, "alert"));
  // The firing alert is persisted with its job: a restart still denies.
  f.reopen();
  CHECK(gate(f)["allow"] == false);
  // Alertmanager resends while firing: the hook is not recorded again.
  CHECK(f.post("/api/v1/alertmanager", payload("firing")).second["hook_runs"][0]["result"] == "duplicate");
  CHECK(f.post("/api/v1/alertmanager", payload("resolved")).first == 200);
  CHECK(gate(f)["allow"] == true);
  f.reopen();
  CHECK(gate(f)["allow"] == true);
  // A firing alert that is not resent expires (4h5m without endsAt), also across a restart.
  CHECK(f.post("/api/v1/alertmanager", payload("firing")).first == 200);
  CHECK(gate(f)["allow"] == false);
  f.clock().advance(std::chrono::hours(4) + std::chrono::minutes(6));
  CHECK(gate(f)["allow"] == true);
  f.reopen();
  CHECK(gate(f)["allow"] == true);
  CHECK(f.post("/api/v1/alertmanager", "{\"nope\": 1}").first == 400);
  {
    // A wrongly typed field anywhere rejects the batch, naming the field.
    auto [c, b] = f.post("/api/v1/alertmanager",
                         R"({"alerts":[{"labels":{"alertname":"CheckoutErrors"},"status":"firing"},)"
                         R"({"labels":{"alertname":"CheckoutErrors"},"status":1}]})");
    CHECK(c == 400);
    CHECK(b["field"] == "alerts[1].status");
  }
}

TEST_CASE("sloguard gate exits 0 on allow, 1 on deny, 2 when it cannot decide", "[integration][release][process]") {
  ServerFixture f(kBase);
  const std::string url = "http://127.0.0.1:" + std::to_string(f.server().port());
  ingest(f, kT0 - 120, 200, 1000);
  std::string out;
  CHECK(run_cli({"--server", url, "--service", "checkout"}, &out) == 0);
  CHECK(out.find("ALLOW") != std::string::npos);
  ingest(f, kT0 - 60, 503, 100);
  CHECK(run_cli({"--server", url, "--service", "checkout"}, &out) == 1);
  CHECK(out.find("DENY") != std::string::npos);
  CHECK(out.find("policy emergency") != std::string::npos);
  CHECK(run_cli({"--server", url, "--service", "checkout", "--json"}, &out) == 1);
  CHECK(out.find("\"allow\": false") != std::string::npos);
  CHECK(run_cli({"--server", url, "--service", "nope"}, &out) == 2);
  CHECK(out.find("unknown service") != std::string::npos);
  LoopbackTcpPort refused(false);
  CHECK(run_cli({"--server", "http://127.0.0.1:" + std::to_string(refused.port()), "--service", "checkout"}) == 2);
  CHECK(run_cli({"--server", url, "--service", "checkout", "--token-env", "SLOGUARD_TEST_UNSET_TOKEN_VAR"}) == 2);
  CHECK(run_cli({"--server", url}) == 2);  // --service missing
}

TEST_CASE("sloguard gate exits 2 on a rejected token", "[integration][release][process]") {
  ::setenv("SLOGUARD_TEST_GATE_TOKEN", "right-token-value", 1);
  ::setenv("SLOGUARD_TEST_GATE_WRONG", "wrong-token-value", 1);
  ServerFixture f(kBase + "server:\n  listen: \"127.0.0.1:0\"\n  auth:\n    tokens:\n"
                          "      - {name: ci, token_env: SLOGUARD_TEST_GATE_TOKEN, roles: [read]}\n");
  const std::string url = "http://127.0.0.1:" + std::to_string(f.server().port());
  CHECK(run_cli({"--server", url, "--service", "checkout", "--token-env", "SLOGUARD_TEST_GATE_TOKEN"}) == 0);
  CHECK(run_cli({"--server", url, "--service", "checkout", "--token-env", "SLOGUARD_TEST_GATE_WRONG"}) == 2);
  CHECK(run_cli({"--server", url, "--service", "checkout"}) == 2);
}

TEST_CASE("deployments are validated, listed newest first and kept across a restart", "[integration][release]") {
  ServerFixture f(kBase);
  auto [bad, err] = f.post("/api/v1/deployments", R"({"service": "checkout"})");
  CHECK(bad == 400);
  CHECK(err["field"] == "version");
  CHECK(f.post("/api/v1/deployments", R"({"service": "nope", "version": "v1"})").second["field"] == "service");
  CHECK(f.post("/api/v1/deployments", R"({"service": "checkout", "version": "v1", "started_at": "x"})").second["field"] ==
        "started_at");
  const std::string a = register_deployment(f, "v1", "v0");
  f.clock().advance(std::chrono::minutes(5));
  const std::string b = register_deployment(f, "v2", "v1");
  auto metrics = f.http().Get("/metrics");
  REQUIRE(metrics);
  CHECK(metrics->body.find("sloguard_deployment_started_timestamp_seconds{environment=\"prod\",service=\"checkout\","
                           "version=\"v2\"} 1767225900") != std::string::npos);
  // One series per service and environment: v1's is gone.
  CHECK(metrics->body.find("version=\"v1\"") == std::string::npos);
  f.reopen();
  // ... and the newest is there again after a restart.
  auto again = f.http().Get("/metrics");
  REQUIRE(again);
  CHECK(again->body.find("sloguard_deployment_started_timestamp_seconds{environment=\"prod\",service=\"checkout\","
                         "version=\"v2\"} 1767225900") != std::string::npos);
  CHECK(again->body.find("version=\"v1\"") == std::string::npos);
  auto [code, list] = f.get("/api/v1/deployments?service=checkout");
  REQUIRE(code == 200);
  REQUIRE(list["deployments"].size() == 2);
  CHECK(list["deployments"][0]["id"] == b);
  CHECK(list["deployments"][1]["id"] == a);
  CHECK(list["deployments"][0]["status"] == "verifying");
  CHECK(f.get("/api/v1/deployments?service=checkout&limit=1").second["deployments"].size() == 1);
  CHECK(f.get("/api/v1/deployments/" + a).second["version"] == "v1");
  CHECK(f.get("/api/v1/deployments/nope").first == 404);
}

TEST_CASE("a bad release makes exactly one signed webhook call, even across restarts", "[integration][release]") {
  ::setenv("SLOGUARD_TEST_WEBHOOK_SECRET", kSecret, 1);
  ManualClock receiver_clock(kT0 * 1000);
  WebhookReceiver receiver(receiver_clock);
  ServerFixture f(release_yaml(receiver.url()), kT0);
  const std::string id = register_deployment(f, "v2", "v1");
  f.reopen();  // restart between registration and verification
  script_release(f, 200);  // 20% errors
  receiver_clock.set_seconds(f.clock().now_seconds());
  f.server().evaluate_now();
  CHECK(receiver.valid() == 1);
  CHECK(receiver.invalid() == 0);
  json call = receiver.last();
  CHECK(call["service"] == "checkout");
  CHECK(call["deployment"]["id"] == id);
  CHECK(call["previous_version"] == "v1");
  CHECK(call["trigger"] == "verification");

  auto [code, d] = f.get("/api/v1/deployments/" + id);
  REQUIRE(code == 200);
  CHECK(d["status"] == "failed");
  // Failed by the first continuous rule, over its last minute.
  CHECK(d["verification"]["failed_rule"] == "error-ratio-1m");
  CHECK(d["verification"]["release"]["requests"] == 100);
  CHECK(d["verification"]["release"]["errors"] == 20);
  CHECK(d["verification"]["baseline_kind"] == "rules");

  // Restarted and evaluated again: judged once, called once.
  f.reopen();
  f.server().evaluate_now();
  f.clock().advance(std::chrono::minutes(5));
  f.server().evaluate_now();
  CHECK(receiver.valid() == 1);

  auto [hcode, history] = f.get("/api/v1/hooks/history");
  REQUIRE(hcode == 200);
  REQUIRE(history["history"].size() == 1);
  CHECK(history["history"][0]["result"] == "succeeded");
  CHECK(history["history"][0]["deployment_id"] == id);
  // The rollback holds the gate for its cooldown.
  json g = gate(f);
  CHECK(g["allow"] == false);
  CHECK(has_reason(g, "rollback_cooldown"));
}

TEST_CASE("a good release makes no call", "[integration][release]") {
  ::setenv("SLOGUARD_TEST_WEBHOOK_SECRET", kSecret, 1);
  ManualClock receiver_clock(kT0 * 1000);
  WebhookReceiver receiver(receiver_clock);
  ServerFixture f(release_yaml(receiver.url()), kT0);
  const std::string id = register_deployment(f, "v2", "v1");
  script_release(f, 0);
  f.server().evaluate_now();
  CHECK(receiver.valid() + receiver.invalid() == 0);
  CHECK(f.get("/api/v1/deployments/" + id).second["status"] == "passed");
  CHECK(f.get("/api/v1/hooks/history").second["history"].empty());
}

TEST_CASE("dry run calls nothing and records what it would have done", "[integration][release]") {
  ::setenv("SLOGUARD_TEST_WEBHOOK_SECRET", kSecret, 1);
  ManualClock receiver_clock(kT0 * 1000);
  WebhookReceiver receiver(receiver_clock);
  ServerFixture f(release_yaml(receiver.url(), ", dry_run: true"), kT0);
  const std::string id = register_deployment(f, "v2", "v1");
  script_release(f, 300);
  f.server().evaluate_now();
  CHECK(receiver.valid() + receiver.invalid() == 0);
  auto history = f.get("/api/v1/hooks/history").second["history"];
  REQUIRE(history.size() == 1);
  CHECK(history[0]["result"] == "dry_run");
  const std::string action = history[0]["action"].get<std::string>();
  CHECK(action.rfind("POST http://127.0.0.1:", 0) == 0);
  CHECK(action.substr(action.size() - 4) == "/...");
  CHECK(history[0]["reason"].get<std::string>().find("error ratio 30.00%") != std::string::npos);
  // A dry run does not hold the gate.
  CHECK_FALSE(has_reason(gate(f), "rollback_cooldown"));
}

TEST_CASE("an exec hook that hangs is killed at its timeout and recorded as failed", "[integration][release]") {
  ServerFixture f(kBase +
                  "release:\n  verification: {period: 10m, min_requests: 100}\n"
                  "  rollback: {hooks: [undo]}\n"
                  "  hooks: [{name: undo, kind: exec, argv: [/bin/sh, -c, \"echo rolling back $SLOGUARD_SERVICE to "
                  "$SLOGUARD_PREVIOUS_VERSION; sleep 30\"], timeout: 300ms}]\n");
  register_deployment(f, "v2", "v1");
  script_release(f, 200);
  const auto started = std::chrono::steady_clock::now();
  f.server().evaluate_now();
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(10));
  auto history = f.get("/api/v1/hooks/history").second["history"];
  REQUIRE(history.size() == 1);
  CHECK(history[0]["result"] == "failed");
  CHECK(history[0]["detail"].get<std::string>().find("timed out") != std::string::npos);
  CHECK(history[0]["output"] == "rolling back checkout to v1\n");
}

}  // namespace
}  // namespace sloguard::testing
