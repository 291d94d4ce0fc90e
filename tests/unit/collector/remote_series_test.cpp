// Counter and classic-histogram semantics of remote_write series (remote_series.h).
#include "remote_series.h"

#include <bit>
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

using namespace sloguard;
using collector::SampleResult;
using collector::detail::Increase;
using collector::detail::integer_increase;
using collector::detail::RemoteSeriesState;

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();

uint64_t total(const std::vector<Increase>& v) {
  uint64_t n = 0;
  for (const auto& i : v) n += i.count;
  return n;
}
}  // namespace

TEST_CASE("counter: the first sample gives no increase, later ones their difference") {
  RemoteSeriesState s;
  std::vector<Increase> out;
  CHECK(s.add_counter(1000, 100, out) == SampleResult::kFirstSample);
  CHECK(out.empty());
  CHECK(s.add_counter(16000, 130, out) == SampleResult::kAccepted);
  REQUIRE(out.size() == 1);
  CHECK(out[0].count == 30);
  CHECK(out[0].ts_ms == 16000);
  CHECK(s.add_counter(31000, 130, out) == SampleResult::kAccepted);
  CHECK(out.size() == 1);  // no increase, nothing emitted
}

TEST_CASE("counter: a decrease is a reset and the new value is the increase") {
  RemoteSeriesState s;
  std::vector<Increase> out;
  (void)s.add_counter(1000, 500, out);
  CHECK(s.add_counter(2000, 7, out) == SampleResult::kAccepted);
  REQUIRE(out.size() == 1);
  CHECK(out[0].count == 7);
}

TEST_CASE("counter: samples at or before the last one are duplicates or out of order") {
  RemoteSeriesState s;
  std::vector<Increase> out;
  (void)s.add_counter(1000, 1, out);
  (void)s.add_counter(2000, 5, out);
  CHECK(s.add_counter(2000, 5, out) == SampleResult::kDuplicate);
  CHECK(s.add_counter(1500, 3, out) == SampleResult::kOutOfOrder);
  CHECK(total(out) == 4);
}

TEST_CASE("counter: fractional values count whole events, carrying the fraction") {
  CHECK(integer_increase(1.5, 2.4) == 1);
  CHECK(integer_increase(2.4, 2.9) == 0);
  CHECK(integer_increase(2.9, 3.0) == 1);  // 1.5 -> 2.4 -> 2.9 -> 3.0 counts floor(3) - floor(1.5) = 2 in all
  CHECK(integer_increase(10, 2.5) == 2);   // reset
}

TEST_CASE("histogram: a complete scrape is committed as per-bucket events") {
  RemoteSeriesState s;
  std::vector<Increase> out;
  uint64_t incomplete = 0;
  // First scrape: every bucket's first sample.
  for (auto [le, v] : std::vector<std::pair<double, double>>{{0.1, 10}, {0.5, 20}, {kInf, 25}}) {
    CHECK(s.add_bucket(le, 1000, v, out, incomplete) == SampleResult::kFirstSample);
  }
  CHECK(out.empty());
  // Second scrape: cumulative 0.1:+5 0.5:+8 +Inf:+10 -> buckets 5, 3, 2.
  CHECK(s.add_bucket(0.5, 16000, 28, out, incomplete) == SampleResult::kPending);
  CHECK(s.add_bucket(0.1, 16000, 15, out, incomplete) == SampleResult::kPending);
  CHECK(out.empty());  // +Inf has not arrived
  CHECK(s.add_bucket(kInf, 16000, 35, out, incomplete) == SampleResult::kPending);
  REQUIRE(out.size() == 3);
  CHECK(out[0].le == 0.1);
  CHECK(out[0].count == 5);
  CHECK(out[1].le == 0.5);
  CHECK(out[1].count == 3);
  CHECK(out[2].le == kInf);
  CHECK(out[2].count == 2);
  CHECK(incomplete == 0);
  CHECK(s.pending.empty());
}

