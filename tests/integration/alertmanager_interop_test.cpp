// POST /api/v1/alertmanager against the real Alertmanager (Debian's prometheus-alertmanager):
// an in-process sloguard with auth on, a loopback receiver for its rollback webhook, and an
// Alertmanager started here on loopback (clustering off, storage in a temp dir) that routes
// every alert to sloguard with the token from a credentials file. An alert posted to
// Alertmanager's API must queue one rollback job, call the hook once and deny the gate until
// it is resolved; with a token lacking the rollback role, sloguard answers 403 and runs nothing.
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <vector>

#include "child_process.h"
#include "loopback_http.h"
#include "polling.h"
#include "server_fixture.h"
#include "sloguard/common/units.h"
#include "temp_dir.h"

namespace sloguard::testing {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

const std::string kRollbackToken = "am-rollback-secret-Vb27xQ";
const std::string kIngestToken = "am-ingest-secret-Qp94sW";
const std::string kReadToken = "am-reader-secret-Lx60dN";

// Alertmanager notifies after group_wait (1s) and every group_interval (1s): each wait below
// is for one or two of those, with room for a loaded machine.
constexpr std::chrono::seconds kNotifyDeadline{10};

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The Alertmanager binary on PATH ("" when it is not installed).
std::string find_alertmanager() {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  dirs += ":/usr/bin";
  for (size_t start = 0; start <= dirs.size();) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    const fs::path candidate = fs::path(dirs.substr(start, end - start)) / "prometheus-alertmanager";
    if (!candidate.parent_path().empty() && access(candidate.c_str(), X_OK) == 0) return candidate.string();
    start = end + 1;
  }
  return "";
}

// Tokens for Alertmanager (rollback), for a CI job (ingest only) and for the test's reads.
std::string sloguard_config(const std::string& hook_url) {
  setenv("SLOGUARD_TEST_AM_ROLLBACK", kRollbackToken.c_str(), 1);
  setenv("SLOGUARD_TEST_AM_INGEST", kIngestToken.c_str(), 1);
  setenv("SLOGUARD_TEST_AM_READ", kReadToken.c_str(), 1);
  return "server:\n"
         "  listen: 127.0.0.1:0\n"
         "  auth:\n"
         "    tokens:\n"
         "      - {name: alertmanager, token_env: SLOGUARD_TEST_AM_ROLLBACK, roles: [rollback]}\n"
         "      - {name: ci, token_env: SLOGUARD_TEST_AM_INGEST, roles: [ingest]}\n"
         "      - {name: dashboards, token_env: SLOGUARD_TEST_AM_READ, roles: [read]}\n"
         "services: [{name: checkout}]\n"
         "release:\n"
         "  hooks: [{name: undo, kind: webhook, url: \"" +
         hook_url +
         "\"}]\n"
         "  alertmanager: [{match: {alertname: CheckoutErrors}, hooks: [undo]}]\n";
}

// The rollback webhook's far end: records each call's JSON body and answers 204.
class RollbackReceiver {
 public:
  RollbackReceiver() {
    http_.server().Post("/undo", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      bodies_.push_back(json::parse(req.body, nullptr, false));
      res.status = 204;
    });
    http_.start();
  }
  std::string url() const { return http_.url("/undo"); }
  std::vector<json> bodies() {
    std::lock_guard<std::mutex> lock(mu_);
    return bodies_;
  }

 private:
  std::mutex mu_;
  std::vector<json> bodies_;
  // Last: stopped first, so no handler runs while the members above go.
  LoopbackHttpServer http_;
};

