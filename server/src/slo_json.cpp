#include "slo_json.h"

namespace sloguard::server {
namespace {

nlohmann::json optional_number(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

}  // namespace

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
  return {
      {"name", s.name},
      {"service", s.service},
      {"objective", s.objective},
      {"window", s.window},
      {"at", s.at},
      {"sli", {{"good", s.sli.good}, {"total", s.sli.total}, {"ratio", optional_number(s.ratio)}}},
      {"error_budget",
       {{"allowed", s.budget.allowed},
        {"consumed", s.budget.consumed},
        {"remaining_ratio", optional_number(s.budget.remaining_ratio)}}},
      {"burn_rates", burn},
      {"windows", windows},
      {"policy", s.policy},
      {"block_releases", s.block_releases},
      {"alerts", nlohmann::json::array()},
  };
}

}  // namespace sloguard::server
