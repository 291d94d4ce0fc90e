// remote_write: both forms, defaults, matchers, located errors, and the check of histogram
// buckets against latency SLO thresholds.
#include <cstdlib>
#include <filesystem>

#include "config_test_util.h"

namespace sloguard::config {
namespace {

using testing::all_errors;
using testing::examples_dir;
using testing::load;
using testing::require_error_at;
using testing::require_errors;

using Op = RemoteLabelMatcher::Op;
using Kind = RemoteWriteMapping::Kind;

// Services checkout and search (lines 1-3), then `remote_write:` on line 4 with `body` from
// line 5, then `tail` (e.g. slos:).
std::string with_rw(const std::string& body, const std::string& tail = "") {
  return "services:\n  - name: checkout\n  - name: search\nremote_write:\n" + body + tail;
}

// Loads and requires success.
std::shared_ptr<const Config> load_ok(const std::string& yaml) {
  LoadResult r = load(yaml);
  INFO(all_errors(r));
  REQUIRE(r.ok());
  return r.config;
}

// The one error of a config, at line:column, with exactly this message.
void require_only_error(const std::string& yaml, int line, int column, const std::string& message) {
  LoadResult r = load(yaml);
  INFO(all_errors(r));
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].line == line);
  CHECK(r.errors[0].column == column);
  CHECK(r.errors[0].message == message);
}

// The 1-based column of the first `token` in `line`.
int column_of(const std::string& line, const std::string& token) {
  const size_t at = line.find(token);
  REQUIRE(at != std::string::npos);
  return static_cast<int>(at) + 1;
}

// `line` as the whole body of remote_write: (line 5); its one error points at `token`.
void require_line_error(const std::string& line, const std::string& token, const std::string& message) {
  require_only_error(with_rw(line + "\n"), 5, column_of(line, token), message);
}

// One mapping `- <mapping>` on line 5; its one error points at `token` in it.
void require_mapping_error(const std::string& mapping, const std::string& token, const std::string& message) {
  require_line_error("  - " + mapping, token, message);
}

// A matcher built as the loader builds it, from the first mapping of `match`.
RemoteLabelMatcher matcher(const std::string& match) {
  auto c = load_ok(with_rw("  - {metric: m, service: checkout, match: " + match + "}\n"));
  REQUIRE(c->remote_write.mappings.size() == 1);
  REQUIRE(c->remote_write.mappings[0].match.size() == 1);
  return c->remote_write.mappings[0].match[0];
}

bool matches(const RemoteLabelMatcher& m, const std::string& value) { return m.matches(&value); }

