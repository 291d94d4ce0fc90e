#include <catch2/catch.hpp>

#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "store_fixture.h"

using namespace sloguard;
using namespace sloguard::store;
using sloguard::store::testing::counts;
using sloguard::store::testing::ExpectedSums;
using sloguard::store::testing::kT0;
using sloguard::store::testing::StoreFixture;

namespace {

std::vector<RollupDelta> random_deltas(std::mt19937_64& rng, const std::vector<SeriesId>& series, size_t n,
                                       int64_t first_minute, int minutes) {
  static const uint32_t kStatuses[] = {200, 201, 204, 302, 404, 429, 500, 502, 503};
  std::vector<RollupDelta> out(n);
  for (auto& d : out) {
    d.series = series[rng() % series.size()];
    d.minute_start = first_minute + static_cast<int64_t>(rng() % minutes) * 60;
    for (int k = 1 + rng() % 3; k > 0; --k) d.value.add(kStatuses[rng() % std::size(kStatuses)], 1 + rng() % 50);
  }
  return out;
}

}  // namespace

TEST_CASE_METHOD(StoreFixture, "write_rollups then scan returns the summed minute and hour buckets", "[store]") {
  SeriesId a = store().ensure_series({{"service", "checkout"}}).value();
  SeriesId b = store().ensure_series({{"service", "search"}}).value();
  std::mt19937_64 rng(3);
  ExpectedSums expected;
  for (int batch = 0; batch < 50; ++batch) {
    // 5 hours of minutes, deltas for the same minute within a batch included
    auto deltas = random_deltas(rng, {a, b}, 40, kT0 - 2 * 3600, 5 * 60);
    REQUIRE(store().write_rollups(deltas).ok());
    expected.add(deltas);
    if (batch == 20) REQUIRE(store().flush().ok());  // values in SST files and in the memtable
  }
  for (SeriesId s : {a, b}) {
    REQUIRE(read(s, Resolution::kMinute) == expected.of(s, Resolution::kMinute));
    REQUIRE(read(s, Resolution::kHour) == expected.of(s, Resolution::kHour));
    REQUIRE(read(s, Resolution::kDay) == expected.of(s, Resolution::kDay));
  }
  REQUIRE(read(a, Resolution::kHour).size() == 5);

  SECTION("after compaction, merged values are the same") {
    REQUIRE(store().compact().ok());
    REQUIRE(read(a, Resolution::kMinute) == expected.of(a, Resolution::kMinute));
    REQUIRE(read(b, Resolution::kHour) == expected.of(b, Resolution::kHour));
  }
  SECTION("scan covers from <= bucket < to, in time order") {
    auto all = expected.of(a, Resolution::kMinute);
    int64_t from = kT0 - 3600, to = kT0 + 1800;
    std::vector<int64_t> seen;
    REQUIRE(store().scan(a, Resolution::kMinute, from, to, [&](int64_t t, const Rollup&) { seen.push_back(t); }).ok());
    std::vector<int64_t> want;
    for (auto it = all.lower_bound(from); it != all.end() && it->first < to; ++it) want.push_back(it->first);
    REQUIRE(seen == want);
    REQUIRE(!seen.empty());
    // An unaligned from still starts at the first bucket at or after it.
    seen.clear();
    REQUIRE(store().scan(a, Resolution::kMinute, want[0] - 59, want[0] + 1,
                         [&](int64_t t, const Rollup&) { seen.push_back(t); }).ok());
    REQUIRE(seen == std::vector<int64_t>{want[0]});
  }
  SECTION("empty ranges and unknown series visit nothing") {
    int visits = 0;
    auto count_visits = [&](int64_t, const Rollup&) { ++visits; };
    REQUIRE(store().scan(a, Resolution::kMinute, kT0, kT0, count_visits).ok());
    REQUIRE(store().scan(a, Resolution::kMinute, kT0 + 60, kT0, count_visits).ok());
    REQUIRE(store().scan(999, Resolution::kMinute, 0, INT64_MAX, count_visits).ok());
    REQUIRE(store().scan(a, Resolution::kHour, kT0 + 86400, kT0 + 2 * 86400, count_visits).ok());
    REQUIRE(visits == 0);
  }
}

