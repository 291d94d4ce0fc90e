// SLOs read from a Prometheus-compatible query API (issue 12), against the real thing: the
// scripted day of checkout traffic (tests/support/scripted_series.h) is backfilled into
// Debian's Prometheus, imported into Debian's VictoriaMetrics, and posted to sloguard's own
// store as events. The same availability and latency SLOs read from each must agree, and an
// outage of Prometheus must leave its SLOs without data (never a full or empty budget), the
// gate undecided and the alerts as they were, until it is back.
//
// What "the same" means: the requests of the scrape interval (t - 15s, t] are events dated
// t - 15s, so sloguard's window [at - w, at) holds exactly what sum(increase(SEL[w])) holds
// when evaluated at `at`: the query as written, as Prometheus, Grafana and `sloguard rules
// export` evaluate it (samples in [at - w, at] on Prometheus 2.x, (at - w, at] on
// VictoriaMetrics, which also looks back to the sample at at - w).
//
// Tolerance: counts (good, total, per window) must be equal, and every derived number (ratio,
// budget, burn rate, exhaustion time) equal within a relative 1e-9. The scrapes are on a 15s
// grid that holds every minute, and every window sloguard asks for starts and ends on a whole
// minute, so each TSDB has a sample on both edges of every window (and of every block of
// one): Prometheus' increase() then extrapolates by a factor of exactly 1 (a window reaching
// back before the first sample stops at the counters' zero, where they start), and
// VictoriaMetrics takes the sample on the left edge as its base. The increases are integers
// far below 2^53, so their sums are exact in doubles and only the arithmetic that derives
// ratios and budgets from them may round differently (a few ulps; 1e-9 leaves room for a
// sum of many terms and nothing more). Any extrapolation would show up as a count that is
// off by a fraction of a request or more.
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "child_process.h"
#include "scripted_series.h"
#include "server_fixture.h"
#include "tsdb_fixture.h"

using namespace sloguard::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

constexpr double kRelTol = 1e-9;
const std::vector<std::string> kSources = {"prom", "vm"};
const std::vector<std::string> kKinds = {"availability", "latency"};

// The SLO reading `kind` from `source` ("embedded": the store).
std::string slo_name(const std::string& source, const std::string& kind) {
  return (source == "embedded" ? "" : source + "-") + "checkout-" + kind;
}

std::string config_yaml(const std::string& prom_url, const std::string& vm_url) {
  std::string y = "services: [{name: checkout}]\n"
                  "datasources:\n"
                  "  - {name: prom, kind: prometheus, url: \"" + prom_url + "\", timeout: 5s, max_retries: 1}\n"
                  "  - {name: vm, kind: prometheus, url: \"" + vm_url + "\", timeout: 5s}\n"
                  "slos:\n";
  for (const std::string source : {"embedded", "prom", "vm"}) {
    const bool remote = source != "embedded";
    y += "  - name: " + slo_name(source, "availability") + "\n"
         "    service: checkout\n" +
         (remote ? "    source: " + source + "\n" : "") +
         "    objective: 99.5%\n"
         "    window: 1d\n"
         "    sli:\n"
         "      kind: availability\n";
    if (remote) {
      y += "      prometheus:\n"
           "        bad: 'http_requests_total{job=\"checkout\",code=~\"5..\"}'\n"
           "        total: 'http_requests_total{job=\"checkout\"}'\n";
    }
    y += "  - name: " + slo_name(source, "latency") + "\n"
         "    service: checkout\n" +
         (remote ? "    source: " + source + "\n" : "") +
         // 98%: the baseline's 0.3% of slow requests burn 0.15x, under every page threshold of
         // a 1d SLO (page-6h is 0.2x), so that the gate is open before the incident.
         "    objective: 98%\n"
         "    window: 1d\n"
         "    sli:\n"
         "      kind: latency\n"
         "      threshold: 250ms\n";
    if (remote) {
      y += "      prometheus:\n"
           "        good: 'http_request_duration_seconds_bucket{job=\"checkout\",le=\"0.25\"}'\n"
           "        total: 'http_request_duration_seconds_count{job=\"checkout\"}'\n";
    }
  }
  y += "release:\n  gate: {on_source_error: undecided}\n";
  return y;
}

// Both TSDBs loaded with the script, and an in-process sloguard (manual clock at the script's
// end) whose store holds the same requests as events.
struct Rig {
  ScriptedSeries data = ScriptedSeries::ending_before_now();
  PrometheusTsdb prom{data.openmetrics()};
  VictoriaMetricsTsdb vm;
  std::unique_ptr<ServerFixture> sg;

