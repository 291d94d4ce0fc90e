// The release gate and hook history with a short and a long audit log: GET /api/v1/gate and
// GET /api/v1/hooks/history?limit=20 against an in-process daemon whose store holds N audit
// entries, for N = 10 and N = 100,000. Prints the median of each. See bench/README.md.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <httplib.h>

#include "sloguard/config/config.h"
#include "sloguard/hooks/rollback.h"
#include "sloguard/server/server.h"
#include "sloguard/store/store.h"
#include "audit_log.h"  // tests/support

using namespace sloguard;

namespace {

constexpr int kRequests = 300;

const char* kConfig = R"(
server: {listen: "127.0.0.1:0"}
services: [{name: checkout}]
slos:
  - {name: checkout-availability, service: checkout, objective: 99.5%, window: 30d, sli: {kind: availability}}
)";

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Median milliseconds of kRequests GETs of path.
double time_get(httplib::Client& c, const std::string& path) {
  std::vector<double> ms;
  for (int i = 0; i < kRequests; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    auto res = c.Get(path.c_str());
    const auto t1 = std::chrono::steady_clock::now();
    if (!res || res->status != 200) {
      std::fprintf(stderr, "GET %s failed\n", path.c_str());
      std::exit(1);
    }
    ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  return median(ms);
}

void run(int entries) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / ("sloguard-gate-bench-" + std::to_string(entries));
  std::filesystem::remove_all(dir);
  auto loaded = config::load_config_text(kConfig);
  if (!loaded.ok()) std::exit(1);
  const int64_t now_ms = SystemClock::instance().now_ms();
  store::StoreOptions so;
  so.path = dir.string();
  auto st = store::open_rocksdb_store(so);
  if (!st.ok()) std::exit(1);
  if (!testing::write_audit_log(**st, entries, now_ms - 1000).ok()) std::exit(1);
  server::ServerOptions o;
  o.config = loaded.config;
  o.store = std::move(st).value();
  o.run_evaluator = o.run_prober = o.run_dispatcher = o.run_hook_workers = false;
  auto srv = server::Server::create(std::move(o));
  if (!srv.ok() || !(*srv)->start().ok()) std::exit(1);
  httplib::Client c("127.0.0.1", (*srv)->port());
  time_get(c, "/api/v1/gate?service=checkout");  // warm up
  const double gate = time_get(c, "/api/v1/gate?service=checkout");
  const double history = time_get(c, "/api/v1/hooks/history?limit=20");
  const double one = time_get(c, "/api/v1/hooks/history?limit=20&service=checkout");
  std::printf("audit entries %6d: gate median %.3f ms, history?limit=20 median %.3f ms, "
              "history?limit=20&service= median %.3f ms\n",
              entries, gate, history, one);
  srv->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace

int main() {
  run(10);
  run(100'000);
  return 0;
}
