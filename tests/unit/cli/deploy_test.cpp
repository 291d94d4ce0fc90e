// `sloguard deploy start` and `deploy wait` in-process against a scripted loopback API. The
// wait loop runs on a ManualClock whose sleep only advances it: no test waits for time to pass.
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <sstream>

#include "commands.h"
#include "loopback_http.h"
#include "scripted_api.h"
#include "sloguard/common/clock.h"

using namespace sloguard;
using namespace sloguard::cli;
using namespace sloguard::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

struct Run {
  int code = -1;
  std::string out, err;
};

Run start(const DeployStartArgs& args) {
  std::ostringstream out, err;
  Run r;
  r.code = run_deploy_start(args, out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

DeployStartArgs start_args(const std::string& server) {
  DeployStartArgs a;
  a.server = server;
  a.service = "checkout";
  a.version = "v2";
  a.timeout_seconds = 5;
  return a;
}

// A manual clock and a sleep that records each pause and advances the clock by it.
struct FakeTime {
  ManualClock clock{1'767'225'600'000};
  std::vector<std::chrono::milliseconds> sleeps;
  DeployWaitTime time() {
    return {&clock, [this](std::chrono::milliseconds d) {
              sleeps.push_back(d);
              clock.advance(d);
            }};
  }
  std::chrono::milliseconds slept() const {
    std::chrono::milliseconds total{0};
    for (auto d : sleeps) total += d;
    return total;
  }
};

struct WaitRun : Run {
  std::vector<std::chrono::milliseconds> sleeps;
};

WaitRun wait(const DeployWaitArgs& args, FakeTime& t) {
  std::ostringstream out, err;
  WaitRun r;
  r.code = wait_deployment(args, t.time(), out, err);
  r.out = out.str();
  r.err = err.str();
  r.sleeps = t.sleeps;
  for (auto d : t.sleeps) CHECK(d > 0ms);  // never a busy loop
  return r;
}

DeployWaitArgs wait_args(const std::string& server, const std::string& id = "d-42") {
  DeployWaitArgs a;
  a.server = server;
  a.id = id;
  return a;
}

size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

json failed_answer() {
  json a = analysis_answer("failed", "rollback");
  a["rules"][0]["value"] = 0.15;
  a["rules"][0]["state"] = "failed";
  a["failed_rule"] = "error-ratio-1m";
  a["reasons"] = {"error-ratio-1m: error ratio 15% over 1m exceeds 10%"};
  a["time_left_s"] = 0;
  return a;
}

}  // namespace

TEST_CASE("deploy start sends the deployment and prints only its id") {
  ScriptedApi api;
  api.script_start({reply(201, {{"id", "d-42"}, {"service", "checkout"}, {"version", "v2"}})});
  setenv("SLOGUARD_DEPLOY_TEST_TOKEN", "s3cret", 1);
  auto args = start_args(api.url());
  args.previous_version = "v1";
  args.environment = "production";
  args.url = "https://ci.example.com/runs/7";
  args.started_at = "1767225600";
  args.stages = {"5:5m", "25%:600s", "100:10m"};
  args.token_env = "SLOGUARD_DEPLOY_TEST_TOKEN";
  const Run r = start(args);
  INFO(r.err);
  CHECK(r.code == 0);
  CHECK(r.out == "d-42\n");
  CHECK(r.err.empty());
  const auto seen = api.seen();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].method == "POST");
  CHECK(seen[0].path == "/api/v1/deployments");
  CHECK(seen[0].authorization == "Bearer s3cret");
  const json body = json::parse(seen[0].body);
  CHECK(body["service"] == "checkout");
  CHECK(body["version"] == "v2");
  CHECK(body["previous_version"] == "v1");
  CHECK(body["environment"] == "production");
  CHECK(body["url"] == "https://ci.example.com/runs/7");
  CHECK(body["started_at"] == 1767225600);
  CHECK(body["stages"] == json::parse(R"([{"weight":5,"duration":"5m"},{"weight":25,"duration":"10m"},
                                           {"weight":100,"duration":"10m"}])"));
  unsetenv("SLOGUARD_DEPLOY_TEST_TOKEN");
}

