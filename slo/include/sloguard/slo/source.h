// Where SLI data comes from: the embedded store today, a Prometheus-compatible query API
// later. Implementations are thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
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
  Status error;                       // not OK when the source could not list them
};

// Latency percentiles over a window, in milliseconds.
struct LatencySummary {
  uint64_t count = 0;  // events with a latency
  double p50 = 0, p90 = 0, p95 = 0, p99 = 0, p999 = 0;  // milliseconds
};

// Requests and errors of a service (or one version of it) over [from, to), for post-deploy
// verification.
struct TrafficQuery {
  const config::SloConfig* slo = nullptr;  // the service's availability SLO, when it has one
  std::string service;
  std::optional<std::string> version;      // nullopt: all of the service's traffic
  config::StatusMatcher bad{{}, {5}};      // which statuses are errors (the embedded store)
  int64_t from = 0;                        // minute-aligned
  int64_t to = 0;
};
struct Traffic {
  uint64_t requests = 0;
  uint64_t errors = 0;
  std::optional<double> p95_ms;  // null without latency data
};

// A Source that cannot read its data answers Status::Unavailable with a message that starts
// with the reason and a colon ("timeout: datasource vm: ..."). The reasons are
// `unreachable`, `timeout`, `http_status`, `bad_query`, `partial`, `bad_response`.
// source_failure_reason() returns the reason of such a status, or "" for any other status.
std::string_view source_failure_reason(const Status& s);

// While one lives on a thread, a Source may answer a read it already answered on that thread
// from memory (a grouped SLO's groups then cost one datasource query, not one each). The
// engine opens one per SLO evaluation; nesting is allowed (the outermost one counts).
class ReadScope {
 public:
  ReadScope();
  ~ReadScope();
  ReadScope(const ReadScope&) = delete;
  ReadScope& operator=(const ReadScope&) = delete;

 private:
  bool outermost_ = false;
};

// What a Source read ahead for one evaluation round (see Source::prepare_round); opaque.
struct RoundReads {
  virtual ~RoundReads() = default;
};

// While one lives on a thread, reads at the round's instant may be answered from `reads`.
// Engine::evaluate_all opens one on each of its threads.
class RoundScope {
 public:
  explicit RoundScope(const RoundReads* reads);
  ~RoundScope();
  RoundScope(const RoundScope&) = delete;
  RoundScope& operator=(const RoundScope&) = delete;
  static const RoundReads* current();

 private:
  const RoundReads* previous_;
};

class Source {
 public:
  virtual ~Source() = default;
  // Reads ahead, in as few queries as it can, what evaluating every SLO of cfg at `at` will
  // ask (a datasource: SLOs of the same shape together). Default: nothing. Thread-safe.
  virtual std::shared_ptr<const RoundReads> prepare_round(const config::Config&, int64_t) const { return nullptr; }
  // The name shown in the API: "embedded" or the datasource's name.
  virtual std::string name_of(const config::SloConfig&) const { return "embedded"; }
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
  // Percentiles over [from, to); nullopt without latency data. The default reads latency().
  virtual Result<std::optional<LatencySummary>> latency_summary(const Instance& inst, int64_t from, int64_t to) const;
  // A service's traffic over [from, to), and the versions seen in it. Default: not supported
  // (InvalidArgument).
  virtual Result<Traffic> traffic(const TrafficQuery& q) const;
  virtual Result<std::vector<std::string>> versions(const TrafficQuery& q) const;
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
  std::string name_of(const config::SloConfig&) const override { return "embedded"; }
  Result<Traffic> traffic(const TrafficQuery& q) const override;
  Result<std::vector<std::string>> versions(const TrafficQuery& q) const override;

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
