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

  auto* deploy_cmd = app.add_subcommand("deploy", "Register a release and follow its continuous verification")
                         ->require_subcommand(1);
  DeployStartArgs ds;
  auto* ds_cmd = deploy_cmd->add_subcommand(
      "start",
      "Register a deployment (POST /api/v1/deployments) and print only its id. Exit 0 registered, 1 refused by the "
      "server (its error and field printed), 2 could not ask (unreachable, bad answer, rejected token)");
  ds_cmd->footer(
      "Examples:\n"
      "  id=$(sloguard deploy start --server \"$SLOGUARD_URL\" --token-env SLOGUARD_TOKEN \\\n"
      "         --service checkout --version \"$GITHUB_SHA\" --environment production)\n"
      "  sloguard deploy start --service checkout --version v1.4.0 --previous v1.3.9 \\\n"
      "         --stage 5:5m --stage 25:10m --stage 50:10m --stage 100:10m\n"
      "The request is sent once, never retried (a retry could register the release twice).");
  ds_cmd->add_option("--server", ds.server, "sloguard base URL")->capture_default_str();
  ds_cmd->add_option("--service", ds.service, "Service that was deployed")->required();
  ds_cmd->add_option("--version", ds.version, "Version now running (letters, digits and ._+:@/-)")->required();
  ds_cmd->add_option("--previous", ds.previous_version, "Version it replaces (the baseline while both serve)");
  ds_cmd->add_option("--environment", ds.environment, "Environment, e.g. production");
  ds_cmd->add_option("--url", ds.url, "Link to the pipeline run or release notes");
  ds_cmd->add_option("--started-at", ds.started_at, "When traffic reached it: Unix seconds or RFC 3339 (default: now)");
  ds_cmd->add_option("--stage", ds.stages,
                     "A traffic stage WEIGHT:DURATION, e.g. 5:5m: the canary's percent and how long it runs "
                     "(whole minutes). Repeat in order; the stages make up the verification period. Default: none, "
                     "one release.verification.period");
  ds_cmd->add_option("--token-env", ds.token_env, "Environment variable holding a bearer token (ingest role)");
  ds_cmd->add_flag("--json", ds.json, "Print the server's JSON answer instead of the id");
  ds_cmd->add_option("--timeout", ds.timeout_seconds, "Seconds to wait for the answer")->capture_default_str()
      ->check(CLI::Range(1, 3600));

  DeployWaitArgs dw;
  auto* dw_cmd = deploy_cmd->add_subcommand(
      "wait",
      "Follow a deployment's verification (GET /api/v1/deployments/ID/analysis) until it ends. Exit 0 passed, 1 "
      "failed (reasons and the failed rule printed: run your rollback), 2 inconclusive, timed out, unknown "
      "deployment or the server could not be asked");
  dw_cmd->footer(
      "Examples:\n"
      "  sloguard deploy wait \"$id\" --server \"$SLOGUARD_URL\" --token-env SLOGUARD_TOKEN\n"
      "  sloguard deploy wait latest --service checkout --timeout 1h --interval 30s\n"
      "A progress line is printed whenever the phase, decision, stage, minutes left or a breached rule changes.\n"
      "The default --timeout suits the default 30m verification period; raise it for longer periods or stages.\n"
      "Failed requests (unreachable, 5xx) are retried with backoff; 8 failures in a row give up (exit 2). A 404 stops at once.");
  dw_cmd->add_option("ID", dw.id, "Deployment id (from deploy start), or latest with --service")->required();
  dw_cmd->add_option("--service", dw.service, "With ID latest: follow this service's newest deployment");
  dw_cmd->add_option("--server", dw.server, "sloguard base URL")->capture_default_str();
  dw_cmd->add_option("--token-env", dw.token_env, "Environment variable holding a bearer token (read role)");
  dw_cmd->add_option("--timeout", dw.timeout, "Give up (exit 2) after this long, e.g. 35m, 1h")->capture_default_str();
  dw_cmd->add_option("--interval", dw.interval, "Time between polls, e.g. 10s")->capture_default_str();
  dw_cmd->add_flag("--json", dw.json, "Print the last answer as JSON on stdout (progress goes to stderr)");

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
  if (*ds_cmd) return run_deploy_start(ds, std::cout, std::cerr);
  if (*dw_cmd) return run_deploy_wait(dw, std::cout, std::cerr);
  return 2;
}
