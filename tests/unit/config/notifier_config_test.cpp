// The notifiers: section: every kind with its required fields, defaults, secrets from env and
// file, and located errors that never show a secret.
#include <cstdlib>

#include "config_test_util.h"
#include "temp_dir.h"

namespace sloguard::config {
namespace {

using testing::all_errors;
using testing::load;
using testing::require_error_at;
using testing::write_file;

struct ScopedEnv {
  ScopedEnv(const char* name, const char* value) : name_(name) { setenv(name, value, 1); }
  ~ScopedEnv() { unsetenv(name_); }
  const char* name_;
};

const NotifierConfig& only_notifier(const LoadResult& r) {
  INFO(all_errors(r));
  REQUIRE(r.ok());
  REQUIRE(r.config->notifiers.size() == 1);
  return r.config->notifiers[0];
}

TEST_CASE("notifiers of every kind load with their defaults", "[config]") {
  ScopedEnv slack("SLOGUARD_TEST_SLACK_URL", "https://slack.invalid/services/T0/B0/XXXX");
  ScopedEnv line("SLOGUARD_TEST_LINE_TOKEN", "line-token");
  ScopedEnv pd("SLOGUARD_TEST_PD_KEY", "pd-key");
  ScopedEnv wh("SLOGUARD_TEST_WH_SECRET", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  ScopedEnv hdr("SLOGUARD_TEST_HDR", "Bearer abc");
  LoadResult r = load(R"(notifiers:
  - {name: oncall-slack, kind: slack, url_env: SLOGUARD_TEST_SLACK_URL}
  - {name: line-sre, kind: line, token_env: SLOGUARD_TEST_LINE_TOKEN, to: U123}
  - {name: discord, kind: discord, url: "http://127.0.0.1:9000/hook", send_resolved: false}
  - {name: pd, kind: pagerduty, routing_key_env: SLOGUARD_TEST_PD_KEY, base_url: "http://127.0.0.1:9/"}
  - {name: am, kind: alertmanager, url: "http://alertmanager:9093/"}
  - name: hook
    kind: webhook
    url: https://example.com/sloguard
    secret_env: SLOGUARD_TEST_WH_SECRET
    timeout: 3s
    tls_verify: false
    title_template: "{{slo}} {{status}}"
    text_template: "budget {{budget_remaining}}"
    headers:
      - {name: X-Team, value: sre}
      - {name: Authorization, value_env: SLOGUARD_TEST_HDR}
)");
  INFO(all_errors(r));
  REQUIRE(r.ok());
  const auto& n = r.config->notifiers;
  REQUIRE(n.size() == 6);
  CHECK(n[0].kind == NotifierKind::kSlack);
  CHECK(n[0].url == "https://slack.invalid/services/T0/B0/XXXX");
  CHECK(n[0].timeout_ms == 10000);
  CHECK(n[0].tls_verify);
  CHECK(n[0].send_resolved);
  CHECK(n[1].kind == NotifierKind::kLine);
  CHECK(n[1].token == "line-token");
  CHECK(n[1].to == "U123");
  CHECK(n[1].base_url == "https://api.line.me");
  CHECK(n[2].kind == NotifierKind::kDiscord);
  CHECK_FALSE(n[2].send_resolved);
  CHECK(n[3].routing_key == "pd-key");
  CHECK(n[3].base_url == "http://127.0.0.1:9");
  CHECK(n[4].url == "http://alertmanager:9093");
  CHECK(n[5].secret == "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  CHECK(n[5].timeout_ms == 3000);
  CHECK_FALSE(n[5].tls_verify);
  CHECK(n[5].title_template == "{{slo}} {{status}}");
  CHECK(n[5].text_template == "budget {{budget_remaining}}");
  CHECK(n[5].headers == std::vector<std::pair<std::string, std::string>>{{"X-Team", "sre"},
                                                                         {"Authorization", "Bearer abc"}});
  CHECK(r.config->find_notifier("pd") == &n[3]);
}

TEST_CASE("pagerduty base_url defaults to the events endpoint", "[config]") {
  ScopedEnv pd("SLOGUARD_TEST_PD_KEY", "pd-key");
  const LoadResult r = load("notifiers:\n  - {name: pd, kind: pagerduty, routing_key_env: SLOGUARD_TEST_PD_KEY}\n");
  const NotifierConfig& n = only_notifier(r);
  CHECK(n.base_url == "https://events.pagerduty.com");
}

TEST_CASE("notifier secrets are read from files without the trailing newline", "[config]") {
  sloguard::testing::TempDir dir;
  const auto url = dir.path() / "slack.url";
  const auto token = dir.path() / "line.token";
  write_file(url, "https://slack.invalid/services/T1/B1/YYYY\n");
  write_file(token, "tok\r\n");
  LoadResult r = load("notifiers:\n  - {name: s, kind: slack, url_file: " + url.string() +
                      "}\n  - {name: l, kind: line, token_file: " + token.string() + ", to: C1}\n");
  INFO(all_errors(r));
  REQUIRE(r.ok());
  CHECK(r.config->notifiers[0].url == "https://slack.invalid/services/T1/B1/YYYY");
  CHECK(r.config->notifiers[1].token == "tok");
}

TEST_CASE("missing fields per kind are located errors", "[config]") {
  LoadResult r = load(R"(notifiers:
  - {name: s, kind: slack}
  - {name: l, kind: line}
  - {name: p, kind: pagerduty}
  - {name: a, kind: alertmanager}
  - {kind: webhook, url: "http://127.0.0.1/x"}
  - {name: k}
)");
  testing::require_errors(r, {
                                 {2, 5, "notifiers[0]: missing the webhook URL (a secret): give url, url_env or url_file"},
                                 {3, 5, "notifiers[1]: missing the channel access token: give token_env or token_file"},
                                 {3, 5, "notifiers[1]: missing to:"},
                                 {4, 5, "notifiers[2]: missing the integration key: give routing_key_env or routing_key_file"},
                                 {5, 5, "notifiers[3]: missing the URL: give url, url_env or url_file"},
                                 {6, 5, "notifiers[4]: missing"},
                                 {7, 5, "notifiers[5]: missing"},
                             });
  CHECK(testing::find_error(r, "\"name\"") != nullptr);
  CHECK(testing::find_error(r, "\"kind\"") != nullptr);
}

TEST_CASE("unknown kinds, duplicate names and keys of other kinds are errors", "[config]") {
  LoadResult r = load(R"(notifiers:
  - {name: a, kind: slak, url: "http://127.0.0.1/x"}
  - {name: b, kind: webhook, url: "http://127.0.0.1/x", to: U1}
  - {name: b, kind: alertmanager, url: "http://127.0.0.1:9093"}
  - {name: c, kind: webhook, url: "ftp://x/y", timeout: 0s}
)");
  require_error_at(r, 2, 21, "notifiers[0].kind: unknown notifier kind \"slak\"; did you mean \"slack\"?");
  require_error_at(r, 3, 57, "notifiers[1]: to does not apply to kind webhook (only to line)");
  require_error_at(r, 4, 5, "notifiers[2]: duplicate notifier name \"b\" (first at line 3)");
  require_error_at(r, 5, 35, "notifiers[3].url: expected an http:// or https:// URL");
  require_error_at(r, 5, 57, "notifiers[3].timeout: must be longer than 0");
}

TEST_CASE("inline secrets are rejected with a pointer to the env and file keys", "[config]") {
  const std::string kSlack = "https://hooks.slack.com/services/T000/B000/SECRETSECRET";
  LoadResult r = load("notifiers:\n"
                      "  - {name: s, kind: slack, url: \"" + kSlack + "\"}\n"
                      "  - {name: l, kind: line, token: SECRETTOKEN, to: U1}\n"
                      "  - {name: d, kind: discord, url: \"https://discord.com/api/webhooks/1/SECRETD\"}\n"
                      "  - {name: w, kind: webhook, url: \"http://127.0.0.1/x\", secret: SECRETW}\n");
  require_error_at(r, 2, 33, "notifiers[0].url: this URL carries its own secret token and must not be written in the "
                             "config: use url_env or url_file");
  require_error_at(r, 3, 27, "notifiers[1]: token must not be written in the config: use token_env or token_file");
  require_error_at(r, 4, 35, "notifiers[2].url: this URL carries its own secret token");
  require_error_at(r, 5, 57, "notifiers[3]: secret must not be written in the config: use secret_env or secret_file");
  CHECK(all_errors(r).find("SECRET") == std::string::npos);
  CHECK(r.errors.size() == 4);
}

TEST_CASE("notifier secrets never appear in error messages", "[config]") {
  ScopedEnv bad("SLOGUARD_TEST_BAD_URL", "not a url SECRETVALUE");
  ScopedEnv empty("SLOGUARD_TEST_EMPTY", "");
  sloguard::testing::TempDir dir;
  LoadResult r = load(R"(notifiers:
  - {name: s, kind: slack, url_env: SLOGUARD_TEST_BAD_URL}
  - {name: l, kind: line, token_env: SLOGUARD_TEST_EMPTY, to: U1}
  - {name: p, kind: pagerduty, routing_key_env: "abc-SECRETVALUE-def"}
  - {name: w, kind: webhook, url_env: SLOGUARD_TEST_UNSET_VAR, url: "http://x/SECRETVALUE"}
  - {name: h, kind: webhook, url: "http://127.0.0.1/x", headers: [{name: "Authorization: Bearer SECRETVALUE", value: x}]}
)" + std::string("  - {name: f, kind: webhook, url: \"http://127.0.0.1/x\", secret_file: ") + dir.str() + "}\n");
  INFO(all_errors(r));
  CHECK(r.errors.size() == 6);
  CHECK(all_errors(r).find("SECRETVALUE") == std::string::npos);
  CHECK(testing::has_error(r, 2, 37, "notifiers[0].url_env: must not contain spaces"));
  CHECK(testing::has_error(r, 3, 38, "environment variable SLOGUARD_TEST_EMPTY is empty"));
  CHECK(testing::has_error(r, 4, 49, "not the secret itself"));
  CHECK(testing::has_error(r, 5, 5, "give only one of url, url_env or url_file"));
  CHECK(testing::has_error(r, 6, 74, "not a valid header name"));
  CHECK(testing::find_error(r, "it is a directory") != nullptr);
}

}  // namespace
}  // namespace sloguard::config
