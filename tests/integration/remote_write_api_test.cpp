// POST /api/v1/write with hand-built remote_write 1.0 requests against an in-process sloguard:
// counter semantics, duplicates and retries, staleness, histograms, HA pairs, limits, restarts,
// and bodies that must be refused with a 4xx that says why.
#include <catch2/catch.hpp>
#include <limits>
#include <regex>

#include "remote_write_body.h"
#include "server_fixture.h"

using namespace sloguard;
using sloguard::testing::RwSample;
using sloguard::testing::RwSeries;
using sloguard::testing::ServerFixture;

namespace {

constexpr int64_t kNow = 1767225600;  // 2026-01-01T00:00:00Z, the fixture's clock
constexpr int64_t kT0 = (kNow - 1800) * 1000;  // samples start 30 minutes before now

const char* kConfig = R"(
services:
  - name: checkout
  - name: search
remote_write:
  ha: {cluster_label: cluster, replica_label: __replica__, failover_timeout: 30s}
  max_series: 50
  max_series_per_service: 4
  mappings:
    - metric: http_requests_total
      service_label: job
      status_label: code
      endpoint_label: handler
    - histogram: http_request_duration_seconds
      service_label: job
      status_label: code
      buckets: [0.1, 0.5, 1]
slos:
  - name: checkout-availability
    service: checkout
    objective: 99%
    window: 1h
    sli: {kind: availability}
  - name: search-latency
    service: search
    objective: 95%
    window: 1h
    sli: {kind: latency, threshold: 500ms}
)";

RwSeries counter(const std::string& job, const std::string& code, std::vector<RwSample> samples,
                 const std::string& handler = "/pay", std::vector<std::pair<std::string, std::string>> extra = {}) {
  RwSeries s;
  s.labels = {{"__name__", "http_requests_total"}, {"code", code}, {"handler", handler}, {"instance", "a:9090"},
              {"job", job}};
  for (auto& l : extra) s.labels.push_back(l);
  std::sort(s.labels.begin(), s.labels.end());
  s.samples = std::move(samples);
  return s;
}

RwSeries bucket(const std::string& le, double v, int64_t ts, const std::string& code = "200") {
  RwSeries s;
  s.labels = {{"__name__", "http_request_duration_seconds_bucket"}, {"code", code}, {"instance", "a:9090"},
              {"job", "search"}, {"le", le}};
  s.samples = {{v, ts}};
  return s;
}

std::pair<int, std::string> write(ServerFixture& f, const std::string& body,
                                  const std::string& type = "application/x-protobuf") {
  httplib::Headers h = {{"Content-Encoding", "snappy"}, {"X-Prometheus-Remote-Write-Version", "0.1.0"}};
  auto res = f.http().Post("/api/v1/write", h, body, type.c_str());
  REQUIRE(res);
  return {res->status, res->body};
}

nlohmann::json sli(ServerFixture& f, const std::string& slo) {
  auto [code, body] = f.get("/api/v1/slos/" + slo + "?at=" + std::to_string(kNow));
  REQUIRE(code == 200);
  return body["sli"];
}

// The value of one sample line in /metrics ("name{labels}"), 0 when absent.
double metric(ServerFixture& f, const std::string& series) {
  auto res = f.http().Get("/metrics");
  REQUIRE(res);
  std::string::size_type pos = 0;
  while ((pos = res->body.find(series + " ", pos)) != std::string::npos) {
    if (pos == 0 || res->body[pos - 1] == '\n') return std::stod(res->body.substr(pos + series.size() + 1));
    ++pos;
  }
  return 0;
}

}  // namespace

