// Latency data in rollups: the sketch (tag 2) and the exact threshold counts (tag 3), through
// the codec, Rollup::merge, the merge operator and the real store.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <rocksdb/merge_operator.h>

#include "../../../store/src/key_codec.h"
#include "../../../store/src/rollup_merge_operator.h"
#include "sloguard/store/rollup.h"
#include "store_fixture.h"

using namespace sloguard;
using namespace sloguard::store;
using sloguard::store::testing::kT0;
using sloguard::store::testing::StoreFixture;

namespace {

using Thresholds = std::vector<uint32_t>;
using LeCounts = std::vector<std::pair<uint32_t, uint64_t>>;

std::string wire(const Rollup& r) {
  std::string s;
  encode_rollup(r, s);
  return s;
}

Rollup decoded(std::string_view bytes) {
  Rollup r;
  REQUIRE(decode_rollup(bytes, r));
  return r;
}

// One event of the test streams: what the collector would add for it.
struct Event {
  double latency_ms;
  uint32_t status;
};

Rollup rollup_of(const std::vector<Event>& events, const Thresholds& thresholds) {
  Rollup r;
  for (const Event& e : events) {
    r.add(e.status, 1);
    r.add_latency(e.latency_ms, 1, thresholds);
  }
  return r;
}

// Exact "latency <= T" counts, counted the way a person would state the SLI (in microseconds,
// with the decimal latency scaled exactly: llround is exact for the test's 3-decimal values).
LeCounts exact_le(const std::vector<double>& latencies, const Thresholds& thresholds) {
  LeCounts out;
  for (uint32_t t : thresholds) {
    uint64_t n = 0;
    for (double v : latencies) n += std::llround(v * 1000) <= static_cast<long long>(t);
    out.emplace_back(t, n);
  }
  return out;
}

// Latencies with three decimals, log-normal around 80 ms, and a few exactly at the thresholds.
double random_latency(std::mt19937_64& rng, const Thresholds& thresholds) {
  if (!thresholds.empty() && rng() % 10 == 0) return thresholds[rng() % thresholds.size()] / 1000.0;
  std::lognormal_distribution<double> d(std::log(80), 1.0);
  return std::round(d(rng) * 1000) / 1000;
}

Rollup full_merge(const std::string* existing, const std::vector<std::string>& operands) {
  auto op = make_rollup_merge_operator();
  RollupKey key(1, kT0);
  rocksdb::Slice k(key.bytes, kRollupKeySize);
  rocksdb::Slice base = existing ? rocksdb::Slice(*existing) : rocksdb::Slice();
  std::vector<rocksdb::Slice> ops(operands.begin(), operands.end());
  std::string out;
  rocksdb::Slice existing_operand(nullptr, 0);
  rocksdb::MergeOperator::MergeOperationOutput merge_out(out, existing_operand);
  REQUIRE(op->FullMergeV2(rocksdb::MergeOperator::MergeOperationInput(k, existing ? &base : nullptr, ops, nullptr),
                          &merge_out));
  return decoded(existing_operand.data() ? std::string_view(existing_operand.data(), existing_operand.size())
                                         : std::string_view(out));
}

// The wire form of a value written before latency data existed: tag 1 only.
const std::string kOldValue("\x01\x01\x08\x04\x02\xc8\x01\x03\xf4\x03\x01", 11);

}  // namespace