  Rig() {
    vm.import_prometheus(data.prometheus_text());
    // 4 counters, 2 x 7 histogram series.
    const std::string series = "count({__name__=~\"http_request.*\",job=\"checkout\"})";
    prom.wait_value(series, data.end(), 18);
    vm.wait_value(series, data.end(), 18);
    sg = std::make_unique<ServerFixture>(config_yaml(prom.url(), vm.url()), data.end());
    int64_t accepted = 0;
    for (const auto& body : data.event_batches("checkout")) {
      auto [code, answer] = sg->post("/api/v1/events", body);
      INFO(answer.dump());
      REQUIRE(code == 202);
      accepted += answer["accepted"].get<int64_t>();
    }
    REQUIRE(accepted == data.availability(data.end(), ScriptedSeries::kSpan + 60).total);
  }

  json status(const std::string& slo, std::optional<int64_t> at = std::nullopt) {
    auto [code, body] = sg->get("/api/v1/slos/" + slo + (at ? "?at=" + std::to_string(*at) : ""));
    INFO(slo << ": " << body.dump());
    REQUIRE(code == 200);
    return body;
  }
  json gate() {
    auto [code, body] = sg->get("/api/v1/gate?service=checkout");
    INFO(body.dump());
    REQUIRE(code == 200);
    return body;
  }
  // tier -> "state fired_at resolved_at" of the SLO's alerts.
  std::map<std::string, std::string> alerts(const std::string& slo) {
    auto [code, body] = sg->get("/api/v1/alerts?slo=" + slo);
    INFO(body.dump());
    REQUIRE(code == 200);
    std::map<std::string, std::string> out;
    for (const auto& a : body["alerts"]) {
      out[a.value("tier", "?")] = a.value("state", "?") + " " + a["fired_at"].dump() + " " + a["resolved_at"].dump();
    }
    return out;
  }
  // tier -> state only.
  std::map<std::string, std::string> alert_states(const std::string& slo) {
    std::map<std::string, std::string> out;
    for (const auto& [tier, s] : alerts(slo)) out[tier] = s.substr(0, s.find(' '));
    return out;
  }
  std::string metrics() {
    auto res = sg->http().Get("/metrics");
    REQUIRE(res);
    REQUIRE(res->status == 200);
    return res->body;
  }
  void evaluate_at(int64_t t) {
    sg->clock().set_seconds(t);
    sg->server().evaluate_now();
  }
  // `sloguard gate` (the real binary) against this sloguard: its exit code.
  int cli_gate(std::string* output) {
    ChildProcess p({SLOGUARD_BINARY, "gate", "--server", "http://127.0.0.1:" + std::to_string(sg->server().port()),
                    "--service", "checkout"});
    const int status = p.wait_exit(30s);
    *output = p.output();
    INFO(p.output());
    REQUIRE(status != -1);
    REQUIRE(WIFEXITED(status));
    return WEXITSTATUS(status);
  }
};

json field(const json& j, const std::string& pointer) {
  const json::json_pointer p(pointer);
  return j.contains(p) ? j[p] : json("<missing>");
}

bool exact(const json& a, const json& b) {
  if (a.is_number() && b.is_number()) return a.get<double>() == b.get<double>();
  return a == b;
}
bool close(const json& a, const json& b) {
  if (!a.is_number() || !b.is_number()) return a == b;  // null only with null
  const double x = a.get<double>(), y = b.get<double>();
  return std::fabs(x - y) <= kRelTol * std::max(std::fabs(x), std::fabs(y)) + 1e-12;
}

