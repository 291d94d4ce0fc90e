// SLI, error budget, burn rates, budget policy and latency percentiles for one SLO at one
// instant.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sloguard/config/config.h"
#include "sloguard/slo/source.h"

namespace sloguard::slo {

struct WindowBurn {
  std::string name;     // "5m", "1h", ..., the SLO window ("30d", "month")
  int64_t seconds = 0;
  Counts counts;        // events, or time slices for timeslice budgeting
  std::optional<double> burn_rate;  // null when the window has no data
};

struct ErrorBudget {
  double allowed = 0;       // (1 - objective) * total events (or slices) in the SLO window
  uint64_t consumed = 0;    // bad events (or slices) in the SLO window
  std::optional<double> remaining_ratio;  // 1 - consumed / allowed; null with no data
  // Seconds until the remaining budget is spent if the 1h burn rate (or the SLO window's
  // average burn rate) holds: remaining_ratio * window / burn_rate (calendar windows: the
  // elapsed part of the period, over which the budget so far was earned). 0 once spent; null
  // with no data or a zero burn rate.
  std::optional<double> exhausted_in_1h_rate;
  std::optional<double> exhausted_in_window_rate;
};

// Why an SLO has no figures: its source could not be read (see source_failure_reason()).
struct SourceError {
  std::string reason;   // "timeout", "unreachable", ...
  std::string message;  // one line, no secrets
};

struct SloStatus {
  std::string name;
  std::string service;
  std::string group;          // the group's label value; empty for the whole SLO
  std::string sli_kind;       // "availability", "latency", "percentile"
  double objective = 0;
  std::string window;         // "30d", "month"
  int64_t window_seconds = 0; // rolling: its length; calendar: from the period start to `at`
  int64_t window_start = 0;
  std::optional<int64_t> window_end;  // calendar: the end of the period
  int64_t at = 0;             // evaluation instant, Unix seconds, rounded down to the minute
  std::string budgeting;      // "occurrences" or "timeslices"
  int64_t slice_seconds = 0;  // timeslices only
  Counts sli;                 // over the SLO window (events, or slices with data)
  std::optional<double> ratio;  // good / total; null with no data
  ErrorBudget budget;
  std::vector<WindowBurn> burn_rates;  // ascending by length; the SLO window is one of them
  std::string policy;         // budget policy status, e.g. "normal"
  bool block_releases = false;
  std::optional<LatencySummary> latency;  // latency and percentile SLIs (over the SLO window)
  std::string source = "embedded";        // where the data came from: "embedded" or a datasource
  // Set when the source failed: the figures above are then empty (no data), policy is
  // "unknown", and neither alerts nor the gate act on this status.
  std::optional<SourceError> source_error;
  // Grouped SLOs, on the whole-SLO status: each group's own status, and the groups beyond
  // max_groups with their events in the SLO window (counted, not evaluated).
  std::vector<SloStatus> groups;
  std::vector<std::string> overflow_groups;
  uint64_t overflow_events = 0;
};

// The burn-rate windows reported for an SLO: 5m, 30m, 1h, 2h, 6h, 1d, 3d and the SLO window,
// ascending, without duplicates.
std::vector<int64_t> burn_rate_windows(int64_t slo_window_seconds);

// Rounds a Unix time down to the bucket resolution (one minute).
int64_t align_to_minute(double unix_seconds);

// The tier for a remaining budget ratio; with no data (nullopt) nothing has been consumed,
// which is the first (highest) tier.
const config::PolicyTier& policy_for(const std::vector<config::PolicyTier>& tiers,
                                     std::optional<double> remaining_ratio);

const char* sli_kind_name(config::SliKind kind);

// Pure arithmetic over a Source. Thread-safe.
class Engine {
 public:
  explicit Engine(const Source& source) : source_(source) {}

  // Evaluates one SLO at `at` (any Unix time; rounded down to the minute). For a grouped SLO
  // without `group`, the status covers every group together and lists each group's status.
  Result<SloStatus> evaluate(const config::Config& cfg, const config::SloConfig& slo, double at,
                             const std::string& group = "") const;

  // Evaluates every SLO of cfg at `at`, spread over up to `threads` threads (0 = one per
  // core). Results are in config order, one per SLO.
  std::vector<Result<SloStatus>> evaluate_all(const config::Config& cfg, double at, unsigned threads = 0) const;

 private:
  // compute_instance, or a status without figures when the source failed (source_error).
  Result<SloStatus> evaluate_instance(const config::Config& cfg, const Instance& inst, int64_t at) const;
  Result<SloStatus> compute_instance(const config::Config& cfg, const Instance& inst, int64_t at) const;
  Result<SloStatus> unavailable(const config::Config& cfg, const config::SloConfig& slo, const Instance& inst,
                                int64_t at, SourceError why) const;
  // The status without figures: names, objective, window (errors: calendar time zones).
  Result<SloStatus> frame(const config::SloConfig& slo, const Instance& inst, int64_t at) const;
  const Source& source_;
};

}  // namespace sloguard::slo