TEST_CASE("Rollup::add_latency fills the sketch and the exact threshold counts", "[rollup][latency]") {
  const Thresholds th = {2007, 100000, 250000};
  Rollup r;
  for (double v : {50.0, 100.0, 100.001, 250.0, 300.0, 2.007, 0.0}) r.add_latency(v, 1, th);
  r.add_latency(1.0, 0, th);  // count 0: nothing
  r.add_latency(99.0, 5, th);
  REQUIRE(r.latency.count() == 12);
  REQUIRE(r.total == 0);  // statuses are added separately
  // 2.007 ms is at (not over) 2007 us, although 2.007 * 1000 > 2007 in doubles.
  REQUIRE(r.latency_le == LeCounts{{2007, 2}, {100000, 9}, {250000, 11}});
  REQUIRE(is_well_formed(r));

  SECTION("a threshold nothing is under is kept with count 0") {
    Rollup slow;
    slow.add_latency(5000, 1, {100000, 1000000, 5000000});
    REQUIRE(slow.latency_le == LeCounts{{100000, 0}, {1000000, 0}, {5000000, 1}});
  }
  SECTION("no thresholds: only the sketch") {
    Rollup plain;
    plain.add_latency(12.5, 3, {});
    REQUIRE(plain.latency_le.empty());
    REQUIRE(plain.latency.count() == 3);
  }
  SECTION("other thresholds later keep only the ones known for every event") {
    r.add_latency(1.0, 1, {100000, 500000});
    REQUIRE(r.latency_le == LeCounts{{100000, 10}});
    r.add_latency(1.0, 1, {});
    REQUIRE(r.latency_le.empty());
    REQUIRE(r.latency.count() == 14);
  }
}

TEST_CASE("Rollup wire form with latency: exact bytes", "[rollup][latency]") {
  Rollup r;
  r.add(200, 3);
  r.add_latency(1.0, 2, {1000});
  r.add_latency(0.5, 1, {1000});
  // version 1 | tag 1 len 5: total 3, n 1, 200 (c8 01) 3
  //           | tag 2 len 6: zero 0, n 2, bucket -35 (zigzag 0x45) 1, +35 (0x46) 2
  //           | tag 3 len 4: n 1, threshold 1000 (e8 07), count 3
  const std::string expected("\x01"
                             "\x01\x05\x03\x01\xc8\x01\x03"
                             "\x02\x06\x00\x02\x45\x01\x46\x02"
                             "\x03\x04\x01\xe8\x07\x03",
                             22);
  REQUIRE(wire(r) == expected);
  REQUIRE(decoded(expected) == r);
}

TEST_CASE("Values without latency tags decode as before and encode byte for byte", "[rollup][latency]") {
  Rollup old = decoded(kOldValue);
  REQUIRE(old.total == 4);
  REQUIRE(old.latency.empty());
  REQUIRE(old.latency_le.empty());
  REQUIRE(wire(old) == kOldValue);

  Rollup newer;
  newer.add(200, 1);
  newer.add_latency(20, 1, {100000});
  Rollup merged = full_merge(&kOldValue, {wire(newer)});
  REQUIRE(merged.total == 5);
  REQUIRE(merged.latency == newer.latency);
  REQUIRE(merged.latency_le == LeCounts{{100000, 1}});  // the old events carried no latency
  Rollup reversed = full_merge(nullptr, {wire(newer), kOldValue});
  REQUIRE(reversed == merged);
}

TEST_CASE("decode_rollup with RollupParts::kStatusCounts skips the latency fields", "[rollup][latency]") {
  Rollup r = rollup_of({{12.5, 200}, {480, 503}, {90, 200}}, {100000, 250000});
  r.unknown_fields = std::string("\x09\x01z", 3);
  const std::string bytes = wire(r);
  Rollup out;
  REQUIRE(decode_rollup(bytes, out, RollupParts::kStatusCounts));
  REQUIRE(out.total == 3);
  REQUIRE(out.by_status == r.by_status);
  REQUIRE(out.unknown_fields == r.unknown_fields);
  REQUIRE(out.latency.empty());
  REQUIRE(out.latency_le.empty());
  REQUIRE(decode_rollup(bytes, out, RollupParts::kAll));
  REQUIRE(out == r);
  // Skipped bytes are not checked, the framing still is.
  const std::string bad_sketch = std::string("\x01\x02\x02\x00\x00", 5);
  REQUIRE(decode_rollup(bad_sketch, out, RollupParts::kStatusCounts));
  REQUIRE_FALSE(decode_rollup(bad_sketch, out, RollupParts::kAll));
  REQUIRE_FALSE(decode_rollup(std::string("\x01\x02\x09\x00", 4), out, RollupParts::kStatusCounts));
}

