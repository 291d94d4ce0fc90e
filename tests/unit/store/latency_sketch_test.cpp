#include "sloguard/store/latency_sketch.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

using sloguard::store::LatencySketch;

namespace {

constexpr double kMaxRelativeError = LatencySketch::kRelativeAccuracy;

// The same rank definition as LatencySketch::quantile: floor(q * (n - 1)), 0-based.
double exact_quantile(const std::vector<double>& sorted, double q) {
  const auto n = sorted.size();
  auto rank = static_cast<size_t>(q * static_cast<double>(n - 1));
  return sorted[std::min(rank, n - 1)];
}

LatencySketch sketch_of(const std::vector<double>& values) {
  LatencySketch s;
  for (double v : values) s.add(v);
  return s;
}

std::string encoded(const LatencySketch& s) {
  std::string out;
  s.encode(out);
  return out;
}

// Checks every fixed q and `random_qs` random ones; returns the largest relative error seen.
double check_accuracy(std::vector<double> values, std::mt19937_64& rng, int random_qs = 2000) {
  LatencySketch s = sketch_of(values);
  std::sort(values.begin(), values.end());
  REQUIRE(s.count() == values.size());
  std::vector<double> qs = {0, 0.5, 0.9, 0.95, 0.99, 0.999, 1};
  std::uniform_real_distribution<double> unit(0, 1);
  for (int i = 0; i < random_qs; ++i) qs.push_back(unit(rng));
  double worst = 0;
  for (double q : qs) {
    double exact = exact_quantile(values, q);
    auto est = s.quantile(q);
    REQUIRE(est.has_value());
    double err = exact == 0 ? *est : std::abs(*est - exact) / exact;
    INFO("q " << q << " exact " << exact << " estimate " << *est << " n " << values.size());
    REQUIRE(err <= kMaxRelativeError);
    worst = std::max(worst, err);
  }
  return worst;
}

std::vector<double> generate(size_t n, const std::function<double()>& draw) {
  std::vector<double> v(n);
  for (double& x : v) x = draw();
  return v;
}

}  // namespace

TEST_CASE("LatencySketch mapping constants match their definitions", "[sketch]") {
  const double gamma = (1 + LatencySketch::kInternalAlpha) / (1 - LatencySketch::kInternalAlpha);
  // bucket_index(1) == 0 and bucket_index(gamma^i) == i: the written-out 1/ln(gamma) is right.
  REQUIRE(LatencySketch::bucket_index(1.0) == 0);
  REQUIRE(LatencySketch::bucket_index(std::pow(gamma, 10) * 1.000001) == 11);
  REQUIRE(LatencySketch::bucket_index(std::pow(gamma, 10) * 0.999999) == 10);
  REQUIRE(LatencySketch::bucket_index(std::pow(gamma, -10) * 1.000001) == -9);
  REQUIRE(LatencySketch::bucket_index(LatencySketch::kMinIndexableMs) == LatencySketch::kMinIndex);
  REQUIRE(LatencySketch::bucket_index(LatencySketch::kMaxIndexableMs) == LatencySketch::kMaxIndex);
  REQUIRE(std::abs(std::log(LatencySketch::kMaxIndexableMs) / std::log(gamma) -
                   std::log(LatencySketch::kMaxIndexableMs) * 50.50340046192384) < 1e-9);
  REQUIRE(LatencySketch::kInternalAlpha < LatencySketch::kRelativeAccuracy);
}

TEST_CASE("LatencySketch quantiles are within 1% of the exact ones", "[sketch]") {
  std::mt19937_64 rng(2026);
  double worst = 0;
  SECTION("uniform") {
    std::uniform_real_distribution<double> d(0.5, 2000);
    worst = check_accuracy(generate(100000, [&] { return d(rng); }), rng);
  }
  SECTION("log-normal, median 50 ms, sigma 0.6 and sigma 2") {
    std::lognormal_distribution<double> narrow(std::log(50), 0.6);
    worst = check_accuracy(generate(100000, [&] { return narrow(rng); }), rng);
    std::lognormal_distribution<double> wide(std::log(50), 2);
    worst = std::max(worst, check_accuracy(generate(100000, [&] { return wide(rng); }), rng));
  }
  SECTION("bimodal: cache hits around 2 ms, misses around 400 ms") {
    std::normal_distribution<double> hit(2, 0.3);
    std::lognormal_distribution<double> miss(std::log(400), 0.3);
    std::bernoulli_distribution is_hit(0.8);
    worst = check_accuracy(
        generate(100000, [&] { return is_hit(rng) ? std::max(0.01, hit(rng)) : miss(rng); }), rng);
  }
  SECTION("constant") {
    worst = check_accuracy(std::vector<double>(5000, 123.456), rng);
    worst = std::max(worst, check_accuracy(std::vector<double>(7, 0.01), rng));
    worst = std::max(worst, check_accuracy(std::vector<double>(7, 600000), rng));
  }
  SECTION("single values, including both ends of 0.01 ms .. 10 min") {
    for (double v : {0.01, 0.0123, 1.0, 3.14159, 50.0, 999.999, 60000.0, 599999.9, 600000.0}) {
      worst = std::max(worst, check_accuracy({v}, rng, 20));
    }
  }
  SECTION("log-uniform from 0.01 ms to 10 minutes, with both ends") {
    std::uniform_real_distribution<double> exponent(std::log(0.01), std::log(600000));
    auto values = generate(200000, [&] { return std::exp(exponent(rng)); });
    values.push_back(0.01);
    values.push_back(600000);
    worst = check_accuracy(values, rng);
  }
  SECTION("small samples of every size up to 200") {
    std::lognormal_distribution<double> d(std::log(20), 1.5);
    for (size_t n = 1; n <= 200; ++n) {
      worst = std::max(worst, check_accuracy(generate(n, [&] { return d(rng); }), rng, 50));
    }
  }
  INFO("worst relative error " << worst);
  CHECK(worst <= LatencySketch::kInternalAlpha * 1.0001);
}

