#include "sloguard/config/config.h"

#include <algorithm>
#include <cmath>

namespace sloguard::config {

std::string_view role_name(Role r) {
  switch (r) {
    case Role::kRead: return "read";
    case Role::kIngest: return "ingest";
    case Role::kRollback: return "rollback";
    case Role::kAdmin: return "admin";
  }
  return "unknown";
}

bool AuthToken::has_role(Role r) const {
  return std::find(roles.begin(), roles.end(), r) != roles.end();
}

std::vector<VerificationRule> default_verification_rules() {
  auto rule = [](const char* name, VerificationMetric metric, double max, int64_t window_min) {
    VerificationRule r;
    r.name = name;
    r.metric = metric;
    r.max = max;
    r.window_ms = window_min * 60000;
    return r;
  };
  VerificationRule probes;
  probes.name = "probes";
  probes.metric = VerificationMetric::kProbeFailures;
  probes.consecutive_failures = 5;
  return {
      rule("error-ratio-1m", VerificationMetric::kErrorRatio, 0.10, 1),
      rule("error-ratio-5m", VerificationMetric::kErrorRatio, 0.05, 5),
      rule("error-ratio-15m", VerificationMetric::kErrorRatio, 0.02, 15),
      rule("p95-5m", VerificationMetric::kP95Ratio, 2, 5),
      rule("p95-1m", VerificationMetric::kP95Ratio, 5, 1),
      probes,
  };
}

const char* verification_metric_name(VerificationMetric m) {
  switch (m) {
    case VerificationMetric::kErrorRatio: return "error_ratio";
    case VerificationMetric::kP95Ratio: return "p95_ratio";
    case VerificationMetric::kP95: return "p95";
    case VerificationMetric::kProbeFailures: return "probe_failures";
  }
  return "error_ratio";
}

// The team's runbook: remaining > 75% normal; 50-75% review; 25-50% feature freeze;
// < 25% emergency. Freeze and emergency block releases.
std::vector<PolicyTier> Config::default_budget_policy() {
  return {
      {0.75, "normal", false},
      {0.50, "review", false},
      {0.25, "feature_freeze", true},
      {-std::numeric_limits<double>::infinity(), "emergency", true},
  };
}

const ServiceConfig* Config::find_service(std::string_view name) const {
  for (const auto& s : services) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

const ProbeConfig* Config::find_probe(std::string_view name) const {
  for (const auto& svc : services) {
    for (const auto& p : svc.probes) {
      if (p.name == name) return &p;
    }
  }
  return nullptr;
}

const SloConfig* Config::find_slo(std::string_view name) const {
  for (const auto& s : slos) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

const DatasourceConfig* Config::find_datasource(std::string_view name) const {
  for (const auto& d : datasources) {
    if (d.name == name) return &d;
  }
  return nullptr;
}

const std::vector<uint32_t>& Config::latency_thresholds_us(std::string_view service) const {
  static const std::vector<uint32_t> kNone;
  auto it = latency_thresholds.find(service);
  return it == latency_thresholds.end() ? kNone : it->second;
}

void Config::finalize() {
  latency_thresholds.clear();
  for (const SloConfig& slo : slos) {
    if (slo.sli.kind != SliKind::kLatency) continue;
    // The loader keeps thresholds to whole microseconds within (0, 1h], so this is exact and fits.
    const double us = std::round(slo.sli.threshold_ms * 1000.0);
    if (!(us >= 1 && us <= static_cast<double>(std::numeric_limits<uint32_t>::max()))) continue;
    latency_thresholds[slo.service].push_back(static_cast<uint32_t>(us));
  }
  for (auto& [service, us] : latency_thresholds) {
    std::sort(us.begin(), us.end());
    us.erase(std::unique(us.begin(), us.end()), us.end());
  }
}

std::string ConfigError::to_string() const {
  std::string out = file;
  if (line > 0) {
    out += ":" + std::to_string(line);
    if (column > 0) out += ":" + std::to_string(column);
  }
  out += ": ";
  out += message;
  return out;
}

}  // namespace sloguard::config
