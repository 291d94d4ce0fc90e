// Release events (verification verdicts, rollback hook results) as notifications: the JSON
// round trip (and entries stored before kinds existed), template fields, and how each
// provider renders them.
#include <catch2/catch.hpp>

#include "../../../alerting/src/notifier_providers.h"
#include "receiver.h"

using namespace sloguard;
using net::Outcome;
using testing::Answer;
using testing::Receiver;

namespace {

alerting::Notification verification(const std::string& outcome) {
  alerting::Notification n;
  n.kind = alerting::kKindVerification;
  n.id = "verify/d-1/test";
  n.alert_key = "sloguard/deploy/d-1";
  n.status = outcome;
  n.outcome = outcome;
  n.service = "checkout";
  n.deployment_id = "d-1";
  n.version = "v1.4.0";
  n.previous_version = "v1.3.9";
  n.environment = "prod";
  n.reason = "error ratio 20.00% above the limit 5.00%";
  n.created_at_ms = testing::kNowMs;
  n.starts_at_ms = testing::kNowMs - 600000;
  n.link = "https://sloguard.example/api/v1/deployments/d-1";
  return n;
}

alerting::Notification rollback(const std::string& result) {
  alerting::Notification n = verification("failed");
  n.kind = alerting::kKindRollback;
  n.id = "rollback/deploy/d-1/undo-checkout/test";
  n.status = result;
  n.outcome = result;
  n.hook = "undo-checkout";
  n.hook_kind = "exec";
  n.trigger = "verification";
  n.reason = "verification of checkout v1.4.0 failed: error ratio 20.00%";
  n.detail = "exit status 0";
  return n;
}

std::unique_ptr<alerting::Notifier> make(config::NotifierKind kind, Receiver& r, const ManualClock& clock,
                                         net::HttpSender& sender) {
  return alerting::make_notifier(testing::notifier_config(kind, r), sender, clock);
}

}  // namespace

TEST_CASE("release notifications survive a JSON round trip", "[alerting]") {
  const alerting::Notification n = rollback("failed");
  auto back = alerting::notification_from_json(alerting::to_json(n));
  REQUIRE(back.ok());
  CHECK(back->kind == "rollback");
  CHECK(back->id == n.id);
  CHECK(back->status == "failed");
  CHECK(back->outcome == "failed");
  CHECK(back->deployment_id == "d-1");
  CHECK(back->version == "v1.4.0");
  CHECK(back->previous_version == "v1.3.9");
  CHECK(back->environment == "prod");
  CHECK(back->hook == "undo-checkout");
  CHECK(back->hook_kind == "exec");
  CHECK(back->trigger == "verification");
  CHECK(back->reason == n.reason);
  CHECK(back->detail == "exit status 0");
  CHECK(alerting::to_json(*back) == alerting::to_json(n));
}

TEST_CASE("notifications stored before kinds existed read as alerts", "[alerting]") {
  // An outbox entry's notification as written before `kind` was added.
  auto old = alerting::notification_from_json(
      R"({"id":"checkout-availability/page-1h#1/firing/hook","alert_key":"checkout-availability/page-1h",)"
      R"("status":"firing","repeat":false,"slo":"checkout-availability","service":"checkout","group":"",)"
      R"("tier":"page-1h","severity":"page","labels":{},"annotations":{},"starts_at_ms":1,"ends_at_ms":null,)"
      R"("created_at_ms":2,"threshold":14.4,"long_window":"1h","short_window":"5m","long_burn_rate":15.0,)"
      R"("short_burn_rate":null,"budget_remaining":0.5,"objective":0.99,"link":""})");
  REQUIRE(old.ok());
  CHECK(old->kind == "alert");
  CHECK(old->status == "firing");
  CHECK(old->deployment_id.empty());
  CHECK(alerting::default_title(*old) == "[FIRING] checkout-availability: page page-1h");
  // An alert written now carries its kind, and no release fields.
  const auto j = nlohmann::json::parse(alerting::to_json(testing::firing()));
  CHECK(j.at("kind") == "alert");
  CHECK_FALSE(j.contains("deployment_id"));
  CHECK_FALSE(alerting::notification_from_json(R"({"id":"x","status":"firing","kind":"bogus"})").ok());
}