// Where the status `got` differs from `want`: "field: got X, want Y" lines.
std::vector<std::string> differences(const json& got, const json& want) {
  std::vector<std::string> out;
  auto compare = [&](const std::string& pointer, bool exactly) {
    const json g = field(got, pointer), w = field(want, pointer);
    if (!(exactly ? exact(g, w) : close(g, w))) out.push_back(pointer + ": got " + g.dump() + ", want " + w.dump());
  };
  for (const char* p : {"/at", "/window_start", "/sli/good", "/sli/total", "/error_budget/consumed", "/policy",
                        "/block_releases"}) {
    compare(p, true);
  }
  for (const char* p : {"/sli/ratio", "/error_budget/allowed", "/error_budget/remaining_ratio",
                        "/error_budget/exhausted_in_seconds/at_1h_burn_rate",
                        "/error_budget/exhausted_in_seconds/at_window_burn_rate"}) {
    compare(p, false);
  }
  const json& wb = want["burn_rates"];
  if (!got["burn_rates"].is_object() || got["burn_rates"].size() != wb.size()) {
    out.push_back("/burn_rates: got " + got["burn_rates"].dump() + ", want " + wb.dump());
  } else {
    for (const auto& [w, v] : wb.items()) compare("/burn_rates/" + w, false);
  }
  if (!got["windows"].is_array() || got["windows"].size() != want["windows"].size()) {
    out.push_back("/windows: got " + got["windows"].dump() + ", want " + want["windows"].dump());
  } else {
    for (size_t i = 0; i < want["windows"].size(); ++i) {
      const std::string p = "/windows/" + std::to_string(i);
      compare(p + "/window", true);
      compare(p + "/good", true);
      compare(p + "/total", true);
      compare(p + "/burn_rate", false);
    }
  }
  return out;
}

std::string lines(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& l : v) s += "  " + l + "\n";
  return s;
}

// Every window of the embedded SLO's status holds exactly the script's counts: so that the
// datasources are compared with the truth, not only with each other.
void check_against_script(const json& status, const ScriptedSeries& data, const std::string& kind, int64_t at) {
  REQUIRE(status["windows"].is_array());
  CHECK(status["windows"].size() == 7);  // 5m 30m 1h 2h 6h 1d 3d
  for (const auto& w : status["windows"]) {
    const int64_t seconds = w["seconds"].get<int64_t>();
    const auto want = kind == "availability" ? data.availability(at, seconds) : data.latency(at, seconds);
    INFO(status["name"] << " window " << w.dump() << ": the script has good " << want.good << " of " << want.total);
    CHECK(exact(w["good"], want.good));
    CHECK(exact(w["total"], want.total));
  }
}

// The datasource's SLO agrees with the embedded one at `at`.
void check_agree(Rig& rig, const std::string& source, const std::string& kind, int64_t at, const char* when) {
  const json embedded = rig.status(slo_name("embedded", kind), at);
  const json remote = rig.status(slo_name(source, kind), at);
  INFO(when << " (at = end - " << rig.data.end() - at << "s)\n" << slo_name(source, kind) << ": " << remote.dump()
            << "\n" << slo_name("embedded", kind) << ": " << embedded.dump());
  CHECK(field(embedded, "/source") == json({{"name", "embedded"}, {"up", true}}));
  CHECK(field(remote, "/source/name") == source);
  CHECK(field(remote, "/source/up") == true);
  const auto diff = differences(remote, embedded);
  // For a diagnosis: what the script has in each window, and in the same window one scrape
  // earlier (what a source evaluating just before `at` would count on VictoriaMetrics).
  std::ostringstream script;
  for (const auto& [name, seconds] : std::vector<std::pair<const char*, int64_t>>{
           {"5m", 300}, {"30m", 1800}, {"1h", 3600}, {"2h", 7200}, {"6h", 21600}, {"1d", 86400}, {"3d", 259200}}) {
    auto counts = [&](int64_t t) { return kind == "availability" ? rig.data.availability(t, seconds) : rig.data.latency(t, seconds); };
    const auto now = counts(at), earlier = counts(at - ScriptedSeries::kStep);
    script << "  " << name << ": good/total " << now.good << "/" << now.total << "; one scrape earlier "
           << earlier.good << "/" << earlier.total << "\n";
  }
  INFO("differences:\n" << lines(diff) << "the script's counts (t in (at - w, at]):\n" << script.str());
  CHECK(diff.empty());
}

// The sum of the samples of `name` whose labels include every `labels` pair; null when none.
std::optional<double> metric(const std::string& text, const std::string& name,
                             const std::vector<std::pair<std::string, std::string>>& labels) {
  std::optional<double> sum;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(name, 0) != 0 || line.size() <= name.size()) continue;
    const char next = line[name.size()];
    if (next != '{' && next != ' ') continue;
    const size_t close_brace = next == '{' ? line.find('}') : name.size();
    if (close_brace == std::string::npos) continue;
    const std::string label_text = line.substr(name.size(), close_brace - name.size());
    bool all = true;
    for (const auto& [k, v] : labels) all = all && label_text.find(k + "=\"" + v + "\"") != std::string::npos;
    if (!all) continue;
    sum = sum.value_or(0) + std::stod(line.substr(line.rfind(' ') + 1));
  }
  return sum;
}

