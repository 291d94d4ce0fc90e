#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "store_fixture.h"

using namespace sloguard;
using namespace sloguard::store;
using sloguard::store::testing::ExpectedSums;
using sloguard::store::testing::kT0;
using sloguard::store::testing::StoreFixture;

namespace {

// Starts all threads, then releases them at once so they really overlap.
template <typename F>
void run_threads(int n, F body) {
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < n; ++t) {
    threads.emplace_back([&, t] {
      ready.fetch_add(1);
      while (!go.load()) std::this_thread::yield();
      body(t);
    });
  }
  while (ready.load() < n) std::this_thread::yield();
  go.store(true);
  for (auto& th : threads) th.join();
}

}  // namespace

TEST_CASE_METHOD(StoreFixture, "concurrent ensure_series gives exactly one id per label set", "[store][concurrency]") {
  constexpr int kThreads = 8;
  constexpr int kLabelSets = 300;
  auto labels_of = [](int i) {
    return Labels{{"service", "svc" + std::to_string(i % 17)}, {"endpoint", "/e" + std::to_string(i)}};
  };
  // ids[t][i]: the id thread t got for label set i. Threads walk overlapping label sets in
  // different orders, each label set several times.
  std::vector<std::vector<SeriesId>> ids(kThreads, std::vector<SeriesId>(kLabelSets, 0));
  std::atomic<int> failures{0};
  run_threads(kThreads, [&](int t) {
    std::vector<int> order;
    for (int i = 0; i < kLabelSets; ++i) order.push_back(i);
    std::shuffle(order.begin(), order.end(), std::mt19937(t));
    for (int round = 0; round < 2; ++round) {
      for (int i : order) {
        auto r = store().ensure_series(labels_of(i));
        if (!r.ok() || (ids[t][i] != 0 && ids[t][i] != *r)) failures.fetch_add(1);
        if (r.ok()) ids[t][i] = *r;
        // Lookups and finds race with creation too.
        store().find_series("service", "svc" + std::to_string(i % 17));
        store().lookup_series(labels_of((i + 1) % kLabelSets));
      }
    }
  });
  REQUIRE(failures.load() == 0);

  std::set<SeriesId> distinct;
  for (int i = 0; i < kLabelSets; ++i) {
    for (int t = 1; t < kThreads; ++t) REQUIRE(ids[t][i] == ids[0][i]);
    distinct.insert(ids[0][i]);
  }
  REQUIRE(distinct.size() == kLabelSets);
  REQUIRE(*distinct.begin() == 1);
  REQUIRE(*distinct.rbegin() == kLabelSets);  // no id was burned by a lost race

  reopen();
  for (int i = 0; i < kLabelSets; ++i) REQUIRE(store().lookup_series(labels_of(i)) == ids[0][i]);
  REQUIRE(store().find_series("service", "svc3").size() == kLabelSets / 17 + (3 < kLabelSets % 17));
}

TEST_CASE_METHOD(StoreFixture, "concurrent write_rollups sum exactly", "[store][concurrency]") {
  constexpr int kThreads = 6;
  constexpr int kBatches = 150;
  std::vector<SeriesId> series;
  for (int i = 0; i < 4; ++i) series.push_back(store().ensure_series({{"service", "s" + std::to_string(i)}}).value());

  std::vector<ExpectedSums> expected(kThreads);
  std::atomic<int> failures{0};
  run_threads(kThreads, [&](int t) {
    std::mt19937_64 rng(100 + t);
    for (int b = 0; b < kBatches; ++b) {
      std::vector<RollupDelta> deltas(1 + rng() % 20);
      for (auto& d : deltas) {
        d.series = series[rng() % series.size()];
        d.minute_start = kT0 + static_cast<int64_t>(rng() % 150) * 60;  // 2.5 hours, heavy overlap
        d.value.add(rng() % 2 ? 200 : 500 + rng() % 4, 1 + rng() % 9);
      }
      if (!store().write_rollups(deltas).ok()) failures.fetch_add(1);
      expected[t].add(deltas);
      if (t == 0 && b % 50 == 49 && !store().flush().ok()) failures.fetch_add(1);
    }
  });
  REQUIRE(failures.load() == 0);

  ExpectedSums all;
  for (const auto& e : expected) all.add(e);
  for (SeriesId s : series) {
    REQUIRE(read(s, Resolution::kMinute) == all.of(s, Resolution::kMinute));
    REQUIRE(read(s, Resolution::kHour) == all.of(s, Resolution::kHour));
    REQUIRE(read(s, Resolution::kDay) == all.of(s, Resolution::kDay));
  }
  REQUIRE(store().compact().ok());
  for (SeriesId s : series) REQUIRE(read(s, Resolution::kHour) == all.of(s, Resolution::kHour));
}
