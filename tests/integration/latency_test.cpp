// Latency through the whole path: ingest with latency_ms, exact threshold counts, percentiles
// from the sketch, time slices, groups and calendar windows.
#include <algorithm>
#include <cmath>
#include <random>

#include "server_fixture.h"

using namespace sloguard;
using nlohmann::json;

namespace {

constexpr int64_t kNow = 1767225600 + 12 * 3600 + 30 * 60;  // 2026-01-01T12:30:00Z

const char* kConfig = R"(
services: [{name: checkout}, {name: search}]
slos:
  - name: checkout-fast
    service: checkout
    objective: 95%
    window: 7d
    sli: {kind: latency, threshold: 500ms}
  - name: search-p99
    service: search
    objective: 90%
    window: 1d
    sli: {kind: percentile, percentile: 99, target: 100ms}
  - name: checkout-by-endpoint
    service: checkout
    objective: 99%
    window: 7d
    group_by: [endpoint]
    max_groups: 2
    sli: {kind: availability}
  - name: checkout-month
    service: checkout
    objective: 99%
    window: month
    time_zone: Asia/Tokyo
    sli: {kind: availability}
)";

struct Ev {
  std::string service;
  int64_t ts;
  int status;
  double latency;
  std::string endpoint;
};

void send(testing::ServerFixture& fx, const std::vector<Ev>& evs) {
  for (size_t i = 0; i < evs.size(); i += 500) {
    json events = json::array();
    for (size_t j = i; j < std::min(evs.size(), i + 500); ++j) {
      json e = {{"service", evs[j].service}, {"ts", evs[j].ts}, {"status", evs[j].status},
                {"latency_ms", evs[j].latency}};
      if (!evs[j].endpoint.empty()) e["endpoint"] = evs[j].endpoint;
      events.push_back(e);
    }
    auto [code, body] = fx.post("/api/v1/events", json{{"events", events}}.dump());
    REQUIRE(code == 202);
  }
}

double exact_quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(std::floor(q * static_cast<double>(v.size() - 1)))];
}

}  // namespace

TEST_CASE("a latency SLI counts events at or under the threshold exactly") {
  testing::ServerFixture fx(kConfig, kNow);
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> lat(std::log(300.0), 0.6);
  std::vector<Ev> evs;
  uint64_t good = 0;
  for (int i = 0; i < 5000; ++i) {
    double l = i % 50 == 0 ? 500.0 : std::round(lat(rng) * 1000) / 1000;  // some exactly on the threshold
    evs.push_back({"checkout", kNow - static_cast<int64_t>(rng() % (2 * 86400)) - 1, 200, l, ""});
    if (l <= 500.0) ++good;
  }
  send(fx, evs);
  auto [code, body] = fx.get("/api/v1/slos/checkout-fast");
  REQUIRE(code == 200);
  CHECK(body["sli_kind"] == "latency");
  CHECK(body["sli"]["total"] == 5000);
  CHECK(body["sli"]["good"] == good);
  // Percentiles over the SLO window from the sketch: within 1% of the exact ones.
  std::vector<double> all;
  for (const auto& e : evs) all.push_back(e.latency);
  for (auto [key, q] : {std::pair{"p50", 0.5}, {"p90", 0.9}, {"p99", 0.99}, {"p99.9", 0.999}}) {
    double exact = exact_quantile(all, q);
    INFO(key);
    CHECK(std::abs(body["latency"][key].get<double>() - exact) <= 0.01 * exact);
  }
}

