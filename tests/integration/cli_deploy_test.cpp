// The real `sloguard deploy start` and `deploy wait` binary against a scripted loopback API:
// what a pipeline step sees (stdout, exit codes); and once end to end against an in-process
// sloguard whose manual clock the test moves while the binary polls. The loop's timing is
// tested in-process in tests/unit/cli; here polls are 10ms apart.
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "../unit/cli/scripted_api.h"
#include "child_process.h"
#include "loopback_http.h"
#include "server_fixture.h"

using namespace sloguard::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

struct Run {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

Run run(std::vector<std::string> args) {
  args.insert(args.begin(), SLOGUARD_BINARY);
  ChildProcess p(args);
  const int status = p.wait_exit(30s);
  INFO(p.output());
  REQUIRE(status != -1);
  REQUIRE(WIFEXITED(status));
  return Run{WEXITSTATUS(status), p.output()};
}

}  // namespace

TEST_CASE("sloguard deploy start prints only the id, so id=$(...) works") {
  ScriptedApi api;
  api.script_start({reply(201, {{"id", "d-42"}, {"service", "checkout"}, {"version", "v2"}})});
  const Run r = run({"deploy", "start", "--server", api.url(), "--service", "checkout", "--version", "v2",
                     "--previous", "v1", "--stage", "5:5m", "--stage", "100:10m"});
  CHECK(r.exit_code == 0);
  CHECK(r.output == "d-42\n");  // nothing on stderr either
  const auto seen = api.seen();
  REQUIRE(seen.size() == 1);
  CHECK(json::parse(seen[0].body)["stages"].size() == 2);
}

TEST_CASE("sloguard deploy start: refused is exit 1 with the server's error, unreachable exit 2") {
  ScriptedApi api;
  api.script_start({reply(400, {{"error", "version: must not start with '-'"}, {"field", "version"}})});
  const Run refused = run({"deploy", "start", "--server", api.url(), "--service", "checkout", "--version=-x"});
  CHECK(refused.exit_code == 1);
  CHECK(refused.output.find("refused: version: must not start with '-' (field version) (HTTP 400)") !=
        std::string::npos);

  LoopbackTcpPort closed(false);
  const Run unreachable = run({"deploy", "start", "--server", "http://127.0.0.1:" + std::to_string(closed.port()),
                               "--service", "checkout", "--version", "v2"});
  CHECK(unreachable.exit_code == 2);
  CHECK(unreachable.output.find("cannot reach") != std::string::npos);

  const Run missing = run({"deploy", "start", "--server", api.url(), "--service", "checkout"});
  CHECK(missing.exit_code == 2);  // a usage error is never 0 or 1
}

TEST_CASE("sloguard deploy wait: passed is exit 0, failed 1, inconclusive 2, unknown 2") {
  ScriptedApi api;
  auto wait = [&](std::vector<ScriptedReply> script) {
    api.script_analysis(std::move(script));
    return run({"deploy", "wait", "d-42", "--server", api.url(), "--interval", "10ms", "--timeout", "20s"});
  };
  const Run passed = wait({reply(200, analysis_answer("verifying", "continue")),
                           reply(200, analysis_answer("passed", "promote"))});
  CHECK(passed.exit_code == 0);
  CHECK(passed.output.find("checkout v2 [verifying] decision continue, stage 1/2 at 5%, 14m left") !=
        std::string::npos);
  CHECK(passed.output.find("PASSED: checkout v2 (deployment d-42)") != std::string::npos);

  json failed = analysis_answer("failed", "rollback");
  failed["failed_rule"] = "error-ratio-1m";
  failed["rules"][0]["state"] = "failed";
  failed["rules"][0]["value"] = 0.4;
  failed["reasons"] = {"error-ratio-1m: error ratio 40% over 1m exceeds 10%"};
  const Run rolled_back = wait({reply(200, failed)});
  CHECK(rolled_back.exit_code == 1);
  CHECK(rolled_back.output.find("failed rule: error-ratio-1m (error_ratio 0.4 over 1m, max 0.1") != std::string::npos);
  CHECK(rolled_back.output.find("  - error-ratio-1m: error ratio 40% over 1m exceeds 10%") != std::string::npos);

  const Run inconclusive = wait({reply(200, analysis_answer("inconclusive", "undecided"))});
  CHECK(inconclusive.exit_code == 2);

  const Run unknown = wait({reply(404, {{"error", "unknown deployment \"d-42\""}})});
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.output.find("unknown deployment \"d-42\" (HTTP 404)") != std::string::npos);
}

