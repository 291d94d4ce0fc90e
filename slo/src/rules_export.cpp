// Prometheus rule files and Sloth specs from the SLO config (see rules_export.h and
// docs/prometheus-grafana.md for what can and cannot be expressed).
#include "sloguard/slo/rules_export.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "sloguard/common/units.h"
#include "sloguard/slo/engine.h"

namespace sloguard::slo {
namespace {

constexpr int64_t kMinute = 60000;
constexpr int64_t kDay = 86400000;
constexpr const char* kAlertName = "SloguardErrorBudgetBurn";
constexpr const char* kWindowPlaceholder = "{{window}}";

std::string num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.12g", v);
  return buf;
}

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
  for (size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size()) {
    s.replace(pos, from.size(), to);
  }
  return s;
}

// The PromQL period standing for the SLO window: a rolling window's length, or a calendar
// period's nominal length (PromQL has no calendar ranges).
int64_t nominal_window_ms(const config::SloConfig& slo) {
  if (slo.window_kind == config::WindowKind::kRolling) return slo.window_ms;
  switch (slo.calendar) {
    case config::CalendarUnit::kWeek: return 7 * kDay;
    case config::CalendarUnit::kMonth: return 30 * kDay;
    case config::CalendarUnit::kQuarter: return 90 * kDay;
  }
  return slo.window_ms;
}

const std::vector<config::AlertTier>& tiers_of(const config::SloConfig& slo) {
  // The loader resolves every SLO's tiers (built-in ones included); an empty list means the
  // SLO alerts on nothing, and so do the exported rules.
  return slo.alerting.tiers;
}

std::string selector_labels(const config::SloConfig& slo) {
  return "{slo=\"" + slo.name + "\",service=\"" + slo.service + "\"}";
}

// The SLI's events over one window, as PromQL: per-second rates (for ratios over a window and
// the alerts' min_events) or counts (the 5m increases that are summed over the SLO window). A
// series that does not exist yet (no bad events so far) is taken as 0 when its counterpart
// has data, so the ratio is 0 rather than absent.
class SliEvents {
 public:
  // `window` is a duration ("5m") or Sloth's template "{{.window}}".
  static SliEvents rates(const config::PrometheusSliQueries& q, const std::string& window) {
    return SliEvents(q, window, 0);
  }
  // increase() of a counter; a {{window}} expression is a rate, so it is multiplied by the
  // window's seconds.
  static SliEvents increases(const config::PrometheusSliQueries& q, int64_t window_ms) {
    return SliEvents(q, format_duration_ms(window_ms), window_ms);
  }

  std::string total() const {
    if (!q_.total.empty()) return of(q_.total);
    return "(" + or_zero(q_.good, q_.bad) + " + " + or_zero(q_.bad, q_.good) + ")";
  }
  std::string errors() const {
    if (q_.bad.empty()) return "(" + of(q_.total) + " - " + or_zero(q_.good, q_.total) + ")";
    return or_zero(q_.bad, q_.total.empty() ? q_.good : q_.total);
  }
  // Error ratio; absent when there was no traffic in the window (never NaN).
  std::string error_ratio() const { return errors() + "\n/\n(" + total() + " > 0)"; }

 private:
  SliEvents(const config::PrometheusSliQueries& q, std::string window, int64_t increase_ms)
      : q_(q), window_(std::move(window)), increase_ms_(increase_ms) {}

  std::string of(const std::string& q) const {
    if (q.find(kWindowPlaceholder) != std::string::npos) {
      const std::string rate = "(" + replace_all(q, kWindowPlaceholder, window_) + ")";
      return increase_ms_ > 0 ? "(" + rate + " * " + num(static_cast<double>(increase_ms_) / 1000) + ")" : rate;
    }
    return std::string(increase_ms_ > 0 ? "sum(increase(" : "sum(rate(") + q + "[" + window_ + "]))";
  }
  std::string or_zero(const std::string& q, const std::string& other) const {
    return "(" + of(q) + " or 0 * " + of(other) + ")";
  }

  const config::PrometheusSliQueries& q_;
  std::string window_;
  int64_t increase_ms_;  // 0: rates
};

void emit_labels(YAML::Emitter& out, const std::vector<std::pair<std::string, std::string>>& labels) {
  out << YAML::BeginMap;
  for (const auto& [k, v] : labels) out << YAML::Key << k << YAML::Value << YAML::DoubleQuoted << v;
  out << YAML::EndMap;
}

