// Time zone names of calendar windows, checked against the OS time zone database
// (/usr/share/zoneinfo, Debian package tzdata) through Howard Hinnant's date/tz. Internal to
// the config loader: date/tz stays out of the public header.
#pragma once

#include <string>

namespace sloguard::config::detail {

// Empty when `name` is an IANA zone of the database; otherwise what is wrong, with a
// "did you mean" when a zone name is close. "UTC" is always valid, even without tzdata.
// Thread-safe.
std::string check_time_zone(const std::string& name);

}  // namespace sloguard::config::detail
