// datasources:, slos[].source, the sli.prometheus keys a datasource reads, and
// release.gate.on_source_error.
#include <cstdlib>

#include "config_test_util.h"
#include "temp_dir.h"

namespace sloguard::config {
namespace {

using testing::all_errors;
using testing::examples_dir;
using testing::find_error;
using testing::load;
using testing::require_error_at;
using testing::require_errors;
using testing::write_file;

// A copy: the LoadResult is often a temporary.
Config require_ok(const LoadResult& r) {
  INFO(all_errors(r));
  REQUIRE(r.ok());
  return *r.config;
}

// One datasource whose keys start on line 3 (indented for its mapping), and nothing else.
std::string with_datasource(const std::string& keys) {
  return "datasources:\n"
         "  - name: vm\n" +
         keys;
}

// Two datasources (vm, prom) on lines 1-2, services on 4, and one SLO from line 6: its source
// on line 8, `sli:` on 11 and its kind on 12 (`kind` may add lines); `sli` follows.
std::string with_slo(const std::string& source, const std::string& kind, const std::string& sli) {
  return "datasources: [{name: vm, url: \"http://vmselect:8481/select/0/prometheus\"},\n"
         "              {name: prom, url: \"http://prometheus:9090\"}]\n"
         "\n"
         "services: [{name: checkout}]\n"
         "slos:\n"
         "  - name: s\n"
         "    service: checkout\n"
         "    source: " + source + "\n"
         "    objective: 99%\n"
         "    window: 30d\n"
         "    sli:\n"
         "      kind: " + kind + "\n" + sli;
}

const std::string kTwoQueries =
    "      prometheus:\n"
    "        bad: http_requests_total{code=~\"5..\"}\n"
    "        total: http_requests_total\n";

TEST_CASE("a datasource takes its defaults", "[config][datasource]") {
  Config c = require_ok(load(with_datasource("    url: http://vmselect:8481/select/0/prometheus/\n")));
  REQUIRE(c.datasources.size() == 1);
  const DatasourceConfig& d = c.datasources[0];
  CHECK(d.name == "vm");
  CHECK(d.kind == DatasourceKind::kPrometheus);
  CHECK(d.url == "http://vmselect:8481/select/0/prometheus");  // trailing '/' stripped
  CHECK(d.headers.empty());
  CHECK(d.timeout_ms == 30000);
  CHECK(d.tls_verify);
  CHECK(d.max_concurrent_queries == 4);
  CHECK(d.max_retries == 2);
  CHECK(c.find_datasource("vm") == &c.datasources[0]);
  CHECK(c.find_datasource("other") == nullptr);

  Config none = require_ok(load("services: [{name: s}]\nslos: [{name: a, service: s, objective: 99%, window: 1d}]\n"));
  CHECK(none.datasources.empty());
  CHECK(none.slos[0].source.empty());
  CHECK(none.slos[0].sli.prometheus.version_label == "version");
  CHECK(none.release.gate.on_source_error == OnSourceError::kUndecided);
  CHECK(require_ok(load("datasources:\n")).datasources.empty());  // every entry commented out
}

TEST_CASE("every datasource key is read", "[config][datasource]") {
  sloguard::testing::TempDir dir;
  const auto token = dir.path() / "vm.token";
  write_file(token, "Bearer file-secret\n");
  setenv("SLOGUARD_TEST_DS_TENANT", "team-a", 1);
  LoadResult r = load(with_datasource("    kind: prometheus\n"
                                      "    url: HTTPS://vm.example:8481/select/0/prometheus///\n"
                                      "    headers:\n"
                                      "      - {name: Authorization, value_file: " + token.string() + "}\n"
                                      "      - {name: X-Scope-OrgID, value_env: SLOGUARD_TEST_DS_TENANT}\n"
                                      "      - {name: X-Team, value: sre}\n"
                                      "    timeout: 1m30s\n"
                                      "    tls_verify: false\n"
                                      "    max_concurrent_queries: 64\n"
                                      "    max_retries: 0\n"));
  unsetenv("SLOGUARD_TEST_DS_TENANT");
  Config c = require_ok(r);
  const DatasourceConfig& d = c.datasources.at(0);
  CHECK(d.url == "https://vm.example:8481/select/0/prometheus");
  using H = std::pair<std::string, std::string>;
  CHECK(d.headers == std::vector<H>{{"Authorization", "Bearer file-secret"}, {"X-Scope-OrgID", "team-a"},
                                    {"X-Team", "sre"}});
  CHECK(d.timeout_ms == 90000);
  CHECK_FALSE(d.tls_verify);
  CHECK(d.max_concurrent_queries == 64);
  CHECK(d.max_retries == 0);
}

TEST_CASE("datasource names are required, valid and unique", "[config][datasource]") {
  require_error_at(load("datasources:\n  - url: http://p:9090\n"), 2, 5, "datasources[0]: missing required key \"name\"");
  require_error_at(load("datasources:\n  - {name: \"my vm\", url: \"http://p:9090\"}\n"), 2, 12,
                   "datasources[0].name: \"my vm\" may contain only letters");
  // The duplicate names both places: the error sits at the second, and says where the first is.
  require_errors(load("datasources:\n"
                      "  - {name: vm, url: \"http://a:9090\"}\n"
                      "  - {name: prom, url: \"http://b:9090\"}\n"
                      "  - {name: vm, url: \"http://c:9090\"}\n"),
                 {{4, 5, "datasources[2]: duplicate datasource name \"vm\" (first at line 2)"}});
  // Also when the first has mistakes of its own.
  require_errors(load("datasources:\n"
                      "  - {name: vm, url: \"ftp://a\"}\n"
                      "  - {name: vm, url: \"http://c:9090\"}\n"),
                 {{2, 21, "datasources[0].url: \"ftp://a\": scheme \"ftp\" is not supported"},
                  {3, 5, "datasources[1]: duplicate datasource name \"vm\" (first at line 2)"}});
  require_error_at(load("datasources: {name: vm}\n"), 1, 14, "datasources: expected a list of datasources");
  require_error_at(load("datasources:\n  - {name: vm, url: \"http://a:9090\", timeuot: 5s}\n"), 2, 38,
                   "datasources[0]: unknown key \"timeuot\"; did you mean \"timeout\"?");
}

TEST_CASE("a datasource's kind is prometheus", "[config][datasource]") {
  require_error_at(load(with_datasource("    kind: promethues\n    url: http://p:9090\n")), 3, 11,
                   "datasources[0].kind: unknown datasource kind \"promethues\"; did you mean \"prometheus\"?");
  require_error_at(load(with_datasource("    kind: influxdb\n    url: http://p:9090\n")), 3, 11,
                   "unknown datasource kind \"influxdb\"; expected prometheus");
}

TEST_CASE("a datasource URL is an http(s) base URL", "[config][datasource]") {
  require_error_at(load(with_datasource("    kind: prometheus\n")), 2, 5,
                   "datasources[0]: missing required key \"url\"");
  require_error_at(load(with_datasource("    url: ftp://p:9090\n")), 3, 10,
                   "datasources[0].url: \"ftp://p:9090\": scheme \"ftp\" is not supported: expected http:// or https://");
  require_error_at(load(with_datasource("    url: prometheus:9090\n")), 3, 10,
                   "expected an http:// or https:// URL");
  require_error_at(load(with_datasource("    url: http://p:99999\n")), 3, 10, "the port must be 1..65535");
  require_error_at(load(with_datasource("    url: \"http://p:9090/api/v1/query\"\n")), 3, 10,
                   "datasources[0].url: \"http://p:9090/api/v1/query\": give the base URL without /api/v1/query "
                   "(sloguard appends /api/v1/query and the other API paths itself); did you mean \"http://p:9090\"?");
  require_error_at(load(with_datasource("    url: http://vmselect:8481/select/0/prometheus/api/v1/\n")), 3, 10,
                   "did you mean \"http://vmselect:8481/select/0/prometheus\"?");

  // A query string or fragment is refused without echoing the URL: an API key may sit there.
  for (const char* url : {"http://p:9090/?api_key=hunter2", "http://p:9090/#hunter2"}) {
    LoadResult r = load(with_datasource("    url: \"" + std::string(url) + "\"\n"));
    require_error_at(r, 3, 10, "datasources[0].url: must not have a query string or fragment");
    CHECK(all_errors(r).find("hunter2") == std::string::npos);
  }
  LoadResult creds = load(with_datasource("    url: http://admin:hunter2@p:9090\n"));
  require_error_at(creds, 3, 10, "must not contain credentials");
  CHECK(all_errors(creds).find("hunter2") == std::string::npos);
}

TEST_CASE("datasource limits are checked", "[config][datasource]") {
  const std::string url = "    url: http://p:9090\n";
  require_error_at(load(with_datasource(url + "    timeout: 0s\n")), 4, 14,
                   "datasources[0].timeout: must be longer than 0 and at most 10m, got \"0s\"");
  require_error_at(load(with_datasource(url + "    timeout: 11m\n")), 4, 14, "at most 10m, got \"11m\"");
  require_error_at(load(with_datasource(url + "    timeout: 30\n")), 4, 14, "datasources[0].timeout:");
  CHECK(require_ok(load(with_datasource(url + "    timeout: 10m\n"))).datasources[0].timeout_ms == 600000);
  require_error_at(load(with_datasource(url + "    max_concurrent_queries: 0\n")), 4, 29,
                   "datasources[0].max_concurrent_queries: expected a whole number 1..64, got \"0\"");
  require_error_at(load(with_datasource(url + "    max_concurrent_queries: 65\n")), 4, 29, "1..64, got \"65\"");
  require_error_at(load(with_datasource(url + "    max_retries: 11\n")), 4, 18,
                   "datasources[0].max_retries: expected a whole number 0..10, got \"11\"");
  require_error_at(load(with_datasource(url + "    max_retries: -1\n")), 4, 18, "0..10, got \"-1\"");
  require_error_at(load(with_datasource(url + "    max_retries: 2.5\n")), 4, 18, "0..10, got \"2.5\"");
  require_error_at(load(with_datasource(url + "    tls_verify: maybe\n")), 4, 17,
                   "datasources[0].tls_verify: expected true or false");
}

TEST_CASE("datasource headers take exactly one of value, value_env, value_file", "[config][datasource]") {
  const std::string url = "    url: http://p:9090\n    headers:\n";
  require_error_at(load(with_datasource(url + "      - {name: A, value: x, value_env: B}\n")), 5, 9,
                   "datasources[0].headers[0]: give only one of value, value_env or value_file");
  require_error_at(load(with_datasource(url + "      - {name: A}\n")), 5, 9,
                   "datasources[0].headers[0]: missing the value: give value, value_env or value_file");
  require_error_at(load(with_datasource(url + "      - {value: x}\n")), 5, 9,
                   "datasources[0].headers[0]: missing required key \"name\"");
  require_error_at(load(with_datasource(url + "      - {name: A, value: x, value_fil: /x}\n")), 5, 29,
                   "unknown key \"value_fil\"; did you mean \"value_file\"?");
  require_error_at(load(with_datasource("    url: http://p:9090\n    headers: {name: A}\n")), 4, 14,
                   "datasources[0].headers: expected a list of headers");
}

TEST_CASE("datasource header secrets never appear in errors", "[config][datasource]") {
  const std::string url = "    url: http://p:9090\n    headers:\n";
  sloguard::testing::TempDir dir;

  unsetenv("SLOGUARD_TEST_DS_UNSET");
  require_error_at(load(with_datasource(url + "      - {name: Authorization, value_env: SLOGUARD_TEST_DS_UNSET}\n")),
                   5, 42, "datasources[0].headers[0].value_env: environment variable SLOGUARD_TEST_DS_UNSET is not set");

  const auto missing = dir.path() / "missing.token";
  require_error_at(load(with_datasource(url + "      - {name: Authorization, value_file: " + missing.string() + "}\n")),
                   5, 43, "datasources[0].headers[0].value_file: cannot read token file \"" + missing.string() + "\"");

  // A secret pasted where the variable's name goes is not echoed.
  LoadResult pasted = load(with_datasource(url + "      - {name: Authorization, value_env: \"Bearer hunter2\"}\n"));
  require_error_at(pasted, 5, 42, "expected the name of an environment variable");
  CHECK(all_errors(pasted).find("hunter2") == std::string::npos);

  // A whole header line pasted into name is not echoed either.
  LoadResult line = load(with_datasource(url + "      - {name: \"Authorization: Bearer hunter2\", value: x}\n"));
  require_error_at(line, 5, 16, "datasources[0].headers[0].name: not a valid header name");
  CHECK(all_errors(line).find("hunter2") == std::string::npos);

  // Secrets with a line break are refused, naming their source, not their value.
  setenv("SLOGUARD_TEST_DS_SECRET", "Bearer hunter2\nX-Injected: 1", 1);
  LoadResult env = load(with_datasource(url + "      - {name: Authorization, value_env: SLOGUARD_TEST_DS_SECRET}\n"));
  unsetenv("SLOGUARD_TEST_DS_SECRET");
  require_error_at(env, 5, 42, "environment variable SLOGUARD_TEST_DS_SECRET holds a line break");
  CHECK(all_errors(env).find("hunter2") == std::string::npos);

  const auto broken = dir.path() / "broken.token";
  write_file(broken, "Bearer hunter2\nX-Injected: 1\n");
  LoadResult file = load(with_datasource(url + "      - {name: Authorization, value_file: " + broken.string() + "}\n"));
  require_error_at(file, 5, 43, "file \"" + broken.string() + "\" holds a line break");
  CHECK(all_errors(file).find("hunter2") == std::string::npos);

  // An unknown key in a header may be a secret itself: neither it nor its value is shown.
  LoadResult unknown = load(with_datasource(url + "      - {name: Authorization, secret: hunter2}\n"));
  CHECK(find_error(unknown, "unknown key (not shown, it may be a secret)") != nullptr);
  CHECK(all_errors(unknown).find("hunter2") == std::string::npos);
}

TEST_CASE("slos[].source names a datasource", "[config][datasource]") {
  Config c = require_ok(load(with_slo("vm", "availability", kTwoQueries)));
  CHECK(c.slos[0].source == "vm");

  require_error_at(load(with_slo("vmm", "availability", kTwoQueries)), 8, 13,
                   "slos[0].source: unknown datasource \"vmm\"; did you mean \"vm\"?");
  require_error_at(load(with_slo("thanos", "availability", kTwoQueries)), 8, 13,
                   "slos[0].source: unknown datasource \"thanos\"; datasources are: vm, prom");
  require_error_at(load(with_slo("\"\"", "availability", kTwoQueries)), 8, 13,
                   "slos[0].source: must not be empty");
  require_error_at(load("services: [{name: c}]\n"
                        "slos: [{name: s, service: c, objective: 99%, window: 30d, source: vm,\n"
                        "        sli: {prometheus: {bad: b, total: t}}}]\n"),
                   2, 67, "slos[0].source: unknown datasource \"vm\"; no datasources are defined (add it under datasources:)");

  // A badly written datasource is reported once, not again at every SLO that names it.
  LoadResult r = load("datasources: [{name: vm, url: \"ftp://x\"}]\n"
                      "services: [{name: c}]\n"
                      "slos: [{name: s, service: c, objective: 99%, window: 30d, source: vm,\n"
                      "        sli: {prometheus: {bad: b, total: t}}}]\n");
  require_errors(r, {{1, 31, "datasources[0].url: \"ftp://x\": scheme \"ftp\" is not supported"}});
}

TEST_CASE("an availability or latency SLO with a source needs two prometheus queries", "[config][datasource]") {
  require_error_at(load(with_slo("vm", "availability", "      bad_status: [\"5xx\"]\n")), 12, 7,
                   "slos[0].sli: missing required key \"prometheus\" (source vm reads the SLI from Prometheus "
                   "queries: two of good, bad, total)");
  require_error_at(load(with_slo("vm", "latency\n      threshold: 250ms", "")), 12, 7,
                   "slos[0].sli: missing required key \"prometheus\"");
  require_error_at(load(with_slo("vm", "availability", "      prometheus:\n        total: t\n")), 14, 9,
                   "slos[0].sli.prometheus: needs exactly two of good, bad, total");
  // No sli at all: an availability SLI, and its queries are missing.
  require_error_at(load("datasources: [{name: vm, url: \"http://p:9090\"}]\n"
                        "services: [{name: c}]\n"
                        "slos: [{name: s, service: c, objective: 99%, window: 30d, source: vm}]\n"),
                   3, 8, "slos[0]: missing required key \"sli\" (source vm reads the SLI from Prometheus queries");

  Config c = require_ok(load(with_slo("vm", "latency\n      threshold: 250ms",
                                      "      prometheus:\n"
                                      "        good: d_bucket{le=\"0.25\"}\n"
                                      "        total: d_count\n"
                                      "        histogram: d_bucket\n")));
  const PrometheusSliQueries& q = c.slos[0].sli.prometheus;
  CHECK(q.good == "d_bucket{le=\"0.25\"}");
  CHECK(q.total == "d_count");
  CHECK(q.histogram == "d_bucket");
}

TEST_CASE("a percentile SLO with a source takes the histogram alone", "[config][datasource]") {
  const std::string kind = "percentile\n      percentile: 99\n      target: 300ms";
  Config c = require_ok(load(with_slo("vm", kind,
                                      "      prometheus:\n"
                                      "        histogram: http_request_duration_seconds_bucket{job=\"checkout\"}\n")));
  CHECK(c.slos[0].sli.prometheus.histogram == "http_request_duration_seconds_bucket{job=\"checkout\"}");
  CHECK(c.slos[0].sli.prometheus.empty());  // no counters: nothing for rules export
  CHECK(c.slos[0].budgeting.method == BudgetingMethod::kTimeslices);

  require_errors(load(with_slo("vm", kind, "      prometheus:\n        histogram: h\n        good: g\n        total: t\n")),
                 {{17, 9, "slos[0].sli.prometheus: good does not apply to kind percentile: its pNN is judged per slice "
                          "from histogram"},
                  {18, 9, "slos[0].sli.prometheus: total does not apply to kind percentile"}});
  require_error_at(load(with_slo("vm", kind, "      prometheus:\n        group_label: handler\n")), 16, 9,
                   "slos[0].sli.prometheus: missing required key \"histogram\"");
  require_error_at(load(with_slo("vm", kind, "")), 12, 7,
                   "slos[0].sli: missing required key \"prometheus\" (source vm reads the SLI from Prometheus queries: "
                   "histogram, the bucket selector)");
  require_error_at(load(with_slo("vm", kind, "      prometheus: http_request_duration_seconds_bucket\n")), 15, 19,
                   "slos[0].sli.prometheus: expected a mapping with histogram");
}

TEST_CASE("a percentile SLO without a source still takes no prometheus", "[config][datasource]") {
  LoadResult r = load("services: [{name: c}]\n"
                      "slos:\n"
                      "  - name: s\n"
                      "    service: c\n"
                      "    objective: 99%\n"
                      "    window: 30d\n"
                      "    sli:\n"
                      "      kind: percentile\n"
                      "      percentile: 99\n"
                      "      target: 300ms\n"
                      "      prometheus: {histogram: h}\n");
  require_error_at(r, 11, 7, "slos[0].sli: prometheus does not apply to kind percentile");
}

TEST_CASE("a probe SLO cannot have a source", "[config][datasource]") {
  LoadResult r = load(with_slo("vm", "probe", ""));
  require_errors(r, {{12, 13, "slos[0].sli.kind: kind probe cannot be read from a datasource (source vm): probe SLIs "
                              "read sloguard's own probe results; with a datasource use kind availability with "
                              "prometheus queries"}});
}

TEST_CASE("sli.endpoint does not apply with a source", "[config][datasource]") {
  require_errors(load(with_slo("vm", "availability", "      endpoint: \"/api/*\"\n" + kTwoQueries)),
                 {{13, 7, "slos[0].sli: endpoint filters the embedded store's events and does not apply with source vm: "
                          "put the label matcher into the prometheus queries instead"}});
}

TEST_CASE("a grouped SLO with a source takes its label from group_label", "[config][datasource]") {
  Config c = require_ok(load(with_slo("prom", "availability",
                                      kTwoQueries + "        group_label: handler\n"
                                                    "        version_label: app_version\n"
                                                    "    group_by: [endpoint]\n")));
  const SloConfig& s = c.slos[0];
  CHECK(s.source == "prom");
  CHECK(s.group_by == std::vector<std::string>{"endpoint"});
  CHECK(s.sli.prometheus.group_label == "handler");
  CHECK(s.sli.prometheus.version_label == "app_version");

  // Without group_label the group_by name is the label: nothing is filled in here.
  Config plain = require_ok(load(with_slo("prom", "availability", kTwoQueries + "    group_by: [version]\n")));
  CHECK(plain.slos[0].sli.prometheus.group_label.empty());
  CHECK(plain.slos[0].sli.prometheus.version_label == "version");
}

TEST_CASE("group_label and version_label are label names", "[config][datasource]") {
  require_error_at(load(with_slo("vm", "availability", kTwoQueries + "        group_label: handler-name\n")), 16, 22,
                   "slos[0].sli.prometheus.group_label: \"handler-name\" is not a valid label name "
                   "([a-zA-Z_][a-zA-Z0-9_]*)");
  require_error_at(load(with_slo("vm", "availability", kTwoQueries + "        version_label: 1version\n")), 16, 24,
                   "slos[0].sli.prometheus.version_label: \"1version\" is not a valid label name");
  require_error_at(load(with_slo("vm", "availability", kTwoQueries + "        version_label: \"\"\n")), 16, 24,
                   "slos[0].sli.prometheus.version_label: \"\" is not a valid label name");
  require_error_at(load(with_slo("vm", "availability", kTwoQueries + "        histogram: \" \"\n")), 16, 20,
                   "slos[0].sli.prometheus.histogram: must not be empty");
  require_error_at(load(with_slo("vm", "availability", kTwoQueries + "        histogrm: h\n")), 16, 9,
                   "unknown key \"histogrm\"; did you mean \"histogram\"?");
}

TEST_CASE("histogram, group_label and version_label are allowed without a source", "[config][datasource]") {
  Config c = require_ok(load("services: [{name: c}]\n"
                             "slos:\n"
                             "  - name: s\n"
                             "    service: c\n"
                             "    objective: 99%\n"
                             "    window: 30d\n"
                             "    sli:\n"
                             "      kind: latency\n"
                             "      threshold: 250ms\n"
                             "      endpoint: \"/api/*\"\n"
                             "      prometheus:\n"
                             "        good: d_bucket{le=\"0.25\"}\n"
                             "        total: d_count\n"
                             "        histogram: d_bucket\n"
                             "        group_label: handler\n"
                             "        version_label: v\n"));
  const SloConfig& s = c.slos[0];
  CHECK(s.source.empty());
  CHECK(s.sli.endpoint == "/api/*");
  CHECK(s.sli.prometheus.histogram == "d_bucket");
  CHECK(s.sli.prometheus.group_label == "handler");
  CHECK(s.sli.prometheus.version_label == "v");
}

TEST_CASE("query positions are recorded for --check-sources", "[config][datasource]") {
  Config c = require_ok(load(with_slo("vm", "latency\n      threshold: 250ms",
                                      "      prometheus:\n"                        // line 14
                                      "        good: d_bucket{le=\"0.25\"}\n"      // 15
                                      "        total:   \"d_count\"\n"             // 16
                                      "        histogram: d_bucket\n")));          // 17
  const PrometheusSliQueries& q = c.slos[0].sli.prometheus;
  CHECK(q.good_pos.file == "test.yaml");
  CHECK(q.good_pos.line == 15);
  CHECK(q.good_pos.column == 15);
  CHECK(q.total_pos.file == "test.yaml");
  CHECK(q.total_pos.line == 16);
  CHECK(q.total_pos.column == 18);  // the opening quote
  CHECK(q.histogram_pos.line == 17);
  CHECK(q.histogram_pos.column == 20);
  CHECK(q.bad_pos.line == 0);  // not written
  CHECK(q.bad_pos.column == 0);

  // A flow mapping too, and the file name of load_config_file.
  sloguard::testing::TempDir dir;
  const auto path = dir.path() / "sloguard.yaml";
  write_file(path, "datasources: [{name: vm, url: \"http://p:9090\"}]\n"
                   "services: [{name: c}]\n"
                   "slos: [{name: s, service: c, objective: 99%, window: 30d, source: vm,\n"
                   "        sli: {prometheus: {bad: b, total: t}}}]\n");
  Config f = require_ok(load_config_file(path.string()));
  const PrometheusSliQueries& fq = f.slos[0].sli.prometheus;
  CHECK(fq.bad_pos.file == path.string());
  CHECK(fq.bad_pos.line == 4);
  CHECK(fq.bad_pos.column == 33);
  CHECK(fq.total_pos.line == 4);
  CHECK(fq.total_pos.column == 43);
}

TEST_CASE("an SLO with a source need not fit in storage.retention", "[config][datasource]") {
  const std::string head = "storage: {retention: 35d}\n"
                           "datasources: [{name: vm, url: \"http://p:9090\"}]\n"
                           "services: [{name: c}]\n";
  // The datasource holds the history; the embedded store's retention does not limit it.
  Config c = require_ok(load(head + "slos: [{name: s, service: c, objective: 99%, window: quarter, source: vm,\n"
                                    "        sli: {prometheus: {bad: b, total: t}}}]\n"));
  CHECK(c.slos[0].window_text == "quarter");
  require_error_at(load(head + "slos: [{name: s, service: c, objective: 99%, window: quarter}]\n"), 4, 54,
                   "window quarter (up to 92d) is longer than storage.retention 35d");
}

TEST_CASE("release.gate.on_source_error", "[config][datasource]") {
  struct Case {
    const char* text;
    OnSourceError want;
  };
  for (const Case& k : {Case{"undecided", OnSourceError::kUndecided}, Case{"allow", OnSourceError::kAllow},
                        Case{"deny", OnSourceError::kDeny}}) {
    Config c = require_ok(load("release:\n  gate:\n    on_source_error: " + std::string(k.text) + "\n"));
    CHECK(c.release.gate.on_source_error == k.want);
    CHECK(c.release.gate.block_on_alert_severities == std::vector<std::string>{"page"});
  }
  require_error_at(load("release:\n  gate:\n    on_source_error: dney\n"), 3, 22,
                   "release.gate.on_source_error: unknown value \"dney\"; did you mean \"deny\"?");
  require_error_at(load("release:\n  gate:\n    on_source_error: block\n"), 3, 22,
                   "unknown value \"block\"; expected one of: undecided, allow, deny");
  require_error_at(load("release:\n  gate:\n    on_source_eror: deny\n"), 3, 5,
                   "release.gate: unknown key \"on_source_eror\"; did you mean \"on_source_error\"?");
}

TEST_CASE("the prometheus-source example loads", "[config][datasource]") {
  setenv("SLOGUARD_VM_AUTHORIZATION", "Bearer example-vm-token", 1);
  LoadResult r = load_config_file((examples_dir() / "prometheus-source.yaml").string());
  unsetenv("SLOGUARD_VM_AUTHORIZATION");
  Config c = require_ok(r);
  REQUIRE(c.datasources.size() == 2);
  CHECK(c.datasources[0].name == "prometheus");
  CHECK(c.datasources[0].url == "http://prometheus:9090");
  CHECK(c.datasources[1].name == "vm");
  CHECK(c.datasources[1].url == "http://vmselect:8481/select/0/prometheus");
  REQUIRE(c.datasources[1].headers.size() == 1);
  CHECK(c.datasources[1].headers[0].first == "Authorization");
  CHECK(c.datasources[1].headers[0].second == "Bearer example-vm-token");

  const SloConfig* avail = c.find_slo("checkout-availability");
  REQUIRE(avail != nullptr);
  CHECK(avail->source == "vm");
  const SloConfig* latency = c.find_slo("checkout-latency");
  REQUIRE(latency != nullptr);
  CHECK(latency->sli.kind == SliKind::kLatency);
  CHECK(latency->sli.prometheus.good == "http_request_duration_seconds_bucket{job=\"checkout\",le=\"0.25\"}");
  CHECK(latency->sli.prometheus.total == "http_request_duration_seconds_count{job=\"checkout\"}");
  const SloConfig* p99 = c.find_slo("checkout-p99");
  REQUIRE(p99 != nullptr);
  CHECK(p99->sli.kind == SliKind::kPercentile);
  CHECK(p99->sli.prometheus.histogram == "http_request_duration_seconds_bucket{job=\"checkout\"}");
  CHECK(p99->sli.prometheus.histogram_pos.file == (examples_dir() / "prometheus-source.yaml").string());
  CHECK(p99->sli.prometheus.histogram_pos.line > 0);
  const SloConfig* grouped = c.find_slo("search-availability");
  REQUIRE(grouped != nullptr);
  CHECK(grouped->source == "prometheus");
  CHECK(grouped->group_by == std::vector<std::string>{"endpoint"});
  CHECK(grouped->sli.prometheus.group_label == "handler");
  CHECK(c.release.gate.on_source_error == OnSourceError::kUndecided);

  // Without its variable, the error names the variable.
  LoadResult unset = load_config_file((examples_dir() / "prometheus-source.yaml").string());
  REQUIRE_FALSE(unset.ok());
  CHECK(find_error(unset, "environment variable SLOGUARD_VM_AUTHORIZATION is not set") != nullptr);
}

}  // namespace
}  // namespace sloguard::config
