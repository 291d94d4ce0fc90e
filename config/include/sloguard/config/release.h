// Release safety configuration (top-level `release:`): freeze windows and alert severities for
// the release gate, post-deploy verification, rollback limits, rollback hooks and the
// Alertmanager routes to them. Part of the immutable Config (see config.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sloguard::config {

// A period in which releases are blocked: weekly (local days and times in a time zone) or
// fixed (an absolute interval).
enum class FreezeKind { kWeekly, kFixed };

struct FreezeWindow {
  std::string name;
  FreezeKind kind = FreezeKind::kWeekly;
  // weekly: local weekdays the window starts on, 0 = Sunday .. 6 = Saturday.
  std::vector<int> days;
  // weekly: minutes after local midnight, [start, end). end <= start runs past midnight into
  // the next day; start == end covers the whole day.
  int start_minute = 0;
  int end_minute = 0;
  std::string time_zone = "UTC";  // weekly: IANA name. Default: UTC
  int64_t from = 0;               // fixed: Unix seconds, [from, to)
  int64_t to = 0;
  std::vector<std::string> services;  // Default: empty = every service
};

// What the gate answers when an SLO's data cannot be read (its datasource is down, times out
// or answers partially): "could not decide" (the CLI exits 2), allow, or deny.
enum class OnSourceError { kUndecided, kAllow, kDeny };

struct GateConfig {
  // Severities of firing alerts that deny a release. Default: [page]
  std::vector<std::string> block_on_alert_severities{"page"};
  OnSourceError on_source_error = OnSourceError::kUndecided;  // Default: undecided
};

// What a continuous verification rule measures on the release's traffic.
enum class VerificationMetric {
  kErrorRatio,     // errors / requests over the window; breached when > max (a ratio)
  kP95Ratio,       // p95 / the baseline's p95 over the window; breached when > max (a factor)
  kP95,            // p95 in milliseconds over the window; breached when > max (ms)
  kProbeFailures,  // the service's probes failing `consecutive_failures` times in a row after the deploy
};

// One rule checked every evaluation round of the verification period (Flagger's and Argo
// Rollouts' analysis metrics). A window-based rule is checked once the period has covered
// its window ([at - window, at), `at` the current minute); each minute in which it is breached
// counts one failure, and the rule fails the release at failures_allowed + 1 failures.
struct VerificationRule {
  std::string name;                                     // unique in the list; shown in the API
  VerificationMetric metric = VerificationMetric::kErrorRatio;
  double max = 0;                                       // see VerificationMetric
  int64_t window_ms = 60000;                            // Default: 1m (>= 1m, whole minutes)
  uint64_t min_requests = 20;                           // Default: 20 release requests in the window
  int failures_allowed = 0;                             // Default: 0 (the first breached minute fails)
  int consecutive_failures = 5;                         // probe_failures only. Default: 5
};

// The runbook's rules: error ratio > 10% over 1m, > 5% over 5m, > 2% over 15m; p95 > 2x the
// baseline over 5m, > 5x over 1m; the service's probes failing 5 times in a row.
std::vector<VerificationRule> default_verification_rules();
const char* verification_metric_name(VerificationMetric m);  // "error_ratio", "p95_ratio", "p95", "probe_failures"

// Post-deploy verification: every round of `period`, `rules` are checked on the release's
// traffic and the first rule that fails fails the release (and queues its rollback). At the
// end of the period the whole period's traffic is compared with the baseline (the fields
// below); a release with fewer than min_requests events in the period is inconclusive.
struct VerificationConfig {
  bool enabled = true;             // Default: true
  int64_t period_ms = 30 * 60000;  // Default: 30m (a deployment's stages, when it has any, set its own)
  std::vector<VerificationRule> rules = default_verification_rules();  // Default: the runbook's; [] = off
  uint64_t min_requests = 100;     // Default: 100
  double max_error_ratio = 0.05;   // Default: 5%; absolute limit on 5xx / events
  double max_error_ratio_factor = 2;  // Default: 2 (x baseline; 0 = rule off)
  double max_p95_factor = 2;          // Default: 2 (x baseline p95; 0 = rule off)
  // A baseline error ratio below this is raised to it before the factor applies, so that a
  // spotless baseline does not fail a release for a single error. Default: 0.1%
  double min_baseline_error_ratio = 0.001;
};

