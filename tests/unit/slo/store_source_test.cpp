#include <catch2/catch.hpp>
#include <random>

#include "sloguard/slo/engine.h"
#include "sloguard/slo/source.h"
#include "temp_dir.h"

using namespace sloguard;

namespace {

constexpr int64_t kDay = 86400;
constexpr int64_t kStart = 1767225600;  // 2026-01-01T00:00:00Z

struct Minute {
  std::string endpoint;
  int64_t minute;
  uint32_t status;
  uint64_t count;
};

std::shared_ptr<const config::Config> make_config() {
  auto loaded = config::load_config_text(R"(
storage: {path: /unused, retention: 35d}
services: [{name: checkout}]
slos:
  - {name: all, service: checkout, objective: 99.5%, window: 30d, sli: {kind: availability}}
  - {name: api, service: checkout, objective: 0.99, window: 2d, sli: {kind: availability, bad_status: ["5xx", 429], endpoint: "/api/*"}}
  - {name: short, service: checkout, objective: 0.9, window: 90m, sli: {kind: availability, bad_status: [503]}}
)");
  REQUIRE(loaded.ok());
  return loaded.config;
}

}  // namespace

TEST_CASE("window counts equal a brute-force count over the stored minutes, at any instant") {
  testing::TempDir dir;
  ManualClock clock((kStart + 5 * kDay) * 1000);
  store::StoreOptions o;
  o.path = dir.str();
  o.clock = &clock;
  auto opened = store::open_rocksdb_store(o);
  REQUIRE(opened.ok());
  store::Store& st = **opened;
  auto cfg = make_config();

  // Four days of sparse random traffic over three endpoints and the service series.
  std::mt19937_64 rng(42);
  std::vector<Minute> data;
  const char* endpoints[] = {"/api/pay", "/api/cart", "/healthz"};
  const uint32_t statuses[] = {200, 200, 200, 201, 404, 429, 500, 503};
  for (int64_t m = kStart; m < kStart + 4 * kDay; m += 60) {
    if (rng() % 3 == 0) continue;  // gaps
    int n = static_cast<int>(rng() % 3) + 1;
    for (int i = 0; i < n; ++i) {
      data.push_back({endpoints[rng() % 3], m, statuses[rng() % 8], rng() % 20 + 1});
    }
  }
  std::vector<store::RollupDelta> deltas;
  for (const auto& d : data) {
    auto svc = st.ensure_series({{"service", "checkout"}});
    auto ep = st.ensure_series({{"service", "checkout"}, {"endpoint", d.endpoint}});
    REQUIRE(svc.ok());
    REQUIRE(ep.ok());
    store::RollupDelta a{*svc, d.minute, {}}, b{*ep, d.minute, {}};
    a.value.add(d.status, d.count);
    b.value.add(d.status, d.count);
    deltas.push_back(a);
    deltas.push_back(b);
    if (deltas.size() > 5000) {
      REQUIRE(st.write_rollups(deltas).ok());
      deltas.clear();
    }
  }
  REQUIRE(st.write_rollups(deltas).ok());

  slo::StoreSource source(st);
  auto brute = [&](const config::SloConfig& slo, int64_t at, int64_t w) {
    slo::Counts c;
    for (const auto& d : data) {
      if (d.minute < at - w || d.minute >= at) continue;
      if (!slo.sli.endpoint.empty() && d.endpoint.rfind("/api/", 0) != 0) continue;
      c.total += d.count;
      if (!slo.sli.bad_status.matches(static_cast<int>(d.status))) c.good += d.count;
    }
    return c;
  };

  std::vector<int64_t> ats = {kStart + 4 * kDay, kStart + 2 * kDay + 37 * 60, kStart + 3 * kDay - 60,
                              kStart + kDay + 3600, kStart + 17 * 60, kStart};
  for (int i = 0; i < 6; ++i) ats.push_back(kStart + static_cast<int64_t>(rng() % (5 * kDay / 60)) * 60);
  for (const auto& slo : cfg->slos) {
    auto windows = slo::burn_rate_windows(slo.window_ms / 1000);
    windows.push_back(3 * 3600 + 60);  // just past the hour-scan threshold
    windows.push_back(179 * 60);       // just below it
    for (int64_t at : ats) {
      auto got = source.window_counts(slo::Instance{&slo, ""}, at, windows);
      REQUIRE(got.ok());
      for (size_t i = 0; i < windows.size(); ++i) {
        INFO(slo.name << " at=" << at << " window=" << windows[i]);
        CHECK((*got)[i] == brute(slo, at, windows[i]));
      }
    }
  }
}

TEST_CASE("a misaligned instant or window is refused") {
  testing::TempDir dir;
  store::StoreOptions o;
  o.path = dir.str();
  auto opened = store::open_rocksdb_store(o);
  REQUIRE(opened.ok());
  slo::StoreSource source(**opened);
  auto cfg = make_config();
  std::vector<int64_t> ok_windows = {300};
  std::vector<int64_t> bad_windows = {90};
  CHECK_FALSE(source.window_counts(slo::Instance{&cfg->slos[0], ""}, kStart + 1, ok_windows).ok());
  CHECK_FALSE(source.window_counts(slo::Instance{&cfg->slos[0], ""}, kStart, bad_windows).ok());
  auto none = source.window_counts(slo::Instance{&cfg->slos[0], ""}, kStart, ok_windows);
  REQUIRE(none.ok());
  CHECK((*none)[0] == slo::Counts{});
}
