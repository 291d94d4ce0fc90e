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
