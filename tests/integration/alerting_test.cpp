// Burn-rate alerting end to end: events in through the API, the evaluator's rounds driven by a
// manual clock, notifications out to a real webhook receiver on loopback.
#include <atomic>
#include <cstdlib>
#include <set>

#include "loopback_http.h"
#include "server_fixture.h"
#include "sloguard/net/http_sender.h"

using namespace sloguard;
using namespace sloguard::testing;
using nlohmann::json;

namespace {

constexpr int64_t kT0 = 1767225600;  // the incident starts (2026-01-01T00:00:00Z)
constexpr const char* kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

// A webhook receiver that verifies Standard Webhooks signatures and can be "down" (503).
class WebhookReceiver {
 public:
  struct Delivery {
    std::string id, status, tier;
    bool signature_ok = false;
  };
  WebhookReceiver() {
    http_.server().Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      ++attempts_;
      if (down_) {
        res.status = 503;
        return;
      }
      Delivery d;
      d.id = req.get_header_value("webhook-id");
      const int64_t ts = std::atoll(req.get_header_value("webhook-timestamp").c_str());
      d.signature_ok = req.get_header_value("webhook-signature") ==
                       net::standard_webhooks_signature(kSecret, d.id, ts, req.body);
      json body = json::parse(req.body, nullptr, false);
      const json& n = body.contains("data") ? body["data"] : body;
      d.status = n.value("status", "");
      d.tier = n.value("tier", "");
      delivered_.push_back(d);
      res.status = 200;
    });
    http_.start();
  }
  std::string url() const { return http_.url("/hook"); }
  void set_down(bool down) {
    std::lock_guard<std::mutex> lock(mu_);
    down_ = down;
  }
  std::vector<Delivery> delivered() {
    std::lock_guard<std::mutex> lock(mu_);
    return delivered_;
  }
  int attempts() {
    std::lock_guard<std::mutex> lock(mu_);
    return attempts_;
  }

 private:
  LoopbackHttpServer http_;
  std::mutex mu_;
  bool down_ = false;
  int attempts_ = 0;
  std::vector<Delivery> delivered_;
};

std::string config_yaml(const std::string& url, const std::string& slo_alerting) {
  setenv("SLOGUARD_TEST_WEBHOOK_SECRET", kSecret, 1);
  return "evaluation_interval: 60s\n"
         "services: [{name: checkout}]\n"
         "notifiers:\n"
         "  - {name: hook, kind: webhook, url: \"" + url + "\", secret_env: SLOGUARD_TEST_WEBHOOK_SECRET}\n"
         "slos:\n"
         "  - name: checkout-availability\n"
         "    service: checkout\n"
         "    objective: 99%\n"
         "    window: 30d\n"
         "    alerting: " + slo_alerting + "\n";
}

// good and bad events in each minute of [from, from + minutes*60).
void send_minutes(ServerFixture& fx, int64_t from, int minutes, int good, int bad) {
  json events = json::array();
  for (int m = 0; m < minutes; ++m) {
    const int64_t ts = from + m * 60;
    if (good) events.push_back({{"service", "checkout"}, {"ts", ts}, {"status", 200}, {"count", good}});
    if (bad) events.push_back({{"service", "checkout"}, {"ts", ts}, {"status", 503}, {"count", bad}});
  }
  auto [status, body] = fx.post("/api/v1/events", json{{"events", events}}.dump());
  INFO(body.dump());
  REQUIRE(status == 202);
}

// The state of one tier of the SLO in GET /api/v1/alerts ("inactive" when not listed).
std::string tier_state(ServerFixture& fx, const std::string& tier) {
  auto [status, body] = fx.get("/api/v1/alerts?slo=checkout-availability");
  REQUIRE(status == 200);
  for (const auto& a : body["alerts"]) {
    if (a["tier"] == tier) return a["state"].get<std::string>();
  }
  return "inactive";
}

