// The `sloguard` subcommands. Each returns the process exit code.
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
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

}  // namespace sloguard::cli
