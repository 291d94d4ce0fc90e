// Stored alerting records that do not decode are error values, and a notifier that throws
// costs the outbox one attempt, never the dispatcher.
#include <catch2/catch.hpp>
#include <atomic>
#include <new>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "sloguard/alerting/alert.h"
#include "sloguard/alerting/outbox.h"
#include "sloguard/alerting/silences.h"

using namespace sloguard;
using namespace sloguard::alerting;
using nlohmann::json;

namespace {

constexpr int64_t kNowMs = 1'767'225'600'000;

// Each is wrong in its own way: not JSON, not an object, a wrong type, a missing field.
const std::vector<std::string> kGarbage = {"", "{not json", "[1,2]", "\"text\"", "null"};

void require_corrupt(const Status& s, const std::string& record) {
  INFO(s.to_string());
  CHECK(s.code() == Status::Code::kCorruption);
  CHECK(s.message().rfind(record + ": ", 0) == 0);
}

std::string good_alert() {
  AlertState a;
  a.slo = "checkout-availability";
  a.service = "checkout";
  a.tier = "page-1h";
  a.severity = "page";
  return to_json(a);
}

std::string good_outbox_entry() {
  OutboxEntry e;
  e.seq = 7;
  e.notifier = "hook";
  e.notification.id = "n1";
  e.notification.status = "firing";
  return to_json(e);
}

class ScriptedNotifier final : public Notifier {
 public:
  const config::NotifierConfig& config() const override { return cfg_; }
  net::Verdict deliver(const Notification&, int) override {
    ++calls;
    if (throw_next > 0) {
      --throw_next;
      throw std::runtime_error("template blew up (test)");
    }
    return net::Verdict{net::Outcome::kDelivered, std::nullopt, 200, "ok"};
  }
  int throw_next = 0;
  int calls = 0;

 private:
  config::NotifierConfig cfg_;
};

}  // namespace

TEST_CASE("alert states that do not decode are errors naming the record", "[alerting][state]") {
  REQUIRE(alert_from_json(good_alert()).ok());
  for (const auto& g : kGarbage) require_corrupt(alert_from_json(g).status(), "stored alert state");
  json wrong = json::parse(good_alert());
  wrong["episode"] = "three";
  require_corrupt(alert_from_json(wrong.dump()).status(), "stored alert state");
  json missing = json::parse(good_alert());
  missing.erase("phase");
  auto r = alert_from_json(missing.dump());
  require_corrupt(r.status(), "stored alert state");
  CHECK(r.status().message().find("phase") != std::string::npos);
}

TEST_CASE("outbox entries and notifications that do not decode are errors", "[alerting][state]") {
  REQUIRE(outbox_entry_from_json(good_outbox_entry()).ok());
  for (const auto& g : kGarbage) require_corrupt(outbox_entry_from_json(g).status(), "stored outbox entry");
  json wrong = json::parse(good_outbox_entry());
  wrong["seq"] = "seven";
  require_corrupt(outbox_entry_from_json(wrong.dump()).status(), "stored outbox entry");
  json bad_notification = json::parse(good_outbox_entry());
  bad_notification["notification"] = {{"id", "n1"}, {"status", 3}};
  auto r = outbox_entry_from_json(bad_notification.dump());
  require_corrupt(r.status(), "stored outbox entry");
  CHECK(r.status().message().find("notification: ") != std::string::npos);
  for (const auto& g : kGarbage) require_corrupt(notification_from_json(g).status(), "notification");
}

TEST_CASE("stored silences that do not decode are errors", "[alerting][state]") {
  for (const auto& g : kGarbage) require_corrupt(silence_from_json(g).status(), "stored silence");
  const std::string no_id = R"({"matchers":["slo=x"],"startsAt":1,"endsAt":2,"createdBy":"a","comment":"c"})";
  require_corrupt(silence_from_json(no_id).status(), "stored silence");
  const std::string id_number = R"({"id":5,"matchers":["slo=x"],"startsAt":1,"endsAt":2,"createdBy":"a","comment":"c"})";
  require_corrupt(silence_from_json(id_number).status(), "stored silence");
  const std::string bad_regex = R"({"id":"s","matchers":["slo=~("],"startsAt":1,"endsAt":2,"createdBy":"a","comment":"c"})";
  require_corrupt(silence_from_json(bad_regex).status(), "stored silence");
}

TEST_CASE("a notifier that throws costs one attempt, is reported, and the entry is retried", "[alerting][outbox]") {
  ManualClock clock(kNowMs);
  Outbox outbox(nullptr, clock);
  std::atomic<int> reported{0};
  outbox.set_error_reporter([&](const std::string& component) {
    if (component == "outbox") ++reported;
  });
  Notification a, b;
  a.id = "a";
  a.created_at_ms = kNowMs;
  b.id = "b";
  b.created_at_ms = kNowMs;
  REQUIRE(outbox.enqueue({{"broken", a}, {"fine", b}}).ok());
  ScriptedNotifier broken, fine;
  broken.throw_next = 1;
  config::AlertingConfig cfg;
  // The throw is contained: the other notifier's entry still goes out in the same round.
  CHECK(outbox.deliver_due({{"broken", &broken}, {"fine", &fine}}, cfg) == 1);
  CHECK(reported.load() == 1);
  auto pending = outbox.pending();
  REQUIRE(pending.size() == 1);
  CHECK(pending[0].notifier == "broken");
  CHECK(pending[0].attempts == 1);
  CHECK(pending[0].next_attempt_ms > kNowMs);  // backoff, as for a network error
  clock.advance(std::chrono::minutes(2));
  CHECK(outbox.deliver_due({{"broken", &broken}, {"fine", &fine}}, cfg) == 1);
  CHECK(outbox.pending().empty());
  CHECK(broken.calls == 2);
}
