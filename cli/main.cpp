// sloguard: SLOs, error budgets and burn rates for teams that ship often.
#include <CLI/CLI.hpp>
#include <iostream>

#include "commands.h"

int main(int argc, char** argv) {
  using namespace sloguard::cli;
  CLI::App app{"sloguard: SLOs, error budgets, burn-rate alerts and release gates"};
  app.require_subcommand(1);
  app.set_version_flag("--version", SLOGUARD_VERSION);

  ServeArgs serve;
  auto* serve_cmd = app.add_subcommand("serve", "Run the daemon: HTTP API, /metrics and the SLO evaluator");
  serve_cmd->add_option("-c,--config", serve.config_path, "Config file (YAML)")->required()->envname("SLOGUARD_CONFIG");
  serve_cmd->add_option("--storage.path", serve.storage_path, "Override storage.path (the RocksDB directory)");
  serve_cmd->add_option("--listen", serve.listen, "Override server.listen (host:port)");
  serve_cmd->add_option("--log-level", serve.log_level, "debug, info, warn or error")
      ->capture_default_str()
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}));

  ValidateArgs validate;
  auto* validate_cmd = app.add_subcommand(
      "validate", "Check a config file; exit 0 when valid, 1 with every error (2: --check-sources could not check)");
  validate_cmd->add_option("-c,--config", validate.config_path, "Config file (YAML)")->required();
  validate_cmd->add_flag("-q,--quiet", validate.quiet, "Print only errors and warnings");
  validate_cmd->add_flag("--check-sources", validate.check_sources,
                         "Also send each query of every SLO with a source to its datasource once (an instant "
                         "query now), and report the ones its parser rejects as errors (exit 1); exit 2 when a "
                         "datasource cannot be reached. Without it nothing is sent");

  auto* version_cmd = app.add_subcommand("version", "Print the version");

  LoadgenArgs lg;
  auto* lg_cmd = app.add_subcommand(
      "loadgen", "Send a synthetic request-metrics stream to a running sloguard (demos, benchmarks)");
  lg_cmd->add_option("--server", lg.server, "sloguard base URL")->capture_default_str();
  lg_cmd->add_option("--rate", lg.rate, "Events per second (0 = as fast as possible)")->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  lg_cmd->add_option("--duration", lg.duration, "Seconds to run (0 = until interrupted)")->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  lg_cmd->add_option("--batch", lg.batch, "Events per request")->capture_default_str()->check(CLI::Range(1, 100000));
  lg_cmd->add_option("--connections", lg.connections, "Parallel connections")->capture_default_str()
      ->check(CLI::Range(1, 64));
  lg_cmd->add_flag("--incident", lg.incident, "Inject a burst of 5xx errors into the first service");
  lg_cmd->add_option("--incident-after", lg.incident_after, "Seconds before the incident starts")->capture_default_str();
  lg_cmd->add_option("--incident-for", lg.incident_for, "Seconds the incident lasts")->capture_default_str();
  lg_cmd->add_option("--incident-error-ratio", lg.incident_error_ratio, "Share of 5xx during the incident")
      ->capture_default_str()->check(CLI::Range(0.0, 1.0));
  lg_cmd->add_option("--service", lg.services, "Service to send for (repeatable; default: every SLO's service)");
  lg_cmd->add_option("--token-env", lg.token_env, "Environment variable holding a bearer token (ingest role)");
  lg_cmd->add_flag("-q,--quiet", lg.quiet, "Print only the summary");
  lg_cmd->add_flag("--no-latency", lg.no_latency, "Send events without latency_ms (no latency sketch work)");

  RulesExportArgs rx;
  auto* rules_cmd = app.add_subcommand("rules", "Prometheus rules for the SLOs")->require_subcommand(1);
  auto* rx_cmd = rules_cmd->add_subcommand("export", "Write Prometheus recording and alerting rules (or a Sloth spec)");
  rx_cmd->add_option("-c,--config", rx.config_path, "Config file (YAML)")->required();
  rx_cmd->add_option("--format", rx.format, "sloguard (Prometheus rule file) or sloth")->capture_default_str()
      ->check(CLI::IsMember({"sloguard", "sloth"}));
  rx_cmd->add_option("-o,--output", rx.output, "File to write (default: standard output)");

  GateArgs gate;
  auto* gate_cmd = app.add_subcommand(
      "gate", "May this service release now? Exit 0 allow, 1 deny (reasons printed), 2 could not decide");
  gate_cmd->add_option("--server", gate.server, "sloguard base URL")->capture_default_str();
  gate_cmd->add_option("--service", gate.service, "Service to release")->required();
  gate_cmd->add_option("--slo", gate.slo, "Gate on this SLO of the service only");
  gate_cmd->add_option("--token-env", gate.token_env, "Environment variable holding a bearer token (read role)");
  gate_cmd->add_flag("--json", gate.json, "Print the server's JSON answer");
  gate_cmd->add_option("--timeout", gate.timeout_seconds, "Seconds to wait for the answer")->capture_default_str()
      ->check(CLI::Range(1, 3600));

  BacktestArgs bt;
  auto* bt_cmd = app.add_subcommand(
      "backtest",
      "Replay a JSONL events file through the SLOs and alert tiers of a config (in a temporary store) and print "
      "when each tier fired and resolved. Sends nothing");
  bt_cmd->add_option("-c,--config", bt.config_path, "Config file (YAML)")->required();
  bt_cmd->add_option("--events", bt.events_path,
                     "Events file: one /api/v1/events event per line ({\"service\",\"ts\",\"status\",...}); - = stdin")
      ->required();
  bt_cmd->add_option("--from", bt.from,
                     "First evaluation instant, Unix seconds or RFC 3339 (default: the earliest event's minute)");
  bt_cmd->add_option("--to", bt.to,
                     "Last evaluation instant, inclusive (default: the latest event's minute + the longest short "
                     "window + 1m)");
  bt_cmd->add_flag("--json", bt.json, "Print one JSON array of {slo, group, tier, severity, fired_at, resolved_at, "
                                      "burn_rates, threshold}, times in Unix seconds");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // A gate that cannot even parse its arguments could not decide: 2, never 1 (deny) or 0.
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }

  if (*serve_cmd) return run_serve(serve);
  if (*validate_cmd) return run_validate(validate);
  if (*version_cmd) {
    std::cout << "sloguard " << SLOGUARD_VERSION << "\n";
    return 0;
  }
  if (*lg_cmd) return run_loadgen(lg);
  if (*rx_cmd) return run_rules_export(rx);
  if (*gate_cmd) return run_gate(gate);
  if (*bt_cmd) return run_backtest(bt);
  return 2;
}
