#include "sloguard/slo/calendar.h"

#include <date/date.h>
#include <date/tz.h>

#include <chrono>
#include <exception>

namespace sloguard::slo {
namespace {

using config::CalendarUnit;
using date::local_days;
using date::sys_seconds;

// Years 1..9998, so that the period after any `at` is still far inside date's range.
constexpr int64_t kMinAt = -62135596800;      // 0001-01-01T00:00:00Z
constexpr int64_t kMaxAt = 253370764800 - 1;  // 9998-12-31T23:59:59Z

// A zone, or null for UTC, which needs no database.
Result<const date::time_zone*> find_zone(const std::string& tz) {
  if (tz == "UTC") return static_cast<const date::time_zone*>(nullptr);
  try {
    date::get_tzdb();
  } catch (const std::exception& e) {
    return Status::Unavailable(std::string("time zone database not available (install tzdata): ") + e.what());
  }
  try {
    return date::locate_zone(tz);
  } catch (const std::exception&) {
    return Status::InvalidArgument("unknown time zone \"" + tz + "\"");
  }
}

local_days local_day_of(const date::time_zone* zone, sys_seconds t) {
  date::local_seconds local = zone ? zone->to_local(t) : date::local_seconds{t.time_since_epoch()};
  return date::floor<date::days>(local);
}

// The first instant of a local day: its midnight, or where a clock change skips midnight the
// end of the gap, or where midnight happens twice the earlier one.
sys_seconds first_instant(const date::time_zone* zone, local_days day) {
  const date::local_seconds midnight{day.time_since_epoch()};
  if (!zone) return sys_seconds{midnight.time_since_epoch()};
  const date::local_info info = zone->get_info(midnight);
  if (info.result == date::local_info::nonexistent) return info.first.end;
  // unique: the only offset; ambiguous: first is the offset before the change, the earlier instant.
  return sys_seconds{midnight.time_since_epoch()} - info.first.offset;
}

// The first day of the period that contains `day`.
local_days first_day_of(CalendarUnit unit, local_days day) {
  const date::year_month_day ymd{day};
  switch (unit) {
    case CalendarUnit::kWeek: return day - (date::weekday{day} - date::Monday);
    case CalendarUnit::kMonth: return local_days{ymd.year() / ymd.month() / 1};
    case CalendarUnit::kQuarter: {
      const unsigned first_month = (static_cast<unsigned>(ymd.month()) - 1) / 3 * 3 + 1;
      return local_days{ymd.year() / date::month{first_month} / 1};
    }
  }
  return day;
}

// The first day of the period `n` periods after (or before, n < 0) the one starting on `first`.
local_days step(CalendarUnit unit, local_days first, int n) {
  if (unit == CalendarUnit::kWeek) return first + date::days{7 * n};
  const date::year_month_day ymd{first};
  date::year_month ym = ymd.year() / ymd.month();
  ym += date::months{(unit == CalendarUnit::kMonth ? 1 : 3) * n};
  return local_days{ym / 1};
}

struct Period {
  int64_t start = 0;
  int64_t end = 0;
};

Result<Period> period_of(CalendarUnit unit, const std::string& tz, int64_t at) {
  if (at < kMinAt || at > kMaxAt) {
    return Status::InvalidArgument("time " + std::to_string(at) + " is outside the years 1..9998");
  }
  Result<const date::time_zone*> zone = find_zone(tz);
  if (!zone.ok()) return zone.status();
  try {
    const sys_seconds t{std::chrono::seconds{at}};
    local_days first = first_day_of(unit, local_day_of(*zone, t));
    sys_seconds start = first_instant(*zone, first);
    sys_seconds end = first_instant(*zone, step(unit, first, 1));
    // Only a clock that goes back across midnight could give an instant a local day whose
    // period, bounded by first instants, does not hold it; then the neighbour does.
    if (t < start) {
      end = start;
      first = step(unit, first, -1);
      start = first_instant(*zone, first);
    } else if (t >= end) {
      start = end;
      first = step(unit, first, 1);
      end = first_instant(*zone, step(unit, first, 1));
    }
    return Period{start.time_since_epoch().count(), end.time_since_epoch().count()};
  } catch (const std::exception& e) {
    // A zone file that cannot be read or parsed.
    return Status::Unavailable("time zone \"" + tz + "\": " + e.what());
  }
}

}  // namespace

Result<int64_t> calendar_period_start(CalendarUnit unit, const std::string& tz, int64_t at) {
  Result<Period> p = period_of(unit, tz, at);
  if (!p.ok()) return p.status();
  return p->start;
}

Result<int64_t> calendar_period_end(CalendarUnit unit, const std::string& tz, int64_t at) {
  Result<Period> p = period_of(unit, tz, at);
  if (!p.ok()) return p.status();
  return p->end;
}

}  // namespace sloguard::slo
