// Bearer tokens and roles: read, ingest, admin.
#include <cstdlib>

#include "server_fixture.h"

using namespace sloguard;

namespace {

const std::string kReader = "reader-secret-Zq81";
const std::string kCi = "ci-secret-8fJ2";
const std::string kOps = "ops-secret-Kk03";

std::string config_yaml() {
  setenv("SLOGUARD_TEST_READER", kReader.c_str(), 1);
  setenv("SLOGUARD_TEST_CI", kCi.c_str(), 1);
  setenv("SLOGUARD_TEST_OPS", kOps.c_str(), 1);
  return R"(
server:
  listen: 127.0.0.1:0
  auth:
    tokens:
      - {name: dashboards, token_env: SLOGUARD_TEST_READER, roles: [read]}
      - {name: ci, token_env: SLOGUARD_TEST_CI, roles: [read, ingest]}
      - {name: ops, token_env: SLOGUARD_TEST_OPS, roles: [read, ingest, admin]}
services: [{name: checkout}]
slos:
  - {name: checkout-availability, service: checkout, objective: 99.5%, window: 30d, sli: {kind: availability}}
)";
}

const std::string kEvents = R"({"events":[{"service":"checkout","ts":1767225500,"status":200}]})";

}  // namespace

TEST_CASE("writes need the ingest role") {
  testing::ServerFixture fx(config_yaml());
  auto [none, b0] = fx.post("/api/v1/events", kEvents);
  CHECK(none == 401);
  CHECK(b0["error"].get<std::string>().find("bearer") != std::string::npos);
  auto [wrong, b1] = fx.post("/api/v1/events", kEvents, testing::bearer("guess"));
  CHECK(wrong == 401);
  auto [reader, b2] = fx.post("/api/v1/events", kEvents, testing::bearer(kReader));
  CHECK(reader == 403);
  CHECK(b2["error"] == "token \"dashboards\" lacks the ingest role");
  CHECK(fx.post("/api/v1/events", kEvents, testing::bearer(kCi)).first == 202);
  CHECK(fx.post("/api/v1/events", kEvents, testing::bearer(kOps)).first == 202);
  // A prefix or an extension of a valid token is not valid.
  CHECK(fx.post("/api/v1/events", kEvents, testing::bearer(kCi.substr(0, 5))).first == 401);
  CHECK(fx.post("/api/v1/events", kEvents, testing::bearer(kCi + "x")).first == 401);
}

TEST_CASE("reads need the read role, probes stay open") {
  testing::ServerFixture fx(config_yaml());
  CHECK(fx.get("/api/v1/slos").first == 401);
  CHECK(fx.get("/api/v1/slos/checkout-availability").first == 401);
  CHECK(fx.get("/metrics").first == 401);
  CHECK(fx.get("/api/v1/slos", testing::bearer(kReader)).first == 200);
  CHECK(fx.get("/metrics", testing::bearer(kReader)).first == 200);
  CHECK(fx.get("/healthz").first == 200);
  CHECK(fx.get("/readyz").first == 200);
  auto res = fx.http().Get("/api/v1/slos");
  REQUIRE(res);
  CHECK(res->get_header_value("WWW-Authenticate") == "Bearer realm=\"sloguard\"");
}

TEST_CASE("reload needs the admin role") {
  testing::ServerFixture fx(config_yaml());
  CHECK(fx.post("/-/reload", "", testing::bearer(kCi)).first == 403);
  CHECK(fx.post("/-/reload", "", testing::bearer(kOps)).first == 200);
}

TEST_CASE("token values never appear in responses") {
  testing::ServerFixture fx(config_yaml());
  for (const auto& tok : {kReader, kCi, kOps}) {
    for (const char* path : {"/api/v1/slos", "/metrics", "/api/v1/slos/checkout-availability"}) {
      auto res = fx.http().Get(path, testing::bearer(tok));
      REQUIRE(res);
      for (const auto& secret : {kReader, kCi, kOps}) CHECK(res->body.find(secret) == std::string::npos);
    }
    auto res = fx.http().Post("/api/v1/events", testing::bearer(tok), kEvents, "application/json");
    REQUIRE(res);
    for (const auto& secret : {kReader, kCi, kOps}) CHECK(res->body.find(secret) == std::string::npos);
  }
}
