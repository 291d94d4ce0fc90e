// Rollback hooks (webhook, GitHub dispatch, exec) with their safety rules, and the audit log.
//
// Entry point for the alerting engine: when an alert tier that names hooks fires, call
//   runner.trigger(cfg, RollbackRequest{.service = ..., .reason = "page-1h burn rate 15.2x",
//                  .trigger = "alert", .idempotency_key = "alert/<slo>/<tier>/<starts_at_ms>",
//                  .burn_rates = ..., .budget_remaining = ..., .alert = AlertInfo{...},
//                  .hooks = tier.hooks});
// and call runner.poll(cfg) once per evaluation round so that retries go out.
//
// Safety, in this order, per request: each (idempotency_key, hook) runs at most once, even
// across restarts (a "hookrun/" record is persisted before the call); a request for a service
// within release.rollback.cooldown of its last rollback, or beyond max_per_period rollbacks in
// period, is skipped (and recorded); dry_run (global or per hook) records what would have been
// done and calls nothing. Webhook and github calls that fail with a retryable answer are
// retried with exponential backoff from poll(), up to the hook's max_attempts. Every outcome
// is appended to the audit log ("audit/" records), which GET /api/v1/hooks/history shows.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sloguard/common/clock.h"
#include "sloguard/common/status.h"
#include "sloguard/config/config.h"
#include "sloguard/net/http_sender.h"
#include "sloguard/store/store.h"

namespace sloguard::hooks {

struct AlertInfo {
  std::string name;         // alertname, or the SLO's alert name
  std::string slo, tier, severity, fingerprint;
  int64_t since = 0;        // Unix seconds the alert started firing
  std::map<std::string, std::string> labels;
};

struct RollbackRequest {
  std::string service;
  std::string reason;                    // one line, shown in payloads and the audit log
  std::string trigger = "manual";        // "verification", "alert", "alertmanager", "manual"
  // A hook runs at most once per (idempotency_key, hook name). E.g. "deploy/<id>",
  // "alert/<slo>/<tier>/<starts_at>", "alertmanager/<fingerprint>/<startsAt>". Required.
  std::string idempotency_key;
  std::string deployment_id, version, previous_version, environment;
  std::map<std::string, double> burn_rates;  // window -> burn rate
  std::optional<double> budget_remaining;    // ratio
  std::optional<AlertInfo> alert;
  std::vector<std::string> hooks;            // names in release.hooks; unknown names are recorded as failed
};

// One line of the audit log.
struct AuditEntry {
  std::string id;                 // sortable: "<at_ms>-<seq>"
  int64_t at_ms = 0;
  std::string service, hook, kind, trigger, reason, idempotency_key, deployment_id;
  // "succeeded", "failed", "retrying", "dry_run", "skipped_cooldown", "skipped_limit"
  std::string result;
  std::string detail;             // HTTP status / exit status / why skipped (no secrets)
  std::string action;             // what was (or would have been) done: "POST https://host/path", argv
  int attempts = 0;
  std::string output;             // exec: captured output (bounded)
};

// The entry as JSON text, the shape GET /api/v1/hooks/history lists and the store keeps.
std::string to_json(const AuditEntry& e);

struct HookRun {
  std::string hook;
  std::string result;             // as AuditEntry::result, or "duplicate" (already run for this key)
  std::string detail;
};

// Told of each hook run's final result (anything but "retrying"): once per (idempotency_key,
// hook), from trigger() or, after retries, from poll(), on their thread and after the runner's
// lock is released (it may call the runner). Results not written to the audit log (store
// errors before the call, "duplicate") are not reported.
using HookResultListener = std::function<void(const RollbackRequest& req, const AuditEntry& result)>;

// Thread-safe: trigger(), poll() and the readers may be called from any thread.
class RollbackRunner {
 public:
  // `store`, `clock` and `sender` must outlive the runner.
  RollbackRunner(store::Store& store, const Clock& clock, net::HttpSender& sender)
      : store_(store), clock_(clock), sender_(sender) {}

  // Replaces the listener (none by default). Set it before the first trigger().
  void set_result_listener(HookResultListener listener);

  // Runs the request's hooks (see the file comment). Exec hooks run on the calling thread up
  // to their timeout. Returns one HookRun per hook name.
  std::vector<HookRun> trigger(const config::Config& cfg, const RollbackRequest& req);
  // Sends the retries that are due at clock.now().
  void poll(const config::Config& cfg);

  // Newest first; service "" = every service.
  Result<std::vector<AuditEntry>> history(size_t limit, std::string_view service = {}) const;
  // The last rollback of the service that called something (not dry runs, not skipped):
  // Unix seconds and its reason. For the release gate's cooldown.
  struct LastRollback {
    int64_t at = 0;
    std::string reason;
  };
  Result<std::optional<LastRollback>> last_rollback(std::string_view service) const;

 private:
  struct Call;
  struct Finished {
    RollbackRequest req;
    AuditEntry result;
  };
  void attempt(const config::Config& cfg, const config::HookConfig& hook, Call& call);
  // Appends to the audit log; a final result of `req` is also queued for the listener.
  Status append_audit(AuditEntry e, const RollbackRequest& req);
  std::vector<HookRun> trigger_locked(const config::Config& cfg, const RollbackRequest& req);
  void poll_locked(const config::Config& cfg);
  // Hands the queued final results to the listener; called without mu_ held.
  void report(std::vector<Finished> finished);

  store::Store& store_;
  const Clock& clock_;
  net::HttpSender& sender_;
  std::mutex mu_;  // serializes trigger() and poll(): the safety checks read, then write
  uint64_t audit_seq_ = 0;
  std::vector<Finished> finished_;  // guarded by mu_
  std::mutex listener_mu_;
  HookResultListener listener_;
};

// Fills {service} {version} {previous_version} {deployment_id} {environment} {reason}
// {trigger} {alert} in `text`; other braces stay as written.
std::string render_placeholders(const std::string& text, const RollbackRequest& req);

}  // namespace sloguard::hooks