TEST_CASE("deploy start leaves out what was not given, and passes RFC 3339 through") {
  ScriptedApi api;
  api.script_start({reply(201, {{"id", "d-1"}})});
  auto args = start_args(api.url());
  const Run plain = start(args);
  CHECK(plain.code == 0);
  args.started_at = "2026-01-01T00:10:00Z";
  const Run with_time = start(args);
  CHECK(with_time.code == 0);
  const auto seen = api.seen();
  REQUIRE(seen.size() == 2);
  CHECK(json::parse(seen[0].body) == json{{"service", "checkout"}, {"version", "v2"}});
  CHECK(seen[0].authorization.empty());
  CHECK(json::parse(seen[1].body)["started_at"] == "2026-01-01T00:10:00Z");
}

TEST_CASE("deploy start --json prints the server's answer") {
  ScriptedApi api;
  const json answer = {{"id", "d-42"}, {"service", "checkout"}, {"verify_at", "2026-01-01T00:15:00Z"}};
  api.script_start({reply(201, answer)});
  auto args = start_args(api.url());
  args.json = true;
  const Run r = start(args);
  CHECK(r.code == 0);
  CHECK(json::parse(r.out) == answer);
}

TEST_CASE("deploy start: a version the server refuses is exit 1 with its error and field") {
  ScriptedApi api;
  api.script_start({reply(400, {{"error", "version: only letters, digits and ._+:@/- are allowed"},
                                {"field", "version"}})});
  auto args = start_args(api.url());
  args.version = "v2;rm";
  const Run r = start(args);
  CHECK(r.code == 1);
  CHECK(r.out.empty());
  CHECK(r.err.find("refused: version: only letters, digits and ._+:@/- are allowed (field version) (HTTP 400)") !=
        std::string::npos);
}

TEST_CASE("deploy start: an unknown service is exit 1") {
  ScriptedApi api;
  api.script_start({reply(404, {{"error", "unknown service \"nope\""}, {"field", "service"}})});
  auto args = start_args(api.url());
  args.service = "nope";
  const Run r = start(args);
  CHECK(r.code == 1);
  CHECK(r.err.find("unknown service \"nope\"") != std::string::npos);
}

TEST_CASE("deploy start: an unreachable server is exit 2") {
  LoopbackTcpPort closed(false);
  const Run r = start(start_args("http://127.0.0.1:" + std::to_string(closed.port())));
  CHECK(r.code == 2);
  CHECK(r.out.empty());
  CHECK(r.err.find("could not register the deployment: cannot reach") != std::string::npos);
}

TEST_CASE("deploy start: a rejected token is exit 2 and says what to change") {
  ScriptedApi api;
  api.script_start({reply(401, {{"error", "missing bearer token: send 'Authorization: Bearer <token>'"}}),
                    reply(403, {{"error", "token \"ci\" lacks the ingest role"}})});
  const Run missing = start(start_args(api.url()));
  CHECK(missing.code == 2);
  CHECK(missing.err.find("pass --token-env VAR") != std::string::npos);
  const Run forbidden = start(start_args(api.url()));
  CHECK(forbidden.code == 2);
  CHECK(forbidden.err.find("the token needs the ingest role") != std::string::npos);
}

TEST_CASE("deploy start: bad arguments are exit 2 and nothing is sent") {
  ScriptedApi api;
  api.script_start({reply(201, {{"id", "d-1"}})});
  for (const std::string stage : {"5", "0:5m", "101:5m", "x:5m", "5:", "5:0s", "5:5 minutes"}) {
    auto args = start_args(api.url());
    args.stages = {stage};
    const Run r = start(args);
    INFO(stage);
    CHECK(r.code == 2);
    CHECK(r.err.find("--stage \"" + stage + "\"") != std::string::npos);
  }
  auto args = start_args(api.url());
  args.started_at = "yesterday";
  CHECK(start(args).code == 2);
  args = start_args(api.url());
  args.token_env = "SLOGUARD_DEPLOY_TEST_UNSET";
  const Run no_token = start(args);
  CHECK(no_token.code == 2);
  CHECK(no_token.err.find("SLOGUARD_DEPLOY_TEST_UNSET is not set") != std::string::npos);
  CHECK(api.seen().empty());
}

