// Silence matchers: RE2 syntax, anchored as Alertmanager anchors them (^(?:re)$).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "sloguard/alerting/silences.h"

using namespace sloguard;
using namespace sloguard::alerting;
using nlohmann::json;

namespace {

constexpr int64_t kNowMs = 1'700'000'000'000;

Result<Silence> silence_with(const json& matchers) {
  json body = {{"matchers", matchers}, {"endsAt", kNowMs / 1000 + 3600}, {"createdBy", "a"}, {"comment", "c"}};
  return parse_silence(body.dump(), kNowMs);
}

// With service=checkout beside it, so that a matcher that matches an empty label (refused
// on its own: it would mute every alert) can be tried too.
bool mutes(const std::string& matcher, std::map<std::string, std::string> labels) {
  auto s = silence_with({"service=checkout", matcher});
  INFO(matcher);
  REQUIRE(s.ok());
  labels["service"] = "checkout";
  return s->matches(labels);
}

}  // namespace

TEST_CASE("silence regexes must match the whole label value, as in Alertmanager", "[alerting][silences]") {
  CHECK(mutes("slo=~checkout", {{"slo", "checkout"}}));
  CHECK_FALSE(mutes("slo=~checkout", {{"slo", "checkout-eu"}}));
  CHECK_FALSE(mutes("slo=~checkout", {{"slo", "eu-checkout"}}));
  CHECK(mutes("slo=~checkout-.*", {{"slo", "checkout-eu"}}));
  // An alternation is anchored as a whole, not only its first and last branch.
  CHECK(mutes("severity=~page|ticket", {{"severity", "ticket"}}));
  CHECK_FALSE(mutes("severity=~page|ticket", {{"severity", "pager"}}));
  CHECK_FALSE(mutes("severity=~page|ticket", {{"severity", "a-ticket"}}));
  CHECK(mutes("severity!~page|ticket", {{"severity", "info"}}));
  CHECK_FALSE(mutes("severity!~page|ticket", {{"severity", "page"}}));
  // A missing label is the empty value.
  CHECK(mutes("team!~ops", {{"slo", "x"}}));
  CHECK_FALSE(mutes("team=~.+", {{"slo", "x"}}));
}

TEST_CASE("a silence regex that backtracking engines take exponential time on is answered", "[alerting][silences]") {
  // A regex std::regex was refused for. RE2 matches in time linear in the value.
  const std::string value(4096, 'a');
  CHECK_FALSE(mutes("slo=~(a+)+$", {{"slo", value + "!"}}));
  CHECK(mutes("slo=~(a+)+$", {{"slo", value}}));
  CHECK_FALSE(mutes("slo=~(a*)*b", {{"slo", value}}));
  CHECK(mutes("slo=~(.*)*z", {{"slo", value + "z"}}));
}

TEST_CASE("silence regexes that RE2 rejects name the matcher and RE2's reason", "[alerting][silences]") {
  struct Case {
    json matcher;
    std::string message;
  };
  for (const Case& c : {
           Case{"slo=~(", "matchers[0].value: is not a valid RE2 regular expression: missing ): ("},
           // Lookarounds and backreferences are ECMAScript, not RE2 (nor Go, nor Alertmanager).
           Case{"slo=~(?=x)x", "matchers[0].value: is not a valid RE2 regular expression: invalid perl operator: (?="},
           Case{json{{"name", "slo"}, {"value", "(a)\\1"}, {"isRegex", true}},
                "matchers[0].value: is not a valid RE2 regular expression: invalid escape sequence: \\1"},
           // A pattern valid only once wrapped in ^(?:...)$ is still the user's mistake.
           Case{"slo=~a)|(b", "matchers[0].value: is not a valid RE2 regular expression: unexpected ): a)|(b"},
       }) {
    INFO(c.matcher.dump());
    auto s = silence_with({"service=checkout", c.matcher});
    REQUIRE_FALSE(s.ok());
    // The matcher's index follows the good one before it.
    std::string expected = c.message;
    expected.replace(expected.find("[0]"), 3, "[1]");
    CHECK(s.status().message() == expected);
  }
}

TEST_CASE("a stored silence with a regex matcher matches the same after a reload", "[alerting][silences]") {
  auto s = silence_with({"slo=~checkout-(eu|us)"});
  REQUIRE(s.ok());
  s.value().id = "id-1";
  json stored = json::parse(to_json(*s, kNowMs));
  stored.erase("status");
  stored.erase("updatedAt");
  auto back = silence_from_json(stored.dump());
  REQUIRE(back.ok());
  CHECK(back->matches({{"slo", "checkout-eu"}}));
  CHECK_FALSE(back->matches({{"slo", "checkout-eu2"}}));
}