void emit_recording(YAML::Emitter& out, const std::string& record, const std::string& expr,
                    const config::SloConfig& slo) {
  out << YAML::BeginMap << YAML::Key << "record" << YAML::Value << record;
  out << YAML::Key << "expr" << YAML::Value << YAML::Literal << expr;
  out << YAML::Key << "labels" << YAML::Value;
  emit_labels(out, {{"slo", slo.name}, {"service", slo.service}});
  out << YAML::EndMap;
}

void emit_alert(YAML::Emitter& out, const config::SloConfig& slo, const config::AlertTier& tier,
                const std::string& expr, int64_t window_ms) {
  const std::string long_w = format_duration_ms(tier.long_window_ms);
  const std::string short_w = format_duration_ms(tier.short_window_ms);
  out << YAML::BeginMap << YAML::Key << "alert" << YAML::Value << kAlertName;
  out << YAML::Key << "expr" << YAML::Value << YAML::Literal << expr;
  if (tier.for_ms > 0) out << YAML::Key << "for" << YAML::Value << format_duration_ms(tier.for_ms);
  out << YAML::Key << "labels" << YAML::Value;
  emit_labels(out, {{"severity", tier.severity},
                    {"tier", tier.name},
                    {"slo", slo.name},
                    {"service", slo.service},
                    {"long_window", long_w},
                    {"short_window", short_w}});
  const double consumed = tier.burn_rate * static_cast<double>(tier.long_window_ms) / static_cast<double>(window_ms);
  out << YAML::Key << "annotations" << YAML::Value;
  emit_labels(out, {{"summary", slo.name + " is burning its error budget at " + num(tier.burn_rate) +
                                    "x or faster (" + tier.name + ")"},
                    {"description", "Burn rate >= " + num(tier.burn_rate) + " over " + long_w + " and " + short_w +
                                        ": " + num(consumed * 100) + "% of the " + slo.window_text +
                                        " error budget (objective " + num(slo.objective * 100) +
                                        "%) is spent per " + long_w + " at this rate."}});
  out << YAML::EndMap;
}

bool exports_raw(const config::SloConfig& slo) {
  return !slo.sli.prometheus.empty() && slo.budgeting.method == config::BudgetingMethod::kOccurrences;
}

// Recording rules over the raw counters, and alerts on them.
void emit_raw_slo(YAML::Emitter& out, const config::SloConfig& slo, const std::vector<config::AlertTier>& tiers) {
  const auto& q = slo.sli.prometheus;
  const std::string labels = selector_labels(slo);
  const double budget = 1.0 - slo.objective;
  const int64_t period_ms = nominal_window_ms(slo);
  const std::string period = format_duration_ms(period_ms);

  std::set<int64_t> windows = {5 * kMinute};
  for (const auto& t : tiers) windows.insert({t.long_window_ms, t.short_window_ms});
  for (int64_t w : windows) {
    const std::string name = format_duration_ms(w);
    emit_recording(out, "slo:sli_error:ratio_rate" + name, SliEvents::rates(q, name).error_ratio(), slo);
  }
  const SliEvents counts = SliEvents::increases(q, 5 * kMinute);
  emit_recording(out, "slo:sli_bad:increase5m", counts.errors(), slo);
  emit_recording(out, "slo:sli_total:increase5m", counts.total(), slo);
  if (!windows.count(period_ms)) {
    // The period's ratio as a ratio of sums of the recorded 5m counts: reading the raw
    // counters over 30d at every evaluation would be expensive, and Sloth's average of 5m
    // ratios weighs a quiet night as much as a busy day (sloth#241, #618). Each event is
    // summed 5m / evaluation interval times, in both sums alike: the sums are not counts.
    emit_recording(out, "slo:sli_error:ratio_rate" + period,
                   "sum_over_time(slo:sli_bad:increase5m" + labels + "[" + period + "])\n/\n(" +
                       "sum_over_time(slo:sli_total:increase5m" + labels + "[" + period + "]) > 0)",
                   slo);
  }
  emit_recording(out, "slo:objective:ratio", "vector(" + num(slo.objective) + ")", slo);
  emit_recording(out, "slo:error_budget_remaining:ratio",
                 "1 - slo:sli_error:ratio_rate" + period + labels + " / " + num(budget), slo);

  for (const auto& t : tiers) {
    const std::string long_w = format_duration_ms(t.long_window_ms);
    const std::string short_w = format_duration_ms(t.short_window_ms);
    const std::string threshold = "(" + num(t.burn_rate) + " * " + num(budget) + ")";
    std::string expr = "slo:sli_error:ratio_rate" + long_w + labels + " >= " + threshold + "\nand on(slo, service)\n" +
                       "slo:sli_error:ratio_rate" + short_w + labels + " >= " + threshold;
    if (t.min_events > 0) {
      const std::string n = std::to_string(t.min_events);
      expr += "\nand on()\n" + SliEvents::rates(q, long_w).total() + " * " +
              num(static_cast<double>(t.long_window_ms) / 1000) + " >= " + n + "\nand on()\n" +
              SliEvents::rates(q, short_w).total() + " * " +
              num(static_cast<double>(t.short_window_ms) / 1000) + " >= " + n;
    }
    emit_alert(out, slo, t, expr, period_ms);
  }
}

