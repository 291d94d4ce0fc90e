#include "sloguard/collector/event_ingest.h"

#include <catch2/catch.hpp>

#include "temp_dir.h"

using namespace sloguard;

namespace {

constexpr int64_t kNow = 1767225600;  // 2026-01-01T00:00:00Z

struct Fixture {
  testing::TempDir dir;
  ManualClock clock{kNow * 1000};
  std::unique_ptr<store::Store> store;
  std::shared_ptr<const config::Config> cfg;

  Fixture() {
    auto loaded = config::load_config_text(R"(
storage: {path: /unused, retention: 7d}
services: [{name: checkout}, {name: search}]
)");
    REQUIRE(loaded.ok());
    cfg = loaded.config;
    store::StoreOptions o;
    o.path = dir.str();
    o.clock = &clock;
    o.retention_ms = cfg->storage.retention_ms;
    auto s = store::open_rocksdb_store(o);
    REQUIRE(s.ok());
    store = std::move(s).value();
  }

  collector::IngestOutcome ingest(const std::string& body) {
    collector::EventIngestor ing(*store, clock);
    return ing.ingest_json(*cfg, body);
  }

  // Every rollup of every series, minute resolution, as (labels, bucket, total).
  size_t stored_buckets() {
    size_t n = 0;
    for (const char* svc : {"checkout", "search"}) {
      for (const auto& s : store->find_series("service", svc)) {
        REQUIRE(store->scan(s.id, store::Resolution::kMinute, 0, kNow + 3600,
                            [&](int64_t, const store::Rollup&) { ++n; }).ok());
      }
    }
    return n;
  }
};

// A valid event followed by one bad one: the whole batch must be rejected.
std::string with_bad_second(const std::string& bad) {
  return R"({"events":[{"service":"checkout","ts":)" + std::to_string(kNow - 60) + R"(,"status":200},)" + bad + "]}";
}

}  // namespace

TEST_CASE("valid events are combined per series and minute and weighted by count") {
  Fixture f;
  f.clock.set_seconds(kNow + 3600);
  auto out = f.ingest(R"({"events":[
    {"service":"checkout","ts":1767225000,"status":200,"latency_ms":12.5},
    {"service":"checkout","ts":"2026-01-01T00:10:00Z","status":503,"latency_ms":900,"count":3,"endpoint":"/api/v1/pay","version":"v1.2.3"},
    {"service":"checkout","ts":1767225010.5,"status":503}
  ]})");
  REQUIRE(out.ok);
  CHECK(out.accepted == 5);
  auto base = f.store->lookup_series({{"service", "checkout"}});
  REQUIRE(base);
  std::vector<std::pair<int64_t, store::Rollup>> got;
  REQUIRE(f.store->scan(*base, store::Resolution::kMinute, 0, kNow * 2,
                        [&](int64_t b, const store::Rollup& r) { got.emplace_back(b, r); }).ok());
  REQUIRE(got.size() == 2);
  CHECK(got[0].first == 1767225000);  // 1767225000 and 1767225010.5 share this minute
  CHECK(got[0].second.total == 2);
  CHECK(got[1].first == 1767226200);  // 00:10:00Z
  CHECK(got[1].second.total == 3);
  CHECK(got[1].second.by_status == std::vector<std::pair<uint32_t, uint64_t>>{{503, 3}});
  auto ep = f.store->lookup_series({{"service", "checkout"}, {"endpoint", "/api/v1/pay"}});
  REQUIRE(ep);
}