TEST_CASE_METHOD(StoreFixture, "rollups land in their minute and their hour bucket", "[store]") {
  SeriesId s = store().ensure_series({{"service", "checkout"}}).value();
  REQUIRE(store().write_rollups({{s, kT0 + 59 * 60, counts({{200, 3}})},
                                 {s, kT0 + 60 * 60, counts({{500, 1}})},
                                 {s, kT0, counts({{200, 1}, {503, 2}})}})
              .ok());
  auto minutes = read(s, Resolution::kMinute);
  REQUIRE(minutes.size() == 3);
  REQUIRE(minutes[kT0] == counts({{200, 1}, {503, 2}}));
  auto hours = read(s, Resolution::kHour);
  REQUIRE(hours.size() == 2);
  REQUIRE(hours[kT0] == counts({{200, 4}, {503, 2}}));
  REQUIRE(hours[kT0 + 3600] == counts({{500, 1}}));
}

TEST_CASE_METHOD(StoreFixture, "a batch with one invalid delta stores nothing", "[store]") {
  SeriesId s = store().ensure_series({{"service", "checkout"}}).value();
  RollupDelta good{s, kT0, counts({{200, 1}})};

  RollupDelta bad = good;
  SECTION("minute_start not on a minute") { bad.minute_start = kT0 + 30; }
  SECTION("negative minute_start") { bad.minute_start = -60; }
  SECTION("series 0") { bad.series = 0; }
  SECTION("by_status out of order") { bad.value.by_status = {{500, 1}, {200, 1}}; }
  SECTION("zero count") { bad.value.by_status = {{200, 0}}; }

  Status st = store().write_rollups({good, good, bad, good});
  REQUIRE(st.is_invalid_argument());
  REQUIRE(st.message().find("rollup delta 2") != std::string::npos);
  REQUIRE(read(s, Resolution::kMinute).empty());
  REQUIRE(read(s, Resolution::kHour).empty());
  REQUIRE(store().write_rollups({}).ok());
}

TEST_CASE_METHOD(StoreFixture, "rollups and the series dictionary survive a restart", "[store]") {
  Labels checkout{{"service", "checkout"}, {"endpoint", "/pay"}};
  Labels search{{"service", "search"}};
  SeriesId a = store().ensure_series(checkout).value();
  SeriesId b = store().ensure_series(search).value();
  REQUIRE(a != b);
  REQUIRE(store().write_rollups({{a, kT0, counts({{200, 5}})}, {b, kT0 + 60, counts({{500, 2}})}}).ok());
  REQUIRE(store().put_state("alerts/x", "firing").ok());

  SECTION("without flush (from the WAL)") { reopen(); }
  SECTION("after flush") {
    REQUIRE(store().flush().ok());
    reopen();
  }

  REQUIRE(store().lookup_series(checkout) == a);
  REQUIRE(store().ensure_series(search).value() == b);
  REQUIRE(read(a, Resolution::kMinute) == std::map<int64_t, Rollup>{{kT0, counts({{200, 5}})}});
  REQUIRE(read(b, Resolution::kHour) == std::map<int64_t, Rollup>{{kT0, counts({{500, 2}})}});
  REQUIRE(store().get_state("alerts/x").value() == std::optional<std::string>("firing"));
  auto found = store().find_series("service", "checkout");
  REQUIRE(found.size() == 1);
  REQUIRE(found[0].id == a);
  REQUIRE(found[0].labels == checkout);

  // New ids continue after the largest one handed out before the restart.
  SeriesId c = store().ensure_series({{"service", "cart"}}).value();
  REQUIRE(c == std::max(a, b) + 1);
  // Merges on top of data written before the restart add up.
  REQUIRE(store().write_rollups({{a, kT0, counts({{200, 1}, {404, 1}})}}).ok());
  reopen();
  REQUIRE(read(a, Resolution::kMinute)[kT0] == counts({{200, 6}, {404, 1}}));
  REQUIRE(store().lookup_series({{"service", "cart"}}) == c);
}

