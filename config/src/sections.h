// Readers for the sections of the config file. Each fills `out` as far as it can and reports
// every problem to `errors`; none stops at the first error.
#pragma once

#include "yaml_fields.h"

namespace sloguard::config::detail {

struct NamedRef;  // alerting_section.h

// `server:` — listen, max_body_bytes, auth.tokens (secrets resolved from env or file).
void parse_server(ErrorSink& errors, const Item& item, ServerConfig& out);

// A probe as written under services, valid or not, so that one badly written probe does not
// also fail the SLIs that name it, and so that names are unique across services.
struct ProbeRef {
  std::string name;     // "" when the probe's name could not be read
  std::string service;  // "" when its service's name could not be read
  int line = 0;         // 1-based line where the probe starts
};

// `probes:` of one service (named `service`, "" when unknown). Appends every probe written to
// `seen` and the valid ones, with their service set, to `out`.
void parse_probes(ErrorSink& errors, const Item& item, const std::string& service,
                  std::vector<ProbeRef>& seen, std::vector<ProbeConfig>& out);

// `datasources:` (datasource_section.cpp) — names unique, URLs checked, header secrets from
// value_env / value_file resolved. Appends every name written (valid or not) to `names`, so
// that one badly written datasource does not also fail the SLOs that name it, and the valid
// datasources to `out`.
void parse_datasources(ErrorSink& errors, const Item& item, std::vector<std::string>& names,
                       std::vector<DatasourceConfig>& out);

// `slos:` — checked against the service names seen (valid or not, so one bad service entry
// does not also fail every SLO that names it), the probes seen, the datasource names seen
// (slos[].source), and the storage retention, when known (not for SLOs with a source: their
// data lives in the datasource).
void parse_slos(ErrorSink& errors, const Item& item, const std::vector<std::string>& service_names,
                const std::vector<ProbeRef>& probes, const std::vector<std::string>& datasource_names,
                std::optional<int64_t> retention_ms, const AlertingConfig& alerting,
                struct AlertingContext& alerting_ctx, std::vector<SloConfig>& out);

// `sli:` of one SLO of `service` ("" when the SLO's service is unknown: its probe is then not
// checked). `source` is the SLO's source as written ("" without one): with a source the SLI
// is read from sli.prometheus, which is then required. Returns false when its kind is
// unknown, so that the caller skips the checks that depend on the kind.
bool parse_sli(ErrorSink& errors, const Item& item, const std::string& service,
               const std::vector<ProbeRef>& probes, std::string_view source, SliConfig& out);

// `budgeting:` of one SLO; `item` is null when absent (the defaults still depend on the SLI).
// Reads slo.sli.kind (when kind_known), slo.objective (the default slice_target) and the
// window (slices must divide a rolling window).
void parse_budgeting(ErrorSink& errors, const Item* item, bool kind_known, SloConfig& slo);

// `budget_policy:` — sorted highest min_remaining first; the last tier must be -inf.
void parse_budget_policy(ErrorSink& errors, const Item& item, std::vector<PolicyTier>& out);

// `notifiers:` — names unique, fields required per kind, secrets from *_env / *_file only.
// send_resolved defaults to `send_resolved_default` (alerting.send_resolved).
void parse_notifiers(ErrorSink& errors, const Item& item, bool send_resolved_default,
                     std::vector<NotifierConfig>& out);

// Names of services and SLOs appear in URLs and metric labels: letters, digits, '.', '_', '-'.
// Reports and returns false when `name` is empty or has other characters.
bool check_name(ErrorSink& errors, const Item& item, const std::string& name);

// "host:port" or "[v6-host]:port" with port 0..65535 (callers that need a real port check
// for 0). Returns false, leaving host and port alone, when `text` is not of that form.
bool split_host_port(std::string_view text, std::string& host, int& port);

// What is wrong with an http(s) URL (scheme, host, port, credentials, spaces), or "" when
// nothing is; lowercases the scheme. `shown` is set to false when the URL must not be echoed
// (an '@' anywhere: it may hold credentials). Shared by probes and datasources.
std::string check_http_url(std::string& url, bool& shown);

// "500ms", "1.5s", "250us", "1m30s": one or more <decimal><unit>, units largest first (h, m,
// s, ms, us; also µs and μs, the micro sign and the Greek mu). Returns microseconds, not yet
// rounded; nullopt when the text is not of that form (sli_section.cpp).
std::optional<double> parse_latency_us(std::string_view text);

// RFC 9110 token characters: a valid HTTP header name.
bool is_header_name(std::string_view s);
// The `name` of a header item ({name, value...}): required, non-empty, a valid header name;
// `value_keys` names where the value goes, for the message ("value or value_env").
std::string read_header_name(ErrorSink& errors, Fields& f, std::string_view value_keys);

// The value of the environment variable named by `item`; nullopt after an error that names
// the variable (unset, empty, or not a variable name), never its value.
std::optional<std::string> secret_from_env(ErrorSink& errors, const Item& item);

// The secret in the file named by `item`, without trailing newlines and blanks; nullopt after
// an error naming the file, never its content.
std::optional<std::string> secret_from_file(ErrorSink& errors, const Item& item);

// `release:` — freeze windows, gate, verification, rollback, hooks, per-service overrides,
// Alertmanager routes and notify (release_section.cpp). Services are checked against
// `service_names`; every notifier name written is appended to `notify_refs` for the caller to
// check once `notifiers:` is read (check_alerting_refs).
void parse_release(ErrorSink& errors, const Item& item, const std::vector<std::string>& service_names,
                   std::vector<NamedRef>& notify_refs, ReleaseConfig& out);

// `remote_write:` — a list of mappings, or a mapping with mappings, ha, max_series,
// idle_timeout, max_decoded_bytes, max_series_per_service (remote_write_section.cpp). Services
// are checked against `service_names`. The buckets of histogram mappings are checked against
// the thresholds of the latency SLOs they feed: `slos` as parsed, located through `slos_item`
// (the `slos:` value; null when absent), so call it after parse_slos.
void parse_remote_write(ErrorSink& errors, const Item& item, const std::vector<std::string>& service_names,
                        const Item* slos_item, const std::vector<SloConfig>& slos, RemoteWriteConfig& out);

}  // namespace sloguard::config::detail