TEST_CASE("remote_write: counter increases become events exactly across a reset") {
  ServerFixture f(kConfig);
  auto r = write(f, testing::write_request({
                        counter("checkout", "200", {{1000, kT0}, {1100, kT0 + 15000}, {1250, kT0 + 30000}}),
                        counter("checkout", "503", {{7, kT0}, {9, kT0 + 15000}}),
                    }));
  CHECK(r.first == 204);
  CHECK(r.second == "");
  auto s = sli(f, "checkout-availability");
  CHECK(s["total"] == 252);  // 100 + 150 + 2: the first sample of each series gives no increase
  CHECK(s["good"] == 250);

  // A counter reset: 1250 -> 40 counts 40.
  REQUIRE(write(f, testing::write_request({counter("checkout", "200", {{40, kT0 + 45000}})})).first == 204);
  CHECK(sli(f, "checkout-availability")["total"] == 292);
  CHECK(metric(f, "sloguard_remote_write_samples_total{result=\"first_sample\"}") == 2);
  CHECK(metric(f, "sloguard_remote_write_samples_total{result=\"accepted\"}") == 4);
  CHECK(metric(f, "sloguard_events_ingested_total{service=\"checkout\"}") == 292);
  CHECK(metric(f, "sloguard_remote_write_requests_total{code=\"204\"}") == 2);

  // Per endpoint too.
  auto [code, ep] = f.get("/api/v1/latency?service=checkout&window=1h&at=" + std::to_string(kNow));
  CHECK(code == 200);
}

TEST_CASE("remote_write: a retried request and out-of-order samples are counted once") {
  ServerFixture f(kConfig);
  const std::string first = testing::write_request({counter("checkout", "200", {{10, kT0}, {20, kT0 + 15000}})});
  const std::string second = testing::write_request({counter("checkout", "200", {{35, kT0 + 30000}})});
  REQUIRE(write(f, first).first == 204);
  REQUIRE(write(f, second).first == 204);
  // The sender timed out on both although they succeeded, and sends them again.
  REQUIRE(write(f, first).first == 204);
  REQUIRE(write(f, second).first == 204);
  // A sample older than the last stored one.
  REQUIRE(write(f, testing::write_request({counter("checkout", "200", {{25, kT0 + 20000}})})).first == 204);
  CHECK(sli(f, "checkout-availability")["total"] == 25);
  // The retried second request is at the last stored timestamp; the retried first one and the
  // late sample are before it.
  CHECK(metric(f, "sloguard_remote_write_samples_total{result=\"duplicate\"}") == 1);
  CHECK(metric(f, "sloguard_remote_write_samples_total{result=\"out_of_order\"}") == 3);
}

TEST_CASE("remote_write: a staleness marker ends a series without an increase") {
  ServerFixture f(kConfig);
  REQUIRE(write(f, testing::write_request({counter("checkout", "200", {{10, kT0}, {20, kT0 + 15000}})})).first == 204);
  REQUIRE(write(f, testing::write_request(
                       {counter("checkout", "200", {{testing::stale_marker(), kT0 + 30000}})})).first == 204);
  // The series comes back (a new process): its first sample again gives no increase.
  REQUIRE(write(f, testing::write_request({counter("checkout", "200", {{3, kT0 + 60000}, {5, kT0 + 75000}})})).first ==
          204);
  CHECK(sli(f, "checkout-availability")["total"] == 12);
  CHECK(metric(f, "sloguard_remote_write_samples_total{result=\"stale\"}") == 1);
}

TEST_CASE("remote_write: state survives a restart so nothing is dropped or counted twice") {
  ServerFixture f(kConfig);
  const std::string a = testing::write_request({counter("checkout", "200", {{100, kT0}, {160, kT0 + 15000}})});
  REQUIRE(write(f, a).first == 204);
  f.reopen();
  REQUIRE(write(f, a).first == 204);  // a retry after the restart: duplicates
  REQUIRE(write(f, testing::write_request({counter("checkout", "200", {{200, kT0 + 30000}})})).first == 204);
  CHECK(sli(f, "checkout-availability")["total"] == 100);
  f.reopen();
  CHECK(sli(f, "checkout-availability")["total"] == 100);
}

