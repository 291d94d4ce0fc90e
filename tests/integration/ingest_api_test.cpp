// POST /api/v1/events through the real HTTP server: acceptance, every rejection, size limit.
#include <sstream>
#include "server_fixture.h"

using namespace sloguard;

namespace {

constexpr int64_t kNow = 1767225600;

const char* kConfig = R"(
server: {listen: "127.0.0.1:0", max_body_bytes: 2048}
services: [{name: checkout}]
slos:
  - {name: checkout-availability, service: checkout, objective: 99.5%, window: 30d, sli: {kind: availability}}
)";

std::string ev(const std::string& fields) { return "{\"service\":\"checkout\",\"ts\":1767225500," + fields + "}"; }

int64_t stored_total(testing::ServerFixture& fx) {
  auto [code, body] = fx.get("/api/v1/slos/checkout-availability?at=" + std::to_string(kNow + 60));
  REQUIRE(code == 200);
  return body["sli"]["total"].get<int64_t>();
}

}  // namespace

TEST_CASE("POST /api/v1/events answers 202 with the weighted count and the SLO sees it") {
  testing::ServerFixture fx(kConfig, kNow);
  auto [code, body] = fx.post("/api/v1/events", "{\"events\":[" + ev("\"status\":200") + "," +
                                                    ev("\"status\":503,\"count\":3") + "]}");
  CHECK(code == 202);
  CHECK(body == nlohmann::json{{"accepted", 4}});
  CHECK(stored_total(fx) == 4);
}

TEST_CASE("rejections are 400 with error, index and field, and store nothing") {
  testing::ServerFixture fx(kConfig, kNow);
  struct Case {
    std::string bad;
    std::string field;
    std::string reason;
  };
  const std::vector<Case> cases = {
      {R"({"service":"payments","ts":1767225500,"status":200})", "service", "unknown_service"},
      {R"({"service":"checkout","status":200})", "ts", "invalid_field"},
      {ev("\"status\":700"), "status", "invalid_field"},
      {ev("\"status\":200,\"latency_ms\":-3"), "latency_ms", "invalid_field"},
      {ev("\"status\":200,\"count\":-1"), "count", "invalid_field"},
      {ev("\"status\":200,\"count\":1e999"), "count", "invalid_field"},
      {R"({"service":"checkout","ts":1767226000,"status":200})", "ts", "timestamp_out_of_range"},
      {R"({"service":"checkout","ts":1760000000,"status":200})", "ts", "timestamp_out_of_range"},
  };
  for (const auto& c : cases) {
    INFO(c.bad);
    auto [code, body] = fx.post("/api/v1/events", "{\"events\":[" + ev("\"status\":200") + "," + c.bad + "]}");
    CHECK(code == 400);
    CHECK(body["index"] == 1);
    CHECK(body["field"] == c.field);
    CHECK(body["reason"] == c.reason);
    CHECK(body["error"].get<std::string>().rfind("events[1]." + c.field + ": ", 0) == 0);
    CHECK(body["errors"].size() >= 1);
  }
  CHECK(stored_total(fx) == 0);

  auto [code, body] = fx.post("/api/v1/events", R"({"events":[{"service":"checkout" "ts":1}]})");
  CHECK(code == 400);
  CHECK(body["reason"] == "malformed_json");
  CHECK(body["offset"] == 36);
  CHECK(body["error"].get<std::string>().find("byte offset 36") != std::string::npos);
  CHECK(stored_total(fx) == 0);
}

TEST_CASE("a body over max_body_bytes gets 413 with a JSON error") {
  testing::ServerFixture fx(kConfig, kNow);
  std::string body = "{\"events\":[";
  for (int i = 0; i < 60; ++i) {
    if (i) body += ',';
    body += ev("\"status\":200");
  }
  body += "]}";
  REQUIRE(body.size() > 2048);
  auto [code, resp] = fx.post("/api/v1/events", body);
  CHECK(code == 413);
  CHECK(resp["error"].get<std::string>().find("max_body_bytes") != std::string::npos);
  CHECK(stored_total(fx) == 0);
}

TEST_CASE("/metrics exposes SLO gauges and the service's own metrics") {
  testing::ServerFixture fx(kConfig, kNow);
  fx.post("/api/v1/events", "{\"events\":[" + ev("\"status\":200,\"count\":199") + "," + ev("\"status\":500") + "]}");
  fx.post("/api/v1/events", "{\"events\":[" + ev("\"status\":1") + "]}");
  fx.clock().set_seconds(kNow + 60);
  fx.server().evaluate_now();
  auto res = fx.http().Get("/metrics");
  REQUIRE(res);
  CHECK(res->status == 200);
  const std::string& m = res->body;
  auto has = [&](const std::string& s) {
    INFO("looking for " << s);
    CHECK(m.find(s) != std::string::npos);
  };
  has("sloguard_slo_sli_ratio{service=\"checkout\",slo=\"checkout-availability\"} 0.995");
  has("sloguard_slo_objective_ratio{service=\"checkout\",slo=\"checkout-availability\"} 0.995");
  has("sloguard_slo_error_budget_remaining_ratio{service=\"checkout\",slo=\"checkout-availability\"} ");
  has("sloguard_slo_burn_rate{service=\"checkout\",slo=\"checkout-availability\",window=\"5m\"} 0.99999");
  has("sloguard_slo_policy_status{service=\"checkout\",slo=\"checkout-availability\",status=\"emergency\"} 1");
  has("sloguard_slo_policy_status{service=\"checkout\",slo=\"checkout-availability\",status=\"normal\"} 0");
  has("sloguard_events_ingested_total{service=\"checkout\"} 200");
  has("sloguard_events_rejected_total{reason=\"invalid_field\"} 1");
  has("sloguard_http_request_duration_seconds_count{code=\"202\",method=\"POST\",route=\"/api/v1/events\"} 1");
  has("sloguard_evaluation_duration_seconds_count 1");
  // Windows without traffic are absent, never NaN.
  CHECK(m.find("NaN") == std::string::npos);
  fx.clock().set_seconds(kNow + 3 * 3600);
  fx.server().evaluate_now();
  res = fx.http().Get("/metrics");
  REQUIRE(res);
  std::istringstream lines(res->body);
  bool burn_5m = false, burn_30d = false;
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with("sloguard_slo_burn_rate{")) continue;
    burn_5m = burn_5m || line.find("window=\"5m\"") != std::string::npos;
    burn_30d = burn_30d || line.find("window=\"30d\"") != std::string::npos;
  }
  CHECK_FALSE(burn_5m);
  CHECK(burn_30d);
}

TEST_CASE("healthz and readyz answer without auth") {
  testing::ServerFixture fx(kConfig, kNow);
  CHECK(fx.get("/healthz").first == 200);
  CHECK(fx.get("/readyz").first == 200);
}
