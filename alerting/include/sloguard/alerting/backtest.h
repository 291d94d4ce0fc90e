// Backtesting alert tiers on history: replays JSONL events through the same SLO engine and
// alert state machine as the daemon, at the evaluation interval, in a temporary store, and
// returns when each tier fired and resolved. Nothing is queued or sent.
#pragma once

#include <cstdint>
#include <istream>
#include <optional>
#include <string>
#include <vector>

#include "sloguard/common/status.h"
#include "sloguard/config/config.h"

namespace sloguard::alerting {

struct BacktestOptions {
  // First evaluation instant, Unix seconds. Default: the minute of the earliest event.
  std::optional<int64_t> from;
  // Last evaluation instant (inclusive), Unix seconds. Default: the minute of the latest event
  // + the longest short window of any tier + 1m, when that event has left every short window
  // so the alerts it raised can resolve.
  std::optional<int64_t> to;
  // Directory for the temporary store: created if missing, should be empty, never removed
  // here (the caller owns it). Required.
  std::string store_path;
  // Events per ingest call. Default: 10000 (at most collector::kMaxEventsPerRequest).
  size_t batch_lines = 10000;
};

// One firing episode of one (SLO, group, tier).
struct TimelineEntry {
  std::string slo, group, tier, severity;  // group: empty for the whole SLO
  int64_t fired_at = 0;                    // Unix seconds: the evaluation round that fired it
  std::optional<int64_t> resolved_at;      // null while still firing at the end of the replay
  std::string long_window, short_window;   // "1h", "5m"
  double long_burn_rate = 0, short_burn_rate = 0;  // at fired_at
  double threshold = 0;                    // the tier's burn rate
};

struct BacktestResult {
  std::vector<TimelineEntry> timeline;  // by fired_at; ties in config (SLO, tier) order
  int64_t from = 0, to = 0;             // the evaluation range used, Unix seconds
  int64_t interval_ms = 0;              // cfg.evaluation_interval_ms
  uint64_t rounds = 0;                  // evaluation rounds run
  uint64_t events = 0;                  // events read, weighted by count
};

// Reads `events` (one /api/v1/events event object per line; blank lines are skipped), stores
// them in a new RocksDB store at options.store_path and evaluates every SLO of cfg and its
// alert tiers at from, from + interval, ... <= to. The store's and the ingest's retention are
// lifted so no event of the file is too old.
// Errors: InvalidArgument "line N: ..." for a line that is not JSON or not a valid event (an
// unknown service, a bad field), or for from > to or an input without events and without a
// range; IOError when the store cannot be opened or written; the engine's error if an
// evaluation fails. Not thread-safe with respect to options.store_path.
Result<BacktestResult> run_backtest(const config::Config& cfg, std::istream& events, const BacktestOptions& options);

}  // namespace sloguard::alerting
