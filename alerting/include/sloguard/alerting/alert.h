// One alert: the state machine of one (SLO, group, tier), inactive -> pending -> firing ->
// resolved, with what was measured at its last evaluation. Persisted as "alert/<key>".
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sloguard/common/status.h"

namespace sloguard::alerting {

enum class AlertPhase { kInactive, kPending, kFiring, kResolved };
const char* phase_name(AlertPhase p);  // "inactive", "pending", "firing", "resolved"

struct AlertState {
  std::string slo, service, group, tier, severity;
  AlertPhase phase = AlertPhase::kInactive;
  int64_t active_at_ms = 0;    // when the condition started to hold (pending or firing)
  int64_t fired_at_ms = 0;     // when it started firing (this episode)
  int64_t resolved_at_ms = 0;  // when it last resolved
  int64_t last_eval_ms = 0;
  int64_t last_sent_ms = 0;    // last firing or repeat notification queued
  bool notified = false;       // this episode's firing notification was queued
  uint64_t episode = 0;        // how many times it has fired; part of notification ids
  double threshold = 0;
  std::string long_window, short_window;  // "1h", "5m"
  std::optional<double> long_burn_rate, short_burn_rate, budget_remaining;
  uint64_t long_events = 0, short_events = 0;
  std::vector<std::string> paged;  // notifiers this episode's firing notice was queued to
  // Set at each evaluation, not persisted: why notifications are held back.
  std::vector<std::string> silenced_by;  // silence ids
  std::string inhibited_by;              // the firing tier of higher severity

  std::string key() const;  // alert_key(slo, group, tier)
  std::map<std::string, std::string> labels() const;  // slo, service, severity, tier, group (when set)
};

// "<slo>/<group>/<tier>" (names never hold '/').
std::string alert_key(const std::string& slo, const std::string& group, const std::string& tier);

std::string to_json(const AlertState& a);
Result<AlertState> alert_from_json(const std::string& json);

}  // namespace sloguard::alerting
