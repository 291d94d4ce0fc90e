// An alert tier with rollback hooks: its job is written in the alert round's batch, the hook is
// called once per episode (also across a restart), and the audit log names the alert.
#include <catch2/catch.hpp>
#include <mutex>

#include "loopback_http.h"
#include "server_fixture.h"

namespace sloguard::testing {
namespace {

using json = nlohmann::json;

constexpr int64_t kT0 = 1767225600;

TEST_CASE("a firing tier with hooks queues its rollback in the alert round and calls it once",
          "[integration][alerting][rollback]") {
  LoopbackHttpServer rx;
  std::mutex mu;
  std::vector<json> calls;
  rx.server().Post("/rollback", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mu);
    calls.push_back(json::parse(req.body, nullptr, false));
    res.status = 204;
  });
  rx.start();
  auto seen = [&] {
    std::lock_guard<std::mutex> lock(mu);
    return calls.size();
  };
  ServerFixture f("evaluation_interval: 60s\n"
                  "services: [{name: checkout}]\n"
                  "slos:\n"
                  "  - name: checkout-availability\n"
                  "    service: checkout\n"
                  "    objective: 99%\n"
                  "    window: 30d\n"
                  "    alerting: {tiers: [{name: page-1h, hooks: [undo]}]}\n"
                  "release:\n"
                  "  rollback: {cooldown: 0s}\n"
                  "  hooks: [{name: undo, kind: webhook, url: \"" +
                      rx.url("/rollback") + "\"}]\n",
                  kT0);
  // An hour of total failure: page-1h (14.4x over 1h and 5m) fires.
  json events = json::array();
  for (int m = 0; m < 60; ++m) events.push_back({{"service", "checkout"}, {"ts", kT0 + m * 60}, {"status", 503}, {"count", 100}});
  f.clock().set_seconds(kT0 + 60 * 60);
  REQUIRE(f.post("/api/v1/events", json{{"events", events}}.dump()).first == 202);
  f.server().evaluate_now();  // alert round, then the release round runs the due jobs
  REQUIRE(seen() == 1);
  {
    std::lock_guard<std::mutex> lock(mu);
    CHECK(calls[0]["trigger"] == "alert");
    CHECK(calls[0]["service"] == "checkout");
    CHECK(calls[0]["alert"]["tier"] == "page-1h");
    CHECK(calls[0]["alert"]["slo"] == "checkout-availability");
  }
  auto history = f.get("/api/v1/hooks/history").second["history"];
  REQUIRE(history.size() == 1);
  CHECK(history[0]["result"] == "succeeded");
  CHECK(history[0]["trigger"] == "alert");
  CHECK(history[0]["idempotency_key"].get<std::string>().rfind("alert/checkout-availability", 0) == 0);
  // The same episode, later and after a restart: no second call.
  f.clock().advance(std::chrono::minutes(1));
  f.server().evaluate_now();
  f.reopen();
  f.clock().advance(std::chrono::minutes(1));
  f.server().evaluate_now();
  CHECK(seen() == 1);
  CHECK(f.get("/api/v1/hooks/jobs").second["jobs"].empty());
}

}  // namespace
}  // namespace sloguard::testing