TEST_CASE("deploy start: an answer without an id, or a 5xx, is exit 2") {
  ScriptedApi api;
  api.script_start({reply(201, {{"service", "checkout"}}), {201, "not json"}, reply(500, {{"error", "disk full"}})});
  CHECK(start(start_args(api.url())).code == 2);
  CHECK(start(start_args(api.url())).code == 2);
  const Run r = start(start_args(api.url()));
  CHECK(r.code == 2);
  CHECK(r.err.find("disk full (HTTP 500)") != std::string::npos);
}

TEST_CASE("deploy wait exits 0 once passed, printing each change once") {
  ScriptedApi api;
  json v = analysis_answer("verifying", "continue");
  json later = v;
  later["stage"]["index"] = 1;
  later["stage"]["weight"] = 100;
  later["time_left_s"] = 500;
  json passed = analysis_answer("passed", "promote");
  passed["stage"] = nullptr;
  passed["time_left_s"] = 0;
  passed["reasons"] = {"no rule failed in 15m"};
  api.script_analysis({reply(200, v), reply(200, v), reply(200, later), reply(200, passed)});
  FakeTime t;
  const WaitRun r = wait(wait_args(api.url()), t);
  INFO(r.out << r.err);
  CHECK(r.code == 0);
  CHECK(count(r.out, "checkout v2 [verifying] decision continue, stage 1/2 at 5%, 14m left\n") == 1);
  CHECK(count(r.out, "checkout v2 [verifying] decision continue, stage 2/2 at 100%, 9m left\n") == 1);
  CHECK(r.out.find("checkout v2 [passed] decision promote\n") != std::string::npos);
  CHECK(r.out.find("PASSED: checkout v2 (deployment d-42) passed verification\n  - no rule failed in 15m\n") !=
        std::string::npos);
  CHECK(r.err.empty());
  CHECK(r.sleeps == std::vector<std::chrono::milliseconds>{10s, 10s, 10s});
  const auto seen = api.seen();
  REQUIRE(seen.size() == 4);
  for (const auto& s : seen) CHECK(s.path == "/api/v1/deployments/d-42/analysis");
}

TEST_CASE("deploy wait exits 1 on failed, with the reasons, the failed rule and its value") {
  ScriptedApi api;
  json breached = analysis_answer("verifying", "continue");
  breached["rules"].push_back({{"name", "p95-5m"}, {"metric", "p95_ratio"}, {"window", "5m"}, {"max", 2.0},
                               {"value", 2.5}, {"requests", 900}, {"state", "breached"}});
  api.script_analysis({reply(200, breached), reply(200, failed_answer())});
  FakeTime t;
  const WaitRun r = wait(wait_args(api.url()), t);
  INFO(r.out << r.err);
  CHECK(r.code == 1);
  CHECK(r.out.find("  ! p95-5m breached: p95_ratio 2.5 over 5m, max 2.0, 900 requests\n") != std::string::npos);
  CHECK(r.out.find("checkout v2 [failed] decision rollback") != std::string::npos);
  CHECK(r.out.find("  ! error-ratio-1m failed: error_ratio 0.15 over 1m, max 0.1, 1200 requests\n") !=
        std::string::npos);
  CHECK(r.out.find("FAILED: checkout v2 (deployment d-42) failed verification\n"
                   "  failed rule: error-ratio-1m (error_ratio 0.15 over 1m, max 0.1, 1200 requests)\n"
                   "  - error-ratio-1m: error ratio 15% over 1m exceeds 10%\n") != std::string::npos);
  CHECK(r.sleeps.size() == 1);
}

TEST_CASE("deploy wait shows a rule's detail from the server when it has one") {
  ScriptedApi api;
  json breached = analysis_answer("verifying", "continue");
  breached["rules"][0]["state"] = "breached";
  breached["rules"][0]["value"] = 0.2;
  breached["rules"][0]["detail"] = "error ratio 20.00% over 1m above 10.00% (100 requests, failure 1 of 2)";
  json probes = {{"name", "probes"}, {"metric", "probe_failures"}, {"window", nullptr}, {"max", 0.0},
                 {"value", nullptr}, {"failures", 3}, {"failures_allowed", 4}, {"state", "breached"}};
  breached["rules"].push_back(probes);
  api.script_analysis({reply(200, breached), reply(200, analysis_answer("passed", "promote"))});
  FakeTime t;
  const WaitRun r = wait(wait_args(api.url()), t);
  INFO(r.out);
  CHECK(r.code == 0);
  CHECK(r.out.find("  ! error-ratio-1m breached: error ratio 20.00% over 1m above 10.00% (100 requests, failure 1 "
                   "of 2)\n") != std::string::npos);
  CHECK(r.out.find("  ! probes breached: 3 failures, 4 allowed\n") != std::string::npos);
}

