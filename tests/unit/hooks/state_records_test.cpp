// Stored release records (deployments, verdicts, verification progress, audit entries,
// rollback jobs) that do not decode are skipped or reported as errors; reads of the others go on.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "sloguard/hooks/deployments.h"
#include "sloguard/hooks/rollback.h"
#include "temp_dir.h"

using namespace sloguard;
using namespace sloguard::hooks;

namespace {

class NoSender final : public net::HttpSender {
 public:
  Result<net::HttpResponse> send(const net::HttpRequest&) override { return Status::Unavailable("no network (test)"); }
};

struct StoreFixture {
  StoreFixture() {
    store::StoreOptions o;
    o.path = (dir.path() / "db").string();
    o.clock = &clock;
    store = std::move(store::open_rocksdb_store(o)).value();
  }
  sloguard::testing::TempDir dir;
  ManualClock clock{1767225600000};
  std::unique_ptr<store::Store> store;
};

// Not JSON, not an object, a wrong type, a missing identity field.
const std::vector<std::string> kBadDeployments = {
    "{not json", "[]", R"({"id":"x","service":7,"version":"v1","started_at":1})",
    R"({"id":"x","service":"checkout","version":"v1"})", R"({"id":"x","service":"checkout","version":"v1","started_at":"soon"})"};

}  // namespace

TEST_CASE("deployments: a corrupt record is skipped by list and reported by get", "[hooks][state]") {
  StoreFixture f;
  DeploymentStore deployments(*f.store, f.clock);
  DeploymentRequest req;
  req.service = "checkout";
  req.version = "v2";
  auto good = deployments.create(req);
  REQUIRE(good.ok());
  for (size_t i = 0; i < kBadDeployments.size(); ++i) {
    REQUIRE(f.store->put_state("deploy/bad-" + std::to_string(i), kBadDeployments[i]).ok());
  }
  REQUIRE(f.store->put_state("verify/" + good->id, R"({"outcome":["passed"]})").ok());
  auto listed = deployments.list({}, 100);
  REQUIRE(listed.ok());
  REQUIRE(listed->size() == 1);
  CHECK((*listed)[0].id == good->id);
  CHECK_FALSE((*listed)[0].verification);  // the corrupt verdict is not taken for one
  for (size_t i = 0; i < kBadDeployments.size(); ++i) {
    auto one = deployments.get("bad-" + std::to_string(i));
    INFO(kBadDeployments[i]);
    REQUIRE_FALSE(one.ok());
    CHECK(one.status().code() == Status::Code::kCorruption);
    CHECK(one.status().message().rfind("deployment record: ", 0) == 0);
  }
}

TEST_CASE("deployments: unreadable verification progress starts the rule checks over", "[hooks][state]") {
  StoreFixture f;
  DeploymentStore deployments(*f.store, f.clock);
  for (const char* bad : {"{", "42", R"({"checked_at":"noon"})", R"({"rules":[]})"}) {
    INFO(bad);
    REQUIRE(f.store->put_state("vprog/d1", bad).ok());
    auto p = deployments.progress("d1");
    REQUIRE(p.ok());
    CHECK_FALSE(p->has_value());
  }
  VerificationProgress good;
  good.checked_at = 1767225600;
  REQUIRE(deployments.save_progress("d1", good).ok());
  auto p = deployments.progress("d1");
  REQUIRE(p.ok());
  REQUIRE(p->has_value());
  CHECK((*p)->checked_at == 1767225600);
}

TEST_CASE("hook history and rollback jobs skip records that do not decode", "[hooks][state]") {
  StoreFixture f;
  NoSender sender;
  RollbackJobs jobs(*f.store, f.clock, sender);
  for (const char* bad : {"{", "[]", R"({"at":"yesterday","service":"checkout","hook":"h"})",
                          R"({"at":1767225600,"hook":"h"})"}) {
    REQUIRE(f.store->put_state(std::string("audit/") + bad, bad).ok());
  }
  REQUIRE(f.store->put_state("rbjob/k/h", R"({"hook":"h","state":"pending","request":[]})").ok());
  REQUIRE(f.store->put_state("rbdue/k/h", "1").ok());
  REQUIRE(f.store->put_state("rbjob/k2/h", R"({"state":"pending"})").ok());
  REQUIRE(f.store->put_state("rbdue/k2/h", "1").ok());
  auto history = jobs.history(10);
  REQUIRE(history.ok());
  CHECK(history->empty());
  auto open_jobs = jobs.unfinished();
  REQUIRE(open_jobs.ok());
  CHECK(open_jobs->empty());
  config::Config cfg;
  CHECK(jobs.run_due(cfg) == 0);
}
