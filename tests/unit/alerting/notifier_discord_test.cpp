// Discord webhook: ?wait=true, the embed and its limits, no mentions, and 429 retry_after.
#include <catch2/catch.hpp>

#include "../../../alerting/src/notifier_providers.h"
#include "receiver.h"

using namespace sloguard;
using net::Outcome;
using testing::Answer;
using testing::Receiver;

TEST_CASE("discord posts content and one embed with wait=true and no mentions", "[alerting]") {
  Receiver r(Answer{200, "{\"id\":\"1\"}", {}});
  ManualClock clock(testing::kNowMs);
  auto sender = net::make_curl_sender();
  auto notifier = alerting::make_notifier(testing::notifier_config(config::NotifierKind::kDiscord, r), *sender, clock);
  REQUIRE(notifier->deliver(testing::firing(), 1).outcome == Outcome::kDelivered);
  const testing::Captured req = r.last();
  CHECK(req.path == "/hook");
  CHECK(req.params.find("wait") != req.params.end());
  CHECK(req.params.find("wait")->second == "true");
  const auto j = req.json();
  CHECK(j.at("content").get<std::string>().find("[FIRING]") == 0);
  CHECK(j.at("allowed_mentions").at("parse") == nlohmann::json::array());
  const auto& embed = j.at("embeds").at(0);
  CHECK(embed.at("color") == 0xE01E5A);
  CHECK(embed.at("url") == "https://sloguard.example/api/v1/slos/checkout-availability");
  CHECK(embed.at("timestamp") == "2026-01-01T00:00:00Z");
  CHECK(embed.at("fields").at(0).at("name") == "Service");
  CHECK(embed.at("fields").at(0).at("value") == "checkout");
}

TEST_CASE("discord keeps content, title and description within their limits", "[alerting]") {
  Receiver r(Answer{204, "", {}});
  ManualClock clock(testing::kNowMs);
  auto sender = net::make_curl_sender();
  config::NotifierConfig cfg = testing::notifier_config(config::NotifierKind::kDiscord, r);
  cfg.url = r.url("/hook?thread_id=9");
  cfg.title_template = std::string(3000, 't');
  cfg.text_template = std::string(5000, 'd');
  auto notifier = alerting::make_notifier(cfg, *sender, clock);
  REQUIRE(notifier->deliver(testing::firing(), 1).outcome == Outcome::kDelivered);
  const testing::Captured req = r.last();
  CHECK(req.params.find("thread_id")->second == "9");
  CHECK(req.params.find("wait")->second == "true");
  const auto j = req.json();
  CHECK(alerting::detail::utf16_length(j.at("content").get<std::string>()) == 2000);
  CHECK(alerting::detail::utf16_length(j.at("embeds").at(0).at("title").get<std::string>()) == 256);
  CHECK(alerting::detail::utf16_length(j.at("embeds").at(0).at("description").get<std::string>()) == 4096);
}

TEST_CASE("discord reads retry_after from a 429 body and reports 400 messages", "[alerting]") {
  Receiver r(Answer{429, "{\"message\":\"You are being rate limited.\",\"retry_after\":1.5,\"global\":false}", {}});
  r.then(Answer{400, "{\"message\":\"Cannot send an empty message\",\"code\":50006}", {}});
  ManualClock clock(testing::kNowMs);
  auto sender = net::make_curl_sender();
  auto notifier = alerting::make_notifier(testing::notifier_config(config::NotifierKind::kDiscord, r), *sender, clock);
  net::Verdict v = notifier->deliver(testing::firing(), 1);
  CHECK(v.outcome == Outcome::kFailed);
  CHECK(v.detail == "HTTP 400: Cannot send an empty message");
  v = notifier->deliver(testing::firing(), 2);
  CHECK(v.outcome == Outcome::kRetry);
  CHECK(v.retry_after_ms == std::optional<int64_t>(1500));
}
