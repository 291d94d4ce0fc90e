#include "sloguard/slo/gate.h"

#include <date/date.h>
#include <date/tz.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>

#include "sloguard/common/units.h"

namespace sloguard::slo {
namespace {

std::string percent(double ratio) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", ratio * 100.0);
  return buf;
}

std::string hhmm(int minute) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02d:%02d", minute / 60, minute % 60);
  return buf;
}

// The instant of a local wall-clock time: inside a gap, the end of the gap; when it happens
// twice, the later one (a window ending at an ambiguous time lasts as long as it can).
int64_t instant_of(const date::time_zone* zone, date::local_seconds local, bool is_end) {
  if (!zone) return local.time_since_epoch().count();
  const date::local_info info = zone->get_info(local);
  if (info.result == date::local_info::nonexistent) return info.first.end.time_since_epoch().count();
  const auto offset = info.result == date::local_info::ambiguous && is_end ? info.second.offset : info.first.offset;
  return (local.time_since_epoch() - offset).count();
}

}  // namespace

const char* gate_reason_kind_name(GateReasonKind k) {
  switch (k) {
    case GateReasonKind::kBudgetPolicy: return "budget_policy";
    case GateReasonKind::kAlert: return "alert";
    case GateReasonKind::kRollbackCooldown: return "rollback_cooldown";
    case GateReasonKind::kFreezeWindow: return "freeze_window";
    case GateReasonKind::kEvaluationError: return "evaluation_error";
    case GateReasonKind::kSourceError: return "source_error";
  }
  return "unknown";
}

namespace {

// The end of the occurrence of w that holds `at`, without joining adjacent occurrences.
Result<std::optional<int64_t>> occurrence_end(const config::FreezeWindow& w, int64_t at) {
  if (w.kind == config::FreezeKind::kFixed) {
    if (at >= w.from && at < w.to) return std::optional<int64_t>(w.to);
    return std::optional<int64_t>();
  }
  const date::time_zone* zone = nullptr;
  if (w.time_zone != "UTC") {
    try {
      zone = date::locate_zone(w.time_zone);
    } catch (const std::exception& e) {
      return Status::InvalidArgument("time zone \"" + w.time_zone + "\": " + e.what());
    }
  }
  try {
    const date::sys_seconds t{std::chrono::seconds{at}};
    const date::local_seconds local = zone ? zone->to_local(t) : date::local_seconds{t.time_since_epoch()};
    const date::local_days today = date::floor<date::days>(local);
    const bool wraps = w.end_minute <= w.start_minute;
    // An occurrence starting today or (when it runs past midnight) yesterday may hold `at`.
    for (int back = 0; back <= (wraps ? 1 : 0); ++back) {
      const date::local_days day = today - date::days{back};
      const int weekday = static_cast<int>(date::weekday{day}.c_encoding());
      if (std::find(w.days.begin(), w.days.end(), weekday) == w.days.end()) continue;
      const date::local_seconds start_local = day + std::chrono::minutes{w.start_minute};
      const date::local_seconds end_local =
          day + date::days{wraps ? 1 : 0} + std::chrono::minutes{w.end_minute};
      const int64_t start = instant_of(zone, start_local, false);
      const int64_t end = instant_of(zone, end_local, true);
      if (at >= start && at < end) return std::optional<int64_t>(end);
    }
    return std::optional<int64_t>();
  } catch (const std::exception& e) {
    return Status::Unavailable("time zone \"" + w.time_zone + "\": " + e.what());
  }
}

}  // namespace

Result<std::optional<int64_t>> freeze_window_end(const config::FreezeWindow& w, int64_t at) {
  auto end = occurrence_end(w, at);
  if (!end.ok() || !end->has_value()) return end;
  // Occurrences that touch (sat and sun, 00:00-24:00) are one freeze: report where it ends.
  int64_t until = **end;
  for (int i = 0; i < 8; ++i) {
    auto next = occurrence_end(w, until);
    if (!next.ok() || !next->has_value() || **next <= until) break;
    until = **next;
  }
  return std::optional<int64_t>(until);
}

