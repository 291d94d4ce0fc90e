#include "sloguard/store/rollup.h"

#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <string>

using sloguard::store::decode_rollup;
using sloguard::store::encode_rollup;
using sloguard::store::is_well_formed;
using sloguard::store::Rollup;

namespace {

Rollup random_rollup(std::mt19937_64& rng) {
  static const uint32_t kStatuses[] = {0, 1, 200, 201, 204, 301, 404, 429, 500, 502, 503, 504, 599, 4000000000u};
  Rollup r;
  int n = static_cast<int>(rng() % 8);
  for (int i = 0; i < n; ++i) {
    uint32_t status = kStatuses[rng() % std::size(kStatuses)];
    // Mix of small counts and counts that need long varints.
    uint64_t count = (rng() % 4 == 0) ? (rng() >> (rng() % 40)) % (1ULL << 50) : rng() % 1000;
    r.add(status, count);
  }
  return r;
}

std::string encoded(const Rollup& r) {
  std::string s;
  encode_rollup(r, s);
  return s;
}

// A field with an unknown tag, in wire form.
std::string field(uint8_t tag, const std::string& payload) {
  std::string f;
  f += static_cast<char>(tag);
  f += static_cast<char>(payload.size());
  f += payload;
  return f;
}

}  // namespace

TEST_CASE("Rollup::add keeps by_status ascending and merges equal statuses", "[rollup]") {
  Rollup r;
  r.add(503, 2);
  r.add(200, 5);
  r.add(404, 1);
  r.add(200, 3);
  r.add(599, 0);  // zero counts are not stored
  REQUIRE(r.total == 11);
  REQUIRE(r.by_status == std::vector<std::pair<uint32_t, uint64_t>>{{200, 8}, {404, 1}, {503, 2}});
  REQUIRE(is_well_formed(r));
}

TEST_CASE("Rollup wire form: exact bytes of a small value", "[rollup]") {
  Rollup r;
  r.add(200, 3);
  r.add(500, 1);
  // version 1 | tag 1 len 8 | total 4, n 2, 200 (c8 01) 3, 500 (f4 03) 1
  const std::string expected("\x01\x01\x08\x04\x02\xc8\x01\x03\xf4\x03\x01", 11);
  REQUIRE(encoded(r) == expected);
}

TEST_CASE("Rollup codec round trip on random values", "[rollup]") {
  std::mt19937_64 rng(42);
  Rollup decoded;
  for (int i = 0; i < 2000; ++i) {
    Rollup r = random_rollup(rng);
    if (i % 5 == 0) r.unknown_fields = field(9, std::string(rng() % 20, 'x')) + field(9, "abc");
    std::string bytes = encoded(r);
    REQUIRE(decode_rollup(bytes, decoded));
    REQUIRE(decoded == r);
    // encode appends
    std::string twice = "prefix";
    encode_rollup(r, twice);
    REQUIRE(twice == "prefix" + bytes);
  }
}

TEST_CASE("Rollup::merge is associative and commutative and equals adding every count", "[rollup]") {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 1000; ++i) {
    Rollup a = random_rollup(rng), b = random_rollup(rng), c = random_rollup(rng);

    Rollup ab = a;
    ab.merge(b);
    Rollup ba = b;
    ba.merge(a);
    REQUIRE(ab == ba);

    Rollup ab_c = ab;
    ab_c.merge(c);
    Rollup bc = b;
    bc.merge(c);
    Rollup a_bc = a;
    a_bc.merge(bc);
    REQUIRE(ab_c == a_bc);

    Rollup summed;  // the same counts added one by one
    for (const Rollup* x : {&a, &b, &c}) {
      for (auto [status, count] : x->by_status) summed.add(status, count);
    }
    REQUIRE(ab_c.by_status == summed.by_status);
    REQUIRE(ab_c.total == a.total + b.total + c.total);
    REQUIRE(is_well_formed(ab_c));
  }
}

TEST_CASE("Rollup::merge with itself doubles the counts", "[rollup]") {
  Rollup r;
  r.add(200, 2);
  r.add(500, 3);
  r.merge(r);
  REQUIRE(r.total == 10);
  REQUIRE(r.by_status == std::vector<std::pair<uint32_t, uint64_t>>{{200, 4}, {500, 6}});
}