// Alertmanager on 127.0.0.1 (a free port, retried if someone takes it first), clustering off,
// storage and config in a temp dir; one route to the receiver `sloguard`, which posts to
// sloguard's receiver with `token` as the bearer credential. Stopped (SIGTERM, then SIGKILL)
// on destruction. FAILs with its log when it does not start.
class Alertmanager {
 public:
  Alertmanager(const std::string& binary, int sloguard_port, const std::string& token) {
    const fs::path token_file = dir_.path() / "sloguard.token";
    std::ofstream(token_file) << token;  // no newline: the file is the credential
    const fs::path config = dir_.path() / "alertmanager.yml";
    std::ofstream(config) << "route:\n"
                             "  receiver: sloguard\n"
                             "  group_by: [alertname, service]\n"
                             "  group_wait: 1s\n"
                             "  group_interval: 1s\n"
                             "  repeat_interval: 1h\n"
                             "receivers:\n"
                             "  - name: sloguard\n"
                             "    webhook_configs:\n"
                             "      - url: http://127.0.0.1:"
                          << sloguard_port
                          << "/api/v1/alertmanager\n"
                             "        send_resolved: true\n"
                             "        http_config:\n"
                             "          authorization:\n"
                             "            credentials_file: "
                          << token_file.string() << "\n";
    // free_loopback_port() closes its socket: another process may take the port before
    // Alertmanager binds it, so a failed bind is retried on a new port.
    for (int attempt = 0; attempt < 3; ++attempt) {
      port_ = free_loopback_port();
      process_ = std::make_unique<ChildProcess>(std::vector<std::string>{
          binary, "--config.file=" + config.string(), "--storage.path=" + (dir_.path() / "data").string(),
          "--web.listen-address=127.0.0.1:" + std::to_string(port_), "--cluster.listen-address=",
          "--log.level=info"});
      // Logged once the socket listens; output closes at once if Alertmanager exits instead.
      if (!process_->wait_for_line("msg=\"Listening on\"", std::chrono::seconds(10)).empty()) break;
      const bool taken = process_->output().find("address already in use") != std::string::npos;
      if (!taken) FAIL("alertmanager did not start within 10s; its output:\n" << process_->output());
      process_.reset();
    }
    if (!process_) FAIL("alertmanager found its port taken three times");
    client_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
    client_->set_connection_timeout(std::chrono::seconds(2));
    client_->set_read_timeout(std::chrono::seconds(5));
    const bool ready = poll_until(
        [&] {
          auto res = client_->Get("/-/ready");
          return res && res->status == 200;
        },
        std::chrono::seconds(10));
    if (!ready) FAIL("alertmanager is not ready within 10s; its log:\n" << log());
  }
  ~Alertmanager() {
    if (!process_) return;
    process_->signal(SIGTERM);
    process_->wait_exit(std::chrono::seconds(5));  // ChildProcess kills it if still running
  }

  // POST /api/v2/alerts; the HTTP status (0 without an answer).
  int post_alerts(const json& alerts) {
    auto res = client_->Post("/api/v2/alerts", alerts.dump(), "application/json");
    if (!res) return 0;
    if (res->status != 200) UNSCOPED_INFO("alertmanager answered " << res->status << ": " << res->body);
    return res->status;
  }

  // Waits for a log line containing `needle` (also one logged earlier); "" at the deadline.
  std::string wait_for_log(const std::string& needle, std::chrono::milliseconds timeout) {
    return process_->wait_for_line(needle, timeout);
  }

  // Everything logged so far (reads what is waiting in the pipe first, for up to 200ms).
  std::string log() {
    process_->wait_for_line("\x01", std::chrono::milliseconds(200));
    return process_->output();
  }

 private:
  TempDir dir_;
  int port_ = 0;
  std::unique_ptr<ChildProcess> process_;
  std::unique_ptr<httplib::Client> client_;
};

// The alert as Prometheus would send it to Alertmanager; with `ends_at` it is resolved.
json checkout_alert(int64_t starts_at, std::optional<int64_t> ends_at = std::nullopt) {
  json a = {{"labels", {{"alertname", "CheckoutErrors"}, {"service", "checkout"}, {"severity", "page"}}},
            {"annotations", {{"summary", "5xx above 5%"}}},
            {"startsAt", format_rfc3339(starts_at)},
            {"generatorURL", "http://prometheus.example/graph"}};
  if (ends_at) a["endsAt"] = format_rfc3339(*ends_at);
  return json::array({a});
}

json get_json(ServerFixture& f, const std::string& path) {
  auto [code, body] = f.get(path, bearer(kReadToken));
  INFO(path << ": " << body.dump());
  REQUIRE(code == 200);
  return body;
}