TEST_CASE_METHOD(StoreFixture, "series dictionary: ids, lookups and find_series", "[store]") {
  SeriesId a = store().ensure_series({{"service", "checkout"}, {"endpoint", "/pay"}}).value();
  SeriesId b = store().ensure_series({{"service", "checkout"}, {"endpoint", "/cart"}}).value();
  SeriesId c = store().ensure_series({{"service", "search"}}).value();
  REQUIRE(a == 1);
  REQUIRE(b == 2);
  REQUIRE(c == 3);
  REQUIRE(store().ensure_series({{"endpoint", "/pay"}, {"service", "checkout"}}).value() == a);
  REQUIRE(store().lookup_series({{"service", "checkout"}}) == std::nullopt);  // exact label sets only
  REQUIRE(store().lookup_series({{"service", "search"}}) == c);

  auto checkout = store().find_series("service", "checkout");
  REQUIRE(checkout.size() == 2);
  REQUIRE(checkout[0].id == a);
  REQUIRE(checkout[1].id == b);
  REQUIRE(checkout[1].labels == Labels{{"service", "checkout"}, {"endpoint", "/cart"}});
  REQUIRE(store().find_series("endpoint", "/pay").size() == 1);
  REQUIRE(store().find_series("service", "nope").empty());
  REQUIRE(store().find_series("nope", "checkout").empty());

  SECTION("label sets that cannot be encoded are rejected") {
    REQUIRE(store().ensure_series({}).status().is_invalid_argument());
    REQUIRE(store().ensure_series({{"", "x"}}).status().is_invalid_argument());
    REQUIRE(store().ensure_series({{"service", "a\x1f" "b"}}).status().is_invalid_argument());
    REQUIRE(store().ensure_series({{"a\x1e", "b"}}).status().is_invalid_argument());
    REQUIRE(store().lookup_series({}) == std::nullopt);
  }
  SECTION("an empty label value is a value") {
    SeriesId e = store().ensure_series({{"service", "checkout"}, {"endpoint", ""}}).value();
    REQUIRE(e == 4);
    reopen();
    REQUIRE(store().lookup_series({{"service", "checkout"}, {"endpoint", ""}}) == e);
  }
}

TEST_CASE_METHOD(StoreFixture, "retention: compaction drops old buckets and keeps recent ones", "[store][retention]") {
  retention_ms_ = 86400 * 1000;  // 1 day
  reopen();
  SeriesId s = store().ensure_series({{"service", "checkout"}}).value();
  // kT0 is on an hour. Write with the clock at kT0, then judge at kT0 + 1d + 1h.
  const int64_t now = kT0 + 86400 + 3600;
  const int64_t cutoff = now - 86400;  // == kT0 + 3600
  std::vector<RollupDelta> deltas = {
      {s, kT0 - 86400, counts({{200, 1}})},  // long gone
      {s, cutoff - 120, counts({{200, 2}})},  // minute ends before the cutoff
      {s, cutoff - 60, counts({{200, 3}})},   // minute ends exactly at the cutoff: dropped
      {s, cutoff, counts({{200, 4}})},        // minute ends after the cutoff: kept
      {s, now - 60, counts({{500, 5}})},      // recent
  };
  REQUIRE(store().write_rollups(deltas).ok());

  SECTION("values already merged by an earlier compaction") {
    clock_.set_seconds(kT0);
    REQUIRE(store().compact().ok());
    REQUIRE(read(s, Resolution::kMinute).size() == 5);
  }
  SECTION("merge operands straight from the memtable") {}

  clock_.set_seconds(now);
  REQUIRE(read(s, Resolution::kMinute).size() == 5);  // nothing is deleted by reading or time alone
  REQUIRE(store().compact().ok());

  auto minutes = read(s, Resolution::kMinute);
  std::vector<int64_t> kept;
  for (const auto& [t, _] : minutes) kept.push_back(t);
  REQUIRE(kept == std::vector<int64_t>{cutoff, now - 60});
  REQUIRE(minutes[cutoff] == counts({{200, 4}}));

  // Hour buckets [kT0 - 1d, ...) and [kT0, kT0 + 1h) end at or before the cutoff.
  auto hours = read(s, Resolution::kHour);
  REQUIRE(hours.size() == 2);
  REQUIRE(hours.begin()->first == cutoff);
  REQUIRE(hours.begin()->second == counts({{200, 4}}));
  REQUIRE(hours.rbegin()->first == now - 3600);

  // Survives a restart, and the dictionary (state family) is never subject to retention.
  reopen();
  REQUIRE(read(s, Resolution::kMinute).size() == 2);
  REQUIRE(store().lookup_series({{"service", "checkout"}}) == s);
}

