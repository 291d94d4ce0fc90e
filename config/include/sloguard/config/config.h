// The typed, validated configuration. Built once by load_config() and shared immutably as
// std::shared_ptr<const Config>; a reload builds a new one and swaps the pointer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sloguard/config/alerting.h"
#include "sloguard/config/datasource.h"
#include "sloguard/config/release.h"
#include "sloguard/config/remote_write.h"

namespace sloguard::config {

enum class Role { kRead, kIngest, kRollback, kAdmin };

// "read", "ingest", "rollback", "admin": the names used in the config file. `rollback` is
// needed for anything that can call a rollback hook (POST /api/v1/alertmanager).
std::string_view role_name(Role r);

struct AuthToken {
  std::string name;     // shown in logs; the secret never is
  std::string secret;   // resolved from token_env / token_file at load time
  std::vector<Role> roles;
  bool has_role(Role r) const;
};

struct ServerConfig {
  std::string listen_host = "127.0.0.1";   // Default: 127.0.0.1
  int listen_port = 8080;                  // Default: 8080 (0 = ephemeral, for tests)
  size_t max_body_bytes = 10 * 1024 * 1024;  // Default: 10 MiB
  std::vector<AuthToken> tokens;           // Default: none, the API is open
  bool auth_enabled() const { return !tokens.empty(); }
};

struct StorageConfig {
  std::string path = "./data";                    // Default: ./data
  int64_t retention_ms = 35LL * 86400 * 1000;     // Default: 35d
  // Default: 10000. Series per service (its own, one per endpoint, version, probe); events
  // that would create more are refused. Read when the store opens (a reload keeps the old).
  size_t max_series_per_service = 10000;
  // Default: 400d. Rollback hook audit entries (GET /api/v1/hooks/history) older than this
  // are dropped by compaction.
  int64_t audit_retention_ms = 400LL * 86400 * 1000;
};

// A probe sloguard runs itself: an HTTP request or a TCP connect, every interval.
struct HttpProbeConfig {
  std::string url;                  // http:// or https://
  std::string method = "GET";       // Default: GET. GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS
  // Request headers; values come from `value` or from the environment (`value_env`), resolved
  // at load time. Secret values never appear in logs or API output.
  std::vector<std::pair<std::string, std::string>> headers;
  std::vector<int> expect_status;   // Default: empty = any 2xx
  std::string body_contains;        // Default: empty = not checked
  std::string body_regex;           // Default: empty = not checked (ECMAScript syntax)
  bool follow_redirects = false;    // Default: false (a 3xx is then the status checked)
  int max_redirects = 5;            // Default: 5
  bool tls_verify = true;           // Default: true
};

struct TcpProbeConfig {
  std::string host;
  int port = 0;
};

enum class ProbeKind { kHttp, kTcp };

struct ProbeConfig {
  std::string name;      // unique across services; the `probe` label
  std::string service;   // the service it belongs to
  ProbeKind kind = ProbeKind::kHttp;
  HttpProbeConfig http;
  TcpProbeConfig tcp;
  int64_t interval_ms = 30000;  // Default: 30s (>= 1s)
  int64_t timeout_ms = 10000;   // Default: 10s, or the interval if shorter (> 0, <= interval)
};

struct ServiceConfig {
  std::string name;
  std::vector<ProbeConfig> probes;  // services[].probes
};

// Which HTTP statuses count as bad: explicit codes and whole classes (5 for "5xx").
struct StatusMatcher {
  std::vector<int> codes;
  std::vector<int> classes;  // 1..5
  bool matches(int status) const {
    for (int c : codes) if (c == status) return true;
    for (int k : classes) if (status / 100 == k) return true;
    return false;
  }
};

// availability: good = status not bad. latency: good = latency_ms <= threshold (events
// without latency_ms do not count). percentile: judged per time slice, a slice is good when
// its pNN <= target. probe: good = a successful probe result.
enum class SliKind { kAvailability, kLatency, kPercentile, kProbe };

// sli.prometheus: where an SLI's raw event counters live in Prometheus, for `sloguard rules
// export`. Exactly two of good, bad, total. Each is a counter selector such as
// `http_requests_total{job="checkout"}` (exported as sum(rate(SEL[w]))) or an expression for
// the per-second rate that contains the placeholder {{window}} (used as written). Not for
// percentile SLIs. Default: all empty, nothing to export from raw metrics.
//
// The same queries feed an SLO whose `source` is a datasource: each is summed over increase()
// of the window (docs/scale.md). Only there:
// - histogram: the classic histogram's bucket selector (`http_request_duration_seconds_bucket{
//   job="checkout"}`) for percentiles by histogram_quantile (latency SLIs: the summary;
//   percentile SLIs: required, each slice's pNN);
// - group_label: the Prometheus label behind group_by (Default: the group_by name itself);
// - version_label: the label that carries the release version, for post-deploy verification
//   (Default: "version").
struct PrometheusSliQueries {
  std::string good;
  std::string bad;
  std::string total;
  std::string histogram;
  std::string group_label;
  std::string version_label = "version";
  // Where each query is written, so that `sloguard validate --check-sources` can point at it.
  TextPos good_pos, bad_pos, total_pos, histogram_pos;
  bool empty() const { return good.empty() && bad.empty() && total.empty(); }
};

struct SliConfig {
  SliKind kind = SliKind::kAvailability;
  StatusMatcher bad_status{{}, {5}};  // availability only. Default: ["5xx"]
  std::string endpoint;               // glob; empty = every endpoint
  double threshold_ms = 0;            // latency: "500ms", "1.5s" -> 500, 1500 (whole us, 1us..1h)
  double percentile = 0;              // percentile: 0 < p < 100, e.g. 99 or 99.9 ("p99" also accepted)
  double target_ms = 0;               // percentile: the pNN must be <= this (whole us, 1us..1h)
  std::string probe;                  // probe: the probe's name; empty = every probe of the service
  PrometheusSliQueries prometheus;   // Default: none (see PrometheusSliQueries)
};

// How the budget is counted (OpenSLO's budgetingMethod).
enum class BudgetingMethod { kOccurrences, kTimeslices };

struct BudgetingConfig {
  BudgetingMethod method = BudgetingMethod::kOccurrences;  // Default: occurrences; percentile SLIs: timeslices
  int64_t slice_seconds = 60;  // timeslices: 1m, 5m, ... whole minutes dividing an hour. Default: 1m
  // timeslices with an availability or latency SLI: a slice is good when its good/total ratio
  // is >= this. Default: the SLO's objective.
  double slice_target = 0;
};

// A rolling window of fixed length, or a calendar period (week from Monday, month, quarter)
// in a time zone.
enum class WindowKind { kRolling, kCalendar };
enum class CalendarUnit { kWeek, kMonth, kQuarter };

struct SloConfig {
  std::string name;
  std::string service;
  double objective = 0;     // fraction in (0, 1)
  WindowKind window_kind = WindowKind::kRolling;
  int64_t window_ms = 0;    // rolling: the length, whole minutes; calendar: the longest period
                            // (week 7d, month 31d, quarter 92d), used for retention checks
  std::string window_text;  // as written, normalised ("30d", "month")
  CalendarUnit calendar = CalendarUnit::kMonth;  // calendar windows only
  std::string time_zone = "UTC";                 // calendar windows only; IANA name
  SliConfig sli;
  BudgetingConfig budgeting;
  // group_by: [endpoint] or [version]: one SLO instance per observed value. Empty = one instance.
  std::vector<std::string> group_by;
  int max_groups = 100;     // Default: 100. Values beyond it are counted, not evaluated.
  SloAlerting alerting;     // slos[].alerting; Default: the built-in tiers for the window
  // slos[].source: the name of a datasource to read the SLI from (sli.prometheus says what
  // to count). Default: empty, the embedded store.
  std::string source;
};

struct PolicyTier {
  double min_remaining = 0;  // fraction; -infinity for the last tier
  std::string status;        // e.g. "normal", "feature_freeze"
  bool block_releases = false;
};

struct Config {
  std::string source_path;  // file the config came from ("" when built in code)
  ServerConfig server;
  StorageConfig storage;
  int64_t evaluation_interval_ms = 15000;  // Default: 15s
  std::vector<ServiceConfig> services;
  std::vector<SloConfig> slos;
  // Sorted by min_remaining, highest first. Default: DESIGN.md's runbook policy.
  std::vector<PolicyTier> budget_policy = default_budget_policy();
  AlertingConfig alerting;                 // top-level alerting:
  std::vector<NotifierConfig> notifiers;   // top-level notifiers:
  ReleaseConfig release;                   // top-level release: (release.h)
  RemoteWriteConfig remote_write;          // top-level remote_write: (remote_write.h)
  std::vector<DatasourceConfig> datasources;  // top-level datasources: (datasource.h)

