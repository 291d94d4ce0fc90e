// Calendar periods (week from Monday, month, quarter) in time zones. Every expected instant is
// worked out by hand in the comment beside it: days since the epoch * 86400, then minus the
// zone's UTC offset at that local midnight (local = UTC + offset).
#include "sloguard/slo/calendar.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace sloguard::slo {
namespace {

using config::CalendarUnit;

constexpr int64_t kDay = 86400;
constexpr int64_t kHour = 3600;

// Reference instants (UTC midnights). 2026-01-01: 56 years after 1970 with 14 leap days
// (1972..2024): 20454 days * 86400.
constexpr int64_t k2026_01_01 = 1767225600;
constexpr int64_t k2026_02_01 = k2026_01_01 + 31 * kDay;   // 1769904000
constexpr int64_t k2026_03_01 = k2026_02_01 + 28 * kDay;   // 1772323200 (2026 is not a leap year)
constexpr int64_t k2026_04_01 = k2026_03_01 + 31 * kDay;   // 1775001600
constexpr int64_t k2026_07_01 = k2026_04_01 + 91 * kDay;   // 1782864000 (Apr 30 + May 31 + Jun 30)
constexpr int64_t k2026_10_01 = k2026_07_01 + 92 * kDay;   // 1790812800 (Jul 31 + Aug 31 + Sep 30)
constexpr int64_t k2026_11_01 = k2026_10_01 + 31 * kDay;   // 1793491200
constexpr int64_t k2026_12_01 = k2026_11_01 + 30 * kDay;   // 1796083200
constexpr int64_t k2027_01_01 = k2026_01_01 + 365 * kDay;  // 1798761600

// Checks both ends of the period that contains `at`, and that it does contain it.
void check_period(CalendarUnit unit, const std::string& tz, int64_t at, int64_t start, int64_t end) {
  INFO(tz << " at " << at);
  Result<int64_t> s = calendar_period_start(unit, tz, at);
  Result<int64_t> e = calendar_period_end(unit, tz, at);
  INFO(s.status().to_string() << " / " << e.status().to_string());
  REQUIRE(s.ok());
  REQUIRE(e.ok());
  CHECK(*s == start);
  CHECK(*e == end);
  CHECK(start <= at);
  CHECK(at < end);
}

TEST_CASE("calendar months in UTC: month ends, leap and non-leap February", "[slo][calendar]") {
  const auto kMonth = CalendarUnit::kMonth;
  // January 2026: [2026-01-01, 2026-02-01).
  check_period(kMonth, "UTC", k2026_01_01, k2026_01_01, k2026_02_01);
  check_period(kMonth, "UTC", k2026_01_01 + 30 * kDay + 12 * kHour, k2026_01_01,
               k2026_02_01);                                               // Jan 31 12:00
  check_period(kMonth, "UTC", k2026_02_01 - 1, k2026_01_01, k2026_02_01);  // Jan 31 23:59:59
  // Jan 31 -> Feb: the next second is February, 28 days in 2026.
  check_period(kMonth, "UTC", k2026_02_01, k2026_02_01, k2026_03_01);
  // 2026-02-28 12:00 (the last day of a non-leap February): Feb 1 + 27.5 days.
  check_period(kMonth, "UTC", k2026_02_01 + 27 * kDay + 12 * kHour, k2026_02_01, k2026_03_01);
  check_period(kMonth, "UTC", k2026_03_01, k2026_03_01, k2026_04_01);

  // 2028 is a leap year. 2028-01-01 = 2026-01-01 + 730 days = 1830297600;
  // 2028-02-01 = + 31 days = 1832976000; 2028-03-01 = + 29 days = 1835481600.
  const int64_t feb_2028 = 1832976000;
  const int64_t mar_2028 = 1835481600;
  CHECK(mar_2028 - feb_2028 == 29 * kDay);
  // 2028-02-29 12:00 = Feb 1 + 28.5 days = 1835438400: still February.
  check_period(kMonth, "UTC", 1835438400, feb_2028, mar_2028);
  check_period(kMonth, "UTC", mar_2028 - 1, feb_2028, mar_2028);  // 2028-02-29 23:59:59
  // December -> January across the year end: 2027-01-01 = 2026-01-01 + 365 days.
  check_period(kMonth, "UTC", k2027_01_01 - 1, k2026_12_01, k2027_01_01);
}

TEST_CASE("calendar quarters in UTC", "[slo][calendar]") {
  const auto kQuarter = CalendarUnit::kQuarter;
  // Q1 2026 is 90 days (31 + 28 + 31), Q2 91, Q3 92, Q4 92.
  check_period(kQuarter, "UTC", k2026_01_01, k2026_01_01, k2026_04_01);
  check_period(kQuarter, "UTC", k2026_02_01 + 14 * kDay, k2026_01_01, k2026_04_01);  // Feb 15
  check_period(kQuarter, "UTC", k2026_04_01 - 1, k2026_01_01, k2026_04_01);          // Mar 31 23:59:59
  check_period(kQuarter, "UTC", k2026_04_01, k2026_04_01, k2026_07_01);
  check_period(kQuarter, "UTC", k2026_07_01 + 45 * kDay, k2026_07_01, k2026_10_01);  // Aug 15
  check_period(kQuarter, "UTC", k2026_12_01, k2026_10_01, k2027_01_01);              // Dec 1
  check_period(kQuarter, "UTC", k2027_01_01 - 1, k2026_10_01, k2027_01_01);
  CHECK(k2026_04_01 - k2026_01_01 == 90 * kDay);
  CHECK(k2027_01_01 - k2026_10_01 == 92 * kDay);  // the longest quarter, the config's 92d
}

TEST_CASE("calendar weeks start on Monday and cross month and year ends", "[slo][calendar]") {
  const auto kWeek = CalendarUnit::kWeek;
  // 2026-01-01 is a Thursday: its week is Mon 2025-12-29 (3 days before) to Mon 2026-01-05.
  const int64_t mon_dec_29 = k2026_01_01 - 3 * kDay;                             // 1766966400
  const int64_t mon_jan_05 = k2026_01_01 + 4 * kDay;                             // 1767571200
  check_period(kWeek, "UTC", mon_dec_29, mon_dec_29, mon_jan_05);                // Monday 00:00
  check_period(kWeek, "UTC", k2026_01_01 - 12 * kHour, mon_dec_29, mon_jan_05);  // Wed Dec 31 12:00
  check_period(kWeek, "UTC", k2026_01_01, mon_dec_29, mon_jan_05);               // Thu Jan 1 00:00
  check_period(kWeek, "UTC", mon_jan_05 - 1, mon_dec_29, mon_jan_05);            // Sun Jan 4 23:59:59
  check_period(kWeek, "UTC", mon_jan_05, mon_jan_05, mon_jan_05 + 7 * kDay);     // the next week
  // 2026-03-01 is a Sunday (Feb 1 was, and February has 28 days): its week is
  // Mon 2026-02-23 (Feb 1 + 22 days = 1771804800) to Mon 2026-03-02 (Mar 1 + 1 day = 1772409600).
  check_period(kWeek, "UTC", k2026_03_01 + 12 * kHour, k2026_02_01 + 22 * kDay, k2026_03_01 + kDay);
  check_period(kWeek, "UTC", k2026_02_01 + 26 * kDay, k2026_02_01 + 22 * kDay,
               k2026_03_01 + kDay);  // Fri Feb 27
}

TEST_CASE("calendar periods across the DST changes of Europe/Berlin", "[slo][calendar]") {
  const std::string kBerlin = "Europe/Berlin";  // CET +1 in winter, CEST +2 in summer
  // Summer time starts Sun 2026-03-29 at 01:00 UTC (02:00 CET -> 03:00 CEST).
  const int64_t dst_start = k2026_03_01 + 28 * kDay + 1 * kHour;  // 1774746000
  // Its week: Mon 2026-03-23 00:00 CET = Mar 22 23:00 UTC = Mar 1 + 22 days - 1h = 1774220400,
  // to Mon 2026-03-30 00:00 CEST = Mar 29 22:00 UTC = Mar 1 + 29 days - 2h = 1774821600: 167 hours.
  const int64_t week_start = k2026_03_01 + 22 * kDay - 1 * kHour;
  const int64_t week_end = k2026_03_01 + 29 * kDay - 2 * kHour;
  CHECK(week_end - week_start == 167 * kHour);
  check_period(CalendarUnit::kWeek, kBerlin, dst_start - 1, week_start, week_end);
  check_period(CalendarUnit::kWeek, kBerlin, dst_start, week_start, week_end);
  check_period(CalendarUnit::kWeek, kBerlin, week_start, week_start, week_end);
  check_period(CalendarUnit::kWeek, kBerlin, week_start - 1, week_start - 7 * kDay, week_start);
  // March 2026: from Mar 1 00:00 CET = Feb 28 23:00 UTC (1772319600) to Apr 1 00:00 CEST =
  // Mar 31 22:00 UTC (1775001600 - 7200 = 1774994400): 31 days less the hour lost.
  const int64_t march = k2026_03_01 - 1 * kHour;
  const int64_t april = k2026_04_01 - 2 * kHour;
  check_period(CalendarUnit::kMonth, kBerlin, k2026_03_01 + 28 * kDay + 12 * kHour, march,
               april);  // Mar 29 12:00Z
  // Feb 28 23:30 UTC is already Mar 1 00:30 in Berlin; 22:59:59 UTC is still February there.
  check_period(CalendarUnit::kMonth, kBerlin, k2026_03_01 - 30 * 60, march, april);
  check_period(CalendarUnit::kMonth, kBerlin, march - 1, k2026_02_01 - 1 * kHour, march);
  check_period(CalendarUnit::kQuarter, kBerlin, dst_start, k2026_01_01 - 1 * kHour, april);

  // Summer time ends Sun 2026-10-25 at 01:00 UTC (03:00 CEST -> 02:00 CET); Oct 25 is Oct 1
  // (a Thursday) + 24 days. Its week: Mon 2026-10-19 00:00 CEST = Oct 18 22:00 UTC
  // (Oct 1 + 18 days - 2h = 1792360800) to Mon 2026-10-26 00:00 CET = Oct 25 23:00 UTC
  // (Oct 1 + 25 days - 1h = 1792969200): 169 hours.
  const int64_t oct_week_start = k2026_10_01 + 18 * kDay - 2 * kHour;
  const int64_t oct_week_end = k2026_10_01 + 25 * kDay - 1 * kHour;
  CHECK(oct_week_end - oct_week_start == 169 * kHour);
  const int64_t first_0230 = k2026_10_01 + 24 * kDay + 30 * 60;  // 00:30 UTC = 02:30 CEST, 1792888200
  const int64_t second_0230 = first_0230 + 1 * kHour;            // 01:30 UTC = 02:30 CET, again
  check_period(CalendarUnit::kWeek, kBerlin, first_0230, oct_week_start, oct_week_end);
  check_period(CalendarUnit::kWeek, kBerlin, second_0230, oct_week_start, oct_week_end);
  check_period(CalendarUnit::kWeek, kBerlin, oct_week_end - 1, oct_week_start, oct_week_end);
  // October: Oct 1 00:00 CEST (1790805600) to Nov 1 00:00 CET (1793487600): 31 days + 1 hour.
  check_period(CalendarUnit::kMonth, kBerlin, second_0230, k2026_10_01 - 2 * kHour, k2026_11_01 - 1 * kHour);
  // Q4: Oct 1 00:00 CEST to Jan 1 00:00 CET (2026-12-31 23:00 UTC = 1798758000).
  check_period(CalendarUnit::kQuarter, kBerlin, second_0230, k2026_10_01 - 2 * kHour,
               k2027_01_01 - 1 * kHour);
}

TEST_CASE("calendar periods across the DST changes of America/New_York", "[slo][calendar]") {
  const std::string kNewYork = "America/New_York";  // EST -5, EDT -4
  // DST starts Sun 2026-03-08 at 07:00 UTC (02:00 EST -> 03:00 EDT). Its week: Mon 2026-03-02
  // 00:00 EST = 05:00 UTC (Mar 1 + 1 day + 5h = 1772427600) to Mon 2026-03-09 00:00 EDT =
  // 04:00 UTC (Mar 1 + 8 days + 4h = 1773028800): 167 hours.
  const int64_t dst_start = k2026_03_01 + 7 * kDay + 7 * kHour;
  check_period(CalendarUnit::kWeek, kNewYork, dst_start, k2026_03_01 + kDay + 5 * kHour,
               k2026_03_01 + 8 * kDay + 4 * kHour);
  // March: Mar 1 00:00 EST (05:00 UTC, 1772341200) to Apr 1 00:00 EDT (04:00 UTC, 1775016000).
  check_period(CalendarUnit::kMonth, kNewYork, dst_start, k2026_03_01 + 5 * kHour, k2026_04_01 + 4 * kHour);

  // DST ends Sun 2026-11-01 at 06:00 UTC (02:00 EDT -> 01:00 EST), the first day of the month.
  // November: Nov 1 00:00 EDT = 04:00 UTC (1793505600) to Dec 1 00:00 EST = 05:00 UTC (1796101200).
  const int64_t november = k2026_11_01 + 4 * kHour;
  const int64_t december = k2026_12_01 + 5 * kHour;
  check_period(CalendarUnit::kMonth, kNewYork, november, november, december);
  check_period(CalendarUnit::kMonth, kNewYork, k2026_11_01 + 5 * kHour + 30 * 60, november,
               december);  // 01:30 EDT
  check_period(CalendarUnit::kMonth, kNewYork, k2026_11_01 + 6 * kHour + 30 * 60, november,
               december);  // 01:30 EST
  // One second earlier is Oct 31 23:59:59 EDT: October, from Oct 1 00:00 EDT (04:00 UTC, 1790827200).
  check_period(CalendarUnit::kMonth, kNewYork, november - 1, k2026_10_01 + 4 * kHour, november);
  // Its week: Mon 2026-10-26 00:00 EDT (Oct 26 04:00 UTC, 1792987200) to Mon 2026-11-02 00:00 EST
  // (Nov 2 05:00 UTC, 1793595600): 169 hours.
  check_period(CalendarUnit::kWeek, kNewYork, november, k2026_10_01 + 25 * kDay + 4 * kHour,
               k2026_11_01 + kDay + 5 * kHour);
}

TEST_CASE("calendar periods in a half-hour zone: Asia/Kolkata", "[slo][calendar]") {
  const std::string kKolkata = "Asia/Kolkata";  // IST +5:30 all year
  const int64_t offset = 5 * kHour + 30 * 60;
  // January 2026: Jan 1 00:00 IST = Dec 31 18:30 UTC (1767205800) to Feb 1 00:00 IST =
  // Jan 31 18:30 UTC (1769884200).
  check_period(CalendarUnit::kMonth, kKolkata, k2026_01_01 - offset, k2026_01_01 - offset,
               k2026_02_01 - offset);
  check_period(CalendarUnit::kMonth, kKolkata, k2026_01_01, k2026_01_01 - offset, k2026_02_01 - offset);
  // Dec 31 18:29:59 UTC is still Dec 31 in Kolkata: December, from Dec 1 00:00 IST =
  // Nov 30 18:30 UTC (2026-01-01 - 31 days - 5:30 = 1764527400).
  check_period(CalendarUnit::kMonth, kKolkata, k2026_01_01 - offset - 1, k2026_01_01 - 31 * kDay - offset,
               k2026_01_01 - offset);
  // Q1 2026: to Apr 1 00:00 IST = Mar 31 18:30 UTC (1774981800).
  check_period(CalendarUnit::kQuarter, kKolkata, k2026_02_01, k2026_01_01 - offset, k2026_04_01 - offset);
  // The week of Thu 2026-01-01: Mon Dec 29 00:00 IST (1766946600) to Mon Jan 5 00:00 IST (1767551400).
  check_period(CalendarUnit::kWeek, kKolkata, k2026_01_01, k2026_01_01 - 3 * kDay - offset,
               k2026_01_01 + 4 * kDay - offset);
}

TEST_CASE("calendar periods where a DST change skips or repeats midnight", "[slo][calendar]") {
  // America/Asuncion, Sun 2023-10-01: clocks went from 00:00 -04 to 01:00 -03, so October 1 had
  // no midnight; October starts at the change, 00:00 -04 = 04:00 UTC. 2023-10-01 00:00 UTC =
  // 2023-01-01 (1672531200) + 273 days = 1696118400; + 4h = 1696132800.
  const std::string kAsuncion = "America/Asuncion";
  const int64_t oct_2023 = 1696118400 + 4 * kHour;
  const int64_t sep_2023 = 1696118400 - 30 * kDay + 4 * kHour;  // Sep 1 00:00 -04 = 1693540800
  const int64_t nov_2023 = 1696118400 + 31 * kDay + 3 * kHour;  // Nov 1 00:00 -03 = 1698807600
  check_period(CalendarUnit::kMonth, kAsuncion, oct_2023, oct_2023, nov_2023);
  check_period(CalendarUnit::kMonth, kAsuncion, oct_2023 - 1, sep_2023, oct_2023);  // Sep 30 23:59:59 -04
  // Q4 2023 starts there too; Q3 started on Jul 1 00:00 -04 (2023-01-01 + 181 days + 4h = 1688184000).
  check_period(CalendarUnit::kQuarter, kAsuncion, oct_2023 - 1, 1672531200 + 181 * kDay + 4 * kHour,
               oct_2023);
  check_period(CalendarUnit::kQuarter, kAsuncion, oct_2023, oct_2023, 1672531200 + 365 * kDay + 3 * kHour);

  // America/Havana, Sun 2026-11-01: at 01:00 CDT (-4) clocks go back to 00:00 CST (-5), so
  // midnight happens twice: 04:00 UTC and 05:00 UTC. November starts at the earlier one.
  const std::string kHavana = "America/Havana";
  const int64_t november = k2026_11_01 + 4 * kHour;  // 1793505600
  const int64_t december = k2026_12_01 + 5 * kHour;  // Dec 1 00:00 CST = 1796101200
  check_period(CalendarUnit::kMonth, kHavana, november, november, december);
  check_period(CalendarUnit::kMonth, kHavana, november + 1 * kHour + 30 * 60, november,
               december);  // 00:30 CST
  check_period(CalendarUnit::kMonth, kHavana, november - 1, k2026_10_01 + 4 * kHour, november);

  // America/St_Johns, Sun 2009-11-01: at 00:01 NDT (-2:30) clocks went back to Oct 31 23:01 NST
  // (-3:30). Nov 1 00:00 first came at 02:30 UTC; the local times Oct 31 23:01..23:59 that
  // follow (02:31..03:30 UTC) are after November's start, so they are November: periods tile
  // time and a late "Oct 31" does not reopen October. 2009-11-01 00:00 UTC = 1257033600.
  const std::string kStJohns = "America/St_Johns";
  const int64_t nov_2009 = 1257033600 + 2 * kHour + 30 * 60;              // 1257042600
  const int64_t dec_2009 = 1257033600 + 30 * kDay + 3 * kHour + 30 * 60;  // Dec 1 00:00 NST = 1259638200
  const int64_t oct_2009 = 1257033600 - 31 * kDay + 2 * kHour + 30 * 60;  // Oct 1 00:00 NDT = 1254364200
  check_period(CalendarUnit::kMonth, kStJohns, nov_2009, nov_2009, dec_2009);
  check_period(CalendarUnit::kMonth, kStJohns, nov_2009 + 15 * 60, nov_2009, dec_2009);  // "Oct 31 23:15 NST"
  check_period(CalendarUnit::kMonth, kStJohns, nov_2009 - 1, oct_2009, nov_2009);
}

TEST_CASE("calendar periods tile time in every unit and zone", "[slo][calendar]") {
  // Every 47 minutes (so the probes drift through every minute of the hour) through a year
  // around the changes above: the period holds the instant, and the next period starts where
  // this one ends.
  struct Span {
    const char* tz;
    int64_t from;
  };
  const Span spans[] = {{"UTC", k2026_01_01},
                        {"Europe/Berlin", k2026_01_01},
                        {"America/New_York", k2026_01_01},
                        {"Asia/Kolkata", k2026_01_01},
                        {"Australia/Lord_Howe", k2026_01_01},  // DST of 30 minutes
                        {"America/Havana", k2026_01_01},
                        {"America/Asuncion", 1672531200},
                        {"America/St_Johns", 1230768000},  // 2009
                        {"Pacific/Apia", 1293840000}};     // 2011: Dec 30 was skipped
  for (const Span& span : spans) {
    for (CalendarUnit unit : {CalendarUnit::kWeek, CalendarUnit::kMonth, CalendarUnit::kQuarter}) {
      INFO(span.tz << " unit " << static_cast<int>(unit));
      int failures = 0;
      for (int64_t at = span.from; at < span.from + 366 * kDay && failures < 3; at += 47 * 60) {
        Result<int64_t> start = calendar_period_start(unit, span.tz, at);
        Result<int64_t> end = calendar_period_end(unit, span.tz, at);
        Result<int64_t> next_start = end.ok() ? calendar_period_start(unit, span.tz, *end) : end;
        // Every period is at least 6 days: a week loses at most a day (Apia skipped 2011-12-30).
        const bool ok = start.ok() && end.ok() && next_start.ok() && *start <= at && at < *end &&
                        *next_start == *end && *end - *start >= 6 * kDay;
        if (!ok) {
          ++failures;
          INFO("at " << at << ": " << (start.ok() ? std::to_string(*start) : start.status().to_string())
                     << ", " << (end.ok() ? std::to_string(*end) : end.status().to_string()) << ", next "
                     << (next_start.ok() ? std::to_string(*next_start) : next_start.status().to_string()));
          CHECK(ok);
        }
      }
      CHECK(failures == 0);
    }
  }
}

TEST_CASE("calendar errors: unknown zones and times out of range", "[slo][calendar]") {
  for (const char* tz : {"Mars/Olympus_Mons", "", "europe/berlin", "right/UTC", "../../etc/passwd"}) {
    INFO(tz);
    Result<int64_t> s = calendar_period_start(CalendarUnit::kMonth, tz, k2026_01_01);
    REQUIRE_FALSE(s.ok());
    CHECK(s.status().is_invalid_argument());
    CHECK(s.status().message() == "unknown time zone \"" + std::string(tz) + "\"");
    Result<int64_t> e = calendar_period_end(CalendarUnit::kWeek, tz, k2026_01_01);
    REQUIRE_FALSE(e.ok());
    CHECK(e.status().is_invalid_argument());
  }
  // Years 1..9998 only: 0001-01-01 is -62135596800, 9999-01-01 is 253370764800.
  for (int64_t at : {int64_t{-62135596801}, int64_t{253370764800}, INT64_MIN, INT64_MAX}) {
    INFO(at);
    Result<int64_t> s = calendar_period_start(CalendarUnit::kQuarter, "UTC", at);
    REQUIRE_FALSE(s.ok());
    CHECK(s.status().is_invalid_argument());
  }
  // The edges themselves work: January of the year 1, the last quarter of 9998 (92 days).
  check_period(CalendarUnit::kMonth, "UTC", -62135596800, -62135596800, -62135596800 + 31 * kDay);
  check_period(CalendarUnit::kQuarter, "UTC", 253370764800 - 1, 253370764800 - 92 * kDay, 253370764800);
}

TEST_CASE("UTC and Etc/UTC agree and the epoch is a Thursday", "[slo][calendar]") {
  // 1970-01-01 was a Thursday: its week began Mon 1969-12-29 = -3 days.
  check_period(CalendarUnit::kWeek, "UTC", 0, -3 * kDay, 4 * kDay);
  check_period(CalendarUnit::kWeek, "Etc/UTC", 0, -3 * kDay, 4 * kDay);
  check_period(CalendarUnit::kMonth, "Etc/UTC", k2026_02_01, k2026_02_01, k2026_03_01);
}

}  // namespace
}  // namespace sloguard::slo
