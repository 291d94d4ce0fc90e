// A real RocksDB store in a temp dir, with reopen() to test what survives a restart.
#pragma once

#include <catch2/catch.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "sloguard/common/clock.h"
#include "sloguard/common/log.h"
#include "sloguard/store/store.h"
#include "temp_dir.h"

namespace sloguard::store::testing {

// 2026-01-01T00:00:00Z
constexpr int64_t kT0 = 1767225600;

class StoreFixture {
 public:
  StoreFixture() : clock_(kT0 * 1000) {
    log::set_level(log::Level::kWarn);  // no "store opened" line per reopen
    reopen();
  }

  StoreOptions options() const {
    StoreOptions o;
    o.path = dir_.str();
    o.clock = &clock_;
    o.retention_ms = retention_ms_;
    o.max_series_per_service = max_series_per_service_;
    o.state_retention = state_retention_;
    return o;
  }

  // Closes the store (if open) and opens it again on the same directory.
  void reopen() {
    store_.reset();
    auto r = open_rocksdb_store(options());
    if (!r.ok()) FAIL(r.status().to_string());
    store_ = std::move(r).value();
  }

  Store& store() { return *store_; }

  // Every bucket of the series in [from, to) at the resolution.
  std::map<int64_t, Rollup> read(SeriesId series, Resolution res, int64_t from = 0, int64_t to = INT64_MAX) {
    std::map<int64_t, Rollup> out;
    Status s = store_->scan(series, res, from, to, [&](int64_t bucket, const Rollup& r) {
      REQUIRE(out.emplace(bucket, r).second);
    });
    REQUIRE(s.ok());
    return out;
  }

 protected:
  sloguard::testing::TempDir dir_;
  ManualClock clock_;
  int64_t retention_ms_ = 35LL * 86400 * 1000;
  size_t max_series_per_service_ = 10000;
  std::vector<StateRetention> state_retention_;
  std::unique_ptr<Store> store_;
};

inline Rollup counts(std::initializer_list<std::pair<uint32_t, uint64_t>> by_status) {
  Rollup r;
  for (auto [status, count] : by_status) r.add(status, count);
  return r;
}

// Sums of deltas computed without Rollup::merge: (series, bucket) -> total and per-status counts.
struct ExpectedSums {
  struct Counts {
    uint64_t total = 0;
    std::map<uint32_t, uint64_t> by_status;
  };
  std::map<std::pair<SeriesId, int64_t>, Counts> minute, hour, day;

  void add(const RollupDelta& d) {
    for (Counts* c : {&minute[{d.series, d.minute_start}], &hour[{d.series, d.minute_start / 3600 * 3600}],
                      &day[{d.series, d.minute_start / 86400 * 86400}]}) {
      c->total += d.value.total;
      for (auto [status, count] : d.value.by_status) c->by_status[status] += count;
    }
  }
  void add(const std::vector<RollupDelta>& ds) {
    for (const auto& d : ds) add(d);
  }
  void add(const ExpectedSums& other) {
    for (auto [mine, theirs] :
         {std::pair{&minute, &other.minute}, std::pair{&hour, &other.hour}, std::pair{&day, &other.day}}) {
      for (const auto& [key, c] : *theirs) {
        Counts& into = (*mine)[key];
        into.total += c.total;
        for (auto [status, count] : c.by_status) into.by_status[status] += count;
      }
    }
  }
  std::map<int64_t, Rollup> of(SeriesId series, Resolution res) const {
    std::map<int64_t, Rollup> out;
    for (const auto& [key, c] : res == Resolution::kMinute ? minute : res == Resolution::kHour ? hour : day) {
      if (key.first != series) continue;
      Rollup& r = out[key.second];
      r.total = c.total;
      r.by_status.assign(c.by_status.begin(), c.by_status.end());
    }
    return out;
  }
};

}  // namespace sloguard::store::testing
