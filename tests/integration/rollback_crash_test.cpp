// Durable rollback jobs against the real binary and the real clock (issue 13): `sloguard serve`
// is killed with SIGKILL just before, during and just after a rollback webhook call, then
// restarted on the same data directory; the receiver sees one webhook-id and the audit log
// one succeeded run. And an exec hook that hangs leaves the evaluation rounds and the HTTP
// answers alone. A verification fails within a round or two: the deployment started minutes
// ago, and every minute since carries 100% errors of its version.
#include <httplib.h>
#include <signal.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "child_process.h"
#include "loopback_http.h"
#include "polling.h"
#include "sloguard/net/http_sender.h"
#include "temp_dir.h"

namespace sloguard::testing {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kSecretEnv = "SLOGUARD_TEST_CRASH_WEBHOOK_SECRET";
constexpr const char* kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

int64_t wall_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// One webhook call as the receiver saw it.
struct Call {
  std::string webhook_id;
  bool signed_ok = false;  // Standard Webhooks signature valid and timestamp within 5 minutes
};

// A rollback webhook receiver on 127.0.0.1:0. With hold_first, the first call's handler blocks
// until release() (or the end of the test); every call is answered 204.
class RollbackReceiver {
 public:
  explicit RollbackReceiver(bool hold_first) : hold_first_(hold_first) {
    http_.server().Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      Call c;
      c.webhook_id = req.get_header_value("webhook-id");
      const std::string ts = req.get_header_value("webhook-timestamp");
      const int64_t t = ts.empty() ? 0 : std::stoll(ts);
      c.signed_ok = !c.webhook_id.empty() && std::llabs(t - wall_seconds()) <= 300 &&
                    req.get_header_value("webhook-signature") ==
                        net::standard_webhooks_signature(kSecret, c.webhook_id, t, req.body);
      bool hold = false;
      {
        std::lock_guard<std::mutex> lock(mu_);
        calls_.push_back(c);
        hold = hold_first_ && calls_.size() == 1;
        cv_.notify_all();
      }
      if (hold) http_.hold();
      res.status = 204;
    });
    // cpp-httplib logs a request after its response is written: "the call is over".
    http_.server().set_logger([this](const httplib::Request&, const httplib::Response&) {
      std::lock_guard<std::mutex> lock(mu_);
      ++answered_;
      cv_.notify_all();
    });
    http_.start();
  }

  std::string url() const { return http_.url("/hook"); }
  void release() { http_.release(); }
  bool wait_calls(size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return calls_.size() >= n; });
  }
  bool wait_answered(size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return answered_ >= n; });
  }
  std::vector<Call> calls() {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }

 private:
  const bool hold_first_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Call> calls_;
  size_t answered_ = 0;
  // Last: destroyed first, so no handler is left running when the members above go.
  LoopbackHttpServer http_;
};

// Exec hooks here write their pid (= their process group) to a file, then exec a long sleep. A
// SIGKILLed sloguard leaves them running; this kills those groups at the end of the test.
class HookProcesses {
 public:
  explicit HookProcesses(std::string pid_file) : pid_file_(std::move(pid_file)) {}
  ~HookProcesses() {
    for (pid_t pid : pids()) {
      if (running_sleep(pid)) ::kill(-pid, SIGKILL);
    }
  }
  HookProcesses(const HookProcesses&) = delete;
  HookProcesses& operator=(const HookProcesses&) = delete;

