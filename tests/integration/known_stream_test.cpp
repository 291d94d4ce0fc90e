// Ingests a known stream through the HTTP API and checks every number the API reports against
// counts computed here, independently, from the raw events — before and after a restart.
#include <cmath>
#include <random>

#include "server_fixture.h"

using namespace sloguard;
using nlohmann::json;

namespace {

constexpr int64_t kNow = 1767225600 + 7 * 3600 + 23 * 60 + 17;  // not on an hour or a minute
constexpr int64_t kDay = 86400;

const char* kConfig = R"(
evaluation_interval: 15s
services: [{name: checkout}, {name: search}]
slos:
  - name: checkout-availability
    service: checkout
    objective: 99.5%
    window: 30d
    sli: {kind: availability}
  - name: checkout-api
    service: checkout
    objective: 0.99
    window: 2d
    sli: {kind: availability, bad_status: ["5xx", 429], endpoint: "/api/*"}
  - name: search-availability
    service: search
    objective: 90%
    window: 7d
    sli: {kind: availability, bad_status: ["5xx"]}
)";

struct Event {
  std::string service;
  double ts;
  int status;
  uint64_t count;
  std::string endpoint;
};

struct Expect {
  std::string slo;
  double objective;
  int64_t window;
  std::string service;
  bool api_only;
  std::vector<int> bad_codes;
  std::vector<int> bad_classes;
};

bool is_bad(const Expect& e, int status) {
  for (int c : e.bad_codes) if (c == status) return true;
  for (int k : e.bad_classes) if (status / 100 == k) return true;
  return false;
}

std::vector<Event> make_stream() {
  std::mt19937_64 rng(2026);
  std::uniform_real_distribution<double> age(0, 3.0 * kDay);
  const char* endpoints[] = {"/api/pay", "/api/cart", "/healthz", ""};
  std::vector<Event> events;
  for (int i = 0; i < 10000; ++i) {
    Event e;
    e.service = i % 4 == 0 ? "search" : "checkout";
    e.ts = static_cast<double>(kNow) - age(rng);
    if (i % 10 == 0) e.ts = std::floor(e.ts / 60) * 60;  // exactly on minute boundaries too
    // Errors cluster in the last 2 hours so short windows differ from long ones.
    bool recent = e.ts > kNow - 2 * 3600;
    uint64_t r = rng() % 1000;
    e.status = r < (recent ? 150u : 8u) ? (r % 2 ? 503 : 500) : r < 200 ? 429 : r < 260 ? 404 : 200;
    e.count = rng() % 4 == 0 ? rng() % 5 + 1 : 1;
    e.endpoint = endpoints[rng() % 4];
    events.push_back(e);
  }
  return events;
}

std::string event_json(const Event& e) {
  json j = {{"service", e.service}, {"ts", e.ts}, {"status", e.status}, {"latency_ms", 12.5}};
  if (e.count != 1) j["count"] = e.count;
  if (!e.endpoint.empty()) j["endpoint"] = e.endpoint;
  return j.dump();
}

void check_against(testing::ServerFixture& fx, const std::vector<Event>& events, int64_t at) {
  const std::vector<Expect> expects = {
      {"checkout-availability", 0.995, 30 * kDay, "checkout", false, {}, {5}},
      {"checkout-api", 0.99, 2 * kDay, "checkout", true, {429}, {5}},
      {"search-availability", 0.90, 7 * kDay, "search", false, {}, {5}},
  };
  const int64_t at_min = at / 60 * 60;
  for (const auto& ex : expects) {
    auto [code, body] = fx.get("/api/v1/slos/" + ex.slo + "?at=" + std::to_string(at));
    REQUIRE(code == 200);
    CHECK(body["at"] == at_min);
    auto count = [&](int64_t w, uint64_t& good, uint64_t& total) {
      good = total = 0;
      for (const auto& e : events) {
        if (e.service != ex.service || e.ts < at_min - w || e.ts >= at_min) continue;
        if (ex.api_only && e.endpoint.rfind("/api/", 0) != 0) continue;
        total += e.count;
        if (!is_bad(ex, e.status)) good += e.count;
      }
    };
    uint64_t good, total;
    count(ex.window, good, total);
    INFO(ex.slo << " at " << at);
    REQUIRE(total > 0);
    CHECK(body["sli"]["good"] == good);
    CHECK(body["sli"]["total"] == total);
    CHECK(std::abs(body["sli"]["ratio"].get<double>() - double(good) / double(total)) < 1e-9);
    const double allowed = (1 - ex.objective) * double(total);
    CHECK(std::abs(body["error_budget"]["allowed"].get<double>() - allowed) < 1e-9);
    CHECK(body["error_budget"]["consumed"] == total - good);
    CHECK(std::abs(body["error_budget"]["remaining_ratio"].get<double>() - (1 - double(total - good) / allowed)) <
          1e-9);
    for (int64_t w : {300L, 1800L, 3600L, 7200L, 21600L, kDay, 3 * kDay, ex.window}) {
      count(w, good, total);
      std::string name;
      for (const auto& win : body["windows"]) {
        if (win["seconds"] == w) name = win["window"];
      }
      INFO("window " << w);
      REQUIRE(!name.empty());
      const json& br = body["burn_rates"][name];
      if (total == 0) {
        CHECK(br.is_null());
      } else {
        double expected = (double(total - good) / double(total)) / (1 - ex.objective);
        CHECK(std::abs(br.get<double>() - expected) < 1e-9);
      }
    }
  }
}

}  // namespace

