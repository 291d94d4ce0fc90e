// The `sloguard` subcommands. Each returns the process exit code.
#pragma once

#include <chrono>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace sloguard {
class Clock;
}

namespace sloguard::cli {

struct ServeArgs {
  std::string config_path;
  std::string storage_path;  // overrides storage.path when set
  std::string listen;        // overrides server.listen when set
  std::string log_level = "info";
};
int run_serve(const ServeArgs& args);

struct ValidateArgs {
  std::string config_path;
  bool quiet = false;          // print only errors and warnings
  bool check_sources = false;  // also send each SLO's datasource queries to the datasource once
};
// Exit 0 valid; 1 invalid, or a query rejected by its datasource's parser; 2 valid, but a
// datasource could not be asked (--check-sources only; without it nothing is sent).
int run_validate(const ValidateArgs& args);

struct LoadgenArgs {
  std::string server = "http://127.0.0.1:8080";
  double rate = 1000;          // events per second; 0 = as fast as possible
  double duration = 0;         // seconds; 0 = until interrupted
  int batch = 1000;            // events per request
  int connections = 1;         // parallel keep-alive connections
  bool incident = false;       // inject a burst of errors
  double incident_after = 60;  // seconds from start
  double incident_for = 300;   // seconds
  double incident_error_ratio = 0.2;
  std::vector<std::string> services;  // default: the services of the server's SLOs
  std::string token_env;              // env var holding a bearer token with the ingest role
  bool quiet = false;
  bool no_latency = false;  // leave latency_ms out (measures ingest without the latency sketch)
};
int run_loadgen(const LoadgenArgs& args);

struct RulesExportArgs {
  std::string config_path;
  std::string format = "sloguard";  // sloguard (a Prometheus rule file) or sloth
  std::string output;               // Default: empty = standard output
};
// Writes the rules; notes on what could not be expressed go to stderr. 1 on config errors.
int run_rules_export(const RulesExportArgs& args);
struct GateArgs {
  std::string server = "http://127.0.0.1:8080";
  std::string service;
  std::string slo;        // optional: gate on one SLO of the service
  std::string token_env;  // env var holding a bearer token with the read role
  bool json = false;      // print the server's JSON answer
  int timeout_seconds = 30;
};
// Exit 0 allow, 1 deny, 2 could not decide (unreachable, unknown service, bad token, bad answer).
int run_gate(const GateArgs& args);

struct BacktestArgs {
  std::string config_path;
  std::string events_path;  // JSONL, one /api/v1/events event per line; "-" = standard input
  std::string from, to;     // Unix seconds or RFC 3339; Default: empty = chosen from the events
  bool json = false;        // print the timeline as one JSON array
};
// Prints the alert timeline of a replay. Sends nothing. 0 on success, 1 on any error.
int run_backtest(const BacktestArgs& args);

struct DeployStartArgs {
  std::string server = "http://127.0.0.1:8080";
  std::string service;
  std::string version;
  std::string previous_version;  // Default: empty = not sent
  std::string environment;       // Default: empty = not sent
  std::string url;               // Default: empty = not sent (e.g. the CI run's URL)
  std::string started_at;        // Unix seconds or RFC 3339; Default: empty = the server's now
  std::vector<std::string> stages;  // WEIGHT:DURATION each, e.g. "5:5m"; Default: none (the server's)
  std::string token_env;            // env var holding a bearer token with the ingest role
  bool json = false;                // print the server's answer instead of the id
  int timeout_seconds = 30;
};
// POST /api/v1/deployments, sent once (never retried: a retry could register it twice).
// Prints only the new id on `out` (the server's JSON with --json); errors go to `err`.
// Exit 0 registered (201); 1 refused by the server (400, 404: its error and field printed);
// 2 could not ask (bad arguments, unreachable, rejected token, any other answer).
int run_deploy_start(const DeployStartArgs& args, std::ostream& out, std::ostream& err);

struct DeployWaitArgs {
  std::string server = "http://127.0.0.1:8080";
  std::string id;             // a deployment id, or "latest" with `service`
  std::string service;        // only for id "latest"
  std::string timeout = "35m";  // give up (exit 2) after this long; Default: 35m
  std::string interval = "10s"; // between polls; Default: 10s
  std::string token_env;        // env var holding a bearer token with the read role
  bool json = false;            // print the last answer as JSON on `out` (progress goes to `err`)
};
// Polls GET /api/v1/deployments/{id}/analysis until the verification ends and prints a
// progress line whenever it changes. "latest" is resolved by the first answer and then pinned
// to that deployment. Exit 0 passed; 1 failed (reasons and the failed rule printed); 2
// inconclusive, timed out, unknown deployment (404), rejected token, or the server could not
// be asked (up to kDeployWaitMaxFailures consecutive failures, retried with backoff).
int run_deploy_wait(const DeployWaitArgs& args, std::ostream& out, std::ostream& err);

// Consecutive failed polls (unreachable, 5xx, 429) that `deploy wait` tolerates; the waits
// between them double from kDeployWaitFirstBackoff up to kDeployWaitMaxBackoff.
inline constexpr int kDeployWaitMaxFailures = 8;
inline constexpr std::chrono::milliseconds kDeployWaitFirstBackoff{1000};
inline constexpr std::chrono::milliseconds kDeployWaitMaxBackoff{30000};

// run_deploy_wait with its time injected: `clock` measures the timeout (only differences of
// its readings are used) and `sleep` is called for every pause. run_deploy_wait passes a
// monotonic clock and std::this_thread::sleep_for; tests pass a ManualClock and a sleep that
// advances it, so no test waits for real time to pass.
struct DeployWaitTime {
  const Clock* clock = nullptr;
  std::function<void(std::chrono::milliseconds)> sleep;
};
int wait_deployment(const DeployWaitArgs& args, const DeployWaitTime& time, std::ostream& out, std::ostream& err);

}  // namespace sloguard::cli
