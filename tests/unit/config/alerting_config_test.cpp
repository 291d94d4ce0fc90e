// alerting: policies, tiers and their defaults per SLO window.
#include <catch2/catch.hpp>

#include "config_test_util.h"

using namespace sloguard::config;
using namespace sloguard::config::testing;

namespace {

std::string with_slo(const std::string& window, const std::string& slo_extra, const std::string& top = "") {
  return "services: [{name: checkout}]\n" + top +
         "slos:\n"
         "  - name: avail\n"
         "    service: checkout\n"
         "    objective: 99.9%\n"
         "    window: " + window + "\n" + slo_extra;
}

const AlertTier& tier(const SloConfig& slo, const std::string& name) {
  for (const auto& t : slo.alerting.tiers) {
    if (t.name == name) return t;
  }
  FAIL("no tier " << name);
  return slo.alerting.tiers.front();
}

}  // namespace

TEST_CASE("alerting: a 30d SLO gets the SRE Workbook tiers", "[config][alerting]") {
  LoadResult r = load(with_slo("30d", ""));
  REQUIRE(r.ok());
  const auto& tiers = r.config->slos[0].alerting.tiers;
  REQUIRE(tiers.size() == 4);
  CHECK(tiers[0].name == "page-1h");
  CHECK(tiers[0].severity == "page");
  CHECK(tiers[0].burn_rate == Approx(14.4));
  CHECK(tiers[0].long_window_ms == 3600000);
  CHECK(tiers[0].short_window_ms == 300000);
  CHECK(tiers[1].burn_rate == Approx(6));
  CHECK(tiers[1].short_window_ms == 1800000);
  CHECK(tiers[2].name == "ticket-1d");
  CHECK(tiers[2].severity == "ticket");
  CHECK(tiers[2].burn_rate == Approx(3));
  CHECK(tiers[3].burn_rate == Approx(1));
  CHECK(tiers[3].long_window_ms == 3 * 86400000LL);
  CHECK(tiers[3].min_events == 10);
}

TEST_CASE("alerting: built-in tiers keep their budget share for other windows", "[config][alerting]") {
  SECTION("7d: 2% of the budget in 1h is 3.36x, not 14.4x") {
    LoadResult r = load(with_slo("7d", ""));
    REQUIRE(r.ok());
    CHECK(tier(r.config->slos[0], "page-1h").burn_rate == Approx(3.36));
    CHECK(tier(r.config->slos[0], "ticket-3d").burn_rate == Approx(0.1 * 7 / 3));
  }
  SECTION("a 1d window has no 3d tier") {
    LoadResult r = load(with_slo("1d", ""));
    REQUIRE(r.ok());
    REQUIRE(r.config->slos[0].alerting.tiers.size() == 3);
    CHECK(r.config->slos[0].alerting.tiers.back().name == "ticket-1d");
  }
  SECTION("a calendar month measures the budget share against 30 days") {
    LoadResult r = load(with_slo("month", ""));
    REQUIRE(r.ok());
    CHECK(tier(r.config->slos[0], "page-1h").burn_rate == Approx(14.4));
  }
}

TEST_CASE("alerting: tiers can be disabled, renamed, re-severitied and added", "[config][alerting]") {
  LoadResult r = load(with_slo("30d",
                               "    alerting:\n"
                               "      tiers:\n"
                               "        - {name: ticket-3d, enabled: false}\n"
                               "        - {name: fast-burn, base: page-1h, for: 2m}\n"
                               "        - {name: page-6h, severity: critical}\n"
                               "        - {name: runbook-fast, budget_consumed: 10%, long_window: 1h, short_window: 5m,"
                               " min_events: 50}\n"
                               "        - {name: slow, burn_rate: 2, long_window: 12h, short_window: 1h, severity: ticket}\n"));
  INFO(all_errors(r));
  REQUIRE(r.ok());
  const SloConfig& slo = r.config->slos[0];
  std::vector<std::string> names;
  for (const auto& t : slo.alerting.tiers) names.push_back(t.name);
  CHECK(names == std::vector<std::string>{"fast-burn", "page-6h", "ticket-1d", "runbook-fast", "slow"});
  CHECK(tier(slo, "fast-burn").burn_rate == Approx(14.4));
  CHECK(tier(slo, "fast-burn").for_ms == 120000);
  CHECK(tier(slo, "page-6h").severity == "critical");
  CHECK(tier(slo, "runbook-fast").burn_rate == Approx(72));  // DESIGN.md: 10% in 1h is 72x for 30d
  CHECK(tier(slo, "runbook-fast").min_events == 50);
  CHECK(tier(slo, "slow").burn_rate == Approx(2));
}

