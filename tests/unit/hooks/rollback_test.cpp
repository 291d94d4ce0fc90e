// Verification rules, placeholders, exec, and the rollback jobs' safety rules with a fake
// HTTP sender, a real RocksDB and a manual clock.
#include <catch2/catch.hpp>
#include <atomic>
#include <filesystem>
#include <mutex>
#include <new>
#include <stdexcept>
#include <nlohmann/json.hpp>
#include <thread>
#include <unistd.h>

#include "sloguard/hooks/exec.h"
#include "sloguard/hooks/rollback.h"
#include "sloguard/hooks/verification.h"
#include "polling.h"
#include "temp_dir.h"

namespace sloguard::hooks {
namespace {

Measurement m(uint64_t requests, uint64_t errors, std::optional<double> p95 = std::nullopt) {
  Measurement x;
  x.requests = requests;
  x.errors = errors;
  if (requests) x.error_ratio = static_cast<double>(errors) / static_cast<double>(requests);
  x.p95_ms = p95;
  return x;
}

TEST_CASE("judge applies each verification rule", "[hooks][verification]") {
  config::VerificationConfig vc;  // 5%, 2x, p95 2x, min 100
  CHECK(judge(vc, m(99, 50), m(1000, 0)).outcome == "inconclusive");
  CHECK(judge(vc, m(1000, 60), m(1000, 50)).outcome == "failed");          // 6% > 5% absolute
  CHECK(judge(vc, m(1000, 30), m(1000, 10)).outcome == "failed");          // 3% > 2 x 1%
  CHECK(judge(vc, m(1000, 15), m(1000, 10)).outcome == "passed");          // 1.5% <= 2 x 1%
  CHECK(judge(vc, m(1000, 1), m(1000, 0)).outcome == "passed");            // floor of 0.1% baseline
  CHECK(judge(vc, m(1000, 0, 250.0), m(1000, 0, 100.0)).outcome == "failed");  // p95 2.5x
  CHECK(judge(vc, m(1000, 0, 150.0), m(1000, 0, 100.0)).outcome == "passed");
  CHECK(judge(vc, m(1000, 30), m(10, 0)).outcome == "passed");             // baseline too small: absolute rule only
}

TEST_CASE("placeholders fill known names and leave other braces alone", "[hooks]") {
  RollbackRequest r;
  r.service = "checkout";
  r.version = "v2";
  r.previous_version = "v1";
  r.deployment_id = "d1";
  CHECK(render_placeholders("deployment/{service} {previous_version} {nope} {deployment_id}", r) ==
        "deployment/checkout v1 {nope} d1");
}

TEST_CASE("exec runs without a shell in a clean environment and captures bounded output", "[hooks][exec]") {
  ExecResult r = run_exec({"/bin/sh", "-c", "echo \"$HOME|$SECRET\"; exit 3"}, {{"HOME", "/h"}}, 10000, 1024);
  CHECK(r.started);
  CHECK(r.exit_code == 3);
  CHECK(r.output == "/h|\n");
  ExecResult big = run_exec({"/bin/sh", "-c", "head -c 5000 /dev/zero"}, {}, 10000, 100);
  CHECK(big.output.size() == 100);
  CHECK(big.output_truncated);
  // No descriptor of the caller's but stdin, stdout and stderr reaches the child.
  int leaked[2];
  REQUIRE(pipe(leaked) == 0);  // without O_CLOEXEC on purpose
  ExecResult fds = run_exec({"/bin/sh", "-c", "ls /proc/self/fd | wc -l"}, {}, 10000, 100);
  close(leaked[0]);
  close(leaked[1]);
  CHECK(fds.output == "4\n");  // 0, 1, 2 and the directory ls reads
  ExecResult missing = run_exec({"/nonexistent/program"}, {}, 1000, 100);
  CHECK_FALSE(missing.ok());
}

class FakeSender final : public net::HttpSender {
 public:
  Result<net::HttpResponse> send(const net::HttpRequest& req) override {
    std::lock_guard<std::mutex> lock(mu);
    if (throw_next > 0) {
      --throw_next;
      throw std::runtime_error("sender broke (test)");
    }
    requests.push_back(req);
    net::HttpResponse res;
    res.status = statuses.empty() ? 204 : statuses.front();
    if (!statuses.empty()) statuses.erase(statuses.begin());
    return res;
  }
  std::mutex mu;
  std::vector<net::HttpRequest> requests;
  std::vector<int> statuses;
  int throw_next = 0;  // this many send() calls throw
};

struct JobsFixture {
  JobsFixture() {
    open();
    cfg.services.push_back({"checkout", {}});
    config::HookConfig h;
    h.name = "notify";
    h.url = "http://127.0.0.1:9/hook";
    h.secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    h.max_attempts = 3;
    cfg.release.hooks.push_back(h);
  }
  void open() {
    jobs.reset();
    store.reset();
    store::StoreOptions o;
    o.path = (dir.path() / "db").string();
    o.clock = &clock;
    store = std::move(store::open_rocksdb_store(o)).value();
    jobs = std::make_unique<RollbackJobs>(*store, clock, sender);
  }
  RollbackRequest request(const std::string& key) {
    RollbackRequest r;
    r.service = "checkout";
    r.reason = "test";
    r.idempotency_key = key;
    r.hooks = {"notify"};
    return r;
  }
  // Queues the request and runs what is due; the result of the request's first hook.
  std::string run(const std::string& key) {
    auto q = jobs->enqueue(request(key));
    REQUIRE(q.ok());
    REQUIRE(q->size() == 1);
    if ((*q)[0].result == "duplicate") return "duplicate";
    jobs->run_due(cfg);
    auto h = jobs->history(1);
    REQUIRE(h.ok());
    REQUIRE(!h->empty());
    CHECK((*h)[0].idempotency_key == key);
    return (*h)[0].result;
  }
  // Workers are real threads: polls with a deadline until the sender has seen n requests.
  bool wait_sent(size_t n) {
    return sloguard::testing::poll_until(
        [&] {
          std::lock_guard<std::mutex> lock(sender.mu);
          return sender.requests.size() >= n;
        },
        std::chrono::seconds(10), std::chrono::milliseconds(5));
  }
  std::string header(size_t i, const std::string& name) {
    for (const auto& [k, v] : sender.requests.at(i).headers) {
      if (k == name) return v;
    }
    return {};
  }
  sloguard::testing::TempDir dir;
  ManualClock clock{1767225600000};
  std::unique_ptr<store::Store> store;
  FakeSender sender;
  config::Config cfg;
  std::unique_ptr<RollbackJobs> jobs;
};

TEST_CASE("rollback jobs: once per key, cooldown, max per period", "[hooks][rollback]") {
  JobsFixture f;
  f.cfg.release.rollback.cooldown_ms = 3600000;
  f.cfg.release.rollback.max_per_period = 2;
  CHECK(f.run("a") == "succeeded");
  CHECK(f.run("a") == "duplicate");
  CHECK(f.run("b") == "skipped_cooldown");
  f.clock.advance(std::chrono::hours(2));
  CHECK(f.run("c") == "succeeded");
  f.clock.advance(std::chrono::hours(2));
  CHECK(f.run("d") == "skipped_limit");  // a and c in the last day
  CHECK(f.sender.requests.size() == 2);
  auto last = f.jobs->last_rollback("checkout");
  REQUIRE(last.ok());
  REQUIRE(last->has_value());
  CHECK((*last)->at == 1767225600 + 7200);
  auto h = f.jobs->history(10);
  REQUIRE(h.ok());
  REQUIRE(h->size() == 4);
  CHECK((*h)[0].result == "skipped_limit");
  auto open_jobs = f.jobs->unfinished();
  REQUIRE(open_jobs.ok());
  CHECK(open_jobs->empty());
}

TEST_CASE("rollback jobs: plan() only reads and the caller's batch queues the job", "[hooks][rollback]") {
  JobsFixture f;
  auto p = f.jobs->plan(f.request("a"));
  REQUIRE(p.ok());
  REQUIRE(p->runs.size() == 1);
  CHECK(p->runs[0].result == "queued");
  CHECK(f.jobs->run_due(f.cfg) == 0);  // nothing written yet
  p->writes.push_back({"test/state", "the state change that decided it"});
  REQUIRE(f.store->write_state(p->writes).ok());
  auto open_jobs = f.jobs->unfinished();
  REQUIRE(open_jobs.ok());
  REQUIRE(open_jobs->size() == 1);
  CHECK((*open_jobs)[0].state == "pending");
  CHECK(f.jobs->run_due(f.cfg) == 1);
  CHECK(f.sender.requests.size() == 1);
  CHECK(f.jobs->plan(f.request("a"))->runs[0].result == "duplicate");
  CHECK_FALSE(f.jobs->plan(RollbackRequest{}).ok());  // no key, no service
}

TEST_CASE("rollback jobs retry webhooks with backoff, with the same webhook-id", "[hooks][rollback]") {
  JobsFixture f;
  f.sender.statuses = {503, 503, 503};
  CHECK(f.run("a") == "retrying");
  f.jobs->run_due(f.cfg);  // not due yet
  CHECK(f.sender.requests.size() == 1);
  f.clock.advance(std::chrono::minutes(2));
  f.jobs->run_due(f.cfg);
  CHECK(f.sender.requests.size() == 2);
  f.clock.advance(std::chrono::minutes(2));
  f.jobs->run_due(f.cfg);
  CHECK(f.sender.requests.size() == 3);  // max_attempts 3: now failed
  f.clock.advance(std::chrono::minutes(10));
  f.jobs->run_due(f.cfg);
  CHECK(f.sender.requests.size() == 3);
  CHECK(f.header(0, "webhook-id") == f.header(2, "webhook-id"));
  CHECK(f.header(0, "webhook-id").rfind("msg_", 0) == 0);
  CHECK((*f.jobs->history(1))[0].result == "failed");
}

TEST_CASE("rollback jobs: an attempt cut off by a restart runs again with the same webhook-id",
          "[hooks][rollback]") {
  JobsFixture f;
  REQUIRE(f.jobs->enqueue(f.request("a")).ok());
  // What a crash during the call leaves: the job recorded as running its first attempt.
  auto open_jobs = f.jobs->unfinished();
  REQUIRE(open_jobs.ok());
  REQUIRE(open_jobs->size() == 1);
  const std::string key = (*open_jobs)[0].key;
  auto raw = f.store->get_state(key);
  REQUIRE(raw.ok());
  auto record = nlohmann::json::parse(**raw);
  record["state"] = "running";
  record["attempts"] = 1;
  REQUIRE(f.store->put_state(key, record.dump()).ok());
  f.open();  // the restart
  CHECK(f.jobs->run_due(f.cfg) == 1);
  REQUIRE(f.sender.requests.size() == 1);
  CHECK(f.header(0, "webhook-id") == (*open_jobs)[0].message_id);
  auto h = f.jobs->history(10);
  REQUIRE(h.ok());
  REQUIRE(h->size() == 2);
  CHECK((*h)[0].result == "succeeded");
  CHECK((*h)[0].attempts == 2);
  CHECK((*h)[1].result == "interrupted");
  CHECK(f.jobs->run_due(f.cfg) == 0);
}

TEST_CASE("rollback jobs report each job's final result once, after its retries", "[hooks][rollback]") {
  JobsFixture f;
  std::vector<std::pair<std::string, std::string>> results;  // idempotency key, result
  f.jobs->set_result_listener([&](const RollbackRequest& req, const AuditEntry& e) {
    results.emplace_back(req.idempotency_key, e.result);
    CHECK(e.hook == "notify");
    CHECK(e.kind == "webhook");
    // Called without the jobs' lock: reading them back does not deadlock.
    CHECK(f.jobs->history(1).ok());
  });
  f.sender.statuses = {503, 204};
  CHECK(f.run("a") == "retrying");
  CHECK(results.empty());  // not final yet
  f.clock.advance(std::chrono::minutes(2));
  f.jobs->run_due(f.cfg);
  REQUIRE(results.size() == 1);
  CHECK(results[0] == std::pair<std::string, std::string>{"a", "succeeded"});
  CHECK(f.run("a") == "duplicate");  // not reported
  CHECK(f.run("b") == "skipped_cooldown");
  f.cfg.release.rollback.dry_run = true;
  f.clock.advance(std::chrono::hours(2));
  CHECK(f.run("c") == "dry_run");
  REQUIRE(results.size() == 3);
  CHECK(results[1] == std::pair<std::string, std::string>{"b", "skipped_cooldown"});
  CHECK(results[2] == std::pair<std::string, std::string>{"c", "dry_run"});
}

TEST_CASE("rollback jobs: workers run queued jobs off the caller's thread", "[hooks][rollback]") {
  JobsFixture f;
  config::Config cfg = f.cfg;
  auto shared = std::make_shared<const config::Config>(cfg);
  f.jobs->start(2, [shared] { return shared; });
  REQUIRE(f.jobs->enqueue(f.request("a")).ok());
  REQUIRE(f.wait_sent(1));
  f.jobs->stop();
  auto h = f.jobs->history(1);
  REQUIRE(h.ok());
  REQUIRE(h->size() == 1);
  CHECK((*h)[0].result == "succeeded");
}

TEST_CASE("exec hooks get request values as SLOGUARD_* variables and placeholders only after --",
          "[hooks][exec]") {
  JobsFixture f;
  config::HookConfig h;
  h.name = "undo";
  h.kind = config::HookKind::kExec;
  h.argv = {"/bin/sh", "-c", "printf '%s|%s|%s|%s' \"$SLOGUARD_VERSION\" \"$SLOGUARD_SERVICE\" \"$1\" \"$#\"", "sh",
            "--", "{version}"};
  f.cfg.release.hooks.push_back(h);
  RollbackRequest r = f.request("a");
  r.hooks = {"undo"};
  r.version = "v1; touch /tmp/sloguard-injected";
  REQUIRE(f.jobs->enqueue(r).ok());
  f.jobs->run_due(f.cfg);
  auto hist = f.jobs->history(1);
  REQUIRE(hist.ok());
  REQUIRE(hist->size() == 1);
  CHECK((*hist)[0].result == "succeeded");
  // $1 is "--" (sh's own positional), the version arrives whole as data, never run.
  CHECK((*hist)[0].output == "v1; touch /tmp/sloguard-injected|checkout|--|2");
  CHECK_FALSE(std::filesystem::exists("/tmp/sloguard-injected"));
}

TEST_CASE("rollback jobs: a dry-run hook stays dry when another hook of its key ran", "[hooks][rollback]") {
  JobsFixture f;
  config::HookConfig dry = f.cfg.release.hooks[0];
  dry.name = "trial";
  dry.url = "http://127.0.0.1:9/trial";
  dry.dry_run = true;
  f.cfg.release.hooks.push_back(dry);
  RollbackRequest r = f.request("a");
  r.hooks = {"notify", "trial"};
  REQUIRE(f.jobs->enqueue(r).ok());
  CHECK(f.jobs->run_due(f.cfg) == 2);
  REQUIRE(f.sender.requests.size() == 1);
  CHECK(f.sender.requests[0].url == "http://127.0.0.1:9/hook");
  auto h = f.jobs->history(10);
  REQUIRE(h.ok());
  REQUIRE(h->size() == 2);
  CHECK(((*h)[0].result == "dry_run" || (*h)[1].result == "dry_run"));
}

TEST_CASE("rollback jobs: dry run turned on while a job retries stops it calling", "[hooks][rollback]") {
  JobsFixture f;
  f.sender.statuses = {503};
  CHECK(f.run("a") == "retrying");
  f.cfg.release.rollback.dry_run = true;
  f.clock.advance(std::chrono::minutes(2));
  f.jobs->run_due(f.cfg);
  CHECK(f.sender.requests.size() == 1);
  CHECK((*f.jobs->history(1))[0].result == "dry_run");
}

TEST_CASE("rollback jobs: first-wave hook runs are duplicates and their retries become jobs", "[hooks][rollback]") {
  JobsFixture f;
  const nlohmann::json done = {{"hook", "notify"}, {"service", "checkout"}, {"state", "succeeded"},
                               {"request", {{"service", "checkout"}, {"idempotency_key", "old"}}}};
  REQUIRE(f.store->put_state("hookrun/old/notify", done.dump()).ok());
  CHECK(f.jobs->plan(f.request("old"))->runs[0].result == "duplicate");
  const nlohmann::json retrying = {{"hook", "notify"},
                                   {"service", "checkout"},
                                   {"state", "retrying"},
                                   {"attempts", 2},
                                   {"message_id", "msg_0123456789abcdef"},
                                   {"request", {{"service", "checkout"}, {"idempotency_key", "older"}, {"reason", "r"}}}};
  REQUIRE(f.store->put_state("hookrun/older/notify", retrying.dump()).ok());
  REQUIRE(f.jobs->migrate().ok());
  REQUIRE(f.jobs->migrate().ok());  // once
  CHECK(f.jobs->run_due(f.cfg) == 1);
  REQUIRE(f.sender.requests.size() == 1);
  CHECK(f.header(0, "webhook-id") == "msg_0123456789abcdef");
  CHECK((*f.jobs->history(1))[0].attempts == 3);
}

TEST_CASE("rollback workers survive a hook call that throws, count it and run the job again", "[hooks][rollback]") {
  JobsFixture f;
  std::atomic<int> reported{0};
  f.jobs->set_error_reporter([&](const std::string& component) {
    if (component == "hook_worker") ++reported;
  });
  f.sender.throw_next = 1;
  auto shared = std::make_shared<const config::Config>(f.cfg);
  f.jobs->start(1, [shared] { return shared; });
  REQUIRE(f.jobs->enqueue(f.request("a")).ok());
  // The throw lets the job go; the worker's next look runs it.
  REQUIRE(f.wait_sent(1));
  f.jobs->stop();
  CHECK(reported.load() == 1);
  auto h = f.jobs->history(10);
  REQUIRE(h.ok());
  REQUIRE_FALSE(h->empty());
  CHECK((*h)[0].result == "succeeded");
}

TEST_CASE("rollback jobs: a result listener that throws is counted and the job does not run twice",
          "[hooks][rollback]") {
  JobsFixture f;
  std::atomic<int> reported{0};
  f.jobs->set_error_reporter([&](const std::string&) { ++reported; });
  f.jobs->set_result_listener([](const RollbackRequest&, const AuditEntry&) { throw std::bad_alloc(); });
  CHECK(f.run("a") == "succeeded");
  CHECK(reported.load() == 1);
  f.jobs->run_due(f.cfg);
  CHECK(f.sender.requests.size() == 1);
  auto open_jobs = f.jobs->unfinished();
  REQUIRE(open_jobs.ok());
  CHECK(open_jobs->empty());
}

TEST_CASE("rollback jobs: a stored record of the wrong shape is an error, not a crash", "[hooks][rollback]") {
  JobsFixture f;
  REQUIRE(f.store->put_state("rbsvc/checkout", R"({"rollbacks":[{"key":1,"at_ms":"x","reason":[]}]})").ok());
  REQUIRE(f.store->put_state("rbjob/bad/notify", R"({"hook":7,"request":"nope"})").ok());
  REQUIRE(f.store->put_state("rbdue/bad/notify", "1").ok());
  CHECK(f.run("a") == "succeeded");
  CHECK(f.sender.requests.size() == 1);
}

TEST_CASE("a run left behind is stopped only when its environment names the job", "[hooks][exec]") {
  std::atomic<int> pgid{0};
  ExecResult result;
  std::thread runner([&] {
    result = run_exec({"/bin/sleep", "30"}, {{"SLOGUARD_WEBHOOK_ID", "msg_1"}}, 30000, 100,
                      [&](int g) { pgid = g; });
  });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (pgid == 0) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::yield();
  }
  // A pid is used as soon as it is spawned; the environment shows once the program runs.
  bool stopped = false;
  CHECK_FALSE(stop_stale_exec(pgid, "SLOGUARD_WEBHOOK_ID=msg_2", 100));  // another job's: untouched
  while (!(stopped = stop_stale_exec(pgid, "SLOGUARD_WEBHOOK_ID=msg_1", 5000))) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::yield();
  }
  runner.join();
  CHECK(stopped);
  CHECK(result.signal == 9);
  CHECK_FALSE(stop_stale_exec(1, "SLOGUARD_WEBHOOK_ID=msg_1", 10));
}

TEST_CASE("github workflow inputs can carry the job's idempotency key and webhook-id", "[hooks][rollback]") {
  JobsFixture f;
  config::HookConfig gh;
  gh.name = "gh";
  gh.kind = config::HookKind::kGithub;
  gh.api_url = "http://127.0.0.1:9";
  gh.token = "t";
  gh.owner = "acme";
  gh.repo = "checkout";
  gh.workflow = "rollback.yml";
  gh.inputs = {{"key", "{idempotency_key}"}, {"id", "{webhook_id}"}, {"version", "{previous_version}"}};
  f.cfg.release.hooks.push_back(gh);
  RollbackRequest r = f.request("deploy/d1");
  r.hooks = {"gh"};
  r.previous_version = "v1";
  REQUIRE(f.jobs->enqueue(r).ok());
  f.jobs->run_due(f.cfg);
  REQUIRE(f.sender.requests.size() == 1);
  const auto body = nlohmann::json::parse(f.sender.requests[0].body);
  CHECK(body["inputs"]["key"] == "deploy/d1/gh");
  CHECK(body["inputs"]["id"].get<std::string>().rfind("msg_", 0) == 0);
  CHECK(body["inputs"]["version"] == "v1");
}

}  // namespace
}  // namespace sloguard::hooks