  const std::string& pid_file() const { return pid_file_; }
  std::vector<pid_t> pids() const {
    std::vector<pid_t> out;
    std::ifstream f(pid_file_);
    for (long pid; f >> pid;) out.push_back(static_cast<pid_t>(pid));
    return out;
  }
  // Still the hook's sleep (not a pid reused by someone else).
  static bool running_sleep(pid_t pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/cmdline");
    std::string cmdline((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    return cmdline.find("sleep") != std::string::npos;
  }

 private:
  std::string pid_file_;
};

// `[/bin/sh, -c, ...]` as YAML: records its pid, then sleeps `seconds`.
std::string sleeping_argv(const HookProcesses& procs, int seconds) {
  return "[/bin/sh, -c, \"echo $$ >> " + procs.pid_file() + "; exec /bin/sleep " + std::to_string(seconds) + "\"]";
}

// The config: one service with an availability SLO, a round a second, a 30m verification
// with the default rules (error ratio > 10% over 1m first), and `hooks_yaml` as release.hooks.
std::string write_config(const TempDir& dir, const std::string& rollback_hooks, const std::string& hooks_yaml,
                         int hook_workers) {
  const std::string path = (dir.path() / "sloguard.yaml").string();
  std::ofstream f(path);
  f << "server: {listen: \"127.0.0.1:0\"}\n"
    << "storage: {path: \"" << (dir.path() / "data").string() << "\", retention: 35d}\n"
    << "evaluation_interval: 1s\n"
    << "services: [{name: checkout}]\n"
    << "slos:\n"
    << "  - {name: checkout-availability, service: checkout, objective: 99%, window: 30d, sli: {kind: availability}}\n"
    << "release:\n"
    << "  hook_workers: " << hook_workers << "\n"
    << "  verification: {period: 30m}\n"
    << "  rollback: {hooks: [" << rollback_hooks << "]}\n"
    << "  hooks:\n"
    << hooks_yaml;
  return path;
}

std::string webhook_yaml(const std::string& name, const RollbackReceiver& r) {
  return "    - {name: " + name + ", kind: webhook, url: \"" + r.url() + "\", secret_env: " + kSecretEnv +
         ", timeout: 10s, max_attempts: 3}\n";
}

// `sloguard serve` on a config, its port read from the "listening" line.
class Sloguard {
 public:
  explicit Sloguard(const std::string& config) : p_({SLOGUARD_BINARY, "serve", "--config", config}) {
    const std::string line = p_.wait_for_line("sloguard listening", 30s);
    INFO(p_.output());
    const auto pos = line.find("address=127.0.0.1:");
    REQUIRE(pos != std::string::npos);
    port_ = std::stoi(line.substr(pos + 18));
  }

  void kill9() {
    p_.signal(SIGKILL);
    const int status = p_.wait_exit(30s);
    REQUIRE(status != -1);
    CHECK(WIFSIGNALED(status));
  }

  // Reads what the process printed so far, so that its output pipe never fills.
  void drain() { p_.wait_for_line("\x01", 1ms); }
  const std::string& output() const { return p_.output(); }

  std::pair<int, json> get(const std::string& path, std::chrono::milliseconds timeout = 10s) {
    drain();
    httplib::Client c("127.0.0.1", port_);
    c.set_connection_timeout(timeout);
    c.set_read_timeout(timeout);
    auto res = c.Get(path.c_str());
    if (!res) return {-1, json()};
    return {res->status, json::parse(res->body, nullptr, false)};
  }
  std::pair<int, json> post(const std::string& path, const json& body) {
    drain();
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(10s);
    auto res = c.Post(path.c_str(), body.dump(), "application/json");
    REQUIRE(res);
    return {res->status, json::parse(res->body, nullptr, false)};
  }

  // Evaluation rounds done: the evaluation duration histogram's count (-1 when unreadable).
  long rounds(std::chrono::milliseconds timeout = 10s) {
    drain();
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(timeout);
    auto res = c.Get("/metrics");
    if (!res || res->status != 200) return -1;
    std::istringstream lines(res->body);
    const std::string name = "sloguard_evaluation_duration_seconds_count ";
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind(name, 0) == 0) return std::stol(line.substr(name.size()));
    }
    return -1;
  }
  // Waits until `n` more rounds have run (nothing changes between rounds that the test could
  // wait on instead).
  bool wait_rounds(long n) {
    const long start = rounds();
    return start >= 0 && poll_until([&] { return rounds() >= start + n; }, 20s);
  }

  json history() {
    auto [code, body] = get("/api/v1/hooks/history");
    return code == 200 ? body["history"] : json::array();
  }

 private:
  ChildProcess p_;
  int port_ = 0;
};

