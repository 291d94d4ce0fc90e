#include "slo_json.h"

namespace sloguard::server {
namespace {

nlohmann::json optional_number(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

}  // namespace

nlohmann::json latency_json(const store::LatencySketch& sketch) {
  if (sketch.empty()) return nullptr;
  return {{"count", sketch.count()},
          {"p50", *sketch.quantile(0.5)},
          {"p90", *sketch.quantile(0.9)},
          {"p95", *sketch.quantile(0.95)},
          {"p99", *sketch.quantile(0.99)},
          {"p99.9", *sketch.quantile(0.999)}};
}

nlohmann::json slo_status_json(const slo::SloStatus& s) {
  nlohmann::json burn = nlohmann::json::object();
  nlohmann::json windows = nlohmann::json::array();
  for (const auto& w : s.burn_rates) {
    burn[w.name] = optional_number(w.burn_rate);
    windows.push_back({{"window", w.name},
                       {"seconds", w.seconds},
                       {"good", w.counts.good},
                       {"total", w.counts.total},
                       {"burn_rate", optional_number(w.burn_rate)}});
  }
  nlohmann::json out = {
      {"name", s.name},
      {"service", s.service},
      {"sli_kind", s.sli_kind},
      {"objective", s.objective},
      {"window", s.window},
      {"window_start", s.window_start},
      {"at", s.at},
      {"budgeting", s.budgeting},
      {"sli", {{"good", s.sli.good}, {"total", s.sli.total}, {"ratio", optional_number(s.ratio)}}},
      {"error_budget",
       {{"allowed", s.budget.allowed},
        {"consumed", s.budget.consumed},
        {"remaining_ratio", optional_number(s.budget.remaining_ratio)},
        {"exhausted_in_seconds",
         {{"at_1h_burn_rate", optional_number(s.budget.exhausted_in_1h_rate)},
          {"at_window_burn_rate", optional_number(s.budget.exhausted_in_window_rate)}}}}},
      {"burn_rates", burn},
      {"windows", windows},
      {"policy", s.policy},
      {"block_releases", s.block_releases},
      {"alerts", nlohmann::json::array()},
  };
  if (s.source_error) {
    // No figures rather than a full or an empty budget.
    out["source"] = {{"name", s.source}, {"up", false}, {"reason", s.source_error->reason},
                     {"error", s.source_error->message}};
    out["sli"] = nullptr;
    out["error_budget"] = nullptr;
    out["burn_rates"] = nullptr;
    out["windows"] = nlohmann::json::array();
  } else {
    out["source"] = {{"name", s.source}, {"up", true}};
  }
  if (!s.group.empty()) out["group"] = s.group;
  if (s.window_end) out["window_end"] = *s.window_end;
  if (s.slice_seconds > 0) out["slice_seconds"] = s.slice_seconds;
  if (s.latency) {
    out["latency"] = {{"count", s.latency->count}, {"p50", s.latency->p50},   {"p90", s.latency->p90},
                      {"p95", s.latency->p95},     {"p99", s.latency->p99},   {"p99.9", s.latency->p999}};
  }
  if (!s.groups.empty() || !s.overflow_groups.empty()) {
    nlohmann::json groups = nlohmann::json::array();
    for (const auto& g : s.groups) groups.push_back(slo_status_json(g));
    out["groups"] = std::move(groups);
    out["overflow"] = {{"groups", s.overflow_groups}, {"events", s.overflow_events}};
  }
  return out;
}

}  // namespace sloguard::server
