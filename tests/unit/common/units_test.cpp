// Durations, ratios and timestamps as users write them in config and API calls.
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <string>

#include "sloguard/common/units.h"

namespace sloguard {
namespace {

constexpr int64_t kSecond = 1000;
constexpr int64_t kMinute = 60 * kSecond;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;
constexpr int64_t kWeek = 7 * kDay;

// 2026-01-01T00:10:00Z, the instant used in DESIGN.md's examples.
constexpr int64_t kJan1At0010 = 1767226200;

int64_t duration_ok(const std::string& text) {
  INFO("duration: " << text);
  auto r = parse_duration_ms(text);
  REQUIRE(r.ok());
  return r.value();
}

void require_bad_duration(const std::string& text) {
  INFO("duration: \"" << text << "\"");
  auto r = parse_duration_ms(text);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().is_invalid_argument());
  CHECK_FALSE(r.status().message().empty());
}

double rfc3339_ok(const std::string& text) {
  INFO("timestamp: " << text);
  auto r = parse_rfc3339(text);
  REQUIRE(r.ok());
  return r.value();
}

void require_bad_rfc3339(const std::string& text) {
  INFO("timestamp: \"" << text << "\"");
  auto r = parse_rfc3339(text);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().is_invalid_argument());
}

// ---------------------------------------------------------------- parse_duration_ms

TEST_CASE("parse_duration_ms reads every unit", "[common][units]") {
  CHECK(duration_ok("1ms") == 1);
  CHECK(duration_ok("250ms") == 250);
  CHECK(duration_ok("15s") == 15 * kSecond);
  CHECK(duration_ok("90s") == 90 * kSecond);
  CHECK(duration_ok("5m") == 5 * kMinute);
  CHECK(duration_ok("6h") == 6 * kHour);
  CHECK(duration_ok("30d") == 30 * kDay);
  CHECK(duration_ok("30d") == 2592000000);
  CHECK(duration_ok("1w") == kWeek);
  CHECK(duration_ok("1w") == duration_ok("7d"));
}

TEST_CASE("parse_duration_ms accepts zero", "[common][units]") {
  CHECK(duration_ok("0s") == 0);
  CHECK(duration_ok("0ms") == 0);
  CHECK(duration_ok("0w") == 0);
  CHECK(duration_ok("1h0m") == kHour);
}

TEST_CASE("parse_duration_ms sums compound durations, largest unit first", "[common][units]") {
  CHECK(duration_ok("1h30m") == 5400000);
  CHECK(duration_ok("1m30s") == 90 * kSecond);
  CHECK(duration_ok("1w1d") == 8 * kDay);
  CHECK(duration_ok("1d1h1m1s1ms") == kDay + kHour + kMinute + kSecond + 1);
  CHECK(duration_ok("1m1ms") == kMinute + 1);  // "m" then "ms": not confused
  CHECK(duration_ok("2h45m30s") == 2 * kHour + 45 * kMinute + 30 * kSecond);
  CHECK(duration_ok("01h") == kHour);  // leading zeros are digits like any other
}

TEST_CASE("parse_duration_ms rejects units out of order or repeated", "[common][units]") {
  for (const char* text : {"30m1h", "1s1m", "1ms1s", "1d1w", "1h1h", "30m30m", "1s1s1s", "1ms1m"}) {
    require_bad_duration(text);
  }
}

TEST_CASE("parse_duration_ms rejects empty and malformed text", "[common][units]") {
  for (const char* text : {"", "ms", "s", "h", "1", "1h30", "30", "garbage", "1x", "1y", "1H", "1D", "1.5h",
                           "-1h", "+1h", " 1h", "1h ", "1 h", "1hh", "1h-30m", "1h,30m", "d30"}) {
    require_bad_duration(text);
  }
}

TEST_CASE("parse_duration_ms error names the input and the expected form", "[common][units]") {
  auto r = parse_duration_ms("30m1h");
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.status().message(), Catch::Contains("30m1h"));
  CHECK_THAT(r.status().message(), Catch::Contains("1h30m"));  // the example of what is expected
}

