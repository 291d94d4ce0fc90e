// Calendar windows: the week (from Monday), month or quarter that contains an instant, in a
// time zone. Times are Unix seconds. Zones come from the OS time zone database
// (/usr/share/zoneinfo, Debian's tzdata) through date/tz, which stays inside calendar.cpp.
//
// A period starts at the first instant of its first local day, normally local midnight.
// Where a zone's clocks change at midnight that instant is not midnight: when midnight is
// skipped (e.g. America/Asuncion, 2023-10-01 00:00 -> 01:00) the day starts at the end of the
// gap, the instant of the change; when midnight happens twice (e.g. America/Havana,
// 2026-11-01) it starts at the earlier one. Periods are [start, end) and tile time: the end
// of one is the start of the next.
//
// All functions are thread-safe. "UTC" works even without tzdata installed. Debian's date/tz
// (3.0.1) reads only the explicit transitions of the zone files, which end in 2037: later
// periods use the zone's last offset.
#pragma once

#include <cstdint>
#include <string>

#include "sloguard/common/status.h"
#include "sloguard/config/config.h"

namespace sloguard::slo {

// Start (Unix seconds) of the calendar period (week starting Monday 00:00, month, quarter)
// that contains `at`, in time zone tz (an IANA name such as "Europe/Berlin"). Error
// InvalidArgument for an unknown zone or an `at` outside the years 1..9998; Unavailable when
// the time zone database cannot be read.
Result<int64_t> calendar_period_start(config::CalendarUnit unit, const std::string& tz, int64_t at);

// Start of the next period (the end of the current one): always > at. Errors as above.
Result<int64_t> calendar_period_end(config::CalendarUnit unit, const std::string& tz, int64_t at);

}  // namespace sloguard::slo
