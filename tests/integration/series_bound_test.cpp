// A sender that invents a new endpoint in every event: 1,000,000 of them over HTTP. The series
// dictionary, memory and the store stay within storage.max_series_per_service (default
// 10,000), refused batches are counted, and the daemon keeps answering.
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include "server_fixture.h"

using namespace sloguard;

namespace {

constexpr int64_t kNow = 1767225600;
constexpr int kEvents = 1'000'000;
constexpr int kBatch = 1'000;
constexpr size_t kDefaultLimit = 10'000;

const char* kConfig = R"(
services: [{name: checkout}]
slos:
  - {name: checkout-availability, service: checkout, objective: 99.5%, window: 30d, sli: {kind: availability}}
)";

// Resident memory of this process (the daemon runs in it), in KiB.
int64_t rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6));
  }
  FAIL("no VmRSS in /proc/self/status");
  return 0;
}

uint64_t dir_bytes(const std::filesystem::path& dir) {
  uint64_t n = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) n += e.file_size();
  }
  return n;
}

double metric(const std::string& text, const std::string& series) {
  std::smatch m;
  std::regex re(std::regex_replace(series, std::regex(R"([{}"])"), R"(\$&)") + R"( ([0-9.e+]+))");
  return std::regex_search(text, m, re) ? std::stod(m[1]) : 0;
}

}  // namespace

TEST_CASE("one million distinct endpoints leave the series dictionary and memory and the store bounded") {
  testing::ServerFixture fx(kConfig, kNow);
  const int64_t rss_before = rss_kib();
  const std::filesystem::path data = std::filesystem::path(fx.config_path()).parent_path() / "data";

  int accepted_batches = 0;
  int refused_batches = 0;
  std::string body;
  for (int first = 0; first < kEvents; first += kBatch) {
    body = "{\"events\":[";
    for (int i = first; i < first + kBatch; ++i) {
      if (i != first) body += ',';
      body += R"({"service":"checkout","ts":1767225500,"status":200,"endpoint":"/e)" + std::to_string(i) + "\"}";
    }
    body += "]}";
    auto res = fx.http().Post("/api/v1/events", body, "application/json");
    REQUIRE(res);
    if (res->status == 202) {
      ++accepted_batches;
      continue;
    }
    REQUIRE(res->status == 400);
    auto j = nlohmann::json::parse(res->body);
    REQUIRE(j["reason"] == "series_limit");
    REQUIRE(j["field"] == "endpoint");
    REQUIRE(j["error"].get<std::string>().find("max_series_per_service") != std::string::npos);
    ++refused_batches;
  }
  // {service} plus 9,999 endpoints fit: the first nine batches whole, the tenth crosses.
  CHECK(accepted_batches == static_cast<int>((kDefaultLimit - 1) / kBatch));
  CHECK(refused_batches == kEvents / kBatch - accepted_batches);

  auto [code, slo] = fx.get("/api/v1/slos/checkout-availability?at=" + std::to_string(kNow + 60));
  REQUIRE(code == 200);
  CHECK(slo["sli"]["total"] == accepted_batches * kBatch);

  // The bound: without it, a million series (dictionary maps, index, RocksDB entries) take
  // several hundred MiB; 10,000 take a few.
  const int64_t rss_growth_mib = (rss_kib() - rss_before) / 1024;
  INFO("RSS growth " << rss_growth_mib << " MiB, store " << dir_bytes(data) / 1024 << " KiB");
  CHECK(rss_growth_mib < 128);
  CHECK(dir_bytes(data) < 64ull << 20);

  auto health = fx.http().Get("/healthz");
  REQUIRE(health);
  CHECK(health->status == 200);
  auto gate = fx.http().Get("/api/v1/gate?service=checkout");
  REQUIRE(gate);
  CHECK(gate->status == 200);

  auto m = fx.http().Get("/metrics");
  REQUIRE(m);
  CHECK(metric(m->body, R"(sloguard_series_limited_total{service="checkout",source="events"})") ==
        static_cast<double>(refused_batches) * kBatch);

  // After a restart the dictionary holds exactly the limit, and still refuses.
  fx.reopen();
  auto [again, j] = fx.post("/api/v1/events", R"({"events":[{"service":"checkout","ts":1767225500,"status":200,"endpoint":"/new"}]})");
  CHECK(again == 400);
  CHECK(j["reason"] == "series_limit");
}
