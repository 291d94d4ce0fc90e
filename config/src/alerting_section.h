// The `alerting:` section and each SLO's `alerting:`: tiers resolved from the built-in tiers,
// named policies and per-SLO overrides. Internal to the config loader.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "yaml_fields.h"

namespace sloguard::config::detail {

// One tier entry as written (a policy's or an SLO's `tiers:` element).
struct TierSpec {
  std::string name;
  std::string base;  // built-in tier it starts from ("" = none or the name itself)
  std::optional<std::string> severity;
  std::optional<double> burn_rate, budget_consumed;
  std::optional<int64_t> long_window_ms, short_window_ms, for_ms;
  std::optional<uint64_t> min_events;
  std::optional<std::vector<std::string>> notify, hooks;
  bool enabled = true;
  YAML::Mark mark;
  std::string path;  // "alerting.policies[0].tiers[1]"
};

// A tier list with its options: a named policy, or an SLO's inline tiers.
struct TierListSpec {
  std::string name;          // policy name ("" for an SLO's inline tiers)
  bool defaults = true;      // start from the built-in tiers
  std::vector<TierSpec> tiers;
  std::vector<std::string> notify;
  int line = 0;
};

struct NamedRef {
  std::string name;
  YAML::Mark mark;
  std::string path;
};

struct AlertingContext {
  std::vector<TierListSpec> policies;
  std::vector<NamedRef> notify_refs;  // every notifier name written, checked once notifiers are read
  std::vector<NamedRef> hook_refs;    // every hook name written
};

// Top-level `alerting:`: fills cfg and the named policies.
void parse_alerting(ErrorSink& errors, const Item& item, AlertingConfig& cfg, AlertingContext& ctx);

// slos[].alerting (item null when absent): resolves slo.alerting from the built-in tiers for
// the SLO's window, the named policy and the overrides. Needs the SLO's window.
void parse_slo_alerting(ErrorSink& errors, const Item* item, const AlertingConfig& cfg, AlertingContext& ctx,
                        std::optional<int64_t> retention_ms, SloConfig& slo);

// Reports notifier and rollback hook names that nothing defines (after notifiers: and release:).
void check_alerting_refs(ErrorSink& errors, const AlertingContext& ctx, const Config& cfg);

}  // namespace sloguard::config::detail
