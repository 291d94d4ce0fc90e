// The TSDB fixture on its own, without sloguard: the scripted data set backfilled into a real
// Prometheus and imported into a real VictoriaMetrics gives, over HTTP, exactly the counts the
// script says every window holds (the increase() sums that sloguard's Prometheus source asks
// for), across the incident and the counter reset; and a Prometheus stopped and started again
// mid-test serves the same data on the same port.
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "scripted_series.h"
#include "tsdb_fixture.h"

using namespace sloguard::testing;
using namespace std::chrono_literals;

namespace {

// Prometheus' names of the windows sloguard evaluates for a 1d SLO.
const std::vector<std::pair<std::string, int64_t>> kWindows = {{"5m", 300},    {"30m", 1800}, {"1h", 3600},
                                                               {"2h", 7200},   {"6h", 21600}, {"1d", 86400},
                                                               {"3d", 259200}};

// 4 counters and 2 x (5 buckets + count + sum) histogram series, all searchable at once after
// VictoriaMetrics' flush (polled with a deadline all the same).
const std::string kSeriesCount = "count({__name__=~\"http_request.*\",job=\"checkout\"})";

struct Query {
  std::string promql;  // with {w} for the window
  std::function<int64_t(const ScriptedSeries&, int64_t at, int64_t w)> expected;
};

std::string with_window(std::string q, const std::string& w) { return q.replace(q.find("{w}"), 3, w); }

const std::vector<Query>& queries() {
  static const std::vector<Query> q = {
      {"sum(increase(http_requests_total{job=\"checkout\"}[{w}]))",
       [](const ScriptedSeries& d, int64_t at, int64_t w) { return d.availability(at, w).total; }},
      {"sum(increase(http_requests_total{job=\"checkout\",code=~\"5..\"}[{w}]))",
       [](const ScriptedSeries& d, int64_t at, int64_t w) {
         const auto c = d.availability(at, w);
         return c.total - c.good;
       }},
      {"sum(increase(http_request_duration_seconds_bucket{job=\"checkout\",le=\"0.25\"}[{w}]))",
       [](const ScriptedSeries& d, int64_t at, int64_t w) { return d.latency(at, w).good; }},
      {"sum(increase(http_request_duration_seconds_count{job=\"checkout\"}[{w}]))",
       [](const ScriptedSeries& d, int64_t at, int64_t w) { return d.latency(at, w).total; }},
  };
  return q;
}

// Every query at every window and instant gives exactly the script's count.
void check_counts(const TsdbServer& tsdb, const char* name, const ScriptedSeries& data,
                  const std::vector<int64_t>& instants) {
  for (int64_t at : instants) {
    for (const auto& [w, seconds] : kWindows) {
      for (const auto& q : queries()) {
        const std::string promql = with_window(q.promql, w);
        const auto got = tsdb.value(promql, at);
        const int64_t want = q.expected(data, at, seconds);
        INFO(name << ": " << promql << " at " << at << " (end - " << (data.end() - at) << "s): expected " << want
                  << ", answer " << tsdb.query(promql, at).dump());
        REQUIRE(got.has_value());
        CHECK(*got == static_cast<double>(want));
      }
    }
  }
}

}  // namespace

TEST_CASE("tsdb fixture: Prometheus (promtool backfill) and VictoriaMetrics (import) hold the scripted data exactly",
          "[integration][tsdb]") {
  if (const std::string missing = missing_tsdb_binaries(); !missing.empty()) {
    WARN(missing);
    return;
  }
  const auto started = std::chrono::steady_clock::now();
  const ScriptedSeries data = ScriptedSeries::ending_before_now();
  const int64_t end = data.end();

  // The script has what the tests rely on: an incident, a reset, and events for every request.
  {
    const auto incident = data.availability(data.incident_to(), data.incident_to() - data.incident_from());
    CHECK(incident.total - incident.good > incident.total / 20);  // ~8% errors
    const auto day = data.availability(end, 86400);
    CHECK(day.total - day.good - (incident.total - incident.good) < day.total / 5000);  // quiet otherwise
    int64_t events = 0;
    for (const auto& body : data.event_batches("checkout")) {
      for (size_t p = 0; (p = body.find("\"count\":", p)) != std::string::npos; p += 8) {
        events += std::stoll(body.substr(p + 8));
      }
    }
    CHECK(events == data.availability(end, ScriptedSeries::kSpan + 60).total);
  }

  PrometheusTsdb prom(data.openmetrics());
  VictoriaMetricsTsdb vm;
  vm.import_prometheus(data.prometheus_text());
  prom.wait_value(kSeriesCount, end, 18);
  vm.wait_value(kSeriesCount, end, 18);
  const auto loaded_in = std::chrono::steady_clock::now() - started;

  // During the incident, just after the reset (the 5m window holds it), a day after the first
  // sample (the 1d window starts on it), at the last sample.
  const std::vector<int64_t> instants = {end - 35 * 60, data.reset_at() + 120, end - 4 * 3600, end};
  check_counts(prom, "prometheus", data, instants);
  check_counts(vm, "victoria-metrics", data, instants);

  // Both see instance b's reset as one, and none on a.
  for (const TsdbServer* tsdb : {static_cast<const TsdbServer*>(&prom), static_cast<const TsdbServer*>(&vm)}) {
    CHECK(tsdb->value("sum(resets(http_requests_total{job=\"checkout\",instance=\"b\",code=\"200\"}[1d]))", end) ==
          std::optional<double>(1));
    CHECK(tsdb->value("sum(resets(http_requests_total{job=\"checkout\",instance=\"a\"}[1d]))", end) ==
          std::optional<double>(0));
  }

  // Stop and restart Prometheus: refused while down, the same data on the same port after.
  const std::string q = "sum(increase(http_requests_total{job=\"checkout\"}[1d]))";
  const auto before = prom.value(q, end);
  REQUIRE(before.has_value());
  prom.stop();
  CHECK(prom.query(q, end).value("status", "") == "error");
  prom.start();
  CHECK(prom.value(q, end) == before);
  check_counts(prom, "prometheus after a restart", data, {end});

  const auto took = std::chrono::steady_clock::now() - started;
  INFO("loaded in " << std::chrono::duration_cast<std::chrono::milliseconds>(loaded_in).count() << "ms");
  CHECK(took < 60s);
}
