// Alertmanager API v2: one alert with identifying labels, and endsAt chosen so that a firing
// alert outlives the gap to the next reminder while a resolved one ends at once.
#include <catch2/catch.hpp>

#include "receiver.h"

using namespace sloguard;
using net::Outcome;
using testing::Answer;
using testing::Receiver;

TEST_CASE("alertmanager receives one alert with labels, annotations and times", "[alerting]") {
  Receiver r(Answer{200, "", {}});
  ManualClock clock(testing::kNowMs);
  auto sender = net::make_curl_sender();
  config::NotifierConfig cfg = testing::notifier_config(config::NotifierKind::kAlertmanager, r);
  cfg.url = r.url("");
  auto notifier = alerting::make_notifier(cfg, *sender, clock);
  alerting::Notification n = testing::firing();
  n.group = "eu";
  REQUIRE(notifier->deliver(n, 1).outcome == Outcome::kDelivered);
  const testing::Captured req = r.last();
  CHECK(req.path == "/api/v2/alerts");
  const auto j = req.json();
  REQUIRE(j.is_array());
  REQUIRE(j.size() == 1);
  const auto& a = j.at(0);
  CHECK(a.at("labels") == nlohmann::json({{"alertname", "SLOBurnRate"},
                                          {"slo", "checkout-availability"},
                                          {"service", "checkout"},
                                          {"severity", "page"},
                                          {"tier", "page-1h"},
                                          {"group", "eu"}}));
  CHECK(a.at("annotations").at("summary").get<std::string>().find("[FIRING]") == 0);
  CHECK(a.at("annotations").contains("description"));
  CHECK(a.at("startsAt") == "2025-12-31T23:50:00Z");
  CHECK(a.at("endsAt") == "2026-01-01T12:00:00Z");  // now + 3 x the 4h repeat interval
  CHECK(a.at("generatorURL") == "https://sloguard.example/api/v1/slos/checkout-availability");

  REQUIRE(notifier->deliver(testing::resolved(), 1).outcome == Outcome::kDelivered);
  CHECK(r.last().json().at(0).at("endsAt") == "2025-12-31T23:59:59Z");
}

TEST_CASE("alertmanager treats a 400 as final", "[alerting]") {
  Receiver r(Answer{400, "{\"code\":400,\"message\":\"start time must be before end time\"}", {}});
  ManualClock clock(testing::kNowMs);
  auto sender = net::make_curl_sender();
  auto notifier =
      alerting::make_notifier(testing::notifier_config(config::NotifierKind::kAlertmanager, r), *sender, clock);
  net::Verdict v = notifier->deliver(testing::firing(), 1);
  CHECK(v.outcome == Outcome::kFailed);
  CHECK(v.detail.find("start time must be before end time") != std::string::npos);
}
