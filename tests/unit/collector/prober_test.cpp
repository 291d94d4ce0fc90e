// The prober against loopback peers the test starts: every outcome, concurrency on one
// thread, and the background loop. Nothing sleeps: run() is synchronous, and the loop's
// results are awaited on a condition variable with a deadline.
#include "sloguard/collector/probe.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "../../../collector/src/prober_schedule.h"
#include "../../../collector/src/prober_transfer.h"
#include "loopback_http.h"

using namespace sloguard;
using namespace std::chrono_literals;
using collector::ProbeOutcome;
using collector::ProbeResult;
using collector::Prober;
using config::ProbeConfig;
using testing::LoopbackHttpServer;
using testing::LoopbackTcpPort;

namespace {

constexpr int64_t kNowMs = 1767225600000;  // 2026-01-01T00:00:00Z

ProbeConfig http_probe(const std::string& name, const std::string& url, int64_t timeout_ms = 5000) {
  ProbeConfig p;
  p.name = name;
  p.service = "checkout";
  p.kind = config::ProbeKind::kHttp;
  p.http.url = url;
  p.timeout_ms = timeout_ms;
  p.interval_ms = std::max<int64_t>(timeout_ms, 1000);
  return p;
}

ProbeConfig tcp_probe(const std::string& name, int port) {
  ProbeConfig p;
  p.name = name;
  p.service = "checkout";
  p.kind = config::ProbeKind::kTcp;
  p.tcp.host = "127.0.0.1";
  p.tcp.port = port;
  p.timeout_ms = 5000;
  p.interval_ms = 5000;
  return p;
}

// A server with the handlers the cases need; /hang blocks until the test ends.
struct Target {
  LoopbackHttpServer http;
  std::mutex mu;
  httplib::Headers last_headers;

  Target() {
    auto& s = http.server();
    s.Get("/ok", [this](const httplib::Request& req, httplib::Response& res) {
      {
        std::lock_guard<std::mutex> lock(mu);
        last_headers = req.headers;
      }
      res.set_content("status: healthy, version 1.2.3", "text/plain");
    });
    s.Get("/fail", [](const httplib::Request&, httplib::Response& res) {
      res.status = 500;
      res.set_content("boom", "text/plain");
    });
    s.Get("/no-content", [](const httplib::Request&, httplib::Response& res) { res.status = 204; });
    s.Get("/moved", [](const httplib::Request&, httplib::Response& res) { res.set_redirect("/ok", 302); });
    s.Get("/loop", [](const httplib::Request&, httplib::Response& res) { res.set_redirect("/loop", 302); });
    s.Get("/hang", [this](const httplib::Request&, httplib::Response& res) {
      http.hold();
      res.set_content("late", "text/plain");
    });
    s.Post("/submit", [](const httplib::Request&, httplib::Response& res) { res.set_content("posted", "text/plain"); });
    s.Get("/big", [](const httplib::Request&, httplib::Response& res) {
      // The marker sits past the 64 KiB a body check sees.
      res.set_content(std::string(70 * 1024, 'x') + "MARKER", "text/plain");
    });
    http.start();
  }
  std::string url(const std::string& path) const { return http.url(path); }
};

ProbeResult run_one(Prober& prober, const ProbeConfig& p) {
  auto results = prober.run({&p});
  REQUIRE(results.size() == 1);
  INFO("detail: " << results[0].detail);
  return results[0];
}

}  // namespace