TEST_CASE("LatencySketch: every value alone, at and next to bucket boundaries, is within 1%", "[sketch]") {
  const double gamma = (1 + LatencySketch::kInternalAlpha) / (1 - LatencySketch::kInternalAlpha);
  auto check_one = [](double v) {
    LatencySketch s;
    s.add(v);
    double est = *s.quantile(0.5);
    INFO("value " << v << " estimate " << est);
    REQUIRE(std::abs(est - v) <= kMaxRelativeError * v);
  };
  for (int32_t i = LatencySketch::kMinIndex + 1; i < LatencySketch::kMaxIndex; ++i) {
    double boundary = std::pow(gamma, i);
    check_one(boundary);
    check_one(std::nextafter(boundary, 0.0));
    check_one(std::nextafter(boundary, 1e300));
    check_one(std::exp(i * std::log(gamma)));
  }
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> exponent(std::log(LatencySketch::kMinIndexableMs),
                                                  std::log(LatencySketch::kMaxIndexableMs));
  for (int i = 0; i < 200000; ++i) check_one(std::exp(exponent(rng)));
}

TEST_CASE("LatencySketch: zero bucket, counts, empty and clamped values", "[sketch]") {
  LatencySketch s;
  REQUIRE(s.empty());
  REQUIRE_FALSE(s.quantile(0.5).has_value());
  REQUIRE(s.count_at_most(1e9) == 0);
  REQUIRE(encoded(s) == std::string("\x00\x00", 2));

  s.add(0.0, 3);
  s.add(1e-9);
  s.add(10.0, 0);  // no-op
  REQUIRE(s.count() == 4);
  REQUIRE(*s.quantile(1) == 0.0);
  s.add(10.0, 4);
  REQUIRE(*s.quantile(0) == 0.0);
  REQUIRE(*s.quantile(0.4) == 0.0);                          // rank 2: a zero
  REQUIRE(*s.quantile(0.5) == 0.0);                          // rank 3: the last zero
  REQUIRE(std::abs(*s.quantile(0.6) - 10.0) <= 0.1);         // rank 4: the first 10
  REQUIRE(std::abs(*s.quantile(2.0) - 10.0) <= 0.1);         // q clamped to 1
  REQUIRE(*s.quantile(-1.0) == 0.0);                         // q clamped to 0
  REQUIRE_FALSE(s.quantile(std::nan("")).has_value());

  LatencySketch zeros;
  zeros.add(0.0, 5);
  REQUIRE(encoded(zeros) == std::string("\x05\x00", 2));
  LatencySketch back;
  REQUIRE(back.decode(encoded(zeros)));
  REQUIRE(back == zeros);
  REQUIRE(back.count_at_most(0) == 5);

  LatencySketch huge;
  huge.add(1e15);
  huge.add(std::numeric_limits<double>::infinity());
  REQUIRE(huge.count() == 2);
  REQUIRE(*huge.quantile(1) == LatencySketch::bucket_estimate(LatencySketch::kMaxIndex));
}

TEST_CASE("LatencySketch rank definition: floor(q * (count - 1))", "[sketch]") {
  LatencySketch s;
  for (double v : {1.0, 2.0, 3.0, 4.0}) s.add(v);
  // ranks 0..3; q = 0.5 -> floor(1.5) = 1 -> value 2
  REQUIRE(std::abs(*s.quantile(0.5) - 2.0) <= 0.02);
  REQUIRE(std::abs(*s.quantile(0.99) - 3.0) <= 0.03);  // floor(2.97) = 2
  REQUIRE(std::abs(*s.quantile(1.0) - 4.0) <= 0.04);
}