TEST_CASE("decode_rollup rejects malformed latency fields", "[rollup][latency]") {
  const std::string sketch = std::string("\x02\x04\x00\x01\x00\x05", 6);  // 5 events in bucket 0
  const std::string bad[] = {
      std::string("\x01\x02\x02\x00\x00", 5),                          // empty sketch
      "\x01" + sketch + sketch,                                        // sketch twice
      std::string("\x01\x02\x03\x00\x01\x00", 6),                      // truncated sketch
      std::string("\x01\x03\x03\x01\x0a\x01", 6),                      // thresholds without a sketch
      "\x01" + sketch + std::string("\x03\x01\x00", 3),                // no thresholds
      "\x01" + sketch + std::string("\x03\x05\x02\x0a\x01\x00\x02", 7),  // second threshold not above
      "\x01" + sketch + std::string("\x03\x05\x02\x0a\x03\x01\x02", 7),  // counts decreasing
      "\x01" + sketch + std::string("\x03\x03\x01\x0a\x06", 5),          // count above the sketch's
      "\x01" + sketch + std::string("\x03\x03\x01\x0a\x01\x03\x03\x01\x0a\x01", 10),  // tag 3 twice
      "\x01" + sketch + std::string("\x03\x07\x01\x80\x80\x80\x80\x10\x01", 9),  // threshold > 2^32
      "\x01" + sketch + std::string("\x03\x04\x01\x0a\x01\x00", 6),    // trailing byte
      "\x01" + sketch + std::string("\x03\x05\xff\xff\xff\xff\x0f", 7),  // huge n
  };
  Rollup out;
  for (size_t i = 0; i < std::size(bad); ++i) {
    INFO("case " << i);
    REQUIRE_FALSE(decode_rollup(bad[i], out));
  }
  REQUIRE(decode_rollup("\x01" + sketch + std::string("\x03\x05\x02\x0a\x01\x01\x05", 7), out));
  REQUIRE(out.latency_le == LeCounts{{10, 1}, {11, 5}});
  REQUIRE(out.latency.count() == 5);
}

TEST_CASE("Rollup codec with latency: round trip and corrupted bytes", "[rollup][latency]") {
  std::mt19937_64 rng(21);
  const std::vector<Thresholds> sets = {{}, {100000}, {50000, 100000, 250000}};
  Rollup out;
  for (int i = 0; i < 1000; ++i) {
    const Thresholds& th = sets[rng() % sets.size()];
    std::vector<Event> events(rng() % 300);
    for (auto& e : events) e = {random_latency(rng, th), rng() % 5 == 0 ? 503u : 200u};
    Rollup r = rollup_of(events, th);
    if (i % 7 == 0) r.unknown_fields = std::string("\x09\x02zz", 4);
    REQUIRE(is_well_formed(r));
    std::string bytes = wire(r);
    REQUIRE(decoded(bytes) == r);
    for (size_t len = 1; len < bytes.size(); len += 1 + rng() % 8) {
      if (decode_rollup(std::string_view(bytes).substr(0, len), out)) REQUIRE(is_well_formed(out));
    }
    for (int flip = 0; flip < 10 && !bytes.empty(); ++flip) {
      std::string f = bytes;
      f[rng() % f.size()] ^= static_cast<char>(1u << (rng() % 8));
      if (decode_rollup(f, out)) {
        REQUIRE(is_well_formed(out));
        REQUIRE(decoded(wire(out)) == out);
      }
    }
  }
}

