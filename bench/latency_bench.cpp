// Latency queries over 30 days of minute data with latency sketches: the p99 behind
// GET /api/v1/latency?window=30d, and the evaluation of latency, percentile (1m time slices)
// and availability SLOs on the same data.
//
//   latency_bench [--series 10] [--days 30] [--rounds 9] [--dir /tmp/sloguard-latency-bench]
//
// Each minute of each series holds 200 log-normal latencies (median 120 ms). The store is
// filled once and reused when --dir already holds it. Prints medians over the rounds.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "sloguard/config/config.h"
#include "sloguard/slo/engine.h"
#include "bench_store.h"
#include "sloguard/store/store.h"

using namespace sloguard;

namespace {

double median_ms(int rounds, const std::function<void()>& fn) {
  const std::vector<double> ms = bench::time_rounds_ms(rounds, fn);
  return ms[ms.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int series = 10, days = 30, rounds = 9;
  std::string dir = "/tmp/sloguard-latency-bench";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--series") series = std::atoi(argv[i + 1]);
    else if (a == "--days") days = std::atoi(argv[i + 1]);
    else if (a == "--rounds") rounds = std::atoi(argv[i + 1]);
    else if (a == "--dir") dir = argv[i + 1];
  }
  const int64_t end = 1767225600 + 7 * 86400;
  const int64_t at = end - 23 * 60;
  const int64_t start = end - int64_t(days) * 86400;

  std::string yaml = "storage: {path: " + dir + ", retention: 35d}\nservices:\n";
  for (int i = 0; i < series; ++i) yaml += "  - {name: svc" + std::to_string(i) + "}\n";
  yaml += "slos:\n";
  for (int i = 0; i < series; ++i) {
    const std::string s = std::to_string(i);
    yaml += "  - {name: lat" + s + ", service: svc" + s +
            ", objective: 95%, window: 30d, sli: {kind: latency, threshold: 500ms}}\n";
    yaml += "  - {name: p99-" + s + ", service: svc" + s +
            ", objective: 99%, window: 30d, sli: {kind: percentile, percentile: 99, target: 800ms}}\n";
    yaml += "  - {name: avail" + s + ", service: svc" + s + ", objective: 99.9%, window: 30d}\n";
  }
  auto loaded = config::load_config_text(yaml);
  if (!loaded.ok()) {
    std::fprintf(stderr, "%s\n", loaded.errors.front().to_string().c_str());
    return 1;
  }
  const config::Config& cfg = *loaded.config;

  ManualClock clock(end * 1000);
  bench::BenchStore bs = bench::open_bench_store(dir, std::to_string(series) + "-" + std::to_string(days), clock);
  store::Store& st = *bs.store;
  if (bs.fresh) {
    auto t0 = std::chrono::steady_clock::now();
    std::mt19937_64 rng(1);
    std::lognormal_distribution<double> lat(std::log(120.0), 0.7);
    std::vector<store::RollupDelta> batch;
    for (int i = 0; i < series; ++i) {
      const store::SeriesId id = *st.ensure_series({{"service", "svc" + std::to_string(i)}});
      const auto& thresholds = cfg.latency_thresholds_us("svc" + std::to_string(i));
      for (int64_t m = start; m < end; m += 60) {
        store::RollupDelta d{id, m, {}};
        d.value.add(200, 200);
        for (int k = 0; k < 200; ++k) d.value.add_latency(lat(rng), 1, thresholds);
        batch.push_back(std::move(d));
        if (batch.size() >= 2000) {
          if (!st.write_rollups(batch).ok()) return 1;
          batch.clear();
        }
      }
    }
    if (!batch.empty() && !st.write_rollups(batch).ok()) return 1;
    if (!st.flush().ok() || !st.compact().ok()) return 1;
    std::printf("filled %d series x %d days of minute sketches in %.1f s\n", series, days,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    bs.mark_filled();
  }

  slo::StoreSource source(st);
  slo::Engine engine(source);
  config::SloConfig query;
  query.service = "svc0";
  double p99 = 0;
  const double q_ms = median_ms(rounds, [&] {
    auto sk = source.latency(slo::Instance{&query, ""}, at - 30 * 86400, at);
    p99 = *sk->quantile(0.99);
  });
  std::printf("p99 over 30d for one service (GET /api/v1/latency?window=30d): median %.2f ms (p99 = %.1f ms)\n", q_ms,
              p99);
  for (const char* prefix : {"lat", "p99-", "avail"}) {
    const config::SloConfig* slo = cfg.find_slo(std::string(prefix) + "0");
    const double ms = median_ms(rounds, [&] {
      auto r = engine.evaluate(cfg, *slo, double(at));
      if (!r.ok()) std::abort();
    });
    std::printf("evaluate one %s SLO over 30d: median %.2f ms\n", slo::sli_kind_name(slo->sli.kind), ms);
  }
  return 0;
}