TEST_CASE("deploy wait exits 2 when the verification is inconclusive") {
  ScriptedApi api;
  json a = analysis_answer("inconclusive", "undecided");
  a["reasons"] = {"datasource vm: connection refused"};
  api.script_analysis({reply(200, a)});
  FakeTime t;
  const WaitRun r = wait(wait_args(api.url()), t);
  CHECK(r.code == 2);
  CHECK(r.out.find("INCONCLUSIVE: checkout v2 (deployment d-42) could not be judged\n"
                   "  - datasource vm: connection refused\n") != std::string::npos);
  CHECK(r.sleeps.empty());
}

TEST_CASE("deploy wait keeps waiting while undecided, showing why") {
  ScriptedApi api;
  json undecided = analysis_answer("verifying", "undecided");
  undecided["reasons"] = {"datasource vm: timeout"};
  undecided["rules"][0]["value"] = nullptr;
  undecided["rules"][0]["state"] = "unavailable";
  json passed = analysis_answer("passed", "promote");
  api.script_analysis({reply(200, undecided), reply(200, passed)});
  FakeTime t;
  const WaitRun r = wait(wait_args(api.url()), t);
  CHECK(r.code == 0);
  CHECK(r.out.find("[verifying] decision undecided, stage 1/2 at 5%, 14m left\n  ? datasource vm: timeout\n") !=
        std::string::npos);
}

TEST_CASE("deploy wait exits 2 when --timeout passes first, after polling at the deadline") {
  ScriptedApi api;
  api.script_analysis({reply(200, analysis_answer("verifying", "continue"))});
  FakeTime t;
  auto args = wait_args(api.url());
  args.timeout = "1m";
  args.interval = "25s";
  const WaitRun r = wait(args, t);
  INFO(r.err);
  CHECK(r.code == 2);
  CHECK(r.err.find("timed out after 1m: checkout v2 (deployment d-42) is still verifying (decision continue)") !=
        std::string::npos);
  // Polls at 0, 25s, 50s and 60s (the last pause is cut to the deadline).
  CHECK(r.sleeps == std::vector<std::chrono::milliseconds>{25s, 25s, 10s});
  CHECK(api.seen().size() == 4);
  CHECK(count(r.out, "[verifying]") == 1);  // the same answer is printed once
}

TEST_CASE("deploy wait: an unknown deployment (404) is exit 2 at once") {
  ScriptedApi api;
  api.script_analysis({reply(404, {{"error", "unknown deployment \"d-404\""}})});
  FakeTime t;
  const WaitRun r = wait(wait_args(api.url(), "d-404"), t);
  CHECK(r.code == 2);
  CHECK(r.err.find("unknown deployment \"d-404\" (HTTP 404)") != std::string::npos);
  CHECK(api.seen().size() == 1);
  CHECK(r.sleeps.empty());
}

TEST_CASE("deploy wait keeps going across a transient 503, with backoff") {
  ScriptedApi api;
  api.script_analysis({reply(503, {{"error", "starting"}}), {503, "<html>bad gateway</html>"},
                       reply(200, analysis_answer("verifying", "continue")),
                       reply(200, analysis_answer("passed", "promote"))});
  FakeTime t;
  const WaitRun r = wait(wait_args(api.url()), t);
  INFO(r.out << r.err);
  CHECK(r.code == 0);
  CHECK(r.sleeps == std::vector<std::chrono::milliseconds>{1s, 2s, 10s});
  CHECK(r.err.find("starting (HTTP 503); retrying in 1s (retry 1 of 7)") != std::string::npos);
  CHECK(r.err.find(": HTTP 503; retrying in 2s (retry 2 of 7)") != std::string::npos);
  CHECK(r.err.find("the server answers again") != std::string::npos);
}