TEST_CASE("Prober: HTTP 200 is a success, stamped with the injected clock") {
  Target t;
  ManualClock clock(kNowMs);
  Prober prober(clock);
  auto p = http_probe("ok", t.url("/ok"));
  // X-Empty is sent as "X-Empty:" (cpp-httplib drops empty values, so it is not checked).
  p.http.headers = {{"Authorization", "Bearer s3cret-token"}, {"X-Empty", ""}};
  auto r = run_one(prober, p);
  CHECK(r.outcome == ProbeOutcome::kSuccess);
  CHECK(r.success());
  CHECK(r.probe == "ok");
  CHECK(r.http_status == 200);
  CHECK(r.ts == 1767225600.0);
  CHECK(r.latency_ms > 0);
  CHECK(r.latency_ms < 5000);
  CHECK(r.detail.empty());
  std::lock_guard<std::mutex> lock(t.mu);
  CHECK(t.last_headers.find("User-Agent")->second == std::string("sloguard-prober/") + SLOGUARD_VERSION);
  CHECK(t.last_headers.find("Authorization")->second == "Bearer s3cret-token");
}

TEST_CASE("Prober: HTTP 500 is a status failure whose detail names it and no header value") {
  Target t;
  ManualClock clock(kNowMs);
  Prober prober(clock);
  auto p = http_probe("fail", t.url("/fail"));
  p.http.headers = {{"Authorization", "Bearer s3cret-token"}};
  auto r = run_one(prober, p);
  CHECK(r.outcome == ProbeOutcome::kStatus);
  CHECK(r.http_status == 500);
  CHECK(r.detail == "HTTP 500, expected 2xx");
  CHECK(r.detail.find("s3cret") == std::string::npos);
  CHECK(std::string(collector::probe_outcome_name(r.outcome)) == "status");
}

TEST_CASE("Prober: a server that answers after the timeout is a timeout") {
  Target t;
  ManualClock clock(kNowMs);
  Prober prober(clock);
  const auto t0 = std::chrono::steady_clock::now();
  auto r = run_one(prober, http_probe("hang", t.url("/hang"), 300));
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  CHECK(r.outcome == ProbeOutcome::kTimeout);
  CHECK(r.http_status == 0);
  CHECK(r.latency_ms >= 290);
  CHECK(r.latency_ms < 3000);
  CHECK(elapsed < 3s);
  CHECK(t.http.wait_held(1, 0ms));  // the request did reach the handler
}

TEST_CASE("Prober: a connection closed before any answer is a connect failure") {
  LoopbackTcpPort closer(/*listen=*/true);
  ManualClock clock(kNowMs);
  Prober prober(clock);
  auto r = run_one(prober, http_probe("closed", "http://127.0.0.1:" + std::to_string(closer.port()) + "/healthz"));
  CHECK(r.outcome == ProbeOutcome::kConnect);
  CHECK(r.http_status == 0);
  CHECK_FALSE(r.detail.empty());
}

TEST_CASE("Prober: a port with nothing listening is a connect failure") {
  LoopbackTcpPort refusing(/*listen=*/false);
  ManualClock clock(kNowMs);
  Prober prober(clock);
  auto r = run_one(prober, http_probe("refused", "http://127.0.0.1:" + std::to_string(refusing.port()) + "/"));
  CHECK(r.outcome == ProbeOutcome::kConnect);
  CHECK(r.detail.find("127.0.0.1") != std::string::npos);
}

