// RemoteWriteIngestor against a real RocksDB store: a failed store write leaves nothing behind
// (the state is reloaded, a retry counts once), and concurrent senders count exactly.
#include "sloguard/collector/remote_write.h"

#include <catch2/catch.hpp>
#include <atomic>
#include <thread>

#include "forwarding_store.h"
#include "remote_write_body.h"
#include "temp_dir.h"

using namespace sloguard;
using sloguard::testing::RwSeries;

namespace {

constexpr int64_t kNow = 1767225600;
constexpr int64_t kT0 = (kNow - 1800) * 1000;

// The real store, whose write(deltas, state) can be made to fail.
class FlakyStore final : public sloguard::testing::ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  std::atomic<int> fail_writes{0};
  Status write(const std::vector<store::RollupDelta>& d, const std::vector<StateWrite>& w) override {
    if (fail_writes.load() > 0) {
      --fail_writes;
      return Status::IOError("disk full (test)");
    }
    return ForwardingStore::write(d, w);
  }
};

struct Fixture {
  sloguard::testing::TempDir dir;
  ManualClock clock{kNow * 1000};
  std::shared_ptr<const config::Config> cfg;
  std::unique_ptr<FlakyStore> store;

  Fixture() {
    auto loaded = config::load_config_text(R"(
storage: {path: /unused, retention: 7d}
services: [{name: checkout}]
remote_write:
  - {metric: http_requests_total, service: checkout, status_label: code}
)");
    REQUIRE(loaded.ok());
    cfg = loaded.config;
    store::StoreOptions o;
    o.path = dir.str();
    o.clock = &clock;
    auto s = store::open_rocksdb_store(o);
    REQUIRE(s.ok());
    store = std::make_unique<FlakyStore>(std::move(s).value());
  }

  uint64_t total() {
    auto id = store->lookup_series({{"service", "checkout"}});
    if (!id) return 0;
    uint64_t n = 0;
    REQUIRE(store->scan(*id, store::Resolution::kMinute, 0, kNow + 3600,
                        [&](int64_t, const store::Rollup& r) { n += r.total; }).ok());
    return n;
  }
};

RwSeries counter(const std::string& instance, double v, int64_t ts) {
  RwSeries s;
  s.labels = {{"__name__", "http_requests_total"}, {"code", "200"}, {"instance", instance}};
  s.samples = {{v, ts}};
  return s;
}

const collector::RemoteWriteHeaders kHeaders{"snappy", "application/x-protobuf", "0.1.0"};

}  // namespace

TEST_CASE("remote_write ingest: a failed store write stores nothing and its retry counts once") {
  Fixture f;
  collector::RemoteWriteIngestor ing(*f.store, f.clock);
  REQUIRE(ing.load().ok());
  REQUIRE(ing.ingest(f.cfg, testing::write_request({counter("a", 10, kT0)}), kHeaders).status == 204);
  const std::string b = testing::write_request({counter("a", 25, kT0 + 15000), counter("b", 1, kT0 + 15000)});
  f.store->fail_writes = 1;
  auto failed = ing.ingest(f.cfg, b, kHeaders);
  CHECK(failed.status == 500);
  CHECK(failed.error.find("disk full") != std::string::npos);
  CHECK(f.total() == 0);
  // The sender retries: counted once, from the state before the failed write.
  REQUIRE(ing.ingest(f.cfg, b, kHeaders).status == 204);
  CHECK(f.total() == 15);
  REQUIRE(ing.ingest(f.cfg, testing::write_request({counter("a", 30, kT0 + 30000), counter("b", 4, kT0 + 30000)}),
                     kHeaders).status == 204);
  CHECK(f.total() == 23);
  // The same holds for a fresh ingestor over the same store (a restart).
  collector::RemoteWriteIngestor again(*f.store, f.clock);
  REQUIRE(again.load().ok());
  REQUIRE(again.ingest(f.cfg, testing::write_request({counter("a", 31, kT0 + 45000)}), kHeaders).status == 204);
  CHECK(f.total() == 24);
}