bool has_reason(const json& gate, const std::string& kind) {
  for (const auto& d : gate["details"]) {
    if (d["kind"] == kind) return true;
  }
  return false;
}

// The count of sloguard_http_request_duration_seconds for POST /api/v1/alertmanager answered
// `code`, from /metrics (0 when there is no such series yet).
double alertmanager_requests(ServerFixture& f, int code) {
  auto res = f.http().Get("/metrics", bearer(kReadToken));
  REQUIRE(res);
  REQUIRE(res->status == 200);
  std::istringstream lines(res->body);
  const std::string code_label = "code=\"" + std::to_string(code) + "\"";
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("sloguard_http_request_duration_seconds_count{", 0) != 0) continue;
    if (line.find(code_label) == std::string::npos) continue;
    if (line.find("method=\"POST\"") == std::string::npos) continue;
    if (line.find("route=\"/api/v1/alertmanager\"") == std::string::npos) continue;
    return std::stod(line.substr(line.rfind(' ') + 1));
  }
  return 0;
}

}  // namespace

TEST_CASE("the real Alertmanager queues one rollback and holds the gate until resolved",
          "[integration][alertmanager][release]") {
  const std::string binary = find_alertmanager();
  if (binary.empty()) {
    WARN("skipped: prometheus-alertmanager is not on PATH (Debian package prometheus-alertmanager)");
    return;
  }
  RollbackReceiver receiver;
  // The manual clock starts at the real time: Alertmanager stamps alerts with it.
  const int64_t t0 = unix_now();
  ServerFixture f(sloguard_config(receiver.url()), t0);
  Alertmanager am(binary, f.server().port(), kRollbackToken);

  // Started a little earlier, as Prometheus would send it after its `for:`: the resolve below
  // can then give an endsAt in the past that is still after startsAt. (Alertmanager flushes an
  // alert older than group_wait at once.)
  const int64_t starts_at = t0 - 30;
  REQUIRE(am.post_alerts(checkout_alert(starts_at)) == 200);
  json jobs;
  const bool queued = poll_until(
      [&] {
        jobs = get_json(f, "/api/v1/hooks/jobs")["jobs"];
        return !jobs.empty();
      },
      kNotifyDeadline);
  if (!queued) FAIL("no rollback job within " << kNotifyDeadline.count() << "s; alertmanager's log:\n" << am.log());
  REQUIRE(jobs.size() == 1);
  CHECK(jobs[0]["hook"] == "undo");
  CHECK(jobs[0]["service"] == "checkout");
  CHECK(jobs[0]["trigger"] == "alertmanager");
  CHECK(jobs[0]["state"] == "pending");
  const std::string key = jobs[0]["idempotency_key"].get<std::string>();
  CHECK(key.rfind("alertmanager/", 0) == 0);
  CHECK(alertmanager_requests(f, 200) >= 1);

  CHECK(f.server().run_hooks_now() == 1);
  auto calls = receiver.bodies();
  REQUIRE(calls.size() == 1);
  INFO(calls[0].dump());
  CHECK(calls[0]["type"] == "sloguard.rollback");
  CHECK(calls[0]["hook"] == "undo");
  CHECK(calls[0]["trigger"] == "alertmanager");
  CHECK(calls[0]["service"] == "checkout");
  CHECK(calls[0]["idempotency_key"] == key);
  CHECK(calls[0]["reason"] == "Alertmanager alert CheckoutErrors firing: 5xx above 5%");
  CHECK(calls[0]["alert"]["name"] == "CheckoutErrors");
  CHECK(calls[0]["alert"]["severity"] == "page");
  CHECK(calls[0]["alert"]["since"] == starts_at);
  // Alertmanager sends its fingerprint, and the key is made of it and startsAt (not the name).
  const std::string fingerprint = calls[0]["alert"]["fingerprint"].get<std::string>();
  CHECK_FALSE(fingerprint.empty());
  CHECK(key.find("/" + fingerprint + "/") != std::string::npos);
  CHECK(key.find("/" + std::to_string(starts_at)) != std::string::npos);
  CHECK(key.find("CheckoutErrors") == std::string::npos);
  CHECK(get_json(f, "/api/v1/hooks/jobs")["jobs"].empty());
  json history = get_json(f, "/api/v1/hooks/history")["history"];
  REQUIRE(history.size() == 1);
  CHECK(history[0]["result"] == "succeeded");
  CHECK(history[0]["trigger"] == "alertmanager");

  json gate = get_json(f, "/api/v1/gate?service=checkout");
  INFO(gate.dump());
  CHECK(gate["allow"] == false);
  CHECK(has_reason(gate, "alert"));
  REQUIRE(gate["alerts"].size() == 1);
  CHECK(gate["alerts"][0]["slo"] == "CheckoutErrors");
  CHECK(gate["alerts"][0]["tier"] == "alertmanager");
  CHECK(gate["alerts"][0]["severity"] == "page");
  CHECK(gate["alerts"][0]["since"] == starts_at);

  // Resolved in Alertmanager: its next notification (send_resolved) releases the gate's alert.
  REQUIRE(am.post_alerts(checkout_alert(starts_at, unix_now() - 1)) == 200);
  const bool released = poll_until(
      [&] {
        gate = get_json(f, "/api/v1/gate?service=checkout");
        return !has_reason(gate, "alert");
      },
      kNotifyDeadline);
  if (!released) FAIL("the gate still has the alert after " << kNotifyDeadline.count() << "s: " << gate.dump()
                                                           << "\nalertmanager's log:\n" << am.log());
  CHECK(gate["alerts"].empty());
  // The rollback that ran keeps releases denied for release.rollback.cooldown (default 1h).
  REQUIRE(gate["details"].size() == 1);
  CHECK(gate["details"][0]["kind"] == "rollback_cooldown");
  CHECK(gate["allow"] == false);
  f.clock().advance(std::chrono::hours(1) + std::chrono::seconds(1));
  gate = get_json(f, "/api/v1/gate?service=checkout");
  CHECK(gate["allow"] == true);
  CHECK(gate["details"].empty());
  // The resolution ran nothing more.
  CHECK(f.server().run_hooks_now() == 0);
  CHECK(receiver.bodies().size() == 1);
  CHECK(get_json(f, "/api/v1/hooks/history")["history"].size() == 1);
}