TEST_CASE_METHOD(StoreFixture, "state table: put, get, delete, scan by prefix", "[store][state]") {
  REQUIRE(store().put_state("alerts/b", "2").ok());
  REQUIRE(store().put_state("alerts/a", "1").ok());
  REQUIRE(store().put_state("outbox/1", std::string("bin\0ary", 7)).ok());
  REQUIRE(store().put_state("alerts/a", "1b").ok());  // overwrite
  REQUIRE(store().get_state("alerts/a").value() == std::optional<std::string>("1b"));
  REQUIRE(store().get_state("outbox/1").value()->size() == 7);
  REQUIRE(store().get_state("alerts/zz").value() == std::nullopt);

  auto scan = [&](std::string_view prefix) {
    std::vector<std::pair<std::string, std::string>> out;
    REQUIRE(store()
                .scan_state(prefix, [&](std::string_view k, std::string_view v) { out.emplace_back(k, v); })
                .ok());
    return out;
  };
  using KV = std::vector<std::pair<std::string, std::string>>;
  REQUIRE(scan("alerts/") == KV{{"alerts/a", "1b"}, {"alerts/b", "2"}});
  REQUIRE(scan("nothing/").empty());

  REQUIRE(store().delete_state("alerts/a").ok());
  REQUIRE(store().delete_state("alerts/never").ok());  // deleting a missing key is fine
  REQUIRE(store().get_state("alerts/a").value() == std::nullopt);
  REQUIRE(scan("alerts/") == KV{{"alerts/b", "2"}});

  SECTION("internal keys are reserved and hidden") {
    store().ensure_series({{"service", "checkout"}}).value();
    REQUIRE(store().put_state("series/x", "1").is_invalid_argument());
    REQUIRE(store().put_state("meta/next_series_id", "1").is_invalid_argument());
    REQUIRE(store().delete_state("series/service\x1f" "checkout").is_invalid_argument());
    REQUIRE(store().get_state("meta/next_series_id").status().is_invalid_argument());
    REQUIRE(store().put_state("", "x").is_invalid_argument());
    REQUIRE(store().put_state("seriesx", "ok").ok());  // only the exact prefixes are reserved
    REQUIRE(store().put_state("metadata", "ok").ok());
    REQUIRE(scan("") == KV{{"alerts/b", "2"}, {"metadata", "ok"}, {"outbox/1", std::string("bin\0ary", 7)},
                           {"seriesx", "ok"}});
    REQUIRE(store().lookup_series({{"service", "checkout"}}) == 1u);
  }
  SECTION("state survives a restart") {
    reopen();
    REQUIRE(scan("") == KV{{"alerts/b", "2"}, {"outbox/1", std::string("bin\0ary", 7)}});
  }
}

TEST_CASE_METHOD(StoreFixture, "opening a store that is already open fails with IOError naming the path", "[store]") {
  auto second = open_rocksdb_store(options());
  REQUIRE_FALSE(second.ok());
  REQUIRE(second.status().code() == Status::Code::kIOError);
  INFO(second.status().to_string());
  REQUIRE(second.status().message().find(dir_.str()) != std::string::npos);
  REQUIRE(second.status().message().find("lock") != std::string::npos);
  // The first store is unaffected.
  REQUIRE(store().put_state("k", "v").ok());
}

