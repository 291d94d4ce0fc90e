// Evaluation time for N SLOs over 30 days of minute data (one series per SLO, traffic in
// every minute): the work the evaluator does each evaluation_interval.
//
//   eval_bench [--slos 1000] [--days 30] [--rounds 15] [--threads 0] [--dir DIR]
//
// The store is filled once (reused when DIR already holds it), then every SLO is evaluated
// `rounds` times at an instant that is not on an hour, so each long window reads minute
// buckets at both edges. Prints the median and the spread of the rounds.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "sloguard/alerting/alert_engine.h"
#include "sloguard/config/config.h"
#include "sloguard/slo/gate.h"
#include "sloguard/slo/engine.h"
#include "bench_store.h"
#include "sloguard/store/store.h"

using namespace sloguard;

int main(int argc, char** argv) {
  int slos = 1000, days = 30, rounds = 15;
  unsigned threads = 0;  // 0 = one per core, as the evaluator does
  std::string dir = "/tmp/sloguard-eval-bench";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--slos") slos = std::atoi(argv[i + 1]);
    else if (a == "--days") days = std::atoi(argv[i + 1]);
    else if (a == "--rounds") rounds = std::atoi(argv[i + 1]);
    else if (a == "--dir") dir = argv[i + 1];
    else if (a == "--threads") threads = static_cast<unsigned>(std::atoi(argv[i + 1]));
  }
  const int64_t end = 1767225600 + 7 * 86400;  // data up to here
  const int64_t at = end - 23 * 60;            // mid-hour
  const int64_t start = end - int64_t(days) * 86400;

  std::string yaml = "storage: {path: " + dir + ", retention: 35d}\nservices:\n";
  for (int i = 0; i < slos; ++i) yaml += "  - {name: svc" + std::to_string(i) + "}\n";
  yaml += "slos:\n";
  for (int i = 0; i < slos; ++i) {
    yaml += "  - {name: slo" + std::to_string(i) + ", service: svc" + std::to_string(i) +
            ", objective: 99.9%, window: 30d, sli: {kind: availability}}\n";
  }
  auto loaded = config::load_config_text(yaml);
  if (!loaded.ok()) {
    std::fprintf(stderr, "%s\n", loaded.errors.front().to_string().c_str());
    return 1;
  }
  const config::Config& cfg = *loaded.config;

  ManualClock clock(end * 1000);
  bench::BenchStore bs = bench::open_bench_store(dir, std::to_string(slos) + "-" + std::to_string(days), clock);
  store::Store& st = *bs.store;

  if (bs.fresh) {
    auto t0 = std::chrono::steady_clock::now();
    std::vector<store::SeriesId> ids;
    for (int i = 0; i < slos; ++i) ids.push_back(*st.ensure_series({{"service", "svc" + std::to_string(i)}}));
    std::vector<store::RollupDelta> batch;
    uint64_t n = 0;
    for (int64_t m = start; m < end; m += 60) {
      for (int i = 0; i < slos; ++i) {
        store::RollupDelta d{ids[i], m, {}};
        d.value.add(200, 1000 + (m / 60 + i) % 17);
        if ((m / 60 + i) % 5 == 0) d.value.add(503, 1 + (m / 60) % 3);
        batch.push_back(std::move(d));
      }
      if (batch.size() >= 20000) {
        if (!st.write_rollups(batch).ok()) return 1;
        n += batch.size();
        batch.clear();
      }
    }
    if (!batch.empty() && !st.write_rollups(batch).ok()) return 1;
    n += batch.size();
    if (!st.flush().ok() || !st.compact().ok()) return 1;
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("filled %llu minute buckets (+hour rollups) in %.1f s (%.0f buckets/s)\n", (unsigned long long)n, s,
                n / s);
    bs.mark_filled();
  }

  slo::StoreSource source(st);
  slo::Engine engine(source);
  uint64_t check = 0;
  const std::vector<double> ms = bench::time_rounds_ms(rounds, [&] {
    for (const auto& res : engine.evaluate_all(cfg, double(at), threads)) {
      if (!res.ok()) {
        std::fprintf(stderr, "%s\n", res.status().to_string().c_str());
        std::exit(1);
      }
      check += res->sli.total;
    }
  });
  std::printf("evaluate %d SLOs x %d days of minute data, %s threads: median %.1f ms (min %.1f, max %.1f) over %d rounds [%llu]\n",
              slos, days, threads ? std::to_string(threads).c_str() : "all", ms[ms.size() / 2], ms.front(), ms.back(),
              rounds, (unsigned long long)(check % 1000));

  // The alert round that follows each evaluation: every SLO's four built-in tiers.
  std::vector<slo::SloStatus> statuses;
  for (auto& res : engine.evaluate_all(cfg, double(at), threads)) statuses.push_back(std::move(res).value());
  alerting::AlertEngine alerts(&st, clock);
  alerting::Silences silences(&st, clock);
  alerting::Outbox outbox(&st, clock);
  size_t changes = 0;
  const std::vector<double> alert_ms = bench::time_rounds_ms(rounds, [&] {
    auto r = alerts.evaluate(cfg, statuses, &source, &silences, &outbox, at * 1000);
    if (!r.ok()) {
      std::fprintf(stderr, "%s\n", r.status().to_string().c_str());
      std::exit(1);
    }
    changes += r->size();
  });
  // The gate for one service: what GET /api/v1/gate does (evaluate the service's SLOs at
  // `at`, then decide from policy, alerts, cooldown and freeze windows).
  size_t allowed = 0;
  const std::vector<double> gate_ms = bench::time_rounds_ms(rounds * 20, [&] {
    slo::GateInput in;
    in.service = "svc7";
    in.at = at;
    for (const auto& s : cfg.slos) {
      if (s.service == in.service) in.slos.push_back(engine.evaluate(cfg, s, double(at)).value());
    }
    allowed += slo::decide_gate(cfg, in).allow;
  });
  std::printf("gate for one service (1 SLO, 30 days): median %.3f ms (min %.3f, max %.3f) over %d rounds [%zu]\n",
              gate_ms[gate_ms.size() / 2], gate_ms.front(), gate_ms.back(), rounds * 20, allowed);
  std::printf("alert round for %d SLOs x 4 tiers: median %.2f ms (min %.2f, max %.2f) over %d rounds [%zu]\n", slos,
              alert_ms[alert_ms.size() / 2], alert_ms.front(), alert_ms.back(), rounds, changes);
  return 0;
}