TEST_CASE("release notifications have default titles and bodies and template fields", "[alerting]") {
  CHECK(alerting::default_title(verification("failed")) == "checkout v1.4.0: verification failed");
  CHECK(alerting::default_title(verification("passed")) == "checkout v1.4.0: verification passed");
  CHECK(alerting::default_title(verification("inconclusive")) == "checkout v1.4.0: verification inconclusive");
  CHECK(alerting::default_title(rollback("succeeded")) == "checkout: rollback hook undo-checkout succeeded");
  CHECK(alerting::default_title(rollback("dry_run")) == "checkout: rollback hook undo-checkout dry run (nothing called)");
  CHECK(alerting::default_title(rollback("skipped_cooldown")) == "checkout: rollback hook undo-checkout skipped (cooldown)");

  config::NotifierConfig cfg;
  const std::string body = alerting::detail::body_text(cfg, verification("failed"));
  CHECK(body.find("Post-deploy verification of checkout v1.4.0 failed.") == 0);
  CHECK(body.find("Deployment d-1, previous version v1.3.9, environment prod.") != std::string::npos);
  CHECK(body.find("error ratio 20.00% above the limit 5.00%") != std::string::npos);
  CHECK(body.find("https://sloguard.example/api/v1/deployments/d-1") != std::string::npos);
  const std::string rb = alerting::detail::body_text(cfg, rollback("failed"));
  CHECK(rb.find("Rollback hook undo-checkout (exec) for checkout failed.") == 0);
  CHECK(rb.find("Trigger: verification.") != std::string::npos);
  CHECK(rb.find("Deployment d-1: v1.4.0 -> v1.3.9.") != std::string::npos);
  CHECK(rb.find("Detail: exit status 0") != std::string::npos);

  CHECK(alerting::render_template("{{kind}} {{service}} {{version}} {{previous_version}} {{deployment_id}} "
                                  "{{environment}} {{outcome}} {{STATUS}} {{hook}} {{hook_kind}} {{trigger}} {{detail}}",
                                  rollback("succeeded")) ==
        "rollback checkout v1.4.0 v1.3.9 d-1 prod succeeded SUCCEEDED undo-checkout exec verification exit status 0");
  // {{summary}} is the default title for release events, so one template serves every kind.
  CHECK(alerting::render_template("{{summary}}", verification("failed")) == "checkout v1.4.0: verification failed");

  CHECK(alerting::detail::tone_for(verification("passed")) == alerting::detail::Tone::kGood);
  CHECK(alerting::detail::tone_for(verification("failed")) == alerting::detail::Tone::kDanger);
  CHECK(alerting::detail::tone_for(verification("inconclusive")) == alerting::detail::Tone::kWarning);
  CHECK(alerting::detail::tone_for(rollback("succeeded")) == alerting::detail::Tone::kGood);
  CHECK(alerting::detail::tone_for(rollback("failed")) == alerting::detail::Tone::kDanger);
  CHECK(alerting::detail::tone_for(rollback("skipped_limit")) == alerting::detail::Tone::kWarning);
  CHECK(alerting::detail::tone_for(testing::firing()) == alerting::detail::Tone::kDanger);
  CHECK(alerting::detail::tone_for(testing::resolved()) == alerting::detail::Tone::kGood);
}

TEST_CASE("slack renders release events with their colour and fields", "[alerting]") {
  Receiver r(Answer{200, "ok", {}});
  ManualClock clock(testing::kNowMs);
  auto sender = net::make_curl_sender();
  auto notifier = make(config::NotifierKind::kSlack, r, clock, *sender);
  REQUIRE(notifier->deliver(verification("failed"), 1).outcome == Outcome::kDelivered);
  auto j = r.last().json();
  CHECK(j.at("text").get<std::string>().find("checkout v1.4.0: verification failed") == 0);
  const auto& att = j.at("attachments").at(0);
  CHECK(att.at("color") == "#E01E5A");
  CHECK(att.at("blocks").at(0).at("text").at("text") == "checkout v1.4.0: verification failed");
  const std::string fields = att.at("blocks").at(2).dump();
  CHECK(fields.find("*Version*\\nv1.4.0") != std::string::npos);
  CHECK(fields.find("*Outcome*\\nfailed") != std::string::npos);
  CHECK(fields.find("Severity") == std::string::npos);

  clock.advance(std::chrono::seconds(2));  // Slack: one message per second per webhook
  REQUIRE(notifier->deliver(rollback("succeeded"), 1).outcome == Outcome::kDelivered);
  j = r.last().json();
  CHECK(j.at("attachments").at(0).at("color") == "#2EB67D");
  CHECK(j.at("attachments").at(0).at("blocks").at(2).dump().find("*Hook*\\nundo-checkout") != std::string::npos);
}

