// storage.max_series_per_service and storage.audit_retention.
#include <catch2/catch.hpp>

#include "sloguard/config/config.h"

using namespace sloguard;

namespace {

std::string all_errors(const config::LoadResult& r) {
  std::string out;
  for (const auto& e : r.errors) out += e.to_string() + "\n";
  return out;
}

}  // namespace

TEST_CASE("storage limits have documented defaults and take values", "[config]") {
  auto defaults = config::load_config_text("services: [{name: checkout}]\n");
  REQUIRE(defaults.ok());
  CHECK(defaults.config->storage.max_series_per_service == 10000);
  CHECK(defaults.config->storage.audit_retention_ms == 400LL * 86400 * 1000);

  auto set = config::load_config_text("storage: {max_series_per_service: 250, audit_retention: 30d}\n");
  REQUIRE(set.ok());
  CHECK(set.config->storage.max_series_per_service == 250);
  CHECK(set.config->storage.audit_retention_ms == 30LL * 86400 * 1000);
}

TEST_CASE("bad storage limits are errors naming the key", "[config]") {
  for (const char* bad : {"storage: {max_series_per_service: 0}\n", "storage: {max_series_per_service: many}\n",
                          "storage: {audit_retention: 0s}\n"}) {
    INFO(bad);
    auto r = config::load_config_text(bad);
    CHECK_FALSE(r.ok());
    CHECK_FALSE(r.errors.empty());
  }
  auto typo = config::load_config_text("storage: {max_series_per_servic: 5}\n");
  REQUIRE_FALSE(typo.ok());
  CHECK(all_errors(typo).find("max_series_per_service") != std::string::npos);
}
