// Every provider against the answers all of them can give: throttling with Retry-After, a
// server error, a receiver that hangs past the timeout, and a refused connection.
#include <catch2/catch.hpp>

#include "receiver.h"

using namespace sloguard;
using config::NotifierKind;
using net::Outcome;
using testing::Answer;
using testing::Receiver;

namespace {

const NotifierKind kAllKinds[] = {NotifierKind::kSlack,     NotifierKind::kLine,         NotifierKind::kDiscord,
                                  NotifierKind::kPagerDuty, NotifierKind::kAlertmanager, NotifierKind::kWebhook};

}  // namespace

TEST_CASE("every notifier retries a 429 and honours Retry-After", "[alerting]") {
  for (NotifierKind kind : kAllKinds) {
    INFO(config::notifier_kind_name(kind));
    Receiver r(Answer{429, "", {{"Retry-After", "30"}}});
    ManualClock clock(testing::kNowMs);
    auto sender = net::make_curl_sender();
    auto notifier = alerting::make_notifier(testing::notifier_config(kind, r), *sender, clock);
    net::Verdict v = notifier->deliver(testing::firing(), 1);
    CHECK(v.outcome == Outcome::kRetry);
    CHECK(v.http_status == 429);
    CHECK(v.retry_after_ms == std::optional<int64_t>(30000));
    CHECK(r.count() == 1);
  }
}

TEST_CASE("every notifier retries a 500", "[alerting]") {
  for (NotifierKind kind : kAllKinds) {
    INFO(config::notifier_kind_name(kind));
    Receiver r(Answer{500, "oops", {}});
    ManualClock clock(testing::kNowMs);
    auto sender = net::make_curl_sender();
    auto notifier = alerting::make_notifier(testing::notifier_config(kind, r), *sender, clock);
    net::Verdict v = notifier->deliver(testing::firing(), 1);
    CHECK(v.outcome == Outcome::kRetry);
    CHECK(v.http_status == 500);
    CHECK(v.detail.find("500") != std::string::npos);
  }
}

TEST_CASE("every notifier retries when the receiver hangs past the timeout", "[alerting]") {
  for (NotifierKind kind : kAllKinds) {
    INFO(config::notifier_kind_name(kind));
    Receiver r(Answer{200, "", {}, true});
    ManualClock clock(testing::kNowMs);
    auto sender = net::make_curl_sender();
    config::NotifierConfig cfg = testing::notifier_config(kind, r);
    cfg.timeout_ms = 200;
    auto notifier = alerting::make_notifier(cfg, *sender, clock);
    net::Verdict v = notifier->deliver(testing::firing(), 1);
    CHECK(v.outcome == Outcome::kRetry);
    CHECK(v.http_status == 0);
    CHECK(v.detail.find("hook") == std::string::npos);  // no URL in the detail
  }
}

TEST_CASE("every notifier retries a refused connection", "[alerting]") {
  for (NotifierKind kind : kAllKinds) {
    INFO(config::notifier_kind_name(kind));
    sloguard::testing::LoopbackTcpPort refused(false);
    ManualClock clock(testing::kNowMs);
    auto sender = net::make_curl_sender();
    config::NotifierConfig cfg;
    cfg.kind = kind;
    cfg.url = "http://127.0.0.1:" + std::to_string(refused.port()) + "/hook";
    cfg.base_url = "http://127.0.0.1:" + std::to_string(refused.port());
    auto notifier = alerting::make_notifier(cfg, *sender, clock);
    CHECK(notifier->deliver(testing::firing(), 1).outcome == Outcome::kRetry);
    CHECK(notifier->config().kind == kind);
  }
}