TEST_CASE("parse_duration_ms rejects overflow instead of wrapping", "[common][units]") {
  auto huge = parse_duration_ms("999999999999w");
  REQUIRE_FALSE(huge.ok());
  CHECK(huge.status().is_invalid_argument());
  CHECK_THAT(huge.status().message(), Catch::Contains("too long"));

  // The largest number of whole days that fits in int64 milliseconds, then one more.
  const int64_t max_days = std::numeric_limits<int64_t>::max() / kDay;  // 106751991167
  CHECK(duration_ok(std::to_string(max_days) + "d") == max_days * kDay);
  require_bad_duration(std::to_string(max_days + 1) + "d");

  // Overflow may also come from the sum of the parts.
  CHECK(duration_ok(std::to_string(max_days) + "d7h") == max_days * kDay + 7 * kHour);
  require_bad_duration(std::to_string(max_days) + "d8h");

  // More digits than any real duration needs.
  require_bad_duration("99999999999999999999s");
  require_bad_duration("9223372036854775808ms");
}

// ---------------------------------------------------------------- format_duration_ms

TEST_CASE("format_duration_ms prints the shortest form", "[common][units]") {
  CHECK(format_duration_ms(0) == "0s");
  CHECK(format_duration_ms(1) == "1ms");
  CHECK(format_duration_ms(250) == "250ms");
  CHECK(format_duration_ms(1500) == "1s500ms");
  CHECK(format_duration_ms(15 * kSecond) == "15s");
  CHECK(format_duration_ms(90 * kSecond) == "1m30s");
  CHECK(format_duration_ms(5400000) == "1h30m");
  CHECK(format_duration_ms(2592000000) == "30d");
  CHECK(format_duration_ms(kDay + kHour + kMinute + kSecond + 1) == "1d1h1m1s1ms");
  CHECK(format_duration_ms(kHour + kSecond) == "1h1s");  // zero parts are skipped
}

TEST_CASE("format_duration_ms keeps days instead of weeks", "[common][units]") {
  CHECK(format_duration_ms(kWeek) == "7d");
  CHECK(format_duration_ms(35 * kDay) == "35d");
}

TEST_CASE("format_duration_ms marks negative durations", "[common][units]") {
  CHECK(format_duration_ms(-1500) == "-1s500ms");
  CHECK(format_duration_ms(-kHour) == "-1h");
}

TEST_CASE("format_duration_ms and parse_duration_ms round trip", "[common][units]") {
  const int64_t cases[] = {0,
                           1,
                           999,
                           kSecond,
                           90 * kSecond,
                           5 * kMinute,
                           30 * kMinute,
                           kHour,
                           5400000,
                           6 * kHour,
                           kDay,
                           3 * kDay,
                           kWeek,
                           30 * kDay,
                           35 * kDay,
                           kDay + kHour + kMinute + kSecond + 1,
                           123456789012,
                           std::numeric_limits<int64_t>::max() / kDay * kDay};
  for (int64_t ms : cases) {
    INFO("ms = " << ms << ", formatted = " << format_duration_ms(ms));
    auto back = parse_duration_ms(format_duration_ms(ms));
    REQUIRE(back.ok());
    CHECK(back.value() == ms);
  }
  for (const char* text : {"0s", "15s", "1h30m", "30d", "1d1h1m1s1ms", "250ms"}) {
    INFO("text = " << text);
    CHECK(format_duration_ms(duration_ok(text)) == text);
  }
  // Non-canonical spellings normalize.
  CHECK(format_duration_ms(duration_ok("90s")) == "1m30s");
  CHECK(format_duration_ms(duration_ok("1w")) == "7d");
  CHECK(format_duration_ms(duration_ok("120m")) == "2h");
}

// ---------------------------------------------------------------- parse_ratio

TEST_CASE("parse_ratio reads percentages and fractions", "[common][units]") {
  auto pct = parse_ratio("99.5%");
  REQUIRE(pct.ok());
  CHECK(pct.value() == Approx(0.995));

  auto frac = parse_ratio("0.995");
  REQUIRE(frac.ok());
  CHECK(frac.value() == Approx(0.995));

  CHECK(parse_ratio("100%").value() == Approx(1.0));
  CHECK(parse_ratio("0%").value() == 0.0);
  CHECK(parse_ratio("99.99%").value() == Approx(0.9999));
  CHECK(parse_ratio("1").value() == 1.0);
  CHECK(parse_ratio("0").value() == 0.0);
  CHECK(parse_ratio("75%").value() == Approx(0.75));
}

TEST_CASE("parse_ratio leaves range checks to the caller", "[common][units]") {
  CHECK(parse_ratio("150%").value() == Approx(1.5));
  CHECK(parse_ratio("-5%").value() == Approx(-0.05));
  CHECK(parse_ratio("0.995%").value() == Approx(0.00995));
}