TEST_CASE("remote_write ingest: concurrent senders are counted exactly") {
  Fixture f;
  collector::RemoteWriteIngestor ing(*f.store, f.clock);
  REQUIRE(ing.load().ok());
  constexpr int kThreads = 4, kRounds = 300, kSeries = 20;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int r = 0; r < kRounds; ++r) {
        std::vector<RwSeries> req;
        // Each thread owns its series; every other round also resends a shared series' sample
        // (a duplicate across senders).
        for (int i = 0; i < kSeries; ++i) req.push_back(counter("t" + std::to_string(t) + "-" + std::to_string(i), r * 3, kT0 + r * 1000));
        req.push_back(counter("shared", r, kT0 + r * 1000));
        if (ing.ingest(f.cfg, testing::write_request(req), kHeaders).status != 204) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(failures == 0);
  // Per owned series (kRounds - 1) increases of 3; the shared one at most kRounds - 1.
  const uint64_t owned = uint64_t{kThreads} * kSeries * (kRounds - 1) * 3;
  const uint64_t total = f.total();
  CHECK(total >= owned);
  CHECK(total <= owned + kRounds - 1);
}

TEST_CASE("remote_write ingest: state kept one key per series by earlier builds is read and folded in") {
  Fixture f;
  {
    collector::RemoteWriteIngestor ing(*f.store, f.clock);
    REQUIRE(ing.load().ok());
    REQUIRE(ing.ingest(f.cfg, testing::write_request({counter("a", 10, kT0)}), kHeaders).status == 204);
  }
  // Rewrite the journal record as the earlier form: rw/v/<id> -> the series' state.
  std::vector<store::Store::StateWrite> writes;
  REQUIRE(f.store->scan_state("rw/j/", [&](std::string_view k, std::string_view v) {
    REQUIRE(v.size() > 12);
    uint64_t id = 0;
    for (int i = 0; i < 8; ++i) id |= static_cast<uint64_t>(static_cast<unsigned char>(v[i])) << (8 * i);
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(id));
    writes.push_back({"rw/v/" + std::string(hex, 16), std::string(v.substr(12))});
    writes.push_back({std::string(k), std::nullopt});
  }).ok());
  REQUIRE(writes.size() == 2);
  REQUIRE(f.store->write_state(writes).ok());

  collector::RemoteWriteIngestor upgraded(*f.store, f.clock);
  REQUIRE(upgraded.load().ok());
  REQUIRE(upgraded.ingest(f.cfg, testing::write_request({counter("a", 25, kT0 + 15000)}), kHeaders).status == 204);
  CHECK(f.total() == 15);
  size_t legacy = 0;
  REQUIRE(f.store->scan_state("rw/v/", [&](std::string_view, std::string_view) { ++legacy; }).ok());
  CHECK(legacy == 0);  // folded into the snapshot at load
}

TEST_CASE("remote_write ingest: concurrent senders retrying failed writes are counted exactly") {
  Fixture f;
  collector::RemoteWriteIngestor ing(*f.store, f.clock);
  REQUIRE(ing.load().ok());
  constexpr int kThreads = 4, kRounds = 200, kSeries = 10;
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int r = 0; r < kRounds; ++r) {
        std::vector<RwSeries> req;
        for (int i = 0; i < kSeries; ++i) {
          req.push_back(counter("t" + std::to_string(t) + "-" + std::to_string(i), r * 3, kT0 + r * 1000));
        }
        const std::string body = testing::write_request(req);
        if (r % 17 == t) f.store->fail_writes = 1;  // some write (this one or another sender's) fails
        // A sender retries a 5xx until it is stored.
        for (int attempt = 0; ing.ingest(f.cfg, body, kHeaders).status != 204; ++attempt) {
          ++refused;
          REQUIRE(attempt < 10);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(refused > 0);
  CHECK(f.total() == uint64_t{kThreads} * kSeries * (kRounds - 1) * 3);
  collector::RemoteWriteIngestor again(*f.store, f.clock);
  REQUIRE(again.load().ok());
  CHECK(again.stats().series == kThreads * kSeries);
}