// The scripted incident: 1000 requests a minute, all of them failing from kT0 to kT0 + 20m.
// Traffic is sent as the clock reaches it (sloguard refuses events from the future).
int64_t g_sent_until = 0;

void send_until(ServerFixture& fx, int64_t t) {
  for (int64_t m = g_sent_until; m + 60 <= t; m += 60) {
    const bool failing = m >= kT0 && m < kT0 + 20 * 60;
    send_minutes(fx, m, 1, failing ? 0 : 1000, failing ? 1000 : 0);
    g_sent_until = m + 60;
  }
}

// Sets the clock, sends the traffic up to it, runs one evaluation round and one delivery round.
void evaluate_at(ServerFixture& fx, int64_t t) {
  fx.clock().set_seconds(t);
  if (g_sent_until) send_until(fx, t);
  fx.server().evaluate_now();
  fx.server().deliver_now();
}

// Seven hours of good traffic before kT0; the rest follows the clock.
void script_incident(ServerFixture& fx) {
  send_minutes(fx, kT0 - 7 * 3600, 7 * 60, 1000, 0);
  g_sent_until = kT0;
}

}  // namespace

TEST_CASE("a 100 percent error incident pages at the workbook crossing and resolves once the short window drains",
          "[alerting][integration]") {
  WebhookReceiver rx;
  ServerFixture fx(config_yaml(rx.url(), "{notify: [hook]}"), kT0 - 60);
  script_incident(fx);
  // Objective 99%: burn over 1h after k minutes of errors = (k/60)/0.01. It reaches 14.4 at
  // k = 8.64, so the first whole-minute evaluation over the threshold is at k = 9 (the 5m
  // window is then at 100x). Windows end at the evaluation minute.
  for (int k = 0; k <= 8; ++k) {
    evaluate_at(fx, kT0 + k * 60);
    INFO("k = " << k);
    REQUIRE(tier_state(fx, "page-1h") == "inactive");
  }
  evaluate_at(fx, kT0 + 9 * 60);
  REQUIRE(tier_state(fx, "page-1h") == "firing");
  auto [st, alerts] = fx.get("/api/v1/alerts?state=firing");
  json page;
  for (const auto& a : alerts["alerts"]) {
    if (a["tier"] == "page-1h") page = a;
  }
  CHECK(page["burn_rates"]["1h"].get<double>() == Approx(15.0));  // 9000 bad of 60000
  CHECK(page["burn_rates"]["5m"].get<double>() == Approx(100.0));
  CHECK(page["labels"]["severity"] == "page");
  CHECK(page["threshold"].get<double>() == Approx(14.4));
  auto [s2, slo] = fx.get("/api/v1/slos/checkout-availability");
  bool listed = false;
  for (const auto& a : slo["alerts"]) listed = listed || (a["tier"] == "page-1h" && a["state"] == "firing");
  CHECK(listed);

  auto firing = rx.delivered();
  REQUIRE_FALSE(firing.empty());
  bool page_sent = false;
  for (const auto& d : firing) {
    CHECK(d.signature_ok);
    page_sent = page_sent || (d.tier == "page-1h" && d.status == "firing");
  }
  CHECK(page_sent);

  // Errors stop at kT0 + 20m. The 5m burn after j good minutes is 20 * (5 - j): >= 14.4 up
  // to j = 4, 0 at j = 5, so the alert resolves at kT0 + 25m.
  for (int k = 10; k <= 24; ++k) {
    evaluate_at(fx, kT0 + k * 60);
    INFO("k = " << k);
    REQUIRE(tier_state(fx, "page-1h") == "firing");
  }
  evaluate_at(fx, kT0 + 25 * 60);
  REQUIRE(tier_state(fx, "page-1h") == "resolved");
  int resolved = 0, fired = 0;
  for (const auto& d : rx.delivered()) {
    if (d.tier != "page-1h") continue;
    fired += d.status == "firing";
    resolved += d.status == "resolved";
  }
  CHECK(fired == 1);  // no repeat within repeat_interval (4h)
  CHECK(resolved == 1);
}

