// LINE push: the request, the retry key kept across attempts, 409 as already delivered, and
// the 5,000 UTF-16 unit limit on text.
#include <catch2/catch.hpp>

#include <regex>

#include "../../../alerting/src/notifier_providers.h"
#include "receiver.h"

using namespace sloguard;
using net::Outcome;
using testing::Answer;
using testing::Receiver;

TEST_CASE("line pushes one text message with a bearer token and a retry key", "[alerting]") {
  Receiver r(Answer{200, "{\"sentMessages\":[{\"id\":\"1\",\"quoteToken\":\"q\"}]}", {}});
  r.then(Answer{500, "{\"message\":\"An error occurred\"}", {}});
  r.then(Answer{429, "{\"message\":\"rate limit\"}", {}});
  ManualClock clock(testing::kNowMs);
  auto sender = net::make_curl_sender();
  auto notifier = alerting::make_notifier(testing::notifier_config(config::NotifierKind::kLine, r), *sender, clock);
  CHECK(notifier->deliver(testing::firing(), 1).outcome == Outcome::kRetry);
  CHECK(notifier->deliver(testing::firing(), 2).outcome == Outcome::kRetry);
  CHECK(notifier->deliver(testing::firing(), 3).outcome == Outcome::kDelivered);
  const auto seen = r.seen();
  REQUIRE(seen.size() == 3);
  const testing::Captured& req = seen[2];
  CHECK(req.path == "/v2/bot/message/push");
  CHECK(req.header("Authorization") == "Bearer line-token");
  const std::string key = req.header("X-Line-Retry-Key");
  CHECK(std::regex_match(key, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")));
  CHECK(seen[0].header("X-Line-Retry-Key") == key);
  CHECK(seen[1].header("X-Line-Retry-Key") == key);
  CHECK(alerting::detail::line_retry_key("n-1") == key);
  CHECK(alerting::detail::line_retry_key("n-2") != key);
  const auto j = req.json();
  CHECK(j.at("to") == "U0123");
  REQUIRE(j.at("messages").size() == 1);
  CHECK(j.at("messages").at(0).at("type") == "text");
  CHECK(j.at("messages").at(0).at("text").get<std::string>().find("[FIRING] checkout-availability") == 0);
}

TEST_CASE("line counts a 409 for the retry key as delivered and a 400 as failed", "[alerting]") {
  Receiver r(Answer{409, "{\"message\":\"The retry key is already accepted\"}",
                    {{"x-line-accepted-request-id", "abc"}}});
  r.then(Answer{400, "{\"message\":\"The request body has 1 error(s)\",\"details\":[{\"message\":\"May not be empty\","
                     "\"property\":\"messages[0].text\"}]}",
                {}});
  ManualClock clock(testing::kNowMs);
  auto sender = net::make_curl_sender();
  auto notifier = alerting::make_notifier(testing::notifier_config(config::NotifierKind::kLine, r), *sender, clock);
  net::Verdict v = notifier->deliver(testing::firing(), 1);
  CHECK(v.outcome == Outcome::kFailed);
  CHECK(v.http_status == 400);
  CHECK(v.detail == "HTTP 400: The request body has 1 error(s); messages[0].text: May not be empty");
  v = notifier->deliver(testing::firing(), 2);
  CHECK(v.outcome == Outcome::kDelivered);
  CHECK(v.http_status == 409);
}

TEST_CASE("line text is cut at 5000 UTF-16 units without splitting a surrogate pair", "[alerting]") {
  Receiver r(Answer{200, "{}", {}});
  ManualClock clock(testing::kNowMs);
  auto sender = net::make_curl_sender();
  config::NotifierConfig cfg = testing::notifier_config(config::NotifierKind::kLine, r);
  cfg.title_template = "x";  // 1 unit, then "\n" (1 unit)
  std::string emoji;
  for (int i = 0; i < 3000; ++i) emoji += "\xF0\x9F\x94\xA5";  // U+1F525: a surrogate pair in UTF-16
  cfg.text_template = emoji;
  auto notifier = alerting::make_notifier(cfg, *sender, clock);
  REQUIRE(notifier->deliver(testing::firing(), 1).outcome == Outcome::kDelivered);
  const std::string text = r.last().json().at("messages").at(0).at("text");
  CHECK(alerting::detail::utf16_length(text) <= 5000);
  CHECK(alerting::detail::utf16_length(text) >= 4998);
  CHECK(text.substr(text.size() - 3) == "\u2026");
  const std::string body = text.substr(2, text.size() - 5);
  CHECK(body.size() % 4 == 0);  // whole code points only
  CHECK(body == emoji.substr(0, body.size()));
}
