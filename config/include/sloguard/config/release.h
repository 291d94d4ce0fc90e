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

// Post-deploy verification: after `period`, the release's traffic is compared with its
// baseline. A release with fewer than min_requests events in the period is inconclusive.
struct VerificationConfig {
  bool enabled = true;             // Default: true
  int64_t period_ms = 30 * 60000;  // Default: 30m
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

  // exec: argv[0] is an absolute path or a name looked up in PATH; no shell.
  std::vector<std::string> argv;      // each element may hold placeholders
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
