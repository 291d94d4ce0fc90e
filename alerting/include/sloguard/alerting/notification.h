// What a notifier sends: one alert transition (firing, repeat, resolved), one post-deploy
// verification verdict, or one rollback hook result, rendered for a provider. The outbox
// stores Notifications and hands each to its notifier until delivered.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sloguard/common/clock.h"
#include "sloguard/common/status.h"
#include "sloguard/config/alerting.h"
#include "sloguard/net/http_sender.h"

namespace sloguard::alerting {

// What a notification is about.
inline constexpr const char* kKindAlert = "alert";                // an alert transition
inline constexpr const char* kKindVerification = "verification";  // a deployment's verdict
inline constexpr const char* kKindRollback = "rollback";          // a rollback hook's result

// One alert transition, verification verdict or hook result. Serialised into the outbox
// (to_json/from_json), so every field here survives a restart.
struct Notification {
  // Unique per transition (verdict, hook result) and notifier; the idempotency key sent to
  // providers that take one (LINE X-Line-Retry-Key as a UUID derived from it, Standard
  // Webhooks webhook-id, Alertmanager label fingerprint is separate). Stable across retries
  // and restarts.
  std::string id;
  // Stable per alert (SLO, group, tier), or per deployment for release events: PagerDuty
  // dedup_key, grouping in other tools.
  std::string alert_key;
  std::string kind = kKindAlert;  // kKindAlert, kKindVerification, kKindRollback. Default: alert
  // alert: "firing" or "resolved"; verification: its outcome; rollback: the hook's result.
  std::string status;
  bool repeat = false;           // a repeat_interval reminder of a still-firing alert
  std::string slo, service, group, tier, severity;
  std::map<std::string, std::string> labels;       // slo, service, severity, tier (+ group)
  std::map<std::string, std::string> annotations;  // summary, description, link, ...
  int64_t starts_at_ms = 0;      // when the alert started firing
  std::optional<int64_t> ends_at_ms;  // resolved alerts: when it resolved
  int64_t created_at_ms = 0;     // when the transition happened (= outbox entry time)
  double threshold = 0;          // the tier's burn-rate threshold
  std::string long_window, short_window;        // "1h", "5m"
  std::optional<double> long_burn_rate, short_burn_rate;  // at the transition
  std::optional<double> budget_remaining;       // ratio, may be negative
  double objective = 0;
  std::string link;              // external_url + "/api/v1/slos/<slo>" when external_url is set

  // Release events (verification and rollback); empty for alerts.
  std::string deployment_id, version, previous_version, environment;
  // verification: "passed", "failed", "inconclusive"; rollback: "succeeded", "failed",
  // "dry_run", "skipped_cooldown", "skipped_limit".
  std::string outcome;
  std::string hook, hook_kind, trigger;  // rollback: the hook, its kind, what triggered it
  std::string reason;            // verification: its reasons; rollback: why it ran
  std::string detail;            // rollback: HTTP status, exit status or why skipped
};

std::string to_json(const Notification& n);
// Entries stored before `kind` existed read as alerts. InvalidArgument when not a notification.
Result<Notification> notification_from_json(const std::string& json);

// Fills a template: "{{field}}" is replaced by the named field of n (see docs/notifiers.md for
// the list: slo, service, group, tier, severity, status, summary, description, link,
// long_window, short_window, long_burn_rate, short_burn_rate, threshold, budget_remaining,
// objective, starts_at, ends_at; and for release events kind, deployment_id, version,
// previous_version, environment, outcome, hook, hook_kind, trigger, reason, detail); unknown
// fields become "". Never fails.
std::string render_template(const std::string& tmpl, const Notification& n);

// The default one-line title (without a notifier's title_template): "[FIRING] checkout-avail:
// page page-1h", "checkout v1.4.0: verification failed", "checkout: rollback hook undo
// succeeded". Never fails.
std::string default_title(const Notification& n);

// Delivers notifications to one provider. deliver() makes one attempt and classifies the
// answer; the outbox owns retries. Thread-compatible: the outbox calls one notifier from one
// thread at a time.
class Notifier {
 public:
  virtual ~Notifier() = default;
  virtual const config::NotifierConfig& config() const = 0;
  // One attempt (attempt = 1 for the first). A provider's own rate limit (Slack: 1 message/s
  // per webhook) is answered with kRetry and retry_after_ms without sending.
  virtual net::Verdict deliver(const Notification& n, int attempt) = 0;
};

// The notifier for cfg.kind, sending through `sender` (not owned, must outlive it).
std::unique_ptr<Notifier> make_notifier(const config::NotifierConfig& cfg, net::HttpSender& sender,
                                        const Clock& clock);

}  // namespace sloguard::alerting
