// PagerDuty Events API v2: trigger and resolve events keyed by the alert, severity mapping,
// the summary limit, and its answers.
#include <catch2/catch.hpp>

#include "../../../alerting/src/notifier_providers.h"
#include "receiver.h"

using namespace sloguard;
using net::Outcome;
using testing::Answer;
using testing::Receiver;

namespace {
const char* kAccepted = R"({"status":"success","message":"Event processed","dedup_key":"k"})";
}

TEST_CASE("pagerduty triggers with dedup key, mapped severity and details", "[alerting]") {
  Receiver r(Answer{202, kAccepted, {}});
  ManualClock clock(testing::kNowMs);
  auto sender = net::make_curl_sender();
  auto notifier =
      alerting::make_notifier(testing::notifier_config(config::NotifierKind::kPagerDuty, r), *sender, clock);
  REQUIRE(notifier->deliver(testing::firing(), 1).outcome == Outcome::kDelivered);
  const testing::Captured req = r.last();
  CHECK(req.path == "/v2/enqueue");
  CHECK(req.header("Content-Type") == "application/json");
  const auto j = req.json();
  CHECK(j.at("routing_key") == "pd-routing-key");
  CHECK(j.at("event_action") == "trigger");
  CHECK(j.at("dedup_key") == "checkout-availability/page-1h");
  const auto& p = j.at("payload");
  CHECK(p.at("summary").get<std::string>().find("[FIRING] checkout-availability") == 0);
  CHECK(p.at("source") == "checkout");
  CHECK(p.at("severity") == "critical");
  CHECK(p.at("timestamp") == "2026-01-01T00:00:00Z");
  CHECK(p.at("component") == "checkout-availability");
  CHECK(p.at("class") == "slo-burn-rate/page-1h");
  CHECK(p.at("custom_details").at("long_burn_rate") == 15.234);
  CHECK(j.at("links").at(0).at("href") == "https://sloguard.example/api/v1/slos/checkout-availability");

  for (auto [severity, want] : {std::pair{"ticket", "warning"}, std::pair{"info", "info"}, std::pair{"x", "info"}}) {
    alerting::Notification n = testing::firing();
    n.severity = severity;
    REQUIRE(notifier->deliver(n, 1).outcome == Outcome::kDelivered);
    CHECK(r.last().json().at("payload").at("severity") == want);
  }
}

TEST_CASE("pagerduty resolves by dedup key and cuts the summary at 1024", "[alerting]") {
  Receiver r(Answer{202, kAccepted, {}});
  ManualClock clock(testing::kNowMs);
  auto sender = net::make_curl_sender();
  config::NotifierConfig cfg = testing::notifier_config(config::NotifierKind::kPagerDuty, r);
  cfg.title_template = std::string(2000, 's');
  auto notifier = alerting::make_notifier(cfg, *sender, clock);
  REQUIRE(notifier->deliver(testing::resolved(), 1).outcome == Outcome::kDelivered);
  auto j = r.last().json();
  CHECK(j.at("event_action") == "resolve");
  CHECK(j.at("dedup_key") == "checkout-availability/page-1h");
  CHECK_FALSE(j.contains("payload"));
  REQUIRE(notifier->deliver(testing::firing(), 1).outcome == Outcome::kDelivered);
  j = r.last().json();
  CHECK(alerting::detail::utf16_length(j.at("payload").at("summary").get<std::string>()) == 1024);
}

TEST_CASE("pagerduty treats 400 as final with its errors in the detail", "[alerting]") {
  Receiver r(Answer{400,
                    R"j({"status":"invalid event","message":"Event object is invalid",)j"
                    R"j("errors":["Length of 'routing_key' is incorrect (should be 32 characters)"]})j",
                    {}});
  ManualClock clock(testing::kNowMs);
  auto sender = net::make_curl_sender();
  auto notifier =
      alerting::make_notifier(testing::notifier_config(config::NotifierKind::kPagerDuty, r), *sender, clock);
  net::Verdict v = notifier->deliver(testing::firing(), 1);
  CHECK(v.outcome == Outcome::kFailed);
  CHECK(v.detail ==
        "HTTP 400: Event object is invalid; Length of 'routing_key' is incorrect (should be 32 characters)");
}
