// Continuous verification end to end with a manual clock: each rule of the runbook fails a bad
// release as soon as its window shows it, the rollback webhook is called within two evaluation
// intervals of the first bad minute, a probe streak rolls back, a good release passes at the end,
// and a canary with stages gets continue / promote / rollback from the analysis endpoint.
#include <catch2/catch.hpp>
#include <functional>
#include <mutex>

#include "loopback_http.h"
#include "server_fixture.h"

namespace sloguard::testing {
namespace {

using json = nlohmann::json;

constexpr int64_t kT0 = 1767225600;  // a whole minute

// Counts rollback calls and keeps their bodies.
class RollbackReceiver {
 public:
  RollbackReceiver() {
    http_.server().Post("/rollback", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      bodies_.push_back(json::parse(req.body, nullptr, false));
      ids_.push_back(req.get_header_value("webhook-id"));
      res.status = 204;
    });
    http_.start();
  }
  std::string url() const { return http_.url("/rollback"); }
  size_t count() {
    std::lock_guard<std::mutex> lock(mu_);
    return bodies_.size();
  }
  json last() {
    std::lock_guard<std::mutex> lock(mu_);
    return bodies_.empty() ? json() : bodies_.back();
  }

 private:
  LoopbackHttpServer http_;
  std::mutex mu_;
  std::vector<json> bodies_;
  std::vector<std::string> ids_;
};

std::string config(const std::string& hook_url, const std::string& verification = "{period: 30m}") {
  return "evaluation_interval: 15s\n"
         "services:\n"
         "  - name: checkout\n"
         "    probes: [{name: checkout-health, interval: 5s, timeout: 1s, http: {url: \"http://127.0.0.1:9/healthz\"}}]\n"
         "slos:\n"
         "  - {name: checkout-availability, service: checkout, objective: 99%, window: 30d, sli: {kind: availability}}\n"
         "release:\n"
         "  verification: " +
         verification +
         "\n"
         "  rollback: {cooldown: 0s, hooks: [undo]}\n"
         "  hooks: [{name: undo, kind: webhook, url: \"" +
         hook_url + "\"}]\n";
}

void ingest(ServerFixture& f, int64_t ts, int status, int count, const std::string& version, double latency_ms = 20) {
  json e = {{"service", "checkout"}, {"ts", ts},           {"status", status},
            {"count", count},        {"version", version}, {"latency_ms", latency_ms}};
  auto [code, body] = f.post("/api/v1/events", json{{"events", json::array({e})}}.dump());
  INFO(body.dump());
  REQUIRE(code == 202);
}

// One minute of a version's traffic: `requests` events, `errors` of them 503.
void minute(ServerFixture& f, int64_t start, const std::string& version, int requests, int errors,
            double latency_ms = 20) {
  if (requests - errors > 0) ingest(f, start + 10, 200, requests - errors, version, latency_ms);
  if (errors > 0) ingest(f, start + 20, 503, errors, version, latency_ms);
}

std::string deploy(ServerFixture& f, const json& extra = json::object()) {
  json body = {{"service", "checkout"}, {"version", "v2"}, {"started_at", kT0}};
  body.update(extra);
  auto [code, res] = f.post("/api/v1/deployments", body.dump());
  INFO(res.dump());
  REQUIRE(code == 201);
  return res["id"].get<std::string>();
}

json deployment(ServerFixture& f, const std::string& id) {
  auto [code, body] = f.get("/api/v1/deployments/" + id);
  INFO(body.dump());
  REQUIRE(code == 200);
  return body;
}

json rule(const json& d, const std::string& name) {
  for (const auto& r : d["analysis"]["rules"]) {
    if (r["name"] == name) return r;
  }
  return json();
}

// Traffic of the minute that starts at its argument, sent just after that minute ends (as a
// client that batches by the minute would).
using Feed = std::function<void(int64_t minute_start)>;

// Rounds every 15 s from `from` until the deployment is judged or `until`, feeding each minute
// as it ends; returns when it was judged (or 0).
int64_t rounds_until_judged(ServerFixture& f, const std::string& id, int64_t from, int64_t until, const Feed& feed) {
  for (int64_t t = from; t <= until; t += 15) {
    f.clock().set_seconds(t);
    if (t % 60 == 0 && feed) feed(t - 60);
    f.server().evaluate_now();
    if (!deployment(f, id)["verification"].is_null()) return t;
  }
  return 0;
}

TEST_CASE("a release failing every request is rolled back by the 1m rule within two intervals of its first bad minute",
          "[integration][verification]") {
  RollbackReceiver receiver;
  ServerFixture f(config(receiver.url()), kT0);
  const std::string id = deploy(f);
  // While the first minute is still open nothing is judged.
  f.clock().set_seconds(kT0 + 45);
  ingest(f, kT0 + 30, 503, 80, "v2");
  f.server().evaluate_now();
  CHECK(receiver.count() == 0);
  CHECK(rule(deployment(f, id), "error-ratio-1m")["state"] == "pending");
  const int64_t judged = rounds_until_judged(f, id, kT0 + 60, kT0 + 300, [&](int64_t m) {
    if (m > kT0) minute(f, m, "v2", 100, 100);
  });
  REQUIRE(judged != 0);
  CHECK(judged - (kT0 + 60) < 2 * 15);  // the first full bad minute ends at kT0 + 60
  CHECK(receiver.count() == 1);         // called in the round that judged it
  const json d = deployment(f, id);
  CHECK(d["status"] == "failed");
  CHECK(d["verification"]["failed_rule"] == "error-ratio-1m");
  CHECK(d["analysis"]["decision"] == "rollback");
  CHECK(rule(d, "error-ratio-1m")["state"] == "failed");
  CHECK(rule(d, "error-ratio-1m")["value"] == 1.0);
  CHECK(rule(d, "error-ratio-1m")["window"] == "1m");
  CHECK(rule(d, "error-ratio-1m")["max"] == 0.1);
  CHECK(rule(d, "error-ratio-5m")["window"] == "5m");
  const json call = receiver.last();
  CHECK(call["trigger"] == "verification");
  CHECK(call["reason"].get<std::string>().find("error-ratio-1m") != std::string::npos);
  // Later rounds neither judge again nor call again.
  f.clock().advance(std::chrono::minutes(5));
  f.server().evaluate_now();
  CHECK(receiver.count() == 1);
}

TEST_CASE("a release with 6% errors fails on the 5m rule", "[integration][verification]") {
  RollbackReceiver receiver;
  ServerFixture f(config(receiver.url()), kT0);
  const std::string id = deploy(f);
  const int64_t judged =
      rounds_until_judged(f, id, kT0 + 60, kT0 + 600, [&](int64_t m) { minute(f, m, "v2", 100, 6); });
  CHECK(judged == kT0 + 300);  // the 5m window is first whole at minute 5
  const json d = deployment(f, id);
  CHECK(d["verification"]["failed_rule"] == "error-ratio-5m");
  CHECK(d["verification"]["reasons"][0].get<std::string>().find("error ratio 6.00% over 5m above 5.00%") !=
        std::string::npos);
  CHECK(rule(d, "error-ratio-1m")["state"] == "ok");  // 6% is within the 1m rule's 10%
  CHECK(receiver.count() == 1);
}

TEST_CASE("a p95 regression of 3x fails on the latency rule", "[integration][verification]") {
  RollbackReceiver receiver;
  ServerFixture f(config(receiver.url()), kT0);
  // The baseline: the service before the deploy, at 100 ms.
  for (int m = 1; m <= 30; ++m) minute(f, kT0 - m * 60, "v1", 100, 0, 100);
  const std::string id = deploy(f);
  const int64_t judged =
      rounds_until_judged(f, id, kT0 + 60, kT0 + 600, [&](int64_t m) { minute(f, m, "v2", 100, 0, 300); });
  CHECK(judged == kT0 + 300);
  const json d = deployment(f, id);
  CHECK(d["verification"]["failed_rule"] == "p95-5m");
  CHECK(rule(d, "p95-1m")["state"] == "ok");  // 3x is within the 1m rule's 5x
  CHECK(rule(d, "p95-5m")["value"].get<double>() == Approx(3.0).epsilon(0.03));
  CHECK(receiver.count() == 1);
}

TEST_CASE("a release whose health probe fails 5 times in a row is rolled back", "[integration][verification]") {
  RollbackReceiver receiver;
  ServerFixture f(config(receiver.url()), kT0);
  const std::string id = deploy(f);
  auto probe = [&](int64_t ts, bool ok) {
    json r = {{"probe", "checkout-health"}, {"ts", ts}, {"success", ok}, {"latency_ms", 5}};
    auto [code, body] = f.post("/api/v1/probes", json{{"results", json::array({r})}}.dump());
    INFO(body.dump());
    REQUIRE(code == 202);
  };
  probe(kT0 - 10, false);  // before the deploy: not counted
  for (int i = 0; i < 4; ++i) probe(kT0 + 5 * i, false);
  f.clock().set_seconds(kT0 + 20);
  f.server().evaluate_now();
  CHECK(receiver.count() == 0);
  CHECK(rule(deployment(f, id), "probes")["value"] == 4);
  probe(kT0 + 20, false);  // the fifth
  f.clock().set_seconds(kT0 + 25);
  f.server().evaluate_now();
  CHECK(receiver.count() == 1);
  CHECK(deployment(f, id)["verification"]["failed_rule"] == "probes");
}

TEST_CASE("a success resets the probe streak", "[integration][verification]") {
  RollbackReceiver receiver;
  ServerFixture f(config(receiver.url()), kT0);
  const std::string id = deploy(f);
  for (int i = 0; i < 8; ++i) {
    json r = {{"probe", "checkout-health"}, {"ts", kT0 + 5 * i}, {"success", i != 4}};
    REQUIRE(f.post("/api/v1/probes", json{{"results", json::array({r})}}.dump()).first == 202);
  }
  f.clock().set_seconds(kT0 + 60);
  f.server().evaluate_now();
  CHECK(receiver.count() == 0);
  CHECK(deployment(f, id)["verification"].is_null());
}

TEST_CASE("a good release passes at the end of its period and not before", "[integration][verification]") {
  RollbackReceiver receiver;
  ServerFixture f(config(receiver.url(), "{period: 10m}"), kT0);
  for (int m = 1; m <= 10; ++m) minute(f, kT0 - m * 60, "v1", 100, 1);  // 1% before, 1% after
  const std::string id = deploy(f, {{"previous_version", "v1"}});
  const int64_t judged =
      rounds_until_judged(f, id, kT0 + 60, kT0 + 900, [&](int64_t m) { minute(f, m, "v2", 100, 1); });
  CHECK(judged == kT0 + 600);
  const json d = deployment(f, id);
  CHECK(d["status"] == "passed");
  CHECK(d["analysis"]["decision"] == "promote");
  CHECK(d["analysis"]["time_left_s"] == 0);
  for (const auto& r : d["analysis"]["rules"]) CHECK(r["state"] != "failed");
  CHECK(receiver.count() == 0);
}

TEST_CASE("too few requests leave every rule insufficient and the release inconclusive", "[integration][verification]") {
  RollbackReceiver receiver;
  ServerFixture f(config(receiver.url(), "{period: 5m}"), kT0);
  const std::string id = deploy(f);
  // All failing, but 3 a minute: 15 in the period, fewer than any rule's 20.
  rounds_until_judged(f, id, kT0 + 60, kT0 + 400, [&](int64_t m) { minute(f, m, "v2", 3, 3); });
  const json d = deployment(f, id);
  CHECK(d["status"] == "inconclusive");
  CHECK(d["analysis"]["decision"] == "undecided");
  CHECK(rule(d, "error-ratio-1m")["state"] == "insufficient_data");
  CHECK(receiver.count() == 0);
}

TEST_CASE("failures_allowed tolerates breached minutes as Flagger's threshold does", "[integration][verification]") {
  RollbackReceiver receiver;
  ServerFixture f(config(receiver.url(),
                         "{period: 30m, rules: [{name: errors, metric: error_ratio, max: 10%, window: 1m, "
                         "failures_allowed: 2}]}"),
                  kT0);
  const std::string id = deploy(f);
  const int64_t judged =
      rounds_until_judged(f, id, kT0 + 60, kT0 + 600, [&](int64_t m) { minute(f, m, "v2", 100, 50); });
  CHECK(judged == kT0 + 180);  // three breached minutes: the third fails it
  CHECK(rule(deployment(f, id), "errors")["failures"] == 3);
  CHECK(receiver.count() == 1);
}

TEST_CASE("a canary with stages gets continue and promote while good and rollback when its traffic breaks",
          "[integration][verification]") {
  RollbackReceiver receiver;
  ServerFixture f(config(receiver.url()), kT0);
  const json stages = json::array({{{"weight", 5}, {"duration", "2m"}},
                                   {{"weight", 50}, {"duration", "2m"}},
                                   {{"weight", 100}, {"duration", "2m"}}});
  const std::string id = deploy(f, {{"previous_version", "v1"}, {"stages", stages}});
  auto analysis = [&](const std::string& query) {
    auto [code, body] = f.get("/api/v1/deployments/" + id + "/analysis" + query);
    INFO(body.dump());
    REQUIRE(code == 200);
    return body;
  };
  auto good_minute = [&](int64_t m) {
    minute(f, m, "v1", 100, 0);
    minute(f, m, "v2", 100, 0);
  };
  f.clock().set_seconds(kT0 + 60);
  good_minute(kT0);
  f.server().evaluate_now();
  json a = analysis("?weight=5");
  CHECK(a["decision"] == "continue");
  CHECK(a["ok"] == true);
  CHECK(a["stage"]["index"] == 0);
  CHECK(a["stage"]["weight"] == 5);
  CHECK(a["time_left_s"] == 300);
  f.clock().set_seconds(kT0 + 150);
  good_minute(kT0 + 60);
  f.server().evaluate_now();
  CHECK(analysis("?weight=5")["decision"] == "promote");  // stage 2 has begun: raise to 50%
  CHECK(analysis("?weight=50")["decision"] == "continue");
  // Flagger's webhooks: only the status code counts.
  CHECK(f.post("/api/v1/deployments/" + id + "/analysis?weight=50", "{}").first == 200);
  CHECK(f.post("/api/v1/deployments/" + id + "/analysis?weight=50&require=promote", "{}").first == 409);
  for (int64_t m = kT0 + 120; m < kT0 + 360; m += 60) {
    f.clock().set_seconds(m + 60);
    good_minute(m);
    f.server().evaluate_now();
  }
  a = analysis("");
  CHECK(a["phase"] == "passed");
  CHECK(a["decision"] == "promote");
  CHECK(f.post("/api/v1/deployments/" + id + "/analysis?require=promote", "{}").first == 200);
  CHECK(receiver.count() == 0);

  // The next canary breaks: rollback, on the analysis endpoint too (latest of the service).
  ServerFixture g(config(receiver.url()), kT0);
  const std::string bad = deploy(g, {{"previous_version", "v1"}, {"stages", stages}});
  g.clock().set_seconds(kT0 + 60);
  minute(g, kT0, "v1", 100, 0);
  minute(g, kT0, "v2", 100, 40);
  g.server().evaluate_now();
  auto [code, body] = g.get("/api/v1/deployments/latest/analysis?service=checkout");
  REQUIRE(code == 200);
  CHECK(body["deployment_id"] == bad);
  CHECK(body["decision"] == "rollback");
  CHECK(body["ok"] == false);
  CHECK(body["failed_rule"] == "error-ratio-1m");
  CHECK(g.post("/api/v1/deployments/" + bad + "/analysis", "{}").first == 412);
  CHECK(receiver.count() == 1);
}

TEST_CASE("the analysis endpoint refuses bad parameters and unknown deployments", "[integration][verification]") {
  RollbackReceiver receiver;
  ServerFixture f(config(receiver.url()), kT0);
  const std::string id = deploy(f);
  CHECK(f.get("/api/v1/deployments/" + id + "/analysis?weight=abc").first == 400);
  CHECK(f.get("/api/v1/deployments/" + id + "/analysis?weight=101").first == 400);
  CHECK(f.get("/api/v1/deployments/" + id + "/analysis?require=maybe").first == 400);
  CHECK(f.get("/api/v1/deployments/nope/analysis").first == 404);
  CHECK(f.get("/api/v1/deployments/latest/analysis").first == 400);
  CHECK(f.get("/api/v1/deployments/latest/analysis?service=nope").first == 404);
}

TEST_CASE("deployment values that could become options or commands are refused", "[integration][verification]") {
  RollbackReceiver receiver;
  ServerFixture f(config(receiver.url()), kT0);
  for (const auto& [field, value] : std::vector<std::pair<std::string, std::string>>{
           {"version", "v1; touch /tmp/x"}, {"version", "--help"}, {"previous_version", "-rf"},
           {"environment", "prod$(id)"}, {"version", std::string(129, 'a')}}) {
    json body = {{"service", "checkout"}, {"version", "v2"}};
    body[field] = value;
    auto [code, res] = f.post("/api/v1/deployments", body.dump());
    INFO(field << "=" << value << " " << res.dump());
    CHECK(code == 400);
    CHECK(res["field"] == field);
  }
  json bad_stage = {{"service", "checkout"}, {"version", "v2"},
                    {"stages", json::array({{{"weight", 50}, {"duration", "5m"}}, {{"weight", 5}, {"duration", "5m"}}})}};
  auto [code, res] = f.post("/api/v1/deployments", bad_stage.dump());
  CHECK(code == 400);
  CHECK(res["field"] == "stages[1].weight");
}

TEST_CASE("a newer deployment of the service ends the older one's verification without a rollback",
          "[integration][verification]") {
  RollbackReceiver receiver;
  ServerFixture f(config(receiver.url()), kT0);
  const std::string older = deploy(f);
  f.clock().set_seconds(kT0 + 120);
  minute(f, kT0, "v2", 100, 0);
  minute(f, kT0 + 60, "v2", 100, 0);
  f.server().evaluate_now();
  const std::string newer = deploy(f, {{"version", "v3"}, {"previous_version", "v2"}, {"started_at", kT0 + 120}});
  f.clock().set_seconds(kT0 + 180);
  minute(f, kT0 + 120, "v3", 100, 100);  // the newer release is the bad one
  f.server().evaluate_now();
  const json old_d = deployment(f, older);
  CHECK(old_d["status"] == "inconclusive");
  CHECK(old_d["verification"]["reasons"][0].get<std::string>().find("superseded by deployment " + newer) !=
        std::string::npos);
  const json new_d = deployment(f, newer);
  CHECK(new_d["status"] == "failed");
  REQUIRE(receiver.count() == 1);
  CHECK(receiver.last()["version"] == "v3");
  CHECK(receiver.last()["previous_version"] == "v2");
}

TEST_CASE("a canary without traffic is not promoted by time alone", "[integration][verification]") {
  RollbackReceiver receiver;
  ServerFixture f(config(receiver.url()), kT0);
  const json stages = json::array({{{"weight", 5}, {"duration", "2m"}}, {{"weight", 50}, {"duration", "2m"}}});
  const std::string id = deploy(f, {{"previous_version", "v1"}, {"stages", stages}});
  for (int64_t t = kT0 + 60; t <= kT0 + 150; t += 15) {
    f.clock().set_seconds(t);
    if (t % 60 == 0) minute(f, t - 60, "v1", 100, 0);  // only the old version serves
    f.server().evaluate_now();
  }
  auto [code, a] = f.get("/api/v1/deployments/" + id + "/analysis?weight=5");
  REQUIRE(code == 200);
  CHECK(a["stage"]["index"] == 1);
  CHECK(a["decision"] == "continue");
  CHECK(f.post("/api/v1/deployments/" + id + "/analysis?weight=5&require=promote", "{}").first == 409);
}

}  // namespace
}  // namespace sloguard::testing