TEST_CASE("Prober: body checks by substring and by regex") {
  Target t;
  ManualClock clock(kNowMs);
  Prober prober(clock);

  SECTION("substring present and absent") {
    auto good = http_probe("has", t.url("/ok"));
    good.http.body_contains = "healthy";
    auto bad = http_probe("lacks", t.url("/ok"));
    bad.http.body_contains = "degraded";
    auto rs = prober.run({&good, &bad});
    CHECK(rs[0].outcome == ProbeOutcome::kSuccess);
    CHECK(rs[1].outcome == ProbeOutcome::kBody);
    CHECK(rs[1].http_status == 200);
    CHECK(rs[1].detail == "body lacks \"degraded\"");
  }
  SECTION("regex matching and not matching") {
    auto good = http_probe("matches", t.url("/ok"));
    good.http.body_regex = R"(version \d+\.\d+\.\d+)";
    auto bad = http_probe("differs", t.url("/ok"));
    bad.http.body_regex = "^status: (down|degraded)";
    auto rs = prober.run({&good, &bad});
    CHECK(rs[0].outcome == ProbeOutcome::kSuccess);
    CHECK(rs[1].outcome == ProbeOutcome::kBody);
    CHECK(rs[1].detail == "body does not match /^status: (down|degraded)/");
  }
  SECTION("a pattern that does not compile is an error result, not an exception") {
    auto p = http_probe("bad-regex", t.url("/ok"));
    p.http.body_regex = "(unclosed";
    auto r = run_one(prober, p);
    CHECK(r.outcome == ProbeOutcome::kOther);
    CHECK(r.detail == "invalid body_regex: missing ): (unclosed");
  }
  SECTION("a pattern that backtracking engines take exponential time on is answered (RE2)") {
    // 64 KiB of 'x' are checked; (x+)+y has 2^65536 ways to fail for a backtracking engine.
    auto fails = http_probe("nested-miss", t.url("/big"));
    fails.http.body_regex = "(x+)+y";
    auto holds = http_probe("nested-hit", t.url("/big"));
    holds.http.body_regex = "(x+)+$";
    auto rs = prober.run({&fails, &holds});
    CHECK(rs[0].outcome == ProbeOutcome::kBody);
    CHECK(rs[0].detail == "body does not match /(x+)+y/");
    CHECK(rs[1].outcome == ProbeOutcome::kSuccess);
  }
  SECTION("status is judged before the body") {
    auto p = http_probe("fail-body", t.url("/fail"));
    p.http.body_contains = "healthy";
    CHECK(run_one(prober, p).outcome == ProbeOutcome::kStatus);
  }
  SECTION("checks see the first 64 KiB only") {
    auto past = http_probe("past-cap", t.url("/big"));
    past.http.body_contains = "MARKER";
    auto within = http_probe("within-cap", t.url("/big"));
    within.http.body_contains = "xxxx";
    auto rs = prober.run({&past, &within});
    CHECK(rs[0].outcome == ProbeOutcome::kBody);
    CHECK(rs[1].outcome == ProbeOutcome::kSuccess);
  }
}

TEST_CASE("Prober: redirects are a status unless followed") {
  Target t;
  ManualClock clock(kNowMs);
  Prober prober(clock);
  auto stay = http_probe("stay", t.url("/moved"));
  auto follow = http_probe("follow", t.url("/moved"));
  follow.http.follow_redirects = true;
  follow.http.body_contains = "healthy";  // the body of the page redirected to
  auto expect_302 = http_probe("expect-302", t.url("/moved"));
  expect_302.http.expect_status = {302};
  auto loop = http_probe("loop", t.url("/loop"));
  loop.http.follow_redirects = true;
  loop.http.max_redirects = 3;
  auto rs = prober.run({&stay, &follow, &expect_302, &loop});
  CHECK(rs[0].outcome == ProbeOutcome::kStatus);
  CHECK(rs[0].http_status == 302);
  CHECK(rs[0].detail == "HTTP 302, expected 2xx");
  CHECK(rs[1].outcome == ProbeOutcome::kSuccess);
  CHECK(rs[1].http_status == 200);
  CHECK(rs[2].outcome == ProbeOutcome::kSuccess);
  CHECK(rs[3].outcome == ProbeOutcome::kStatus);
  CHECK(rs[3].http_status == 302);
}

TEST_CASE("Prober: expect_status replaces the 2xx default") {
  Target t;
  ManualClock clock(kNowMs);
  Prober prober(clock);
  auto p204 = http_probe("204", t.url("/no-content"));
  p204.http.expect_status = {204};
  auto p200 = http_probe("200-not-expected", t.url("/ok"));
  p200.http.expect_status = {204};
  auto p200_listed = http_probe("200-listed", t.url("/ok"));
  p200_listed.http.expect_status = {204, 200};
  auto rs = prober.run({&p204, &p200, &p200_listed});
  CHECK(rs[0].outcome == ProbeOutcome::kSuccess);
  CHECK(rs[0].http_status == 204);
  CHECK(rs[1].outcome == ProbeOutcome::kStatus);
  CHECK(rs[1].detail == "HTTP 200, expected 204");
  CHECK(rs[2].outcome == ProbeOutcome::kSuccess);
}