TEST_CASE("the real Alertmanager with an ingest token is refused and runs nothing",
          "[integration][alertmanager][release]") {
  const std::string binary = find_alertmanager();
  if (binary.empty()) {
    WARN("skipped: prometheus-alertmanager is not on PATH (Debian package prometheus-alertmanager)");
    return;
  }
  RollbackReceiver receiver;
  const int64_t t0 = unix_now();
  ServerFixture f(sloguard_config(receiver.url()), t0);
  Alertmanager am(binary, f.server().port(), kIngestToken);

  REQUIRE(am.post_alerts(checkout_alert(t0 - 30)) == 200);
  // Alertmanager does not retry a 4xx: it logs the notification as failed for good.
  const std::string failed = am.wait_for_log("unexpected status code 403", kNotifyDeadline);
  if (failed.empty()) FAIL("alertmanager logged no 403 within " << kNotifyDeadline.count() << "s; its log:\n" << am.log());
  CHECK(failed.find("Notify for alerts failed") != std::string::npos);
  CHECK(failed.find("lacks the rollback role") != std::string::npos);
  // The 403 is counted (the metric may be recorded just after the answer went out).
  const bool counted = poll_until([&] { return alertmanager_requests(f, 403) >= 1; }, std::chrono::seconds(5));
  CHECK(counted);
  CHECK(alertmanager_requests(f, 200) == 0);

  CHECK(get_json(f, "/api/v1/hooks/jobs")["jobs"].empty());
  CHECK(f.server().run_hooks_now() == 0);
  CHECK(receiver.bodies().empty());
  CHECK(get_json(f, "/api/v1/hooks/history")["history"].empty());
  json gate = get_json(f, "/api/v1/gate?service=checkout");
  INFO(gate.dump());
  CHECK(gate["allow"] == true);
  CHECK(gate["alerts"].empty());
}

}  // namespace sloguard::testing