TEST_CASE("GET /api/v1/latency gives percentiles for a service, an endpoint and a window") {
  testing::ServerFixture fx(kConfig, kNow);
  std::mt19937_64 rng(11);
  std::vector<Ev> evs;
  std::vector<double> last_hour_pay;
  for (int i = 0; i < 4000; ++i) {
    const bool pay = i % 2 == 0;
    const int64_t ts = kNow - 1 - static_cast<int64_t>(rng() % 7200);
    const double l = pay ? 100.0 + static_cast<double>(rng() % 900) : 5.0 + static_cast<double>(rng() % 20);
    evs.push_back({"checkout", ts, 200, l, pay ? "/api/pay" : "/api/cart"});
    if (pay && ts >= kNow - 3600) last_hour_pay.push_back(l);
  }
  send(fx, evs);
  auto [code, body] = fx.get("/api/v1/latency?service=checkout&window=1h&endpoint=/api/pay");
  REQUIRE(code == 200);
  CHECK(body["latency"]["count"] == last_hour_pay.size());
  for (auto [key, q] : {std::pair{"p50", 0.5}, {"p95", 0.95}, {"p99", 0.99}}) {
    double exact = exact_quantile(last_hour_pay, q);
    INFO(key);
    CHECK(std::abs(body["latency"][key].get<double>() - exact) <= 0.01 * exact);
  }
  CHECK(fx.get("/api/v1/latency?service=nope").first == 404);
  CHECK(fx.get("/api/v1/latency?service=checkout&window=90s").first == 400);
  auto [c2, none] = fx.get("/api/v1/latency?service=search&window=5m");
  CHECK(c2 == 200);
  CHECK(none["latency"].is_null());
}

TEST_CASE("a percentile SLI is judged per minute slice from stored latencies") {
  testing::ServerFixture fx(kConfig, kNow);
  // Ten minutes of traffic: minutes 2, 5 and 8 are slow (every request 150 ms).
  std::vector<Ev> evs;
  for (int m = 0; m < 10; ++m) {
    const int64_t minute = kNow - 600 + 60 * m;
    const bool slow = m == 2 || m == 5 || m == 8;
    for (int i = 0; i < 100; ++i) evs.push_back({"search", minute + i % 60, 200, slow ? 150.0 : 20.0 + i % 10, ""});
  }
  send(fx, evs);
  auto [code, body] = fx.get("/api/v1/slos/search-p99");
  REQUIRE(code == 200);
  CHECK(body["budgeting"] == "timeslices");
  CHECK(body["slice_seconds"] == 60);
  CHECK(body["sli"]["total"] == 10);
  CHECK(body["sli"]["good"] == 7);
  // 5m window: minutes 5..9, two slow (5 and 8): 40% bad / 10% allowed.
  CHECK(body["burn_rates"]["5m"].get<double>() == Approx(4.0));
  CHECK(body["burn_rates"]["1h"].get<double>() == Approx(3.0));

  fx.server().evaluate_now();
  auto res = fx.http().Get("/metrics");
  REQUIRE(res);
  const std::string& m = res->body;
  CHECK(m.find("sloguard_slo_timeslices{kind=\"good\",service=\"search\",slo=\"search-p99\"} 7") != std::string::npos);
  CHECK(m.find("sloguard_slo_timeslices{kind=\"total\",service=\"search\",slo=\"search-p99\"} 10") != std::string::npos);
  // p99 of the whole day's 1,000 latencies is the 150 ms of the slow minutes: within 1%.
  auto pos = m.find("sloguard_slo_latency_seconds{quantile=\"0.99\",service=\"search\",slo=\"search-p99\"} ");
  REQUIRE(pos != std::string::npos);
  double p99 = std::stod(m.substr(m.find('}', pos) + 2));
  CHECK(std::abs(p99 - 0.150) <= 0.0015);
}