TEST_CASE("Prober: the configured method is sent") {
  Target t;
  ManualClock clock(kNowMs);
  Prober prober(clock);
  auto post = http_probe("post", t.url("/submit"));
  post.http.method = "POST";
  auto get = http_probe("get", t.url("/submit"));  // no GET handler: 404
  auto head = http_probe("head", t.url("/ok"));
  head.http.method = "HEAD";
  auto rs = prober.run({&post, &get, &head});
  CHECK(rs[0].outcome == ProbeOutcome::kSuccess);
  CHECK(rs[1].outcome == ProbeOutcome::kStatus);
  CHECK(rs[1].http_status == 404);
  CHECK(rs[2].outcome == ProbeOutcome::kSuccess);
}

// A 64-character label cannot be put in a DNS query, so the C library's stub resolver fails
// before sending anything: no packet leaves the machine (checked with strace: no sendto or
// sendmmsg to a name server). "nonexistent.invalid" alone would be sent to the configured
// name server. ".invalid" (RFC 6761) keeps the name unresolvable anywhere regardless.
TEST_CASE("Prober: an unresolvable host is a DNS failure, without leaving loopback") {
  ManualClock clock(kNowMs);
  Prober prober(clock);
  const std::string host = std::string(64, 'a') + ".nonexistent.invalid";
  auto r = run_one(prober, http_probe("dns", "http://" + host + "/healthz"));
  CHECK(r.outcome == ProbeOutcome::kDns);
  CHECK(r.http_status == 0);
}

TEST_CASE("Prober: https to a plain-HTTP port is a TLS failure") {
  Target t;
  ManualClock clock(kNowMs);
  Prober prober(clock);
  auto r = run_one(prober, http_probe("tls", "https://127.0.0.1:" + std::to_string(t.http.port()) + "/ok"));
  CHECK(r.outcome == ProbeOutcome::kTls);
  CHECK(r.http_status == 0);
}

TEST_CASE("Prober: TCP connect to a listening port succeeds, to a closed one fails") {
  Target t;
  LoopbackTcpPort refusing(/*listen=*/false);
  ManualClock clock(kNowMs);
  Prober prober(clock);
  auto open = tcp_probe("tcp-open", t.http.port());
  auto closed = tcp_probe("tcp-closed", refusing.port());
  auto rs = prober.run({&open, &closed});
  CHECK(rs[0].outcome == ProbeOutcome::kSuccess);
  CHECK(rs[0].http_status == 0);
  CHECK(rs[0].latency_ms > 0);
  CHECK(rs[1].outcome == ProbeOutcome::kConnect);
}