TEST_CASE("sloguard deploy wait --json prints the last answer, and latest needs --service") {
  ScriptedApi api;
  api.script_analysis({reply(200, analysis_answer("passed", "promote"))});
  ChildProcess p({SLOGUARD_BINARY, "deploy", "wait", "latest", "--service", "checkout", "--server", api.url(), "--json"});
  const int status = p.wait_exit(30s);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  // stdout and stderr share the pipe here: the JSON is the last thing printed.
  const std::string& out = p.output();
  const json last = json::parse(out.substr(out.find("\n{") + 1));
  CHECK(last["phase"] == "passed");
  CHECK(api.seen().at(0).param("service") == "checkout");

  const Run no_service = run({"deploy", "wait", "latest", "--server", api.url()});
  CHECK(no_service.exit_code == 2);
  CHECK(no_service.output.find("ID latest needs --service") != std::string::npos);
}

TEST_CASE("deploy start and deploy wait against the real server: a bad release exits 1 with the failed rule") {
  constexpr int64_t kT0 = 1767225600;
  ServerFixture f(R"(services: [{name: checkout}]
slos:
  - {name: checkout-availability, service: checkout, objective: 99%, window: 30d, sli: {kind: availability}}
release:
  verification: {period: 10m, min_requests: 100}
)",
                  kT0);
  const std::string url = "http://127.0.0.1:" + std::to_string(f.server().port());
  const Run started = run({"deploy", "start", "--server", url, "--service", "checkout", "--version", "v2",
                           "--previous", "v1", "--environment", "prod"});
  REQUIRE(started.exit_code == 0);
  const std::string id = started.output.substr(0, started.output.find('\n'));
  REQUIRE(!id.empty());

  ChildProcess wait({SLOGUARD_BINARY, "deploy", "wait", id, "--server", url, "--interval", "10ms", "--timeout", "60s"});
  // The first answer: verifying, the whole 10m period left.
  const std::string first = wait.wait_for_line("[verifying]", 30s);
  INFO(wait.output());
  CHECK(first.find("checkout v2 [verifying] decision continue") != std::string::npos);
  CHECK(first.find("10m left") != std::string::npos);

  // The baseline (v1) before the deploy, then 20% errors from v2; one evaluation round judges it.
  f.clock().set_seconds(kT0 + 11 * 60);
  auto ingest = [&](int64_t ts, int status, int count, const std::string& version) {
    const json e = {{"service", "checkout"}, {"ts", ts}, {"status", status}, {"count", count}, {"version", version}};
    REQUIRE(f.post("/api/v1/events", json{{"events", json::array({e})}}.dump()).first == 202);
  };
  for (int m = 0; m < 10; ++m) {
    ingest(kT0 - 600 + m * 60, 200, 100, "v1");
    ingest(kT0 + m * 60, 200, 80, "v2");
    ingest(kT0 + m * 60, 503, 20, "v2");
  }
  f.server().evaluate_now();

  const int status = wait.wait_exit(30s);
  INFO(wait.output());
  REQUIRE(status != -1);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 1);
  CHECK(wait.output().find("FAILED: checkout v2 (deployment " + id + ") failed verification") != std::string::npos);
  CHECK(wait.output().find("failed rule: error-ratio-1m (error_ratio 0.2") != std::string::npos);
  CHECK(wait.output().find("  - error-ratio-1m: error ratio 20") != std::string::npos);
}