TEST_CASE("a 2x burn opens a ticket and never pages", "[alerting][integration]") {
  WebhookReceiver rx;
  ServerFixture fx(config_yaml(rx.url(), "{notify: [hook]}"), kT0);
  // Three days at 2% errors: burn rate 2 over every window.
  g_sent_until = 0;
  send_minutes(fx, kT0 - 3 * 86400, 3 * 1440, 980, 20);
  for (int64_t t = kT0 - 2 * 86400; t <= kT0; t += 2 * 3600) {
    evaluate_at(fx, t);
    CHECK(tier_state(fx, "page-1h") == "inactive");
    CHECK(tier_state(fx, "page-6h") == "inactive");
    CHECK(tier_state(fx, "ticket-1d") == "inactive");
  }
  CHECK(tier_state(fx, "ticket-3d") == "firing");
  // One firing notice, then a reminder every repeat_interval (4h) over the two days watched.
  auto d = rx.delivered();
  CHECK(d.size() == 1 + 48 / 4);
  std::set<std::string> ids;
  for (const auto& x : d) {
    CHECK(x.tier == "ticket-3d");
    CHECK(x.status == "firing");
    ids.insert(x.id);
  }
  CHECK(ids.size() == d.size());
}

TEST_CASE("a silenced alert fires but sends nothing", "[alerting][integration]") {
  WebhookReceiver rx;
  ServerFixture fx(config_yaml(rx.url(), "{notify: [hook]}"), kT0 - 60);
  script_incident(fx);
  auto [st, created] = fx.post("/api/v1/silences",
                               json{{"matchers", {"slo=checkout-availability"}},
                                    {"endsAt", kT0 + 3600},
                                    {"createdBy", "alice"},
                                    {"comment", "planned failover drill"}}
                                   .dump());
  REQUIRE(st == 201);
  const std::string id = created["id"];
  CHECK(created["status"]["state"] == "active");
  for (int k = 0; k <= 30; ++k) evaluate_at(fx, kT0 + k * 60);
  CHECK(rx.attempts() == 0);
  // It fired (and resolved) all the same; the alert shows which silence held it back.
  evaluate_at(fx, kT0 + 12 * 60);
  auto [s2, listed] = fx.get("/api/v1/silences?state=active");
  REQUIRE(listed["silences"].size() == 1);
  // Expiring keeps it for audit.
  auto res = fx.http().Delete(("/api/v1/silences/" + id).c_str());
  REQUIRE(res);
  CHECK(res->status == 200);
  auto [s3, one] = fx.get("/api/v1/silences/" + id);
  CHECK(one["status"]["state"] == "expired");
  CHECK(fx.http().Delete("/api/v1/silences/nope")->status == 404);
}