TEST_CASE("remote_write: a classic histogram feeds a latency SLO exactly at a bucket bound") {
  ServerFixture f(kConfig);
  const int64_t t1 = kT0, t2 = kT0 + 15000;
  REQUIRE(write(f, testing::write_request({bucket("0.1", 0, t1), bucket("0.5", 0, t1), bucket("1", 0, t1),
                                           bucket("+Inf", 0, t1)}))
              .first == 204);
  // 60 events <= 100ms, 30 in (100ms, 500ms], 6 in (500ms, 1s], 4 above 1s; the buckets of one
  // scrape arrive in two requests, the +Inf bucket last.
  REQUIRE(write(f, testing::write_request({bucket("0.5", 90, t2), bucket("0.1", 60, t2)})).first == 204);
  CHECK(sli(f, "search-latency")["total"] == 0);  // the scrape is not complete yet
  REQUIRE(write(f, testing::write_request({bucket("1", 96, t2), bucket("+Inf", 100, t2)})).first == 204);
  auto s = sli(f, "search-latency");
  CHECK(s["total"] == 100);
  CHECK(s["good"] == 90);
  // _count and _sum are read as the histogram's, not as events of their own.
  RwSeries count_series = bucket("+Inf", 100, t2);
  count_series.labels = {{"__name__", "http_request_duration_seconds_count"}, {"job", "search"}};
  REQUIRE(write(f, testing::write_request({count_series})).first == 204);
  CHECK(metric(f, "sloguard_remote_write_samples_total{result=\"ignored\"}") == 1);
  // Percentiles come from the buckets: p50 is in the first bucket, reported at its bound.
  auto [code, lat] = f.get("/api/v1/latency?service=search&window=1h&at=" + std::to_string(kNow));
  REQUIRE(code == 200);
  INFO(lat.dump());
  CHECK(lat["latency"]["count"] == 100);
  CHECK(lat["latency"]["p50"].get<double>() == Approx(100).epsilon(0.01));  // the 100ms bucket's bound
  CHECK(lat["latency"]["p95"].get<double>() == Approx(1000).epsilon(0.01));  // the 1s bucket's bound
}

TEST_CASE("remote_write: an HA pair is counted once and the other replica takes over") {
  ServerFixture f(kConfig);
  auto replica = [](const std::string& r, std::vector<RwSample> samples) {
    return counter("checkout", "200", std::move(samples), "/pay", {{"cluster", "eu"}, {"__replica__", r}});
  };
  REQUIRE(write(f, testing::write_request({replica("a", {{100, kT0}, {110, kT0 + 15000}})})).first == 204);
  // Replica b scrapes the same target a few seconds later: dropped while a is alive.
  REQUIRE(write(f, testing::write_request({replica("b", {{104, kT0 + 5000}, {113, kT0 + 20000}})})).first == 204);
  CHECK(sli(f, "checkout-availability")["total"] == 10);
  CHECK(metric(f, "sloguard_remote_write_samples_total{result=\"ha_replica\"}") == 2);
  // a goes silent for longer than failover_timeout: b is elected and continues the same series.
  f.clock().advance(std::chrono::milliseconds(31000));
  REQUIRE(write(f, testing::write_request({replica("b", {{140, kT0 + 50000}})})).first == 204);
  CHECK(sli(f, "checkout-availability")["total"] == 40);
  // a comes back but b is the elected replica now.
  REQUIRE(write(f, testing::write_request({replica("a", {{150, kT0 + 60000}})})).first == 204);
  CHECK(sli(f, "checkout-availability")["total"] == 40);
}

TEST_CASE("remote_write: unmapped metrics and unknown services and bad statuses are dropped and counted") {
  ServerFixture f(kConfig);
  RwSeries other;
  other.labels = {{"__name__", "go_goroutines"}, {"job", "checkout"}};
  other.samples = {{12, kT0}};
  auto r = write(f, testing::write_request({other, counter("billing", "200", {{1, kT0}}),
                                            counter("checkout", "OK", {{1, kT0}}),
                                            counter("checkout", "200", {{1, kT0}})}));
  CHECK(r.first == 204);
  CHECK(metric(f, "sloguard_remote_write_samples_total{result=\"unmapped\"}") == 1);
  CHECK(metric(f, "sloguard_remote_write_samples_total{result=\"unknown_service\"}") == 1);
  CHECK(metric(f, "sloguard_remote_write_samples_total{result=\"invalid_status\"}") == 1);
  CHECK(metric(f, "sloguard_remote_write_samples_total{result=\"first_sample\"}") == 1);
}

