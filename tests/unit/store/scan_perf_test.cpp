// Evaluation-shaped scan throughput. Hidden (not part of the test run): run it with
//   ./unit_store "[perf]"
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "store_fixture.h"

using namespace sloguard;
using namespace sloguard::store;
using sloguard::store::testing::counts;
using sloguard::store::testing::kT0;
using sloguard::store::testing::StoreFixture;

namespace {

// Scans, per series, the 30d of hour buckets and the last 530 minute buckets (about 1,250
// buckets, like one SLO evaluation) and returns the seconds taken for all series.
double scan_all(Store& store, const std::vector<SeriesId>& series, int64_t now, uint64_t& buckets, uint64_t& events) {
  buckets = 0;
  events = 0;
  auto start = std::chrono::steady_clock::now();
  for (SeriesId s : series) {
    auto visit = [&](int64_t, const Rollup& r) {
      ++buckets;
      events += r.total;
    };
    REQUIRE(store.scan(s, Resolution::kHour, now - 30 * 86400, now, visit).ok());
    REQUIRE(store.scan(s, Resolution::kMinute, now - 530 * 60, now, visit).ok());
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

TEST_CASE_METHOD(StoreFixture, "scan throughput for 1,000 SLO evaluations", "[.][perf]") {
  constexpr int kSeries = 1000;
  const int64_t now = kT0;
  std::vector<SeriesId> series;
  for (int i = 0; i < kSeries; ++i) {
    series.push_back(store().ensure_series({{"service", "svc" + std::to_string(i)}}).value());
  }
  // Per series: one minute per hour for 29 days, then every minute of the last day, so that
  // every hour bucket of 30 days exists.
  auto t0 = std::chrono::steady_clock::now();
  std::vector<RollupDelta> batch;
  auto write = [&](int64_t minute) {
    for (SeriesId s : series) batch.push_back({s, minute, counts({{200, 90}, {500, 1 + minute % 7}})});
    if (batch.size() >= 5000) {
      REQUIRE(store().write_rollups(batch).ok());
      batch.clear();
    }
  };
  for (int64_t t = now - 30 * 86400; t < now - 86400; t += 3600) write(t);
  for (int64_t t = now - 86400; t < now; t += 60) write(t);
  if (!batch.empty()) REQUIRE(store().write_rollups(batch).ok());
  double write_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  uint64_t buckets = 0, events = 0;
  auto report = [&](const char* state) {
    scan_all(store(), series, now, buckets, events);  // warm the block cache
    double best = 1e9;
    for (int i = 0; i < 3; ++i) best = std::min(best, scan_all(store(), series, now, buckets, events));
    std::printf("%-28s %8llu buckets in %6.1f ms = %5.1f M buckets/s\n", state,
                static_cast<unsigned long long>(buckets), best * 1e3, buckets / best / 1e6);
    return best;
  };
  std::printf("wrote %d series x %d deltas in %.1f s\n", kSeries, 29 * 24 + 1440, write_s);
  report("memtable + L0 (as written)");
  REQUIRE(store().flush().ok());
  report("after flush");
  REQUIRE(store().compact().ok());
  double compacted = report("after compaction");
  REQUIRE(buckets == kSeries * (720 + 530));
  CHECK(compacted < 1.0);
}
