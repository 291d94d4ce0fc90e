// Probe results into the store: from the built-in prober, and POST /api/v1/probes.
#pragma once

#include <string_view>
#include <vector>

#include "sloguard/collector/event_ingest.h"
#include "sloguard/collector/probe.h"

namespace sloguard::collector {

// Decodes a POST /api/v1/probes body {"results":[{probe, ts, success, latency_ms, reason}]}
// with the rules of events: the probe must be configured, ts within [now - retention,
// now + 5m], success a boolean, latency_ms a finite number >= 0 (optional), reason optional
// (one of dns, connect, tls, timeout, status, body, other; failures without one are "other").
// On success fills `out` and returns an outcome with ok = true; otherwise the rejection.
IngestOutcome decode_probe_results(const config::Config& cfg, const Clock& clock, std::string_view body,
                                   std::vector<ProbeResult>& out);

// Writes results as one atomic batch into the series {service, probe}: the outcome code as
// the rollup's status count, the latency into its sketch. Results for probes the config no
// longer has are skipped. Thread-safe.
Status write_probe_results(store::Store& store, const config::Config& cfg, const std::vector<ProbeResult>& results);

// Parses "dns", "connect", ... ; false when unknown.
bool parse_probe_outcome(std::string_view name, ProbeOutcome& out);

}  // namespace sloguard::collector
