// Invalid probes and probe SLIs: every error located, none hiding another, no secret shown.
#include <cstdlib>

#include "config_test_util.h"

namespace sloguard::config {
namespace {

using testing::all_errors;
using testing::find_error;
using testing::has_error;
using testing::load;
using testing::require_error_at;
using testing::require_errors;

// One service, checkout, whose probes are `probes` (list entries indented by 6, from line 4).
std::string with_probes(const std::string& probes) {
  return "services:\n  - name: checkout\n    probes:\n" + probes;
}

// A probe p whose http mapping holds `keys` (on one line, line 6, from column 11).
LoadResult http_with(const std::string& keys) {
  return load(with_probes("      - name: p\n        http:\n          " + keys + "\n"));
}

// The only error of a config, which must fail.
ConfigError only_error(const LoadResult& r) {
  INFO(all_errors(r));
  REQUIRE_FALSE(r.ok());
  REQUIRE(r.errors.size() == 1);
  return r.errors[0];
}

void require_only_error(const LoadResult& r, int line, int column, const std::string& message) {
  ConfigError e = only_error(r);
  INFO(all_errors(r));
  CHECK(e.line == line);
  CHECK(e.column == column);
  CHECK(e.message == message);
}

TEST_CASE("unknown probe keys are errors with a suggestion", "[config][probe]") {
  LoadResult r = load(with_probes(R"(      - name: p
        intervall: 10s
        colour: blue
        http:
          url: http://h/
          methd: GET
          folow_redirects: true
      - name: q
        tcp: {adress: "h:1"}
)"));
  require_error_at(r, 5, 9, "services[0].probes[0]: unknown key \"intervall\"; did you mean \"interval\"?");
  require_error_at(
      r, 6, 9,
      "services[0].probes[0]: unknown key \"colour\"; expected one of: name, interval, timeout, http, "
      "tcp");
  require_error_at(r, 9, 11, "services[0].probes[0].http: unknown key \"methd\"; did you mean \"method\"?");
  require_error_at(
      r, 10, 11,
      "services[0].probes[0].http: unknown key \"folow_redirects\"; did you mean \"follow_redirects\"?");
  require_error_at(r, 12, 15, "services[0].probes[1].tcp: unknown key \"adress\"; did you mean \"address\"?");
  CHECK(has_error(r, 12, 14, "services[0].probes[1].tcp: missing required key \"address\""));
  INFO(all_errors(r));
  CHECK(r.errors.size() == 6);
  require_error_at(load("services:\n  - {name: a, probe: []}\n"), 2, 15,
                   "services[0]: unknown key \"probe\"; did you mean \"probes\"?");
}

TEST_CASE("probes must be a list of mappings", "[config][probe]") {
  require_only_error(
      load("services:\n  - name: a\n    probes: {name: p}\n"), 3, 13,
      "services[0].probes: expected a list of probes like {name: checkout-health, http: {url: ...}}, "
      "got a mapping");
  require_only_error(
      load(with_probes("      - p\n")), 4, 9,
      "services[0].probes[0]: expected a probe mapping with name, interval, timeout, and http or tcp, "
      "got \"p\"");
}

TEST_CASE("probe names: required, checked, unique across services", "[config][probe]") {
  require_only_error(load(with_probes("      - {tcp: {address: \"h:1\"}}\n")), 4, 9,
                     "services[0].probes[0]: missing required key \"name\"");
  require_only_error(
      load(with_probes("      - {name: \"a b\", tcp: {address: \"h:1\"}}\n")), 4, 16,
      "services[0].probes[0].name: \"a b\" may contain only letters, digits, '.', '_' and '-'");
  require_only_error(load(with_probes("      - {name: \"\", tcp: {address: \"h:1\"}}\n")), 4, 16,
                     "services[0].probes[0].name: must not be empty");
  require_only_error(load(with_probes("      - {name: [a], tcp: {address: \"h:1\"}}\n")), 4, 16,
                     "services[0].probes[0].name: expected a probe name, got a list");

  LoadResult r = load(R"(services:
  - name: checkout
    probes:
      - {name: health, tcp: {address: "h:1"}}
      - {name: health, tcp: {address: "h:2"}}
  - name: search
    probes:
      - name: health
        tcp: {address: "h:3"}
)");
  require_error_at(
      r, 5, 9,
      "services[0].probes[1]: duplicate probe name \"health\" (first at line 4); probe names are unique "
      "across services");
  require_error_at(
      r, 8, 9,
      "services[1].probes[0]: duplicate probe name \"health\" (first at line 4, service checkout); probe "
      "names are unique across services");
  INFO(all_errors(r));
  CHECK(r.errors.size() == 2);
}

TEST_CASE("exactly one of http and tcp", "[config][probe]") {
  require_only_error(
      load(with_probes("      - {name: p}\n")), 4, 9,
      "services[0].probes[0]: missing what to probe: give http (a request) or tcp (a connect)");
  require_only_error(
      load(with_probes("      - {name: p, http: {url: \"http://h/\"}, tcp: {address: \"h:1\"}}\n")), 4, 9,
      "services[0].probes[0]: give either http or tcp, not both (one probe checks one thing)");
  require_only_error(
      load(with_probes("      - {name: p, http: \"http://h/\"}\n")), 4, 25,
      "services[0].probes[0].http: expected a mapping with url, method, headers, expect_status, "
      "body_contains, body_regex, follow_redirects, max_redirects, tls_verify, got \"http://h/\"");
  require_only_error(
      load(with_probes("      - {name: p, tcp: \"h:1\"}\n")), 4, 24,
      "services[0].probes[0].tcp: expected a mapping with address, like {address: \"127.0.0.1:5432\"}, "
      "got \"h:1\"");
  require_only_error(load(with_probes("      - {name: p, http: {method: GET}}\n")), 4, 25,
                     "services[0].probes[0].http: missing required key \"url\"");
}

TEST_CASE("interval and timeout errors", "[config][probe]") {
  auto probe = [](const std::string& keys) {
    return load(with_probes("      - {name: p, " + keys + ", tcp: {address: \"h:1\"}}\n"));
  };
  require_only_error(probe("interval: 500ms"), 4, 29,
                     "services[0].probes[0].interval: must be at least 1s, got \"500ms\"");
  require_only_error(probe("interval: 0s"), 4, 29,
                     "services[0].probes[0].interval: must be at least 1s, got \"0s\"");
  CHECK(only_error(probe("interval: often"))
            .message.find("services[0].probes[0].interval: invalid duration \"often\"") == 0);
  require_only_error(probe("timeout: 0s"), 4, 28,
                     "services[0].probes[0].timeout: must be longer than 0, got \"0s\"");
  CHECK(only_error(probe("timeout: 10"))
            .message.find("services[0].probes[0].timeout: invalid duration \"10\"") == 0);
  require_only_error(
      probe("interval: 10s, timeout: 11s"), 4, 43,
      "services[0].probes[0].timeout: timeout 11s is longer than the interval 10s: a probe must "
      "finish before the next one starts");
  require_only_error(
      probe("timeout: 1m"), 4, 28,
      "services[0].probes[0].timeout: timeout 1m is longer than the interval 30s (the default): a "
      "probe must finish before the next one starts");
  // A bad interval is reported once; the timeout is not compared with it.
  LoadResult both = probe("interval: 100ms, timeout: 1h");
  CHECK(only_error(both).message.find("interval: must be at least 1s") != std::string::npos);
  CHECK(only_error(probe("interval: [1s]")).message ==
        "services[0].probes[0].interval: expected a duration like 30d, 6h or 15s, got a list");
}

TEST_CASE("url errors", "[config][probe]") {
  struct Case {
    const char* url;
    const char* problem;
  };
  for (const Case& c : {
           Case{"127.0.0.1:8080/healthz", "expected an http:// or https:// URL"},
           Case{"/healthz", "expected an http:// or https:// URL"},
           Case{"ftp://h/", "scheme \"ftp\" is not supported: expected http:// or https://"},
           Case{"://h/", "scheme \"\" is not supported: expected http:// or https://"},
           Case{"http://", "must have a host, like http://127.0.0.1:8080/healthz"},
           Case{"http:///healthz", "must have a host, like http://127.0.0.1:8080/healthz"},
           Case{"http://:8080/", "must have a host, like http://127.0.0.1:8080/healthz"},
           Case{"http://[]:80/", "must have a host, like http://127.0.0.1:8080/healthz"},
           Case{"http://h:0/", "the port must be 1..65535"},
           Case{"http://h:65536/", "the port must be 1..65535"},
           Case{"http://h:/", "the port must be 1..65535"},
           Case{"http://h:http/", "the port must be 1..65535"},
           Case{"http://::1:8080/", "an IPv6 host must be in brackets, like http://[::1]:8080/"},
           Case{"http://[::1/", "an IPv6 host needs its closing ']'"},
           Case{"http://[::1]8080/", "expected ':' and a port after the IPv6 host"},
           Case{"http://h/a b",
                "must not contain spaces or control characters (percent-encode them, e.g. %20)"},
           Case{"http://h/\\t",
                "must not contain spaces or control characters (percent-encode them, e.g. %20)"},
       }) {
    INFO(c.url);
    require_only_error(http_with("url: \"" + std::string(c.url) + "\""), 6, 16,
                       "services[0].probes[0].http.url: \"" +
                           std::string(c.url == std::string("http://h/\\t") ? "http://h/\t" : c.url) +
                           "\": " + c.problem);
  }
  require_only_error(http_with("url: [http://h/]"), 6, 16,
                     "services[0].probes[0].http.url: expected an http:// or https:// URL, got a list");
}

TEST_CASE("credentials in a url are refused and never shown", "[config][probe]") {
  for (const char* url :
       {"https://admin:hunter2@h/healthz", "http://hunter2@h/", "http://user:hunter2@[::1]:80/"}) {
    LoadResult r = http_with("url: \"" + std::string(url) + "\"");
    require_only_error(
        r, 6, 16,
        "services[0].probes[0].http.url: must not contain credentials (user:password@): send them in "
        "a header whose value comes from value_env");
    CHECK(all_errors(r).find("hunter2") == std::string::npos);
  }
  // Nor by another problem found first.
  for (const char* url : {"http://admin:hunt er2@h/", "ftp://admin:hunter2@h/", "http://admin:hunter2@/"}) {
    LoadResult r = http_with("url: \"" + std::string(url) + "\"");
    INFO(all_errors(r));
    CHECK(only_error(r).message.find("services[0].probes[0].http.url: ") == 0);
    CHECK(all_errors(r).find("hunt") == std::string::npos);
  }
}

TEST_CASE("method errors suggest the method", "[config][probe]") {
  require_only_error(http_with("url: http://h/\n          method: get"), 7, 19,
                     "services[0].probes[0].http.method: unknown method \"get\"; did you mean \"GET\"?");
  require_only_error(http_with("url: http://h/\n          method: PSOT"), 7, 19,
                     "services[0].probes[0].http.method: unknown method \"PSOT\"; did you mean \"POST\"?");
  require_only_error(
      http_with("url: http://h/\n          method: CONNECT"), 7, 19,
      "services[0].probes[0].http.method: unknown method \"CONNECT\"; expected one of: GET, HEAD, "
      "POST, PUT, PATCH, DELETE, OPTIONS");
}

TEST_CASE("header errors", "[config][probe]") {
  setenv("SLOGUARD_TEST_EMPTY", "", 1);
  unsetenv("SLOGUARD_TEST_UNSET");
  LoadResult r = load(with_probes(R"(      - name: p
        http:
          url: http://h/
          headers:
            - X-Probe
            - {value: x}
            - {name: "", value: x}
            - {name: X-A}
            - {name: X-B, value: x, value_env: SLOGUARD_TEST_UNSET}
            - {name: X-C, value_env: SLOGUARD_TEST_UNSET}
            - {name: X-D, value_env: SLOGUARD_TEST_EMPTY}
            - {name: X-E, value_env: "not a variable"}
            - {name: X-F, value: [a]}
            - {name: X-G, valeu: x}
)"));
  unsetenv("SLOGUARD_TEST_EMPTY");
  const std::string h = "services[0].probes[0].http.headers";
  require_error_at(
      r, 8, 15,
      h + "[0]: expected a header like {name: X-Probe, value: sloguard} or {name: Authorization, "
          "value_env: VAR}, got a string");
  require_error_at(r, 9, 15, h + "[1]: missing required key \"name\"");
  require_error_at(r, 10, 22, h + "[2].name: must not be empty");
  require_error_at(r, 11, 15, h + "[3]: missing the value: give value or value_env");
  require_error_at(r, 12, 15, h + "[4]: give either value or value_env, not both");
  require_error_at(r, 13, 38, h + "[5].value_env: environment variable SLOGUARD_TEST_UNSET is not set");
  require_error_at(r, 14, 38, h + "[6].value_env: environment variable SLOGUARD_TEST_EMPTY is empty");
  require_error_at(
      r, 15, 38,
      h + "[7].value_env: expected the name of an environment variable (letters, digits and '_', not "
          "starting with a digit), not the secret itself");
  require_error_at(r, 16, 34, h + "[8].value: expected a header value, got a list");
  require_error_at(r, 17, 27, h + "[9]: unknown key \"valeu\"; did you mean \"value\"?");
  require_error_at(r, 17, 15, h + "[9]: missing the value: give value or value_env");
  INFO(all_errors(r));
  CHECK(r.errors.size() == 11);
  // Only the variable that was unset is named, never anything it would hold.
  CHECK(find_error(r, "SLOGUARD_TEST_UNSET")->line == 13);

  require_only_error(
      http_with("url: http://h/\n          headers: {X-Probe: x}"), 7, 20,
      "services[0].probes[0].http.headers: expected a list of headers like {name: X-Probe, value: "
      "sloguard}, got a mapping");
}

TEST_CASE("header secrets never appear in errors", "[config][probe]") {
  setenv("SLOGUARD_TEST_SECRET_HEADER", "Bearer s3cr3t\r\nX-Injected: 1", 1);
  LoadResult r = load(with_probes(R"(      - name: p
        http:
          url: http://h/
          headers:
            - {name: "Authorization: Bearer s3cr3t", value: x}
            - {name: "Authorization", value: "Bearer s3cr3t\r\nX-Injected: 1"}
            - {name: Authorization, value_env: SLOGUARD_TEST_SECRET_HEADER}
            - {name: Authorization, Bearer s3cr3t: x}
            - {name: X-Token, value: {s3cr3t: 1}}
)"));
  unsetenv("SLOGUARD_TEST_SECRET_HEADER");
  const std::string h = "services[0].probes[0].http.headers";
  require_error_at(
      r, 8, 22,
      h + "[0].name: not a valid header name (letters, digits and !#$%&'*+-.^_`|~, no spaces or ':'); "
          "the value goes in value or value_env");
  require_error_at(r, 9, 46, h + "[1].value: must not contain line breaks");
  require_error_at(
      r, 10, 48,
      h + "[2].value_env: environment variable SLOGUARD_TEST_SECRET_HEADER holds a line break, which "
          "cannot be sent in a header");
  require_error_at(r, 11, 37,
                   h + "[3]: unknown key (not shown, it may be a secret); expected one of: name, value, "
                       "value_env (secret values come from value_env)");
  require_error_at(r, 12, 38, h + "[4].value: expected a header value, got a mapping");
  INFO(all_errors(r));
  CHECK(r.errors.size() == 6);  // and [3] has no value
  CHECK(all_errors(r).find("s3cr3t") == std::string::npos);
  CHECK(all_errors(r).find("Injected") == std::string::npos);
}

TEST_CASE("expect_status errors", "[config][probe]") {
  const std::string at = "services[0].probes[0].http.expect_status";
  require_only_error(http_with("url: http://h/\n          expect_status: []"), 7, 26,
                     at + ": must list at least one status code (leave expect_status out for any 2xx)");
  require_only_error(http_with("url: http://h/\n          expect_status: 200"), 7, 26,
                     at + ": expected a list of status codes like [200, 204], got \"200\"");
  LoadResult r = http_with("url: http://h/\n          expect_status: [99, 600, 2xx, abc, 20.0, -200, [200]]");
  CHECK(has_error(r, 7, 27, at + "[0]: expected a status code 100..599, got \"99\""));
  CHECK(has_error(r, 7, 31, at + "[1]: expected a status code 100..599, got \"600\""));
  CHECK(has_error(
      r, 7, 36,
      at + "[2]: expected a status code 100..599, got \"2xx\" (leave expect_status out for any 2xx)"));
  CHECK(has_error(r, 7, 41, at + "[3]: expected a status code 100..599, got \"abc\""));
  CHECK(has_error(r, 7, 46, at + "[4]: expected a status code 100..599, got \"20.0\""));
  CHECK(has_error(r, 7, 52, at + "[5]: expected a status code 100..599, got \"-200\""));
  CHECK(has_error(r, 7, 58, at + "[6]: expected a status code 100..599, got a list"));
  INFO(all_errors(r));
  CHECK(r.errors.size() == 7);
}

TEST_CASE("body check errors name the regex problem", "[config][probe]") {
  const std::string at = "services[0].probes[0].http.";
  require_only_error(http_with("url: http://h/\n          body_contains: \"\""), 7, 26,
                     at + "body_contains: must not be empty (leave it out to not check the body)");
  require_only_error(http_with("url: http://h/\n          body_regex: ''"), 7, 23,
                     at + "body_regex: must not be empty (leave it out to not check the body)");
  struct Case {
    const char* regex;
    const char* problem;
  };
  // RE2's own words. Lookarounds and backreferences are valid in ECMAScript but not in RE2,
  // which keeps matching linear in the body's length.
  for (const Case& c :
       {Case{"(ok", "missing ): (ok"}, Case{"ok)", "unexpected ): ok)"}, Case{"[ok", "missing ]: [ok"},
        Case{"a{2,1}", "invalid repetition size: {2,1}"}, Case{"[z-a]", "invalid character class range: z-a"},
        Case{"ok\\", "trailing \\"}, Case{"(a)\\1", "invalid escape sequence: \\1"},
        Case{"[[:nope:]]", "invalid character class range: [:nope:]"},
        Case{"(?=ok)", "invalid perl operator: (?="}, Case{"(?<!x)ok", "invalid perl operator: (?<"}}) {
    INFO(c.regex);
    require_only_error(http_with("url: http://h/\n          body_regex: '" + std::string(c.regex) + "'"), 7,
                       23, at + "body_regex: invalid RE2 regular expression \"" + c.regex + "\": " + c.problem);
  }
  require_only_error(http_with("url: http://h/\n          body_contains: [a]"), 7, 26,
                     at + "body_contains: expected a string, got a list");
  // HEAD gets no body to check.
  LoadResult head = http_with(
      "url: http://h/\n          method: HEAD\n          body_contains: ok\n          body_regex: '('");
  require_error_at(
      head, 8, 11,
      "services[0].probes[0].http: body_contains needs a response body, and a HEAD request gets none");
  require_error_at(
      head, 9, 11,
      "services[0].probes[0].http: body_regex needs a response body, and a HEAD request gets none");
  CHECK(head.errors.size() == 2);
  // With an unknown method the body checks are still read for their own mistakes.
  LoadResult unknown = http_with("url: http://h/\n          method: HAED\n          body_regex: '('");
  CHECK(has_error(unknown, 8, 23, at + "body_regex: invalid RE2 regular expression \"(\""));
  CHECK(unknown.errors.size() == 2);
}

TEST_CASE("redirect and tls_verify errors", "[config][probe]") {
  const std::string at = "services[0].probes[0].http";
  require_only_error(http_with("url: http://h/\n          follow_redirects: maybe"), 7, 29,
                     at + ".follow_redirects: expected true or false, got \"maybe\"");
  require_only_error(http_with("url: http://h/\n          tls_verify: \"off please\""), 7, 23,
                     at + ".tls_verify: expected true or false, got \"off please\"");
  require_only_error(http_with("url: http://h/\n          max_redirects: 3"), 7, 11,
                     at + ": max_redirects applies only with follow_redirects: true");
  require_only_error(
      http_with("url: http://h/\n          follow_redirects: false\n          max_redirects: 3"), 8, 11,
      at + ": max_redirects applies only with follow_redirects: true");
  for (const char* bad : {"21", "-1", "many", "2.5"}) {
    require_only_error(
        http_with("url: http://h/\n          follow_redirects: true\n          max_redirects: " +
                  std::string(bad)),
        8, 26, at + ".max_redirects: expected a whole number 0..20, got \"" + bad + "\"");
  }
  // A bad follow_redirects is reported alone: max_redirects is still read.
  LoadResult both =
      http_with("url: http://h/\n          follow_redirects: maybe\n          max_redirects: 99");
  CHECK(has_error(both, 7, 29, at + ".follow_redirects: expected true or false"));
  CHECK(has_error(both, 8, 26, at + ".max_redirects: expected a whole number 0..20, got \"99\""));
  CHECK(both.errors.size() == 2);
}

TEST_CASE("tcp address errors", "[config][probe]") {
  const std::string kWhat =
      "services[0].probes[0].tcp.address: expected host:port like 127.0.0.1:5432 or \"[::1]:5432\" (port "
      "1..65535), got ";
  for (const char* bad :
       {"localhost", "h:0", "h:65536", "::1:5432", ":5432", "h:", "h:port", "[::1]", "h :1"}) {
    INFO(bad);
    require_only_error(
        load(with_probes("      - name: p\n        tcp:\n          address: \"" + std::string(bad) + "\"\n")),
        6, 20, kWhat + "\"" + bad + "\"");
  }
  require_only_error(load(with_probes("      - name: p\n        tcp: {}\n")), 5, 14,
                     "services[0].probes[0].tcp: missing required key \"address\"");
}

// A config with probes on checkout (health, db) and search (search-health), then the SLO.
std::string probe_slo(const std::string& slo_lines) {
  return R"(services:
  - name: checkout
    probes:
      - {name: health, http: {url: "http://checkout/healthz"}}
      - {name: db, tcp: {address: "db:5432"}}
  - name: search
    probes:
      - {name: search-health, tcp: {address: "search:9200"}}
  - name: orders
slos:
  - name: s
    objective: 99%
    window: 7d
)" + slo_lines;
}

TEST_CASE("a probe SLI names a probe of its own service", "[config][probe]") {
  const std::string at = "slos[0].sli.probe: ";
  require_only_error(load(probe_slo("    service: checkout\n    sli: {kind: probe, probe: helth}\n")), 15, 31,
                     at + "unknown probe \"helth\" for service checkout; did you mean \"health\"?");
  require_only_error(
      load(probe_slo("    service: checkout\n    sli: {kind: probe, probe: search-health}\n")), 15, 31,
      at + "unknown probe \"search-health\" for service checkout; it belongs to service search");
  require_only_error(load(probe_slo("    service: checkout\n    sli: {kind: probe, probe: checkout}\n")), 15,
                     31, at + "unknown probe \"checkout\" for service checkout; its probes are: health, db");
  require_only_error(load(probe_slo("    service: orders\n    sli: {kind: probe, probe: health}\n")), 15, 31,
                     at + "unknown probe \"health\" for service orders; it belongs to service checkout");
  require_only_error(
      load(probe_slo("    service: orders\n    sli: {kind: probe, probe: x}\n")), 15, 31,
      at + "unknown probe \"x\" for service orders; it has no probes (add them under its probes:)");
  require_only_error(load(probe_slo("    service: checkout\n    sli: {kind: probe, probe: \"\"}\n")), 15, 31,
                     at + "must not be empty (leave probe out for every probe of the service)");
  require_only_error(load(probe_slo("    service: checkout\n    sli: {kind: probe, probe: [health]}\n")), 15,
                     31, at + "expected a probe name, got a list");
  // Every probe of a service that has none: the SLI would never have data.
  require_only_error(load(probe_slo("    service: orders\n    sli: {kind: probe}\n")), 15, 17,
                     "slos[0].sli.kind: service orders has no probes; add one under its probes:");
  // An unknown service is reported once; its probe is not checked.
  require_only_error(load(probe_slo("    service: payments\n    sli: {kind: probe, probe: health}\n")), 14,
                     14,
                     "slos[0].service: unknown service \"payments\"; services are: checkout, search, orders");
}

TEST_CASE("a badly written probe does not also fail the SLIs that name it", "[config][probe]") {
  LoadResult r = load(R"(services:
  - name: checkout
    probes:
      - {name: health, http: {url: "ftp://checkout/"}}
      - {name: "bad name", tcp: {address: "db:5432"}}
      - {name: health, tcp: {address: "h:1"}}
  - name: "bad service"
    probes:
      - {name: other, tcp: {address: "h:1"}}
slos:
  - {name: a, service: checkout, objective: 99%, window: 1d, sli: {kind: probe, probe: health}}
  - {name: b, service: checkout, objective: 99%, window: 1d, sli: {kind: probe, probe: bad name}}
  - {name: c, service: bad service, objective: 99%, window: 1d, sli: {kind: probe, probe: other}}
)");
  INFO(all_errors(r));
  CHECK(has_error(r, 4, 36, "services[0].probes[0].http.url: \"ftp://checkout/\": scheme \"ftp\""));
  CHECK(has_error(r, 5, 16, "services[0].probes[1].name: \"bad name\" may contain only"));
  CHECK(has_error(r, 6, 9, "services[0].probes[2]: duplicate probe name \"health\" (first at line 4)"));
  CHECK(has_error(r, 7, 11, "services[1].name: \"bad service\" may contain only"));
  CHECK(r.errors.size() == 4);
}

TEST_CASE("keys of other SLI kinds are errors with kind probe, and probe with other kinds",
          "[config][probe]") {
  struct Case {
    const char* sli;
    int column;
    const char* error;
  };
  for (const Case& c : {
           Case{"{kind: probe, bad_status: [5xx]}", 24,
                "slos[0].sli: bad_status applies only to kind availability, not probe; a probe SLI counts "
                "failed "
                "probes as bad (a probe's expect_status says which statuses pass)"},
           Case{"{kind: probe, threshold: 500ms}", 24,
                "slos[0].sli: threshold applies only to kind latency, not probe; set kind: latency"},
           Case{"{kind: probe, percentile: 99}", 24,
                "slos[0].sli: percentile applies only to kind percentile, not probe; set kind: percentile"},
           Case{"{kind: probe, target: 300ms}", 24,
                "slos[0].sli: target applies only to kind percentile, not probe; set kind: percentile"},
           Case{"{kind: probe, endpoint: /healthz}", 24,
                "slos[0].sli: endpoint does not apply to kind probe; to judge one probe alone, name it with "
                "probe"},
           Case{"{probe: health}", 11,
                "slos[0].sli: probe applies only to kind probe, not availability; set kind: probe"},
           Case{"{kind: latency, threshold: 1s, probe: health}", 41,
                "slos[0].sli: probe applies only to kind probe, not latency; set kind: probe"},
           Case{"{kind: percentile, percentile: 99, target: 1s, probe: health}", 57,
                "slos[0].sli: probe applies only to kind probe, not percentile; set kind: probe"},
       }) {
    INFO(c.sli);
    require_only_error(load(probe_slo("    service: checkout\n    sli: " + std::string(c.sli) + "\n")), 15,
                       c.column, c.error);
  }
  // A probe SLI judges probe results, which carry no endpoint or version.
  require_only_error(
      load(probe_slo(
          "    service: checkout\n    sli: {kind: probe}\n    group_by: [endpoint]\n    max_groups: 5\n")),
      16, 5,
      "slos[0]: group_by does not apply to probe SLIs; to judge one probe alone, name it with sli.probe");
  // With an unknown kind, probe is read for its own mistakes.
  LoadResult unknown = load(probe_slo("    service: checkout\n    sli: {kind: prob, probe: nope}\n"));
  require_error_at(unknown, 15, 17, "slos[0].sli.kind: unknown SLI kind \"prob\"; did you mean \"probe\"?");
  require_error_at(unknown, 15, 30, "slos[0].sli.probe: unknown probe \"nope\" for service checkout");
  CHECK(unknown.errors.size() == 2);
  require_error_at(load(probe_slo("    service: checkout\n    sli: {kind: probes}\n")), 15, 17,
                   "did you mean \"probe\"?");
}

TEST_CASE("probe errors are all reported at once, in file order", "[config][probe]") {
  unsetenv("SLOGUARD_TEST_NOPE");
  LoadResult r = load(R"yaml(services:
  - name: checkout
    probes:
      - name: health
        interval: 10s
        timeout: 20s
        http:
          url: "https://user:pw@h/"
          method: CONNECT
          headers:
            - {name: Authorization, value_env: SLOGUARD_TEST_NOPE}
          expect_status: [700]
          body_regex: "a)"
          max_redirects: 3
      - name: health
        tcp: {address: "db"}
slos:
  - name: s
    service: checkout
    objective: 99%
    window: 7d
    sli: {kind: probe, probe: healthy, endpoint: /x}
)yaml");
  require_errors(r, {
      {6, 18, "services[0].probes[0].timeout: timeout 20s is longer than the interval 10s"},
      {8, 16, "services[0].probes[0].http.url: must not contain credentials"},
      {9, 19, "services[0].probes[0].http.method: unknown method \"CONNECT\"; expected one of"},
      {11, 48,
       "services[0].probes[0].http.headers[0].value_env: environment variable SLOGUARD_TEST_NOPE is not set"},
      {12, 27, "services[0].probes[0].http.expect_status[0]: expected a status code 100..599, got \"700\""},
      {13, 23,
       "services[0].probes[0].http.body_regex: invalid RE2 regular expression \"a)\": unexpected ): a)"},
      {14, 11, "services[0].probes[0].http: max_redirects applies only with follow_redirects: true"},
      {15, 9, "services[0].probes[1]: duplicate probe name \"health\" (first at line 4)"},
      {16, 24, "services[0].probes[1].tcp.address: expected host:port"},
      {22, 31, "slos[0].sli.probe: unknown probe \"healthy\" for service checkout; did you mean \"health\"?"},
      {22, 40, "slos[0].sli: endpoint does not apply to kind probe"},
  });
  CHECK(all_errors(r).find("pw@") == std::string::npos);
}

}  // namespace
}  // namespace sloguard::config
