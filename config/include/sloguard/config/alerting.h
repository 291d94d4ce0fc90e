// Alerting configuration: multi-window multi-burn-rate tiers per SLO, and the notifiers
// they send to. Part of the immutable Config (see config.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace sloguard::config {

// One multi-window burn-rate tier (SRE Workbook ch. 5): fires when the burn rate over both the
// long and the short window is >= burn_rate, each window holding at least min_events events.
struct AlertTier {
  std::string name;                 // e.g. "page-1h"; unique within the SLO
  std::string severity = "page";    // label; severities rank by first appearance in the tier list
  int64_t long_window_ms = 3600000;
  int64_t short_window_ms = 300000;
  double burn_rate = 14.4;          // threshold, always resolved (also for budget_consumed tiers)
  std::optional<double> budget_consumed;  // as written: fraction of the SLO's budget in long_window
  int64_t for_ms = 0;               // Default: 0 (fire on the first evaluation over threshold)
  uint64_t min_events = 10;         // Default: alerting.min_events (10), per window
  std::vector<std::string> notify;  // notifier names; Default: the SLO's alerting.notify
  std::vector<std::string> hooks;   // rollback hook names called when the tier fires
};

// The tiers in effect for one SLO, resolved from the built-in tiers, a named policy and the
// SLO's own overrides.
struct SloAlerting {
  bool enabled = true;
  std::string policy;               // policy name used ("" = the built-in tiers)
  std::vector<AlertTier> tiers;     // in rank order, highest first
};

enum class NotifierKind { kSlack, kLine, kDiscord, kPagerDuty, kAlertmanager, kWebhook };

// One notification target. Secret values (webhook URLs with tokens, bearer tokens, routing
// keys, signing secrets) are resolved from *_env / *_file at load time and never logged.
struct NotifierConfig {
  std::string name;
  NotifierKind kind = NotifierKind::kWebhook;
  // slack, discord, webhook: the full URL (secret, from url / url_env / url_file).
  // alertmanager: its base URL, e.g. http://alertmanager:9093 (POST {url}/api/v2/alerts).
  std::string url;
  // line: API base. Default: https://api.line.me (POST {base_url}/v2/bot/message/push).
  // pagerduty: Default: https://events.pagerduty.com (POST {base_url}/v2/enqueue).
  std::string base_url;
  std::string token;        // line: channel access token (secret)
  std::string to;           // line: user, group or room id
  std::string routing_key;  // pagerduty: integration key (secret)
  std::string secret;       // webhook: Standard Webhooks secret ("whsec_" + base64), optional
  std::vector<std::pair<std::string, std::string>> headers;  // extra request headers (values secret)
  std::string title_template;  // Default: per kind (see docs/notifiers.md)
  std::string text_template;   // Default: per kind
  int64_t timeout_ms = 10000;  // Default: 10s per attempt
  bool tls_verify = true;      // Default: true
  bool send_resolved = true;   // Default: alerting.send_resolved
  // alertmanager: a firing alert is sent with endsAt = now + 3 * this, so Alertmanager keeps it
  // firing until the next reminder instead of resolving it after its resolve_timeout.
  int64_t repeat_interval_ms = 4LL * 3600 * 1000;  // Default: alerting.repeat_interval
};

struct AlertingConfig {
  int64_t repeat_interval_ms = 4LL * 3600 * 1000;  // Default: 4h while still firing
  bool send_resolved = true;                        // Default: true
  uint64_t min_events = 10;                         // Default: 10 events per window
  std::string external_url;    // base of links in notifications, e.g. https://sloguard.example
  int64_t silence_retention_ms = 5LL * 86400 * 1000;  // Default: 5d; expired silences kept for audit
  // Outbox retries: exponential backoff from retry_initial up to retry_max, +-20% jitter,
  // until max_age; then the notification becomes a dead letter.
  int64_t retry_initial_ms = 1000;                  // Default: 1s
  int64_t retry_max_ms = 60000;                     // Default: 1m
  int64_t max_age_ms = 24LL * 3600 * 1000;          // Default: 24h
  int64_t dead_letter_retention_ms = 7LL * 86400 * 1000;  // Default: 7d
};

// The built-in tiers for an SLO window (rolling length, or a calendar period's nominal
// length: week 7d, month 30d, quarter 90d). Written as budget consumed (Sloth's defaults), so
// for a 30d window they are the SRE Workbook's 14.4x/6x/3x/1x:
//   page-1h:   2% of the budget in 1h, short window 5m, severity page
//   page-6h:   5% in 6h, short 30m, page
//   ticket-1d: 10% in 1d, short 2h, ticket
//   ticket-3d: 10% in 3d, short 6h, ticket
// burn_rate = budget_consumed * slo_window / long_window. Tiers whose long window is longer
// than the SLO window are left out.
std::vector<AlertTier> builtin_alert_tiers(int64_t slo_window_ms, uint64_t min_events);

const char* notifier_kind_name(NotifierKind k);

}  // namespace sloguard::config
