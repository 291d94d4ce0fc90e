// SLI, error budget, burn rates and budget policy for one SLO at one instant.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sloguard/config/config.h"
#include "sloguard/slo/source.h"

namespace sloguard::slo {

struct WindowBurn {
  std::string name;     // "5m", "1h", ..., the SLO window ("30d")
  int64_t seconds = 0;
  Counts counts;
  std::optional<double> burn_rate;  // null when the window has no events
};

struct ErrorBudget {
  double allowed = 0;       // (1 - objective) * total events in the SLO window
  uint64_t consumed = 0;    // bad events in the SLO window
  std::optional<double> remaining_ratio;  // 1 - consumed / allowed; null with no events
};

struct SloStatus {
  std::string name;
  std::string service;
  double objective = 0;
  std::string window;         // "30d"
  int64_t window_seconds = 0;
  int64_t at = 0;             // evaluation instant, Unix seconds, rounded down to the minute
  Counts sli;                 // over the SLO window
  std::optional<double> ratio;  // good / total; null with no events
  ErrorBudget budget;
  std::vector<WindowBurn> burn_rates;  // ascending by length; the SLO window is one of them
  std::string policy;         // budget policy status, e.g. "normal"
  bool block_releases = false;
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

// Pure arithmetic over a Source. Thread-safe.
class Engine {
 public:
  explicit Engine(const Source& source) : source_(source) {}

  // Evaluates one SLO at `at` (any Unix time; rounded down to the minute).
  Result<SloStatus> evaluate(const config::Config& cfg, const config::SloConfig& slo, double at) const;

  // Evaluates every SLO of cfg at `at`, spread over up to `threads` threads (0 = one per
  // core). Results are in config order, one per SLO.
  std::vector<Result<SloStatus>> evaluate_all(const config::Config& cfg, double at, unsigned threads = 0) const;

 private:
  const Source& source_;
};

}  // namespace sloguard::slo
