// Multi-window multi-burn-rate rules and the alert lifecycle. Each evaluation round takes the
// SLO statuses the engine computed at one instant, moves every (SLO, group, tier) state
// machine, applies inhibition and silences, and queues notifications in the outbox, all
// persisted in one batch so a restart neither re-pages nor forgets a firing alert.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "sloguard/alerting/alert.h"
#include "sloguard/alerting/outbox.h"
#include "sloguard/alerting/silences.h"
#include "sloguard/common/clock.h"
#include "sloguard/config/config.h"
#include "sloguard/slo/engine.h"
#include "sloguard/slo/source.h"
#include "sloguard/store/store.h"

namespace sloguard::alerting {

// A change of an alert's phase, as seen by one evaluation round.
struct Transition {
  AlertState alert;        // after the change
  AlertPhase from = AlertPhase::kInactive;
  int64_t at_ms = 0;
};

// Called when a tier that names rollback hooks starts firing (once per episode, when its
// firing notification is queued, so never while silenced or inhibited), before the round's
// state is written. The state writes it returns (the rollback jobs) are written in the same
// atomic batch as the alert state that fired, so a crash keeps both or neither.
using FireListener =
    std::function<std::vector<store::Store::StateWrite>(const AlertState&, const config::AlertTier&)>;

// Thread-safe: evaluate() calls are serialized, alerts() may run beside them.
class AlertEngine {
 public:
  // store null: nothing is persisted (backtest). The store must outlive the engine.
  AlertEngine(store::Store* store, const Clock& clock) : store_(store), clock_(clock) {}
  Status load();

  // One round. statuses: Engine::evaluate() results for the SLOs of cfg at one instant
  // (grouped SLOs carry their groups). source answers windows a status does not carry.
  // silences and outbox may be null (backtest: nothing is queued, but the bookkeeping is the
  // same). Returns the phase changes of this round.
  Result<std::vector<Transition>> evaluate(const config::Config& cfg, const std::vector<slo::SloStatus>& statuses,
                                           const slo::Source* source, const Silences* silences, Outbox* outbox,
                                           int64_t now_ms);

  // Current alerts except inactive ones, by key.
  std::vector<AlertState> alerts() const;
  void set_fire_listener(FireListener listener);

 private:
  store::Store* store_;
  const Clock& clock_;
  mutable std::mutex mu_;
  std::mutex round_mu_;
  std::map<std::string, AlertState> states_;  // by key; inactive ones are absent
  FireListener fire_listener_;
};

// The notification for a transition of `a` ("firing", "resolved"; repeat = a reminder) to
// `notifier`, with its summary and description.
Notification make_notification(const AlertState& a, const std::string& status, bool repeat,
                               const std::string& notifier, const config::Config& cfg, int64_t now_ms);

}  // namespace sloguard::alerting
