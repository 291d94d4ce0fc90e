#include "sloguard/slo/engine.h"

#include <catch2/catch.hpp>
#include <map>

using namespace sloguard;

namespace {

// A Source that returns fixed counts per window length.
class FixedSource final : public slo::Source {
 public:
  std::map<int64_t, slo::Counts> counts;
  Result<std::vector<slo::Counts>> window_counts(const slo::Instance&, int64_t,
                                                 std::span<const int64_t> windows) const override {
    std::vector<slo::Counts> out;
    for (int64_t w : windows) out.push_back(counts.count(w) ? counts.at(w) : slo::Counts{});
    return out;
  }
  Result<store::LatencySketch> latency(const slo::Instance&, int64_t, int64_t) const override { return sketch; }
  Result<std::vector<slo::Slice>> slices(const slo::Instance&, int64_t, int64_t, int64_t) const override {
    return slice_data;
  }
  slo::GroupList groups(const config::SloConfig&) const override { return {}; }
  store::LatencySketch sketch;
  std::vector<slo::Slice> slice_data;
};

std::shared_ptr<const config::Config> make_config() {
  auto loaded = config::load_config_text(R"(
services: [{name: checkout}]
slos:
  - {name: checkout-availability, service: checkout, objective: 99.5%, window: 30d, sli: {kind: availability}}
)");
  REQUIRE(loaded.ok());
  return loaded.config;
}

}  // namespace

TEST_CASE("burn-rate windows are the standard set plus the SLO window") {
  CHECK(slo::burn_rate_windows(30 * 86400) ==
        std::vector<int64_t>{300, 1800, 3600, 7200, 21600, 86400, 259200, 2592000});
  CHECK(slo::burn_rate_windows(3 * 86400).size() == 7);  // 3d is already there
  CHECK(slo::burn_rate_windows(90 * 60)[3] == 90 * 60);
}

TEST_CASE("DESIGN.md's example numbers: SLI, budget, burn rate and policy") {
  auto cfg = make_config();
  FixedSource src;
  src.counts[30 * 86400] = {99512, 100000};
  src.counts[3600] = {997, 1000};
  slo::Engine engine(src);
  auto st = engine.evaluate(*cfg, cfg->slos[0], 1767225600.9);
  REQUIRE(st.ok());
  CHECK(st->at == 1767225600);
  CHECK(st->window == "30d");
  CHECK(*st->ratio == Approx(0.99512).epsilon(1e-12));
  CHECK(st->budget.allowed == Approx(500.0).epsilon(1e-12));
  CHECK(st->budget.consumed == 488);
  CHECK(*st->budget.remaining_ratio == Approx(0.024).epsilon(1e-9));
  CHECK(st->policy == "emergency");
  CHECK(st->block_releases);
  for (const auto& w : st->burn_rates) {
    if (w.seconds == 3600) CHECK(*w.burn_rate == Approx(0.6).epsilon(1e-12));
    if (w.seconds == 2592000) CHECK(*w.burn_rate == Approx(0.976).epsilon(1e-12));
    if (w.seconds == 300) CHECK_FALSE(w.burn_rate.has_value());  // no events: null, not 0 or NaN
  }
}

TEST_CASE("no traffic gives null ratio, null remaining and the top policy tier") {
  auto cfg = make_config();
  FixedSource src;
  slo::Engine engine(src);
  auto st = engine.evaluate(*cfg, cfg->slos[0], 1767225600);
  REQUIRE(st.ok());
  CHECK_FALSE(st->ratio.has_value());
  CHECK_FALSE(st->budget.remaining_ratio.has_value());
  CHECK(st->budget.allowed == 0);
  CHECK(st->policy == "normal");
  CHECK_FALSE(st->block_releases);
}

TEST_CASE("policy tiers follow the runbook thresholds") {
  auto tiers = config::Config::default_budget_policy();
  CHECK(slo::policy_for(tiers, 1.0).status == "normal");
  CHECK(slo::policy_for(tiers, 0.75).status == "normal");
  CHECK(slo::policy_for(tiers, 0.7499).status == "review");
  CHECK(slo::policy_for(tiers, 0.5).status == "review");
  CHECK(slo::policy_for(tiers, 0.3).status == "feature_freeze");
  CHECK(slo::policy_for(tiers, 0.3).block_releases);
  CHECK(slo::policy_for(tiers, 0.1).status == "emergency");
  CHECK(slo::policy_for(tiers, -3.0).status == "emergency");
}