TEST_CASE("histogram: a later complete scrape covers an incomplete one") {
  RemoteSeriesState s;
  std::vector<Increase> out;
  uint64_t incomplete = 0;
  (void)s.add_bucket(0.1, 1000, 0, out, incomplete);
  (void)s.add_bucket(kInf, 1000, 0, out, incomplete);
  (void)s.add_bucket(0.1, 16000, 4, out, incomplete);  // its +Inf is lost
  (void)s.add_bucket(0.1, 31000, 6, out, incomplete);
  (void)s.add_bucket(kInf, 31000, 9, out, incomplete);
  CHECK(incomplete == 1);
  REQUIRE(out.size() == 2);
  CHECK(out[0].count == 6);
  CHECK(out[1].count == 3);
  CHECK(out[0].ts_ms == 31000);
  // The lost sample arriving now is older than what was committed.
  CHECK(s.add_bucket(kInf, 16000, 5, out, incomplete) == SampleResult::kOutOfOrder);
}

TEST_CASE("histogram: scrapes arriving interleaved (two senders' shards) commit in order") {
  RemoteSeriesState s;
  std::vector<Increase> out;
  uint64_t incomplete = 0;
  (void)s.add_bucket(0.1, 1000, 0, out, incomplete);
  (void)s.add_bucket(kInf, 1000, 0, out, incomplete);
  (void)s.add_bucket(0.1, 16000, 1, out, incomplete);
  (void)s.add_bucket(0.1, 31000, 2, out, incomplete);
  (void)s.add_bucket(kInf, 16000, 3, out, incomplete);  // completes 16000
  (void)s.add_bucket(kInf, 31000, 5, out, incomplete);  // completes 31000
  CHECK(incomplete == 0);
  CHECK(total(out) == 5);
  CHECK(out.front().ts_ms == 16000);
  CHECK(out.back().ts_ms == 31000);
}

TEST_CASE("histogram: a reset of the buckets counts the new cumulative values") {
  RemoteSeriesState s;
  std::vector<Increase> out;
  uint64_t incomplete = 0;
  (void)s.add_bucket(0.1, 1000, 100, out, incomplete);
  (void)s.add_bucket(kInf, 1000, 200, out, incomplete);
  (void)s.add_bucket(0.1, 16000, 2, out, incomplete);
  (void)s.add_bucket(kInf, 16000, 3, out, incomplete);
  REQUIRE(out.size() == 2);
  CHECK(out[0].count == 2);
  CHECK(out[1].count == 1);
}

TEST_CASE("remote series state survives encode and decode, pending scrapes included") {
  RemoteSeriesState s;
  std::vector<Increase> out;
  uint64_t incomplete = 0;
  (void)s.add_bucket(0.25, 1000, 3, out, incomplete);
  (void)s.add_bucket(kInf, 1000, 4, out, incomplete);
  (void)s.add_bucket(0.25, 16000, 5, out, incomplete);
  std::string bytes;
  s.encode(bytes);
  RemoteSeriesState back;
  REQUIRE(back.decode(bytes));
  REQUIRE(back.buckets.size() == 2);
  REQUIRE(back.pending.size() == 1);
  CHECK(std::isnan(back.pending[0].values[1]));
  CHECK(back.pending[0].values[0] == 5);
  CHECK(back.add_bucket(kInf, 16000, 10, out, incomplete) == SampleResult::kPending);
  CHECK(total(out) == 6);
  CHECK_FALSE(back.decode(bytes.substr(0, bytes.size() - 1)));
  CHECK_FALSE(back.decode(""));
}

TEST_CASE("remote series state: a counter's state is small, odd values survive bit for bit") {
  RemoteSeriesState s;
  std::vector<Increase> out;
  (void)s.add_counter(1767225600000, 1234567, out);
  std::string bytes;
  s.encode(bytes);
  CHECK(bytes.size() <= 16);  // version 2 took 44 bytes
  for (double v : {0.5, -0.0, 1e300, 9007199254740993.0, std::numeric_limits<double>::denorm_min()}) {
    RemoteSeriesState t;
    t.kind = RemoteSeriesState::Kind::kCounter;
    t.has_base = true;
    t.base_ts = -5;
    t.buckets.push_back({0.025, v, true});
    t.buckets.push_back({kInf, v, false});
    t.pending.push_back({-4, {std::nan(""), v}});
    std::string b;
    t.encode(b);
    RemoteSeriesState back;
    REQUIRE(back.decode(b));
    REQUIRE(back.buckets.size() == 2);
    CHECK(std::bit_cast<uint64_t>(back.buckets[0].value) == std::bit_cast<uint64_t>(v));
    CHECK(back.buckets[0].le == 0.025);
    CHECK(back.buckets[0].known);
    CHECK_FALSE(back.buckets[1].known);
    CHECK(back.buckets[1].le == kInf);
    CHECK(back.base_ts == -5);
    REQUIRE(back.pending.size() == 1);
    CHECK(back.pending[0].ts_ms == -4);
    CHECK(std::isnan(back.pending[0].values[0]));
    CHECK(std::bit_cast<uint64_t>(back.pending[0].values[1]) == std::bit_cast<uint64_t>(v));
  }
}

