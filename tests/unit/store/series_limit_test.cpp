// storage.max_series_per_service: the series dictionary refuses new series of a full service.
#include <catch2/catch.hpp>

#include <string>

#include "store_fixture.h"

namespace sloguard::store::testing {
namespace {

Labels endpoint(const std::string& service, int i) { return {{"service", service}, {"endpoint", "/e" + std::to_string(i)}}; }

TEST_CASE_METHOD(StoreFixture, "a service at max_series_per_service gets no new series", "[store][limits]") {
  max_series_per_service_ = 5;
  reopen();
  REQUIRE(store().ensure_series({{"service", "checkout"}}).ok());
  for (int i = 0; i < 4; ++i) REQUIRE(store().ensure_series(endpoint("checkout", i)).ok());
  CHECK(store().series_count("checkout") == 5);

  auto refused = store().ensure_series(endpoint("checkout", 99));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().is_resource_exhausted());
  CHECK(refused.status().message().find("checkout") != std::string::npos);
  CHECK(refused.status().message().find("max_series_per_service") != std::string::npos);
  CHECK_FALSE(store().lookup_series(endpoint("checkout", 99)));
  CHECK(store().series_count("checkout") == 5);

  // Existing series still resolve, and another service has its own budget.
  CHECK(store().ensure_series(endpoint("checkout", 2)).ok());
  CHECK(store().ensure_series(endpoint("billing", 0)).ok());
  CHECK(store().series_count("billing") == 1);
}

TEST_CASE_METHOD(StoreFixture, "the per-service count survives a restart", "[store][limits]") {
  max_series_per_service_ = 3;
  reopen();
  for (int i = 0; i < 3; ++i) REQUIRE(store().ensure_series(endpoint("checkout", i)).ok());
  reopen();
  CHECK(store().series_count("checkout") == 3);
  CHECK(store().ensure_series(endpoint("checkout", 3)).status().is_resource_exhausted());

  // Raising the limit lets the service grow again; lowering it keeps what exists.
  max_series_per_service_ = 4;
  reopen();
  CHECK(store().ensure_series(endpoint("checkout", 3)).ok());
  max_series_per_service_ = 1;
  reopen();
  CHECK(store().lookup_series(endpoint("checkout", 0)));
  CHECK(store().ensure_series(endpoint("checkout", 0)).ok());
  CHECK(store().ensure_series(endpoint("checkout", 9)).status().is_resource_exhausted());
}

TEST_CASE_METHOD(StoreFixture, "series ids handed out without an fsync each are unique after a reopen",
                 "[store][limits]") {
  // New series are written without an fsync of their own; the ids must still never repeat.
  for (int i = 0; i < 2000; ++i) REQUIRE(store().ensure_series(endpoint("checkout", i)).ok());
  const SeriesId last = *store().lookup_series(endpoint("checkout", 1999));
  reopen();
  CHECK(*store().lookup_series(endpoint("checkout", 1999)) == last);
  auto next = store().ensure_series(endpoint("checkout", 5000));
  REQUIRE(next.ok());
  CHECK(*next > last);
}

TEST_CASE_METHOD(StoreFixture, "limit 0 means no limit", "[store][limits]") {
  max_series_per_service_ = 0;
  reopen();
  for (int i = 0; i < 50; ++i) REQUIRE(store().ensure_series(endpoint("checkout", i)).ok());
  CHECK(store().series_count("checkout") == 50);
}

}  // namespace
}  // namespace sloguard::store::testing
