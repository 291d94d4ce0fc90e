// Where SLI data comes from: the embedded store today, a Prometheus-compatible query API
// later. Implementations are thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sloguard/common/status.h"
#include "sloguard/config/config.h"
#include "sloguard/store/latency_sketch.h"
#include "sloguard/store/store.h"

namespace sloguard::slo {

// Event counts over a window. bad() = total - good.
struct Counts {
  uint64_t good = 0;
  uint64_t total = 0;
  uint64_t bad() const { return total - good; }
  Counts& operator+=(const Counts& o) {
    good += o.good;
    total += o.total;
    return *this;
  }
  bool operator==(const Counts&) const = default;
};

// One SLO instance: the whole SLO, or one group of a grouped SLO (group = the label value).
struct Instance {
  const config::SloConfig* slo = nullptr;
  std::string group;  // empty: every group together
};

// The data of one time slice [start, start + slice length).
struct Slice {
  int64_t start = 0;
  Counts counts;                       // availability / latency SLIs
  std::optional<double> percentile_ms; // percentile SLIs: the slice's pNN; null without latency data
};

// The groups of a grouped SLO: observed label values, oldest first, at most max_groups.
struct GroupList {
  std::vector<std::string> groups;
  std::vector<std::string> overflow;  // values beyond max_groups (not evaluated)
};

class Source {
 public:
  virtual ~Source() = default;
  // Good and total events of the instance's SLI in each window [at - w, at), for every w in
  // `windows` (seconds, positive multiples of 60). `at` must be a multiple of 60.
  virtual Result<std::vector<Counts>> window_counts(const Instance& inst, int64_t at,
                                                    std::span<const int64_t> windows) const = 0;
  // The merged latency sketch of the instance's series over [from, to) (minute-aligned).
  virtual Result<store::LatencySketch> latency(const Instance& inst, int64_t from, int64_t to) const = 0;
  // Slices of `slice_seconds` (dividing an hour) starting in [from, to), minute-aligned, in
  // time order; slices without any event are left out.
  virtual Result<std::vector<Slice>> slices(const Instance& inst, int64_t from, int64_t to,
                                            int64_t slice_seconds) const = 0;
  // The observed values of the SLO's group_by label (empty list for ungrouped SLOs).
  virtual GroupList groups(const config::SloConfig& slo) const = 0;
};

// Reads the embedded store. Windows of at least kHourScanFrom are read as day buckets with
// hour and minute buckets at both edges; shorter ones as minute buckets. Either way the
// counts are exact: every bucket boundary lies on a minute.
class StoreSource final : public Source {
 public:
  static constexpr int64_t kHourScanFrom = 3 * 3600;
  explicit StoreSource(const store::Store& store) : store_(store) {}
  Result<std::vector<Counts>> window_counts(const Instance& inst, int64_t at,
                                            std::span<const int64_t> windows) const override;
  Result<store::LatencySketch> latency(const Instance& inst, int64_t from, int64_t to) const override;
  Result<std::vector<Slice>> slices(const Instance& inst, int64_t from, int64_t to,
                                    int64_t slice_seconds) const override;
  GroupList groups(const config::SloConfig& slo) const override;

  // The series an instance reads: {service} without filters, else the matching
  // {service, endpoint} (or {service, version}) series.
  std::vector<store::SeriesId> series_of(const Instance& inst) const;

 private:
  struct SliceCacheEntry {
    uint64_t hour_total = 0;   // events in the hour (all series) when the slices were computed
    std::vector<Slice> slices;
  };
  Result<std::vector<Slice>> compute_slices(const config::SliConfig& sli, const std::vector<store::SeriesId>& series,
                                            int64_t from, int64_t to, int64_t slice_seconds) const;

  const store::Store& store_;
  struct InstanceSlices {
    uint64_t last_used = 0;
    std::map<int64_t, SliceCacheEntry> hours;
  };
  // Slices of whole past hours per instance and slice length (see slices()). Instances not
  // asked for longest are dropped beyond kMaxCachedInstances (SLOs removed by a reload).
  static constexpr size_t kMaxCachedInstances = 4096;
  static constexpr size_t kMaxCachedHoursPerInstance = 24 * 100;  // the oldest go first
  mutable std::mutex cache_mu_;
  mutable uint64_t cache_clock_ = 0;
  mutable std::map<std::string, InstanceSlices> slice_cache_;
};

// The good/total counts of one bucket under an SLI: availability counts statuses; latency
// counts events with latency (exactly, from the per-threshold counts kept at ingest, or
// estimated from the sketch for data written before the threshold was configured).
Counts sli_counts(const config::SliConfig& sli, const store::Rollup& r);

}  // namespace sloguard::slo