TEST_CASE("remote series state written by earlier builds (version 2) is still read") {
  auto u64 = [](std::string& o, uint64_t v) {
    for (int i = 0; i < 8; ++i) o.push_back(static_cast<char>(v >> (8 * i)));
  };
  std::string v2;
  v2.push_back(2);  // version
  v2.push_back(1);  // histogram
  v2.push_back(1);  // has_base
  u64(v2, 16000);
  u64(v2, 2);  // buckets
  u64(v2, std::bit_cast<uint64_t>(0.25));
  u64(v2, std::bit_cast<uint64_t>(3.0));
  v2.push_back(1);
  u64(v2, std::bit_cast<uint64_t>(kInf));
  u64(v2, std::bit_cast<uint64_t>(4.0));
  v2.push_back(1);
  u64(v2, 0);  // pending
  RemoteSeriesState s;
  REQUIRE(s.decode(v2));
  CHECK(s.kind == RemoteSeriesState::Kind::kHistogram);
  CHECK(s.base_ts == 16000);
  REQUIRE(s.buckets.size() == 2);
  CHECK(s.buckets[1].value == 4.0);
  std::vector<Increase> out;
  uint64_t incomplete = 0;
  (void)s.add_bucket(0.25, 31000, 5, out, incomplete);
  (void)s.add_bucket(kInf, 31000, 7, out, incomplete);
  CHECK(total(out) == 3);
  CHECK_FALSE(s.decode(v2.substr(0, v2.size() - 1)));
}

TEST_CASE("histogram: buckets first seen at different scrapes are not counted twice") {
  RemoteSeriesState s;
  std::vector<Increase> out;
  uint64_t incomplete = 0;
  // le=0.1 arrives for two scrapes before +Inf arrives for either (a lagging shard).
  (void)s.add_bucket(0.1, 1000, 100, out, incomplete);
  (void)s.add_bucket(0.1, 16000, 110, out, incomplete);
  CHECK(s.add_bucket(kInf, 1000, 200, out, incomplete) == SampleResult::kOutOfOrder);
  CHECK(s.add_bucket(kInf, 16000, 215, out, incomplete) == SampleResult::kFirstSample);
  (void)s.add_bucket(0.1, 31000, 112, out, incomplete);
  (void)s.add_bucket(kInf, 31000, 220, out, incomplete);
  // 10 real events <= 0.1 between 1s and 16s, then 2 <= 0.1 and 3 above; never more than real.
  CHECK(total(out) == 15);
}

TEST_CASE("a staleness marker in a retried request changes nothing") {
  RemoteSeriesState s;
  std::vector<Increase> out;
  uint64_t incomplete = 0;
  auto send = [&] {
    (void)s.add_counter(1000, 10, out);
    (void)s.mark_stale(2000, incomplete);
    (void)s.add_counter(3000, 0, out);
    (void)s.add_counter(4000, 5, out);
  };
  send();
  CHECK(total(out) == 5);
  send();  // the same request again
  CHECK(total(out) == 5);
  CHECK(s.mark_stale(1500, incomplete) == SampleResult::kOutOfOrder);
}

TEST_CASE("histogram: a bucket that stops reporting leaves the layout instead of stopping the series") {
  RemoteSeriesState s;
  std::vector<Increase> out;
  uint64_t incomplete = 0;
  for (double le : {0.1, 0.5, kInf}) (void)s.add_bucket(le, 1000, 0, out, incomplete);
  for (int k = 1; k <= 20; ++k) {
    (void)s.add_bucket(0.1, 1000 + k * 15000, k, out, incomplete);
    (void)s.add_bucket(kInf, 1000 + k * 15000, 2 * k, out, incomplete);
  }
  CHECK(s.buckets.size() == 2);
  CHECK(total(out) >= 30);  // all but the last few held scrapes are stored
}
