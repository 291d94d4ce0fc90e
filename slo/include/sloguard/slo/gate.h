// The release gate: may service S release now? A pure decision over what the caller gathered
// (SLO statuses, firing alerts, recent rollbacks) and the configured freeze windows. Every
// reason that blocks is reported, not only the first.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sloguard/common/status.h"
#include "sloguard/config/config.h"
#include "sloguard/slo/engine.h"

namespace sloguard::slo {

// A firing alert, as the alerting engine reports it.
struct FiringAlert {
  std::string slo;
  std::string tier;      // e.g. "page-1h"
  std::string severity;  // e.g. "page"; blocks when listed in release.gate.block_on_alert_severities
  int64_t since = 0;     // Unix seconds the alert started firing
};

// The last rollback of the service (from the hook audit log).
struct RecentRollback {
  int64_t at = 0;        // Unix seconds
  std::string reason;    // why it rolled back
};

struct GateInput {
  std::string service;
  int64_t at = 0;                        // Unix seconds
  std::vector<SloStatus> slos;           // the service's SLOs (or the one asked for)
  std::vector<std::string> slo_errors;   // SLOs that could not be evaluated: "name: why" (deny)
  std::vector<FiringAlert> alerts;       // firing alerts of the service's SLOs
  std::optional<RecentRollback> last_rollback;
};

enum class GateReasonKind { kBudgetPolicy, kAlert, kRollbackCooldown, kFreezeWindow, kEvaluationError, kSourceError };
const char* gate_reason_kind_name(GateReasonKind k);  // "budget_policy", "alert", ...

struct GateReason {
  GateReasonKind kind = GateReasonKind::kBudgetPolicy;
  std::string message;                 // one line for humans
  std::string subject;                 // the SLO, alert tier, freeze window name
  std::optional<int64_t> until;        // cooldown and freeze windows: when it ends (Unix seconds)
};

struct GateDecision {
  bool allow = true;
  // false: "could not decide" (the CLI exits 2). An SLO's data could not be read from its
  // source and nothing else blocks; release.gate.on_source_error: allow or deny decides instead.
  bool decided = true;
  std::vector<GateReason> reasons;     // empty when allowed
  std::vector<std::string> warnings;   // source errors that on_source_error: allow let pass
};

// Decides from the input and cfg.release. Freeze windows whose time zone cannot be read deny
// with an evaluation error (a gate must not open on a broken config). Thread-safe.
GateDecision decide_gate(const config::Config& cfg, const GateInput& in);

// The freeze window active at `at` for the service: the end of its current occurrence (Unix
// seconds), or nullopt when it is not active. Weekly windows are in local wall-clock time, so
// "02:00-04:00" stays 02:00-04:00 on both sides of a DST change (on the day clocks skip 02:00
// the window starts at the end of the gap). Errors: unknown zone, no tz database.
Result<std::optional<int64_t>> freeze_window_end(const config::FreezeWindow& w, int64_t at);

}  // namespace sloguard::slo