TEST_CASE("LatencySketch::count_at_most counts the values below and the bucket of the value", "[sketch]") {
  std::mt19937_64 rng(11);
  std::lognormal_distribution<double> d(std::log(80), 1.0);
  auto values = generate(50000, [&] { return d(rng); });
  LatencySketch s = sketch_of(values);
  std::sort(values.begin(), values.end());
  for (double t : {0.0, 0.5, 10.0, 50.0, 80.0, 100.0, 250.0, 1000.0, 1e6}) {
    auto exact = static_cast<uint64_t>(std::upper_bound(values.begin(), values.end(), t) - values.begin());
    // Over by at most the values in t's bucket above t.
    int32_t bucket = LatencySketch::bucket_index(t);
    auto in_bucket_above = static_cast<uint64_t>(
        std::count_if(values.begin(), values.end(),
                      [&](double v) { return v > t && LatencySketch::bucket_index(v) == bucket; }));
    INFO("threshold " << t);
    REQUIRE(s.count_at_most(t) >= exact);
    REQUIRE(s.count_at_most(t) <= exact + in_bucket_above);
  }
  REQUIRE(s.count_at_most(-1) == 0);
  REQUIRE(s.count_at_most(1e12) == values.size());
}

TEST_CASE("LatencySketch::add with a count equals adding the value count times", "[sketch]") {
  LatencySketch a;
  LatencySketch b;
  for (double v : {0.0, 0.3, 12.5, 12.5, 900.0}) {
    a.add(v, 3);
    for (int i = 0; i < 3; ++i) b.add(v);
  }
  REQUIRE(a == b);
  REQUIRE(encoded(a) == encoded(b));
}

TEST_CASE("LatencySketch merge is exact, associative and commutative on random splits", "[sketch]") {
  std::mt19937_64 rng(77);
  std::lognormal_distribution<double> d(std::log(50), 1.2);
  for (int round = 0; round < 200; ++round) {
    auto values = generate(1 + rng() % 3000, [&] { return rng() % 50 == 0 ? 0.0 : d(rng); });
    const LatencySketch whole = sketch_of(values);

    // Random split into 1..8 parts.
    size_t parts = 1 + rng() % 8;
    std::vector<LatencySketch> sketches(parts);
    for (double v : values) sketches[rng() % parts].add(v);

    // Left fold in a random order.
    std::shuffle(sketches.begin(), sketches.end(), rng);
    LatencySketch folded;
    for (const auto& s : sketches) folded.merge(s);
    REQUIRE(folded == whole);
    REQUIRE(encoded(folded) == encoded(whole));

    // A random tree: merge random pairs until one is left.
    std::vector<LatencySketch> pool = sketches;
    while (pool.size() > 1) {
      size_t i = rng() % pool.size();
      size_t j = rng() % (pool.size() - 1);
      if (j >= i) ++j;
      pool[i].merge(pool[j]);
      pool.erase(pool.begin() + static_cast<std::ptrdiff_t>(j));
    }
    REQUIRE(pool[0] == whole);
    for (double q : {0.0, 0.5, 0.9, 0.99, 0.999, 1.0}) REQUIRE(pool[0].quantile(q) == whole.quantile(q));

    // a.merge(b) == b.merge(a), and (a + b) + c == a + (b + c).
    if (parts >= 3) {
      LatencySketch ab = sketches[0];
      ab.merge(sketches[1]);
      LatencySketch ba = sketches[1];
      ba.merge(sketches[0]);
      REQUIRE(ab == ba);
      LatencySketch ab_c = ab;
      ab_c.merge(sketches[2]);
      LatencySketch bc = sketches[1];
      bc.merge(sketches[2]);
      LatencySketch a_bc = sketches[0];
      a_bc.merge(bc);
      REQUIRE(ab_c == a_bc);
      REQUIRE(encoded(ab_c) == encoded(a_bc));
    }
  }
}

TEST_CASE("LatencySketch merge with itself, with empty ones, and after clear", "[sketch]") {
  LatencySketch s = sketch_of({0.0, 1.0, 5.0, 5.0, 70.0});
  LatencySketch twice = s;
  twice.merge(s);
  LatencySketch self = s;
  self.merge(self);
  REQUIRE(self == twice);
  REQUIRE(self.count() == 10);

  LatencySketch empty;
  LatencySketch copy = s;
  copy.merge(empty);
  REQUIRE(copy == s);
  empty.merge(s);
  REQUIRE(empty == s);

  copy.clear();
  REQUIRE(copy.empty());
  REQUIRE(copy == LatencySketch{});
  copy.add(3.0);
  REQUIRE(copy == sketch_of({3.0}));
}

