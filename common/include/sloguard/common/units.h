// Parsing and formatting of the units users write in config and API calls:
// durations ("30d", "1h30m"), ratios ("99.5%" or 0.995) and timestamps (Unix seconds or RFC 3339).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "sloguard/common/status.h"

namespace sloguard {

// Prometheus-style duration: one or more <integer><unit> with units ms, s, m, h, d, w
// (largest first), e.g. "30d", "1h30m", "15s". Returns milliseconds; zero is allowed ("0s").
// Error: InvalidArgument naming what was expected.
Result<int64_t> parse_duration_ms(std::string_view text);

// Formats milliseconds as the shortest Prometheus-style duration: 2592000000 -> "30d",
// 5400000 -> "1h30m", 0 -> "0s". Weeks are not used (Prometheus prints 7d as "1w"; we keep days
// because SLO windows are usually written in days).
std::string format_duration_ms(int64_t ms);

// A ratio written as "99.5%" or as a plain number 0.995. Returns the fraction.
// Error when the text is neither form. Range checks are the caller's.
Result<double> parse_ratio(std::string_view text);

// RFC 3339 timestamp, e.g. "2026-01-01T00:10:00Z", "2026-01-01T00:10:00.250+09:00".
// Returns Unix seconds (fractional).
Result<double> parse_rfc3339(std::string_view text);

// A timestamp as given in a query string: Unix seconds (fractions allowed) or RFC 3339.
Result<double> parse_timestamp(std::string_view text);

// Unix seconds -> "2026-01-01T00:10:00Z" (UTC, whole seconds).
std::string format_rfc3339(int64_t unix_seconds);

}  // namespace sloguard
