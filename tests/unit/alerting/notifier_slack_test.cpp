// Slack incoming webhook: the message sent, Slack's plain-text answers, and its one message
// per second per webhook, enforced without sending.
#include <catch2/catch.hpp>

#include "receiver.h"

using namespace sloguard;
using namespace std::chrono_literals;
using net::Outcome;
using testing::Answer;
using testing::Receiver;

namespace {

struct Slack {
  explicit Slack(Answer fallback) : r(std::move(fallback)) {
    notifier = alerting::make_notifier(testing::notifier_config(config::NotifierKind::kSlack, r), *sender, clock);
  }
  Receiver r;
  ManualClock clock{testing::kNowMs};
  std::unique_ptr<net::HttpSender> sender = net::make_curl_sender();
  std::unique_ptr<alerting::Notifier> notifier;
};

}  // namespace

TEST_CASE("slack posts text and a coloured attachment with blocks", "[alerting]") {
  Slack s(Answer{200, "ok", {}});
  net::Verdict v = s.notifier->deliver(testing::firing(), 1);
  CHECK(v.outcome == Outcome::kDelivered);
  const testing::Captured req = s.r.last();
  CHECK(req.path == "/hook");
  CHECK(req.header("Content-Type") == "application/json");
  const auto j = req.json();
  const std::string text = j.at("text");
  CHECK(text.find("[FIRING] checkout-availability: page page-1h") == 0);
  CHECK(text.find("15.23x over 1h") != std::string::npos);
  CHECK(text.find("42.1%") != std::string::npos);
  const auto& att = j.at("attachments").at(0);
  CHECK(att.at("color") == "#E01E5A");
  CHECK(att.at("blocks").at(0).at("type") == "header");
  CHECK(att.at("blocks").at(0).at("text").at("type") == "plain_text");
  CHECK(att.at("blocks").at(1).at("text").at("type") == "mrkdwn");

  s.clock.advance(2s);
  alerting::Notification ticket = testing::firing("n-3");
  ticket.severity = "ticket";
  REQUIRE(s.notifier->deliver(ticket, 1).outcome == Outcome::kDelivered);
  CHECK(s.r.last().json().at("attachments").at(0).at("color") == "#ECB22E");
  s.clock.advance(2s);
  REQUIRE(s.notifier->deliver(testing::resolved(), 1).outcome == Outcome::kDelivered);
  const auto resolved = s.r.last().json();
  CHECK(resolved.at("attachments").at(0).at("color") == "#2EB67D");
  CHECK(resolved.at("text").get<std::string>().find("[RESOLVED]") == 0);
}

TEST_CASE("slack success needs the body ok and its error codes go into the detail", "[alerting]") {
  Slack s(Answer{200, "not ok", {}});
  net::Verdict v = s.notifier->deliver(testing::firing(), 1);
  CHECK(v.outcome == Outcome::kFailed);
  CHECK(v.detail == "HTTP 200: not ok");
  for (auto [status, body] : {std::pair{400, "invalid_payload"}, std::pair{404, "no_service"},
                              std::pair{403, "action_prohibited"}, std::pair{410, "channel_is_archived"}}) {
    s.clock.advance(1s);
    s.r.then(Answer{status, body, {}});
    v = s.notifier->deliver(testing::firing(), 1);
    INFO(body);
    CHECK(v.outcome == Outcome::kFailed);
    CHECK(v.http_status == status);
    CHECK(v.detail == "HTTP " + std::to_string(status) + ": " + body);
  }
}

TEST_CASE("slack sends at most one message per second per webhook without sending the second", "[alerting]") {
  Slack s(Answer{200, "ok", {}});
  REQUIRE(s.notifier->deliver(testing::firing("a"), 1).outcome == Outcome::kDelivered);
  s.clock.advance(300ms);
  net::Verdict v = s.notifier->deliver(testing::firing("b"), 1);
  CHECK(v.outcome == Outcome::kRetry);
  CHECK(v.retry_after_ms == std::optional<int64_t>(700));
  CHECK(s.r.count() == 1);
  // A second notifier on the same webhook shares the limit.
  auto other = alerting::make_notifier(s.notifier->config(), *s.sender, s.clock);
  CHECK(other->deliver(testing::firing("b"), 1).outcome == Outcome::kRetry);
  CHECK(s.r.count() == 1);
  s.clock.advance(700ms);
  CHECK(s.notifier->deliver(testing::firing("b"), 2).outcome == Outcome::kDelivered);
  CHECK(s.r.count() == 2);
}

TEST_CASE("slack uses the title and text templates", "[alerting]") {
  Receiver r(Answer{200, "ok", {}});
  ManualClock clock(testing::kNowMs);
  auto sender = net::make_curl_sender();
  config::NotifierConfig cfg = testing::notifier_config(config::NotifierKind::kSlack, r);
  cfg.title_template = "{{ service }} down";
  cfg.text_template = "burn {{long_burn_rate}} {{nope}}!";
  auto notifier = alerting::make_notifier(cfg, *sender, clock);
  REQUIRE(notifier->deliver(testing::firing(), 1).outcome == Outcome::kDelivered);
  CHECK(r.last().json().at("text") == "checkout down\nburn 15.23 !");
}
