// Notification JSON for the outbox, templates, and the UTF-16 cut the providers share.
#include <catch2/catch.hpp>

#include "../../../alerting/src/notifier_providers.h"
#include "receiver.h"

using namespace sloguard;

TEST_CASE("notifications survive a JSON round trip", "[alerting]") {
  alerting::Notification n = testing::resolved();
  n.repeat = true;
  n.group = "eu";
  n.short_burn_rate.reset();
  Result<alerting::Notification> back = alerting::notification_from_json(alerting::to_json(n));
  REQUIRE(back.ok());
  CHECK(alerting::to_json(*back) == alerting::to_json(n));
  CHECK(back->ends_at_ms == n.ends_at_ms);
  CHECK_FALSE(back->short_burn_rate.has_value());
  CHECK(back->labels == n.labels);
  CHECK(back->repeat);

  CHECK_FALSE(alerting::notification_from_json("{").ok());
  CHECK_FALSE(alerting::notification_from_json("[]").ok());
  CHECK_FALSE(alerting::notification_from_json("{\"status\":\"firing\"}").ok());
}

TEST_CASE("templates substitute fields and leave unknown ones empty", "[alerting]") {
  alerting::Notification n = testing::firing();
  CHECK(alerting::render_template("{{slo}}|{{ service }}|{{status}}|{{STATUS}}|{{severity}}|{{tier}}", n) ==
        "checkout-availability|checkout|firing|FIRING|page|page-1h");
  CHECK(alerting::render_template("{{long_burn_rate}} {{short_burn_rate}} {{threshold}} {{budget_remaining}} "
                                  "{{objective}} {{long_window}} {{short_window}}",
                                  n) == "15.23 20 14.4 42.1% 99.5% 1h 5m");
  CHECK(alerting::render_template("{{starts_at}} {{ends_at}} {{summary}} {{labels.tier}}", n) ==
        "2025-12-31T23:50:00Z n/a checkout is failing page-1h");
  CHECK(alerting::render_template("{{unknown}}x{{link}}", n) == "xhttps://sloguard.example/api/v1/slos/checkout-availability");
  CHECK(alerting::render_template("no fields {{ unclosed", n) == "no fields {{ unclosed");
  n.budget_remaining = -0.5;
  CHECK(alerting::render_template("{{budget_remaining}}", n) == "-50%");
}

TEST_CASE("the UTF-16 cut keeps whole code points", "[alerting]") {
  using alerting::detail::truncate_utf16;
  using alerting::detail::utf16_length;
  CHECK(utf16_length("abc") == 3);
  CHECK(utf16_length("\xC3\xA9") == 1);          // é
  CHECK(utf16_length("\xE3\x81\x82") == 1);      // あ
  CHECK(utf16_length("\xF0\x9F\x94\xA5") == 2);  // U+1F525
  CHECK(truncate_utf16("abcdef", 6) == "abcdef");
  CHECK(truncate_utf16("abcdef", 4) == "abc\u2026");
  // "a" + fire (2 units): a cut at 3 units keeps "a" and the ellipsis, not half the pair.
  CHECK(truncate_utf16("a\xF0\x9F\x94\xA5" "b", 3) == "a\u2026");
  CHECK(truncate_utf16("\xE3\x81\x82\xE3\x81\x82\xE3\x81\x82", 2) == "\xE3\x81\x82\u2026");
}
