// Rollback hooks (webhook, GitHub dispatch, exec) run as durable jobs, and the audit log.
//
// A decision to roll back (a failed verification, an alert tier, an Alertmanager alert) is
// written as jobs, one per (idempotency_key, hook), in the same atomic batch as the state
// change that decided it: plan() gives the writes, the caller adds them to its batch and
// calls wake(). Hook workers (start()) run due jobs off the evaluator and HTTP threads and
// hold no lock across exec or network calls. A job's attempt is recorded before its call, so
// after a crash at any point the job runs again with the same idempotency key and the same
// webhook-id: a receiver that dedupes on it sees one rollback. Every outcome is appended to
// the audit log ("audit/" records, GET /api/v1/hooks/history).
//
// Safety, in this order, when a job first runs: a service within release.rollback.cooldown of
// its last rollback (another key), or beyond max_per_period rollbacks in period, is skipped
// (and recorded); dry_run (global or per hook) records what would have been done and calls
// nothing. Webhook and github calls that fail with a retryable answer are retried with
// exponential backoff, up to the hook's max_attempts; exec hooks run once (again only after
// a crash interrupted them).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sloguard/common/background.h"
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
  // "succeeded", "failed", "retrying", "interrupted", "dry_run", "skipped_cooldown", "skipped_limit"
  std::string result;
  std::string detail;             // HTTP status / exit status / why skipped (no secrets)
  std::string action;             // what was (or would have been) done: "POST https://host/path", argv
  int attempts = 0;
  std::string output;             // exec: captured output (bounded)
  std::string message_id;         // the webhook-id sent (the same for every attempt of a job)
};

// The entry as JSON text, the shape GET /api/v1/hooks/history lists and the store keeps.
std::string to_json(const AuditEntry& e);
// The store's retention rule for the audit log: its keys ("audit/<ms>-<seq>") hold their time,
// so compaction drops entries older than retention_ms (storage.audit_retention).
store::StateRetention audit_retention(int64_t retention_ms);

struct HookRun {
  std::string hook;
  std::string result;             // as AuditEntry::result, or "duplicate" (already run for this key)
  std::string detail;
};

// Told of each job's final result (anything but "retrying"/"interrupted"), on the thread
// that ran it, after the job's lock is released (it may call the jobs object).
using HookResultListener = std::function<void(const RollbackRequest& req, const AuditEntry& result)>;

// The writes that queue a request's hooks, and what happens to each hook name.
struct JobPlan {
  std::vector<store::Store::StateWrite> writes;
  std::vector<HookRun> runs;  // "queued", or "duplicate" (a job exists for this key and hook)
};

// One job as stored ("rbjob/<idempotency_key>/<hook>").
struct RollbackJob {
  std::string key;          // the state key
  std::string hook;
  std::string state;        // "pending", "running", "retrying", or a final AuditEntry::result
  int attempts = 0;
  int64_t created_at_ms = 0, next_at_ms = 0, started_at_ms = 0;
  std::string message_id;   // webhook-id: the same for every attempt, across restarts
  int pgid = 0;             // exec: the running attempt's process group (a restart stops it first)
  RollbackRequest request;
};

// Thread-safe.
class RollbackJobs {
 public:
  // `store`, `clock` and `sender` must outlive this object.
  RollbackJobs(store::Store& store, const Clock& clock, net::HttpSender& sender);
  ~RollbackJobs();  // stop()

  // Replaces the listener (none by default). Set it before start().
  void set_result_listener(HookResultListener listener);
  // Told of each exception escaping a job's run (the job is let go and tried again later) or
  // the result listener. Set it before start().
  void set_error_reporter(InternalErrorReporter report);

  // The writes that queue one job per hook of `req` that has none yet for its idempotency key.
  // Reads only; the caller writes them atomically with its own state, then calls wake().
  // InvalidArgument for a request without idempotency key or service.
  Result<JobPlan> plan(const RollbackRequest& req) const;
  // plan(), written on its own, then wake(). Serialized with other enqueue() calls.
  Result<std::vector<HookRun>> enqueue(const RollbackRequest& req);

  // Moves the first wave's unfinished hook retries ("hookrun/" records) into jobs. Call once at
  // startup, before start().
  Status migrate();
  // Starts `workers` threads that run due jobs with the config `config()` gives at the time.
  // Idempotent while running.
  void start(int workers, std::function<std::shared_ptr<const config::Config>()> config);
  // Wakes and joins the workers; a call in flight finishes first (up to its hook's timeout).
  void stop();
  // Tells the workers to look for due jobs now (after a batch with jobs, a clock step).
  void wake();
  // Runs every job due at clock.now() on the calling thread, except those a worker holds.
  // Returns how many attempts it made. For tests and tools; workers do the same.
  size_t run_due(const config::Config& cfg);

  // Newest first; service "" = every service. Reads backwards from the newest entry and stops
  // at the limit: `limit` entries read for every service, and for one service until it has
  // `limit` of its own (or the log ends).
  Result<std::vector<AuditEntry>> history(size_t limit, std::string_view service = {}) const;
  // Jobs not finished yet, oldest first.
  Result<std::vector<RollbackJob>> unfinished() const;
  // The last rollback of the service that called something (not dry runs, not skipped):
  // Unix seconds and its reason. For the release gate's cooldown. Reads one record.
  struct LastRollback {
    int64_t at = 0;
    std::string reason;
  };
  Result<std::optional<LastRollback>> last_rollback(std::string_view service) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Fills {service} {version} {previous_version} {deployment_id} {environment} {reason}
// {trigger} {alert} in `text`; other braces stay as written. (GitHub inputs and payload
// fields: data inside JSON. Exec argv takes a placeholder only as a whole argument after "--".)
std::string render_placeholders(const std::string& text, const RollbackRequest& req);

}  // namespace sloguard::hooks
