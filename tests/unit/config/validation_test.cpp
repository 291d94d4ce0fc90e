// Invalid configs: every kind of error, located at file:line:column (1-based).
#include <cstdlib>

#include "config_test_util.h"

namespace sloguard::config {
namespace {

using testing::all_errors;
using testing::has_error;
using testing::load;
using testing::require_error_at;
using testing::require_errors;

// The field under test is on line 5; its value starts at column 5 + len(field) + 2.
std::string slo_with(const std::string& field, const std::string& value) {
  std::string yaml = "services: [{name: checkout}]\nslos:\n  - name: s\n    service: checkout\n";
  yaml += "    " + field + ": " + value + "\n";
  if (field != "objective") yaml += "    objective: 99.5%\n";
  if (field != "window") yaml += "    window: 30d\n";
  return yaml;
}

TEST_CASE("YAML syntax errors are located", "[config]") {
  LoadResult r = load("server:\n  listen: a: b\n");
  require_error_at(r, 2, 12, "YAML syntax error: illegal map value");
  CHECK(r.errors.size() == 1);
  CHECK(r.errors[0].to_string() == "test.yaml:2:12: YAML syntax error: illegal map value");

  LoadResult flow = load("slos: [\n  {name: a}\n");
  REQUIRE_FALSE(flow.ok());
  REQUIRE(flow.errors.size() == 1);
  CHECK(flow.errors[0].message.find("YAML syntax error") == 0);
  CHECK(flow.errors[0].line > 0);
}

TEST_CASE("an empty config is an error", "[config]") {
  for (const char* yaml : {"", "# only a comment\n", "---\n"}) {
    LoadResult r = load(yaml);
    INFO(all_errors(r));
    REQUIRE_FALSE(r.ok());
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].line == 0);
    CHECK(r.errors[0].message.find("the config is empty") == 0);
  }
}

TEST_CASE("the top level must be a mapping", "[config]") {
  require_error_at(load("- a\n- b\n"), 1, 1, "expected a mapping with server, storage");
  require_error_at(load("just text\n"), 1, 1, "got \"just text\"");
}

TEST_CASE("unknown keys are errors with a did-you-mean suggestion", "[config]") {
  LoadResult r = load(R"(sever:
  listen: 127.0.0.1:8080
services:
  - name: checkout
slos:
  - name: s
    service: checkout
    objcetive: 99%
    windw: 30d
    colour: blue
)");
  REQUIRE_FALSE(r.ok());
  CHECK(r.config == nullptr);
  require_error_at(r, 1, 1, "unknown key \"sever\"; did you mean \"server\"?");
  require_error_at(r, 8, 5, "slos[0]: unknown key \"objcetive\"; did you mean \"objective\"?");
  require_error_at(r, 9, 5, "slos[0]: unknown key \"windw\"; did you mean \"window\"?");
  require_error_at(r, 10, 5,
                   "slos[0]: unknown key \"colour\"; expected one of: name, service, objective, window, "
                   "time_zone, sli, budgeting, group_by, max_groups");
  // The misspelt keys leave the SLO without its required keys: it does not load at all.
  CHECK(has_error(r, 6, 5, "slos[0]: missing required key \"objective\""));
  CHECK(has_error(r, 6, 5, "slos[0]: missing required key \"window\""));
  CHECK(r.errors.size() == 6);
}

TEST_CASE("unknown keys in every section", "[config]") {
  LoadResult r = load(R"(server:
  Listen: 127.0.0.1:8080
  auth:
    tokenz: []
storage:
  retension: 35d
evaluation-interval: 15s
budget_policy:
  - {min_remaining: -inf, status: x, block_release: true}
)");
  require_error_at(r, 2, 3, "server: unknown key \"Listen\"; did you mean \"listen\"?");
  require_error_at(r, 4, 5, "server.auth: unknown key \"tokenz\"; did you mean \"tokens\"?");
  require_error_at(r, 6, 3, "storage: unknown key \"retension\"; did you mean \"retention\"?");
  require_error_at(r, 7, 1, "unknown key \"evaluation-interval\"; did you mean \"evaluation_interval\"?");
  require_error_at(r, 9, 38,
                   "budget_policy[0]: unknown key \"block_release\"; did you mean \"block_releases\"?");
  CHECK(has_error(r, 4, 5, "server.auth: missing required key \"tokens\""));
  CHECK(r.errors.size() == 6);
}