TEST_CASE("silences reject bad input with the field named", "[alerting][integration]") {
  WebhookReceiver rx;
  ServerFixture fx(config_yaml(rx.url(), "{notify: [hook]}"), kT0);
  auto check = [&](const json& body, const std::string& field) {
    auto [st, b] = fx.post("/api/v1/silences", body.dump());
    INFO(body.dump() << " -> " << b.dump());
    CHECK(st == 400);
    CHECK(b["field"] == field);
  };
  check({{"endsAt", kT0 + 60}, {"createdBy", "a"}, {"comment", "c"}}, "matchers");
  check({{"matchers", {"slo"}}, {"endsAt", kT0 + 60}, {"createdBy", "a"}, {"comment", "c"}}, "matchers[0]");
  check({{"matchers", {{{"name", "slo"}, {"value", "("}, {"isRegex", true}}}}, {"endsAt", kT0 + 60}, {"createdBy", "a"},
         {"comment", "c"}},
        "matchers[0].value");
  check({{"matchers", {"slo=x"}}, {"endsAt", kT0 - 60}, {"createdBy", "a"}, {"comment", "c"}}, "endsAt");
  check({{"matchers", {"slo=x"}}, {"endsAt", kT0 + 60}, {"comment", "c"}}, "createdBy");
  // RE2 syntax: a lookahead (ECMAScript) is refused, the pattern is named.
  check({{"matchers", {"slo=~(?=x)x"}}, {"endsAt", kT0 + 60}, {"createdBy", "a"}, {"comment", "c"}},
        "matchers[0].value");
  check({{"matchers", {"slo=~" + std::string(300, 'a')}}, {"endsAt", kT0 + 60}, {"createdBy", "a"}, {"comment", "c"}},
        "matchers[0].value");
  // A set that matches an empty label would mute every alert.
  check({{"matchers", {"slo=~.*"}}, {"endsAt", kT0 + 60}, {"createdBy", "a"}, {"comment", "c"}}, "matchers");
  check({{"matchers", {"slo=~x"}}, {"endsAt", "1e300"}, {"createdBy", "a"}, {"comment", "c"}}, "endsAt");
  auto res = fx.http().Post("/api/v1/silences", "{not json", "application/json");
  REQUIRE(res);
  CHECK(res->status == 400);
  CHECK(json::parse(res->body)["field"] == "body");
}

TEST_CASE("a restart in the middle of an incident re-pages nothing and forgets nothing", "[alerting][integration]") {
  WebhookReceiver rx;
  ServerFixture fx(config_yaml(rx.url(), "{notify: [hook], defaults: false, tiers: [{name: page-1h}]}"), kT0 - 60);
  script_incident(fx);
  for (int k = 0; k <= 10; ++k) evaluate_at(fx, kT0 + k * 60);
  REQUIRE(rx.delivered().size() == 1);
  fx.reopen();
  CHECK(tier_state(fx, "page-1h") == "firing");  // remembered before any evaluation
  for (int k = 11; k <= 24; ++k) evaluate_at(fx, kT0 + k * 60);
  CHECK(rx.delivered().size() == 1);
  fx.reopen();
  evaluate_at(fx, kT0 + 25 * 60);
  auto d = rx.delivered();
  REQUIRE(d.size() == 2);
  CHECK(d[1].status == "resolved");
  CHECK(d[0].id != d[1].id);
}

TEST_CASE("a receiver down for 10 minutes gets every notification once it is back, in order, once each",
          "[alerting][integration]") {
  WebhookReceiver rx;
  ServerFixture fx(config_yaml(rx.url(), "{notify: [hook], defaults: false, tiers: [{name: page-1h}]}"), kT0 - 60);
  script_incident(fx);
  rx.set_down(true);
  // Down from before the page (kT0 + 9m) until kT0 + 19m; the dispatcher retries every 10s.
  for (int64_t t = kT0; t < kT0 + 19 * 60; t += 10) {
    fx.clock().set_seconds(t);
    send_until(fx, t);
    if (t % 60 == 0) fx.server().evaluate_now();
    fx.server().deliver_now();
  }
  CHECK(rx.delivered().empty());
  CHECK(rx.attempts() >= 5);  // backoff: 1s, 2s, 4s, ... capped at 1m
  auto [s, pending] = fx.get("/api/v1/notifications?state=pending");
  REQUIRE(pending["pending"].size() == 1);
  CHECK(pending["pending"][0]["last_status"] == 503);
  // A restart while the receiver is still down loses nothing.
  fx.reopen();
  rx.set_down(false);
  for (int64_t t = kT0 + 19 * 60; t <= kT0 + 40 * 60; t += 10) {
    fx.clock().set_seconds(t);
    send_until(fx, t);
    if (t % 60 == 0) fx.server().evaluate_now();
    fx.server().deliver_now();
  }
  auto d = rx.delivered();
  REQUIRE(d.size() == 2);
  CHECK(d[0].status == "firing");
  CHECK(d[1].status == "resolved");
  std::set<std::string> ids{d[0].id, d[1].id};
  CHECK(ids.size() == 2);
  auto [s2, after] = fx.get("/api/v1/notifications");
  CHECK(after["pending"].empty());
  CHECK(after["dead_letters"].empty());
  auto metrics = fx.http().Get("/metrics");
  REQUIRE(metrics);
  CHECK(metrics->body.find("sloguard_notifications_total{notifier=\"hook\",result=\"delivered\"} 2") != std::string::npos);
}