TEST_CASE("group_by makes one SLO instance per endpoint, bounded by max_groups") {
  testing::ServerFixture fx(kConfig, kNow);
  std::vector<Ev> evs;
  for (int i = 0; i < 300; ++i) {
    const char* ep = i % 3 == 0 ? "/a" : i % 3 == 1 ? "/b" : "/c";
    // /a: all good; /b: 10% 5xx; /c (third seen, over max_groups): counted only.
    int status = (i % 3 == 1 && i % 30 == 1) ? 503 : 200;
    evs.push_back({"checkout", kNow - 100 - i, status, 10, ep});
  }
  send(fx, evs);
  auto [code, body] = fx.get("/api/v1/slos/checkout-by-endpoint");
  REQUIRE(code == 200);
  REQUIRE(body["groups"].size() == 2);
  CHECK(body["groups"][0]["group"] == "/a");
  CHECK(body["groups"][0]["sli"]["ratio"] == 1.0);
  CHECK(body["groups"][1]["group"] == "/b");
  CHECK(body["groups"][1]["sli"]["good"] == 90);
  CHECK(body["groups"][1]["sli"]["total"] == 100);
  CHECK(body["overflow"]["groups"] == json::array({"/c"}));
  CHECK(body["overflow"]["events"] == 100);
  auto [c2, one] = fx.get("/api/v1/slos/checkout-by-endpoint?group=/b");
  REQUIRE(c2 == 200);
  CHECK(one["group"] == "/b");
  CHECK(one["sli"]["total"] == 100);
  CHECK(fx.get("/api/v1/slos/checkout-by-endpoint?group=/zzz").first == 404);
  CHECK(fx.get("/api/v1/slos/checkout-fast?group=/a").first == 400);

  fx.server().evaluate_now();
  auto res = fx.http().Get("/metrics");
  REQUIRE(res);
  CHECK(res->body.find("sloguard_slo_sli_ratio{group=\"/b\",service=\"checkout\",slo=\"checkout-by-endpoint\"} 0.9") !=
        std::string::npos);
  CHECK(res->body.find("sloguard_slo_overflow_events{service=\"checkout\",slo=\"checkout-by-endpoint\"} 100") !=
        std::string::npos);
}

TEST_CASE("a calendar month in a time zone starts at local midnight of the 1st") {
  // 2026-01-31T16:00:00Z is 2026-02-01T01:00 in Tokyo (UTC+9): the Tokyo month began at
  // 2026-01-31T15:00:00Z.
  const int64_t now = 1769875200;  // 2026-01-31T16:00:00Z
  testing::ServerFixture fx(kConfig, now);
  std::vector<Ev> evs = {
      {"checkout", now - 3600 - 60, 503, 10, ""},  // 14:59Z: January in Tokyo, not counted
      {"checkout", now - 3600, 200, 10, ""},       // 15:00Z: February in Tokyo
      {"checkout", now - 60, 503, 10, ""},
  };
  send(fx, evs);
  auto [code, body] = fx.get("/api/v1/slos/checkout-month");
  REQUIRE(code == 200);
  CHECK(body["window"] == "month");
  CHECK(body["window_start"] == now - 3600);
  CHECK(body["window_end"] == 1772290800);  // 2026-03-01T00:00 Tokyo = 2026-02-28T15:00:00Z
  CHECK(body["sli"]["total"] == 2);
  CHECK(body["sli"]["good"] == 1);
}

TEST_CASE("late events for an hour whose slices were already judged change the verdict") {
  testing::ServerFixture fx(kConfig, kNow);
  std::vector<Ev> evs;
  // Three hours of fast minutes: 180 good slices.
  for (int m = 0; m < 180; ++m) {
    for (int i = 0; i < 5; ++i) evs.push_back({"search", kNow - 3 * 3600 + 60 * m + i, 200, 20.0, ""});
  }
  send(fx, evs);
  auto [c1, before] = fx.get("/api/v1/slos/search-p99");
  REQUIRE(c1 == 200);
  CHECK(before["sli"]["good"] == 180);
  CHECK(before["sli"]["total"] == 180);
  // A slow burst lands late in a minute of the first hour, and a new minute of the second hour.
  std::vector<Ev> late;
  for (int i = 0; i < 50; ++i) late.push_back({"search", kNow - 3 * 3600 + 600 + 1, 200, 900.0, ""});
  late.push_back({"search", kNow - 2 * 3600 + 30 * 60 + 5, 200, 20.0, ""});  // already a slice: unchanged
  send(fx, late);
  auto [c2, after] = fx.get("/api/v1/slos/search-p99");
  REQUIRE(c2 == 200);
  CHECK(after["sli"]["total"] == 180);
  CHECK(after["sli"]["good"] == 179);
  // The same answer from a fresh server that has no cache.
  fx.reopen();
  auto [c3, fresh] = fx.get("/api/v1/slos/search-p99");
  REQUIRE(c3 == 200);
  CHECK(fresh["sli"] == after["sli"]);
  CHECK(fresh["burn_rates"] == after["burn_rates"]);
}
