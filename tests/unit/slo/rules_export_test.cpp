// Prometheus rules and Sloth specs from the SLO config (the promtool checks of the output are
// CTest entries promtool_check_rules, promtool_fast_burn and promtool_uneven_traffic).
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <catch2/catch.hpp>

#include "sloguard/slo/rules_export.h"

using namespace sloguard;

namespace {

std::shared_ptr<const config::Config> load(const std::string& yaml) {
  auto r = config::load_config_text(yaml);
  for (const auto& e : r.errors) UNSCOPED_INFO(e.to_string());
  REQUIRE(r.ok());
  return r.config;
}

const char* kConfig = R"(
services: [{name: checkout}, {name: search}]
slos:
  - name: checkout-availability
    service: checkout
    objective: 99.9%
    window: 30d
    sli:
      kind: availability
      prometheus: {total: 'http_requests_total{job="checkout"}', bad: 'http_requests_total{job="checkout",code=~"5.."}'}
  - name: search-availability
    service: search
    objective: 99%
    window: 7d
    sli: {kind: availability}
)";

std::vector<YAML::Node> rules_of(const YAML::Node& doc, const std::string& group) {
  for (const auto& g : doc["groups"]) {
    if (g["name"].as<std::string>() == group) return {g["rules"].begin(), g["rules"].end()};
  }
  FAIL("no group " << group);
  return {};
}

// The expression of recording rule `record` in `rules` (without the literal block's newline).
std::string expr_of(const std::vector<YAML::Node>& rules, const std::string& record) {
  for (const auto& r : rules) {
    if (r["record"] && r["record"].as<std::string>() == record) {
      std::string e = r["expr"].as<std::string>();
      if (!e.empty() && e.back() == '\n') e.pop_back();
      return e;
    }
  }
  FAIL("no recording rule " << record);
  return {};
}

}  // namespace

TEST_CASE("raw-metric SLOs get recording rules per window and one alert per built-in tier", "[rules]") {
  auto out = slo::export_rules(*load(kConfig), slo::RulesFormat::kPrometheus);
  const YAML::Node doc = YAML::Load(out.yaml);
  auto rules = rules_of(doc, "sloguard-checkout-availability");
  std::vector<std::string> records, tiers;
  for (const auto& r : rules) {
    if (r["record"]) records.push_back(r["record"].as<std::string>());
    if (r["alert"]) {
      tiers.push_back(r["labels"]["tier"].as<std::string>());
      CHECK(r["labels"]["slo"].as<std::string>() == "checkout-availability");
    }
  }
  for (const char* w : {"5m", "30m", "1h", "2h", "6h", "1d", "3d", "30d"}) {
    INFO(w);
    CHECK(std::count(records.begin(), records.end(), std::string("slo:sli_error:ratio_rate") + w) == 1);
  }
  CHECK(tiers == std::vector<std::string>{"page-1h", "page-6h", "ticket-1d", "ticket-3d"});
  const std::string page = rules[rules.size() - 4]["expr"].as<std::string>();
  CHECK(page.find("slo:sli_error:ratio_rate1h{slo=\"checkout-availability\",service=\"checkout\"} >= (14.4 * 0.001)") !=
        std::string::npos);
  CHECK(page.find("* 300 >= 10") != std::string::npos);  // min_events in the short window
}

TEST_CASE("the SLO window's error ratio is a ratio of summed 5m counts, not an average of 5m ratios", "[rules]") {
  auto out = slo::export_rules(*load(kConfig), slo::RulesFormat::kPrometheus);
  auto rules = rules_of(YAML::Load(out.yaml), "sloguard-checkout-availability");
  CHECK(expr_of(rules, "slo:sli_bad:increase5m") ==
        "(sum(increase(http_requests_total{job=\"checkout\",code=~\"5..\"}[5m])) or 0 * "
        "sum(increase(http_requests_total{job=\"checkout\"}[5m])))");
  CHECK(expr_of(rules, "slo:sli_total:increase5m") == "sum(increase(http_requests_total{job=\"checkout\"}[5m]))");
  const std::string labels = "{slo=\"checkout-availability\",service=\"checkout\"}";
  CHECK(expr_of(rules, "slo:sli_error:ratio_rate30d") ==
        "sum_over_time(slo:sli_bad:increase5m" + labels + "[30d])\n/\n(sum_over_time(slo:sli_total:increase5m" +
            labels + "[30d]) > 0)");
  // The remaining budget needs only the ratio, not the sums (which count each event once per
  // evaluation in 5m).
  CHECK(expr_of(rules, "slo:error_budget_remaining:ratio") == "1 - slo:sli_error:ratio_rate30d" + labels + " / 0.001");
  CHECK(out.yaml.find("avg_over_time") == std::string::npos);
  for (const char* record : {"slo:sli_bad:increase5m", "slo:sli_total:increase5m"}) {
    for (const auto& r : rules) {
      if (r["record"] && r["record"].as<std::string>() == record) {
        CHECK(r["labels"]["slo"].as<std::string>() == "checkout-availability");
        CHECK(r["labels"]["service"].as<std::string>() == "checkout");
      }
    }
  }
}

