// Real time-series databases on loopback for integration tests: Debian's Prometheus, its
// storage backfilled by promtool from OpenMetrics text, and Debian's VictoriaMetrics, loaded
// through its import API. Each runs in its own temp dir on a free 127.0.0.1 port, is polled
// until ready (with a deadline, never a sleep) and is killed on destruction. stop() and
// start() kill and restart one on the same port and data dir, for outages in the middle of a
// test. Not thread-safe: one test thread drives them.
#pragma once

#include <httplib.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "child_process.h"
#include "polling.h"
#include "temp_dir.h"

namespace sloguard::testing {

inline constexpr const char* kPrometheusBinary = "/usr/bin/prometheus";
inline constexpr const char* kPromtoolBinary = "/usr/bin/promtool";
inline constexpr const char* kVictoriaMetricsBinary = "/usr/bin/victoria-metrics";
// How long a TSDB may take to start, load or answer; all is well in a few seconds.
inline constexpr std::chrono::seconds kTsdbDeadline{30};

// Empty when every TSDB binary is installed, else a message naming the missing ones for the
// WARN of a test that skips (Catch2 2.x has no SKIP). scripts/setup.sh installs them.
inline std::string missing_tsdb_binaries() {
  std::string missing;
  for (const char* b : {kPrometheusBinary, kPromtoolBinary, kVictoriaMetricsBinary}) {
    if (access(b, X_OK) != 0) missing += std::string(missing.empty() ? "" : ", ") + b;
  }
  if (missing.empty()) return "";
  return "skipped: " + missing +
         " missing (Debian packages prometheus and victoria-metrics; scripts/setup.sh installs them)";
}

inline std::string read_text_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void write_text_file(const std::filesystem::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
  REQUIRE(out.good());
}

// A program whose output goes to a log file: a pipe that nobody reads would fill up and stall
// it. The shell execs the program, so the child is the program itself. Killed on destruction.
class LoggedProcess {
 public:
  LoggedProcess(const std::vector<std::string>& argv, const std::filesystem::path& log) : log_(log) {
    std::vector<std::string> sh = {"/bin/sh", "-c", "exec \"$0\" \"$@\" >>'" + log.string() + "' 2>&1"};
    sh.insert(sh.end(), argv.begin(), argv.end());
    process_ = std::make_unique<ChildProcess>(sh);
  }
  ~LoggedProcess() { kill(); }
  LoggedProcess(const LoggedProcess&) = delete;
  LoggedProcess& operator=(const LoggedProcess&) = delete;

  // SIGKILL, then waits until it is gone. Idempotent.
  void kill() {
    if (!process_) return;
    process_->signal(SIGKILL);
    process_->wait_exit(kTsdbDeadline);
    process_.reset();
  }
  bool running() const { return process_ != nullptr; }
  std::string log() const { return read_text_file(log_); }

 private:
  std::filesystem::path log_;
  std::unique_ptr<ChildProcess> process_;
};

// What Prometheus and VictoriaMetrics have in common: a base URL and the query API.
class TsdbServer {
 public:
  virtual ~TsdbServer() = default;
  int port() const { return port_; }
  // The base URL a sloguard datasource takes.
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // GET /api/v1/query?query=..&time=at: the parsed answer, or {"status":"error","error":...}
  // when there is no answer.
  nlohmann::json query(const std::string& promql, int64_t at) const {
    auto res = client().Get("/api/v1/query", httplib::Params{{"query", promql}, {"time", std::to_string(at)}},
                            httplib::Headers{});
    if (!res) return {{"status", "error"}, {"error", "no answer: " + httplib::to_string(res.error())}};
    auto body = nlohmann::json::parse(res->body, nullptr, false);
    if (body.is_discarded()) return {{"status", "error"}, {"error", "HTTP " + std::to_string(res->status) + ": " + res->body}};
    return body;
  }
  // The value of a query that yields one series (e.g. sum(...)); null when it yields none or
  // fails. Prometheus writes sample values as strings.
  std::optional<double> value(const std::string& promql, int64_t at) const {
    const auto body = query(promql, at);
    if (body.value("status", "") != "success") return std::nullopt;
    const auto& result = body["data"]["result"];
    if (!result.is_array() || result.size() != 1) return std::nullopt;
    return std::stod(result[0]["value"][1].get<std::string>());
  }

  // Polls until `promql` at `at` gives `expected` (e.g. the number of series just loaded);
  // FAILs with the last answer and the log at the deadline.
  void wait_value(const std::string& promql, int64_t at, double expected) const {
    const bool done = poll_until([&] { return value(promql, at) == std::optional<double>(expected); }, kTsdbDeadline);
    if (!done) FAIL(promql << " at " << at << " did not give " << expected << ": " << query(promql, at).dump() << "\nlog:\n" << log());
  }