TEST_CASE("a repeated key is an error", "[config]") {
  LoadResult r = load(R"(services: [{name: a}]
slos:
  - name: s
    service: a
    objective: 99%
    window: 1d
    window: 2d
)");
  require_error_at(r, 7, 5, "slos[0]: key \"window\" is repeated (first at line 6)");
  CHECK(r.errors.size() == 1);
}

TEST_CASE("missing required SLO keys are located at the SLO", "[config]") {
  LoadResult r = load(R"(services: [{name: checkout}]
slos:
  - sli: {kind: availability}
  - name: b
    service: checkout
)");
  INFO(all_errors(r));
  REQUIRE_FALSE(r.ok());
  for (const char* key : {"name", "service", "objective", "window"}) {
    CHECK(has_error(r, 3, 5, std::string("slos[0]: missing required key \"") + key + "\""));
  }
  CHECK(has_error(r, 4, 5, "slos[1]: missing required key \"objective\""));
  CHECK(has_error(r, 4, 5, "slos[1]: missing required key \"window\""));
  CHECK(r.errors.size() == 6);
}

TEST_CASE("wrong types are errors naming what was expected", "[config]") {
  LoadResult r = load(R"(server: 5
storage: [a]
services: {name: x}
slos: oops
evaluation_interval: [1s]
)");
  require_error_at(r, 1, 9, "server: expected a mapping with listen, max_body_bytes, auth, got \"5\"");
  require_error_at(r, 2, 10, "storage: expected a mapping with path, retention, max_series_per_service, audit_retention, got a list");
  require_error_at(r, 3, 11, "services: expected a list of services like {name: checkout}, got a mapping");
  require_error_at(r, 4, 7, "slos: expected a list of SLOs, got \"oops\"");
  require_error_at(r, 5, 22, "evaluation_interval: expected a duration like 30d, 6h or 15s, got a list");
  CHECK(r.errors.size() == 5);

  require_error_at(load("services:\n  - checkout\n"), 2, 5,
                   "services[0]: expected a service like {name: checkout}, got \"checkout\"");
  require_error_at(load("storage:\n  path:\n"), 2, 3, "storage.path: expected a directory path, got nothing");
}

TEST_CASE("duplicate service, SLO and token names", "[config]") {
  setenv("SLOGUARD_TEST_DUP_A", "secret-a", 1);
  setenv("SLOGUARD_TEST_DUP_B", "secret-b", 1);
  LoadResult r = load(R"(server:
  auth:
    tokens:
      - {name: ci, token_env: SLOGUARD_TEST_DUP_A, roles: [read]}
      - {name: ci, token_env: SLOGUARD_TEST_DUP_B, roles: [read]}
services:
  - name: checkout
  - name: search
  - name: checkout
slos:
  - {name: a, service: checkout, objective: 99%, window: 1d}
  - {name: a, service: search, objective: 99%, window: 1d}
)");
  require_error_at(r, 5, 9, "server.auth.tokens[1]: duplicate token name \"ci\" (first at line 4)");
  require_error_at(r, 9, 5, "services[2]: duplicate service name \"checkout\" (first at line 7)");
  require_error_at(r, 12, 5, "slos[1]: duplicate SLO name \"a\" (first at line 11)");
  CHECK(r.errors.size() == 3);
}

TEST_CASE("service and SLO names are checked", "[config]") {
  require_error_at(load("services:\n  - name: check out\n"), 2, 11,
                   "services[0].name: \"check out\" may contain only letters, digits, '.', '_' and '-'");
  require_error_at(load("services:\n  - name: \"\"\n"), 2, 11, "services[0].name: must not be empty");
  require_error_at(load("services:\n  - {}\n"), 2, 5, "services[0]: missing required key \"name\"");
  require_error_at(
      load("services: [{name: a}]\nslos:\n  - {name: \"a b\", service: a, objective: 99%, window: 1d}\n"), 3,
      12, "slos[0].name: \"a b\" may contain only");
}

TEST_CASE("an SLO must reference a known service", "[config]") {
  LoadResult r = load(R"(services: [{name: checkout}]
slos:
  - name: a
    service: chekout
    objective: 99%
    window: 1d
  - name: b
    service: payments
    objective: 99%
    window: 1d
)");
  require_error_at(r, 4, 14, "slos[0].service: unknown service \"chekout\"; did you mean \"checkout\"?");
  require_error_at(r, 8, 14, "slos[1].service: unknown service \"payments\"; services are: checkout");
  CHECK(r.errors.size() == 2);

  require_error_at(load("slos:\n  - {name: a, service: x, objective: 99%, window: 1d}\n"), 2, 24,
                   "unknown service \"x\"; no services are defined");
}

