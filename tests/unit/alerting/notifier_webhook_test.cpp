// Generic webhook: the body, Standard Webhooks headers and a signature the receiver verifies.
#include <catch2/catch.hpp>

#include "receiver.h"

using namespace sloguard;
using namespace std::chrono_literals;
using net::Outcome;
using testing::Answer;
using testing::Receiver;

TEST_CASE("webhook posts the notification signed per Standard Webhooks", "[alerting]") {
  Receiver r(Answer{204, "", {}});
  ManualClock clock(testing::kNowMs);
  auto sender = net::make_curl_sender();
  config::NotifierConfig cfg = testing::notifier_config(config::NotifierKind::kWebhook, r);
  cfg.secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  cfg.headers = {{"X-Team", "sre"}};
  auto notifier = alerting::make_notifier(cfg, *sender, clock);
  REQUIRE(notifier->deliver(testing::firing(), 1).outcome == Outcome::kDelivered);
  clock.advance(90s);
  REQUIRE(notifier->deliver(testing::firing(), 2).outcome == Outcome::kDelivered);
  const auto seen = r.seen();
  REQUIRE(seen.size() == 2);
  for (const testing::Captured& req : seen) {
    CHECK(req.path == "/hook");
    CHECK(req.header("Content-Type") == "application/json");
    CHECK(req.header("X-Team") == "sre");
    CHECK(req.header("webhook-id") == "n-1");
    const int64_t ts = std::stoll(req.header("webhook-timestamp"));
    CHECK(req.header("webhook-signature") == net::standard_webhooks_signature(cfg.secret, "n-1", ts, req.body));
  }
  CHECK(seen[0].header("webhook-timestamp") == "1767225600");
  CHECK(seen[1].header("webhook-timestamp") == "1767225690");
  const auto j = seen[0].json();
  CHECK(j.at("type") == "sloguard.alert.firing");
  CHECK(j.at("timestamp") == "2026-01-01T00:00:00Z");
  CHECK(j.at("title").get<std::string>().find("[FIRING]") == 0);
  CHECK(j.at("data").at("id") == "n-1");
  CHECK(j.at("data").at("alert_key") == "checkout-availability/page-1h");
  CHECK(j.at("data").at("long_burn_rate") == 15.234);
  CHECK(j.at("data").at("ends_at_ms").is_null());
}

TEST_CASE("webhook without a secret sends no signature and 4xx answers are final", "[alerting]") {
  Receiver r(Answer{200, "", {}});
  r.then(Answer{401, "bad signature", {}});
  ManualClock clock(testing::kNowMs);
  auto sender = net::make_curl_sender();
  auto notifier = alerting::make_notifier(testing::notifier_config(config::NotifierKind::kWebhook, r), *sender, clock);
  net::Verdict v = notifier->deliver(testing::resolved(), 1);
  CHECK(v.outcome == Outcome::kFailed);
  CHECK(v.detail == "HTTP 401: bad signature");
  REQUIRE(notifier->deliver(testing::resolved(), 2).outcome == Outcome::kDelivered);
  const testing::Captured req = r.last();
  CHECK_FALSE(req.has_header("webhook-signature"));
  CHECK(req.header("webhook-id") == "n-2");
  CHECK(req.json().at("type") == "sloguard.alert.resolved");
}