TEST_CASE("Prober: 50 probes run at once on one thread") {
  Target t;
  ManualClock clock(kNowMs);
  Prober prober(clock);
  std::vector<ProbeConfig> configs;

  SECTION("50 hanging probes take one timeout, not fifty") {
    for (int i = 0; i < 50; ++i) configs.push_back(http_probe("hang-" + std::to_string(i), t.url("/hang"), 300));
    std::vector<const ProbeConfig*> ptrs;
    for (const auto& c : configs) ptrs.push_back(&c);
    const auto t0 = std::chrono::steady_clock::now();
    auto rs = prober.run(ptrs);
    const auto elapsed = std::chrono::steady_clock::now() - t0;
    REQUIRE(rs.size() == 50);
    for (size_t i = 0; i < rs.size(); ++i) {
      CHECK(rs[i].probe == configs[i].name);
      CHECK(rs[i].outcome == ProbeOutcome::kTimeout);
    }
    CHECK(elapsed < 3s);  // one after another would take 15 s
  }
  SECTION("a hanging probe does not hold up the others") {
    configs.push_back(http_probe("hang", t.url("/hang"), 1000));
    for (int i = 0; i < 49; ++i) configs.push_back(http_probe("ok-" + std::to_string(i), t.url("/ok")));
    std::vector<const ProbeConfig*> ptrs;
    for (const auto& c : configs) ptrs.push_back(&c);
    auto rs = prober.run(ptrs);
    REQUIRE(rs.size() == 50);
    CHECK(rs[0].outcome == ProbeOutcome::kTimeout);
    for (size_t i = 1; i < rs.size(); ++i) {
      CHECK(rs[i].probe == configs[i].name);
      CHECK(rs[i].outcome == ProbeOutcome::kSuccess);
      CHECK(rs[i].latency_ms < 1000);  // done before the hanging probe's timeout
    }
  }
}

namespace {

// Collects the loop's results; waits for a condition with a deadline.
struct Collector {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<ProbeResult> results;

  Prober::Sink sink() {
    return [this](std::vector<ProbeResult> batch) {
      std::lock_guard<std::mutex> lock(mu);
      for (auto& r : batch) results.push_back(std::move(r));
      cv.notify_all();
    };
  }
  template <typename Pred>
  bool wait(std::chrono::milliseconds deadline, Pred pred) {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, deadline, [&] { return pred(results); });
  }
  static bool has(const std::vector<ProbeResult>& rs, const std::string& name, size_t from = 0) {
    for (size_t i = from; i < rs.size(); ++i)
      if (rs[i].probe == name) return true;
    return false;
  }
};

// The config the loop reads; swap() is a reload.
struct LiveConfig {
  std::mutex mu;
  std::shared_ptr<const config::Config> current;

  void swap(std::vector<ProbeConfig> probes) {
    auto c = std::make_shared<config::Config>();
    c->services.push_back(config::ServiceConfig{"checkout", std::move(probes)});
    std::lock_guard<std::mutex> lock(mu);
    current = std::move(c);
  }
  Prober::ConfigFn fn() {
    return [this] {
      std::lock_guard<std::mutex> lock(mu);
      return current;
    };
  }
};

ProbeConfig every_second(ProbeConfig p) {
  p.interval_ms = 1000;
  p.timeout_ms = 900;
  return p;
}

}  // namespace

TEST_CASE("Prober: the background loop delivers results, follows reloads and stops promptly") {
  Target t;
  ManualClock clock(kNowMs);
  Prober prober(clock);
  Collector got;
  LiveConfig live;
  live.swap({every_second(http_probe("a", t.url("/ok"))), every_second(tcp_probe("b", t.http.port()))});
  prober.start(live.fn(), got.sink());

  // First runs fall within the first second (jitter), results right after.
  REQUIRE(got.wait(5000ms, [](const auto& rs) { return Collector::has(rs, "a") && Collector::has(rs, "b"); }));

  // Reload: "a" goes, "c" comes. Once "c" has run, the loop has dropped "a" (and abandoned a
  // run of it in flight), so no "a" may follow.
  live.swap({every_second(tcp_probe("b", t.http.port())), every_second(http_probe("c", t.url("/no-content")))});
  size_t c_at = 0;
  REQUIRE(got.wait(5000ms, [&](const auto& rs) {
    for (size_t i = 0; i < rs.size(); ++i) {
      if (rs[i].probe == "c") {
        c_at = i;
        return Collector::has(rs, "b", i + 1);  // and "b" keeps running after it
      }
    }
    return false;
  }));

  const auto t0 = std::chrono::steady_clock::now();
  prober.stop();
  const auto stop_took = std::chrono::steady_clock::now() - t0;
  CHECK(stop_took < 500ms);
  prober.stop();  // idempotent

  std::lock_guard<std::mutex> lock(got.mu);
  CHECK_FALSE(Collector::has(got.results, "a", c_at));
  for (const auto& r : got.results) {
    INFO(r.probe << ": " << r.detail);
    CHECK(r.success());  // /no-content is 204: a 2xx
    CHECK(r.ts == 1767225600.0);
  }
}

