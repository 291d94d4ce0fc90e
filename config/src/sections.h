// Readers for the sections of the config file. Each fills `out` as far as it can and reports
// every problem to `errors`; none stops at the first error.
#pragma once

#include "yaml_fields.h"

namespace sloguard::config::detail {

// `server:` — listen, max_body_bytes, auth.tokens (secrets resolved from env or file).
void parse_server(ErrorSink& errors, const Item& item, ServerConfig& out);

// `slos:` — checked against the service names seen (valid or not, so one bad service entry
// does not also fail every SLO that names it) and the storage retention, when known.
void parse_slos(ErrorSink& errors, const Item& item, const std::vector<std::string>& service_names,
                std::optional<int64_t> retention_ms, std::vector<SloConfig>& out);

// `sli:` of one SLO. Returns false when its kind is unknown, so that the caller skips the
// checks that depend on the kind.
bool parse_sli(ErrorSink& errors, const Item& item, SliConfig& out);

// `budgeting:` of one SLO; `item` is null when absent (the defaults still depend on the SLI).
// Reads slo.sli.kind (when kind_known), slo.objective (the default slice_target) and the
// window (slices must divide a rolling window).
void parse_budgeting(ErrorSink& errors, const Item* item, bool kind_known, SloConfig& slo);

// `budget_policy:` — sorted highest min_remaining first; the last tier must be -inf.
void parse_budget_policy(ErrorSink& errors, const Item& item, std::vector<PolicyTier>& out);

// Names of services and SLOs appear in URLs and metric labels: letters, digits, '.', '_', '-'.
// Reports and returns false when `name` is empty or has other characters.
bool check_name(ErrorSink& errors, const Item& item, const std::string& name);

}  // namespace sloguard::config::detail