std::string grep(const std::string& text, const std::string& needle) {
  std::istringstream in(text);
  std::string out;
  for (std::string line; std::getline(in, line);) {
    if (line.find(needle) != std::string::npos) out += line + "\n";
  }
  return out;
}

}  // namespace

TEST_CASE("prometheus_source: Prometheus and VictoriaMetrics agree with the embedded store on the same SLOs",
          "[integration][prometheus_source]") {
  if (const std::string missing = missing_tsdb_binaries(); !missing.empty()) {
    WARN(missing);
    return;
  }
  const auto started = std::chrono::steady_clock::now();
  Rig rig;
  const ScriptedSeries& d = rig.data;
  const std::vector<std::pair<int64_t, const char*>> instants = {
      {d.end() - 35 * 60, "during the incident"},
      {d.reset_at() + 120, "two minutes after instance b's counter reset"},
      {d.end() - 4 * 3600, "four hours after the reset (the 1d window starts on the first sample)"},
      {d.end(), "at the last sample"},
  };
  for (const auto& [at, when] : instants) {
    for (const auto& kind : kKinds) {
      const json embedded = rig.status(slo_name("embedded", kind), at);
      INFO(when << ": " << embedded.dump());
      check_against_script(embedded, d, kind, at);
      for (const auto& source : kSources) check_agree(rig, source, kind, at, when);
    }
  }
  // The incident is visible (so the agreement is not of empty data), and the day's budget has
  // some of it.
  const json during = rig.status(slo_name("embedded", "availability"), d.end() - 35 * 60);
  CHECK(field(during, "/burn_rates/5m").get<double>() > 10);
  CHECK(field(during, "/error_budget/remaining_ratio").get<double>() < 0.9);
  CHECK(std::chrono::steady_clock::now() - started < 60s);
}

