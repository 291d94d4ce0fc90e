// Retry classification and backoff shared by notifiers and hooks.
#include <strings.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <ctime>
#include <random>

#include "sloguard/net/http_sender.h"

namespace sloguard::net {
namespace {

constexpr size_t kMaxDetailBody = 200;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

// An HTTP date (RFC 9110 5.6.7: IMF-fixdate, and the obsolete RFC 850 and asctime forms) as
// Unix seconds; nullopt when it is none of them.
std::optional<int64_t> parse_http_date(std::string_view text) {
  const std::string s(text);
  static constexpr const char* kFormats[] = {"%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT",
                                             "%a %b %d %H:%M:%S %Y"};
  for (const char* format : kFormats) {
    std::tm tm{};
    const char* end = ::strptime(s.c_str(), format, &tm);
    if (end && *end == '\0') return static_cast<int64_t>(::timegm(&tm));
  }
  return std::nullopt;
}

// Retry-After as milliseconds from now (never negative); nullopt when absent or unreadable.
std::optional<int64_t> retry_after_ms(const HttpResponse& r, int64_t now_ms) {
  std::optional<std::string> value = r.header("Retry-After");
  if (!value) return std::nullopt;
  std::string_view v = trim(*value);
  if (!v.empty() && std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    int64_t seconds = 0;
    auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), seconds);
    if (ec != std::errc() || ptr != v.data() + v.size()) return std::nullopt;
    constexpr int64_t kMaxSeconds = 365LL * 86400;  // a year: guards the multiplication
    return std::min(seconds, kMaxSeconds) * 1000;
  }
  std::optional<int64_t> date = parse_http_date(v);
  if (!date) return std::nullopt;
  return std::max<int64_t>(0, *date * 1000 - now_ms);
}

bool retryable_status(int status) { return status == 408 || status == 425 || status == 429 || status >= 500; }

// Printable ASCII only, clipped: a response body goes into logs and the API.
std::string body_excerpt(std::string_view body) {
  std::string out;
  for (char c : trim(body)) {
    if (out.size() >= kMaxDetailBody) {
      out += "...";
      break;
    }
    const auto u = static_cast<unsigned char>(c);
    out += (u >= 0x20 && u < 0x7f) ? c : ' ';
  }
  return out;
}

}  // namespace

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (n.size() == name.size() && ::strncasecmp(n.data(), name.data(), n.size()) == 0) return v;
  }
  return std::nullopt;
}

Verdict classify(const Result<HttpResponse>& response, int64_t now_ms) {
  Verdict v;
  if (!response.ok()) {
    // Network failures may succeed next time; a request that could not even be built will not.
    v.outcome = response.status().code() == Status::Code::kUnavailable ? Outcome::kRetry : Outcome::kFailed;
    v.detail = response.status().message();
    return v;
  }
  const HttpResponse& r = response.value();
  v.http_status = r.status;
  v.retry_after_ms = retry_after_ms(r, now_ms);
  if (r.status >= 200 && r.status <= 299) {
    v.outcome = Outcome::kDelivered;
    v.detail = "HTTP " + std::to_string(r.status);
    return v;
  }
  v.outcome = retryable_status(r.status) ? Outcome::kRetry : Outcome::kFailed;
  const std::string excerpt = body_excerpt(r.body);
  v.detail = "HTTP " + std::to_string(r.status) + (excerpt.empty() ? "" : ": " + excerpt);
  return v;
}

int64_t backoff_ms(int attempt, int64_t initial_ms, int64_t max_ms) {
  if (initial_ms <= 0 || max_ms <= 0) return 0;
  const int exponent = std::clamp(attempt, 1, 62) - 1;
  // In double: 2^61 * initial overflows int64 but not a double, and the cap applies anyway.
  const double base = std::min(static_cast<double>(initial_ms) * std::ldexp(1.0, exponent),
                               static_cast<double>(max_ms));
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_real_distribution<double> jitter(0.8, 1.2);
  const double jittered = base * jitter(rng);
  return std::clamp<int64_t>(std::llround(jittered), 1, max_ms);
}

}  // namespace sloguard::net