TEST_CASE("a badly written service does not also fail its SLOs", "[config]") {
  LoadResult r = load(R"(services:
  - name: check out
slos:
  - {name: a, service: check out, objective: 99%, window: 1d}
)");
  INFO(all_errors(r));
  CHECK(r.errors.size() == 1);
  CHECK(has_error(r, 2, 11, "may contain only"));
}

TEST_CASE("objective must be strictly between 0 and 1", "[config]") {
  const char* kRange = "slos[0].objective: objective must be strictly between 0 and 1 (0% and 100%)";
  for (const char* v : {"100%", "0", "0%", "1", "1.0", "1.5", "-0.5", "150%"}) {
    INFO(v);
    require_error_at(load(slo_with("objective", v)), 5, 16, std::string(kRange) + ", got \"" + v + "\"");
  }
  require_error_at(load(slo_with("objective", "99.5")), 5, 16, "got \"99.5\"; did you mean \"99.5%\"?");
  require_error_at(
      load(slo_with("objective", "abc")), 5, 16,
      "slos[0].objective: invalid ratio \"abc\": expected a percentage like 99.5% or a fraction like 0.995");
  require_error_at(load(slo_with("objective", "99.5 %")), 5, 16, "invalid ratio \"99.5 %\"");
  require_error_at(load(slo_with("objective", "")), 5, 5,
                   "slos[0].objective: expected an objective like 99.5% or 0.995, got nothing");
  require_error_at(load(slo_with("objective", "[0.99]")), 5, 16, "got a list");
}

TEST_CASE("windows must be whole minutes, positive and within retention", "[config]") {
  require_error_at(load(slo_with("window", "0m")), 5, 13,
                   "slos[0].window: window must be longer than 0, got \"0m\"");
  require_error_at(load(slo_with("window", "90s")), 5, 13,
                   "slos[0].window: window must be a whole number of minutes, got \"90s\"");
  require_error_at(load(slo_with("window", "1m500ms")), 5, 13, "whole number of minutes");
  require_error_at(load(slo_with("window", "36d")), 5, 13,
                   "slos[0].window: window 36d is longer than storage.retention 35d");
  require_error_at(load(slo_with("window", "30x")), 5, 13,
                   "slos[0].window: invalid duration \"30x\": expected e.g. 30d");
  require_error_at(load(slo_with("window", "d30")), 5, 13, "invalid duration \"d30\"");
  require_error_at(load(slo_with("window", "-1d")), 5, 13, "invalid duration \"-1d\"");
  require_error_at(load(slo_with("window", "30")), 5, 13, "invalid duration \"30\"");

  LoadResult longer = load("storage: {retention: 1w}\n" + slo_with("window", "30d"));
  require_error_at(longer, 6, 13, "window 30d is longer than storage.retention 7d");
  LoadResult fits = load("storage: {retention: 90d}\n" + slo_with("window", "90d"));
  INFO(all_errors(fits));
  CHECK(fits.ok());
}

TEST_CASE("durations: retention and evaluation_interval", "[config]") {
  LoadResult r = load(R"(storage:
  retention: forever
evaluation_interval: 500ms
services: [{name: checkout}]
slos:
  - {name: s, service: checkout, objective: 99%, window: 400d}
)");
  require_error_at(r, 2, 14, "storage.retention: invalid duration \"forever\"");
  require_error_at(r, 3, 22, "evaluation_interval: must be at least 1s, got \"500ms\"");
  // With no valid retention the window is not compared with it.
  CHECK(r.errors.size() == 2);

  require_error_at(load("storage:\n  retention: 0d\n"), 2, 14,
                   "storage.retention: retention must be longer than 0, got \"0d\"");
  require_error_at(load("evaluation_interval: 0s\n"), 1, 22, "must be at least 1s");
  require_error_at(load("evaluation_interval: 15\n"), 1, 22, "invalid duration \"15\"");
}

TEST_CASE("listen must be host:port with port 0..65535", "[config]") {
  for (const char* v : {"8080", "localhost", "host:99999", "host:65536", "\"host:\"", "\":80\"", "\"::1:80\"",
                        "host:80a", "host:-1", "\"[::1]\"", "\"[::1]80\""}) {
    INFO(v);
    require_error_at(load(std::string("server:\n  listen: ") + v + "\n"), 2, 11,
                     "server.listen: expected host:port like 127.0.0.1:8080 (port 0..65535), got");
  }
}