// (No ';' in test names: CMake would split the CTest entry's name there.)
TEST_CASE(
    "prometheus_source: a Prometheus outage leaves its SLOs without data (gate undecided, alerts unchanged) until it "
    "is back",
    "[integration][prometheus_source]") {
  if (const std::string missing = missing_tsdb_binaries(); !missing.empty()) {
    WARN(missing);
    return;
  }
  const auto started = std::chrono::steady_clock::now();
  Rig rig;
  const ScriptedSeries& d = rig.data;
  const int64_t end = d.end();

  // What every SLO of Prometheus shows while it is down: no data and why, never a budget.
  auto check_down = [&](int64_t now) {
    for (const auto& kind : kKinds) {
      for (const std::optional<int64_t> at : {std::optional<int64_t>(), std::optional<int64_t>(now)}) {
        const json s = rig.status(slo_name("prom", kind), at);
        INFO(s.dump());
        CHECK(field(s, "/source/name") == "prom");
        CHECK(field(s, "/source/up") == false);
        CHECK(field(s, "/source/reason") == "unreachable");
        CHECK(field(s, "/source/error").is_string());
        CHECK(!field(s, "/source/error").get<std::string>().empty());
        CHECK(field(s, "/sli").is_null());
        CHECK(field(s, "/error_budget").is_null());
        CHECK(field(s, "/burn_rates").is_null());
        CHECK(field(s, "/policy") == "unknown");
      }
      // VictoriaMetrics is unaffected.
      check_agree(rig, "vm", kind, now, "while Prometheus is down");
    }
    const std::string m = rig.metrics();
    INFO(grep(m, "sloguard_source_"));
    CHECK(metric(m, "sloguard_source_up", {{"datasource", "prom"}}) == std::optional<double>(0));
    CHECK(metric(m, "sloguard_source_up", {{"datasource", "vm"}}) == std::optional<double>(1));
    CHECK(metric(m, "sloguard_source_errors_total", {{"datasource", "prom"}, {"reason", "unreachable"}}).value_or(0) >= 1);
    CHECK(metric(m, "sloguard_source_query_duration_seconds_count", {{"datasource", "vm"}}).value_or(0) > 0);
    CHECK(metric(m, "sloguard_source_query_duration_seconds_count", {{"datasource", "prom"}}).value_or(0) > 0);
  };
  // Prometheus back (same port, same data): its SLOs agree with the embedded ones again at the
  // next round, alerts included.
  auto restart_and_check = [&](int64_t now) {
    rig.prom.start();
    json recovered;
    const bool up = poll_until(
        [&] {
          rig.evaluate_at(now);
          recovered = rig.status(slo_name("prom", "availability"));
          return field(recovered, "/source/up") == true;
        },
        10s, 200ms);
    INFO(recovered.dump());
    REQUIRE(up);
    for (const auto& kind : kKinds) {
      check_agree(rig, "prom", kind, now, "after Prometheus is back");
      INFO(kind);
      CHECK(rig.alert_states(slo_name("prom", kind)) == rig.alert_states(slo_name("embedded", kind)));
    }
    const std::string m = rig.metrics();
    INFO(grep(m, "sloguard_source_"));
    CHECK(metric(m, "sloguard_source_up", {{"datasource", "prom"}}) == std::optional<double>(1));
  };

  // 1. Two hours before the end, before the incident: nothing blocks a release.
  rig.evaluate_at(end - 2 * 3600);
  {
    const json g = rig.gate();
    INFO(g.dump());
    CHECK(field(g, "/allow") == true);
    CHECK(field(g, "/decided") == true);
    std::string out;
    CHECK(rig.cli_gate(&out) == 0);
  }

  // 2. Prometheus goes away: its SLOs have no data, so the gate cannot decide (nothing else
  // blocks), and their alerts stay as they were.
  const auto avail_quiet = rig.alerts(slo_name("prom", "availability"));
  const auto latency_quiet = rig.alerts(slo_name("prom", "latency"));
  rig.prom.stop();
  rig.evaluate_at(end - 2 * 3600 + 300);
  check_down(end - 2 * 3600 + 300);
  CHECK(rig.alerts(slo_name("prom", "availability")) == avail_quiet);
  CHECK(rig.alerts(slo_name("prom", "latency")) == latency_quiet);
  {
    const json g = rig.gate();
    INFO(g.dump());
    CHECK(field(g, "/allow") == false);
    CHECK(field(g, "/decided") == false);
    std::string out;
    CHECK(rig.cli_gate(&out) == 2);
  }
  restart_and_check(end - 2 * 3600 + 600);
  {
    const json g = rig.gate();
    INFO(g.dump());
    CHECK(field(g, "/decided") == true);
    std::string out;
    CHECK(rig.cli_gate(&out) == (field(g, "/allow") == true ? 0 : 1));
  }

  // 3. Rounds into the incident (from end - 50m to end - 20m): the Prometheus SLOs' alerts are
  // the embedded ones', and the page fires.
  rig.evaluate_at(end - 45 * 60);
  rig.evaluate_at(end - 35 * 60);
  for (const auto& kind : kKinds) {
    INFO(kind);
    CHECK(rig.alert_states(slo_name("prom", kind)) == rig.alert_states(slo_name("embedded", kind)));
  }
  const auto avail_incident = rig.alerts(slo_name("prom", "availability"));
  const auto latency_incident = rig.alerts(slo_name("prom", "latency"));
  {
    const auto states = rig.alert_states(slo_name("embedded", "availability"));
    INFO("embedded availability alerts at end - 35m");
    REQUIRE(states.count("page-1h") == 1);
    REQUIRE(states.at("page-1h") == "firing");
  }

  // 4. Prometheus goes away again. 25 minutes later the incident is over: the embedded SLO's
  // page resolves, the Prometheus SLOs' alerts stay exactly as they were.
  rig.prom.stop();
  rig.evaluate_at(end - 10 * 60);
  {
    const auto states = rig.alert_states(slo_name("embedded", "availability"));
    INFO("embedded availability alerts at end - 10m");
    CHECK((states.count("page-1h") == 1 && states.at("page-1h") == "resolved"));
  }
  CHECK(rig.alerts(slo_name("prom", "availability")) == avail_incident);
  CHECK(rig.alerts(slo_name("prom", "latency")) == latency_incident);
  check_down(end - 10 * 60);
  {
    // Other reasons block too (page alerts, the latency budget): the release is denied, and
    // that is a decision (no data from the source could turn it into an allow), so the CLI
    // exits 1; the source error is listed among the reasons.
    const json g = rig.gate();
    INFO(g.dump());
    CHECK(field(g, "/allow") == false);
    CHECK(field(g, "/decided") == true);
    CHECK(g.dump().find("source_error") != std::string::npos);
    std::string out;
    CHECK(rig.cli_gate(&out) == 1);
  }
  restart_and_check(end);
  CHECK(field(rig.gate(), "/decided") == true);
  CHECK(std::chrono::steady_clock::now() - started < 60s);
}