TEST_CASE("discord renders release events within its limits", "[alerting]") {
  Receiver r(Answer{200, "{}", {}});
  ManualClock clock(testing::kNowMs);
  auto sender = net::make_curl_sender();
  auto notifier = make(config::NotifierKind::kDiscord, r, clock, *sender);
  alerting::Notification n = verification("inconclusive");
  n.reason = std::string(6000, 'x');
  REQUIRE(notifier->deliver(n, 1).outcome == Outcome::kDelivered);
  auto j = r.last().json();
  CHECK(j.at("content") == "checkout v1.4.0: verification inconclusive");
  const auto& embed = j.at("embeds").at(0);
  CHECK(embed.at("color") == 0xECB22E);
  CHECK(alerting::detail::utf16_length(embed.at("description").get<std::string>()) == 4096);
  CHECK(embed.at("url") == "https://sloguard.example/api/v1/deployments/d-1");
  CHECK(embed.at("fields").dump().find("\"Outcome\"") != std::string::npos);

  config::NotifierConfig cfg = testing::notifier_config(config::NotifierKind::kDiscord, r);
  cfg.title_template = std::string(2500, 't') + " {{outcome}}";
  REQUIRE(alerting::make_notifier(cfg, *sender, clock)->deliver(rollback("failed"), 1).outcome == Outcome::kDelivered);
  j = r.last().json();
  CHECK(alerting::detail::utf16_length(j.at("content").get<std::string>()) == 2000);
  CHECK(j.at("embeds").at(0).at("color") == 0xE01E5A);
}

TEST_CASE("line sends release events as text within 5000 UTF-16 units", "[alerting]") {
  Receiver r(Answer{200, "{}", {}});
  ManualClock clock(testing::kNowMs);
  auto sender = net::make_curl_sender();
  auto notifier = make(config::NotifierKind::kLine, r, clock, *sender);
  alerting::Notification n = rollback("failed");
  n.detail = std::string(3000, 'd') + "\xF0\x9F\x98\x80" + std::string(3000, 'e');  // with a surrogate pair
  REQUIRE(notifier->deliver(n, 1).outcome == Outcome::kDelivered);
  const auto req = r.last();
  const std::string text = req.json().at("messages").at(0).at("text");
  CHECK(text.find("checkout: rollback hook undo-checkout failed\nRollback hook undo-checkout (exec)") == 0);
  CHECK(alerting::detail::utf16_length(text) <= 5000);
  CHECK(req.header("X-Line-Retry-Key") == alerting::detail::line_retry_key(n.id));
}

TEST_CASE("pagerduty triggers failed release events per deployment and skips what needs no action",
          "[alerting]") {
  Receiver r(Answer{202, R"({"status":"success"})", {}});
  ManualClock clock(testing::kNowMs);
  auto sender = net::make_curl_sender();
  auto notifier = make(config::NotifierKind::kPagerDuty, r, clock, *sender);
  REQUIRE(notifier->deliver(verification("failed"), 1).outcome == Outcome::kDelivered);
  auto j = r.last().json();
  CHECK(j.at("event_action") == "trigger");
  CHECK(j.at("dedup_key") == "sloguard/deploy/d-1");
  CHECK(j.at("payload").at("severity") == "critical");
  CHECK(j.at("payload").at("summary") == "checkout v1.4.0: verification failed");
  CHECK(j.at("payload").at("class") == "release-verification");
  CHECK(j.at("payload").at("custom_details").at("version") == "v1.4.0");
  CHECK(j.at("payload").at("custom_details").at("previous_version") == "v1.3.9");

  REQUIRE(notifier->deliver(rollback("succeeded"), 1).outcome == Outcome::kDelivered);
  j = r.last().json();
  CHECK(j.at("dedup_key") == "sloguard/deploy/d-1");  // on the failed verification's incident
  CHECK(j.at("payload").at("severity") == "info");
  CHECK(j.at("payload").at("custom_details").at("hook") == "undo-checkout");

  // Nobody is paged for a passed or inconclusive verdict, a dry run or a skipped rollback.
  const size_t before = r.count();
  for (const alerting::Notification& n : {verification("passed"), verification("inconclusive"), rollback("dry_run"),
                                rollback("skipped_cooldown")}) {
    net::Verdict v = notifier->deliver(n, 1);
    CHECK(v.outcome == Outcome::kDelivered);
    CHECK(v.detail.find("not sent") == 0);
  }
  CHECK(r.count() == before);
}