TEST_CASE("max_body_bytes must be a positive whole number", "[config]") {
  for (const char* v : {"0", "-5", "1.5", "abc", "10MB", "+5", "99999999999999999999999"}) {
    INFO(v);
    require_error_at(load(std::string("server:\n  max_body_bytes: ") + v + "\n"), 2, 19,
                     "server.max_body_bytes: expected a positive whole number of bytes like 10485760");
  }
}

TEST_CASE("token errors: secret source, roles, unset variables, unreadable files", "[config]") {
  setenv("SLOGUARD_TEST_SET1", "secret-1", 1);
  setenv("SLOGUARD_TEST_SET2", "secret-2", 1);
  setenv("SLOGUARD_TEST_SET3", "secret-3", 1);
  setenv("SLOGUARD_TEST_SET4", "secret-4", 1);
  unsetenv("SLOGUARD_TEST_UNSET_VAR");
  LoadResult r = load(R"(server:
  auth:
    tokens:
      - name: both
        token_env: SLOGUARD_TEST_SET1
        token_file: /tmp/x
        roles: [read]
      - name: neither
        roles: [read]
      - name: badrole
        token_env: SLOGUARD_TEST_SET2
        roles: [raed, superuser]
      - name: noroles
        token_env: SLOGUARD_TEST_SET3
        roles: []
      - name: unset
        token_env: SLOGUARD_TEST_UNSET_VAR
        roles: [read]
      - name: nofile
        token_file: /nonexistent/sloguard/token
        roles: [read]
      - name: missingroles
        token_env: SLOGUARD_TEST_SET4
)");
  require_error_at(r, 4, 9, "server.auth.tokens[0]: give either token_env or token_file, not both");
  require_error_at(r, 8, 9, "server.auth.tokens[1]: missing the secret: give token_env or token_file");
  require_error_at(r, 12, 17,
                   "server.auth.tokens[2].roles[0]: unknown role \"raed\"; did you mean \"read\"?");
  require_error_at(
      r, 12, 23,
      "server.auth.tokens[2].roles[1]: unknown role \"superuser\"; expected one of: read, ingest, rollback, admin");
  require_error_at(r, 15, 16, "server.auth.tokens[3].roles: must list at least one role");
  require_error_at(
      r, 17, 20, "server.auth.tokens[4].token_env: environment variable SLOGUARD_TEST_UNSET_VAR is not set");
  require_error_at(
      r, 20, 21,
      "server.auth.tokens[5].token_file: cannot read token file \"/nonexistent/sloguard/token\": "
      "No such file or directory");
  require_error_at(r, 22, 9, "server.auth.tokens[6]: missing required key \"roles\"");
  CHECK(r.errors.size() == 8);
}

TEST_CASE("auth must list tokens", "[config]") {
  require_error_at(load("server:\n  auth:\n    tokens: []\n"), 3, 13,
                   "server.auth.tokens: must list at least one token (remove the auth block");
  require_error_at(load("server:\n  auth: {}\n"), 2, 9, "server.auth: missing required key \"tokens\"");
  require_error_at(load("server:\n  auth:\n"), 2, 3,
                   "server.auth: expected a mapping with tokens, got nothing");
}

TEST_CASE("bad_status entries and SLI kind", "[config]") {
  LoadResult r = load(R"(services: [{name: checkout}]
slos:
  - name: s
    service: checkout
    objective: 99%
    window: 1d
    sli:
      kind: availabilty
      bad_status: [600, "6xx", 99, abc, 5xx]
  - name: t
    service: checkout
    objective: 99%
    window: 1d
    sli: {bad_status: []}
  - name: u
    service: checkout
    objective: 99%
    window: 1d
    sli: {bad_status: 5xx, kind: latncy}
)");
  require_error_at(r, 8, 13,
                   "slos[0].sli.kind: unknown SLI kind \"availabilty\"; did you mean \"availability\"?");
  const char* kStatus = "expected a status code 100..599 or a class like \"5xx\", got";
  CHECK(has_error(r, 9, 20, std::string("slos[0].sli.bad_status[0]: ") + kStatus + " \"600\""));
  CHECK(has_error(r, 9, 25, std::string("slos[0].sli.bad_status[1]: ") + kStatus + " \"6xx\""));
  CHECK(has_error(r, 9, 32, std::string("slos[0].sli.bad_status[2]: ") + kStatus + " \"99\""));
  CHECK(has_error(r, 9, 36, std::string("slos[0].sli.bad_status[3]: ") + kStatus + " \"abc\""));
  require_error_at(r, 14, 23, "slos[1].sli.bad_status: must list at least one status code or class");
  require_error_at(
      r, 19, 23,
      "slos[2].sli.bad_status: expected a list of status codes or classes like [\"5xx\", 429], got \"5xx\"");
  // With an unknown kind every key is still read for its own mistakes.
  require_error_at(r, 19, 34, "slos[2].sli.kind: unknown SLI kind \"latncy\"; did you mean \"latency\"?");
  INFO(all_errors(r));
  CHECK(r.errors.size() == 8);
}

