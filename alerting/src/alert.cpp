// AlertState: names, labels and its stored JSON form.
#include "sloguard/alerting/alert.h"

#include <nlohmann/json.hpp>

#include "sloguard/common/json_record.h"

namespace sloguard::alerting {

using nlohmann::json;

const char* phase_name(AlertPhase p) {
  switch (p) {
    case AlertPhase::kInactive: return "inactive";
    case AlertPhase::kPending: return "pending";
    case AlertPhase::kFiring: return "firing";
    case AlertPhase::kResolved: return "resolved";
  }
  return "inactive";
}

std::string alert_key(const std::string& slo, const std::string& group, const std::string& tier) {
  return slo + "/" + group + "/" + tier;
}

std::string AlertState::key() const { return alert_key(slo, group, tier); }

std::map<std::string, std::string> AlertState::labels() const {
  std::map<std::string, std::string> l{{"slo", slo}, {"service", service}, {"severity", severity}, {"tier", tier}};
  if (!group.empty()) l["group"] = group;
  return l;
}

namespace {
json opt(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }
std::optional<double> opt_from(const json& j, const char* k) {
  auto it = j.find(k);
  if (it == j.end() || it->is_null()) return std::nullopt;
  return it->get<double>();
}
}  // namespace

std::string to_json(const AlertState& a) {
  json j = {{"slo", a.slo},
            {"service", a.service},
            {"group", a.group},
            {"tier", a.tier},
            {"severity", a.severity},
            {"phase", phase_name(a.phase)},
            {"active_at_ms", a.active_at_ms},
            {"fired_at_ms", a.fired_at_ms},
            {"resolved_at_ms", a.resolved_at_ms},
            {"last_eval_ms", a.last_eval_ms},
            {"last_sent_ms", a.last_sent_ms},
            {"notified", a.notified},
            {"episode", a.episode},
            {"threshold", a.threshold},
            {"long_window", a.long_window},
            {"short_window", a.short_window},
            {"long_burn_rate", opt(a.long_burn_rate)},
            {"short_burn_rate", opt(a.short_burn_rate)},
            {"budget_remaining", opt(a.budget_remaining)},
            {"long_events", a.long_events},
            {"short_events", a.short_events},
            {"paged", a.paged}};
  return j.dump();
}

Result<AlertState> alert_from_json(const std::string& text) {
  return decode_record<AlertState>(text, "stored alert state", [](const json& j) {
    AlertState a;
    a.slo = j.at("slo").get<std::string>();
    a.service = j.at("service").get<std::string>();
    a.group = j.at("group").get<std::string>();
    a.tier = j.at("tier").get<std::string>();
    a.severity = j.at("severity").get<std::string>();
    const std::string phase = j.at("phase").get<std::string>();
    a.phase = phase == "pending"    ? AlertPhase::kPending
              : phase == "firing"   ? AlertPhase::kFiring
              : phase == "resolved" ? AlertPhase::kResolved
                                    : AlertPhase::kInactive;
    a.active_at_ms = j.at("active_at_ms").get<int64_t>();
    a.fired_at_ms = j.at("fired_at_ms").get<int64_t>();
    a.resolved_at_ms = j.at("resolved_at_ms").get<int64_t>();
    a.last_eval_ms = j.at("last_eval_ms").get<int64_t>();
    a.last_sent_ms = j.at("last_sent_ms").get<int64_t>();
    a.notified = j.at("notified").get<bool>();
    a.episode = j.at("episode").get<uint64_t>();
    a.threshold = j.at("threshold").get<double>();
    a.long_window = j.at("long_window").get<std::string>();
    a.short_window = j.at("short_window").get<std::string>();
    a.long_burn_rate = opt_from(j, "long_burn_rate");
    a.short_burn_rate = opt_from(j, "short_burn_rate");
    a.budget_remaining = opt_from(j, "budget_remaining");
    a.long_events = j.value("long_events", uint64_t{0});
    a.short_events = j.value("short_events", uint64_t{0});
    if (auto p = j.find("paged"); p != j.end() && p->is_array()) a.paged = p->get<std::vector<std::string>>();
    return a;
  });
}

}  // namespace sloguard::alerting