TEST_CASE("decode_rollup rejects garbage and truncated input without crashing", "[rollup]") {
  Rollup out;
  SECTION("fixed malformed inputs") {
    const std::string bad[] = {
        std::string(),                                           // empty
        std::string("\x02", 1),                                  // unknown version
        std::string("\x01\x01", 2),                              // tag without length
        std::string("\x01\x01\x05\x01", 4),                      // length past the end
        std::string("\x01\x01\x03\x01\x01\xc8", 6),              // status varint cut off
        std::string("\x01\x01\x05\x02\x02\x01\x01\x01", 8),      // n says 2 pairs, 1 present
        std::string("\x01\x01\x06\x02\x02\x05\x01\x03\x01", 9),  // statuses not ascending
        std::string("\x01\x01\x04\x00\x01\x05\x00", 7),          // zero count
        std::string("\x01\x01\x05\x01\x01\x05\x01\x00", 8),      // trailing byte inside tag 1
        std::string("\x01\x01\x02\x00\x00\x01\x02\x00\x00", 9),  // tag 1 twice
        std::string("\x01\x01\x08\x00\x01\xff\xff\xff\xff\x0f\x01", 11).substr(0, 10),  // cut
        std::string("\x01\x01\x08\x00\x01\x80\x80\x80\x80\x10\x01", 11),  // status > 2^32
        std::string("\x01\x01\x0b\x80\x80\x80\x80\x80\x80\x80\x80\x80\x02\x00", 14),  // varint > 64 bits
        std::string("\x01\x01\x05\x00\xff\xff\xff\x0f", 8),      // huge n, must not allocate it
    };
    for (const auto& b : bad) {
      INFO("input size " << b.size());
      REQUIRE_FALSE(decode_rollup(b, out));
    }
  }
  SECTION("every truncation of valid values") {
    std::mt19937_64 rng(1);
    for (int i = 0; i < 200; ++i) {
      Rollup r = random_rollup(rng);
      r.add(200, 1);
      if (i % 3 == 0) r.unknown_fields = field(9, "sketch");
      std::string bytes = encoded(r);
      for (size_t len = 0; len < bytes.size(); ++len) {
        // Only prefixes ending at a field boundary decode: the bare version byte (an empty
        // value) or the known field followed by fewer unknown fields.
        bool ok = decode_rollup(std::string_view(bytes).substr(0, len), out);
        Rollup known_only;
        known_only.total = r.total;
        known_only.by_status = r.by_status;
        if (ok && len > 1) REQUIRE(len >= encoded(known_only).size());
      }
    }
  }
  SECTION("random bytes and bit flips") {
    std::mt19937_64 rng(99);
    for (int i = 0; i < 20000; ++i) {
      std::string bytes;
      if (i % 2 == 0) {
        bytes.resize(rng() % 40);
        for (char& c : bytes) c = static_cast<char>(rng());
        if (!bytes.empty() && i % 4 == 0) bytes[0] = 1;  // get past the version check
      } else {
        bytes = encoded(random_rollup(rng));
        bytes[rng() % bytes.size()] ^= static_cast<char>(1u << (rng() % 8));
      }
      if (decode_rollup(bytes, out)) {
        // Whatever decodes must be a value the store can hold and re-encode losslessly.
        REQUIRE(is_well_formed(out));
        Rollup again;
        REQUIRE(decode_rollup(encoded(out), again));
        REQUIRE(again == out);
      }
    }
  }
}

TEST_CASE("Unknown tags are carried through decode, encode and merge", "[rollup]") {
  Rollup r;
  r.add(200, 4);
  r.unknown_fields = field(9, "sketch-v1") + field(7, "");
  std::string bytes = encoded(r);

  Rollup decoded;
  REQUIRE(decode_rollup(bytes, decoded));
  REQUIRE(decoded.unknown_fields == r.unknown_fields);
  REQUIRE(encoded(decoded) == bytes);

  SECTION("unknown fields before the known one are kept too") {
    std::string reordered = std::string("\x01", 1) + field(12, "zz") + bytes.substr(1);
    REQUIRE(decode_rollup(reordered, decoded));
    REQUIRE(decoded.total == 4);
    REQUIRE(decoded.unknown_fields == field(12, "zz") + r.unknown_fields);
  }
  SECTION("merge keeps the newest unknown fields, and keeps old ones when the new value has none") {
    Rollup newer;
    newer.add(500, 1);
    newer.unknown_fields = field(9, "sketch-v2");
    Rollup merged = decoded;
    merged.merge(newer);
    REQUIRE(merged.unknown_fields == field(9, "sketch-v2"));
    REQUIRE(merged.total == 5);

    Rollup plain;
    plain.add(200, 1);
    merged.merge(plain);
    REQUIRE(merged.unknown_fields == field(9, "sketch-v2"));
  }
  SECTION("a value holding only unknown fields") {
    std::string only = std::string("\x01", 1) + field(9, "abc");
    REQUIRE(decode_rollup(only, decoded));
    REQUIRE(decoded.total == 0);
    REQUIRE(decoded.by_status.empty());
    REQUIRE_FALSE(decoded.empty());
    REQUIRE(decoded.unknown_fields == field(9, "abc"));
  }
}

TEST_CASE("is_well_formed rejects values the store must not write", "[rollup]") {
  Rollup r;
  r.total = 3;
  r.by_status = {{500, 1}, {200, 2}};
  REQUIRE_FALSE(is_well_formed(r));
  r.by_status = {{200, 1}, {200, 2}};
  REQUIRE_FALSE(is_well_formed(r));
  r.by_status = {{200, 0}};
  REQUIRE_FALSE(is_well_formed(r));
  r.by_status = {{200, 3}};
  REQUIRE(is_well_formed(r));
  r.unknown_fields = field(1, "x");  // tag 1 is known: it cannot hide in unknown_fields
  REQUIRE_FALSE(is_well_formed(r));
  r.unknown_fields = field(2, "x");  // nor can the latency sketch
  REQUIRE_FALSE(is_well_formed(r));
  r.unknown_fields = field(3, "x");  // nor the latency thresholds
  REQUIRE_FALSE(is_well_formed(r));
  r.unknown_fields = "\x09\x05";  // length past the end
  REQUIRE_FALSE(is_well_formed(r));
  r.unknown_fields = field(9, "ok");
  REQUIRE(is_well_formed(r));
}