TEST_CASE("remote_write: native histograms and exemplars are skipped and counted and never an error") {
  ServerFixture f(kConfig);
  RwSeries s = counter("checkout", "200", {{1, kT0}});
  s.exemplars = 2;
  RwSeries native;
  native.labels = {{"__name__", "http_request_duration_seconds"}, {"job", "checkout"}};
  native.native_histograms = 3;
  CHECK(write(f, testing::write_request({s, native})).first == 204);
  CHECK(metric(f, "sloguard_remote_write_samples_total{result=\"exemplar\"}") == 2);
  CHECK(metric(f, "sloguard_remote_write_samples_total{result=\"native_histogram\"}") == 3);
}

TEST_CASE("remote_write: series limits bound what a sender can create") {
  ServerFixture f(kConfig);
  // max_series_per_service 4: {checkout} plus three endpoints; more endpoints still count for
  // the service.
  std::vector<RwSeries> many;
  for (int i = 0; i < 10; ++i) many.push_back(counter("checkout", "200", {{0, kT0}, {1, kT0 + 15000}}, "/h" + std::to_string(i)));
  REQUIRE(write(f, testing::write_request(many)).first == 204);
  CHECK(sli(f, "checkout-availability")["total"] == 10);
  CHECK(metric(f, "sloguard_remote_write_series_limited_total{service=\"checkout\"}") == 14);
  // max_series 50: 40 more remote series fit, the rest are refused.
  many.clear();
  for (int i = 0; i < 60; ++i) {
    many.push_back(counter("checkout", "200", {{0, kT0}}, "/h0", {{"pod", "p" + std::to_string(i)}}));
  }
  REQUIRE(write(f, testing::write_request(many)).first == 204);
  CHECK(metric(f, "sloguard_remote_write_samples_total{result=\"series_limit\"}") == 20);
  CHECK(metric(f, "sloguard_remote_write_series") == 50);
}

TEST_CASE("remote_write: bodies that are not remote_write 1.0 get a 4xx that says why") {
  ServerFixture f(kConfig);
  const std::string good = testing::write_request({counter("checkout", "200", {{1, kT0}, {2, kT0 + 15000}})});
  SECTION("not snappy") {
    auto r = write(f, "this is not snappy at all, just text");
    CHECK(r.first == 400);
    CHECK(r.second.find("snappy") != std::string::npos);
  }
  SECTION("truncated") {
    auto r = write(f, good.substr(0, good.size() / 2));
    CHECK(r.first == 400);
    CHECK(r.second.find("snappy") != std::string::npos);
  }
  SECTION("snappy, but not a WriteRequest") {
    auto r = write(f, testing::snappy_compress("\x0a\xff\xff\xff\x0f garbage"));
    CHECK(r.first == 400);
    CHECK(r.second.find("WriteRequest") != std::string::npos);
  }
  SECTION("another protobuf message (remote write 2.0 fields)") {
    std::string v2;
    v2 += '\x22';  // field 4, length-delimited: symbols
    v2 += '\x03';
    v2 += "job";
    auto r = write(f, testing::snappy_compress(v2));
    CHECK(r.first == 400);
    CHECK(r.second.find("field 4") != std::string::npos);
  }
  SECTION("remote write 2.0 content type") {
    auto r = write(f, good, "application/x-protobuf;proto=io.prometheus.write.v2.Request");
    CHECK(r.first == 415);
  }
  SECTION("a series without __name__, or with a label twice") {
    RwSeries noname;
    noname.labels = {{"job", "checkout"}};
    noname.samples = {{1, kT0}};
    auto r = write(f, testing::write_request({counter("checkout", "200", {{1, kT0}}), noname}));
    CHECK(r.first == 400);
    CHECK(r.second.find("timeseries[1]") != std::string::npos);
    CHECK(r.second.find("__name__") != std::string::npos);
    RwSeries twice = counter("checkout", "200", {{1, kT0}});
    twice.labels.push_back({"job", "search"});
    r = write(f, testing::write_request({twice}));
    CHECK(r.first == 400);
    CHECK(r.second.find("\\\"job\\\" appears more than once") != std::string::npos);
  }
  SECTION("over the body limit") {
    std::string big(11 * 1024 * 1024, 'x');
    auto r = write(f, big);
    CHECK(r.first == 413);
  }
  // Nothing of a refused request was stored, and the daemon still takes good requests.
  CHECK(sli(f, "checkout-availability")["total"] == 0);
  CHECK(write(f, good).first == 204);
  CHECK(sli(f, "checkout-availability")["total"] == 1);
}