// Alerts on the burn rates sloguard itself computes and exposes on /metrics.
void emit_gauge_slo(YAML::Emitter& out, const config::SloConfig& slo, const std::vector<config::AlertTier>& tiers,
                    std::vector<std::string>& notes) {
  const bool calendar = slo.window_kind == config::WindowKind::kCalendar;
  const std::vector<int64_t> reported = burn_rate_windows(calendar ? 0 : slo.window_ms / 1000);
  auto reported_window = [&](int64_t ms) { return std::count(reported.begin(), reported.end(), ms / 1000) > 0; };
  for (const auto& t : tiers) {
    if (!reported_window(t.long_window_ms) || !reported_window(t.short_window_ms)) {
      notes.push_back(slo.name + ": tier " + t.name + " left out: sloguard_slo_burn_rate has no window " +
                      format_duration_ms(reported_window(t.long_window_ms) ? t.short_window_ms : t.long_window_ms) +
                      " (add prometheus: queries to the SLI to export it from raw metrics)");
      continue;
    }
    auto burn = [&](int64_t ms) {
      return "sloguard_slo_burn_rate{slo=\"" + slo.name + "\",service=\"" + slo.service + "\",window=\"" +
             format_duration_ms(ms) + "\"} >= " + num(t.burn_rate);
    };
    emit_alert(out, slo, t, burn(t.long_window_ms) + "\nand on(slo, service, group)\n" + burn(t.short_window_ms),
               nominal_window_ms(slo));
  }
}

RulesExport export_prometheus(const config::Config& cfg) {
  RulesExport result;
  YAML::Emitter out;
  out << YAML::Comment("Generated by `sloguard rules export` from " +
                       (cfg.source_path.empty() ? std::string("a config built in code") : cfg.source_path) +
                       ". Do not edit; export again.");
  out << YAML::BeginMap << YAML::Key << "groups" << YAML::Value << YAML::BeginSeq;
  for (const auto& slo : cfg.slos) {
    if (!slo.alerting.enabled) {
      result.notes.push_back(slo.name + ": alerting disabled, no rules exported");
      continue;
    }
    const auto tiers = tiers_of(slo);
    const bool raw = exports_raw(slo);
    if (!slo.sli.prometheus.empty() && !raw) {
      result.notes.push_back(slo.name + ": timeslices budgeting cannot be expressed over raw counters; "
                             "alerting on sloguard's burn-rate gauges instead");
    }
    if (slo.window_kind == config::WindowKind::kCalendar && raw) {
      result.notes.push_back(slo.name + ": calendar window " + slo.window_text + " exported as a rolling " +
                             format_duration_ms(nominal_window_ms(slo)));
    }
    out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << "sloguard-" + slo.name;
    out << YAML::Key << "rules" << YAML::Value << YAML::BeginSeq;
    if (raw) {
      emit_raw_slo(out, slo, tiers);
    } else {
      emit_gauge_slo(out, slo, tiers, result.notes);
    }
    out << YAML::EndSeq << YAML::EndMap;
  }
  out << YAML::EndSeq << YAML::EndMap;
  result.yaml = std::string(out.c_str()) + "\n";
  return result;
}

// Sloth's default tiers are the SRE Workbook's, which sloguard's built-in tiers match for a
// 30d window.
// True when the SLO's tiers are the built-in ones for a 30d window, which Sloth's own match.
bool builtin_like_sloth(const config::SloConfig& slo) {
  if (nominal_window_ms(slo) != 30 * kDay) return false;
  if (slo.alerting.tiers.empty()) return true;
  const auto builtin = config::builtin_alert_tiers(30 * kDay, 1);
  if (builtin.size() != slo.alerting.tiers.size()) return false;
  for (size_t i = 0; i < builtin.size(); ++i) {
    const auto& a = builtin[i];
    const auto& b = slo.alerting.tiers[i];
    if (a.long_window_ms != b.long_window_ms || a.short_window_ms != b.short_window_ms ||
        std::abs(a.burn_rate - b.burn_rate) > 1e-9 || a.severity != b.severity || b.for_ms != 0) {
      return false;
    }
  }
  return true;
}