// Registers a deployment of checkout v2 started two whole minutes before this minute and
// ingests 100 failing v2 requests for every minute since: the next round fails it by the
// 1m error-ratio rule. Returns the deployment id.
std::string fail_a_release(Sloguard& s) {
  const int64_t minute = wall_seconds() / 60 * 60;
  const int64_t from = minute - 120;  // = verification_start (a whole minute)
  auto [code, d] = s.post("/api/v1/deployments", {{"service", "checkout"},
                                                  {"version", "v2"},
                                                  {"previous_version", "v1"},
                                                  {"environment", "prod"},
                                                  {"started_at", from}});
  INFO(d.dump());
  REQUIRE(code == 201);
  json events = json::array();
  for (int64_t m = from; m <= minute; m += 60) {
    events.push_back({{"service", "checkout"}, {"ts", m}, {"status", 503}, {"count", 100}, {"version", "v2"}});
  }
  auto [ecode, ebody] = s.post("/api/v1/events", {{"events", events}});
  INFO(ebody.dump());
  REQUIRE(ecode == 202);
  return d["id"].get<std::string>();
}

int count_results(const json& history, const std::string& hook, const std::string& result) {
  int n = 0;
  for (const auto& e : history) {
    if (e["hook"] == hook && e["result"] == result) ++n;
  }
  return n;
}

// Restarted on the same data dir: waits for the hook's succeeded entry, then two more rounds
// (time for a second run to show), and returns the history.
json history_after_restart(Sloguard& s, const std::string& hook) {
  json history;
  const bool done = poll_until([&] {
    history = s.history();
    return count_results(history, hook, "succeeded") > 0;
  }, 20s);
  INFO(history.dump(2));
  INFO(s.output());
  REQUIRE(done);
  REQUIRE(s.wait_rounds(2));
  return s.history();
}

// Every call carried the webhook-id the audit log records for the hook, validly signed.
void check_one_webhook_id(const std::vector<Call>& calls, const json& history, const std::string& hook) {
  std::string id;
  for (const auto& e : history) {
    if (e["hook"] == hook && e["result"] == "succeeded") id = e["message_id"].get<std::string>();
  }
  REQUIRE_FALSE(id.empty());
  for (const auto& c : calls) {
    CHECK(c.webhook_id == id);
    CHECK(c.signed_ok);
  }
}