TEST_CASE("open_rocksdb_store rejects unusable options", "[store]") {
  StoreOptions o;
  REQUIRE(open_rocksdb_store(o).status().is_invalid_argument());  // empty path
  sloguard::testing::TempDir dir;
  o.path = dir.str() + "/db";
  o.retention_ms = 0;
  REQUIRE(open_rocksdb_store(o).status().is_invalid_argument());
  o.retention_ms = 1000;
  REQUIRE(open_rocksdb_store(o).ok());  // creates the missing directory

  // A path below a regular file cannot be created.
  { std::ofstream(dir.str() + "/file") << "x"; }
  o.path = dir.str() + "/file/db";
  auto r = open_rocksdb_store(o);
  REQUIRE(r.status().code() == Status::Code::kIOError);
  REQUIRE(r.status().message().find(o.path) != std::string::npos);
}

TEST_CASE_METHOD(StoreFixture, "thousands of merges into the same buckets sum exactly", "[store]") {
  // Far more operands per key than the memtable keeps before RocksDB folds them.
  SeriesId s = store().ensure_series({{"service", "checkout"}}).value();
  uint64_t ok = 0, bad = 0;
  for (int i = 0; i < 1000; ++i) {
    uint64_t n200 = static_cast<uint64_t>(i % 7) + 1, n503 = i % 3 == 0 ? 1 : 0;
    Rollup r = n503 ? counts({{200, n200}, {503, n503}}) : counts({{200, n200}});
    REQUIRE(store().write_rollups({{s, kT0 + 60 * (i % 2), r}}).ok());
    ok += n200;
    bad += n503;
    if (i == 500) REQUIRE(store().flush().ok());
  }
  auto day = read(s, Resolution::kDay);
  REQUIRE(day.size() == 1);
  CHECK(day.begin()->second == counts({{200, ok}, {503, bad}}));
  auto minutes = read(s, Resolution::kMinute);
  REQUIRE(minutes.size() == 2);
  CHECK(minutes.begin()->second.total + std::next(minutes.begin())->second.total == ok + bad);
  reopen();
  CHECK(read(s, Resolution::kHour).begin()->second == counts({{200, ok}, {503, bad}}));
}

TEST_CASE_METHOD(StoreFixture, "a merge that would overflow a counter is refused and the bucket stays readable",
                 "[store]") {
  SeriesId s = store().ensure_series({{"service", "checkout"}}).value();
  const uint64_t huge = 10'000'000'000'000'000'000ULL;  // two of these exceed 2^64
  REQUIRE(store().write_rollups({{s, kT0, counts({{500, huge}})}}).ok());
  REQUIRE(store().write_rollups({{s, kT0, counts({{500, huge}})}}).ok());
  REQUIRE(store().write_rollups({{s, kT0, counts({{200, 5}})}}).ok());
  for (int pass = 0; pass < 2; ++pass) {  // from the memtable, then after compaction
    auto minutes = read(s, Resolution::kMinute);
    REQUIRE(minutes.size() == 1);
    const Rollup& got = minutes.begin()->second;
    INFO("total " << got.total << " statuses " << got.by_status.size());
    CHECK(got == counts({{200, 5}, {500, huge}}));
    REQUIRE(store().compact().ok());
  }
}

TEST_CASE_METHOD(StoreFixture, "state table: write_state puts and deletes atomically", "[store][state]") {
  REQUIRE(store().put_state("alert/a", "old").ok());
  REQUIRE(store().write_state({{"outbox/1", "n1"}, {"alert/a", "new"}, {"alert/b", std::nullopt}}).ok());
  REQUIRE(store().get_state("alert/a").value() == std::optional<std::string>("new"));
  REQUIRE(store().get_state("outbox/1").value() == std::optional<std::string>("n1"));
  REQUIRE(store().write_state({{"alert/a", std::nullopt}, {"outbox/2", "n2"}}).ok());
  REQUIRE(store().get_state("alert/a").value() == std::nullopt);

  // A reserved key anywhere in the batch rejects the whole batch.
  REQUIRE(store().write_state({{"outbox/3", "n3"}, {"meta/x", "bad"}}).is_invalid_argument());
  REQUIRE(store().get_state("outbox/3").value() == std::nullopt);
  reopen();
  REQUIRE(store().get_state("outbox/2").value() == std::optional<std::string>("n2"));
}