GateDecision decide_gate(const config::Config& cfg, const GateInput& in) {
  GateDecision d;
  for (const SloStatus& s : in.slos) {
    if (!s.block_releases) continue;
    std::string m = s.name + ": error budget ";
    m += s.budget.remaining_ratio ? percent(*s.budget.remaining_ratio) + " left" : "unknown";
    m += ", policy " + s.policy + " blocks releases";
    d.reasons.push_back({GateReasonKind::kBudgetPolicy, m, s.name, std::nullopt});
  }
  for (const std::string& e : in.slo_errors) {
    d.reasons.push_back({GateReasonKind::kEvaluationError, "cannot evaluate " + e, "", std::nullopt});
  }
  const auto& blocking = cfg.release.gate.block_on_alert_severities;
  for (const FiringAlert& a : in.alerts) {
    if (std::find(blocking.begin(), blocking.end(), a.severity) == blocking.end()) continue;
    d.reasons.push_back({GateReasonKind::kAlert,
                         a.slo + ": " + a.severity + " alert " + a.tier + " firing since " + format_rfc3339(a.since),
                         a.slo + "/" + a.tier, std::nullopt});
  }
  if (in.last_rollback && cfg.release.rollback.cooldown_ms > 0) {
    const int64_t until = in.last_rollback->at + cfg.release.rollback.cooldown_ms / 1000;
    if (in.at >= in.last_rollback->at && in.at < until) {
      std::string m = "rolled back at " + format_rfc3339(in.last_rollback->at);
      if (!in.last_rollback->reason.empty()) m += " (" + in.last_rollback->reason + ")";
      m += "; rollback cooldown until " + format_rfc3339(until);
      d.reasons.push_back({GateReasonKind::kRollbackCooldown, m, "rollback", until});
    }
  }
  for (const config::FreezeWindow& w : cfg.release.freeze_windows) {
    if (!w.services.empty() && std::find(w.services.begin(), w.services.end(), in.service) == w.services.end()) {
      continue;
    }
    auto end = freeze_window_end(w, in.at);
    if (!end.ok()) {
      d.reasons.push_back({GateReasonKind::kEvaluationError,
                           "freeze window " + w.name + ": " + end.status().message(), w.name, std::nullopt});
      continue;
    }
    if (!end->has_value()) continue;
    std::string m = "freeze window " + w.name;
    if (w.kind == config::FreezeKind::kWeekly) {
      m += " (" + hhmm(w.start_minute) + "-" + hhmm(w.end_minute) + " " + w.time_zone + ")";
    }
    m += " until " + format_rfc3339(**end);
    d.reasons.push_back({GateReasonKind::kFreezeWindow, m, w.name, **end});
  }
  // SLOs without data because their source failed: the gate cannot know their budget.
  std::vector<GateReason> unknown;
  for (const SloStatus& s : in.slos) {
    if (!s.source_error) continue;
    unknown.push_back({GateReasonKind::kSourceError,
                       s.name + ": no data from " + s.source + " (" + s.source_error->reason + ": " +
                           s.source_error->message + ")",
                       s.name, std::nullopt});
  }
  const config::OnSourceError on_error = cfg.release.gate.on_source_error;
  if (!unknown.empty()) {
    if (on_error == config::OnSourceError::kAllow) {
      for (const auto& r : unknown) d.warnings.push_back(r.message + "; allowed by release.gate.on_source_error");
    } else {
      // Undecided only when nothing else blocks: a known block is a decision.
      if (on_error == config::OnSourceError::kUndecided && d.reasons.empty()) d.decided = false;
      d.reasons.insert(d.reasons.end(), unknown.begin(), unknown.end());
    }
  }
  d.allow = d.reasons.empty();
  return d;
}

}  // namespace sloguard::slo