TEST_CASE("deploy wait gives up (exit 2) after a bounded number of failures in a row") {
  ScriptedApi api;
  api.script_analysis({reply(503, {{"error", "unavailable"}})});
  FakeTime t;
  const WaitRun r = wait(wait_args(api.url()), t);
  CHECK(r.code == 2);
  CHECK(api.seen().size() == static_cast<size_t>(kDeployWaitMaxFailures));
  CHECK(r.sleeps == std::vector<std::chrono::milliseconds>{1s, 2s, 4s, 8s, 16s, 30s, 30s});
  CHECK(r.err.find("gave up on deployment d-42 after 8 failed requests in a row: unavailable (HTTP 503)") !=
        std::string::npos);
}

TEST_CASE("deploy wait: an unreachable server is retried within the timeout, then exit 2") {
  LoopbackTcpPort closed(false);
  FakeTime t;
  auto args = wait_args("http://127.0.0.1:" + std::to_string(closed.port()));
  args.timeout = "5s";
  const WaitRun r = wait(args, t);
  CHECK(r.code == 2);
  // 1s + 2s, then the pause is cut to the 2s left; the next failure finds no time left.
  CHECK(r.sleeps == std::vector<std::chrono::milliseconds>{1s, 2s, 2s});
  CHECK(r.err.find("timed out after 5s waiting for deployment d-42: cannot reach") != std::string::npos);
}

TEST_CASE("deploy wait latest --service follows the newest deployment, then pins its id") {
  ScriptedApi api;
  api.script_analysis({reply(200, analysis_answer("verifying", "continue")),
                       reply(200, analysis_answer("passed", "promote"))});
  FakeTime t;
  auto args = wait_args(api.url(), "latest");
  args.service = "checkout";
  const WaitRun r = wait(args, t);
  CHECK(r.code == 0);
  CHECK(r.out.find("waiting for deployment d-42 (checkout v2)\n") != std::string::npos);
  const auto seen = api.seen();
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].path == "/api/v1/deployments/latest/analysis");
  CHECK(seen[0].param("service") == "checkout");
  CHECK(seen[1].path == "/api/v1/deployments/d-42/analysis");
}

TEST_CASE("deploy wait: bad arguments are exit 2 and nothing is sent") {
  ScriptedApi api;
  FakeTime t;
  auto latest = wait_args(api.url(), "latest");
  CHECK(wait(latest, t).code == 2);
  auto bad_timeout = wait_args(api.url());
  bad_timeout.timeout = "soon";
  CHECK(wait(bad_timeout, t).code == 2);
  auto zero_interval = wait_args(api.url());
  zero_interval.interval = "0s";
  CHECK(wait(zero_interval, t).code == 2);
  CHECK(api.seen().empty());
}

TEST_CASE("deploy wait: a rejected token is exit 2 at once") {
  ScriptedApi api;
  api.script_analysis({reply(403, {{"error", "token \"grafana\" lacks the read role"}})});
  FakeTime t;
  const WaitRun r = wait(wait_args(api.url()), t);
  CHECK(r.code == 2);
  CHECK(r.err.find("the token needs the read role") != std::string::npos);
  CHECK(api.seen().size() == 1);
}

TEST_CASE("deploy wait --json prints only the last answer on stdout") {
  ScriptedApi api;
  api.script_analysis({reply(200, analysis_answer("verifying", "continue")), reply(200, failed_answer())});
  FakeTime t;
  auto args = wait_args(api.url());
  args.json = true;
  const WaitRun r = wait(args, t);
  CHECK(r.code == 1);
  CHECK(json::parse(r.out) == failed_answer());
  CHECK(r.err.find("FAILED: checkout v2") != std::string::npos);
  CHECK(r.err.find("[verifying] decision continue") != std::string::npos);
}

TEST_CASE("deploy wait: an answer without a phase is exit 2") {
  ScriptedApi api;
  api.script_analysis({reply(200, {{"id", "d-42"}, {"status", "verifying"}})});
  FakeTime t;
  const WaitRun r = wait(wait_args(api.url()), t);
  CHECK(r.code == 2);
  CHECK(r.err.find("has no phase") != std::string::npos);
}