TEST_CASE("parse_ratio rejects text that is not a number", "[common][units]") {
  for (const char* text : {"", "%", "abc", "99.5%%", "99.5 %", " 0.995", "0.995 ", "99,5%", "0.9.9", "%99",
                           "inf", "nan", "inf%", "-inf", "1e999", "99.5% "}) {
    INFO("ratio: \"" << text << "\"");
    auto r = parse_ratio(text);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().is_invalid_argument());
  }
  auto r = parse_ratio("abc");
  CHECK_THAT(r.status().message(), Catch::Contains("abc"));
  CHECK_THAT(r.status().message(), Catch::Contains("99.5%"));
}

// ---------------------------------------------------------------- parse_rfc3339

TEST_CASE("parse_rfc3339 reads UTC timestamps", "[common][units]") {
  CHECK(rfc3339_ok("1970-01-01T00:00:00Z") == 0.0);
  CHECK(rfc3339_ok("2026-01-01T00:00:00Z") == 1767225600.0);
  CHECK(rfc3339_ok("2026-01-01T00:10:00Z") == double(kJan1At0010));
  CHECK(rfc3339_ok("2024-12-31T23:59:59Z") == 1735689599.0);
  CHECK(rfc3339_ok("1969-12-31T23:59:59Z") == -1.0);
}

TEST_CASE("parse_rfc3339 accepts the RFC's case and separator variants", "[common][units]") {
  CHECK(rfc3339_ok("2026-01-01t00:10:00z") == double(kJan1At0010));
  CHECK(rfc3339_ok("2026-01-01 00:10:00Z") == double(kJan1At0010));
}

TEST_CASE("parse_rfc3339 applies numeric offsets", "[common][units]") {
  CHECK(rfc3339_ok("2026-01-01T09:10:00+09:00") == double(kJan1At0010));
  CHECK(rfc3339_ok("2025-12-31T19:10:00-05:00") == double(kJan1At0010));
  CHECK(rfc3339_ok("2026-01-01T05:40:00+05:30") == double(kJan1At0010));
  CHECK(rfc3339_ok("2026-01-01T00:10:00+00:00") == double(kJan1At0010));
  CHECK(rfc3339_ok("2026-01-01T00:10:00-00:00") == double(kJan1At0010));
  CHECK(rfc3339_ok("2026-01-02T00:09:00+23:59") == double(kJan1At0010));  // the largest offset
}

TEST_CASE("parse_rfc3339 keeps fractional seconds", "[common][units]") {
  CHECK(rfc3339_ok("2026-01-01T00:10:00.250Z") == Approx(kJan1At0010 + 0.25).epsilon(0).margin(1e-6));
  CHECK(rfc3339_ok("2026-01-01T00:10:00.5Z") == Approx(kJan1At0010 + 0.5).epsilon(0).margin(1e-6));
  CHECK(rfc3339_ok("2026-01-01T09:10:00.250+09:00") == Approx(kJan1At0010 + 0.25).epsilon(0).margin(1e-6));
  CHECK(rfc3339_ok("2026-01-01T00:10:00.123456789Z") ==
        Approx(kJan1At0010 + 0.123456789).epsilon(0).margin(1e-6));
  CHECK(rfc3339_ok("1969-12-31T23:59:59.5Z") == Approx(-0.5).epsilon(0).margin(1e-9));
}

TEST_CASE("parse_rfc3339 knows leap years", "[common][units]") {
  CHECK(rfc3339_ok("2028-02-29T00:00:00Z") == 1835395200.0);
  CHECK(rfc3339_ok("2028-02-29T23:59:59Z") == 1835481599.0);
  CHECK(rfc3339_ok("2028-03-01T00:00:00Z") == 1835481600.0);
  CHECK(rfc3339_ok("2000-02-29T12:00:00Z") == 951825600.0);  // divisible by 400: leap
  require_bad_rfc3339("2026-02-29T00:00:00Z");
  require_bad_rfc3339("2100-02-29T00:00:00Z");  // divisible by 100, not by 400: not leap
  require_bad_rfc3339("1900-02-29T00:00:00Z");
  require_bad_rfc3339("2028-02-30T00:00:00Z");
}

TEST_CASE("parse_rfc3339 rejects out-of-range fields", "[common][units]") {
  for (const char* text : {"2026-13-01T00:00:00Z", "2026-00-01T00:00:00Z", "2026-01-00T00:00:00Z",
                           "2026-01-32T00:00:00Z", "2026-04-31T00:00:00Z", "2026-06-31T00:00:00Z",
                           "2026-09-31T00:00:00Z", "2026-11-31T00:00:00Z", "2026-01-01T24:00:00Z",
                           "2026-01-01T00:60:00Z", "2026-01-01T00:00:61Z", "2026-01-01T00:00:00+24:00",
                           "2026-01-01T00:00:00+09:60"}) {
    require_bad_rfc3339(text);
  }
}