TEST_CASE("remote_write: idle series make room when max_series is reached") {
  ServerFixture f(kConfig);
  std::vector<RwSeries> many;
  for (int i = 0; i < 50; ++i) many.push_back(counter("checkout", "200", {{0, kT0}}, "/h0", {{"pod", "p" + std::to_string(i)}}));
  REQUIRE(write(f, testing::write_request(many)).first == 204);
  REQUIRE(write(f, testing::write_request({counter("checkout", "200", {{0, kT0}}, "/h0", {{"pod", "new"}})})).first == 204);
  CHECK(metric(f, "sloguard_remote_write_samples_total{result=\"series_limit\"}") == 1);
  f.clock().advance(std::chrono::hours(2));  // idle_timeout is 1h by default
  REQUIRE(write(f, testing::write_request({counter("checkout", "200", {{0, kT0}}, "/h0", {{"pod", "new"}})})).first == 204);
  CHECK(metric(f, "sloguard_remote_write_series") == 1);
}

TEST_CASE("remote_write: label values holding separator bytes cannot pose as another series") {
  ServerFixture f(kConfig);
  REQUIRE(write(f, testing::write_request({counter("checkout", "200", {{0, kT0}})})).first == 204);
  RwSeries forged;
  forged.labels = {{"__name__", "http_requests_total"}, {"code", std::string("200\x1ehandler\x1f/pay", 16)},
                   {"instance", "a:9090"}, {"job", "checkout"}};
  forged.samples = {{1000, kT0 + 15000}};
  REQUIRE(write(f, testing::write_request({forged})).first == 204);
  CHECK(sli(f, "checkout-availability")["total"] == 0);
}

TEST_CASE("remote_write: state written as journal records and snapshots survives restarts") {
  ServerFixture f(kConfig);
  // More requests than one snapshot interval (1,024 records), some series coming and going.
  int64_t ts = kT0;
  double value = 0;
  for (int i = 0; i < 1100; ++i) {
    ts += 1000;
    value += 2;
    std::vector<RwSeries> req = {counter("checkout", "200", {{value, ts}})};
    if (i % 100 == 0) req.push_back(counter("checkout", "503", {{static_cast<double>(i), ts}}));
    REQUIRE(write(f, testing::write_request(req)).first == 204);
  }
  const auto before = sli(f, "checkout-availability");
  CHECK(before["total"] == 2 * 1099 + 1000);  // 1,099 increases of 2, and the 503 series' 10 samples: 1000 in all
  f.reopen();
  CHECK(sli(f, "checkout-availability") == before);
  // The last values came back: a retry is all duplicates, the next sample its increase.
  REQUIRE(write(f, testing::write_request({counter("checkout", "200", {{value, ts}})})).first == 204);
  REQUIRE(write(f, testing::write_request({counter("checkout", "200", {{value + 5, ts + 1000}})})).first == 204);
  CHECK(sli(f, "checkout-availability")["total"] == before["total"].get<int>() + 5);
  f.reopen();
  REQUIRE(write(f, testing::write_request({counter("checkout", "200", {{value + 6, ts + 2000}})})).first == 204);
  CHECK(sli(f, "checkout-availability")["total"] == before["total"].get<int>() + 6);
}
