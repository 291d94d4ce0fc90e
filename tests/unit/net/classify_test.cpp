// Retry classification, Retry-After in both forms, and the backoff schedule.
#include <catch2/catch.hpp>

#include <set>

#include "sloguard/net/http_sender.h"

using namespace sloguard;
using net::Outcome;

namespace {

Result<net::HttpResponse> answer(int status, std::string body = "",
                                 std::vector<std::pair<std::string, std::string>> headers = {}) {
  net::HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

constexpr int64_t kNowMs = 1767225600000;  // 2026-01-01T00:00:00Z, a Thursday

}  // namespace

TEST_CASE("classify maps statuses to delivered, retry and failed", "[net]") {
  for (int s : {200, 201, 202, 204, 299}) CHECK(net::classify(answer(s), kNowMs).outcome == Outcome::kDelivered);
  for (int s : {408, 425, 429, 500, 502, 503, 504, 599}) {
    INFO(s);
    CHECK(net::classify(answer(s), kNowMs).outcome == Outcome::kRetry);
  }
  for (int s : {100, 301, 400, 401, 403, 404, 409, 410, 413, 422}) {
    INFO(s);
    CHECK(net::classify(answer(s), kNowMs).outcome == Outcome::kFailed);
  }
  net::Verdict v = net::classify(answer(400, "invalid_payload\n"), kNowMs);
  CHECK(v.http_status == 400);
  CHECK(v.detail == "HTTP 400: invalid_payload");
  CHECK(net::classify(Status::Unavailable("Timeout was reached"), kNowMs).outcome == Outcome::kRetry);
  CHECK(net::classify(Status::InvalidArgument("bad URL"), kNowMs).outcome == Outcome::kFailed);
}

TEST_CASE("classify reads Retry-After as seconds or an HTTP date", "[net]") {
  net::Verdict v = net::classify(answer(429, "", {{"retry-after", " 7 "}}), kNowMs);
  CHECK(v.outcome == Outcome::kRetry);
  CHECK(v.retry_after_ms == std::optional<int64_t>(7000));
  v = net::classify(answer(503, "", {{"Retry-After", "Thu, 01 Jan 2026 00:00:30 GMT"}}), kNowMs);
  CHECK(v.retry_after_ms == std::optional<int64_t>(30000));
  v = net::classify(answer(503, "", {{"Retry-After", "Thursday, 01-Jan-26 00:01:00 GMT"}}), kNowMs);
  CHECK(v.retry_after_ms == std::optional<int64_t>(60000));
  v = net::classify(answer(503, "", {{"Retry-After", "Thu Jan  1 00:00:02 2026"}}), kNowMs);
  CHECK(v.retry_after_ms == std::optional<int64_t>(2000));
  // A date in the past means now.
  v = net::classify(answer(503, "", {{"Retry-After", "Wed, 31 Dec 2025 23:00:00 GMT"}}), kNowMs);
  CHECK(v.retry_after_ms == std::optional<int64_t>(0));
  for (const char* junk : {"soon", "-5", "1.5", ""}) {
    INFO(junk);
    CHECK_FALSE(net::classify(answer(503, "", {{"Retry-After", junk}}), kNowMs).retry_after_ms.has_value());
  }
  CHECK_FALSE(net::classify(answer(503), kNowMs).retry_after_ms.has_value());
}

TEST_CASE("backoff doubles from the initial delay with 20 percent jitter up to the cap", "[net]") {
  for (int round = 0; round < 200; ++round) {
    for (int attempt = 1; attempt <= 8; ++attempt) {
      const double base = std::min(1000.0 * (1 << (attempt - 1)), 60000.0);
      const int64_t d = net::backoff_ms(attempt, 1000, 60000);
      INFO("attempt " << attempt << " delay " << d);
      CHECK(d >= static_cast<int64_t>(base * 0.8));
      CHECK(d <= static_cast<int64_t>(base * 1.2) + 1);
      CHECK(d <= 60000);
    }
  }
  CHECK(net::backoff_ms(1000, 1000, 60000) <= 60000);
  CHECK(net::backoff_ms(1000, 1000, 60000) >= 48000);
  CHECK(net::backoff_ms(0, 1000, 60000) <= 1200);
  // Jitter spreads retries: 50 draws are not all equal.
  std::set<int64_t> seen;
  for (int i = 0; i < 50; ++i) seen.insert(net::backoff_ms(3, 1000, 60000));
  CHECK(seen.size() > 1);
}
