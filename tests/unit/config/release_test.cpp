// The `release:` section: freeze windows, gate, verification, rollback, hooks, overrides and
// Alertmanager routes.
#include <catch2/catch.hpp>
#include <cstdlib>

#include "config_test_util.h"

namespace sloguard::config {
namespace {

using testing::load;

TEST_CASE("release section with every key loads with its values", "[config][release]") {
  ::setenv("SLOGUARD_TEST_HOOK_SECRET", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", 1);
  ::setenv("SLOGUARD_TEST_GH_TOKEN", "ghp_test", 1);
  auto r = load(R"(services: [{name: checkout}, {name: search}]
release:
  freeze_windows:
    - {name: maintenance, schedule: {days: [sun], start: "02:00", end: "04:00"}, time_zone: Europe/Berlin}
    - {name: holidays, from: "2026-12-24T00:00:00Z", to: "2027-01-02T00:00:00Z", services: [checkout]}
  gate: {block_on_alert_severities: [page, critical]}
  verification: {period: 15m, min_requests: 50, max_error_ratio: 2%, max_error_ratio_factor: 3, max_p95_factor: 1.5}
  rollback: {cooldown: 2h, max_per_period: 2, period: 12h, dry_run: true, hooks: [notify, gh]}
  hooks:
    - {name: notify, kind: webhook, url: "http://127.0.0.1:9/hook", secret_env: SLOGUARD_TEST_HOOK_SECRET, hub_signature: true}
    - name: gh
      kind: github
      token_env: SLOGUARD_TEST_GH_TOKEN
      owner: acme
      repo: shop
      workflow_dispatch: {workflow: rollback.yml, ref: main, inputs: {version: "{previous_version}"}}
    - {name: undo, kind: exec, argv: [kubectl, rollout, undo, deployment, --, "{service}"], timeout: 2m, env_allow: [KUBECONFIG]}
  services:
    - {name: search, verification: {period: 5m}, hooks: [undo]}
  alertmanager:
    - {match: {alertname: CheckoutErrors}, hooks: [undo]}
)");
  INFO(testing::all_errors(r));
  REQUIRE(r.ok());
  const ReleaseConfig& rel = r.config->release;
  REQUIRE(rel.freeze_windows.size() == 2);
  CHECK(rel.freeze_windows[0].days == std::vector<int>{0});
  CHECK(rel.freeze_windows[0].start_minute == 120);
  CHECK(rel.freeze_windows[0].end_minute == 240);
  CHECK(rel.freeze_windows[0].time_zone == "Europe/Berlin");
  CHECK(rel.freeze_windows[1].kind == FreezeKind::kFixed);
  CHECK(rel.freeze_windows[1].to - rel.freeze_windows[1].from == 9 * 86400);
  CHECK(rel.gate.block_on_alert_severities == std::vector<std::string>{"page", "critical"});
  CHECK(rel.verification.period_ms == 15 * 60000);
  CHECK(rel.verification.min_requests == 50);
  CHECK(rel.verification.max_error_ratio == Approx(0.02));
  CHECK(rel.rollback.cooldown_ms == 7200000);
  CHECK(rel.rollback.dry_run);
  REQUIRE(rel.hooks.size() == 3);
  CHECK(rel.hooks[0].hub_signature);
  CHECK(rel.hooks[1].workflow == "rollback.yml");
  CHECK(rel.hooks[1].api_url == "https://api.github.com");
  CHECK(rel.hooks[2].timeout_ms == 120000);
  CHECK(rel.hooks[2].env_allow == std::vector<std::string>{"KUBECONFIG"});
  CHECK(rel.hooks[2].argv == std::vector<std::string>{"kubectl", "rollout", "undo", "deployment", "--", "{service}"});
  CHECK(rel.verification_for("search").period_ms == 5 * 60000);
  CHECK(rel.verification_for("search").max_error_ratio == Approx(0.02));  // inherited
  CHECK(rel.hooks_for("search") == std::vector<std::string>{"undo"});
  CHECK(rel.hooks_for("checkout") == std::vector<std::string>{"notify", "gh"});
  REQUIRE(rel.alertmanager.size() == 1);
  CHECK(rel.alertmanager[0].service_label == "service");
}

TEST_CASE("release defaults without a release section", "[config][release]") {
  auto r = load("services: [{name: checkout}]\n");
  REQUIRE(r.ok());
  const ReleaseConfig& rel = r.config->release;
  CHECK(rel.verification.period_ms == 30 * 60000);
  CHECK(rel.verification.min_requests == 100);
  CHECK(rel.rollback.cooldown_ms == 3600000);
  CHECK(rel.rollback.max_per_period == 3);
  CHECK(rel.gate.block_on_alert_severities == std::vector<std::string>{"page"});
}

TEST_CASE("release errors are located and name what was expected", "[config][release]") {
  auto r = load(R"(services: [{name: checkout}]
release:
  freeze_windows:
    - {name: a, schedule: {days: [sunday, funday], start: "2:00", end: "25:00"}, time_zone: Europe/Berln}
    - {name: b, from: "2026-01-02T00:00:00Z", to: "2026-01-01T00:00:00Z"}
  verification: {period: 90s, max_error_ratio: 150%}
  rollback: {hooks: [nope]}
  hooks:
    - {name: w, kind: webhook, url: "ftp://x"}
    - {name: x, kind: carrier-pigeon}
)");
  INFO(testing::all_errors(r));
  REQUIRE_FALSE(r.ok());
  CHECK(testing::has_error(r, 4, 43, "expected a weekday"));
  CHECK(testing::has_error(r, 4, 93, "did you mean \"Europe/Berlin\""));
  CHECK(testing::find_error(r, "end: expected a local time") != nullptr);
  CHECK(testing::find_error(r, "to: must be after from") != nullptr);
  CHECK(testing::find_error(r, "period: must be whole minutes") != nullptr);
  CHECK(testing::find_error(r, "max_error_ratio: expected a percentage") != nullptr);
  CHECK(testing::find_error(r, "unknown hook \"nope\"") != nullptr);
  CHECK(testing::find_error(r, "must start with http:// or https://") != nullptr);
  CHECK(testing::find_error(r, "unknown hook kind \"carrier-pigeon\"") != nullptr);
}

TEST_CASE("hook secrets are never echoed and must come from env or file", "[config][release]") {
  ::unsetenv("SLOGUARD_TEST_UNSET_SECRET");
  auto r = load(R"(release:
  hooks:
    - {name: w, kind: webhook, url: "http://127.0.0.1:9/", secret: "s3cr3t-value"}
    - {name: g, kind: github, token_env: SLOGUARD_TEST_UNSET_SECRET, owner: a, repo: b, repository_dispatch: {event_type: rollback}}
)");
  REQUIRE_FALSE(r.ok());
  const std::string all = testing::all_errors(r);
  INFO(all);
  CHECK(all.find("s3cr3t-value") == std::string::npos);
  CHECK(testing::find_error(r, "unknown key \"secret\"") != nullptr);
  CHECK(testing::find_error(r, "SLOGUARD_TEST_UNSET_SECRET is not set") != nullptr);
}

}  // namespace
}  // namespace sloguard::config

namespace sloguard::config {
namespace {

TEST_CASE("release notify names notifiers, per service too", "[config][release]") {
  auto r = testing::load(R"(services: [{name: checkout}, {name: search}]
notifiers:
  - {name: ops, kind: webhook, url: "http://127.0.0.1:9/ops"}
  - {name: search-team, kind: webhook, url: "http://127.0.0.1:9/search"}
release:
  notify: [ops]
  notify_passed: false
  services:
    - {name: search, notify: search-team}
)");
  INFO(testing::all_errors(r));
  REQUIRE(r.ok());
  const ReleaseConfig& rel = r.config->release;
  CHECK(rel.notify == std::vector<std::string>{"ops"});
  CHECK_FALSE(rel.notify_passed);
  CHECK(rel.notify_for("checkout") == std::vector<std::string>{"ops"});
  CHECK(rel.notify_for("search") == std::vector<std::string>{"search-team"});

  auto defaults = testing::load("services: [{name: checkout}]\n");
  REQUIRE(defaults.ok());
  CHECK(defaults.config->release.notify.empty());
  CHECK(defaults.config->release.notify_passed);
}

TEST_CASE("release notify reports unknown notifiers where they are written", "[config][release]") {
  auto r = testing::load(R"(services: [{name: checkout}]
notifiers:
  - {name: ops, kind: webhook, url: "http://127.0.0.1:9/ops"}
release:
  notify: [opz]
  notify_passed: maybe
  services:
    - {name: checkout, notify: [pager]}
)");
  testing::require_error_at(r, 5, 12, "release.notify[0]: unknown notifier \"opz\"; did you mean \"ops\"?");
  testing::require_error_at(r, 6, 18, "release.notify_passed");
  testing::require_error_at(r, 8, 33, "release.services[0].notify[0]: unknown notifier \"pager\"; defined: ops");

  auto none = testing::load("services: [{name: checkout}]\nrelease:\n  notify: [ops]\n");
  testing::require_error_at(none, 3, 12, "unknown notifier \"ops\"; none are defined (add them under notifiers:)");
}

}  // namespace
}  // namespace sloguard::config
