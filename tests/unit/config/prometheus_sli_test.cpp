// sli.prometheus: the PromQL of an SLI's raw counters, for `sloguard rules export`.
#include "config_test_util.h"

using namespace sloguard::config;
using namespace sloguard::config::testing;

namespace {

// The SLO's sli is on line 7, its kind on 8, `prometheus` on 9 and its keys from line 10.
std::string with_prometheus(const std::string& kind, const std::string& keys) {
  return "services: [{name: checkout}]\n"
         "slos:\n"
         "  - name: checkout-availability\n"
         "    service: checkout\n"
         "    objective: 99.9%\n"
         "    window: 30d\n"
         "    sli:\n"
         "      kind: " + kind + "\n"
         "      prometheus:\n" + keys;
}

}  // namespace

TEST_CASE("sli.prometheus takes two of good, bad and total", "[config]") {
  auto r = load(with_prometheus("availability",
                                "        total: http_requests_total{job=\"checkout\"}\n"
                                "        bad: http_requests_total{job=\"checkout\",code=~\"5..\"}\n"));
  INFO(all_errors(r));
  REQUIRE(r.ok());
  const auto& q = r.config->slos[0].sli.prometheus;
  CHECK(q.total == "http_requests_total{job=\"checkout\"}");
  CHECK(q.bad == "http_requests_total{job=\"checkout\",code=~\"5..\"}");
  CHECK(q.good.empty());

  auto latency = load(with_prometheus("latency\n      threshold: 500ms",
                                      "        good: a_bucket{le=\"0.5\"}\n        total: a_count\n"));
  INFO(all_errors(latency));
  CHECK(latency.ok());
}

TEST_CASE("an SLI without prometheus has no queries", "[config]") {
  auto r = load("services: [{name: s}]\nslos: [{name: a, service: s, objective: 0.99, window: 1d, sli: {kind: availability}}]\n");
  REQUIRE(r.ok());
  CHECK(r.config->slos[0].sli.prometheus.empty());
}

TEST_CASE("sli.prometheus with one or three queries is an error", "[config]") {
  require_errors(load(with_prometheus("availability", "        total: t\n")),
                 {{10, 9, "slos[0].sli.prometheus: needs exactly two of good, bad, total"}});
  require_errors(load(with_prometheus("availability", "        total: t\n        good: g\n        bad: b\n")),
                 {{10, 9, "slos[0].sli.prometheus: needs exactly two of good, bad, total"}});
}

TEST_CASE("sli.prometheus keys are checked", "[config]") {
  auto r = load(with_prometheus("availability", "        totl: t\n        good: \"\"\n"));
  CHECK(find_error(r, "totl") != nullptr);
  CHECK(find_error(r, "must not be empty") != nullptr);
  auto list = load(with_prometheus("availability", "        - t\n"));
  CHECK(find_error(list, "expected a mapping with two of good, bad, total") != nullptr);
}

TEST_CASE("sli.prometheus does not apply to percentile SLIs", "[config]") {
  auto r = load(with_prometheus("percentile\n      percentile: 99\n      target: 300ms",
                                "        good: g\n        total: t\n"));
  CHECK(find_error(r, "prometheus does not apply to kind percentile") != nullptr);
}
