// The `slos:` section: name, service, source, objective, window and time zone, grouping of
// each SLO. Its sli and budgeting are read in sli_section.cpp and budgeting_section.cpp.
#include <algorithm>
#include <charconv>

#include "alerting_section.h"
#include "sections.h"
#include "sloguard/common/units.h"
#include "time_zones.h"

namespace sloguard::config::detail {
namespace {

constexpr int64_t kMinuteMs = 60 * 1000;

void parse_objective(ErrorSink& errors, const Item& item, SloConfig& out) {
  auto text = read_scalar(errors, item, "an objective like 99.5% or 0.995");
  if (!text) return;
  Result<double> v = parse_ratio(*text);
  if (!v.ok()) {
    errors.add(item.mark(), item.msg(v.status().message()));
    return;
  }
  if (!(*v > 0 && *v < 1)) {
    std::string m = "objective must be strictly between 0 and 1 (0% and 100%), got \"" + *text + "\"";
    if (*v > 1 && *v < 100 && text->back() != '%') m += "; did you mean \"" + *text + "%\"?";
    errors.add(item.mark(), item.msg(m));
    return;
  }
  out.objective = *v;
}

struct CalendarWindow {
  std::string_view name;
  CalendarUnit unit;
  int64_t longest_ms;  // the longest period, for the retention check
};
constexpr CalendarWindow kCalendarWindows[] = {
    {"week", CalendarUnit::kWeek, 7 * 86400000LL},
    {"month", CalendarUnit::kMonth, 31 * 86400000LL},
    {"quarter", CalendarUnit::kQuarter, 92 * 86400000LL},  // Jul-Sep and Oct-Dec
};

std::string too_long_for_retention(const std::string& window, std::optional<int64_t> retention_ms) {
  return "window " + window + " is longer than storage.retention " + format_duration_ms(*retention_ms) +
         "; the store would not hold a whole window";
}

// A rolling duration ("30d") or a calendar period (week, month, quarter).
void parse_window(ErrorSink& errors, const Item& item, std::optional<int64_t> retention_ms, SloConfig& out) {
  auto text = read_scalar(errors, item, "a duration like 30d, or week, month or quarter");
  if (!text) return;
  for (const CalendarWindow& c : kCalendarWindows) {
    if (*text != c.name) continue;
    if (retention_ms && c.longest_ms > *retention_ms) {
      errors.add(item.mark(), item.msg(too_long_for_retention(
                                  std::string(c.name) + " (up to " + format_duration_ms(c.longest_ms) + ")",
                                  retention_ms)));
      return;
    }
    out.window_kind = WindowKind::kCalendar;
    out.calendar = c.unit;
    out.window_ms = c.longest_ms;
    out.window_text = std::string(c.name);
    return;
  }
  Result<int64_t> ms = parse_duration_ms(*text);
  if (!ms.ok()) {
    static const std::vector<std::string_view> kNames = {"week", "month", "quarter"};
    std::string_view suggestion = closest_match(*text, kNames);
    errors.add(item.mark(),
               item.msg(suggestion.empty()
                            ? ms.status().message() + "; or a calendar window: week, month, quarter"
                            : "unknown window \"" + *text + "\"; did you mean \"" + std::string(suggestion) +
                                  "\"? (calendar windows: week, month, "
                                  "quarter; rolling windows are durations like 30d)"));
    return;
  }
  if (*ms <= 0) {
    errors.add(item.mark(), item.msg("window must be longer than 0, got \"" + *text + "\""));
  } else if (*ms % kMinuteMs != 0) {
    errors.add(item.mark(), item.msg("window must be a whole number of minutes, got \"" + *text + "\""));
  } else if (retention_ms && *ms > *retention_ms) {
    errors.add(item.mark(), item.msg(too_long_for_retention(format_duration_ms(*ms), retention_ms)));
  } else {
    out.window_kind = WindowKind::kRolling;
    out.window_ms = *ms;
    out.window_text = format_duration_ms(*ms);
  }
}

// Only calendar windows have a time zone: a rolling window is the same span everywhere.
void parse_time_zone(ErrorSink& errors, const Item& item, SloConfig& out) {
  auto text = read_scalar(errors, item, "an IANA time zone name like Europe/Berlin");
  if (!text) return;
  if (out.window_kind == WindowKind::kRolling && !out.window_text.empty()) {
    errors.add(item.key, item.msg("applies only to calendar windows (week, month, quarter); window " +
                                  out.window_text + " is rolling"));
    return;
  }
  if (text->empty()) {
    errors.add(item.mark(), item.msg("must not be empty (leave time_zone out for UTC)"));
    return;
  }
  std::string problem = check_time_zone(*text);
  if (!problem.empty()) {
    errors.add(item.mark(), item.msg(problem));
    return;
  }
  out.time_zone = *text;
}

// group_by: one label. Returns false after reporting.
bool parse_group_by(ErrorSink& errors, const Item& item, SloConfig& out) {
  static const std::vector<std::string_view> kLabels = {"endpoint", "version"};
  if (!expect_list(errors, item, "a list with one label: [endpoint] or [version]")) return false;
  if (item.node.size() == 0) {
    errors.add(item.mark(), item.msg("must list one label: endpoint or version (or leave group_by out)"));
    return false;
  }
  bool ok = true;
  std::vector<std::string> labels;
  for (size_t i = 0; i < item.node.size(); ++i) {
    Item label = item.element(i, item.node[i]);
    auto text = read_scalar(errors, label, "a label: endpoint or version");
    if (!text) {
      ok = false;
      continue;
    }
    if (std::find(kLabels.begin(), kLabels.end(), *text) == kLabels.end()) {
      std::string m = "unknown label \"" + *text + "\"";
      std::string_view suggestion = closest_match(*text, kLabels);
      if (!suggestion.empty()) m += "; did you mean \"" + std::string(suggestion) + "\"?";
      errors.add(label.mark(), label.msg(m + " (group_by takes one of: " + join_names(kLabels) + ")"));
      ok = false;
      continue;
    }
    labels.push_back(*text);
  }
  if (item.node.size() > 1) {
    errors.add(item.mark(), item.msg("group by one label only, got " + std::to_string(item.node.size())));
    ok = false;
  }
  if (ok) out.group_by = std::move(labels);
  return ok;
}

void parse_max_groups(ErrorSink& errors, const Item& item, SloConfig& out) {
  constexpr int kMax = 10000;
  auto text = read_scalar(errors, item, "a whole number 1..10000");
  if (!text) return;
  int v = 0;
  auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (text->empty() || ec != std::errc() || ptr != text->data() + text->size() || v < 1 || v > kMax) {
    errors.add(item.mark(), item.msg("expected a whole number 1..10000, got \"" + *text + "\""));
    return;
  }
  out.max_groups = v;
}

// source: a datasource's name. Returns the name as written ("" when absent or not a
// string), and sets out.source when the datasource exists.
std::string parse_source(ErrorSink& errors, const Item& item, const std::vector<std::string>& datasource_names,
                         SloConfig& out) {
  auto text = read_scalar(errors, item, "a datasource name from datasources");
  if (!text) return "";
  if (text->empty()) {
    errors.add(item.mark(), item.msg("must not be empty (leave source out to read the SLI from sloguard's own "
                                     "store)"));
    return "";
  }
  if (std::find(datasource_names.begin(), datasource_names.end(), *text) != datasource_names.end()) {
    out.source = *text;
    return *text;
  }
  std::vector<std::string_view> names(datasource_names.begin(), datasource_names.end());
  std::string m = "unknown datasource \"" + *text + "\"";
  std::string_view suggestion = closest_match(*text, names);
  if (!suggestion.empty()) {
    m += "; did you mean \"" + std::string(suggestion) + "\"?";
  } else if (names.empty()) {
    m += "; no datasources are defined (add it under datasources:)";
  } else {
    m += "; datasources are: " + join_names(names);
  }
  errors.add(item.mark(), item.msg(m));
  return *text;
}

// Reports problems and returns the SLO as far as it could be read.
SloConfig parse_slo(ErrorSink& errors, const Item& item, const std::vector<std::string>& service_names,
                    const std::vector<ProbeRef>& probes, const std::vector<std::string>& datasource_names,
                    std::optional<int64_t> retention_ms, const AlertingConfig& alerting,
                    AlertingContext& alerting_ctx) {
  SloConfig slo;
  Fields f(
      errors, item,
      {"name", "service", "objective", "window", "time_zone", "sli", "budgeting", "group_by", "max_groups",
       "alerting", "source"});
  // First: an SLO read from a datasource is checked differently. Its SLI's history lives in
  // the datasource, so the window need not fit in the embedded store's retention.
  std::string source;
  if (const Item* s = f.get("source")) source = parse_source(errors, *s, datasource_names, slo);
  if (!source.empty()) retention_ms = std::nullopt;
  if (const Item* name = f.require("name")) {
    if (auto text = read_scalar(errors, *name, "an SLO name")) {
      if (check_name(errors, *name, *text)) slo.name = *text;
    }
  }
  if (const Item* service = f.require("service")) {
    if (auto text = read_scalar(errors, *service, "a service name")) {
      if (std::find(service_names.begin(), service_names.end(), *text) == service_names.end()) {
        std::vector<std::string_view> names(service_names.begin(), service_names.end());
        std::string m = "unknown service \"" + *text + "\"";
        std::string_view suggestion = closest_match(*text, names);
        if (!suggestion.empty()) {
          m += "; did you mean \"" + std::string(suggestion) + "\"?";
        } else if (names.empty()) {
          m += "; no services are defined (add it under services:)";
        } else {
          m += "; services are: " + join_names(names);
        }
        errors.add(service->mark(), service->msg(m));
      } else {
        slo.service = *text;
      }
    }
  }
  if (const Item* objective = f.require("objective")) parse_objective(errors, *objective, slo);
  if (const Item* window = f.require("window")) parse_window(errors, *window, retention_ms, slo);
  if (const Item* tz = f.get("time_zone")) parse_time_zone(errors, *tz, slo);
  bool kind_known = true;  // no sli: availability
  if (const Item* sli = f.get("sli")) {
    kind_known = parse_sli(errors, *sli, slo.service, probes, source, slo.sli);
  } else if (!source.empty()) {
    errors.add(item.mark(), item.msg("missing required key \"sli\" (source " + source +
                                     " reads the SLI from Prometheus queries: give sli.prometheus with two of "
                                     "good, bad, total)"));
  }
  parse_budgeting(errors, f.get("budgeting"), kind_known, slo);
  bool grouped_ok = true;
  if (const Item* group_by = f.get("group_by")) {
    if (kind_known && slo.sli.kind == SliKind::kProbe) {
      // Probe results carry no endpoint or version to group by.
      errors.add(group_by->key, item.msg("group_by does not apply to probe SLIs; to judge one probe alone, "
                                         "name it with sli.probe"));
      grouped_ok = false;
    } else {
      grouped_ok = parse_group_by(errors, *group_by, slo);
      // Versions are counted per service, not per endpoint: an endpoint filter cannot apply.
      if (grouped_ok && kind_known && !slo.sli.endpoint.empty() && slo.group_by.front() == "version") {
        errors.add(group_by->key, item.msg("group_by: [version] cannot be combined with sli.endpoint (versions are "
                                           "counted per service); drop the endpoint filter or group by endpoint"));
        grouped_ok = false;
      }
    }
  }
  if (const Item* max_groups = f.get("max_groups")) {
    if (!f.get("group_by")) {
      errors.add(max_groups->key, item.msg("max_groups applies only with group_by"));
    } else if (grouped_ok) {
      parse_max_groups(errors, *max_groups, slo);
    }
  }
  parse_slo_alerting(errors, f.get("alerting"), alerting, alerting_ctx, retention_ms, slo);
  return slo;
}

}  // namespace

void parse_slos(ErrorSink& errors, const Item& item, const std::vector<std::string>& service_names,
                const std::vector<ProbeRef>& probes, const std::vector<std::string>& datasource_names,
                std::optional<int64_t> retention_ms, const AlertingConfig& alerting,
                AlertingContext& alerting_ctx, std::vector<SloConfig>& out) {
  if (item.node.IsNull()) return;  // "slos:" with every entry commented out
  if (!expect_list(errors, item, "a list of SLOs")) return;
  std::vector<int> lines;  // where each SLO in `out` starts, for duplicate messages
  for (size_t i = 0; i < item.node.size(); ++i) {
    Item s = item.element(i, item.node[i]);
    if (!expect_map(errors, s, "an SLO mapping with name, service, objective, window, sli")) continue;
    SloConfig slo = parse_slo(errors, s, service_names, probes, datasource_names, retention_ms, alerting, alerting_ctx);
    if (slo.name.empty()) continue;
    auto dup = std::find_if(out.begin(), out.end(), [&](const SloConfig& o) { return o.name == slo.name; });
    if (dup != out.end()) {
      errors.add(s.mark(), s.msg("duplicate SLO name \"" + slo.name + "\" (first at line " +
                                 std::to_string(lines[dup - out.begin()]) + ")"));
      continue;
    }
    lines.push_back(s.mark().line + 1);
    out.push_back(std::move(slo));
  }
}

}  // namespace sloguard::config::detail
