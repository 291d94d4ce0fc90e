// Prometheus rules (and Sloth specs) equivalent to the configured SLOs and their alert tiers,
// for teams whose raw metrics live in Prometheus (`sloguard rules export`).
#pragma once

#include <string>
#include <vector>

#include "sloguard/config/config.h"

namespace sloguard::slo {

enum class RulesFormat {
  kPrometheus,  // a Prometheus rule file: recording and alerting rules (`--format sloguard`)
  kSloth,       // Sloth prometheus/v1 specs, one YAML document per service (`--format sloth`)
};

struct RulesExport {
  std::string yaml;                // the file to write; always valid YAML, possibly with no rules
  std::vector<std::string> notes;  // what could not be expressed, one line each, naming the SLO
};

// Prometheus format, per SLO (one rule group each):
//  - an SLO whose SLI has `prometheus:` queries and occurrences budgeting: recording rules
//    (labels slo, service) slo:sli_error:ratio_rate<W> for 5m and every tier window, the 5m
//    counts slo:sli_bad:increase5m and slo:sli_total:increase5m, the SLO period's ratio as
//    sum_over_time(bad[period]) / sum_over_time(total[period]) of those counts (a ratio of
//    sums, not Sloth's average of 5m ratios, which uneven traffic skews; a raw ratio when a
//    tier has the period's window), objective and remaining budget; and one alerting rule
//    per tier that fires when the error ratio over both windows is >= burn_rate *
//    (1 - objective) with at least min_events events in each window;
//  - any other SLO: one alerting rule per tier on the sloguard_slo_burn_rate gauges that
//    sloguard exposes (Prometheus must scrape sloguard), tiers whose windows sloguard does not
//    report are left out with a note.
// Tiers: slo.alerting.tiers, or the built-in tiers for the window when that list is empty.
// Sloth format: SLOs with `prometheus:` queries only; Sloth applies its own fixed tiers.
// Pure function of the config; never fails (what cannot be expressed becomes a note).
RulesExport export_rules(const config::Config& cfg, RulesFormat format);

}  // namespace sloguard::slo