TEST_CASE("Rollup::merge of latency data is associative, commutative and exact", "[rollup][latency]") {
  std::mt19937_64 rng(8);
  // Threshold sets as they change with config reloads; {} stands for "no latency SLO".
  const std::vector<Thresholds> sets = {{}, {100000}, {100000, 250000}, {250000, 1000000}, {100000, 250000}};
  for (int round = 0; round < 300; ++round) {
    std::vector<Rollup> parts(1 + rng() % 6);
    std::vector<Thresholds> used(parts.size());
    std::vector<std::vector<double>> values(parts.size());
    for (size_t p = 0; p < parts.size(); ++p) {
      used[p] = sets[rng() % sets.size()];
      size_t n = rng() % 4 == 0 ? 0 : rng() % 200;  // some parts carry no latency at all
      for (size_t i = 0; i < n; ++i) {
        double v = random_latency(rng, used[p]);
        values[p].push_back(v);
        parts[p].add(200, 1);
        parts[p].add_latency(v, 1, used[p]);
      }
      if (n == 0) parts[p].add(500, 1 + rng() % 3);
    }
    Rollup folded;
    for (const Rollup& p : parts) folded.merge(p);
    REQUIRE(is_well_formed(folded));

    // Every order and grouping gives the same value.
    std::vector<Rollup> shuffled = parts;
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    while (shuffled.size() > 1) {
      size_t i = rng() % shuffled.size();
      size_t j = rng() % (shuffled.size() - 1);
      if (j >= i) ++j;
      shuffled[i].merge(shuffled[j]);
      shuffled.erase(shuffled.begin() + static_cast<std::ptrdiff_t>(j));
    }
    REQUIRE(shuffled[0] == folded);

    // The thresholds kept are those every part with latencies knew, each count exact.
    std::vector<double> all;
    std::map<uint32_t, int> known;
    size_t with_latency = 0;
    for (size_t p = 0; p < parts.size(); ++p) {
      all.insert(all.end(), values[p].begin(), values[p].end());
      if (values[p].empty()) continue;
      ++with_latency;
      for (uint32_t t : used[p]) ++known[t];
    }
    Thresholds common;
    for (auto [t, n] : known) {
      if (static_cast<size_t>(n) == with_latency) common.push_back(t);
    }
    REQUIRE(folded.latency_le == exact_le(all, common));
    REQUIRE(folded.latency.count() == all.size());
  }
}

TEST_CASE("merge operator folds thousands of latency operands linearly and exactly", "[store][merge][latency]") {
  std::mt19937_64 rng(4);
  const Thresholds th = {100000, 250000};
  std::vector<std::string> operands;
  Rollup expected;
  std::vector<double> all;
  for (int i = 0; i < 5000; ++i) {
    std::vector<Event> events(1 + rng() % 20);
    for (auto& e : events) {
      // Each operand reaches further down or up now and then, growing the sum at both ends.
      e = {i % 97 == 0 ? std::pow(0.9, i / 97) : random_latency(rng, th), 200};
      all.push_back(e.latency_ms);
    }
    Rollup r = rollup_of(events, th);
    expected.merge(r);
    operands.push_back(wire(r));
  }
  std::string base = wire(rollup_of({{3.0, 200}}, th));
  all.push_back(3.0);
  Rollup with_base = rollup_of({{3.0, 200}}, th);
  with_base.merge(expected);

  REQUIRE(full_merge(nullptr, operands) == expected);
  REQUIRE(full_merge(&base, operands) == with_base);
  REQUIRE(with_base.latency_le == exact_le(all, th));

  std::string partial;
  RollupKey key(1, kT0);
  auto op = make_rollup_merge_operator();
  REQUIRE(op->PartialMergeMulti(rocksdb::Slice(key.bytes, kRollupKeySize),
                                std::deque<rocksdb::Slice>(operands.begin(), operands.end()), &partial, nullptr));
  REQUIRE(decoded(partial) == expected);
}

