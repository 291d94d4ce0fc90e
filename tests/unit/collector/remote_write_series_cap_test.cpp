// remote_write obeys the store's storage.max_series_per_service even when its own
// remote_write.max_series_per_service is higher: the sample still counts for the service.
#include <catch2/catch.hpp>

#include "remote_write_body.h"
#include "sloguard/collector/remote_write.h"
#include "temp_dir.h"

using namespace sloguard;

namespace {

constexpr int64_t kNow = 1767225600;
constexpr int64_t kT0 = (kNow - 1800) * 1000;

testing::RwSeries handler_counter(const std::string& handler, double v, int64_t ts) {
  testing::RwSeries s;
  s.labels = {{"__name__", "http_requests_total"}, {"code", "200"}, {"handler", handler}};
  s.samples = {{v, ts}};
  return s;
}

}  // namespace

TEST_CASE("remote_write endpoints beyond the store's series limit count only for the service") {
  testing::TempDir dir;
  ManualClock clock{kNow * 1000};
  auto loaded = config::load_config_text(R"(
services: [{name: checkout}]
remote_write:
  max_series_per_service: 1000
  mappings:
    - {metric: http_requests_total, service: checkout, status_label: code, endpoint_label: handler}
)");
  REQUIRE(loaded.ok());
  store::StoreOptions o;
  o.path = dir.str();
  o.clock = &clock;
  o.max_series_per_service = 3;  // {service} and two endpoints
  auto st = store::open_rocksdb_store(o);
  REQUIRE(st.ok());
  store::Store& s = **st;

  collector::RemoteWriteIngestor ing(s, clock);
  REQUIRE(ing.load().ok());
  const collector::RemoteWriteHeaders headers{"snappy", "application/x-protobuf", "0.1.0"};
  std::vector<testing::RwSeries> first, second;
  for (int i = 0; i < 10; ++i) {
    first.push_back(handler_counter("/h" + std::to_string(i), 10, kT0));
    second.push_back(handler_counter("/h" + std::to_string(i), 15, kT0 + 60000));
  }
  REQUIRE(ing.ingest(loaded.config, testing::write_request(first), headers).status == 204);
  REQUIRE(ing.ingest(loaded.config, testing::write_request(second), headers).status == 204);

  CHECK(s.series_count("checkout") == 3);
  auto service = s.lookup_series({{"service", "checkout"}});
  REQUIRE(service);
  uint64_t total = 0;
  REQUIRE(s.scan(*service, store::Resolution::kMinute, 0, kNow + 60,
                 [&](int64_t, const store::Rollup& r) { total += r.total; }).ok());
  CHECK(total == 50);  // every handler's increase of 5
}
