// release safety v2 in the config: release.verification.rules (and per service), hook_workers,
// the rollback role, and where exec argv may hold a placeholder.
#include <catch2/catch.hpp>
#include <cstdlib>

#include "config_test_util.h"

namespace sloguard::config {
namespace {

using testing::load;
using testing::require_error_at;

TEST_CASE("verification rules default to the runbook's", "[config][release][rules]") {
  auto r = load("services: [{name: checkout}]\n");
  INFO(testing::all_errors(r));
  REQUIRE(r.ok());
  const ReleaseConfig& rel = r.config->release;
  CHECK(rel.hook_workers == 2);
  const auto& rules = rel.verification.rules;
  REQUIRE(rules.size() == 6);
  struct Want {
    const char* name;
    VerificationMetric metric;
    double max;
    int64_t window_ms;
  };
  const Want want[] = {
      {"error-ratio-1m", VerificationMetric::kErrorRatio, 0.10, 60000},
      {"error-ratio-5m", VerificationMetric::kErrorRatio, 0.05, 300000},
      {"error-ratio-15m", VerificationMetric::kErrorRatio, 0.02, 900000},
      {"p95-5m", VerificationMetric::kP95Ratio, 2, 300000},
      {"p95-1m", VerificationMetric::kP95Ratio, 5, 60000},
  };
  for (size_t i = 0; i < 5; ++i) {
    INFO("rule " << i);
    CHECK(rules[i].name == want[i].name);
    CHECK(rules[i].metric == want[i].metric);
    CHECK(rules[i].max == Approx(want[i].max));
    CHECK(rules[i].window_ms == want[i].window_ms);
    CHECK(rules[i].min_requests == 20);
    CHECK(rules[i].failures_allowed == 0);
  }
  CHECK(rules[5].name == "probes");
  CHECK(rules[5].metric == VerificationMetric::kProbeFailures);
  CHECK(rules[5].consecutive_failures == 5);
  CHECK(rules[5].failures_allowed == 0);
  CHECK(rel.verification_for("checkout").rules.size() == 6);

  CHECK(std::string(verification_metric_name(VerificationMetric::kErrorRatio)) == "error_ratio");
  CHECK(std::string(verification_metric_name(VerificationMetric::kP95Ratio)) == "p95_ratio");
  CHECK(std::string(verification_metric_name(VerificationMetric::kP95)) == "p95");
  CHECK(std::string(verification_metric_name(VerificationMetric::kProbeFailures)) == "probe_failures");
}

TEST_CASE("a full rule list loads with its values", "[config][release][rules]") {
  auto r = load(R"(services: [{name: checkout}]
release:
  hook_workers: 4
  verification:
    period: 30m
    rules:
      - {name: errors-1m, metric: error_ratio, max: 10%, window: 1m}
      - {name: p95-5m, metric: p95_ratio, max: 2, window: 5m, min_requests: 50, failures_allowed: 1}
      - {name: p95-abs, metric: p95, max: 500ms, window: 1m}
      - {name: probes, metric: probe_failures, consecutive_failures: 3}
      - {metric: error_ratio, max: 0.05, window: 5m}
      - {metric: p95, max: 1.5s, window: 1h}
      - {name: p95-ms, metric: p95, max: 250}
)");
  INFO(testing::all_errors(r));
  REQUIRE(r.ok());
  const ReleaseConfig& rel = r.config->release;
  CHECK(rel.hook_workers == 4);
  const auto& rules = rel.verification.rules;
  REQUIRE(rules.size() == 7);
  CHECK(rules[0].name == "errors-1m");
  CHECK(rules[0].metric == VerificationMetric::kErrorRatio);
  CHECK(rules[0].max == Approx(0.10));
  CHECK(rules[0].window_ms == 60000);
  CHECK(rules[0].min_requests == 20);
  CHECK(rules[0].failures_allowed == 0);
  CHECK(rules[1].metric == VerificationMetric::kP95Ratio);
  CHECK(rules[1].max == Approx(2));
  CHECK(rules[1].window_ms == 300000);
  CHECK(rules[1].min_requests == 50);
  CHECK(rules[1].failures_allowed == 1);
  CHECK(rules[2].metric == VerificationMetric::kP95);
  CHECK(rules[2].max == Approx(500));  // milliseconds
  CHECK(rules[3].name == "probes");
  CHECK(rules[3].metric == VerificationMetric::kProbeFailures);
  CHECK(rules[3].consecutive_failures == 3);
  CHECK(rules[4].name == "error_ratio-5m");  // <metric>-<window>
  CHECK(rules[4].max == Approx(0.05));
  CHECK(rules[5].name == "p95-1h");
  CHECK(rules[5].max == Approx(1500));
  CHECK(rules[5].window_ms == 3600000);
  CHECK(rules[6].max == Approx(250));  // a bare number is milliseconds
  CHECK(rules[6].window_ms == 60000);  // Default: 1m
}

TEST_CASE("an empty rules list turns continuous checks off and a probe rule without a name is probes",
          "[config][release][rules]") {
  auto off = load("release:\n  verification: {rules: []}\n");
  INFO(testing::all_errors(off));
  REQUIRE(off.ok());
  CHECK(off.config->release.verification.rules.empty());

  auto probes = load("release:\n  verification: {rules: [{metric: probe_failures}]}\n");
  INFO(testing::all_errors(probes));
  REQUIRE(probes.ok());
  REQUIRE(probes.config->release.verification.rules.size() == 1);
  CHECK(probes.config->release.verification.rules[0].name == "probes");
  CHECK(probes.config->release.verification.rules[0].consecutive_failures == 5);
}

TEST_CASE("a service's rules replace the list and without rules it inherits the top-level list",
          "[config][release][rules]") {
  auto r = load(R"(services: [{name: checkout}, {name: search}, {name: cart}]
release:
  verification:
    rules:
      - {name: errors-5m, metric: error_ratio, max: 5%, window: 5m}
      - {name: p95-5m, metric: p95_ratio, max: 2, window: 5m}
  services:
    - name: search
      verification:
        rules: [{name: errors-15m, metric: error_ratio, max: 1%, window: 15m}]
    - {name: checkout, verification: {period: 10m}}
    - {name: cart, verification: {rules: []}}
)");
  INFO(testing::all_errors(r));
  REQUIRE(r.ok());
  const ReleaseConfig& rel = r.config->release;
  REQUIRE(rel.verification.rules.size() == 2);
  const auto& search = rel.verification_for("search").rules;
  REQUIRE(search.size() == 1);
  CHECK(search[0].name == "errors-15m");
  CHECK(search[0].max == Approx(0.01));
  const VerificationConfig& checkout = rel.verification_for("checkout");
  CHECK(checkout.period_ms == 10 * 60000);
  REQUIRE(checkout.rules.size() == 2);
  CHECK(checkout.rules[0].name == "errors-5m");
  CHECK(checkout.rules[1].name == "p95-5m");
  CHECK(rel.verification_for("cart").rules.empty());
  CHECK(rel.verification_for("other").rules.size() == 2);
}

TEST_CASE("rule errors are located and say what was expected", "[config][release][rules]") {
  auto r = load(R"(release:
  verification:
    rules:
      - {name: a, metric: error_rate, max: 10%}
      - {name: b, metric: error_ratio, max: 150%}
      - {name: c, metric: error_ratio, max: 0%}
      - {name: d, metric: p95_ratio, max: 0}
      - {name: e, metric: p95, max: fast}
      - {name: f, metric: p95, max: 2h}
      - {name: g, metric: error_ratio, max: 1%, window: 90s}
      - {name: h, metric: error_ratio, max: 1%, window: 25h}
      - {name: i, metric: error_ratio, max: 1%, min_requests: 0}
      - {name: j, metric: error_ratio, max: 1%, failures_allowed: -1}
      - {name: k, metric: error_ratio, max: 1%, failures_allowed: 1.5}
      - {name: l, metric: probe_failures, window: 5m}
      - {name: m, metric: probe_failures, consecutive_failures: 0}
      - {name: n, metric: error_ratio, max: 1%, consecutive_failures: 3}
      - {name: o, metric: error_ratio}
      - {name: p q, metric: error_ratio, max: 1%}
      - {name: r, metric: error_ratio, max: 1%, windw: 5m}
      - {name: a, metric: error_ratio, max: 1%}
      - {metric: error_ratio, max: 1%, window: 5m}
      - {metric: error_ratio, max: 2%, window: 5m}
      - errors-1m
)");
  require_error_at(r, 4, 27,
                   "release.verification.rules[0].metric: unknown metric \"error_rate\"; "
                   "did you mean \"error_ratio\"?");
  require_error_at(r, 5, 45,
                   "release.verification.rules[1].max: expected an error ratio above 0% and at most 100%, like 10% "
                   "or 0.1, got \"150%\"");
  CHECK(testing::has_error(r, 6, 45, "rules[2].max: expected an error ratio above 0%"));
  require_error_at(r, 7, 43,
                   "release.verification.rules[3].max: expected a factor of the baseline's p95 above 0, like 2, "
                   "got \"0\"");
  require_error_at(r, 8, 37,
                   "release.verification.rules[4].max: expected a latency above 0 and at most 1h, like 500ms or "
                   "1.5s, or a number of milliseconds, got \"fast\"");
  CHECK(testing::has_error(r, 9, 37, "rules[5].max: expected a latency above 0 and at most 1h"));
  require_error_at(r, 10, 57,
                   "release.verification.rules[6].window: must be whole minutes from 1m to 24h, got \"90s\"");
  CHECK(testing::has_error(r, 11, 57, "rules[7].window: must be whole minutes from 1m to 24h, got \"25h\""));
  require_error_at(r, 12, 63,
                   "release.verification.rules[8].min_requests: expected a whole number 1..1000000000, got \"0\"");
  require_error_at(r, 13, 67,
                   "release.verification.rules[9].failures_allowed: expected a whole number 0..1000000, got \"-1\"");
  CHECK(testing::has_error(r, 14, 67, "rules[10].failures_allowed: expected a whole number 0..1000000, got \"1.5\""));
  require_error_at(r, 15, 43,
                   "release.verification.rules[11].window: does not apply to metric probe_failures, which fails after "
                   "consecutive_failures failed probes in a row");
  require_error_at(r, 16, 65,
                   "release.verification.rules[12].consecutive_failures: expected a whole number 1..64, got \"0\"");
  require_error_at(r, 17, 49,
                   "release.verification.rules[13].consecutive_failures: applies only to metric probe_failures");
  require_error_at(r, 18, 9, "release.verification.rules[14]: missing required key \"max\"");
  require_error_at(r, 19, 16, "release.verification.rules[15].name: \"p q\" may contain only letters");
  require_error_at(r, 20, 49, "release.verification.rules[16]: unknown key \"windw\"; did you mean \"window\"?");
  require_error_at(r, 21, 16, "release.verification.rules[17]: duplicate rule name \"a\" (first at line 4)");
  require_error_at(r, 23, 9,
                   "release.verification.rules[19]: duplicate rule name \"error_ratio-5m\" (first at line 22); a rule "
                   "without a name is named <metric>-<window> (probes for probe_failures): give it one");
  require_error_at(r, 24, 9,
                   "release.verification.rules[20]: expected a rule like {name: errors-1m, metric: error_ratio, "
                   "max: 10%, window: 1m}, got \"errors-1m\"");
}

TEST_CASE("rules must be a list and a rule must name its metric", "[config][release][rules]") {
  auto r = load("release:\n  verification:\n    rules: off\n");
  require_error_at(r, 3, 12, "release.verification.rules: expected a list of rules like [{name: errors-1m, metric: "
                             "error_ratio, max: 10%, window: 1m}] ([] turns the checks off), got \"off\"");
  auto nometric = load("release:\n  verification: {rules: [{name: x, max: 10%}]}\n");
  require_error_at(nometric, 2, 26, "release.verification.rules[0]: missing required key \"metric\"");
  auto svc = load(
      "services: [{name: search}]\nrelease:\n  services:\n"
      "    - {name: search, verification: {rules: [{metric: p95, max: 0ms}]}}\n");
  require_error_at(svc, 4, 64, "release.services[0].verification.rules[0].max: expected a latency above 0");
}

TEST_CASE("hook_workers is a whole number 1..16", "[config][release]") {
  for (const char* ok : {"1", "16"}) {
    auto r = load(std::string("release:\n  hook_workers: ") + ok + "\n");
    INFO(testing::all_errors(r));
    REQUIRE(r.ok());
    CHECK(r.config->release.hook_workers == std::stoi(ok));
  }
  for (const char* bad : {"0", "17", "1.5", "two"}) {
    auto r = load(std::string("release:\n  hook_workers: ") + bad + "\n");
    require_error_at(r, 2, 17,
                     std::string("release.hook_workers: expected a whole number 1..16, got \"") + bad + "\"");
  }
}

TEST_CASE("tokens may have the rollback role", "[config][server]") {
  ::setenv("SLOGUARD_TEST_AM_TOKEN", "am-secret", 1);
  auto r = load(R"(server:
  auth:
    tokens:
      - {name: alertmanager, token_env: SLOGUARD_TEST_AM_TOKEN, roles: [rollback]}
)");
  INFO(testing::all_errors(r));
  REQUIRE(r.ok());
  REQUIRE(r.config->server.tokens.size() == 1);
  const AuthToken& t = r.config->server.tokens[0];
  CHECK(t.has_role(Role::kRollback));
  CHECK_FALSE(t.has_role(Role::kAdmin));
  CHECK_FALSE(t.has_role(Role::kRead));
  CHECK(role_name(Role::kRollback) == "rollback");

  auto typo = load(R"(server:
  auth:
    tokens:
      - {name: alertmanager, token_env: SLOGUARD_TEST_AM_TOKEN, roles: [rollbak]}
)");
  require_error_at(typo, 4, 73, "server.auth.tokens[0].roles[0]: unknown role \"rollbak\"; did you mean \"rollback\"?");
  ::unsetenv("SLOGUARD_TEST_AM_TOKEN");
}

TEST_CASE("an exec placeholder is allowed only as a whole argument after --", "[config][release][hooks]") {
  SECTION("inside a larger argument") {
    auto r = load(R"(release:
  hooks:
    - {name: deploy, kind: exec, argv: [/usr/local/bin/deploy, "--version={version}"]}
)");
    require_error_at(r, 3, 64,
                     "release.hooks[0].argv[1]: argument 1 has the placeholder {version} inside a larger argument, "
                     "where its value could become an option or part of one; use the SLOGUARD_VERSION environment "
                     "variable (exec hooks get SLOGUARD_SERVICE, SLOGUARD_VERSION, SLOGUARD_PREVIOUS_VERSION, "
                     "SLOGUARD_DEPLOYMENT_ID, SLOGUARD_ENVIRONMENT, SLOGUARD_REASON, SLOGUARD_TRIGGER, "
                     "SLOGUARD_ALERT, SLOGUARD_IDEMPOTENCY_KEY), or pass it as a whole argument after \"--\"");
    CHECK(r.errors.size() == 1);
    CHECK(r.config == nullptr);
  }
  SECTION("a whole placeholder before --") {
    auto r = load(R"(release:
  hooks:
    - name: undo
      kind: exec
      argv:
        - /usr/local/bin/rollback
        - "{previous_version}"
        - --
        - "{service}"
)");
    require_error_at(r, 7, 11,
                     "release.hooks[0].argv[1]: argument 1 has the placeholder {previous_version} before any \"--\" "
                     "argument, where its value could become an option or part of one; use the "
                     "SLOGUARD_PREVIOUS_VERSION environment variable");
    CHECK(r.errors.size() == 1);
  }
  SECTION("part of an argument after --, or the program itself") {
    auto r = load(R"(release:
  hooks:
    - {name: a, kind: exec, argv: [/bin/rollback, --, "v{version}"]}
    - {name: b, kind: exec, argv: ["{service}"]}
)");
    require_error_at(r, 3, 55, "release.hooks[0].argv[2]: argument 2 has the placeholder {version} inside a larger");
    require_error_at(r, 4, 36, "release.hooks[1].argv[0]: argument 0 has the placeholder {service} before any");
  }
  SECTION("whole arguments after -- are accepted, other braces are not placeholders") {
    auto r = load(R"(release:
  hooks:
    - name: undo
      kind: exec
      argv: [/usr/local/bin/rollback, --format, "{json}", --, "{service}", "{previous_version}", "{alert}"]
)");
    INFO(testing::all_errors(r));
    REQUIRE(r.ok());
    REQUIRE(r.config->release.hooks.size() == 1);
    CHECK(r.config->release.hooks[0].argv ==
          std::vector<std::string>{"/usr/local/bin/rollback", "--format", "{json}", "--", "{service}",
                                   "{previous_version}", "{alert}"});
  }
}

}  // namespace
}  // namespace sloguard::config
