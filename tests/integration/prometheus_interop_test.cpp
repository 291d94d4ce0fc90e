// The Grafana dashboards against a real Prometheus (Debian's package): an in-process sloguard
// fed a scripted stream with recent timestamps is scraped every second by a Prometheus started
// here on loopback, and every PromQL expression in grafana/dashboards/*.json must parse and
// return data through Prometheus's query API.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "child_process.h"
#include "polling.h"
#include "loopback_http.h"
#include "server_fixture.h"

using namespace sloguard;
using nlohmann::json;

using sloguard::testing::free_loopback_port;
using sloguard::testing::poll_until;

namespace {

namespace fs = std::filesystem;

// Metrics the dashboards use that are not produced yet. Expressions naming them are only
// checked to parse; every other expression must return data. Empty now: the scripted stream
// below fires alerts, delivers a notification and registers a deployment, so the alert,
// notification, gate and deployment metrics all have series.
const std::vector<std::string> kPendingMetrics = {};

// {{HOOK_URL}} is replaced by the loopback webhook receiver's URL.
const char* kConfig = R"(
evaluation_interval: 15s
services:
  - name: checkout
    probes:
      - name: checkout-health
        interval: 10s
        http: {url: "http://127.0.0.1:1/health"}
  - name: search
slos:
  - name: checkout-availability
    service: checkout
    objective: 99.5%
    window: 30d
    sli: {kind: availability}
    alerting: {notify: [oncall-hook]}
  - name: checkout-latency
    service: checkout
    objective: 95%
    window: 7d
    sli: {kind: latency, threshold: 300ms, endpoint: "/api/*"}
    group_by: [endpoint]
    alerting: {notify: [oncall-hook]}
  - name: search-p99
    service: search
    objective: 99%
    window: 7d
    sli: {kind: percentile, percentile: 99, target: 300ms}
  - name: checkout-probe
    service: checkout
    objective: 90%
    window: 7d
    sli: {kind: probe, probe: checkout-health}
notifiers:
  - {name: oncall-hook, kind: webhook, url: "{{HOOK_URL}}"}
)";

std::string config_with_hook(const std::string& url) {
  std::string text = kConfig;
  const std::string placeholder = "{{HOOK_URL}}";
  text.replace(text.find(placeholder), placeholder.size(), url);
  return text;
}

// The on-call webhook: a loopback receiver that accepts every notification (200) and keeps
// the webhook-id of each.
class WebhookReceiver {
 public:
  WebhookReceiver() {
    http_.server().Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        ids_.push_back(req.get_header_value("webhook-id"));
      }
      res.status = 200;
      res.set_content("{}", "application/json");
    });
    http_.start();
  }
  std::string url() const { return http_.url("/hook"); }
  std::vector<std::string> ids() {
    std::lock_guard<std::mutex> lock(mu_);
    return ids_;
  }

 private:
  testing::LoopbackHttpServer http_;
  std::mutex mu_;
  std::vector<std::string> ids_;
};

// What the template variables stand for when the queries run: the SLO with the most panels
// (a grouped latency SLO of checkout) and Grafana's interval variables at a 1s scrape.
const std::vector<std::pair<std::string, std::string>> kVariables = {
    {"__rate_interval", "1m"}, {"__interval", "15s"}, {"__range", "1h"}, {"datasource", "prometheus"},
    {"service", "checkout"},   {"slo", "checkout-latency"}, {"group", ".*"},
};

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  for (size_t start = 0; start <= dirs.size();) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    fs::path candidate = fs::path(dirs.substr(start, end - start)) / name;
    if (!candidate.parent_path().empty() && access(candidate.c_str(), X_OK) == 0) return candidate.string();
    start = end + 1;
  }
  return "";
}

// One query found in a dashboard: a panel's or an annotation's expr, or a template variable's
// label_values(selector, label).
struct DashboardQuery {
  std::string where;  // "sloguard-overview.json: panel 7 \"SLOs\""
  std::string expr;   // with the variables substituted
  std::string label;  // label_values: the label whose values are listed; "" for plain exprs
};

