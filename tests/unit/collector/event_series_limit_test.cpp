// POST /api/v1/events ingest against a store whose services are capped at a few series.
#include <catch2/catch.hpp>

#include <string>

#include "sloguard/collector/event_ingest.h"
#include "temp_dir.h"

using namespace sloguard;

namespace {

constexpr int64_t kNow = 1767225600;  // 2026-01-01T00:00:00Z

struct LimitedStore {
  testing::TempDir dir;
  ManualClock clock{kNow * 1000};
  std::unique_ptr<store::Store> store;
  std::shared_ptr<const config::Config> cfg;

  explicit LimitedStore(size_t max_series) {
    auto loaded = config::load_config_text("services: [{name: checkout}]\n");
    REQUIRE(loaded.ok());
    cfg = loaded.config;
    store::StoreOptions o;
    o.path = dir.str();
    o.clock = &clock;
    o.max_series_per_service = max_series;
    auto s = store::open_rocksdb_store(o);
    REQUIRE(s.ok());
    store = std::move(s).value();
  }

  collector::IngestOutcome ingest(const std::string& events) {
    collector::EventIngestor ing(*store, clock);
    return ing.ingest_json(*cfg, "{\"events\":[" + events + "]}");
  }
};

std::string ev(const std::string& extra) {
  return R"({"service":"checkout","ts":)" + std::to_string(kNow - 60) + R"(,"status":200)" + extra + "}";
}

}  // namespace

TEST_CASE("an event that needs a series beyond the limit rejects its batch with index and field") {
  LimitedStore f(3);  // {service}, and two more
  auto ok = f.ingest(ev(R"(,"endpoint":"/a")") + "," + ev(R"(,"version":"v1")"));
  REQUIRE(ok.ok);
  CHECK(f.store->series_count("checkout") == 3);

  auto out = f.ingest(ev(R"(,"endpoint":"/a")") + "," + ev(R"(,"endpoint":"/b")"));
  REQUIRE_FALSE(out.ok);
  CHECK(out.reason == collector::RejectReason::kSeriesLimit);
  CHECK(std::string(collector::reject_reason_name(out.reason)) == "series_limit");
  CHECK(out.limited_service == "checkout");
  REQUIRE(out.errors.size() == 1);
  CHECK(out.errors[0].index == 1);
  CHECK(out.errors[0].field == "endpoint");
  CHECK(out.errors[0].message.rfind("events[1].endpoint: ", 0) == 0);
  CHECK(out.errors[0].message.find("max_series_per_service") != std::string::npos);

  // Nothing of the rejected batch is stored, not even the event for the known endpoint.
  auto a = f.store->lookup_series({{"service", "checkout"}, {"endpoint", "/a"}});
  REQUIRE(a);
  uint64_t total = 0;
  REQUIRE(f.store->scan(*a, store::Resolution::kMinute, 0, kNow, [&](int64_t, const store::Rollup& r) {
    total += r.total;
  }).ok());
  CHECK(total == 1);
  CHECK_FALSE(f.store->lookup_series({{"service", "checkout"}, {"endpoint", "/b"}}));

  // Events for series that exist are still accepted.
  CHECK(f.ingest(ev(R"(,"endpoint":"/a","version":"v1")")).ok);
}