TEST_CASE("remote_write as a list of mappings loads", "[config][remote_write]") {
  auto c = load_ok(with_rw(R"(  - metric: http_requests_total
    match: {job: checkout, handler: "=~/api/.*"}
    service_label: job
    status_label: code
    endpoint_label: handler
    version_label: version
  - histogram: http_request_duration_seconds
    match: ['job="search"', 'code!~"5.."']
    service: search
    status: 204
    buckets: [0.05, 0.1, 0.25, +Inf]
)"));
  const RemoteWriteConfig& rw = c->remote_write;
  REQUIRE(rw.mappings.size() == 2);
  CHECK_FALSE(rw.empty());

  const RemoteWriteMapping& a = rw.mappings[0];
  CHECK(a.kind == Kind::kCounter);
  CHECK(a.metric == "http_requests_total");
  REQUIRE(a.match.size() == 2);
  CHECK(a.match[0].name == "job");
  CHECK(a.match[0].op == Op::kEqual);
  CHECK(a.match[0].value == "checkout");
  CHECK(a.match[0].re == nullptr);
  CHECK(a.match[1].name == "handler");
  CHECK(a.match[1].op == Op::kRegex);
  CHECK(a.match[1].value == "/api/.*");
  CHECK(a.match[1].re != nullptr);
  CHECK(a.service.empty());
  CHECK(a.service_label == "job");
  CHECK(a.status_label == "code");
  CHECK(a.endpoint_label == "handler");
  CHECK(a.version_label == "version");
  CHECK(a.buckets.empty());
  CHECK(a.line == 5);

  const RemoteWriteMapping& b = rw.mappings[1];
  CHECK(b.kind == Kind::kHistogram);
  CHECK(b.metric == "http_request_duration_seconds");
  REQUIRE(b.match.size() == 2);
  CHECK(b.match[0].name == "job");
  CHECK(b.match[0].op == Op::kEqual);
  CHECK(b.match[0].value == "search");
  CHECK(b.match[1].name == "code");
  CHECK(b.match[1].op == Op::kNotRegex);
  CHECK(b.match[1].value == "5..");
  CHECK(b.service == "search");
  CHECK(b.service_label.empty());
  CHECK(b.status_label.empty());
  CHECK(b.status == 204);
  CHECK(b.buckets == std::vector<double>{0.05, 0.1, 0.25});  // +Inf ignored
  CHECK(b.line == 11);

  // The list form leaves HA and the limits at their defaults.
  CHECK_FALSE(rw.ha.enabled());
  CHECK(rw.max_series == 100000);
}

TEST_CASE("remote_write as a mapping with mappings, ha and limits loads", "[config][remote_write]") {
  auto c = load_ok(with_rw(R"(  mappings:
    - {metric: http_requests_total, service_label: job, status_label: code}
  ha:
    cluster_label: cluster
    replica_label: __replica__
    failover_timeout: 1m
  max_series: 5000
  idle_timeout: 15m
  max_decoded_bytes: 1024
  max_series_per_service: 50
)"));
  const RemoteWriteConfig& rw = c->remote_write;
  REQUIRE(rw.mappings.size() == 1);
  CHECK(rw.mappings[0].metric == "http_requests_total");
  CHECK(rw.mappings[0].line == 6);
  CHECK(rw.ha.enabled());
  CHECK(rw.ha.cluster_label == "cluster");
  CHECK(rw.ha.replica_label == "__replica__");
  CHECK(rw.ha.failover_timeout_ms == 60000);
  CHECK(rw.max_series == 5000);
  CHECK(rw.idle_timeout_ms == 15 * 60000);
  CHECK(rw.max_decoded_bytes == 1024);
  CHECK(rw.max_series_per_service == 50);
}

TEST_CASE("remote_write defaults", "[config][remote_write]") {
  SECTION("absent") {
    auto c = load_ok("services:\n  - name: checkout\n");
    const RemoteWriteConfig& rw = c->remote_write;
    CHECK(rw.empty());
    CHECK_FALSE(rw.ha.enabled());
    CHECK(rw.ha.failover_timeout_ms == 30000);
    CHECK(rw.max_series == 100000);
    CHECK(rw.idle_timeout_ms == 3600000);
    CHECK(rw.max_decoded_bytes == 64u * 1024 * 1024);
    CHECK(rw.max_series_per_service == 1000);
  }
  SECTION("empty values") {
    CHECK(load_ok(with_rw(""))->remote_write.empty());
    CHECK(load_ok(with_rw("  []\n"))->remote_write.empty());
    CHECK(load_ok(with_rw("  mappings:\n"))->remote_write.empty());
  }
  SECTION("a mapping's defaults") {
    auto c = load_ok(with_rw("  - {metric: http_requests_total, service: checkout}\n"));
    const RemoteWriteMapping& m = c->remote_write.mappings.at(0);
    CHECK(m.kind == Kind::kCounter);
    CHECK(m.match.empty());
    CHECK(m.service == "checkout");
    CHECK(m.status_label.empty());
    CHECK(m.status == 200);
    CHECK(m.endpoint_label.empty());
    CHECK(m.version_label.empty());
    CHECK(m.buckets.empty());
  }
  SECTION("ha without failover_timeout") {
    auto c = load_ok(with_rw("  ha: {cluster_label: cluster, replica_label: replica}\n"));
    CHECK(c->remote_write.ha.enabled());
    CHECK(c->remote_write.ha.failover_timeout_ms == 30000);
    CHECK(c->remote_write.max_series == 100000);
  }
}

TEST_CASE("remote_write must be a list or a mapping", "[config][remote_write]") {
  require_line_error("  yes", "yes",
                     "remote_write: expected a list of mappings like [{metric: http_requests_total, service_label: "
                     "job}], or a mapping with mappings, ha, max_series, idle_timeout, max_decoded_bytes, "
                     "max_series_per_service; got \"yes\"");
  require_line_error("  - http_requests_total", "http_requests_total",
                     "remote_write[0]: expected a mapping like {metric: http_requests_total, service_label: job, "
                     "status_label: code} or {histogram: http_request_duration_seconds, service: checkout}, got "
                     "\"http_requests_total\"");
  require_line_error("  mappings: {metric: m}", "{metric",
                     "remote_write.mappings: expected a list of mappings like {metric: http_requests_total, "
                     "service_label: job}, got a mapping");
}

TEST_CASE("unknown remote_write keys are errors with a suggestion", "[config][remote_write]") {
  LoadResult r = load(with_rw(R"(  mapings: []
  ha: {cluster_label: c, replica_lable: r}
  mappings:
    - {metric: m, service: checkout, status_lable: code}
)"));
  require_errors(r, {
                        {5, 3, "remote_write: unknown key \"mapings\"; did you mean \"mappings\"?"},
                        {6, 7, "remote_write.ha: missing required key \"replica_label\""},
                        {6, 26, "remote_write.ha: unknown key \"replica_lable\"; did you mean \"replica_label\"?"},
                        {8, 38,
                         "remote_write.mappings[0]: unknown key \"status_lable\"; did you mean \"status_label\"?"},
                    });
  require_error_at(load("remote_writes: []\n"), 1, 1, "unknown key \"remote_writes\"; did you mean \"remote_write\"?");
}

TEST_CASE("a mapping needs exactly one of metric and histogram", "[config][remote_write]") {
  require_mapping_error("{service: checkout}", "{",
                        "remote_write[0]: missing the metric: give metric (a counter, e.g. http_requests_total) or "
                        "histogram (a classic histogram's base name, e.g. http_request_duration_seconds)");
  require_mapping_error("{metric: a, histogram: b, service: checkout}", "{",
                        "remote_write[0]: give either metric (a counter) or histogram, not both");
}

TEST_CASE("metric names must be valid Prometheus metric names", "[config][remote_write]") {
  require_mapping_error("{metric: http-requests, service: checkout}", "http-requests",
                        "remote_write[0].metric: \"http-requests\" is not a valid Prometheus metric name "
                        "([a-zA-Z_:][a-zA-Z0-9_:]*)");
  require_mapping_error("{histogram: 9lives, service: checkout}", "9lives",
                        "remote_write[0].histogram: \"9lives\" is not a valid Prometheus metric name "
                        "([a-zA-Z_:][a-zA-Z0-9_:]*)");
  CHECK(load_ok(with_rw("  - {metric: \"job:http_requests:rate5m\", service: checkout}\n"))
            ->remote_write.mappings.at(0)
            .metric == "job:http_requests:rate5m");
}

TEST_CASE("a histogram's name is its base name, without _bucket, _count or _sum", "[config][remote_write]") {
  require_mapping_error("{histogram: http_request_duration_seconds_bucket, service: checkout}",
                        "http_request_duration_seconds_bucket",
                        "remote_write[0].histogram: histogram takes the base name, without _bucket; did you mean "
                        "\"http_request_duration_seconds\"?");
  require_mapping_error("{histogram: rpc_seconds_count, service: checkout}", "rpc_seconds_count",
                        "remote_write[0].histogram: histogram takes the base name, without _count; did you mean "
                        "\"rpc_seconds\"?");
  require_mapping_error("{histogram: rpc_seconds_sum, service: checkout}", "rpc_seconds_sum",
                        "remote_write[0].histogram: histogram takes the base name, without _sum; did you mean "
                        "\"rpc_seconds\"?");
  // A counter may have any name.
  CHECK(load_ok(with_rw("  - {metric: rpc_seconds_count, service: checkout}\n"))->remote_write.mappings.size() == 1);
}

TEST_CASE("a mapping needs exactly one of service and service_label", "[config][remote_write]") {
  require_mapping_error("{metric: m}", "{",
                        "remote_write[0]: missing the service: give service (a fixed name) or service_label (a label "
                        "whose value is the service, e.g. job)");
  require_mapping_error("{metric: m, service: checkout, service_label: job}", "{",
                        "remote_write[0]: give either service (a fixed name) or service_label (a label whose value is "
                        "the service), not both");
}

TEST_CASE("service must be a configured service", "[config][remote_write]") {
  require_mapping_error("{metric: m, service: chekout}", "chekout",
                        "remote_write[0].service: unknown service \"chekout\"; did you mean \"checkout\"?");
  require_mapping_error("{metric: m, service: billing}", "billing",
                        "remote_write[0].service: unknown service \"billing\"; services are: checkout, search");
  require_only_error("remote_write:\n  - {metric: m, service: checkout}\n", 2, 26,
                     "remote_write[0].service: unknown service \"checkout\"; no services are defined (add it under "
                     "services:)");
  // An equality matcher on the service label selects one service: it must be configured too.
  require_mapping_error("{metric: m, service_label: job, match: {job: serch}}", "{job: serch}",
                        "remote_write[0].match: job=\"serch\" selects service \"serch\" (service_label job), which is "
                        "not configured; did you mean \"search\"?");
}

TEST_CASE("status_label or status, not both, and status is 100..599", "[config][remote_write]") {
  require_mapping_error("{metric: m, service: checkout, status_label: code, status: 200}", "{",
                        "remote_write[0]: give either status_label (a label holding the status) or status (a fixed "
                        "status), not both");
  require_mapping_error("{metric: m, service: checkout, status: 99}", "99",
                        "remote_write[0].status: expected a status code 100..599, got \"99\"");
  require_mapping_error("{metric: m, service: checkout, status: 600}", "600",
                        "remote_write[0].status: expected a status code 100..599, got \"600\"");
  require_mapping_error("{metric: m, service: checkout, status: 5xx}", "5xx",
                        "remote_write[0].status: expected a status code 100..599, got \"5xx\"");
  CHECK(load_ok(with_rw("  - {metric: m, service: checkout, status: 599}\n"))->remote_write.mappings.at(0).status ==
        599);
}

TEST_CASE("label names in a mapping must be valid", "[config][remote_write]") {
  constexpr const char* kSyntax = " is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)";
  require_mapping_error("{metric: m, service_label: 'my-job'}", "'my-job'",
                        std::string("remote_write[0].service_label: \"my-job\"") + kSyntax);
  require_mapping_error("{metric: m, service: checkout, status_label: 0code}", "0code",
                        std::string("remote_write[0].status_label: \"0code\"") + kSyntax);
  require_mapping_error("{metric: m, service: checkout, endpoint_label: 'a:b'}", "'a:b'",
                        std::string("remote_write[0].endpoint_label: \"a:b\"") + kSyntax);
  require_mapping_error("{metric: m, service: checkout, version_label: ''}", "''",
                        std::string("remote_write[0].version_label: \"\"") + kSyntax);
  require_mapping_error("{metric: m, service: checkout, match: {'a.b': x}}", "'a.b'",
                        std::string("remote_write[0].match: \"a.b\"") + kSyntax);
  require_mapping_error("{metric: m, service: checkout, match: ['1a=\"x\"']}", "'1a",
                        "remote_write[0].match[0]: \"1a=\"x\"\": expected a label name ([a-zA-Z_][a-zA-Z0-9_]*) first");
}

TEST_CASE("match as a mapping: a plain value is equality, a leading operator gives the operator",
          "[config][remote_write]") {
  auto c = load_ok(with_rw(
      R"(  - {metric: m, service: checkout, match: {a: x, b: "=y", c: "!=z", d: "=~v.*", e: "!~w+", f: "", g: 200}}
)"));
  const auto& match = c->remote_write.mappings.at(0).match;
  REQUIRE(match.size() == 7);
  auto check = [&](size_t i, const char* name, Op op, const char* value) {
    INFO(i);
    CHECK(match[i].name == name);
    CHECK(match[i].op == op);
    CHECK(match[i].value == value);
    CHECK((match[i].re != nullptr) == (op == Op::kRegex || op == Op::kNotRegex));
  };
  check(0, "a", Op::kEqual, "x");
  check(1, "b", Op::kEqual, "y");
  check(2, "c", Op::kNotEqual, "z");
  check(3, "d", Op::kRegex, "v.*");
  check(4, "e", Op::kNotRegex, "w+");
  check(5, "f", Op::kEqual, "");
  check(6, "g", Op::kEqual, "200");
}

TEST_CASE("match as a list of PromQL matchers: each operator, quotes and escapes", "[config][remote_write]") {
  auto c = load_ok(with_rw(R"(  - metric: m
    service: checkout
    match:
      - job="checkout"
      - code != "200"
      - 'handler=~"/api/.*"'
      - code!~"5.."
      - 'msg="say \"hi\" \\ bye"'
      - empty=""
)"));
  const auto& match = c->remote_write.mappings.at(0).match;
  REQUIRE(match.size() == 6);
  CHECK((match[0].name == "job" && match[0].op == Op::kEqual && match[0].value == "checkout"));
  CHECK((match[1].name == "code" && match[1].op == Op::kNotEqual && match[1].value == "200"));
  CHECK((match[2].name == "handler" && match[2].op == Op::kRegex && match[2].value == "/api/.*"));
  CHECK((match[3].name == "code" && match[3].op == Op::kNotRegex && match[3].value == "5.."));
  CHECK((match[4].name == "msg" && match[4].op == Op::kEqual && match[4].value == "say \"hi\" \\ bye"));
  CHECK((match[5].name == "empty" && match[5].op == Op::kEqual && match[5].value.empty()));
}

TEST_CASE("PromQL matchers that cannot be read are located errors", "[config][remote_write]") {
  auto one = [](const std::string& matcher, const std::string& message) {
    INFO(matcher);
    require_only_error(with_rw("  - metric: m\n    service: checkout\n    match:\n      - '" + matcher + "'\n"), 8, 9,
                       "remote_write[0].match[0]: \"" + matcher + "\": " + message);
  };
  one("job", "expected =, !=, =~ or !~ after the label name job");
  one("job==\"x\"", "the value must be in double quotes, like job=\"checkout\"");
  one("job=checkout", "the value must be in double quotes, like job=\"checkout\"");
  one("job=\"checkout", "the value's closing double quote is missing");
  one("job=\"a\\.b\"", "unknown escape \\. in the value (write \\\\ for a backslash, \\\" for a quote)");
  one("job=\"a\", code=\"200\"", "one matcher per list entry: split it at the comma");
  one("job=\"a\",", "unexpected ',' after the value");
  one("job=\"a\"}", "unexpected text after the value: \"}\"");
  one("{job=\"a\"}", "write the matcher without braces, like job=\"checkout\"");
  require_line_error("  - {metric: m, service: checkout, match: [{job: x}]}", "{job: x}",
                     "remote_write[0].match[0]: expected a PromQL matcher like job=\"checkout\" or code!~\"5..\", got "
                     "a mapping");
}

TEST_CASE("match must be a non-empty mapping or list, without __name__ or a histogram's le",
          "[config][remote_write]") {
  require_mapping_error("{metric: m, service: checkout, match: {}}", "{}}",
                        "remote_write[0].match: must have at least one matcher (leave match out for every series of "
                        "the metric)");
  require_mapping_error("{metric: m, service: checkout, match: []}", "[]",
                        "remote_write[0].match: must have at least one matcher (leave match out for every series of "
                        "the metric)");
  require_mapping_error("{metric: m, service: checkout, match: job}", "job}",
                        "remote_write[0].match: expected a mapping of labels to values like {job: checkout, handler: "
                        "\"=~/api/.*\"} or a list of PromQL matchers like [job=\"checkout\", code!~\"5..\"], got "
                        "\"job\"");
  require_mapping_error("{metric: m, service: checkout, match: {__name__: x}}", "__name__",
                        "remote_write[0].match: cannot match on __name__: the metric is given by metric or histogram");
  require_mapping_error("{histogram: h, service: checkout, match: ['le=\"0.5\"']}", "'le",
                        "remote_write[0].match[0]: cannot match on le: it is the bucket label of the histogram, and "
                        "every bucket is needed");
  // On a counter, le is an ordinary label.
  CHECK(load_ok(with_rw("  - {metric: m, service: checkout, match: {le: x}}\n"))->remote_write.mappings.size() == 1);
  require_line_error("  - {metric: m, service: checkout, match: {job: a, job: b}}", "job: b",
                     "remote_write[0].match: label \"job\" is repeated (first at line 5); to match it twice, write "
                     "match as a list of PromQL matchers");
}

TEST_CASE("regex matchers are anchored at both ends, as in PromQL", "[config][remote_write]") {
  RemoteLabelMatcher re = matcher("{handler: \"=~/api/.*\"}");
  CHECK(matches(re, "/api/v1"));
  CHECK(matches(re, "/api/"));
  CHECK_FALSE(matches(re, "x/api/"));
  CHECK_FALSE(matches(re, "/ap"));

  RemoteLabelMatcher alt = matcher("['code=~\"2..|3..\"']");
  CHECK(matches(alt, "200"));
  CHECK(matches(alt, "304"));
  CHECK_FALSE(matches(alt, "2000"));  // the alternation is anchored as a whole
  CHECK_FALSE(matches(alt, "1304"));

  // In single-quoted YAML the backslashes stay: "\\." in the PromQL string is the regex \.
  RemoteLabelMatcher escaped = matcher(R"(['path=~"/api/v1\\..*"'])");
  CHECK(escaped.value == R"(/api/v1\..*)");
  CHECK(matches(escaped, "/api/v1.json"));
  CHECK_FALSE(matches(escaped, "/api/v1x"));

  RemoteLabelMatcher not_re = matcher("['code!~\"5..\"']");
  CHECK(matches(not_re, "200"));
  CHECK(matches(not_re, "5000"));
  CHECK_FALSE(matches(not_re, "503"));
}

TEST_CASE("equality matchers compare whole values", "[config][remote_write]") {
  RemoteLabelMatcher eq = matcher("{job: checkout}");
  CHECK(matches(eq, "checkout"));
  CHECK_FALSE(matches(eq, "checkout2"));
  CHECK_FALSE(matches(eq, "Checkout"));
  RemoteLabelMatcher ne = matcher("{job: \"!=checkout\"}");
  CHECK_FALSE(matches(ne, "checkout"));
  CHECK(matches(ne, "search"));
}

TEST_CASE("an absent label matches as the empty string", "[config][remote_write]") {
  CHECK(matcher("['x=\"\"']").matches(nullptr));
  CHECK_FALSE(matcher("['x!=\"\"']").matches(nullptr));
  CHECK(matcher("['x!~\".+\"']").matches(nullptr));
  CHECK_FALSE(matcher("['x=~\".+\"']").matches(nullptr));
  CHECK(matcher("['x=~\".*\"']").matches(nullptr));
  CHECK_FALSE(matcher("{x: a}").matches(nullptr));
  CHECK(matcher("{x: \"!=a\"}").matches(nullptr));
}

TEST_CASE("a matcher built in code without a compiled regex still matches", "[config][remote_write]") {
  RemoteLabelMatcher m;
  m.name = "handler";
  m.op = Op::kRegex;
  m.value = "/api/.*";
  CHECK(matches(m, "/api/v1"));
  CHECK_FALSE(matches(m, "x/api/"));
  m.op = Op::kNotRegex;
  CHECK(matches(m, "x/api/"));
  m.value = "(";  // does not compile: matches nothing, either way round
  CHECK_FALSE(matches(m, "("));
}

TEST_CASE("an invalid regex is a located error with RE2's message", "[config][remote_write]") {
  require_mapping_error("{metric: m, service: checkout, match: {handler: \"=~(abc\"}}", "\"=~(abc",
                        "remote_write[0].match.handler: invalid regular expression \"(abc\" for label handler: "
                        "missing ): (abc");
  require_only_error(with_rw("  - metric: m\n    service: checkout\n    match:\n      - 'code!~\"5**\"'\n"), 8, 9,
                     "remote_write[0].match[0]: invalid regular expression \"5**\" for label code: bad repetition "
                     "operator: **");
  // A pattern must stand on its own: "a)|(b" would close the anchoring group.
  require_mapping_error("{metric: m, service: checkout, match: {x: \"=~a)|(b\"}}", "\"=~a)|(b",
                        "remote_write[0].match.x: invalid regular expression \"a)|(b\" for label x: unexpected ): "
                        "a)|(b");
}

TEST_CASE("buckets apply only to histogram mappings", "[config][remote_write]") {
  require_mapping_error("{metric: http_requests_total, service: checkout, buckets: [0.1]}", "buckets",
                        "remote_write[0]: buckets applies only to histogram mappings; metric http_requests_total is a "
                        "counter (write histogram: for a classic histogram)");
}

TEST_CASE("buckets are positive finite numbers, strictly ascending, and +Inf is ignored", "[config][remote_write]") {
  const std::string prefix = "  - {histogram: h, service: checkout, buckets: ";
  auto buckets = [&](const std::string& list) { return with_rw(prefix + list + "}\n"); };
  // The one error of `list` points at `token` in it.
  auto require_buckets_error = [&](const std::string& list, const std::string& token, const std::string& message) {
    INFO(list);
    require_only_error(buckets(list), 5, static_cast<int>(prefix.size()) + column_of(list, token), message);
  };
  CHECK(load_ok(buckets("[0.005, .01, 1, 2.5, 1e1, +Inf]"))->remote_write.mappings.at(0).buckets ==
        std::vector<double>{0.005, 0.01, 1, 2.5, 10});
  CHECK(load_ok(buckets("[1, +inf]"))->remote_write.mappings.at(0).buckets == std::vector<double>{1});
  require_buckets_error("[0.1, 0, 1]", "0, 1",
                     "remote_write[0].buckets[1]: expected a positive number of seconds like 0.25 (or +Inf), got "
                     "\"0\"");
  require_buckets_error("[-1]", "-1",
                     "remote_write[0].buckets[0]: expected a positive number of seconds like 0.25 (or +Inf), got "
                     "\"-1\"");
  require_buckets_error("[0.1, NaN]", "NaN",
                     "remote_write[0].buckets[1]: expected a positive number of seconds like 0.25 (or +Inf), got "
                     "\"NaN\"");
  require_buckets_error("[0.1, 100ms]", "100ms",
                     "remote_write[0].buckets[1]: expected a positive number of seconds like 0.25 (or +Inf), got "
                     "\"100ms\"");
  require_buckets_error("[0.1, 0.5, 0.25]", "0.25",
                     "remote_write[0].buckets[2]: bucket bounds must be strictly ascending: 0.25 comes after 0.5");
  require_buckets_error("[0.1, 0.1]", "0.1]",
                     "remote_write[0].buckets[1]: bucket bounds must be strictly ascending: 0.1 comes after 0.1");
  require_buckets_error("[+Inf, 1]", "1]", "remote_write[0].buckets[1]: +Inf must be the last bound");
  require_buckets_error("[]", "[",
                     "remote_write[0].buckets: must list at least one finite bound (leave buckets out to not check "
                     "them)");
  require_buckets_error("0.5", "0.5",
                     "remote_write[0].buckets: expected a list of bucket bounds in seconds like [0.05, 0.1, 0.25, "
                     "0.5, 1], got \"0.5\"");
}

TEST_CASE("ha needs both labels, different, and a positive failover_timeout", "[config][remote_write]") {
  require_line_error("  ha: {cluster_label: cluster}", "{",
                     "remote_write.ha: missing required key \"replica_label\"");
  require_line_error("  ha: {replica_label: __replica__}", "{",
                     "remote_write.ha: missing required key \"cluster_label\"");
  require_line_error("  ha: {cluster_label: c, replica_label: c}", "{",
                     "remote_write.ha: cluster_label and replica_label must be different labels, both are c");
  require_line_error("  ha: {cluster_label: 'my-cluster', replica_label: r}", "'my-cluster'",
                     "remote_write.ha.cluster_label: \"my-cluster\" is not a valid label name "
                     "([a-zA-Z_][a-zA-Z0-9_]*)");
  require_line_error("  ha: {cluster_label: c, replica_label: r, failover_timeout: 0s}", "0s",
                     "remote_write.ha.failover_timeout: must be longer than 0, got \"0s\"");
  require_line_error("  ha: {cluster_label: c, replica_label: r, failover_timeout: soon}", "soon",
                     "remote_write.ha.failover_timeout: invalid duration \"soon\": expected e.g. 30d, 6h, 1h30m, 15s "
                     "(units ms, s, m, h, d, w)");
  require_line_error("  ha: [c, r]", "[",
                     "remote_write.ha: expected a mapping like {cluster_label: cluster, replica_label: __replica__, "
                     "failover_timeout: 30s}, got a list");
}

TEST_CASE("a mapping cannot take a value from the HA replica label", "[config][remote_write]") {
  require_only_error(with_rw(R"(  ha: {cluster_label: cluster, replica_label: __replica__}
  mappings:
    - {metric: m, service: checkout, endpoint_label: __replica__}
)"),
                     7, 54,
                     "remote_write.mappings[0].endpoint_label: __replica__ is ha.replica_label, which tells the "
                     "replicas of a cluster apart and is dropped from every series; take the value from another label");
}

TEST_CASE("remote_write limits are checked", "[config][remote_write]") {
  require_line_error("  max_series: 0", "0",
                     "remote_write.max_series: expected a whole number of series >= 1, got \"0\"");
  require_line_error("  max_series: 1.5", "1.5",
                     "remote_write.max_series: expected a whole number of series >= 1, got \"1.5\"");
  require_line_error("  max_series: -3", "-3",
                     "remote_write.max_series: expected a whole number of series >= 1, got \"-3\"");
  require_line_error("  max_series_per_service: 0", "0",
                     "remote_write.max_series_per_service: expected a whole number of series >= 1, got \"0\"");
  require_line_error("  max_decoded_bytes: 1023", "1023",
                     "remote_write.max_decoded_bytes: expected a whole number of bytes >= 1024, got \"1023\"");
  require_line_error("  max_decoded_bytes: 64MiB", "64MiB",
                     "remote_write.max_decoded_bytes: expected a whole number of bytes >= 1024, got \"64MiB\"");
  require_line_error("  idle_timeout: 0s", "0s",
                     "remote_write.idle_timeout: must be longer than 0, got \"0s\"");
  CHECK(load_ok(with_rw("  max_series: 1\n  max_series_per_service: 1\n"))->remote_write.max_series == 1);
}

TEST_CASE("two mappings of one metric without match are an error", "[config][remote_write]") {
  require_only_error(with_rw(R"(  - {metric: http_requests_total, service: checkout}
  - {histogram: http_requests_total, service: checkout}
  - {metric: http_requests_total, service_label: job}
)"),
                     7, 5,
                     "remote_write[2]: duplicate mapping for metric http_requests_total (remote_write[0] and [2]); "
                     "add match to tell them apart");
  require_only_error(with_rw(R"(  mappings:
    - {histogram: h, service: checkout}
    - {histogram: h, service: search}
)"),
                     7, 7,
                     "remote_write.mappings[1]: duplicate mapping for histogram h (remote_write.mappings[0] and [1]); "
                     "add match to tell them apart");
  // The same matchers, in any order and either form, cannot tell them apart either.
  require_only_error(with_rw(R"(  - {metric: m, service: checkout, match: {job: a, code: "!=200"}}
  - {metric: m, service: search, match: ['code!="200"', 'job="a"']}
)"),
                     6, 5,
                     "remote_write[1]: duplicate mapping for metric m (remote_write[0] and [1]); both have the same "
                     "match; change one to tell them apart");
  // Different matchers can.
  CHECK(load_ok(with_rw(R"(  - {metric: m, service: checkout, match: {job: checkout}}
  - {metric: m, service: search, match: {job: search}}
  - {metric: m, service_label: job}
)"))
            ->remote_write.mappings.size() == 3);
}

// A latency SLO of `service` with `threshold` (slos[0]), after the mappings in `mappings`: the
// threshold is on line 12 + the number of lines of `mappings`, at column 18.
std::string latency_slo(const std::string& mappings, const std::string& threshold,
                        const std::string& service = "checkout") {
  return with_rw(mappings, "slos:\n  - name: lat\n    service: " + service +
                               "\n    objective: 99%\n    window: 30d\n    sli:\n      kind: latency\n"
                               "      threshold: " + threshold + "\n");
}

constexpr const char* kHistogram =
    "  - {histogram: http_request_duration_seconds, service: checkout, buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]}\n"
    "  - {histogram: rpc_seconds, service: search, buckets: [0.01]}\n"
    "  - {metric: http_requests_total, service_label: job}\n";

TEST_CASE("a latency SLO's threshold on a bucket bound of its histogram loads", "[config][remote_write]") {
  for (const char* threshold : {"50ms", "250ms", "500ms", "1s", "2500ms", "2.5s", "5s"}) {
    INFO(threshold);
    load_ok(latency_slo(kHistogram, threshold));
  }
  // No buckets written: nothing to check.
  load_ok(latency_slo("  - {histogram: h, service: checkout}\n", "300ms"));
}

TEST_CASE("a latency SLO's threshold between two bucket bounds names both", "[config][remote_write]") {
  require_only_error(latency_slo(kHistogram, "300ms"), 15, 18,
                     "slos[0].sli.threshold: 300ms is not a bucket bound of histogram http_request_duration_seconds "
                     "(remote_write[0]); good events are counted exactly only at a bound: the nearest are 250ms and "
                     "500ms");
  require_only_error(latency_slo(kHistogram, "1500ms"), 15, 18,
                     "slos[0].sli.threshold: 1.5s is not a bucket bound of histogram http_request_duration_seconds "
                     "(remote_write[0]); good events are counted exactly only at a bound: the nearest are 1s and 2.5s");
}

TEST_CASE("a latency SLO's threshold outside the bucket bounds names the one neighbour", "[config][remote_write]") {
  require_only_error(latency_slo(kHistogram, "20ms"), 15, 18,
                     "slos[0].sli.threshold: 20ms is not a bucket bound of histogram http_request_duration_seconds "
                     "(remote_write[0]); good events are counted exactly only at a bound: the nearest is 50ms");
  require_only_error(latency_slo(kHistogram, "10s"), 15, 18,
                     "slos[0].sli.threshold: 10s is not a bucket bound of histogram http_request_duration_seconds "
                     "(remote_write[0]); good events are counted exactly only at a bound: the nearest is 5s");
}

TEST_CASE("the bucket check covers the services a histogram can feed", "[config][remote_write]") {
  // service: search feeds only search (rpc_seconds's 10ms bound does not hold for checkout).
  const std::string rpc = "  - {histogram: rpc_seconds, service: search, buckets: [0.01]}\n";
  load_ok(latency_slo(rpc, "300ms", "checkout"));
  require_error_at(load(latency_slo(rpc, "300ms", "search")), 13, 18,
                   "slos[0].sli.threshold: 300ms is not a bucket bound of histogram rpc_seconds");
  // service_label with an equality matcher on it feeds that service only.
  const std::string by_match =
      "  - {histogram: h, service_label: job, match: {job: search}, buckets: [0.1]}\n";
  load_ok(latency_slo(by_match, "300ms", "checkout"));
  require_error_at(load(latency_slo(by_match, "300ms", "search")), 13, 18,
                   "slos[0].sli.threshold: 300ms is not a bucket bound of histogram h (remote_write[0]); good events "
                   "are counted exactly only at a bound: the nearest is 100ms");
  // service_label otherwise feeds every service.
  const std::string any =
      "  mappings:\n    - {histogram: h, service_label: job, match: {job: \"=~.+\"}, buckets: [0.1]}\n";
  require_error_at(load(latency_slo(any, "300ms", "checkout")), 14, 18,
                   "slos[0].sli.threshold: 300ms is not a bucket bound of histogram h (remote_write.mappings[0])");
  require_error_at(load(latency_slo(any, "300ms", "search")), 14, 18, "of histogram h (remote_write.mappings[0])");
}

TEST_CASE("the bucket check names the SLO by its place and compares whole microseconds", "[config][remote_write]") {
  LoadResult r = load(with_rw("  - {histogram: h, service: checkout, buckets: [0.0005, 0.25, 0.5]}\n", R"(slos:
  - {name: avail, service: checkout, objective: 99%, window: 30d}
  - {name: ok, service: checkout, objective: 99%, window: 30d, sli: {kind: latency, threshold: 0.5ms}}
  - {name: off, service: checkout, objective: 99%, window: 30d, sli: {kind: latency, threshold: 300ms}}
  - {name: p99, service: checkout, objective: 99%, window: 30d, sli: {kind: percentile, percentile: 99, target: 300ms}}
)"));
  require_errors(r, {{9, 97,
                      "slos[2].sli.threshold: 300ms is not a bucket bound of histogram h (remote_write[0]); good events "
                      "are counted exactly only at a bound: the nearest are 250ms and 500ms"}});
}

TEST_CASE("the remote-write example loads", "[config][remote_write]") {
  LoadResult r = load_config_file((examples_dir() / "remote-write.yaml").string());
  INFO(all_errors(r));
  REQUIRE(r.ok());
  const RemoteWriteConfig& rw = r.config->remote_write;
  REQUIRE(rw.mappings.size() == 2);
  CHECK(rw.mappings[0].kind == Kind::kCounter);
  CHECK(rw.mappings[0].metric == "http_requests_total");
  CHECK(rw.mappings[0].service_label == "job");
  CHECK(rw.mappings[0].status_label == "code");
  CHECK(rw.mappings[0].endpoint_label == "handler");
  CHECK(rw.mappings[1].kind == Kind::kHistogram);
  CHECK(rw.mappings[1].metric == "http_request_duration_seconds");
  CHECK(rw.mappings[1].buckets == std::vector<double>{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5});
  CHECK(rw.ha.cluster_label == "cluster");
  CHECK(rw.ha.replica_label == "__replica__");
  CHECK(r.config->find_slo("checkout-latency") != nullptr);
  CHECK(r.config->find_slo("search-availability") != nullptr);
}

TEST_CASE("every example config loads", "[config][remote_write]") {
  // The secrets the examples read from the environment; any well-formed value will do.
  const std::pair<const char*, const char*> env[] = {
      {"SLOGUARD_CI_TOKEN", "example-ci-token"},
      {"SLOGUARD_OPS_TOKEN", "example-ops-token"},
      {"SLACK_WEBHOOK_URL", "https://slack.invalid/services/T000/B000/example"},
      {"PD_ROUTING_KEY", "example-routing-key"},
      {"AUDIT_WEBHOOK_URL", "https://audit.invalid/sloguard"},
      {"AUDIT_WEBHOOK_SECRET", "example-audit-secret"},
      {"SLOGUARD_VM_AUTHORIZATION", "Bearer example-vm-token"},
  };
  for (const auto& [name, value] : env) setenv(name, value, 1);
  size_t loaded = 0;
  for (const auto& entry : std::filesystem::directory_iterator(examples_dir())) {
    if (entry.path().extension() != ".yaml") continue;
    INFO(entry.path().string());
    LoadResult r = load_config_file(entry.path().string());
    INFO(all_errors(r));
    CHECK(r.ok());
    ++loaded;
  }
  for (const auto& [name, value] : env) unsetenv(name);
  CHECK(loaded >= 7);
}

}  // namespace
}  // namespace sloguard::config