TEST_CASE("Prober: stop() abandons a run in flight at once") {
  Target t;
  ManualClock clock(kNowMs);
  Collector got;
  LiveConfig live;
  auto hang = http_probe("hang", t.url("/hang"), 2000);
  hang.interval_ms = 2000;  // the first run comes within 2 s
  live.swap({hang});
  Prober prober(clock);
  prober.start(live.fn(), got.sink());
  REQUIRE(t.http.wait_held(1, 15000ms));  // the run is in flight, its handler blocked

  const auto t0 = std::chrono::steady_clock::now();
  prober.stop();
  CHECK(std::chrono::steady_clock::now() - t0 < 500ms);
  std::lock_guard<std::mutex> lock(got.mu);
  CHECK(got.results.empty());
}

TEST_CASE("Prober: a config source or a sink that throws is counted and the loop goes on") {
  Target t;
  ManualClock clock(kNowMs);
  Collector got;
  LiveConfig live;
  live.swap({every_second(tcp_probe("b", t.http.port()))});
  std::atomic<int> config_calls{0}, sink_calls{0}, reported{0};
  std::mutex component_mu;
  std::string component;
  Prober prober(clock);
  prober.set_error_reporter([&](const std::string& c) {
    std::lock_guard<std::mutex> lock(component_mu);
    component = c;
    ++reported;
  });
  auto config = live.fn();
  auto sink = got.sink();
  prober.start(
      [&] {
        if (config_calls++ == 0) throw std::runtime_error("config source broke");
        return config();
      },
      [&](std::vector<ProbeResult> batch) {
        if (sink_calls++ == 0) throw std::bad_alloc();
        sink(std::move(batch));
      });
  // The first batch was thrown away by the sink; a later run of "b" still arrives.
  REQUIRE(got.wait(10000ms, [](const auto& rs) { return Collector::has(rs, "b"); }));
  prober.stop();
  CHECK(reported.load() == 2);
  CHECK(sink_calls.load() >= 2);
  std::lock_guard<std::mutex> lock(component_mu);
  CHECK(component == "prober");
}

