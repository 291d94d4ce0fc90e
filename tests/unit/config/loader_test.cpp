// Loading valid configs: the examples, DESIGN.md's example, value forms and defaults.
#include <cmath>
#include <cstdlib>
#include <limits>

#include "config_test_util.h"
#include "temp_dir.h"

namespace sloguard::config {
namespace {

using testing::all_errors;
using testing::examples_dir;
using testing::load;

constexpr int64_t kDayMs = 86400LL * 1000;
constexpr double kMinusInf = -std::numeric_limits<double>::infinity();

void check_default_policy(const std::vector<PolicyTier>& p) {
  REQUIRE(p.size() == 4);
  CHECK(p[0].min_remaining == Approx(0.75));
  CHECK(p[0].status == "normal");
  CHECK_FALSE(p[0].block_releases);
  CHECK(p[1].min_remaining == Approx(0.50));
  CHECK(p[1].status == "review");
  CHECK_FALSE(p[1].block_releases);
  CHECK(p[2].min_remaining == Approx(0.25));
  CHECK(p[2].status == "feature_freeze");
  CHECK(p[2].block_releases);
  CHECK(p[3].min_remaining == kMinusInf);
  CHECK(p[3].status == "emergency");
  CHECK(p[3].block_releases);
}

// The three availability SLOs of both examples.
void check_example_slos(const Config& c) {
  REQUIRE(c.services.size() == 2);
  CHECK(c.services[0].name == "checkout");
  CHECK(c.services[1].name == "search");

  const SloConfig* a = c.find_slo("checkout-availability");
  REQUIRE(a != nullptr);
  CHECK(a->service == "checkout");
  CHECK(a->objective == Approx(0.995));
  CHECK(a->window_ms == 30 * kDayMs);
  CHECK(a->window_text == "30d");
  CHECK(a->sli.kind == SliKind::kAvailability);
  CHECK(a->sli.bad_status.classes == std::vector<int>{5});
  CHECK(a->sli.bad_status.codes.empty());
  CHECK(a->sli.endpoint.empty());

  const SloConfig* api = c.find_slo("checkout-api-availability");
  REQUIRE(api != nullptr);
  CHECK(api->objective == Approx(0.999));
  CHECK(api->window_text == "28d");
  CHECK(api->sli.bad_status.classes == std::vector<int>{5});
  CHECK(api->sli.bad_status.codes == std::vector<int>{429});
  CHECK(api->sli.bad_status.matches(429));
  CHECK(api->sli.bad_status.matches(503));
  CHECK_FALSE(api->sli.bad_status.matches(404));
  CHECK(api->sli.endpoint == "/api/*");

  const SloConfig* s = c.find_slo("search-availability");
  REQUIRE(s != nullptr);
  CHECK(s->service == "search");
  CHECK(s->objective == Approx(0.99));
  CHECK(s->window_ms == 7 * kDayMs);
  CHECK(s->window_text == "7d");
  CHECK(s->sli.bad_status.classes == std::vector<int>{5});

  CHECK(c.find_slo("nope") == nullptr);
  CHECK(c.find_service("search") == &c.services[1]);
  CHECK(c.find_service("nope") == nullptr);
}

TEST_CASE("quickstart example loads", "[config]") {
  const std::string path = (examples_dir() / "quickstart.yaml").string();
  LoadResult r = load_config_file(path);
  INFO(all_errors(r));
  REQUIRE(r.ok());
  REQUIRE(r.errors.empty());
  const Config& c = *r.config;
  CHECK(c.source_path == path);
  CHECK(c.server.listen_host == "127.0.0.1");
  CHECK(c.server.listen_port == 8080);
  CHECK(c.server.max_body_bytes == 10485760);
  CHECK_FALSE(c.server.auth_enabled());
  CHECK(c.storage.path == "./data");
  CHECK(c.storage.retention_ms == 35 * kDayMs);
  CHECK(c.evaluation_interval_ms == 15000);
  check_example_slos(c);
  check_default_policy(c.budget_policy);

  // Beyond the three availability SLOs: latency, percentile, a calendar window and a probe.
  REQUIRE(c.slos.size() == 7);
  const SloConfig* lat = c.find_slo("checkout-latency");
  REQUIRE(lat != nullptr);
  CHECK(lat->service == "checkout");
  CHECK(lat->objective == Approx(0.95));
  CHECK(lat->window_text == "7d");
  CHECK(lat->sli.kind == SliKind::kLatency);
  CHECK(lat->sli.threshold_ms == 500);
  CHECK(lat->budgeting.method == BudgetingMethod::kOccurrences);
  CHECK(c.latency_thresholds_us("checkout") == std::vector<uint32_t>{500000});
  CHECK(c.latency_thresholds_us("search").empty());  // its latency SLO is a percentile one

  const SloConfig* p99 = c.find_slo("search-p99");
  REQUIRE(p99 != nullptr);
  CHECK(p99->objective == Approx(0.99));
  CHECK(p99->window_ms == 30 * kDayMs);
  CHECK(p99->sli.kind == SliKind::kPercentile);
  CHECK(p99->sli.percentile == 99);
  CHECK(p99->sli.target_ms == 300);
  CHECK(p99->budgeting.method == BudgetingMethod::kTimeslices);
  CHECK(p99->budgeting.slice_seconds == 60);

  const SloConfig* monthly = c.find_slo("checkout-availability-monthly");
  REQUIRE(monthly != nullptr);
  CHECK(monthly->window_kind == WindowKind::kCalendar);
  CHECK(monthly->calendar == CalendarUnit::kMonth);
  CHECK(monthly->window_text == "month");
  CHECK(monthly->window_ms == 31 * kDayMs);
  CHECK(monthly->time_zone == "Europe/Berlin");
  CHECK(monthly->sli.kind == SliKind::kAvailability);

  // sloguard probes its own /healthz, so a newcomer sees numbers move within a minute.
  REQUIRE(c.services[0].probes.size() == 1);
  CHECK(c.services[1].probes.empty());
  const ProbeConfig* health = c.find_probe("sloguard-health");
  REQUIRE(health == &c.services[0].probes[0]);
  CHECK(health->service == "checkout");
  CHECK(health->kind == ProbeKind::kHttp);
  CHECK(health->http.url == "http://127.0.0.1:" + std::to_string(c.server.listen_port) + "/healthz");
  CHECK(health->http.method == "GET");
  CHECK(health->http.expect_status.empty());
  CHECK(health->http.tls_verify);
  CHECK_FALSE(health->http.follow_redirects);
  CHECK(health->interval_ms == 10000);
  CHECK(health->timeout_ms == 2000);
  const SloConfig* probe = c.find_slo("sloguard-health-availability");
  REQUIRE(probe != nullptr);
  CHECK(probe->service == "checkout");
  CHECK(probe->objective == Approx(0.99));
  CHECK(probe->window_ms == 7 * kDayMs);
  CHECK(probe->sli.kind == SliKind::kProbe);
  CHECK(probe->sli.probe == "sloguard-health");
  CHECK(probe->budgeting.method == BudgetingMethod::kOccurrences);
}

TEST_CASE("latency example reproduces the runbook table", "[config]") {
  LoadResult r = load_config_file((examples_dir() / "latency.yaml").string());
  INFO(all_errors(r));
  REQUIRE(r.ok());
  const Config& c = *r.config;
  struct Want {
    const char* name;
    double percentile;
    double target_ms;
    const char* endpoint;
    int64_t slice_seconds;
  };
  const Want want[] = {
      {"orders-health-p95", 95, 50, "/health*", 60},
      {"orders-health-p99", 99, 100, "/health*", 60},
      {"orders-list-p95", 95, 100, "/api/v1/*/list", 60},
      {"orders-write-p95", 95, 200, "/api/v1/*/write", 300},
      {"orders-write-p99", 99, 500, "/api/v1/*/write", 300},
  };
  REQUIRE(c.slos.size() == std::size(want) + 1);
  for (const Want& w : want) {
    INFO(w.name);
    const SloConfig* s = c.find_slo(w.name);
    REQUIRE(s != nullptr);
    CHECK(s->service == "orders");
    CHECK(s->sli.kind == SliKind::kPercentile);
    CHECK(s->sli.percentile == w.percentile);
    CHECK(s->sli.target_ms == w.target_ms);
    CHECK(s->sli.endpoint == w.endpoint);
    CHECK(s->budgeting.method == BudgetingMethod::kTimeslices);
    CHECK(s->budgeting.slice_seconds == w.slice_seconds);
    CHECK(s->group_by.empty());
  }
  const SloConfig* grouped = c.find_slo("orders-api-latency-by-endpoint");
  REQUIRE(grouped != nullptr);
  CHECK(grouped->sli.kind == SliKind::kLatency);
  CHECK(grouped->sli.threshold_ms == 300);
  CHECK(grouped->group_by == std::vector<std::string>{"endpoint"});
  CHECK(grouped->max_groups == 200);
  CHECK(c.latency_thresholds_us("orders") == std::vector<uint32_t>{300000});
}

TEST_CASE("auth example loads with tokens from the environment", "[config]") {
  setenv("SLOGUARD_CI_TOKEN", "ci-secret-value", 1);
  setenv("SLOGUARD_OPS_TOKEN", "ops-secret-value", 1);
  LoadResult r = load_config_file((examples_dir() / "auth.yaml").string());
  unsetenv("SLOGUARD_CI_TOKEN");
  unsetenv("SLOGUARD_OPS_TOKEN");
  INFO(all_errors(r));
  REQUIRE(r.ok());
  const Config& c = *r.config;
  CHECK(c.server.auth_enabled());
  REQUIRE(c.server.tokens.size() == 2);
  const AuthToken& ci = c.server.tokens[0];
  CHECK(ci.name == "ci");
  CHECK(ci.secret == "ci-secret-value");
  CHECK(ci.has_role(Role::kRead));
  CHECK(ci.has_role(Role::kIngest));
  CHECK_FALSE(ci.has_role(Role::kAdmin));
  const AuthToken& ops = c.server.tokens[1];
  CHECK(ops.name == "ops");
  CHECK(ops.secret == "ops-secret-value");
  CHECK(ops.has_role(Role::kAdmin));
  check_example_slos(c);
  CHECK(c.slos.size() == 3);
  check_default_policy(c.budget_policy);
}

TEST_CASE("auth example without its variables names them", "[config]") {
  unsetenv("SLOGUARD_CI_TOKEN");
  unsetenv("SLOGUARD_OPS_TOKEN");
  const std::string path = (examples_dir() / "auth.yaml").string();
  LoadResult r = load_config_file(path);
  INFO(all_errors(r));
  REQUIRE_FALSE(r.ok());
  REQUIRE(r.errors.size() == 2);
  CHECK(r.errors[0].file == path);
  CHECK(r.errors[0].message ==
        "server.auth.tokens[0].token_env: environment variable SLOGUARD_CI_TOKEN is not set");
  CHECK(r.errors[1].message ==
        "server.auth.tokens[1].token_env: environment variable SLOGUARD_OPS_TOKEN is not set");
  CHECK(r.errors[0].line < r.errors[1].line);
}

TEST_CASE("DESIGN.md's example config loads", "[config]") {
  sloguard::testing::TempDir dir;
  const auto token_file = dir.path() / "ops.token";
  testing::write_file(token_file, "ops-file-secret\n");
  setenv("SLOGUARD_CI_TOKEN", "ci-env-secret", 1);
  // Verbatim from DESIGN.md, except that the token file lives in a temp dir.
  std::string yaml = R"(server:
  listen: 127.0.0.1:8080
  max_body_bytes: 10485760
  auth:                       # optional; without it the API is open (bind to loopback)
    tokens:
      - {name: ci, token_env: SLOGUARD_CI_TOKEN, roles: [read, ingest]}
      - {name: ops, token_file: /etc/sloguard/ops.token, roles: [read, ingest, admin]}
storage:
  path: ./data
  retention: 35d
evaluation_interval: 15s
services:
  - name: checkout
slos:
  - name: checkout-availability
    service: checkout
    objective: 99.5%          # or 0.995
    window: 30d               # rolling; calendar windows come later
    sli:
      kind: availability
      bad_status: ["5xx"]     # default; codes or classes, e.g. ["5xx", 429]
      endpoint: "/api/*"      # optional filter (glob)
budget_policy:                # default, from the team's runbook
  - {min_remaining: 75%, status: normal}
  - {min_remaining: 50%, status: review}
  - {min_remaining: 25%, status: feature_freeze, block_releases: true}
  - {min_remaining: -inf, status: emergency, block_releases: true}
)";
  yaml.replace(yaml.find("/etc/sloguard/ops.token"), std::string("/etc/sloguard/ops.token").size(),
               token_file.string());
  LoadResult r = load(yaml);
  unsetenv("SLOGUARD_CI_TOKEN");
  INFO(all_errors(r));
  REQUIRE(r.ok());
  const Config& c = *r.config;
  CHECK(c.source_path.empty());
  REQUIRE(c.server.tokens.size() == 2);
  CHECK(c.server.tokens[0].secret == "ci-env-secret");
  CHECK(c.server.tokens[1].secret == "ops-file-secret");
  CHECK(c.server.tokens[1].roles == std::vector<Role>{Role::kRead, Role::kIngest, Role::kAdmin});
  REQUIRE(c.slos.size() == 1);
  CHECK(c.slos[0].objective == Approx(0.995));
  CHECK(c.slos[0].window_text == "30d");
  CHECK(c.slos[0].sli.endpoint == "/api/*");
  check_default_policy(c.budget_policy);
}

std::string one_slo(const std::string& field, const std::string& value) {
  std::string yaml = "services:\n  - name: checkout\nslos:\n  - name: s\n    service: checkout\n";
  if (field != "objective") yaml += "    objective: 99.5%\n";
  if (field != "window") yaml += "    window: 30d\n";
  yaml += "    " + field + ": " + value + "\n";
  return yaml;
}

TEST_CASE("objective as a percentage or a fraction, number or string", "[config]") {
  struct Case {
    const char* written;
    double want;
  };
  for (const Case& c : {Case{"99.5%", 0.995}, Case{"\"99.5%\"", 0.995}, Case{"0.995", 0.995},
                        Case{"\"0.995\"", 0.995}, Case{"'0.995'", 0.995}, Case{"99.95%", 0.9995},
                        Case{"90%", 0.9}, Case{"0.5", 0.5}, Case{"1e-3", 0.001}}) {
    LoadResult r = load(one_slo("objective", c.written));
    INFO(c.written << "\n" << all_errors(r));
    REQUIRE(r.ok());
    CHECK(r.config->slos[0].objective == Approx(c.want));
  }
}

TEST_CASE("windows are durations normalised to the shortest form", "[config]") {
  struct Case {
    const char* written;
    int64_t ms;
    const char* text;
  };
  for (const Case& c :
       {Case{"30d", 30 * kDayMs, "30d"}, Case{"28d", 28 * kDayMs, "28d"}, Case{"7d", 7 * kDayMs, "7d"},
        Case{"1w", 7 * kDayMs, "7d"}, Case{"720h", 30 * kDayMs, "30d"}, Case{"1h30m", 90 * 60000, "1h30m"},
        Case{"35d", 35 * kDayMs, "35d"}, Case{"1m", 60000, "1m"}, Case{"120s", 120000, "2m"}}) {
    LoadResult r = load(one_slo("window", c.written));
    INFO(c.written << "\n" << all_errors(r));
    REQUIRE(r.ok());
    CHECK(r.config->slos[0].window_ms == c.ms);
    CHECK(r.config->slos[0].window_text == c.text);
  }
}

TEST_CASE("a config with only what it needs gets every default", "[config]") {
  LoadResult r = load("slos: []\n");
  INFO(all_errors(r));
  REQUIRE(r.ok());
  const Config& c = *r.config;
  CHECK(c.server.listen_host == "127.0.0.1");
  CHECK(c.server.listen_port == 8080);
  CHECK(c.server.max_body_bytes == 10u * 1024 * 1024);
  CHECK_FALSE(c.server.auth_enabled());
  CHECK(c.storage.path == "./data");
  CHECK(c.storage.retention_ms == 35 * kDayMs);
  CHECK(c.evaluation_interval_ms == 15000);
  CHECK(c.services.empty());
  CHECK(c.slos.empty());
  check_default_policy(c.budget_policy);
  check_default_policy(Config{}.budget_policy);
  check_default_policy(Config::default_budget_policy());
}

TEST_CASE("empty lists and a config without SLOs are valid", "[config]") {
  for (const char* yaml : {"services: []\nslos: []\n", "services:\nslos:\n", "evaluation_interval: 1m\n",
                           "services:\n  - name: checkout\n"}) {
    LoadResult r = load(yaml);
    INFO(yaml << "\n" << all_errors(r));
    CHECK(r.ok());
  }
}

TEST_CASE("bad_status defaults to 5xx", "[config]") {
  const char* base = "services: [{name: a}]\nslos:\n  - {name: s, service: a, objective: 0.99, window: 1d";
  for (std::string tail : {"}\n", ", sli: {kind: availability}}\n", ", sli: {endpoint: /x}}\n"}) {
    LoadResult r = load(base + tail);
    INFO(tail << "\n" << all_errors(r));
    REQUIRE(r.ok());
    const StatusMatcher& m = r.config->slos[0].sli.bad_status;
    CHECK(m.classes == std::vector<int>{5});
    CHECK(m.codes.empty());
    CHECK(m.matches(500));
    CHECK(m.matches(503));
    CHECK(m.matches(599));
    CHECK_FALSE(m.matches(429));
    CHECK_FALSE(m.matches(404));
    CHECK_FALSE(m.matches(200));
  }
}

TEST_CASE("bad_status takes codes and classes", "[config]") {
  LoadResult r = load(one_slo("sli", "{kind: availability, bad_status: [\"4xx\", 5XX, 503, \"418\", 418]}"));
  INFO(all_errors(r));
  REQUIRE(r.ok());
  const StatusMatcher& m = r.config->slos[0].sli.bad_status;
  CHECK(m.classes == std::vector<int>{4, 5});
  CHECK(m.codes == std::vector<int>{503, 418});
}

TEST_CASE("budget policy tiers are sorted highest first", "[config]") {
  LoadResult r = load(R"(budget_policy:
  - {min_remaining: "-.inf", status: stop, block_releases: yes}
  - {min_remaining: 0.9, status: fine}
  - {min_remaining: 10%, status: worried, block_releases: false}
  - {min_remaining: -50%, status: overspent, block_releases: true}
)");
  INFO(all_errors(r));
  REQUIRE(r.ok());
  const auto& p = r.config->budget_policy;
  REQUIRE(p.size() == 4);
  CHECK(p[0].status == "fine");
  CHECK(p[0].min_remaining == Approx(0.9));
  CHECK_FALSE(p[0].block_releases);
  CHECK(p[1].status == "worried");
  CHECK(p[1].min_remaining == Approx(0.1));
  CHECK(p[2].status == "overspent");
  CHECK(p[2].min_remaining == Approx(-0.5));
  CHECK(p[2].block_releases);
  CHECK(p[3].status == "stop");
  CHECK(p[3].min_remaining == kMinusInf);
  CHECK(p[3].block_releases);
}

TEST_CASE("a single -inf tier is a valid policy", "[config]") {
  LoadResult r = load("budget_policy:\n  - {min_remaining: -inf, status: always}\n");
  INFO(all_errors(r));
  REQUIRE(r.ok());
  REQUIRE(r.config->budget_policy.size() == 1);
  CHECK(r.config->budget_policy[0].status == "always");
}

TEST_CASE("listen addresses", "[config]") {
  struct Case {
    const char* written;
    const char* host;
    int port;
  };
  for (const Case& c : {Case{"127.0.0.1:8080", "127.0.0.1", 8080}, Case{"0.0.0.0:0", "0.0.0.0", 0},
                        Case{"localhost:65535", "localhost", 65535}, Case{"\"[::1]:9090\"", "::1", 9090}}) {
    LoadResult r = load(std::string("server:\n  listen: ") + c.written + "\n");
    INFO(c.written << "\n" << all_errors(r));
    REQUIRE(r.ok());
    CHECK(r.config->server.listen_host == c.host);
    CHECK(r.config->server.listen_port == c.port);
  }
}

TEST_CASE("server and storage values", "[config]") {
  LoadResult r = load(R"(server:
  max_body_bytes: 1024
storage:
  path: /var/lib/sloguard
  retention: 90d
evaluation_interval: 1s
)");
  INFO(all_errors(r));
  REQUIRE(r.ok());
  CHECK(r.config->server.max_body_bytes == 1024);
  CHECK(r.config->storage.path == "/var/lib/sloguard");
  CHECK(r.config->storage.retention_ms == 90 * kDayMs);
  CHECK(r.config->evaluation_interval_ms == 1000);
}

TEST_CASE("roles have names and tokens check them", "[config]") {
  CHECK(role_name(Role::kRead) == "read");
  CHECK(role_name(Role::kIngest) == "ingest");
  CHECK(role_name(Role::kAdmin) == "admin");
  AuthToken t{"x", "s", {Role::kRead}};
  CHECK(t.has_role(Role::kRead));
  CHECK_FALSE(t.has_role(Role::kAdmin));
}

TEST_CASE("errors print as file:line:column: message", "[config]") {
  CHECK(ConfigError{"a.yaml", 3, 7, "bad"}.to_string() == "a.yaml:3:7: bad");
  CHECK(ConfigError{"a.yaml", 3, 0, "bad"}.to_string() == "a.yaml:3: bad");
  CHECK(ConfigError{"a.yaml", 0, 0, "bad"}.to_string() == "a.yaml: bad");
}

TEST_CASE("a missing config file is one error naming it", "[config]") {
  sloguard::testing::TempDir dir;
  const std::string path = (dir.path() / "missing.yaml").string();
  LoadResult r = load_config_file(path);
  REQUIRE_FALSE(r.ok());
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].file == path);
  CHECK(r.errors[0].line == 0);
  CHECK(r.errors[0].message.find("cannot read config file") != std::string::npos);
  CHECK(r.errors[0].message.find("No such file") != std::string::npos);

  LoadResult d = load_config_file(dir.str());
  REQUIRE(d.errors.size() == 1);
  CHECK(d.errors[0].message.find("directory") != std::string::npos);
}

}  // namespace
}  // namespace sloguard::config
