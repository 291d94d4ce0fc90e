// Prometheus rules and Sloth specs from the SLO config (the promtool checks of the output are
// CTest entries promtool_check_rules and promtool_fast_burn).
#include <yaml-cpp/yaml.h>

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
  CHECK(out.yaml.find("{{window}}") == std::string::npos);
}
