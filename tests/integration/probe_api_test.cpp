// Probes end to end: results pushed through POST /api/v1/probes and results of the built-in
// prober against a loopback server started here, both feeding a probe SLI.
#include <atomic>
#include <thread>

#include "server_fixture.h"

using namespace sloguard;
using nlohmann::json;

namespace {

constexpr int64_t kNow = 1767225600;

// A loopback HTTP server whose /health answers with the status the test sets.
class Target {
 public:
  Target() {
    server_.Get("/health", [this](const httplib::Request&, httplib::Response& res) {
      res.status = status_.load();
      res.set_content(res.status == 200 ? "ok" : "broken", "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    // Connections queue in the backlog from bind() on, so requests may start at once.
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~Target() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  void answer(int status) { status_ = status; }

 private:
  httplib::Server server_;
  std::atomic<int> status_{200};
  int port_ = 0;
  std::thread thread_;
};

std::string config_for(int target_port) {
  return R"(
services:
  - name: checkout
    probes:
      - name: checkout-health
        interval: 10s
        timeout: 2s
        http: {url: "http://127.0.0.1:)" +
         std::to_string(target_port) + R"(/health", body_contains: ok}
      - name: checkout-edge
        interval: 30s
        http: {url: "http://127.0.0.1:1/never?token=secret-in-query"}
slos:
  - name: checkout-probe
    service: checkout
    objective: 90%
    window: 7d
    sli: {kind: probe, probe: checkout-health}
)";
}

}  // namespace

TEST_CASE("the built-in prober's results feed a probe SLI, /api/v1/probes and /metrics") {
  Target target;
  testing::ServerFixture fx(config_for(target.port()), kNow);
  for (int i = 0; i < 9; ++i) fx.server().probe_now();
  target.answer(503);
  fx.server().probe_now();

  auto [code, slo] = fx.get("/api/v1/slos/checkout-probe?at=" + std::to_string(kNow + 60));
  REQUIRE(code == 200);
  CHECK(slo["sli_kind"] == "probe");
  CHECK(slo["sli"]["total"] == 10);
  CHECK(slo["sli"]["good"] == 9);

  auto [c2, probes] = fx.get("/api/v1/probes");
  REQUIRE(c2 == 200);
  REQUIRE(probes["probes"].size() == 2);
  const json& health = probes["probes"][0];
  CHECK(health["name"] == "checkout-health");
  CHECK(health["last"]["success"] == false);
  CHECK(health["last"]["outcome"] == "status");
  CHECK(health["last"]["http_status"] == 503);
  const json& edge = probes["probes"][1];
  CHECK(edge["last"]["outcome"] == "connect");
  CHECK(probes.dump().find("secret-in-query") == std::string::npos);

  auto res = fx.http().Get("/metrics");
  REQUIRE(res);
  CHECK(res->body.find("probe_success{probe=\"checkout-health\",service=\"checkout\"} 0") != std::string::npos);
  CHECK(res->body.find("sloguard_probe_results_total{outcome=\"success\",probe=\"checkout-health\",service=\"checkout\"} 9") !=
        std::string::npos);
  CHECK(res->body.find("sloguard_probe_results_total{outcome=\"connect\",probe=\"checkout-edge\",service=\"checkout\"} 10") !=
        std::string::npos);
}

TEST_CASE("POST /api/v1/probes takes results from outside probers, with the rules of events") {
  testing::ServerFixture fx(config_for(1), kNow);
  auto [ok, accepted] = fx.post("/api/v1/probes", R"({"results":[
    {"probe":"checkout-health","ts":1767225500,"success":true,"latency_ms":12},
    {"probe":"checkout-health","ts":"2026-01-01T00:00:10Z","success":false,"reason":"timeout","latency_ms":2000},
    {"probe":"checkout-health","ts":1767225560,"success":true}]})");
  CHECK(ok == 202);
  CHECK(accepted["accepted"] == 3);
  auto [code, slo] = fx.get("/api/v1/slos/checkout-probe?at=" + std::to_string(kNow + 60));
  REQUIRE(code == 200);
  CHECK(slo["sli"]["total"] == 3);
  CHECK(slo["sli"]["good"] == 2);

  struct Case {
    std::string result;
    std::string field;
    std::string reason;
  };
  const std::vector<Case> cases = {
      {R"({"probe":"nope","ts":1767225500,"success":true})", "probe", "unknown_probe"},
      {R"({"probe":"checkout-health","ts":1767225500})", "success", "invalid_field"},
      {R"({"probe":"checkout-health","ts":1767225500,"success":"yes"})", "success", "invalid_field"},
      {R"({"probe":"checkout-health","ts":1767225500,"success":false,"reason":"gremlins"})", "reason", "invalid_field"},
      {R"({"probe":"checkout-health","ts":1767225500,"success":true,"latency_ms":-1})", "latency_ms", "invalid_field"},
      {R"({"probe":"checkout-health","ts":1767226000,"success":true})", "ts", "timestamp_out_of_range"},
  };
  for (const auto& c : cases) {
    INFO(c.result);
    auto [bad, body] = fx.post("/api/v1/probes", R"({"results":[{"probe":"checkout-health","ts":1767225500,"success":true},)" +
                                                     c.result + "]}");
    CHECK(bad == 400);
    CHECK(body["index"] == 1);
    CHECK(body["field"] == c.field);
    CHECK(body["reason"] == c.reason);
  }
  auto [c3, again] = fx.get("/api/v1/slos/checkout-probe?at=" + std::to_string(kNow + 60));
  CHECK(again["sli"]["total"] == 3);  // nothing from the rejected batches
  CHECK(fx.post("/api/v1/probes", "{not json").first == 400);
}

TEST_CASE("two probe SLOs of one service judged per slice never share results") {
  testing::ServerFixture fx(R"(
services:
  - name: checkout
    probes:
      - {name: a, interval: 1m, http: {url: "http://127.0.0.1:1/a"}}
      - {name: b, interval: 1m, http: {url: "http://127.0.0.1:1/b"}}
slos:
  - {name: slo-a, service: checkout, objective: 90%, window: 1d, budgeting: {method: timeslices}, sli: {kind: probe, probe: a}}
  - {name: slo-b, service: checkout, objective: 90%, window: 1d, budgeting: {method: timeslices}, sli: {kind: probe, probe: b}}
)", kNow);
  json results = json::array();
  for (int m = 0; m < 180; ++m) {
    results.push_back({{"probe", "a"}, {"ts", kNow - 3 * 3600 + 60 * m}, {"success", true}});
    results.push_back({{"probe", "b"}, {"ts", kNow - 3 * 3600 + 60 * m}, {"success", false}, {"reason", "timeout"}});
  }
  REQUIRE(fx.post("/api/v1/probes", json{{"results", results}}.dump()).first == 202);
  for (int round = 0; round < 2; ++round) {  // the second round is served from the slice cache
    CHECK(fx.get("/api/v1/slos/slo-a").second["sli"]["good"] == 180);
    CHECK(fx.get("/api/v1/slos/slo-b").second["sli"]["good"] == 0);
  }
}
