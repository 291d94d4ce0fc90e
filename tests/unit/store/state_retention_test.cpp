// Retention of time-keyed state prefixes (compaction), and newest-first state scans.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "store_fixture.h"

namespace sloguard::store::testing {
namespace {

constexpr int64_t kDayMs = 86400LL * 1000;

std::string audit_key(int64_t ms, int seq) {
  char id[48];
  std::snprintf(id, sizeof id, "audit/%016lld-%06d", static_cast<long long>(ms), seq);
  return id;
}

std::vector<std::string> keys(Store& s, std::string_view prefix) {
  std::vector<std::string> out;
  REQUIRE(s.scan_state(prefix, [&](std::string_view k, std::string_view) { out.emplace_back(k); }).ok());
  return out;
}

TEST_CASE_METHOD(StoreFixture, "compaction drops time-keyed state older than its prefix's retention",
                 "[store][retention][state]") {
  state_retention_ = {{"audit/", 400 * kDayMs}};
  reopen();
  const int64_t now = clock_.now_ms();
  REQUIRE(store().put_state(audit_key(now - 401 * kDayMs, 1), "old").ok());
  REQUIRE(store().put_state(audit_key(now - 400 * kDayMs, 2), "at the edge").ok());
  REQUIRE(store().put_state(audit_key(now - 399 * kDayMs, 3), "kept").ok());
  REQUIRE(store().put_state("audit/not-a-time", "kept: no time in the key").ok());
  REQUIRE(store().put_state("deploy/0000000000001-checkout", "another prefix: kept").ok());
  REQUIRE(store().flush().ok());
  REQUIRE(store().compact().ok());

  CHECK(keys(store(), "audit/") ==
        std::vector<std::string>{audit_key(now - 399 * kDayMs, 3), "audit/not-a-time"});
  CHECK(keys(store(), "deploy/").size() == 1);

  // Time passes: the kept entry expires on a later compaction.
  clock_.advance(std::chrono::milliseconds(2 * kDayMs));
  REQUIRE(store().compact().ok());
  CHECK(keys(store(), "audit/") == std::vector<std::string>{"audit/not-a-time"});
}

TEST_CASE_METHOD(StoreFixture, "without a rule state is kept however old", "[store][retention][state]") {
  REQUIRE(store().put_state(audit_key(1000, 1), "ancient").ok());
  REQUIRE(store().flush().ok());
  REQUIRE(store().compact().ok());
  CHECK(keys(store(), "audit/").size() == 1);
}

TEST_CASE_METHOD(StoreFixture, "scan_state_backward visits newest first and stops when told",
                 "[store][state]") {
  for (int i = 0; i < 50; ++i) REQUIRE(store().put_state(audit_key(1000 + i, i), std::to_string(i)).ok());
  REQUIRE(store().put_state("audit0", "past the prefix").ok());
  REQUIRE(store().put_state("audi", "before the prefix").ok());
  std::vector<std::string> seen;
  REQUIRE(store().scan_state_backward("audit/", [&](std::string_view, std::string_view v) {
    seen.emplace_back(v);
    return seen.size() < 3;
  }).ok());
  CHECK(seen == std::vector<std::string>{"49", "48", "47"});

  size_t all = 0;
  REQUIRE(store().scan_state_backward("audit/", [&](std::string_view, std::string_view) { return ++all > 0; }).ok());
  CHECK(all == 50);
  // Internal keys are never handed out.
  REQUIRE(store().ensure_series({{"service", "checkout"}}).ok());
  size_t internal = 0;
  REQUIRE(store().scan_state_backward("series/", [&](std::string_view, std::string_view) { return ++internal > 0; }).ok());
  CHECK(internal == 0);
}

}  // namespace
}  // namespace sloguard::store::testing