TEST_CASE("parse_rfc3339 accepts a leap second as the next instant", "[common][units]") {
  // 2016-12-31T23:59:60Z is the leap second before 2017-01-01T00:00:00Z (1483228800).
  CHECK(rfc3339_ok("2016-12-31T23:59:60Z") == 1483228800.0);
}

TEST_CASE("parse_rfc3339 rejects malformed text", "[common][units]") {
  for (const char* text : {"", "garbage", "2026-01-01", "2026-01-01T00:10", "2026-01-01T00:10:00",
                           "2026-01-01T00:10:00+09", "2026-01-01T00:10:00+0900", "2026-01-01T00:10:00.Z",
                           "2026-01-01T00:10:00ZZ", "2026-01-01T00:10:00Z ", " 2026-01-01T00:10:00Z",
                           "2026-1-01T00:10:00Z", "2026-01-1T00:10:00Z", "26-01-01T00:10:00Z",
                           "20260-01-01T00:10:00Z", "2026/01/01T00:10:00Z", "2026-01-01X00:10:00Z",
                           "2026-01-01T0:10:00Z", "2026-01-01T00:10:00UTC", "1767226200"}) {
    require_bad_rfc3339(text);
  }
  auto r = parse_rfc3339("nope");
  CHECK_THAT(r.status().message(), Catch::Contains("nope"));
}

// ---------------------------------------------------------------- parse_timestamp

TEST_CASE("parse_timestamp reads Unix seconds", "[common][units]") {
  CHECK(parse_timestamp("1767226200").value() == double(kJan1At0010));
  CHECK(parse_timestamp("1767226200.5").value() == Approx(kJan1At0010 + 0.5));
  CHECK(parse_timestamp("0").value() == 0.0);
  CHECK(parse_timestamp("-1").value() == -1.0);
  CHECK(parse_timestamp("1.7672262e9").value() == Approx(kJan1At0010));
}

TEST_CASE("parse_timestamp reads RFC 3339", "[common][units]") {
  CHECK(parse_timestamp("2026-01-01T00:10:00Z").value() == double(kJan1At0010));
  CHECK(parse_timestamp("2026-01-01T09:10:00+09:00").value() == double(kJan1At0010));
  CHECK(parse_timestamp("2028-02-29T00:00:00Z").value() == 1835395200.0);
  // "2026" alone would be a number; the full text must be consumed before it counts as one.
  CHECK(parse_timestamp("2026-01-01T00:00:00Z").value() == 1767225600.0);
}

TEST_CASE("parse_timestamp rejects everything else", "[common][units]") {
  for (const char* text : {"", "now", "abc", "1767226200s", "1767226200 ", " 1767226200", "inf", "nan",
                           "-inf", "1e999", "2026-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "0x10"}) {
    INFO("timestamp: \"" << text << "\"");
    auto r = parse_timestamp(text);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().is_invalid_argument());
  }
}

// ---------------------------------------------------------------- format_rfc3339

TEST_CASE("format_rfc3339 prints UTC with whole seconds", "[common][units]") {
  CHECK(format_rfc3339(0) == "1970-01-01T00:00:00Z");
  CHECK(format_rfc3339(kJan1At0010) == "2026-01-01T00:10:00Z");
  CHECK(format_rfc3339(1835395200) == "2028-02-29T00:00:00Z");
  CHECK(format_rfc3339(1835481599) == "2028-02-29T23:59:59Z");
  CHECK(format_rfc3339(-1) == "1969-12-31T23:59:59Z");
}

TEST_CASE("format_rfc3339 and parse_rfc3339 round trip", "[common][units]") {
  const int64_t instants[] = {0, -1, 951825600, 1735689599, kJan1At0010, 1835395200, 1835481600,
                              4102444800 /* 2100-01-01 */};
  for (int64_t t : instants) {
    std::string text = format_rfc3339(t);
    INFO("t = " << t << ", text = " << text);
    auto back = parse_rfc3339(text);
    REQUIRE(back.ok());
    CHECK(back.value() == double(t));
  }
  // Every day across a leap year and the years around it.
  for (int64_t t = 1767225600; t < 1767225600 + 4 * 366 * 86400; t += 86400 + 3661) {
    auto back = parse_rfc3339(format_rfc3339(t));
    REQUIRE(back.ok());
    REQUIRE(back.value() == double(t));
  }
}

}  // namespace
}  // namespace sloguard
