#include "server_fixture.h"

using namespace sloguard;

namespace {
const char* kOne = R"(
services: [{name: checkout}]
slos:
  - {name: a, service: checkout, objective: 99%, window: 7d, sli: {kind: availability}}
)";
const char* kTwo = R"(
services: [{name: checkout}]
slos:
  - {name: a, service: checkout, objective: 99%, window: 7d, sli: {kind: availability}}
  - {name: b, service: checkout, objective: 99.9%, window: 30d, sli: {kind: availability}}
)";
const char* kBroken = R"(
services: [{name: checkout}]
slos:
  - {name: a, service: checkout, objective: 99%, windw: 7d, sli: {kind: availability}}
)";
}  // namespace

TEST_CASE("POST /-/reload swaps in a valid config and keeps the old one otherwise") {
  testing::ServerFixture fx(kOne);
  CHECK(fx.get("/api/v1/slos").second["slos"].size() == 1);
  fx.write_config(kTwo);
  auto [ok, body] = fx.post("/-/reload", "");
  CHECK(ok == 200);
  CHECK(fx.get("/api/v1/slos").second["slos"].size() == 2);
  fx.write_config(kBroken);
  auto [bad, errs] = fx.post("/-/reload", "");
  CHECK(bad == 400);
  REQUIRE(errs["errors"].size() >= 1);
  CHECK(errs["errors"].dump().find("unknown key \\\"windw\\\"; did you mean \\\"window\\\"?") != std::string::npos);
  CHECK(fx.get("/api/v1/slos").second["slos"].size() == 2);
}