TEST_CASE("a known stream gives exact SLI, budget and burn rates, also after a restart") {
  testing::ServerFixture fx(kConfig, kNow);
  const auto events = make_stream();
  for (size_t i = 0; i < events.size(); i += 1000) {
    std::string body = "{\"events\":[";
    for (size_t j = i; j < std::min(events.size(), i + 1000); ++j) {
      if (j > i) body += ',';
      body += event_json(events[j]);
    }
    body += "]}";
    auto [code, resp] = fx.post("/api/v1/events", body);
    REQUIRE(code == 202);
    uint64_t weighted = 0;
    for (size_t j = i; j < std::min(events.size(), i + 1000); ++j) weighted += events[j].count;
    CHECK(resp["accepted"] == weighted);
  }
  const std::vector<int64_t> ats = {kNow, kNow - 3600 - 17, kNow - kDay + 7 * 60, kNow - 2 * kDay - 41 * 60,
                                    kNow - 90 * 60 + 5};
  for (int64_t at : ats) check_against(fx, events, at);
  fx.reopen();
  for (int64_t at : ats) check_against(fx, events, at);
}

TEST_CASE("GET /api/v1/slos lists every SLO with null for windows without traffic") {
  testing::ServerFixture fx(kConfig, kNow);
  auto [code, body] = fx.get("/api/v1/slos");
  REQUIRE(code == 200);
  REQUIRE(body["slos"].size() == 3);
  for (const auto& s : body["slos"]) {
    CHECK(s["sli"]["ratio"].is_null());
    CHECK(s["error_budget"]["remaining_ratio"].is_null());
    for (const auto& [name, v] : s["burn_rates"].items()) CHECK(v.is_null());
    CHECK(s["policy"] == "normal");
  }
  auto [c2, filtered] = fx.get("/api/v1/slos?service=search");
  REQUIRE(c2 == 200);
  CHECK(filtered["slos"].size() == 1);
  auto [c3, unknown] = fx.get("/api/v1/slos?service=nope");
  CHECK(c3 == 404);
  CHECK(unknown["error"] == "unknown service \"nope\"");
}

TEST_CASE("unknown SLOs and bad instants are clear 4xx errors") {
  testing::ServerFixture fx(kConfig, kNow);
  auto [c1, b1] = fx.get("/api/v1/slos/nope");
  CHECK(c1 == 404);
  CHECK(b1["error"] == "unknown SLO \"nope\"");
  auto [c2, b2] = fx.get("/api/v1/slos/checkout-api?at=yesterday");
  CHECK(c2 == 400);
  CHECK(b2["field"] == "at");
  auto [c3, b3] = fx.get("/api/v1/slos/checkout-api?at=2026-01-01T07:00:00Z");
  CHECK(c3 == 200);
  CHECK(b3["at"] == 1767250800);
  auto [c5, b5] = fx.get("/api/v1/slos/checkout-api?at=1e300");
  CHECK(c5 == 400);
  CHECK(b5["field"] == "at");
  // Paths that decode to bytes that are not UTF-8 get a JSON error, not a crash.
  auto [c6, b6] = fx.get("/%FF");
  CHECK(c6 == 404);
  CHECK(b6.is_object());
  CHECK(fx.get("/api/v1/slos/%FF").first == 404);
  CHECK(fx.get("/healthz").first == 200);
  auto [c4, b4] = fx.get("/api/v1/nothing");
  CHECK(c4 == 404);
  CHECK(b4["error"].get<std::string>().find("/api/v1/nothing") != std::string::npos);
}
