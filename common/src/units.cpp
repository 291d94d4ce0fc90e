#include "sloguard/common/units.h"

#include <charconv>
#include <cmath>
#include <ctime>
#include <limits>

namespace sloguard {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Reads an unsigned integer at text[i...]; advances i. False when there is none or it overflows.
bool read_uint(std::string_view text, size_t& i, int64_t& out, size_t max_digits = 18) {
  size_t start = i;
  int64_t v = 0;
  while (i < text.size() && is_digit(text[i])) {
    if (i - start >= max_digits) return false;
    v = v * 10 + (text[i] - '0');
    ++i;
  }
  out = v;
  return i > start;
}

}  // namespace

Result<int64_t> parse_duration_ms(std::string_view text) {
  auto bad = [&] {
    return Status::InvalidArgument("invalid duration \"" + std::string(text) +
                                   "\": expected e.g. 30d, 6h, 1h30m, 15s (units ms, s, m, h, d, w)");
  };
  if (text.empty()) return bad();
  struct Unit { std::string_view name; int64_t ms; };
  static constexpr Unit kUnits[] = {{"w", 7LL * 86400000}, {"d", 86400000}, {"h", 3600000},
                                    {"ms", 1}, {"m", 60000}, {"s", 1000}};
  int64_t total = 0;
  int64_t last_unit_ms = std::numeric_limits<int64_t>::max();
  size_t i = 0;
  while (i < text.size()) {
    int64_t n = 0;
    if (!read_uint(text, i, n, 12)) return bad();
    const Unit* unit = nullptr;
    for (const auto& u : kUnits) {
      if (text.substr(i, u.name.size()) == u.name) {
        // "m" must not swallow the "m" of "ms".
        if (u.name == "m" && text.substr(i, 2) == "ms") continue;
        unit = &u;
        break;
      }
    }
    if (!unit || unit->ms >= last_unit_ms) return bad();
    i += unit->name.size();
    last_unit_ms = unit->ms;
    if (n > (std::numeric_limits<int64_t>::max() - total) / unit->ms) {
      return Status::InvalidArgument("duration \"" + std::string(text) + "\" is too long");
    }
    total += n * unit->ms;
  }
  return total;
}

std::string format_duration_ms(int64_t ms) {
  if (ms == 0) return "0s";
  std::string out;
  if (ms == std::numeric_limits<int64_t>::min()) return "-" + format_duration_ms(-(ms + 1));  // off by 1ms at most
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  struct Unit { const char* name; int64_t ms; };
  static constexpr Unit kUnits[] = {{"d", 86400000}, {"h", 3600000}, {"m", 60000}, {"s", 1000}, {"ms", 1}};
  for (const auto& u : kUnits) {
    if (ms >= u.ms) {
      out += std::to_string(ms / u.ms) + u.name;
      ms %= u.ms;
    }
  }
  return out;
}

Result<double> parse_ratio(std::string_view text) {
  std::string_view num = text;
  bool percent = false;
  if (!num.empty() && num.back() == '%') {
    percent = true;
    num.remove_suffix(1);
  }
  double v = 0;
  auto [ptr, ec] = std::from_chars(num.data(), num.data() + num.size(), v);
  if (num.empty() || ec != std::errc() || ptr != num.data() + num.size() || !std::isfinite(v)) {
    return Status::InvalidArgument("invalid ratio \"" + std::string(text) +
                                   "\": expected a percentage like 99.5% or a fraction like 0.995");
  }
  return percent ? v / 100.0 : v;
}

Result<double> parse_rfc3339(std::string_view text) {
  auto bad = [&] {
    return Status::InvalidArgument("invalid timestamp \"" + std::string(text) +
                                   "\": expected Unix seconds or RFC 3339 like 2026-01-01T00:10:00Z");
  };
  // YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)
  size_t i = 0;
  int64_t year, mon, day, hour, min, sec;
  auto expect = [&](char c) {
    if (i < text.size() && (text[i] == c || (c == 'T' && (text[i] == 't' || text[i] == ' ')))) {
      ++i;
      return true;
    }
    return false;
  };
  auto fixed = [&](int64_t& out, size_t digits) {
    size_t start = i;
    if (!read_uint(text, i, out, digits)) return false;
    return i - start == digits;
  };
  if (!fixed(year, 4) || !expect('-') || !fixed(mon, 2) || !expect('-') || !fixed(day, 2) ||
      !expect('T') || !fixed(hour, 2) || !expect(':') || !fixed(min, 2) || !expect(':') ||
      !fixed(sec, 2)) {
    return bad();
  }
  double frac = 0;
  if (i < text.size() && text[i] == '.') {
    ++i;
    double scale = 0.1;
    size_t start = i;
    while (i < text.size() && is_digit(text[i])) {
      frac += (text[i] - '0') * scale;
      scale /= 10;
      ++i;
    }
    if (i == start) return bad();
  }
  int64_t offset = 0;
  if (i < text.size() && (text[i] == 'Z' || text[i] == 'z')) {
    ++i;
  } else if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
    int sign = text[i] == '+' ? 1 : -1;
    ++i;
    int64_t oh, om;
    if (!fixed(oh, 2) || !expect(':') || !fixed(om, 2) || oh > 23 || om > 59) return bad();
    offset = sign * (oh * 3600 + om * 60);
  } else {
    return bad();
  }
  if (i != text.size()) return bad();
  if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60) return bad();
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (day > kDays[mon - 1] + (mon == 2 && leap ? 1 : 0)) return bad();
  std::tm tm{};
  tm.tm_year = static_cast<int>(year - 1900);
  tm.tm_mon = static_cast<int>(mon - 1);
  tm.tm_mday = static_cast<int>(day);
  tm.tm_hour = static_cast<int>(hour);
  tm.tm_min = static_cast<int>(min);
  tm.tm_sec = static_cast<int>(sec);
  int64_t t = static_cast<int64_t>(timegm(&tm));
  return static_cast<double>(t - offset) + frac;
}

Result<double> parse_timestamp(std::string_view text) {
  double v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (!text.empty() && ec == std::errc() && ptr == text.data() + text.size()) {
    if (!std::isfinite(v)) return Status::InvalidArgument("timestamp must be finite");
    return v;
  }
  return parse_rfc3339(text);
}

std::string format_rfc3339(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999) return std::to_string(unix_seconds);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace sloguard