// The schedule on made-up steady time: no thread, no waiting.
TEST_CASE("ProbeSchedule: jittered first runs, one run per interval, reconcile by name") {
  using detail_schedule = collector::detail::ProbeSchedule;
  using TP = detail_schedule::TimePoint;
  const TP t0{std::chrono::hours(1)};

  SECTION("first-run offsets are fixed per name, inside the interval, and spread") {
    std::vector<int64_t> offsets;
    for (int i = 0; i < 1000; ++i) {
      const std::string name = "probe-" + std::to_string(i);
      auto off = detail_schedule::first_run_offset(name, 10000).count();
      CHECK(off == detail_schedule::first_run_offset(name, 10000).count());
      REQUIRE(off >= 0);
      REQUIRE(off < 10000);
      offsets.push_back(off);
    }
    // Ten equal bins of the interval each get about a tenth (binomial sd ~9.5).
    std::vector<int> bins(10);
    for (auto o : offsets) ++bins[o / 1000];
    for (int b : bins) {
      CHECK(b > 50);
      CHECK(b < 150);
    }
  }

  SECTION("due probes run once per interval; missed slots are skipped") {
    config::Config cfg;
    cfg.services.push_back({"svc", {http_probe("p", "http://127.0.0.1:1/")}});
    cfg.services[0].probes[0].interval_ms = 1000;
    detail_schedule s;
    auto ch = s.reconcile(cfg, t0);
    CHECK(ch.added == std::vector<std::string>{"p"});
    const TP first = *s.due_of("p");
    CHECK(first >= t0);
    CHECK(first < t0 + 1s);
    CHECK(s.take_due(first - 1ms).empty());
    CHECK(s.take_due(first).size() == 1);
    CHECK(*s.due_of("p") == first + 1s);
    CHECK(s.take_due(first + 500ms).empty());
    // The loop was stuck for 3.5 intervals: one run now, the next on the original grid.
    CHECK(s.take_due(first + 4500ms).size() == 1);
    CHECK(*s.due_of("p") == first + 5s);
    CHECK(*s.next_due() == first + 5s);
  }

  SECTION("reconcile: added, changed, removed; a changed interval rejitters") {
    config::Config cfg;
    cfg.services.push_back({"svc", {http_probe("a", "http://127.0.0.1:1/"), http_probe("b", "http://127.0.0.1:2/")}});
    detail_schedule s;
    s.reconcile(cfg, t0);
    const TP a_due = *s.due_of("a");
    const TP b_due = *s.due_of("b");

    config::Config next = cfg;
    next.services[0].probes[0].http.url = "http://127.0.0.1:3/";  // a: same interval, new url
    next.services[0].probes.erase(next.services[0].probes.begin() + 1);  // b: gone
    next.services[0].probes.push_back(http_probe("c", "http://127.0.0.1:4/"));
    auto ch = s.reconcile(next, t0 + 100ms);
    CHECK(ch.added == std::vector<std::string>{"c"});
    CHECK(ch.changed == std::vector<std::string>{"a"});
    CHECK(ch.removed == std::vector<std::string>{"b"});
    CHECK(*s.due_of("a") == a_due);  // keeps its slot
    CHECK_FALSE(s.due_of("b"));
    CHECK(s.size() == 2);
    (void)b_due;

    CHECK(s.reconcile(next, t0 + 200ms).changed.empty());  // same config: nothing to do

    next.services[0].probes[0].interval_ms = 60000;
    ch = s.reconcile(next, t0 + 300ms);
    CHECK(ch.changed == std::vector<std::string>{"a"});
    CHECK(*s.due_of("a") == t0 + 300ms + detail_schedule::first_run_offset("a", 60000));
    auto due = s.take_due(t0 + 300ms + 60s);
    REQUIRE(due.size() == 2);
    for (const auto& p : due) CHECK((p->name == "a" ? p->http.url == "http://127.0.0.1:3/" : p->name == "c"));
  }
}

TEST_CASE("Prober: curl codes map to outcomes") {
  using collector::detail::outcome_of_curl_code;
  CHECK(outcome_of_curl_code(CURLE_OK) == ProbeOutcome::kSuccess);
  CHECK(outcome_of_curl_code(CURLE_COULDNT_RESOLVE_HOST) == ProbeOutcome::kDns);
  for (CURLcode c : {CURLE_COULDNT_CONNECT, CURLE_GOT_NOTHING, CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_PARTIAL_FILE}) {
    CHECK(outcome_of_curl_code(c) == ProbeOutcome::kConnect);
  }
  for (CURLcode c : {CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM,
                     CURLE_SSL_CACERT_BADFILE, CURLE_SSL_PINNEDPUBKEYNOTMATCH}) {
    CHECK(outcome_of_curl_code(c) == ProbeOutcome::kTls);
  }
  CHECK(outcome_of_curl_code(CURLE_OPERATION_TIMEDOUT) == ProbeOutcome::kTimeout);
  CHECK(outcome_of_curl_code(CURLE_TOO_MANY_REDIRECTS) == ProbeOutcome::kStatus);
  CHECK(outcome_of_curl_code(CURLE_URL_MALFORMAT) == ProbeOutcome::kOther);
  CHECK(outcome_of_curl_code(CURLE_WEIRD_SERVER_REPLY) == ProbeOutcome::kOther);
}