TEST_CASE("the last budget tier must be -inf", "[config]") {
  LoadResult r = load(R"(budget_policy:
  - {min_remaining: 75%, status: normal}
  - {min_remaining: 0%, status: freeze, block_releases: true}
)");
  require_error_at(r, 1, 1,
                   "budget_policy: the last tier must have min_remaining: -inf so every budget has a status");
  CHECK(r.errors.size() == 1);

  require_error_at(load("budget_policy: []\n"), 1, 16, "budget_policy: must list at least one tier");
  require_error_at(load("budget_policy:\n"), 1, 1, "budget_policy: must list at least one tier");
  require_error_at(
      load("budget_policy:\n  - {min_remaining: inf, status: x}\n"), 2, 21,
      "budget_policy[0].min_remaining: expected a percentage like 75%, a fraction like 0.75, or -inf");
}

TEST_CASE("budget tier errors", "[config]") {
  LoadResult r = load(R"(budget_policy:
  - {min_remaining: lots, status: normal}
  - {min_remaining: 150%, status: review}
  - {min_remaining: 10%, status: low}
  - {min_remaining: -inf, status: emergency, block_releases: maybe}
  - {status: nothing}
  - {min_remaining: 0.1, status: dup-min}
  - {min_remaining: 5%, status: normal}
  - {min_remaining: 1%, status: ""}
)");
  require_error_at(r, 2, 21,
                   "budget_policy[0].min_remaining: expected a percentage like 75%, a fraction like "
                   "0.75, or -inf, got \"lots\"");
  require_error_at(r, 3, 21,
                   "budget_policy[1].min_remaining: min_remaining must be at most 100%, got \"150%\"");
  require_error_at(r, 5, 62, "budget_policy[3].block_releases: expected true or false, got \"maybe\"");
  require_error_at(r, 6, 5, "budget_policy[4]: missing required key \"min_remaining\"");
  require_error_at(r, 7, 5, "budget_policy[5]: two tiers with the same min_remaining (\"low\" at line 4)");
  require_error_at(r, 8, 5, "budget_policy[6]: duplicate status \"normal\" (first at line 2)");
  require_error_at(r, 9, 33, "budget_policy[7].status: must not be empty");
  INFO(all_errors(r));
  CHECK(r.errors.size() == 7);
}

TEST_CASE("every error is reported at once, in file order", "[config]") {
  LoadResult r = load(R"(server:
  listen: nowhere
storage:
  retention: 35days
evaluation_interval: 100ms
services:
  - name: checkout
  - name: checkout
slos:
  - name: a
    service: checkout
    objective: 100%
    window: 90s
    sli: {kind: availability, bad_status: [5xx, 700]}
  - name: b
    servce: checkout
    objective: 0.99
    window: 1d
budget_policy:
  - {min_remaining: 50%, status: ok}
)");
  INFO(all_errors(r));
  REQUIRE_FALSE(r.ok());
  CHECK(r.config == nullptr);
  require_errors(r, {
      {2, 11, "server.listen: expected host:port"},
      {4, 14, "storage.retention: invalid duration \"35days\""},
      {5, 22, "evaluation_interval: must be at least 1s"},
      {8, 5, "services[1]: duplicate service name \"checkout\""},
      {12, 16, "slos[0].objective: objective must be strictly between 0 and 1"},
      {13, 13, "slos[0].window: window must be a whole number of minutes"},
      {14, 49, "slos[0].sli.bad_status[1]: expected a status code 100..599"},
      {15, 5, "slos[1]: missing required key \"service\""},
      {16, 5, "slos[1]: unknown key \"servce\"; did you mean \"service\"?"},
      {19, 1, "budget_policy: the last tier must have min_remaining: -inf"},
  });
}

}  // namespace
}  // namespace sloguard::config