TEST_CASE("alertmanager labels release events SLOGuardVerification and SLOGuardRollback", "[alerting]") {
  Receiver r(Answer{200, "", {}});
  ManualClock clock(testing::kNowMs);
  auto sender = net::make_curl_sender();
  config::NotifierConfig cfg = testing::notifier_config(config::NotifierKind::kAlertmanager, r);
  cfg.repeat_interval_ms = 4 * 3600000;
  auto notifier = alerting::make_notifier(cfg, *sender, clock);
  REQUIRE(notifier->deliver(verification("failed"), 1).outcome == Outcome::kDelivered);
  auto a = r.last().json().at(0);
  CHECK(r.last().path == "/hook/api/v2/alerts");  // the fixture's url ends in /hook
  CHECK(a.at("labels").at("alertname") == "SLOGuardVerification");
  CHECK(a.at("labels").at("service") == "checkout");
  CHECK(a.at("labels").at("severity") == "critical");
  CHECK(a.at("labels").at("outcome") == "failed");
  CHECK(a.at("labels").at("deployment_id") == "d-1");
  CHECK(a.at("labels").at("version") == "v1.4.0");
  CHECK(a.at("annotations").at("summary") == "checkout v1.4.0: verification failed");
  CHECK(a.at("startsAt") == "2026-01-01T00:00:00Z");
  CHECK(a.at("endsAt") == "2026-01-01T12:00:00Z");  // active for 3 repeat intervals

  REQUIRE(notifier->deliver(rollback("succeeded"), 1).outcome == Outcome::kDelivered);
  a = r.last().json().at(0);
  CHECK(a.at("labels").at("alertname") == "SLOGuardRollback");
  CHECK(a.at("labels").at("hook") == "undo-checkout");
  CHECK(a.at("labels").at("result") == "succeeded");
  CHECK(a.at("labels").at("severity") == "info");
  CHECK(a.at("endsAt") == "2026-01-01T00:00:00Z");  // a good outcome is sent already ended
}

TEST_CASE("webhook release events carry their kind in type and data", "[alerting]") {
  Receiver r(Answer{204, "", {}});
  ManualClock clock(testing::kNowMs);
  auto sender = net::make_curl_sender();
  config::NotifierConfig cfg = testing::notifier_config(config::NotifierKind::kWebhook, r);
  cfg.secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  auto notifier = alerting::make_notifier(cfg, *sender, clock);
  REQUIRE(notifier->deliver(verification("failed"), 1).outcome == Outcome::kDelivered);
  auto req = r.last();
  auto j = req.json();
  CHECK(j.at("type") == "sloguard.verification.failed");
  CHECK(j.at("title") == "checkout v1.4.0: verification failed");
  CHECK(j.at("data").at("kind") == "verification");
  CHECK(j.at("data").at("deployment_id") == "d-1");
  CHECK(req.header("webhook-id") == "verify/d-1/test");
  CHECK(req.header("webhook-signature") ==
        net::standard_webhooks_signature(cfg.secret, "verify/d-1/test", testing::kNowMs / 1000, req.body));
  REQUIRE(notifier->deliver(rollback("dry_run"), 1).outcome == Outcome::kDelivered);
  j = r.last().json();
  CHECK(j.at("type") == "sloguard.rollback.dry_run");
  CHECK(j.at("data").at("hook") == "undo-checkout");
  // Alerts keep their type.
  REQUIRE(notifier->deliver(testing::firing(), 1).outcome == Outcome::kDelivered);
  CHECK(r.last().json().at("type") == "sloguard.alert.firing");
}
