// The latency sketch's costs: add() per value, serialized sizes (minute, hour, day, 30 days),
// quantile time, the cost of a 30-day percentile merged from minute, hour or day sketches, the
// decode cost a scan pays per bucket, and write_rollups throughput with and without latency.
//
//   sketch_bench [--runs 7] [--no-store]
//
// Data: per minute 1,000 log-normal latencies (median 50 ms, sigma 0.6), 30 days of minutes.
// Every figure is the median of `runs` runs.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "sloguard/common/log.h"
#include "sloguard/store/latency_sketch.h"
#include "sloguard/store/rollup.h"
#include "sloguard/store/store.h"

using namespace sloguard;
using store::LatencySketch;
using store::Rollup;

namespace {

constexpr int kMinutes = 30 * 1440;  // 43,200
constexpr int kValuesPerMinute = 1000;

using Steady = std::chrono::steady_clock;

double seconds_since(Steady::time_point t0) { return std::chrono::duration<double>(Steady::now() - t0).count(); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

size_t median_size(std::vector<size_t> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Median over runs of seconds taken by f().
template <typename F>
double time_runs(int runs, F&& f) {
  std::vector<double> t;
  for (int r = 0; r < runs; ++r) {
    auto t0 = Steady::now();
    f();
    t.push_back(seconds_since(t0));
  }
  return median(t);
}

std::string encoded(const LatencySketch& s) {
  std::string out;
  s.encode(out);
  return out;
}

volatile uint64_t g_sink;  // keeps results alive

}  // namespace

int main(int argc, char** argv) {
  int runs = 7;
  bool with_store = true;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--runs" && i + 1 < argc) runs = std::max(1, std::atoi(argv[++i]));
    else if (a == "--no-store") with_store = false;
  }
  log::set_level(log::Level::kWarn);  // no "store opened" lines
  std::mt19937_64 rng(2026);
  std::lognormal_distribution<double> latency(std::log(50.0), 0.6);

  // --- add() ---
  std::vector<double> values(1 << 22);
  for (double& v : values) v = latency(rng);
  {
    LatencySketch s;
    double t = time_runs(runs, [&] {
      s.clear();
      for (double v : values) s.add(v);
      g_sink = s.count();
    });
    std::printf("add(): %.2f ns/value (%.0f M values/s)\n", t / values.size() * 1e9, values.size() / t / 1e6);
    const std::vector<uint32_t> thresholds = {100000, 250000};
    Rollup r;
    t = time_runs(runs, [&] {
      r.clear();
      for (double v : values) r.add_latency(v, 1, thresholds);
      g_sink = r.latency.count();
    });
    std::printf("Rollup::add_latency with 2 thresholds: %.2f ns/value\n", t / values.size() * 1e9);
  }

  // --- 30 days of minute sketches, kept encoded as the store holds them ---
  std::vector<std::string> minutes(kMinutes);
  {
    LatencySketch s;
    for (auto& m : minutes) {
      s.clear();
      for (int i = 0; i < kValuesPerMinute; ++i) s.add(latency(rng));
      m = encoded(s);
    }
  }
  auto merge_encoded = [](const std::vector<std::string>& parts, size_t from, size_t n, LatencySketch& into) {
    LatencySketch part;
    for (size_t i = from; i < from + n; ++i) {
      part.decode(parts[i]);
      into.merge(part);
    }
  };
  auto roll_up = [&](const std::vector<std::string>& parts, size_t per) {
    std::vector<std::string> out;
    for (size_t i = 0; i + per <= parts.size(); i += per) {
      LatencySketch s;
      merge_encoded(parts, i, per, s);
      out.push_back(encoded(s));
    }
    return out;
  };
  std::vector<std::string> hours = roll_up(minutes, 60);
  std::vector<std::string> days = roll_up(hours, 24);
  LatencySketch month;
  merge_encoded(days, 0, days.size(), month);
  auto sizes = [](const std::vector<std::string>& v) {
    std::vector<size_t> s;
    for (const auto& x : v) s.push_back(x.size());
    return median_size(s);
  };
  std::printf("serialized size: minute (1,000 values) %zu B, hour %zu B, day %zu B, 30 days (%llu values) %zu B\n",
              sizes(minutes), sizes(hours), sizes(days), static_cast<unsigned long long>(month.count()),
              month.encoded_size());

  // --- quantile over the 30-day sketch ---
  {
    constexpr int kCalls = 100000;
    double sum = 0;
    double t = time_runs(runs, [&] {
      for (int i = 0; i < kCalls; ++i) sum += *month.quantile(0.99);
    });
    g_sink = static_cast<uint64_t>(sum);
    std::printf("quantile(0.99) over the 30-day sketch: %.0f ns (p99 = %.2f ms)\n", t / kCalls * 1e9,
                *month.quantile(0.99));
  }

  // --- a 30-day percentile from stored sketches: decode + merge ---
  auto p99_from = [&](const std::vector<std::string>& parts) {
    LatencySketch s;
    double t = time_runs(runs, [&] {
      s.clear();
      merge_encoded(parts, 0, parts.size(), s);
      g_sink = static_cast<uint64_t>(*s.quantile(0.99));
    });
    if (!(s == month)) std::printf("  (mismatch!)\n");
    return t;
  };
  double t_min = p99_from(minutes);
  double t_hour = p99_from(hours);
  double t_day = p99_from(days);
  std::printf("p99 over 30 days, decode + merge: %d minute sketches %.1f ms, %zu hour sketches %.2f ms, "
              "%zu day sketches %.3f ms\n",
              kMinutes, t_min * 1e3, hours.size(), t_hour * 1e3, days.size(), t_day * 1e3);
  {
    std::vector<LatencySketch> decoded(minutes.size());
    for (size_t i = 0; i < minutes.size(); ++i) decoded[i].decode(minutes[i]);
    LatencySketch s;
    double t = time_runs(runs, [&] {
      s.clear();
      for (const auto& d : decoded) s.merge(d);
      g_sink = s.count();
    });
    std::printf("  merge only (already decoded): %d minute sketches %.1f ms (%.0f ns each)\n", kMinutes, t * 1e3,
                t / kMinutes * 1e9);
  }

  // --- what a scan pays per bucket: decode_rollup with and without the sketch ---
  {
    auto rollup_value = [&](const std::string& sketch_bytes, uint64_t events, bool with_latency) {
      Rollup r;
      r.add(200, events - events / 100);
      r.add(503, events / 100);
      if (with_latency) {
        r.latency.decode(sketch_bytes);
        r.latency_le = {{100000, events * 9 / 10}, {250000, events}};
      }
      std::string out;
      store::encode_rollup(r, out);
      return out;
    };
    struct Kind {
      const char* name;
      const std::string* sketch;
      uint64_t events;
    } kinds[] = {{"minute", &minutes[0], 1000}, {"hour", &hours[0], 60000}, {"day", &days[0], 1440000}};
    Rollup out;
    for (const Kind& k : kinds) {
      double ns[3];
      size_t bytes[2];
      for (int with = 0; with < 3; ++with) {
        std::string v = rollup_value(*k.sketch, k.events, with != 0);
        bytes[std::min(with, 1)] = v.size();
        const auto parts = with == 2 ? store::RollupParts::kStatusCounts : store::RollupParts::kAll;
        constexpr int kDecodes = 20000;
        double t = time_runs(runs, [&] {
          for (int i = 0; i < kDecodes; ++i) store::decode_rollup(v, out, parts);
          g_sink = out.total;
        });
        ns[with] = t / kDecodes * 1e9;
      }
      std::printf("decode_rollup, %s value: no latency %zu B %.0f ns; with sketch + 2 thresholds %zu B %.0f ns, "
                  "read with kStatusCounts %.0f ns\n",
                  k.name, bytes[0], ns[0], bytes[1], ns[1], ns[2]);
    }
  }

  // --- write_rollups: ingest-shaped batches, with and without latency ---
  if (with_store) {
    // Batches of 1,000 events over 4 series in the current minute (the loadgen's shape): each
    // batch becomes one delta per series, each a Merge into its minute, hour and day.
    constexpr int kBatches = 2000;
    constexpr int kEventsPerBatch = 1000;
    const std::vector<uint32_t> thresholds = {100000, 250000};
    const int64_t t0 = 1767225600;
    for (int with = 0; with < 2; ++with) {
      std::vector<double> rates;
      for (int r = 0; r < std::max(3, runs / 2); ++r) {
        std::string dir = (std::filesystem::temp_directory_path() / "sloguard-sketch-bench-XXXXXX").string();
        if (!mkdtemp(dir.data())) return 1;
        {
          store::StoreOptions so;
          so.path = dir;
          ManualClock clock(t0 * 1000);
          so.clock = &clock;
          auto opened = store::open_rocksdb_store(so);
          if (!opened.ok()) {
            std::fprintf(stderr, "%s\n", opened.status().to_string().c_str());
            return 1;
          }
          std::unique_ptr<store::Store> st = std::move(opened).value();
          std::vector<store::SeriesId> series;
          for (int s = 0; s < 4; ++s) {
            series.push_back(st->ensure_series({{"service", "svc" + std::to_string(s)}}).value());
          }
          auto start = Steady::now();
          std::vector<store::RollupDelta> deltas(series.size());
          for (int b = 0; b < kBatches; ++b) {
            const int64_t minute = t0 + (b / 50) * 60;  // 50 batches per minute
            for (size_t s = 0; s < series.size(); ++s) {
              deltas[s].series = series[s];
              deltas[s].minute_start = minute;
              deltas[s].value.clear();
            }
            for (int e = 0; e < kEventsPerBatch; ++e) {
              Rollup& r = deltas[static_cast<size_t>(e) % series.size()].value;
              r.add(e % 50 == 0 ? 503 : 200, 1);
              const double v = values[static_cast<size_t>(b * kEventsPerBatch + e) % values.size()];
              if (with) r.add_latency(v, 1, thresholds);
            }
            if (!st->write_rollups(deltas).ok()) return 1;
          }
          rates.push_back(double(kBatches) * kEventsPerBatch / seconds_since(start));
        }
        std::filesystem::remove_all(dir);
      }
      std::printf("write_rollups, 1,000-event batches over 4 series, %s latency: %.2f M events/s\n",
                  with ? "with" : "without", median(rates) / 1e6);
    }
  }
  return 0;
}