RulesExport export_sloth(const config::Config& cfg) {
  RulesExport result;
  std::string yaml;
  for (const auto& svc : cfg.services) {
    std::vector<const config::SloConfig*> slos;
    for (const auto& slo : cfg.slos) {
      if (slo.service != svc.name) continue;
      if (!exports_raw(slo)) {
        result.notes.push_back(slo.name + ": left out of the Sloth spec: " +
                               std::string(slo.sli.prometheus.empty() ? "its SLI has no prometheus: queries"
                                                                      : "timeslices budgeting"));
        continue;
      }
      if (!builtin_like_sloth(slo)) {
        result.notes.push_back(slo.name + ": Sloth applies its own 30d tiers (14.4x/6x page, 3x/1x ticket); "
                               "this SLO's window " + slo.window_text +
                               " or custom tiers are not expressed (run sloth with --default-slo-period)");
      }
      if (!slo.alerting.enabled) result.notes.push_back(slo.name + ": alerting disabled in the Sloth spec");
      slos.push_back(&slo);
    }
    if (slos.empty()) continue;
    YAML::Emitter out;
    out << YAML::BeginMap;
    out << YAML::Key << "version" << YAML::Value << "prometheus/v1";
    out << YAML::Key << "service" << YAML::Value << svc.name;
    out << YAML::Key << "labels" << YAML::Value;
    emit_labels(out, {{"generator", "sloguard"}});
    out << YAML::Key << "slos" << YAML::Value << YAML::BeginSeq;
    for (const auto* slo : slos) {
      const SliEvents rates = SliEvents::rates(slo->sli.prometheus, "{{.window}}");
      out << YAML::BeginMap;
      out << YAML::Key << "name" << YAML::Value << slo->name;
      out << YAML::Key << "objective" << YAML::Value << YAML::Precision(12) << slo->objective * 100;
      out << YAML::Key << "description" << YAML::Value
          << "Exported from sloguard: " + num(slo->objective * 100) + "% over " + slo->window_text;
      out << YAML::Key << "sli" << YAML::Value << YAML::BeginMap << YAML::Key << "events" << YAML::Value
          << YAML::BeginMap;
      out << YAML::Key << "error_query" << YAML::Value << YAML::Literal << rates.errors();
      out << YAML::Key << "total_query" << YAML::Value << YAML::Literal << rates.total();
      out << YAML::EndMap << YAML::EndMap;
      out << YAML::Key << "alerting" << YAML::Value << YAML::BeginMap;
      out << YAML::Key << "name" << YAML::Value << kAlertName;
      out << YAML::Key << "labels" << YAML::Value;
      emit_labels(out, {{"slo", slo->name}});
      out << YAML::Key << "annotations" << YAML::Value;
      emit_labels(out, {{"summary", slo->name + " is burning its error budget"}});
      if (!slo->alerting.enabled) {
        out << YAML::Key << "page_alert" << YAML::Value << YAML::BeginMap << YAML::Key << "disable"
            << YAML::Value << true << YAML::EndMap;
        out << YAML::Key << "ticket_alert" << YAML::Value << YAML::BeginMap << YAML::Key << "disable"
            << YAML::Value << true << YAML::EndMap;
      } else {
        out << YAML::Key << "page_alert" << YAML::Value << YAML::BeginMap << YAML::Key << "labels" << YAML::Value;
        emit_labels(out, {{"severity", "page"}});
        out << YAML::EndMap;
        out << YAML::Key << "ticket_alert" << YAML::Value << YAML::BeginMap << YAML::Key << "labels"
            << YAML::Value;
        emit_labels(out, {{"severity", "ticket"}});
        out << YAML::EndMap;
      }
      out << YAML::EndMap << YAML::EndMap;
    }
    out << YAML::EndSeq << YAML::EndMap;
    yaml += "---\n# Sloth spec generated by `sloguard rules export --format sloth`.\n" + std::string(out.c_str()) +
            "\n";
  }
  if (yaml.empty()) yaml = "# No SLO with prometheus: queries to export as a Sloth spec.\n";
  result.yaml = std::move(yaml);
  return result;
}

}  // namespace

RulesExport export_rules(const config::Config& cfg, RulesFormat format) {
  return format == RulesFormat::kSloth ? export_sloth(cfg) : export_prometheus(cfg);
}

}  // namespace sloguard::slo