  static std::vector<PolicyTier> default_budget_policy();
  const ServiceConfig* find_service(std::string_view name) const;
  const SloConfig* find_slo(std::string_view name) const;
  const ProbeConfig* find_probe(std::string_view name) const;  // across every service
  const NotifierConfig* find_notifier(std::string_view name) const;
  const DatasourceConfig* find_datasource(std::string_view name) const;
  // Distinct thresholds of the latency SLOs of a service, in microseconds, ascending: ingest
  // keeps an exact count of events at or under each. Empty for unknown services.
  const std::vector<uint32_t>& latency_thresholds_us(std::string_view service) const;
  // Filled by the loader (or by finalize() for configs built in code): service -> thresholds.
  std::map<std::string, std::vector<uint32_t>, std::less<>> latency_thresholds;
  void finalize();  // recomputes derived fields such as latency_thresholds
};

// One validation problem, located in the source file.
struct ConfigError {
  std::string file;
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based; 0 when unknown
  std::string message;  // what is wrong and what was expected
  std::string to_string() const;  // "file:line:column: message"
};

struct LoadResult {
  std::shared_ptr<const Config> config;  // null when errors is non-empty
  std::vector<ConfigError> errors;       // every problem found, in file order
  bool ok() const { return config != nullptr; }
};

// Reads and validates a YAML config file. Unknown keys, wrong types, out-of-range values,
// duplicate names, references to unknown services, and unresolvable secrets are all errors;
// every error is reported, none stops the walk. An empty file is an error; a file without
// slos is valid. Relative storage and token_file paths stay relative to the working
// directory. Error messages never contain a secret. Thread-safe while no thread changes the
// environment (token_env is read with getenv).
LoadResult load_config_file(const std::string& path);
// Same, from text (file is the name used in error messages; source_path stays "").
LoadResult load_config_text(const std::string& yaml, const std::string& file = "<config>");

}  // namespace sloguard::config