TEST_CASE_METHOD(StoreFixture, "latency rollups through the store equal the merge of their inputs",
                 "[store][latency]") {
  SeriesId a = store().ensure_series({{"service", "checkout"}}).value();
  SeriesId b = store().ensure_series({{"service", "search"}}).value();
  const Thresholds th = {100000, 250000, 500000};
  std::mt19937_64 rng(12);

  // Expected values two ways: Rollup::merge of the deltas, and the raw latencies per bucket.
  std::map<std::pair<SeriesId, int64_t>, Rollup> merged[3];
  std::map<std::pair<SeriesId, int64_t>, std::vector<double>> raw[3];
  const int64_t widths[3] = {60, 3600, 86400};
  const Resolution resolutions[3] = {Resolution::kMinute, Resolution::kHour, Resolution::kDay};

  for (int batch = 0; batch < 40; ++batch) {
    std::vector<RollupDelta> deltas(30);
    for (auto& d : deltas) {
      d.series = rng() % 2 ? a : b;
      // Two days and a bit of minutes, so there are several hours and days.
      d.minute_start = kT0 - 86400 + static_cast<int64_t>(rng() % (3 * 1440)) * 60;
      std::vector<Event> events(1 + rng() % 40);
      for (auto& e : events) e = {random_latency(rng, th), rng() % 10 == 0 ? 500u : 200u};
      d.value = rollup_of(events, th);
      for (int r = 0; r < 3; ++r) {
        std::pair<SeriesId, int64_t> key{d.series, d.minute_start - d.minute_start % widths[r]};
        merged[r][key].merge(d.value);
        for (const Event& e : events) raw[r][key].push_back(e.latency_ms);
      }
    }
    REQUIRE(store().write_rollups(deltas).ok());
    if (batch == 15) REQUIRE(store().flush().ok());
  }

  auto check = [&] {
    for (SeriesId s : {a, b}) {
      for (int r = 0; r < 3; ++r) {
        std::map<int64_t, Rollup> want;
        for (const auto& [key, value] : merged[r]) {
          if (key.first == s) want[key.second] = value;
        }
        auto got = read(s, resolutions[r]);
        REQUIRE(got == want);
        // A status-counts scan sees the same buckets and counts, without latency data.
        size_t visited = 0;
        REQUIRE(store()
                    .scan(s, resolutions[r], 0, INT64_MAX, RollupParts::kStatusCounts,
                          [&](int64_t bucket, const Rollup& v) {
                            ++visited;
                            REQUIRE(v.total == want[bucket].total);
                            REQUIRE(v.by_status == want[bucket].by_status);
                            REQUIRE(v.latency.empty());
                            REQUIRE(v.latency_le.empty());
                          })
                    .ok());
        REQUIRE(visited == want.size());
        for (const auto& [bucket, value] : got) {
          const auto& values = raw[r][{s, bucket}];
          LatencySketch direct;
          for (double v : values) direct.add(v);
          REQUIRE(value.latency == direct);
          REQUIRE(value.latency_le == exact_le(values, th));
        }
      }
    }
  };
  check();
  REQUIRE(store().compact().ok());
  check();
  reopen();
  check();
}

TEST_CASE_METHOD(StoreFixture, "a threshold added mid-bucket is kept only where its counts are exact",
                 "[store][latency]") {
  SeriesId s = store().ensure_series({{"service", "checkout"}}).value();
  // Before a config reload: one latency SLO at 100 ms. After: another at 250 ms.
  REQUIRE(store().write_rollups({{s, kT0, rollup_of({{90, 200}, {180, 200}}, {100000})}}).ok());
  REQUIRE(store().write_rollups({{s, kT0 + 60, rollup_of({{120, 200}}, {100000, 250000})}}).ok());
  REQUIRE(store().write_rollups({{s, kT0, rollup_of({{300, 200}}, {100000, 250000})}}).ok());

  auto minutes = read(s, Resolution::kMinute);
  REQUIRE(minutes[kT0].latency_le == LeCounts{{100000, 1}});  // 250 ms unknown for the first events
  REQUIRE(minutes[kT0 + 60].latency_le == LeCounts{{100000, 0}, {250000, 1}});
  REQUIRE(read(s, Resolution::kHour)[kT0].latency_le == LeCounts{{100000, 1}});
  REQUIRE(read(s, Resolution::kHour)[kT0].latency.count() == 4);

  SECTION("buckets of values written before latency data existed still read") {
    SeriesId old = store().ensure_series({{"service", "legacy"}}).value();
    Rollup counts_only = decoded(kOldValue);
    REQUIRE(store().write_rollups({{old, kT0, counts_only}}).ok());
    REQUIRE(store().flush().ok());
    REQUIRE(store().write_rollups({{old, kT0, rollup_of({{10, 200}}, {100000})}}).ok());
    Rollup got = read(old, Resolution::kMinute)[kT0];
    REQUIRE(got.total == 5);
    REQUIRE(got.latency.count() == 1);
    REQUIRE(got.latency_le == LeCounts{{100000, 1}});
  }
}
