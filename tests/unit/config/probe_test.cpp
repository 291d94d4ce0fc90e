// Probes under services and SLIs of kind probe: every key, its defaults and accepted forms.
#include <cstdlib>

#include "config_test_util.h"

namespace sloguard::config {
namespace {

using testing::all_errors;
using testing::load;

// One service, checkout, whose probes are `probes` (list entries indented by 6, from line 4).
std::string with_probes(const std::string& probes) {
  return "services:\n  - name: checkout\n    probes:\n" + probes;
}

// The probe of a config that must load.
ProbeConfig only_probe(const std::string& yaml) {
  LoadResult r = load(yaml);
  INFO(yaml << "\n" << all_errors(r));
  REQUIRE(r.ok());
  REQUIRE(r.config->services.size() == 1);
  REQUIRE(r.config->services[0].probes.size() == 1);
  return r.config->services[0].probes[0];
}

ProbeConfig http_probe(const std::string& http_keys) {
  return only_probe(with_probes("      - name: p\n        http:\n          url: http://h/\n" + http_keys));
}

TEST_CASE("the probes of the issue's example load with every key", "[config][probe]") {
  setenv("CHECKOUT_PROBE_AUTH", "Bearer probe-secret", 1);
  LoadResult r = load(R"(services:
  - name: checkout
    probes:
      - name: checkout-health          # unique across all services; [A-Za-z0-9._-]
        interval: 30s                  # default 30s, >= 1s
        timeout: 10s                   # default 10s, > 0 and <= interval
        http:
          url: http://127.0.0.1:8080/healthz   # http or https, must have a host
          method: GET                  # GET HEAD POST PUT PATCH DELETE OPTIONS
          headers:                     # optional; each value from `value` or `value_env`
            - {name: X-Probe, value: sloguard}
            - {name: Authorization, value_env: CHECKOUT_PROBE_AUTH}
          expect_status: [200, 204]    # default: any 2xx; codes 100..599
          body_contains: "ok"          # optional
          body_regex: "^ok"            # optional, ECMAScript
          follow_redirects: false      # default false
          tls_verify: true             # default true
      - name: checkout-db
        tcp: {address: "127.0.0.1:5432"}   # host:port (port 1..65535; [v6]:port allowed)
slos:
  - name: checkout-probes
    service: checkout
    objective: 99.9%
    window: 30d
    sli: {kind: probe}
  - name: checkout-health
    service: checkout
    objective: 99%
    window: 7d
    sli: {kind: probe, probe: checkout-health}
)");
  unsetenv("CHECKOUT_PROBE_AUTH");
  INFO(all_errors(r));
  REQUIRE(r.ok());
  const Config& c = *r.config;
  REQUIRE(c.services.size() == 1);
  REQUIRE(c.services[0].probes.size() == 2);

  const ProbeConfig& h = c.services[0].probes[0];
  CHECK(h.name == "checkout-health");
  CHECK(h.service == "checkout");
  CHECK(h.kind == ProbeKind::kHttp);
  CHECK(h.interval_ms == 30000);
  CHECK(h.timeout_ms == 10000);
  CHECK(h.http.url == "http://127.0.0.1:8080/healthz");
  CHECK(h.http.method == "GET");
  using Headers = std::vector<std::pair<std::string, std::string>>;
  CHECK(h.http.headers == Headers{{"X-Probe", "sloguard"}, {"Authorization", "Bearer probe-secret"}});
  CHECK(h.http.expect_status == std::vector<int>{200, 204});
  CHECK(h.http.body_contains == "ok");
  CHECK(h.http.body_regex == "^ok");
  CHECK_FALSE(h.http.follow_redirects);
  CHECK(h.http.max_redirects == 5);
  CHECK(h.http.tls_verify);

  const ProbeConfig& db = c.services[0].probes[1];
  CHECK(db.name == "checkout-db");
  CHECK(db.service == "checkout");
  CHECK(db.kind == ProbeKind::kTcp);
  CHECK(db.tcp.host == "127.0.0.1");
  CHECK(db.tcp.port == 5432);
  CHECK(db.interval_ms == 30000);
  CHECK(db.timeout_ms == 10000);

  CHECK(c.find_probe("checkout-health") == &h);
  CHECK(c.find_probe("checkout-db") == &db);
  CHECK(c.find_probe("nope") == nullptr);

  const SloConfig* all = c.find_slo("checkout-probes");
  REQUIRE(all != nullptr);
  CHECK(all->sli.kind == SliKind::kProbe);
  CHECK(all->sli.probe.empty());
  CHECK(all->sli.endpoint.empty());
  CHECK(all->budgeting.method == BudgetingMethod::kOccurrences);
  const SloConfig* one = c.find_slo("checkout-health");  // SLOs and probes have separate names
  REQUIRE(one != nullptr);
  CHECK(one->sli.probe == "checkout-health");
  CHECK(c.latency_thresholds_us("checkout").empty());
}

TEST_CASE("an http probe with only a name and a url gets every default", "[config][probe]") {
  ProbeConfig p = only_probe(with_probes("      - {name: p, http: {url: \"http://h/\"}}\n"));
  CHECK(p.name == "p");
  CHECK(p.service == "checkout");
  CHECK(p.kind == ProbeKind::kHttp);
  CHECK(p.interval_ms == 30000);
  CHECK(p.timeout_ms == 10000);
  CHECK(p.http.url == "http://h/");
  CHECK(p.http.method == "GET");
  CHECK(p.http.headers.empty());
  CHECK(p.http.expect_status.empty());
  CHECK(p.http.body_contains.empty());
  CHECK(p.http.body_regex.empty());
  CHECK_FALSE(p.http.follow_redirects);
  CHECK(p.http.max_redirects == 5);
  CHECK(p.http.tls_verify);

  // The defaults of the structs built in code are the same.
  ProbeConfig code;
  CHECK(code.kind == ProbeKind::kHttp);
  CHECK(code.interval_ms == 30000);
  CHECK(code.timeout_ms == 10000);
  CHECK(code.http.method == "GET");
  CHECK(code.http.max_redirects == 5);
  CHECK(code.http.tls_verify);
  CHECK_FALSE(code.http.follow_redirects);
}

TEST_CASE("interval and timeout", "[config][probe]") {
  struct Case {
    const char* keys;
    int64_t interval_ms, timeout_ms;
  };
  for (const Case& c : {
           Case{"interval: 1s", 1000, 1000},  // the default timeout is cut to a shorter interval
           Case{"interval: 5s", 5000, 5000},
           Case{"interval: 10s", 10000, 10000},
           Case{"interval: 1m", 60000, 10000},
           Case{"interval: 1500ms", 1500, 1500},
           Case{"timeout: 1ms", 30000, 1},
           Case{"timeout: 30s", 30000, 30000},  // equal to the default interval
           Case{"interval: 2s, timeout: 2s", 2000, 2000},
           Case{"interval: 1h, timeout: 1m", 3600000, 60000},
           Case{"interval: 10s, timeout: 500ms", 10000, 500},
       }) {
    ProbeConfig p =
        only_probe(with_probes("      - {name: p, " + std::string(c.keys) + ", tcp: {address: \"h:1\"}}\n"));
    INFO(c.keys);
    CHECK(p.interval_ms == c.interval_ms);
    CHECK(p.timeout_ms == c.timeout_ms);
  }
}

TEST_CASE("http probe urls", "[config][probe]") {
  struct Case {
    const char* written;
    const char* stored;
  };
  for (const Case& c : {
           Case{"http://127.0.0.1:8080/healthz", "http://127.0.0.1:8080/healthz"},
           Case{"https://example.com", "https://example.com"},
           Case{"https://example.com:443/a/b?x=1&y=2#frag", "https://example.com:443/a/b?x=1&y=2#frag"},
           Case{"http://[::1]:8080/healthz", "http://[::1]:8080/healthz"},
           Case{"http://[::1]/", "http://[::1]/"},
           Case{"http://localhost:65535", "http://localhost:65535"},
           Case{"http://h?q", "http://h?q"},
           Case{"HTTPS://Example.com/Path", "https://Example.com/Path"},  // schemes are case-insensitive
           Case{"Http://h/", "http://h/"},
       }) {
    ProbeConfig p =
        only_probe(with_probes("      - {name: p, http: {url: \"" + std::string(c.written) + "\"}}\n"));
    CHECK(p.http.url == c.stored);
  }
}

TEST_CASE("http probe methods", "[config][probe]") {
  for (const char* m : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}) {
    CHECK(http_probe("          method: " + std::string(m) + "\n").http.method == m);
  }
}

TEST_CASE("headers take a value or a variable's value", "[config][probe]") {
  setenv("SLOGUARD_TEST_PROBE_HEADER", "from env", 1);
  ProbeConfig p = http_probe(R"(          headers:
            - name: X-Probe
              value: sloguard
            - {name: Authorization, value_env: SLOGUARD_TEST_PROBE_HEADER}
            - {name: X-Number, value: 42}
            - {name: X-Empty, value: ""}
            - {name: "X-Odd!#$%&'*+-.^_`|~", value: "a: b, c"}
            - {name: X-Probe, value: twice}
)");
  unsetenv("SLOGUARD_TEST_PROBE_HEADER");
  using Headers = std::vector<std::pair<std::string, std::string>>;
  CHECK(p.http.headers == Headers{{"X-Probe", "sloguard"},
                                  {"Authorization", "from env"},
                                  {"X-Number", "42"},
                                  {"X-Empty", ""},
                                  {"X-Odd!#$%&'*+-.^_`|~", "a: b, c"},
                                  {"X-Probe", "twice"}});  // repeated headers are sent as written
  CHECK(http_probe("          headers: []\n").http.headers.empty());
}

TEST_CASE("expect_status lists codes, each once", "[config][probe]") {
  CHECK(http_probe("          expect_status: [200]\n").http.expect_status == std::vector<int>{200});
  CHECK(http_probe("          expect_status: [100, \"599\", 301, 200, 301]\n").http.expect_status ==
        std::vector<int>{100, 599, 301, 200});
}

TEST_CASE("body checks", "[config][probe]") {
  ProbeConfig p = http_probe(
      "          body_contains: '\"status\": \"ok\"'\n          body_regex: '^\\{.*\"ok\".*\\}$'\n");
  CHECK(p.http.body_contains == "\"status\": \"ok\"");
  CHECK(p.http.body_regex == "^\\{.*\"ok\".*\\}$");
  CHECK(http_probe("          body_regex: \"(?:a|b)+[0-9]{2,3}\\\\d\"\n").http.body_regex ==
        "(?:a|b)+[0-9]{2,3}\\d");
  CHECK(http_probe("          method: POST\n          body_contains: created\n").http.body_contains ==
        "created");
}

TEST_CASE("redirects and TLS verification", "[config][probe]") {
  ProbeConfig follow = http_probe("          follow_redirects: true\n");
  CHECK(follow.http.follow_redirects);
  CHECK(follow.http.max_redirects == 5);
  CHECK(http_probe("          follow_redirects: yes\n          max_redirects: 0\n").http.max_redirects == 0);
  CHECK(http_probe("          follow_redirects: true\n          max_redirects: 20\n").http.max_redirects ==
        20);
  CHECK(http_probe("          follow_redirects: false\n").http.follow_redirects == false);
  CHECK_FALSE(http_probe("          tls_verify: false\n").http.tls_verify);
  CHECK(http_probe("          tls_verify: true\n").http.tls_verify);
}

TEST_CASE("tcp probe addresses", "[config][probe]") {
  struct Case {
    const char* written;
    const char* host;
    int port;
  };
  for (const Case& c : {Case{"127.0.0.1:5432", "127.0.0.1", 5432}, Case{"db.internal:1", "db.internal", 1},
                        Case{"localhost:65535", "localhost", 65535}, Case{"\"[::1]:6379\"", "::1", 6379},
                        Case{"\"[fe80::1%eth0]:22\"", "fe80::1%eth0", 22}}) {
    ProbeConfig p = only_probe(
        with_probes("      - name: p\n        tcp:\n          address: " + std::string(c.written) + "\n"));
    INFO(c.written);
    CHECK(p.kind == ProbeKind::kTcp);
    CHECK(p.tcp.host == c.host);
    CHECK(p.tcp.port == c.port);
    CHECK(p.http.url.empty());
  }
}

TEST_CASE("probes of several services, found by name", "[config][probe]") {
  LoadResult r = load(R"(services:
  - name: checkout
    probes:
      - {name: checkout-health, http: {url: "http://checkout/healthz"}}
      - {name: checkout.db_1, tcp: {address: "db:5432"}}
  - name: search
    probes:
  - name: orders
    probes: []
  - name: billing
    probes:
      - {name: billing-health, http: {url: "https://billing/healthz"}}
slos:
  - {name: a, service: checkout, objective: 99%, window: 1d, sli: {kind: probe, probe: checkout.db_1}}
  - {name: b, service: billing, objective: 99%, window: 1d, sli: {kind: probe}}
)");
  INFO(all_errors(r));
  REQUIRE(r.ok());
  const Config& c = *r.config;
  REQUIRE(c.services.size() == 4);
  CHECK(c.services[0].probes.size() == 2);
  CHECK(c.services[1].probes.empty());
  CHECK(c.services[2].probes.empty());
  REQUIRE(c.services[3].probes.size() == 1);
  CHECK(c.find_probe("billing-health") == &c.services[3].probes[0]);
  CHECK(c.find_probe("billing-health")->service == "billing");
  CHECK(c.find_probe("checkout.db_1")->service == "checkout");
  CHECK(c.find_slo("a")->sli.probe == "checkout.db_1");
  CHECK(c.find_slo("b")->sli.probe.empty());
}

TEST_CASE("probe SLIs budget by occurrences or time slices", "[config][probe]") {
  const std::string base =
      with_probes("      - {name: p, tcp: {address: \"h:1\"}}\n") +
      "slos:\n  - name: s\n    service: checkout\n    objective: 99.5%\n    window: 30d\n"
      "    sli: {kind: probe, probe: p}\n";
  LoadResult occ = load(base + "    budgeting: {method: occurrences}\n");
  INFO(all_errors(occ));
  REQUIRE(occ.ok());
  CHECK(occ.config->slos[0].budgeting.method == BudgetingMethod::kOccurrences);

  LoadResult slices = load(base + "    budgeting: {method: timeslices, slice: 5m}\n");
  INFO(all_errors(slices));
  REQUIRE(slices.ok());
  const BudgetingConfig& b = slices.config->slos[0].budgeting;
  CHECK(b.method == BudgetingMethod::kTimeslices);
  CHECK(b.slice_seconds == 300);
  CHECK(b.slice_target == Approx(0.995));  // the objective, as for availability

  LoadResult target = load(base + "    budgeting: {method: timeslices, slice_target: 90%}\n");
  INFO(all_errors(target));
  REQUIRE(target.ok());
  CHECK(target.config->slos[0].budgeting.slice_target == Approx(0.9));
  CHECK(target.config->slos[0].budgeting.slice_seconds == 60);
}

TEST_CASE("a service without probes still loads, with or without the key", "[config][probe]") {
  for (const char* yaml : {"services:\n  - name: a\n    probes:\n",
                           "services:\n  - name: a\n    probes: []\n", "services:\n  - {name: a}\n"}) {
    LoadResult r = load(yaml);
    INFO(yaml << "\n" << all_errors(r));
    REQUIRE(r.ok());
    CHECK(r.config->services[0].probes.empty());
  }
}

}  // namespace
}  // namespace sloguard::config
