// Built-in alert tiers and notifier kind names.
#include "sloguard/config/alerting.h"

#include "sloguard/config/config.h"

namespace sloguard::config {

std::vector<AlertTier> builtin_alert_tiers(int64_t slo_window_ms, uint64_t min_events) {
  struct Builtin {
    const char* name;
    const char* severity;
    double consumed;
    int64_t long_ms, short_ms;
  };
  constexpr int64_t kMin = 60000, kHour = 60 * kMin, kDay = 24 * kHour;
  static constexpr Builtin kTiers[] = {
      {"page-1h", "page", 0.02, kHour, 5 * kMin},
      {"page-6h", "page", 0.05, 6 * kHour, 30 * kMin},
      {"ticket-1d", "ticket", 0.10, kDay, 2 * kHour},
      {"ticket-3d", "ticket", 0.10, 3 * kDay, 6 * kHour},
  };
  std::vector<AlertTier> out;
  for (const auto& b : kTiers) {
    if (b.long_ms > slo_window_ms) continue;
    AlertTier t;
    t.name = b.name;
    t.severity = b.severity;
    t.long_window_ms = b.long_ms;
    t.short_window_ms = b.short_ms;
    t.budget_consumed = b.consumed;
    t.burn_rate = b.consumed * static_cast<double>(slo_window_ms) / static_cast<double>(b.long_ms);
    t.min_events = min_events;
    out.push_back(std::move(t));
  }
  return out;
}

const char* notifier_kind_name(NotifierKind k) {
  switch (k) {
    case NotifierKind::kSlack: return "slack";
    case NotifierKind::kLine: return "line";
    case NotifierKind::kDiscord: return "discord";
    case NotifierKind::kPagerDuty: return "pagerduty";
    case NotifierKind::kAlertmanager: return "alertmanager";
    case NotifierKind::kWebhook: return "webhook";
  }
  return "webhook";
}

const NotifierConfig* Config::find_notifier(std::string_view name) const {
  for (const auto& n : notifiers) {
    if (n.name == name) return &n;
  }
  return nullptr;
}

}  // namespace sloguard::config
