// run_backtest on a scripted incident whose crossing minutes are computed by hand.
#include "sloguard/alerting/backtest.h"

#include <catch2/catch.hpp>
#include <sstream>

#include "sloguard/config/config.h"
#include "temp_dir.h"

using namespace sloguard;
using sloguard::testing::TempDir;

namespace {

constexpr int64_t kStart = 1767225600;  // 2026-01-01T00:00:00Z
constexpr int64_t kMin = 60;

std::shared_ptr<const config::Config> make_config() {
  // 99% over 30d with the built-in tiers: page-1h 14.4x (1h/5m), page-6h 6x (6h/30m),
  // ticket-1d 3x (1d/2h), ticket-3d 1x (3d/6h); min_events 10.
  auto loaded = config::load_config_text(R"(
evaluation_interval: 60s
services: [{name: checkout}]
slos:
  - {name: checkout-availability, service: checkout, objective: 99%, window: 30d}
)");
  REQUIRE(loaded.ok());
  return loaded.config;
}

// Minutes 0..119 (relative to kStart): 1000 good events each. Minutes 120..139: 1000 errors
// each (the incident; T0 = minute 120, T1 = minute 140). Minutes 140..619: 1000 good each.
// One line per minute, in the middle of the minute.
std::string incident_jsonl() {
  std::string out;
  for (int m = 0; m < 620; ++m) {
    const bool bad = m >= 120 && m < 140;
    out += "{\"service\":\"checkout\",\"ts\":" + std::to_string(kStart + m * kMin + 30) +
           ",\"status\":" + (bad ? "503" : "200") + ",\"count\":1000,\"latency_ms\":12}\n";
  }
  return out;
}

const alerting::TimelineEntry* find_tier(const alerting::BacktestResult& r, const std::string& tier) {
  for (const auto& e : r.timeline) {
    if (e.tier == tier) return &e;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("backtest of a scripted incident fires and resolves every tier at the hand-computed minute",
          "[alerting][backtest]") {
  TempDir dir;
  auto cfg = make_config();
  std::istringstream in(incident_jsonl());
  alerting::BacktestOptions opts;
  opts.store_path = dir.str();
  auto r = alerting::run_backtest(*cfg, in, opts);
  REQUIRE(r.ok());

  // Default range: the first event's minute .. the last event's minute (619) + the longest
  // short window (6h) + 1m.
  CHECK(r->from == kStart);
  CHECK(r->to == kStart + (619 + 360 + 1) * kMin);
  CHECK(r->rounds == 981);
  CHECK(r->events == 620'000);

  // A round at minute M sees the minutes [M - w, M). With k error minutes seen (M = 120 + k)
  // and every earlier minute holding 1000 good events:
  REQUIRE(r->timeline.size() == 4);

  // ticket-3d (1x over 3d and 6h): both windows hold all M minutes: 100k / (120 + k) >= 1
  // first at k = 2 (1.64x; k = 1 gives 0.83x). Resolves when the 6h window's errors drop
  // below 3.6 (burn = 100 * n / 360): n = 500 - M errors, so at M = 497.
  const auto* t3d = &r->timeline[0];
  CHECK(t3d->tier == "ticket-3d");
  CHECK(t3d->severity == "ticket");
  CHECK(t3d->fired_at == kStart + 122 * kMin);
  CHECK(t3d->long_burn_rate == Approx(200.0 / 122));
  CHECK(t3d->short_burn_rate == Approx(200.0 / 122));
  CHECK(t3d->resolved_at == kStart + 497 * kMin);

  // ticket-1d (3x over 1d and 2h): 100k / (120 + k) >= 3 first at k = 4 (3.23x; the 2h window
  // [4, 124) gives 4/120 -> 3.33x). Resolves when the 2h window holds fewer than 3.6 error
  // minutes: n = 260 - M, so at M = 257.
  const auto* t1d = &r->timeline[1];
  CHECK(t1d->tier == "ticket-1d");
  CHECK(t1d->fired_at == kStart + 124 * kMin);
  CHECK(t1d->long_burn_rate == Approx(400.0 / 124));
  CHECK(t1d->short_burn_rate == Approx(400.0 / 120));
  CHECK(t1d->resolved_at == kStart + 257 * kMin);

  // page-6h (6x over 6h and 30m): only 2h of history, so 100k / (120 + k) >= 6 first at
  // k = 8 (6.25x; k = 7 gives 5.51x). Resolves when the 30m window holds fewer than 1.8 error
  // minutes: n = 170 - M, so at M = 169 (T1 + 29m).
  const auto* p6h = &r->timeline[2];
  CHECK(p6h->tier == "page-6h");
  CHECK(p6h->fired_at == kStart + 128 * kMin);
  CHECK(p6h->long_burn_rate == Approx(800.0 / 128));
  CHECK(p6h->short_burn_rate == Approx(800.0 / 30));
  CHECK(p6h->resolved_at == kStart + 169 * kMin);

  // page-1h (14.4x over 1h and 5m): the 1h window is full, k / 60 / 0.01 >= 14.4 first at
  // k = 9 (15x; k = 8 gives 13.3x), i.e. at T0 + 9m, not T0 + 8m; the 5m window is all errors
  // (100x). After T1 the 5m window burns 20 * (5 - j) at T1 + j: 20x at j = 4, 0 at j = 5, so
  // it resolves at T1 + 5m (the 1h window still burns 33x then).
  const auto* p1h = find_tier(*r, "page-1h");
  REQUIRE(p1h == &r->timeline[3]);
  CHECK(p1h->slo == "checkout-availability");
  CHECK(p1h->group.empty());
  CHECK(p1h->severity == "page");
  CHECK(p1h->fired_at == kStart + 129 * kMin);
  CHECK(p1h->long_window == "1h");
  CHECK(p1h->short_window == "5m");
  CHECK(p1h->long_burn_rate == Approx(15.0));
  CHECK(p1h->short_burn_rate == Approx(100.0));
  CHECK(p1h->threshold == Approx(14.4));
  CHECK(p1h->resolved_at == kStart + 145 * kMin);
}

TEST_CASE("backtest with a range that ends mid-incident leaves the page firing", "[alerting][backtest]") {
  TempDir dir;
  auto cfg = make_config();
  std::istringstream in(incident_jsonl());
  alerting::BacktestOptions opts;
  opts.store_path = dir.str();
  opts.from = kStart + 100 * kMin;
  opts.to = kStart + 135 * kMin;
  auto r = alerting::run_backtest(*cfg, in, opts);
  REQUIRE(r.ok());
  CHECK(r->rounds == 36);
  const auto* p1h = find_tier(*r, "page-1h");
  REQUIRE(p1h);
  CHECK(p1h->fired_at == kStart + 129 * kMin);
  CHECK_FALSE(p1h->resolved_at.has_value());
}

TEST_CASE("backtest rounds within a minute share the minute and fire once", "[alerting][backtest]") {
  // At a 15s interval the rounds at M + 0s .. M + 45s all see the minutes before M: page-1h
  // still fires at the first round of minute 129.
  TempDir dir;
  auto loaded = config::load_config_text(R"(
evaluation_interval: 15s
services: [{name: checkout}]
slos:
  - {name: checkout-availability, service: checkout, objective: 99%, window: 30d}
)");
  REQUIRE(loaded.ok());
  std::istringstream in(incident_jsonl());
  alerting::BacktestOptions opts;
  opts.store_path = dir.str();
  opts.to = kStart + 150 * kMin;
  auto r = alerting::run_backtest(*loaded.config, in, opts);
  REQUIRE(r.ok());
  CHECK(r->rounds == 150 * 4 + 1);
  const auto* p1h = find_tier(*r, "page-1h");
  REQUIRE(p1h);
  CHECK(p1h->fired_at == kStart + 129 * kMin);
  CHECK(p1h->resolved_at == kStart + 145 * kMin);
}

TEST_CASE("backtest reports a bad line with its line number", "[alerting][backtest]") {
  auto cfg = make_config();
  alerting::BacktestOptions opts;
  SECTION("a field the ingestor rejects") {
    TempDir dir;
    opts.store_path = dir.str();
    std::istringstream in(
        "{\"service\":\"checkout\",\"ts\":1767225600,\"status\":200}\n"
        "\n"
        "{\"service\":\"checkout\",\"ts\":1767225660,\"status\":999}\n");
    auto r = alerting::run_backtest(*cfg, in, opts);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().is_invalid_argument());
    CHECK(r.status().message().rfind("line 3: status: must be an integer 100..599", 0) == 0);
  }
  SECTION("an unknown service, with a small batch size") {
    TempDir dir;
    opts.store_path = dir.str();
    opts.batch_lines = 2;
    std::istringstream in(
        "{\"service\":\"checkout\",\"ts\":1767225600,\"status\":200}\n"
        "{\"service\":\"checkout\",\"ts\":1767225600,\"status\":200}\n"
        "{\"service\":\"checkout\",\"ts\":1767225600,\"status\":200}\n"
        "{\"service\":\"nope\",\"ts\":1767225600,\"status\":200}\n");
    auto r = alerting::run_backtest(*cfg, in, opts);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message() == "line 4: service: unknown service \"nope\"");
  }
  SECTION("not JSON") {
    TempDir dir;
    opts.store_path = dir.str();
    std::istringstream in("{\"service\":\"checkout\",\"ts\":1767225600,\"status\":200}\n{oops\n");
    auto r = alerting::run_backtest(*cfg, in, opts);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message() == "line 2: not valid JSON");
  }
  SECTION("no events and no range") {
    TempDir dir;
    opts.store_path = dir.str();
    std::istringstream in("\n");
    auto r = alerting::run_backtest(*cfg, in, opts);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().is_invalid_argument());
  }
}