TEST_CASE("a tier over the SLO window keeps that window's ratio over the raw counters", "[rules]") {
  // A 1d SLO keeps the built-in ticket-1d tier, whose long window is the SLO window.
  auto out = slo::export_rules(*load(R"(
services: [{name: checkout}]
slos:
  - name: c
    service: checkout
    objective: 99%
    window: 1d
    sli:
      kind: availability
      prometheus: {total: 'requests_total', bad: 'errors_total'}
)"),
                               slo::RulesFormat::kPrometheus);
  auto rules = rules_of(YAML::Load(out.yaml), "sloguard-c");
  CHECK(std::count_if(rules.begin(), rules.end(), [](const YAML::Node& r) {
          return r["record"] && r["record"].as<std::string>() == "slo:sli_error:ratio_rate1d";
        }) == 1);
  CHECK(expr_of(rules, "slo:sli_error:ratio_rate1d") ==
        "(sum(rate(errors_total[1d])) or 0 * sum(rate(requests_total[1d])))\n/\n(sum(rate(requests_total[1d])) > 0)");
  CHECK(expr_of(rules, "slo:sli_total:increase5m") == "sum(increase(requests_total[5m]))");
}

TEST_CASE("SLOs without prometheus queries alert on sloguard's burn-rate gauges", "[rules]") {
  auto out = slo::export_rules(*load(kConfig), slo::RulesFormat::kPrometheus);
  const YAML::Node doc = YAML::Load(out.yaml);
  auto rules = rules_of(doc, "sloguard-search-availability");
  // A 7d window: the built-in ticket-3d tier (10% in 3d) is burn rate 7/3.
  REQUIRE(rules.size() == 4);
  for (const auto& r : rules) CHECK_FALSE(r["record"]);
  CHECK(rules[0]["expr"].as<std::string>().find(
            "sloguard_slo_burn_rate{slo=\"search-availability\",service=\"search\",window=\"1h\"} >= 3.36") !=
        std::string::npos);
  CHECK(out.notes.empty());
}

TEST_CASE("the sloth format writes one prometheus/v1 spec per service with prometheus queries", "[rules]") {
  auto out = slo::export_rules(*load(kConfig), slo::RulesFormat::kSloth);
  auto docs = YAML::LoadAll(out.yaml);
  REQUIRE(docs.size() == 1);
  CHECK(docs[0]["version"].as<std::string>() == "prometheus/v1");
  CHECK(docs[0]["service"].as<std::string>() == "checkout");
  const auto s = docs[0]["slos"][0];
  CHECK(s["objective"].as<double>() == Approx(99.9));
  CHECK(s["sli"]["events"]["error_query"].as<std::string>().find(
            "sum(rate(http_requests_total{job=\"checkout\",code=~\"5..\"}[{{.window}}]))") != std::string::npos);
  CHECK(s["alerting"]["page_alert"]["labels"]["severity"].as<std::string>() == "page");
  REQUIRE(out.notes.size() == 1);
  CHECK(out.notes[0].find("search-availability") == 0);
}

TEST_CASE("good and bad give the total, and a {{window}} expression is used as written", "[rules]") {
  auto out = slo::export_rules(*load(R"(
services: [{name: search}]
slos:
  - name: s
    service: search
    objective: 99%
    window: 1d
    sli:
      kind: availability
      prometheus: {good: 'sum(rate(ok_total[{{window}}]))', bad: 'errors_total'}
)"),
                               slo::RulesFormat::kPrometheus);
  CHECK(out.yaml.find("(sum(rate(errors_total[5m])) or 0 * (sum(rate(ok_total[5m]))))") != std::string::npos);
  // The 5m counts: increase() of the counter, the rate expression times 300s.
  CHECK(expr_of(rules_of(YAML::Load(out.yaml), "sloguard-s"), "slo:sli_bad:increase5m") ==
        "(sum(increase(errors_total[5m])) or 0 * ((sum(rate(ok_total[5m]))) * 300))");
  CHECK(out.yaml.find("{{window}}") == std::string::npos);
}
