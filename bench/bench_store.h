// Shared by the store benchmarks: a store filled once and reused across runs, and timing.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sloguard/store/store.h"

namespace sloguard::bench {

// Opens the store at `dir`. When `dir` lacks the marker file named after `fill_id`, the
// directory is wiped first and `fresh` is set: the caller fills it and calls mark_filled().
struct BenchStore {
  std::unique_ptr<store::Store> store;
  bool fresh = false;
  std::string marker;
  void mark_filled() const {
    if (std::FILE* f = std::fopen(marker.c_str(), "w")) std::fclose(f);
  }
};

inline BenchStore open_bench_store(const std::string& dir, const std::string& fill_id, const Clock& clock) {
  BenchStore out;
  out.marker = dir + "/.filled-" + fill_id;
  out.fresh = !std::filesystem::exists(out.marker);
  if (out.fresh) std::filesystem::remove_all(dir);
  store::StoreOptions so;
  so.path = dir;
  so.clock = &clock;
  auto opened = store::open_rocksdb_store(so);
  if (!opened.ok()) {
    std::fprintf(stderr, "%s\n", opened.status().to_string().c_str());
    std::exit(1);
  }
  out.store = std::move(opened).value();
  return out;
}

// Runs fn `rounds` times; returns every duration in milliseconds, sorted.
inline std::vector<double> time_rounds_ms(int rounds, const std::function<void()>& fn) {
  std::vector<double> ms;
  for (int r = 0; r < rounds; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    fn();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms;
}

}  // namespace sloguard::bench