TEST_CASE("a notification the receiver refuses becomes a dead letter", "[alerting][integration]") {
  LoopbackHttpServer http;
  http.server().Post("/hook", [](const httplib::Request&, httplib::Response& res) {
    res.status = 400;
    res.set_content("{\"error\":\"bad payload\"}", "application/json");
  });
  http.start();
  ServerFixture fx(config_yaml(http.url("/hook"), "{notify: [hook], defaults: false, tiers: [{name: page-1h}]}"),
                   kT0 - 60);
  script_incident(fx);
  for (int k = 0; k <= 10; ++k) evaluate_at(fx, kT0 + k * 60);
  auto [s, body] = fx.get("/api/v1/notifications?state=dead");
  REQUIRE(body["dead_letters"].size() == 1);
  CHECK(body["dead_letters"][0]["last_status"] == 400);
  CHECK(body["dead_letters"][0]["attempts"] == 1);  // other 4xx are not retried
  auto metrics = fx.http().Get("/metrics");
  CHECK(metrics->body.find("sloguard_notifications_dead_letters{notifier=\"hook\"} 1") != std::string::npos);
}

TEST_CASE("whoever was paged hears the resolution even when a silence began meanwhile", "[alerting][integration]") {
  WebhookReceiver rx;
  ServerFixture fx(config_yaml(rx.url(), "{notify: [hook], defaults: false, tiers: [{name: page-1h}]}"), kT0 - 60);
  script_incident(fx);
  for (int k = 0; k <= 9; ++k) evaluate_at(fx, kT0 + k * 60);
  REQUIRE(rx.delivered().size() == 1);
  auto [st, created] = fx.post("/api/v1/silences", json{{"matchers", {"tier=page-1h"}},
                                                       {"endsAt", kT0 + 7200},
                                                       {"createdBy", "bob"},
                                                       {"comment", "known, working on it"}}
                                                      .dump());
  REQUIRE(st == 201);
  for (int k = 10; k <= 25; ++k) evaluate_at(fx, kT0 + k * 60);
  evaluate_at(fx, kT0 + 25 * 60);  // a second round at the same instant queues nothing more
  auto d = rx.delivered();
  REQUIRE(d.size() == 2);
  CHECK(d[1].status == "resolved");
}

TEST_CASE("a reload that removes a firing alert's tier sends the resolved notice to whoever was paged",
          "[alerting][integration]") {
  WebhookReceiver rx;
  ServerFixture fx(config_yaml(rx.url(), "{notify: [hook], defaults: false, tiers: [{name: page-1h}]}"), kT0 - 60);
  script_incident(fx);
  for (int k = 0; k <= 9; ++k) evaluate_at(fx, kT0 + k * 60);
  REQUIRE(rx.delivered().size() == 1);
  fx.write_config(config_yaml(rx.url(), "{enabled: false, notify: [hook]}"));
  auto reloaded = fx.server().reload();
  REQUIRE(reloaded.ok());
  REQUIRE(reloaded->empty());
  evaluate_at(fx, kT0 + 10 * 60);
  auto d = rx.delivered();
  REQUIRE(d.size() == 2);
  CHECK(d[1].status == "resolved");
  CHECK(d[1].tier == "page-1h");
  CHECK(tier_state(fx, "page-1h") == "inactive");
}
