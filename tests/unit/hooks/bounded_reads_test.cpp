// Reads of the newest entries stop at their limit: hook history and the latest deployments
// look at a bounded number of entries however long the log is.
#include <catch2/catch.hpp>

#include <string>

#include "audit_log.h"
#include "counting_store.h"
#include "sloguard/hooks/deployments.h"
#include "sloguard/hooks/rollback.h"
#include "temp_dir.h"

namespace sloguard::hooks {
namespace {

constexpr int64_t kT0 = 1767225600LL * 1000;

class NoSender final : public net::HttpSender {
 public:
  Result<net::HttpResponse> send(const net::HttpRequest&) override { return Status::Unavailable("no network in this test"); }
};

struct Fixture {
  testing::TempDir dir;
  ManualClock clock{kT0};
  std::unique_ptr<store::Store> real;
  std::unique_ptr<testing::CountingStore> store;
  NoSender sender;

  Fixture() {
    store::StoreOptions o;
    o.path = dir.str();
    o.clock = &clock;
    auto s = store::open_rocksdb_store(o);
    REQUIRE(s.ok());
    real = std::move(s).value();
    store = std::make_unique<testing::CountingStore>(*real);
  }
};

TEST_CASE("hook history with a limit reads that many entries of a 100000-entry log", "[hooks][bounded]") {
  Fixture f;
  REQUIRE(testing::write_audit_log(*f.store, 100'000, kT0 + 99'999 * 1000LL).ok());
  RollbackJobs jobs(*f.store, f.clock, f.sender);

  f.store->reset();
  auto h = jobs.history(20);
  REQUIRE(h.ok());
  REQUIRE(h->size() == 20);
  CHECK(h->front().at_ms == kT0 + 99'999 * 1000LL);  // newest first
  CHECK(h->back().at_ms == kT0 + 99'980 * 1000LL);
  CHECK(f.store->visited() == 20);

  // One of two services: twice as many entries looked at, not the whole log.
  f.store->reset();
  auto one = jobs.history(20, "checkout");
  REQUIRE(one.ok());
  REQUIRE(one->size() == 20);
  for (const auto& e : *one) CHECK(e.service == "checkout");
  CHECK(f.store->visited() <= 41);

  // The release gate's look at rollbacks reads one record, not the log.
  f.store->reset();
  auto last = jobs.last_rollback("checkout");
  REQUIRE(last.ok());
  CHECK(f.store->visited() == 0);
  CHECK(f.store->gets() <= 1);
}

TEST_CASE("the latest deployments read back only as far as started_at allows", "[hooks][bounded]") {
  Fixture f;
  DeploymentStore deployments(*f.store, f.clock);
  for (int i = 0; i < 2000; ++i) {
    DeploymentRequest r;
    r.service = i % 2 ? "search" : "checkout";
    r.version = "v" + std::to_string(i);
    REQUIRE(deployments.create(r).ok());
    f.clock.advance(std::chrono::milliseconds(60000));
  }
  f.store->reset();
  auto latest = deployments.list("checkout", 1);
  REQUIRE(latest.ok());
  REQUIRE(latest->size() == 1);
  CHECK(latest->front().version == "v1998");
  // A deployment may start up to 5 minutes after it was created: a few minutes' worth of
  // keys are read past the newest, never the 2,000.
  CHECK(f.store->visited() <= 10);

  f.store->reset();
  auto ten = deployments.list({}, 10);
  REQUIRE(ten.ok());
  REQUIRE(ten->size() == 10);
  CHECK(ten->front().version == "v1999");
  CHECK(ten->back().version == "v1990");
  CHECK(f.store->visited() <= 20);

  // A deployment registered late (started_at in the past) still sorts by started_at.
  DeploymentRequest late;
  late.service = "checkout";
  late.version = "late";
  late.started_at = f.clock.now_ms() / 1000 - 3600;
  REQUIRE(deployments.create(late).ok());
  auto newest = deployments.list("checkout", 1);
  REQUIRE(newest.ok());
  CHECK(newest->front().version == "v1998");
}

}  // namespace
}  // namespace sloguard::hooks

namespace sloguard::hooks {
namespace {

TEST_CASE("the audit retention rule drops hook history older than storage.audit_retention", "[hooks][bounded]") {
  testing::TempDir dir;
  ManualClock clock{kT0};
  NoSender sender;
  store::StoreOptions o;
  o.path = dir.str();
  o.clock = &clock;
  o.state_retention = {audit_retention(7LL * 86400 * 1000)};
  auto st = store::open_rocksdb_store(o);
  REQUIRE(st.ok());
  store::Store& s = **st;
  // 10 days of entries, one a day, the newest now.
  for (int day = 0; day < 10; ++day) {
    REQUIRE(testing::write_audit_log(s, 1, kT0 - day * 86400LL * 1000).ok());
  }
  RollbackJobs jobs(s, clock, sender);
  REQUIRE(jobs.history(100)->size() == 10);
  REQUIRE(s.flush().ok());
  REQUIRE(s.compact().ok());
  auto kept = jobs.history(100);
  REQUIRE(kept.ok());
  CHECK(kept->size() == 7);  // days 0..6; day 7 is exactly at the edge and goes
  CHECK(kept->back().at_ms == kT0 - 6 * 86400LL * 1000);
}

}  // namespace
}  // namespace sloguard::hooks