TEST_CASE("alerting: named policies, defaults off, min_events and notify", "[config][alerting]") {
  std::string top =
      "alerting:\n"
      "  min_events: 100\n"
      "  repeat_interval: 1h\n"
      "  policies:\n"
      "    - name: fast-only\n"
      "      defaults: false\n"
      "      tiers:\n"
      "        - {name: page-1h}\n";
  LoadResult r = load(with_slo("30d", "    alerting: {policy: fast-only}\n", top));
  INFO(all_errors(r));
  REQUIRE(r.ok());
  const SloConfig& slo = r.config->slos[0];
  REQUIRE(slo.alerting.tiers.size() == 1);
  CHECK(slo.alerting.policy == "fast-only");
  CHECK(slo.alerting.tiers[0].min_events == 100);
  CHECK(r.config->alerting.repeat_interval_ms == 3600000);
}

TEST_CASE("alerting: mistakes are located", "[config][alerting]") {
  SECTION("unknown policy with a suggestion") {
    std::string top = "alerting:\n  policies:\n    - {name: standard}\n";
    LoadResult r = load(with_slo("30d", "    alerting: {policy: standrd}\n", top));
    require_error_at(r, 10, 24, "unknown alert policy \"standrd\"; did you mean \"standard\"?");
  }
  SECTION("a new tier without windows or threshold") {
    LoadResult r = load(with_slo("30d", "    alerting:\n      tiers:\n        - {name: mine, burn_rate: 2}\n"));
    require_error_at(r, 9, 11, "a new tier needs long_window and short_window");
  }
  SECTION("short window not shorter than long") {
    LoadResult r = load(with_slo("30d", "    alerting:\n      tiers:\n        - {name: page-1h, short_window: 2h}\n"));
    require_error_at(r, 9, 11, "short_window 2h must be shorter than long_window 1h");
  }
  SECTION("both burn_rate and budget_consumed") {
    LoadResult r = load(with_slo("30d", "    alerting:\n      tiers:\n        - {name: x, burn_rate: 2, budget_consumed: 5%,"
                                        " long_window: 1h, short_window: 5m}\n"));
    REQUIRE(find_error(r, "give burn_rate or budget_consumed, not both") != nullptr);
  }
  SECTION("seconds in a window") {
    LoadResult r = load(with_slo("30d", "    alerting:\n      tiers:\n        - {name: page-1h, short_window: 90s}\n"));
    REQUIRE(find_error(r, "must be whole minutes") != nullptr);
  }
  SECTION("unknown notifier") {
    LoadResult r = load(with_slo("30d", "    alerting: {notify: [oncall]}\n"));
    require_error_at(r, 7, 25, "unknown notifier \"oncall\"; none are defined (add them under notifiers:)");
  }
  SECTION("unknown base") {
    LoadResult r = load(with_slo("30d", "    alerting:\n      tiers:\n        - {name: x, base: page-2h}\n"));
    REQUIRE(find_error(r, "unknown built-in tier \"page-2h\"") != nullptr);
  }
}

TEST_CASE("alerting: a tier's hooks must name rollback hooks", "[config][alerting]") {
  LoadResult r = load(with_slo("30d", "    alerting:\n      tiers:\n        - {name: page-1h, hooks: [undo]}\n"));
  REQUIRE(find_error(r, "unknown rollback hook \"undo\"; none are defined (add them under release.hooks)") != nullptr);
}

TEST_CASE("alerting: defaults false next to a policy is an error", "[config][alerting]") {
  std::string top = "alerting:\n  policies:\n    - {name: standard}\n";
  LoadResult r = load(with_slo("30d", "    alerting: {policy: standard, defaults: false}\n", top));
  REQUIRE(find_error(r, "defaults applies only without policy") != nullptr);
}