TEST_CASE("each kind of bad input rejects the whole batch with index and field") {
  struct Case {
    std::string event;
    std::string field;
    collector::RejectReason reason;
    std::string message_part;
  };
  const std::string ts = std::to_string(kNow - 60);
  std::vector<Case> cases = {
      {R"({"service":"nope","ts":)" + ts + R"(,"status":200})", "service", collector::RejectReason::kUnknownService,
       "unknown service \"nope\""},
      {R"({"ts":)" + ts + R"(,"status":200})", "service", collector::RejectReason::kInvalidField, "missing"},
      {R"({"service":"checkout","status":200})", "ts", collector::RejectReason::kInvalidField, "missing"},
      {R"({"service":"checkout","ts":)" + ts + "}", "status", collector::RejectReason::kInvalidField, "missing"},
      {R"({"service":"checkout","ts":)" + ts + R"(,"status":600})", "status", collector::RejectReason::kInvalidField,
       "must be an integer 100..599"},
      {R"({"service":"checkout","ts":)" + ts + R"(,"status":99})", "status", collector::RejectReason::kInvalidField,
       "100..599"},
      {R"({"service":"checkout","ts":)" + ts + R"(,"status":"200"})", "status", collector::RejectReason::kInvalidField,
       "100..599"},
      {R"({"service":"checkout","ts":)" + ts + R"(,"status":200,"latency_ms":-1})", "latency_ms",
       collector::RejectReason::kInvalidField, "finite number >= 0"},
      {R"({"service":"checkout","ts":)" + ts + R"(,"status":200,"latency_ms":1e999})", "latency_ms",
       collector::RejectReason::kInvalidField, "finite"},
      {R"({"service":"checkout","ts":)" + ts + R"(,"status":200,"count":-2})", "count",
       collector::RejectReason::kInvalidField, "integer from 0 to 1000000000000"},
      {R"({"service":"checkout","ts":)" + ts + R"(,"status":200,"count":1.5})", "count",
       collector::RejectReason::kInvalidField, "integer from 0 to 1000000000000"},
      {R"({"service":"checkout","ts":)" + std::to_string(kNow + 301) + R"(,"status":200})", "ts",
       collector::RejectReason::kTimestampRange, "in the future"},
      {R"({"service":"checkout","ts":)" + std::to_string(kNow - 8 * 86400) + R"(,"status":200})", "ts",
       collector::RejectReason::kTimestampRange, "older than the retention of 7d"},
      {R"({"service":"checkout","ts":"yesterday","status":200})", "ts", collector::RejectReason::kInvalidField,
       "RFC 3339"},
      {R"({"service":"checkout","ts":)" + ts + R"(,"status":200,"endpoint":5})", "endpoint",
       collector::RejectReason::kInvalidField, "must be a string"},
      {R"("just a string")", "", collector::RejectReason::kInvalidField, "must be an object"},
      {R"({"service":"checkout","ts":)" + ts + R"(,"status":500,"count":9223372036854775808})", "count",
       collector::RejectReason::kInvalidField, "integer from 0 to 1000000000000"},
      {R"({"service":"checkout","ts":)" + ts + R"(,"status":200,"endpoint":"/a\u001fb"})", "endpoint",
       collector::RejectReason::kInvalidField, "control characters"},
      {R"({"service":"checkout","ts":)" + ts + R"(,"status":200,"version":"v1\r\nX-Injected: 1"})", "version",
       collector::RejectReason::kInvalidField, "control characters"},
      {R"({"service":"checkout","ts":)" + ts + R"(,"status":200,"endpoint":")" + std::string(257, 'a') + R"("})",
       "endpoint", collector::RejectReason::kInvalidField, "at most 256 bytes"},
      {R"({"service":"checkout","ts":1e300,"status":200})", "ts", collector::RejectReason::kTimestampRange,
       "in the future"},
  };
  for (const auto& c : cases) {
    Fixture f;
    INFO(c.event);
    auto out = f.ingest(with_bad_second(c.event));
    REQUIRE_FALSE(out.ok);
    CHECK(out.reason == c.reason);
    REQUIRE(!out.errors.empty());
    CHECK(out.errors[0].index == 1);
    CHECK(out.errors[0].field == c.field);
    CHECK_THAT(out.errors[0].message, Catch::Contains(c.message_part));
    CHECK_THAT(out.errors[0].message, Catch::StartsWith("events[1]" + (c.field.empty() ? "" : "." + c.field)));
    CHECK(f.stored_buckets() == 0);
    CHECK(f.store->find_series("service", "checkout").empty());
  }
}

TEST_CASE("a timestamp just inside the future skew and the retention edge is accepted") {
  Fixture f;
  auto out = f.ingest(R"({"events":[{"service":"search","ts":)" + std::to_string(kNow + 300) +
                      R"(,"status":200},{"service":"search","ts":)" + std::to_string(kNow - 7 * 86400) +
                      R"(,"status":500}]})");
  REQUIRE(out.ok);
  CHECK(out.accepted == 2);
}

TEST_CASE("malformed JSON is rejected with its byte offset") {
  Fixture f;
  auto out = f.ingest(R"({"events":[{"service":"checkout",,]})");
  REQUIRE_FALSE(out.ok);
  CHECK(out.reason == collector::RejectReason::kMalformedJson);
  CHECK(out.errors[0].byte_offset == 33);
  CHECK_THAT(out.errors[0].message, Catch::Contains("byte offset 33"));
  CHECK(f.stored_buckets() == 0);
}

TEST_CASE("a body that is not {\"events\": [...]} is rejected") {
  Fixture f;
  for (const char* body : {"[]", "{}", R"({"events": {}})", "42"}) {
    auto out = f.ingest(body);
    INFO(body);
    REQUIRE_FALSE(out.ok);
    CHECK(out.reason == collector::RejectReason::kMalformedJson);
    CHECK(out.errors[0].index == -1);
  }
}

TEST_CASE("every error in a batch is reported, up to the cap") {
  Fixture f;
  std::string body = R"({"events":[)";
  for (int i = 0; i < 50; ++i) body += std::string(i ? "," : "") + R"({"service":"checkout","ts":1,"status":700})";
  body += "]}";
  auto out = f.ingest(body);
  REQUIRE_FALSE(out.ok);
  CHECK(out.errors.size() == collector::kMaxReportedErrors);
  CHECK(out.errors[3].index == 1);  // two errors per event: ts too old, then status
  CHECK(out.event_objects == 50);
}

TEST_CASE("an empty batch is accepted and stores nothing") {
  Fixture f;
  auto out = f.ingest(R"({"events":[]})");
  REQUIRE(out.ok);
  CHECK(out.accepted == 0);
  CHECK(f.stored_buckets() == 0);
}

TEST_CASE("a request with more events than the limit is refused before it is held in memory") {
  Fixture f;
  std::string body = R"({"events":[)";
  for (size_t i = 0; i <= collector::kMaxEventsPerRequest; ++i) body += i ? ",0" : "0";
  body += "]}";
  auto out = f.ingest(body);
  REQUIRE_FALSE(out.ok);
  CHECK(out.reason == collector::RejectReason::kMalformedJson);
  CHECK_THAT(out.errors[0].message, Catch::Contains("too many events: at most 100000"));
}