std::string substitute(std::string text) {
  // Longer names first, so that $slo does not eat the start of a longer name.
  auto vars = kVariables;
  std::sort(vars.begin(), vars.end(), [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  for (const auto& [name, value] : vars) {
    for (const std::string& pattern : {"${" + name + "}", "$" + name}) {
      for (size_t pos = 0; (pos = text.find(pattern, pos)) != std::string::npos; pos += value.size()) {
        text.replace(pos, pattern.size(), value);
      }
    }
  }
  return text;
}

void collect_exprs(const json& node, const std::string& where, std::vector<DashboardQuery>& out) {
  if (node.is_object()) {
    std::string here = where;
    if (node.contains("id") && node.contains("title") && node["id"].is_number()) {
      here = where + ": panel " + std::to_string(node["id"].get<int>()) + " \"" + node["title"].get<std::string>() + "\"";
    } else if (node.contains("name") && node["name"].is_string() && node.contains("expr")) {
      here = where + ": annotation \"" + node["name"].get<std::string>() + "\"";
    }
    for (const auto& [key, value] : node.items()) {
      if (key == "expr" && value.is_string()) {
        out.push_back({here, substitute(value.get<std::string>()), ""});
      } else {
        collect_exprs(value, here, out);
      }
    }
  } else if (node.is_array()) {
    for (const auto& v : node) collect_exprs(v, where, out);
  }
}

std::vector<DashboardQuery> dashboard_queries(const std::string& file) {
  std::ifstream in(fs::path(SLOGUARD_SOURCE_DIR) / "grafana" / "dashboards" / file);
  REQUIRE(in);
  const json dash = json::parse(in);
  std::vector<DashboardQuery> out;
  collect_exprs(dash["panels"], file, out);
  collect_exprs(dash["annotations"], file, out);
  for (const auto& v : dash["templating"]["list"]) {
    if (v["type"] != "query") continue;
    const json& q = v["query"];
    std::string text = q.is_string() ? q.get<std::string>() : q["query"].get<std::string>();
    const std::string where = file + ": variable $" + v["name"].get<std::string>();
    const std::string prefix = "label_values(";
    REQUIRE(text.rfind(prefix, 0) == 0);
    const size_t comma = text.rfind(',');
    REQUIRE(comma != std::string::npos);
    std::string label = text.substr(comma + 1, text.rfind(')') - comma - 1);
    label.erase(0, label.find_first_not_of(' '));
    out.push_back({where, substitute(text.substr(prefix.size(), comma - prefix.size())), label});
  }
  return out;
}

std::vector<DashboardQuery> all_dashboard_queries() {
  auto q = dashboard_queries("sloguard-overview.json");
  auto d = dashboard_queries("sloguard-slo-detail.json");
  q.insert(q.end(), d.begin(), d.end());
  return q;
}

bool is_pending(const DashboardQuery& q) {
  return std::any_of(kPendingMetrics.begin(), kPendingMetrics.end(),
                     [&](const std::string& m) { return q.expr.find(m) != std::string::npos; });
}

// A scripted stream over the last three days, ending a minute and a half ago: steady checkout
// and search traffic every 10 minutes with a few errors and slow requests, more of both in
// the last hour, pushed probe results, and a fast burn on checkout /api/pay over the last
// five minutes (slow 503s), so that page tiers of both checkout SLOs fire and the webhook
// receives their notifications. A deployment of checkout is registered as well.
void feed(testing::ServerFixture& fx, WebhookReceiver& receiver, int64_t now) {
  json events = json::array();
  for (int64_t i = 0; i < 3 * 144; ++i) {
    const int64_t ts = now - 90 - i * 600;
    const bool recent = i < 6;
    for (const char* endpoint : {"/api/pay", "/api/cart"}) {
      events.push_back({{"service", "checkout"}, {"ts", ts}, {"status", 200}, {"latency_ms", 40}, {"count", 50},
                        {"endpoint", endpoint}});
      events.push_back({{"service", "checkout"}, {"ts", ts}, {"status", 200}, {"latency_ms", 900},
                        {"count", recent ? 8 : 1}, {"endpoint", endpoint}});
      events.push_back({{"service", "checkout"}, {"ts", ts}, {"status", 503}, {"latency_ms", 20},
                        {"count", recent ? 5 : 1}, {"endpoint", endpoint}});
    }
    events.push_back({{"service", "search"}, {"ts", ts}, {"status", 200}, {"latency_ms", 120}, {"count", 30}});
    events.push_back({{"service", "search"}, {"ts", ts}, {"status", 500}, {"latency_ms", 800}, {"count", 1}});
  }
  for (int64_t m = 0; m < 4; ++m) {
    events.push_back({{"service", "checkout"}, {"ts", now - 90 - m * 60}, {"status", 503}, {"latency_ms", 2000},
                      {"count", 60}, {"endpoint", "/api/pay"}});
  }
  auto [code, body] = fx.post("/api/v1/events", json{{"events", events}}.dump());
  INFO(body.dump());
  REQUIRE(code == 202);

  json results = json::array();
  for (int i = 0; i < 5; ++i) {
    results.push_back({{"probe", "checkout-health"}, {"ts", now - 60 - i * 10}, {"success", i != 2}, {"latency_ms", 15}});
  }
  auto [pcode, pbody] = fx.post("/api/v1/probes", json{{"results", results}}.dump());
  INFO(pbody.dump());
  REQUIRE(pcode == 202);

  auto [dcode, dbody] = fx.post("/api/v1/deployments", json{{"service", "checkout"},
                                                             {"version", "v2.4.0"},
                                                             {"previous_version", "v2.3.9"},
                                                             {"environment", "production"},
                                                             {"started_at", now - 120}}
                                                            .dump());
  INFO(dbody.dump());
  REQUIRE(dcode == 201);

  // The alert round queues the firing notifications; the fixture has no dispatcher thread,
  // so they are delivered here. A second round refreshes the outbox gauges.
  fx.server().evaluate_now();
  auto [acode, alerts] = fx.get("/api/v1/alerts?state=firing");
  INFO(alerts.dump());
  REQUIRE(acode == 200);
  std::set<std::string> firing;
  for (const auto& a : alerts["alerts"]) firing.insert(a["slo"].get<std::string>() + "/" + a["tier"].get<std::string>());
  REQUIRE(firing.count("checkout-availability/page-1h") == 1);
  REQUIRE(firing.count("checkout-latency/page-1h") == 1);
  REQUIRE(fx.server().deliver_now() >= 2);
  CHECK(receiver.ids().size() >= 2);
  fx.server().evaluate_now();
  auto [ncode, notifications] = fx.get("/api/v1/notifications");
  INFO(notifications.dump());
  REQUIRE(ncode == 200);
  CHECK(notifications["pending"].empty());
  CHECK(notifications["dead_letters"].empty());
}

// Prometheus from Debian's package, on loopback, scraping one target every second, with its
// own config and storage in a temp dir. Stopped (SIGTERM, then SIGKILL) on destruction.
class Prometheus {
 public:
  explicit Prometheus(int target_port) {
    const std::string binary = find_on_path("prometheus");
    if (binary.empty()) {
      FAIL("prometheus is not on PATH: install Debian's prometheus package (scripts/setup.sh installs it)");
    }
    port_ = free_loopback_port();
    const fs::path config = dir_.path() / "prometheus.yml";
    std::ofstream(config) << "global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}\n"
                             "scrape_configs:\n"
                             "  - job_name: sloguard\n"
                             "    scrape_interval: 1s\n"
                             "    static_configs: [{targets: ['127.0.0.1:"
                          << target_port << "']}]\n";
    log_ = (dir_.path() / "prometheus.log").string();
    // The shell only redirects Prometheus's output to a file (a pipe nobody reads could fill
    // up) and execs it, so the child is Prometheus itself.
    process_ = std::make_unique<testing::ChildProcess>(std::vector<std::string>{
        "/bin/sh", "-c", "exec \"$0\" \"$@\" >'" + log_ + "' 2>&1", binary, "--config.file=" + config.string(),
        "--storage.tsdb.path=" + (dir_.path() / "data").string(),
        "--web.listen-address=127.0.0.1:" + std::to_string(port_), "--log.level=info"});
    client_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
    client_->set_connection_timeout(std::chrono::seconds(2));
    client_->set_read_timeout(std::chrono::seconds(10));
    const bool ready = poll_until(
        [&] {
          auto res = client_->Get("/-/ready");
          return res && res->status == 200;
        },
        std::chrono::seconds(30));
    if (!ready) FAIL("prometheus did not become ready within 30s; its log:\n" << log());
  }
  ~Prometheus() {
    if (!process_) return;
    process_->signal(SIGTERM);
    process_->wait_exit(std::chrono::seconds(15));  // ChildProcess kills it if still running
  }

  // GET /api/v1/query at the current time; the parsed body (null when not JSON).
  json query(const std::string& expr) {
    auto res = client_->Get("/api/v1/query", httplib::Params{{"query", expr}}, httplib::Headers{});
    if (!res) return json{{"status", "error"}, {"error", "no response: " + httplib::to_string(res.error())}};
    return json::parse(res->body, nullptr, false);
  }

  std::string log() const {
    std::ifstream in(log_);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

 private:
  testing::TempDir dir_;
  int port_ = 0;
  std::string log_;
  std::unique_ptr<testing::ChildProcess> process_;
  std::unique_ptr<httplib::Client> client_;
};

// sloguard fed with the stream, and Prometheus once it has scraped it a few times (enough for
// rate() over a minute).
// The fixture's manual clock is set to the real time once: the stream and the evaluation use
// it, while Prometheus scrapes the published gauges in real time.
struct Setup {
  int64_t now = unix_now();
  WebhookReceiver receiver;
  testing::ServerFixture fx{config_with_hook(receiver.url()), now};
  std::unique_ptr<Prometheus> prom;

  Setup() {
    feed(fx, receiver, now);
    prom = std::make_unique<Prometheus>(fx.server().port());
    const bool scraped = poll_until(
        [&] {
          json r = prom->query("count_over_time(sloguard_build_info[1m]) >= 3");
          return r.value("status", "") == "success" && !r["data"]["result"].empty();
        },
        std::chrono::seconds(60));
    if (!scraped) FAIL("prometheus did not scrape sloguard 3 times within 60s; its log:\n" << prom->log());
  }
};

bool has_data(const DashboardQuery& q, const json& r) {
  const json& result = r["data"]["result"];
  if (r["data"]["resultType"] == "scalar" || r["data"]["resultType"] == "string") return true;
  if (q.label.empty()) return !result.empty();
  return std::any_of(result.begin(), result.end(),
                     [&](const json& s) { return !s["metric"].value(q.label, std::string()).empty(); });
}

}  // namespace

TEST_CASE("dashboards have a schema version, a stable uid, unique panel ids and a datasource variable") {
  for (const std::string file : {"sloguard-overview.json", "sloguard-slo-detail.json"}) {
    INFO(file);
    std::ifstream in(fs::path(SLOGUARD_SOURCE_DIR) / "grafana" / "dashboards" / file);
    REQUIRE(in);
    const json dash = json::parse(in);
    CHECK(dash["schemaVersion"].get<int>() >= 36);
    CHECK(dash["uid"] == fs::path(file).stem().string());
    std::set<int> ids;
    for (const auto& p : dash["panels"]) {
      INFO(p["title"]);
      CHECK(ids.insert(p["id"].get<int>()).second);
      CHECK(p["datasource"]["uid"] == "${datasource}");
      for (const auto& t : p["targets"]) CHECK(t["datasource"]["uid"] == "${datasource}");
    }
    std::set<std::string> vars;
    for (const auto& v : dash["templating"]["list"]) vars.insert(v["name"].get<std::string>());
    CHECK(vars == std::set<std::string>{"datasource", "service", "slo", "group"});
    CHECK(dash["templating"]["list"][0]["type"] == "datasource");
    CHECK(dash["templating"]["list"][0]["query"] == "prometheus");
  }
  // No window baked into a metric name: windows are the `window` label's values.
  for (const auto& q : all_dashboard_queries()) {
    INFO(q.where << ": " << q.expr);
    CHECK(q.expr.find("_5m") == std::string::npos);
    CHECK(q.expr.find("_1h") == std::string::npos);
    CHECK(q.expr.find("_30d") == std::string::npos);
  }
}

TEST_CASE("every dashboard query parses and returns data in a real Prometheus scraping sloguard") {
  Setup s;
  size_t checked = 0;
  for (const auto& q : all_dashboard_queries()) {
    if (is_pending(q)) continue;
    INFO(q.where << "\n  " << q.expr);
    json r = s.prom->query(q.expr);
    INFO("prometheus answered: " << r.dump());
    REQUIRE(r.value("status", "") == "success");
    CHECK(has_data(q, r));
    ++checked;
  }
  CHECK(checked >= 25);
}

TEST_CASE("dashboard queries on pending metrics parse, data checked once the metrics are merged") {
  Setup s;
  size_t pending = 0;
  for (const auto& q : all_dashboard_queries()) {
    if (!is_pending(q)) continue;
    INFO(q.where << "\n  " << q.expr);
    json r = s.prom->query(q.expr);
    INFO("prometheus answered: " << r.dump());
    REQUIRE(r.value("status", "") == "success");
    if (!has_data(q, r)) WARN("no data yet (pending metric): " << q.where << ": " << q.expr);
    ++pending;
  }
  // Each pending metric is used somewhere; once kPendingMetrics is empty the test case above
  // checks these queries with the others.
  if (!kPendingMetrics.empty()) CHECK(pending > 0);
}