TEST_CASE("time until the budget is spent, at the 1h and at the window's burn rate") {
  auto cfg = make_config();  // 99.5% over 30d
  FixedSource src;
  src.counts[30 * 86400] = {99750, 100000};  // 250 bad of 500 allowed: half the budget left
  src.counts[3600] = {990, 1000};            // 1h: 1% errors = burn rate 2
  slo::Engine engine(src);
  auto st = engine.evaluate(*cfg, cfg->slos[0], 1767225600);
  REQUIRE(st.ok());
  REQUIRE(*st->budget.remaining_ratio == Approx(0.5));
  // 0.5 of a 30d budget at burn rate 2 lasts 0.5 * 30d / 2 = 7.5 days.
  CHECK(*st->budget.exhausted_in_1h_rate == Approx(7.5 * 86400));
  // The window's average burn rate is 0.5: 0.5 * 30d / 0.5 = 30 days.
  CHECK(*st->budget.exhausted_in_window_rate == Approx(30.0 * 86400));

  src.counts[3600] = {1000, 1000};  // no errors in the last hour: never at that rate
  st = engine.evaluate(*cfg, cfg->slos[0], 1767225600);
  CHECK_FALSE(st->budget.exhausted_in_1h_rate.has_value());
  src.counts[30 * 86400] = {99000, 100000};  // overspent
  st = engine.evaluate(*cfg, cfg->slos[0], 1767225600);
  CHECK(*st->budget.exhausted_in_window_rate == 0.0);
}

TEST_CASE("a percentile SLI judged per one-minute slice, computed by hand") {
  auto loaded = config::load_config_text(R"(
services: [{name: search}]
slos:
  - {name: search-p99, service: search, objective: 90%, window: 1h,
     sli: {kind: percentile, percentile: 99, target: 100ms}}
)");
  REQUIRE(loaded.ok());
  const auto& slo = loaded.config->slos[0];
  REQUIRE(slo.budgeting.method == config::BudgetingMethod::kTimeslices);
  const int64_t at = 1767225600;
  FixedSource src;
  // p99 of ten consecutive minutes, the last ending at `at`.
  const double p99[] = {50, 80, 120, 90, 200, 60, 70, 100, 101, 40};
  for (int i = 0; i < 10; ++i) src.slice_data.push_back({at - 600 + 60 * i, {0, 100}, p99[i]});
  slo::Engine engine(src);
  auto st = engine.evaluate(*loaded.config, slo, at);
  REQUIRE(st.ok());
  CHECK(st->budgeting == "timeslices");
  CHECK(st->slice_seconds == 60);
  // Bad slices: 120, 200 and 101 (100 is within the target). 7 of 10 good.
  CHECK(st->sli == slo::Counts{7, 10});
  CHECK(*st->ratio == Approx(0.7));
  CHECK(st->budget.allowed == Approx(1.0));  // 10% of 10 slices
  CHECK(st->budget.consumed == 3);
  CHECK(*st->budget.remaining_ratio == Approx(-2.0));
  for (const auto& w : st->burn_rates) {
    INFO(w.name);
    if (w.name == "5m") {
      CHECK(w.counts == slo::Counts{4, 5});  // 60, 70, 100, 101, 40
      CHECK(*w.burn_rate == Approx(2.0));   // 20% bad / 10% allowed
    }
    if (w.name == "1h") CHECK(*w.burn_rate == Approx(3.0));
  }
  CHECK(st->policy == "emergency");
}

TEST_CASE("a calendar window whose elapsed time equals a fixed window keeps both entries") {
  auto loaded = config::load_config_text(R"(
services: [{name: checkout}]
slos:
  - {name: monthly, service: checkout, objective: 99%, window: month, sli: {kind: availability}}
)");
  REQUIRE(loaded.ok());
  FixedSource src;
  src.counts[3600] = {90, 100};
  slo::Engine engine(src);
  // 2026-02-01T01:00:00Z: the month has run for exactly one hour.
  auto st = engine.evaluate(*loaded.config, loaded.config->slos[0], 1769907600);
  REQUIRE(st.ok());
  CHECK(st->window_seconds == 3600);
  std::vector<std::string> names;
  for (const auto& w : st->burn_rates) names.push_back(w.name);
  CHECK(std::count(names.begin(), names.end(), "1h") == 1);
  CHECK(std::count(names.begin(), names.end(), "month") == 1);
  CHECK(st->sli == slo::Counts{90, 100});
}