TEST_CASE("a rollback webhook cut off by kill -9 is made again with its webhook-id and audited succeeded once",
          "[integration][release][process]") {
  ::setenv(kSecretEnv, kSecret, 1);
  TempDir dir;

  SECTION("during the call: the receiver holds the request while sloguard is killed") {
    RollbackReceiver receiver(/*hold_first=*/true);
    const std::string cfg = write_config(dir, "notify", webhook_yaml("notify", receiver), 2);
    {
      Sloguard s(cfg);
      fail_a_release(s);
      INFO(s.output());
      REQUIRE(receiver.wait_calls(1, 20s));  // the job is "running", its call held
      s.kill9();
    }
    receiver.release();  // the held call (its client is gone) and every later one: 204
    Sloguard s(cfg);
    const json history = history_after_restart(s, "notify");
    INFO(history.dump(2));
    const auto calls = receiver.calls();
    CHECK(calls.size() == 2);  // the cut-off call and its rerun
    check_one_webhook_id(calls, history, "notify");
    CHECK(count_results(history, "notify", "succeeded") == 1);
    CHECK(count_results(history, "notify", "interrupted") == 1);
    CHECK(history.size() == 2);
  }

  SECTION("just after the call: sloguard is killed once the receiver has answered") {
    RollbackReceiver receiver(/*hold_first=*/false);
    const std::string cfg = write_config(dir, "notify", webhook_yaml("notify", receiver), 2);
    {
      Sloguard s(cfg);
      fail_a_release(s);
      INFO(s.output());
      REQUIRE(receiver.wait_answered(1, 20s));  // the 204 is written; stored or not, we cannot know
      s.kill9();
    }
    Sloguard s(cfg);
    const json history = history_after_restart(s, "notify");
    INFO(history.dump(2));
    const auto calls = receiver.calls();
    // At least once: called again (same id) exactly when the result was not stored in time.
    REQUIRE((calls.size() == 1 || calls.size() == 2));
    check_one_webhook_id(calls, history, "notify");
    CHECK(count_results(history, "notify", "succeeded") == 1);
    CHECK(count_results(history, "notify", "interrupted") == static_cast<int>(calls.size()) - 1);
  }

  SECTION("before the call: the job waits behind an exec hook on the only worker") {
    // claim() takes due jobs in key order, "rbdue/<key>/<hook>": a-wait before b-webhook.
    HookProcesses procs((dir.path() / "hook-pids").string());
    RollbackReceiver receiver(/*hold_first=*/false);
    const std::string hooks = "    - {name: a-wait, kind: exec, argv: " + sleeping_argv(procs, 30) +
                              ", timeout: 60s}\n" + webhook_yaml("b-webhook", receiver);
    const std::string cfg = write_config(dir, "a-wait, b-webhook", hooks, 1);
    {
      Sloguard s(cfg);
      fail_a_release(s);
      INFO(s.output());
      REQUIRE(poll_until([&] { return !procs.pids().empty(); }, 20s));  // the only worker is in a-wait
      REQUIRE(receiver.calls().empty());
      s.kill9();
    }
    CHECK(receiver.calls().empty());
    // Two workers now, so that a-wait's rerun (it was cut off too) does not hold b-webhook up.
    write_config(dir, "a-wait, b-webhook", hooks, 2);
    Sloguard s(cfg);
    const json history = history_after_restart(s, "b-webhook");
    INFO(history.dump(2));
    const auto calls = receiver.calls();
    CHECK(calls.size() == 1);
    check_one_webhook_id(calls, history, "b-webhook");
    CHECK(count_results(history, "b-webhook", "succeeded") == 1);
    CHECK(count_results(history, "b-webhook", "interrupted") == 0);  // it had not started
    CHECK(count_results(history, "a-wait", "interrupted") == 1);
    CHECK(poll_until([&] { return procs.pids().size() == 2; }, 10s));  // a-wait ran again after the restart
  }
}

TEST_CASE("an exec rollback hook that hangs does not delay evaluation rounds or HTTP answers of the real binary",
          "[integration][release][process]") {
  TempDir dir;
  HookProcesses procs((dir.path() / "hook-pids").string());
  const std::string cfg =
      write_config(dir, "undo", "    - {name: undo, kind: exec, argv: " + sleeping_argv(procs, 60) + ", timeout: 60s}\n", 2);
  Sloguard s(cfg);
  const std::string id = fail_a_release(s);
  INFO(s.output());
  REQUIRE(poll_until([&] { return !procs.pids().empty(); }, 20s));  // the hook runs (and hangs)
  CHECK(s.get("/api/v1/deployments/" + id).second["status"] == "failed");

  const long start = s.rounds();
  REQUIRE(start >= 0);
  long rounds = start;
  auto slowest = std::chrono::milliseconds(0);
  auto timed_get = [&](const std::string& path) {
    const auto t0 = std::chrono::steady_clock::now();
    const int code = s.get(path, 2s).first;
    slowest = std::max(slowest, std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0));
    return code;
  };
  bool answered = true;
  const bool moved = poll_until([&] {
    answered = answered && timed_get("/healthz") == 200 && timed_get("/api/v1/slos") == 200;
    rounds = s.rounds(2s);
    return !answered || rounds >= start + 3;
  }, 15s);
  INFO("rounds " << start << " -> " << rounds << ", slowest answer " << slowest.count() << " ms");
  CHECK(answered);
  CHECK(moved);
  CHECK(rounds >= start + 3);
  CHECK(slowest < 2s);
  // Still hanging all along: no result recorded, its sleep alive.
  CHECK(s.history().empty());
  REQUIRE(procs.pids().size() == 1);
  CHECK(HookProcesses::running_sleep(procs.pids()[0]));
  s.kill9();
}

}  // namespace
}  // namespace sloguard::testing