struct RollbackConfig {
  int64_t cooldown_ms = 3600000;      // Default: 1h; the gate denies releases meanwhile
  int max_per_period = 3;             // Default: 3 rollbacks per service per period
  int64_t period_ms = 86400000;       // Default: 1d
  bool dry_run = false;               // Default: false; every hook records, calls nothing
  std::vector<std::string> hooks;     // hooks run when a verification fails. Default: none
};

enum class HookKind { kWebhook, kGithub, kExec };

// One rollback hook. Secrets (url, secret, token) are resolved from *_env / *_file at load
// time and never logged or shown by the API.
struct HookConfig {
  std::string name;
  HookKind kind = HookKind::kWebhook;
  bool dry_run = false;               // Default: false
  int64_t timeout_ms = 10000;         // Default: 10s (per attempt; exec: the whole run)
  // webhook and github: attempts with exponential backoff between them.
  int max_attempts = 5;               // Default: 5
  int64_t retry_initial_ms = 1000;    // Default: 1s
  int64_t retry_max_ms = 60000;       // Default: 1m
  bool tls_verify = true;             // Default: true

  // webhook
  std::string url;                    // secret (url_env / url_file)
  std::string secret;                 // Standard Webhooks secret (secret_env / secret_file), optional
  bool hub_signature = false;         // also X-Hub-Signature-256. Default: false

  // github: workflow_dispatch when `workflow` is set, else repository_dispatch.
  std::string api_url = "https://api.github.com";
  std::string token;                  // secret (token_env / token_file)
  std::string owner, repo;
  std::string workflow;               // file name or id
  std::string ref = "main";           // Default: main
  std::map<std::string, std::string> inputs;  // values may hold placeholders
  std::string event_type;             // repository_dispatch
  std::map<std::string, std::string> client_payload;  // extra string fields

  // exec: argv[0] is an absolute path or a name looked up in PATH; no shell. The request's
  // values reach the command as SLOGUARD_* environment variables. A placeholder such as
  // {version} is allowed only as a whole argument after a "--" argument (the loader refuses
  // it anywhere else), so a value can never become an option or part of one.
  std::vector<std::string> argv;
  std::vector<std::string> env_allow; // variables passed from sloguard's environment. Default: PATH, HOME
  size_t max_output_bytes = 65536;    // Default: 64 KiB kept of stdout+stderr
};

// Overrides for one service.
struct ServiceRelease {
  std::string service;
  VerificationConfig verification;   // Default: release.verification
  std::vector<std::string> hooks;    // Default: release.rollback.hooks
  std::vector<std::string> notify;   // Default: release.notify
};

// A route from Alertmanager alerts to rollback hooks: every label in `match` must equal.
struct AlertmanagerRoute {
  std::map<std::string, std::string> match;
  std::vector<std::string> hooks;
  std::string service_label = "service";  // Default: service; the label naming the service
};

struct ReleaseConfig {
  std::vector<FreezeWindow> freeze_windows;
  GateConfig gate;
  VerificationConfig verification;
  RollbackConfig rollback;
  std::vector<HookConfig> hooks;
  std::vector<ServiceRelease> services;
  std::vector<AlertmanagerRoute> alertmanager;
  // Threads that run rollback jobs, off the evaluator and HTTP threads; a hook that hangs ties
  // up one of them up to its timeout. Default: 2 (1..16)
  int hook_workers = 2;
  // Notifiers (names in the top-level `notifiers:`) told of verification verdicts and of the
  // final result of each rollback hook run. Failed and inconclusive verdicts and every hook
  // result are always sent; passed verdicts only when notify_passed. Default: none
  std::vector<std::string> notify;
  bool notify_passed = true;          // Default: true

  const HookConfig* find_hook(std::string_view name) const;
  const VerificationConfig& verification_for(std::string_view service) const;
  const std::vector<std::string>& hooks_for(std::string_view service) const;
  const std::vector<std::string>& notify_for(std::string_view service) const;
};

const char* hook_kind_name(HookKind k);

}  // namespace sloguard::config