  virtual std::string log() const = 0;

 protected:
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_connection_timeout(std::chrono::seconds(2));
    c.set_read_timeout(kTsdbDeadline);
    c.set_write_timeout(kTsdbDeadline);
    return c;
  }
  // Polls `path` until it answers 200; FAILs with the log at the deadline.
  void wait_ready(const char* what, const std::string& path) const {
    const bool ready = poll_until(
        [&] {
          auto res = client().Get(path.c_str());
          return res && res->status == 200;
        },
        kTsdbDeadline);
    if (!ready) FAIL(what << " did not answer " << path << " with 200 within " << kTsdbDeadline.count() << "s; its log:\n" << log());
  }

  TempDir dir_;
  int port_ = free_loopback_port();
};

// Prometheus with no scrape targets on a TSDB that promtool backfilled from OpenMetrics text.
class PrometheusTsdb final : public TsdbServer {
 public:
  explicit PrometheusTsdb(const std::string& openmetrics) {
    const auto input = dir_.path() / "backfill.om";
    write_text_file(input, openmetrics);
    ChildProcess promtool({kPromtoolBinary, "tsdb", "create-blocks-from", "openmetrics", input.string(), data_dir().string()});
    const int status = promtool.wait_exit(kTsdbDeadline);
    INFO("promtool tsdb create-blocks-from openmetrics:\n" << promtool.output());
    REQUIRE(status != -1);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
    std::filesystem::remove(input);
    write_text_file(dir_.path() / "prometheus.yml", "global: {scrape_interval: 15s, evaluation_interval: 15s}\n");
    start();
  }

  // Starts Prometheus on the same port and data dir (again, after stop()), and waits until it
  // is ready: its blocks are open then.
  void start() {
    REQUIRE(!process_);
    process_ = std::make_unique<LoggedProcess>(
        std::vector<std::string>{kPrometheusBinary, "--config.file=" + (dir_.path() / "prometheus.yml").string(),
                                 "--storage.tsdb.path=" + data_dir().string(),
                                 // The data is recent, but promtool's blocks must outlive the default.
                                 "--storage.tsdb.retention.time=30d",
                                 "--web.listen-address=127.0.0.1:" + std::to_string(port_), "--log.level=info"},
        dir_.path() / "prometheus.log");
    wait_ready("prometheus", "/-/ready");
  }
  // kill -9: a crash, or a server taken away. Connections to its port are refused until start().
  void stop() { process_.reset(); }
  bool running() const { return process_ != nullptr; }
  std::string log() const override { return read_text_file(dir_.path() / "prometheus.log"); }

 private:
  std::filesystem::path data_dir() const { return dir_.path() / "data"; }
  std::unique_ptr<LoggedProcess> process_;
};

// Single-node VictoriaMetrics, loaded with import_prometheus().
class VictoriaMetricsTsdb final : public TsdbServer {
 public:
  VictoriaMetricsTsdb() { start(); }

  void start() {
    REQUIRE(!process_);
    process_ = std::make_unique<LoggedProcess>(
        std::vector<std::string>{kVictoriaMetricsBinary, "-httpListenAddr=127.0.0.1:" + std::to_string(port_),
                                 "-storageDataPath=" + (dir_.path() / "data").string(),
                                 // Samples older than the retention are dropped at import.
                                 "-retentionPeriod=1y"},
        dir_.path() / "victoria-metrics.log");
    wait_ready("victoria-metrics", "/health");
  }
  void stop() { process_.reset(); }
  bool running() const { return process_ != nullptr; }

  // POST /api/v1/import/prometheus (text exposition, millisecond timestamps), then
  // /internal/force_flush so that everything is searchable at once.
  void import_prometheus(const std::string& text) {
    auto c = client();
    auto res = c.Post("/api/v1/import/prometheus", text, "text/plain");
    INFO("victoria-metrics log:\n" << log());
    REQUIRE(res);
    INFO("HTTP " << res->status << ": " << res->body);
    REQUIRE(res->status == 204);
    auto flushed = c.Get("/internal/force_flush");
    REQUIRE(flushed);
    REQUIRE(flushed->status == 200);
  }
  std::string log() const override { return read_text_file(dir_.path() / "victoria-metrics.log"); }

 private:
  std::unique_ptr<LoggedProcess> process_;
};

}  // namespace sloguard::testing