TEST_CASE("LatencySketch wire form: exact bytes of a small sketch", "[sketch]") {
  LatencySketch s;
  s.add(0.0);     // zero bucket
  s.add(1.0, 2);  // bucket 0
  s.add(1.03);    // bucket 2 (ln 1.03 / ln gamma = 1.49)
  s.add(0.5);     // bucket -35 (ln 0.5 / ln gamma = -35.006 -> ceil -35)
  // zero 1, n 3 | -35: zigzag 69 = 0x45, count 1 | +35: zigzag 70 = 0x46, count 2 | +2: 0x04, count 1
  REQUIRE(encoded(s) == std::string("\x01\x03\x45\x01\x46\x02\x04\x01", 8));
  REQUIRE(s.encoded_size() == 8);
}

TEST_CASE("LatencySketch codec round trip", "[sketch]") {
  std::mt19937_64 rng(3);
  std::lognormal_distribution<double> d(std::log(50), 2.5);
  LatencySketch decoded;
  for (int i = 0; i < 500; ++i) {
    LatencySketch s;
    for (size_t n = rng() % 2000; n > 0; --n) {
      s.add(rng() % 20 == 0 ? 0.0 : d(rng), 1 + (rng() % 10 == 0 ? rng() >> 20 : 0));
    }
    if (i % 50 == 0) s.add(1e-300);
    if (i % 70 == 0) s.add(LatencySketch::kMaxIndexableMs);
    if (i % 90 == 0) s.add(LatencySketch::kMinIndexableMs);
    std::string bytes = encoded(s);
    REQUIRE(bytes.size() == s.encoded_size());
    REQUIRE(decoded.decode(bytes));
    REQUIRE(decoded == s);
    REQUIRE(encoded(decoded) == bytes);
    std::string appended = "xy";
    s.encode(appended);
    REQUIRE(appended == "xy" + bytes);
  }
}

TEST_CASE("LatencySketch::decode rejects garbage and truncated input without crashing", "[sketch]") {
  LatencySketch out;
  const std::string bad[] = {
      std::string(),                                 // empty
      std::string("\x00", 1),                        // n missing
      std::string("\x00\x01\x02", 3),                // count missing
      std::string("\x00\x01\x02\x00", 4),            // zero count
      std::string("\x00\x02\x02\x01\x00\x01", 6),    // second index not above the first
      std::string("\x00\x02\x04\x01\x01\x01", 6),    // second index below the first
      std::string("\x00\x01\x02\x01\x00", 5),        // trailing byte
      std::string("\x00\xff\xff\xff\xff\x0f", 6),    // huge n
      std::string("\x00\x02\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01\x02\x01", 15),  // count overflow
  };
  // Index out of range is tested with single() below.
  for (size_t i = 0; i < std::size(bad); ++i) {
    INFO("case " << i);
    REQUIRE_FALSE(out.decode(bad[i]));
    REQUIRE(out.empty());
  }
  auto single = [](int64_t index) {
    std::string s("\x00\x01", 2);
    uint64_t z = (static_cast<uint64_t>(index) << 1) ^ static_cast<uint64_t>(index >> 63);
    while (z >= 0x80) {
      s += static_cast<char>((z & 0x7f) | 0x80);
      z >>= 7;
    }
    s += static_cast<char>(z);
    s += '\x01';
    return s;
  };
  REQUIRE(out.decode(single(LatencySketch::kMaxIndex)));
  REQUIRE(out.decode(single(LatencySketch::kMinIndex)));
  REQUIRE_FALSE(out.decode(single(LatencySketch::kMaxIndex + 1)));
  REQUIRE_FALSE(out.decode(single(LatencySketch::kMinIndex - 1)));
  REQUIRE_FALSE(out.decode(single(INT64_MAX / 2)));
  REQUIRE_FALSE(out.decode(single(INT64_MIN / 2)));

  std::mt19937_64 rng(9);
  std::lognormal_distribution<double> d(std::log(50), 1);
  for (int i = 0; i < 300; ++i) {
    LatencySketch s;
    for (size_t n = 1 + rng() % 300; n > 0; --n) s.add(d(rng));
    std::string bytes = encoded(s);
    for (size_t len = 0; len < bytes.size(); ++len) {
      // A proper prefix never decodes: n promises more buckets than it holds.
      REQUIRE_FALSE(out.decode(std::string_view(bytes).substr(0, len)));
    }
    for (int flip = 0; flip < 20; ++flip) {
      std::string f = bytes;
      f[rng() % f.size()] ^= static_cast<char>(1u << (rng() % 8));
      if (out.decode(f)) {
        LatencySketch again;
        REQUIRE(again.decode(encoded(out)));
        REQUIRE(again == out);
      }
    }
  }
  for (int i = 0; i < 50000; ++i) {
    std::string bytes(rng() % 40, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    if (out.decode(bytes)) {
      LatencySketch again;
      REQUIRE(again.decode(encoded(out)));
      REQUIRE(again == out);
    }
  }
}
