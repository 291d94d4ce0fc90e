// The `release:` section: freeze windows, gate, verification, rollback, per-service overrides
// and Alertmanager routes. Hooks are read in release_hooks_section.cpp.
#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "alerting_section.h"
#include "release_fields.h"
#include "sections.h"
#include "sloguard/common/units.h"
#include "time_zones.h"

namespace sloguard::config {

const HookConfig* ReleaseConfig::find_hook(std::string_view name) const {
  for (const auto& h : hooks) {
    if (h.name == name) return &h;
  }
  return nullptr;
}

const VerificationConfig& ReleaseConfig::verification_for(std::string_view service) const {
  for (const auto& s : services) {
    if (s.service == service) return s.verification;
  }
  return verification;
}

const std::vector<std::string>& ReleaseConfig::hooks_for(std::string_view service) const {
  for (const auto& s : services) {
    if (s.service == service) return s.hooks;
  }
  return rollback.hooks;
}

const std::vector<std::string>& ReleaseConfig::notify_for(std::string_view service) const {
  for (const auto& s : services) {
    if (s.service == service) return s.notify;
  }
  return notify;
}

const char* hook_kind_name(HookKind k) {
  switch (k) {
    case HookKind::kWebhook: return "webhook";
    case HookKind::kGithub: return "github";
    case HookKind::kExec: return "exec";
  }
  return "webhook";
}

namespace detail {

std::optional<std::vector<std::string>> read_string_list(ErrorSink& errors, const Item& item,
                                                         std::string_view what) {
  if (!expect_list(errors, item, "a list of " + std::string(what))) return std::nullopt;
  std::vector<std::string> out;
  bool ok = true;
  for (size_t i = 0; i < item.node.size(); ++i) {
    Item e = item.element(i, item.node[i]);
    if (auto text = read_scalar(errors, e, what)) {
      out.push_back(*text);
    } else {
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<double> read_number(ErrorSink& errors, const Item& item, double min, double max,
                                  std::string_view what) {
  auto text = read_scalar(errors, item, what);
  if (!text) return std::nullopt;
  char* end = nullptr;
  double v = std::strtod(text->c_str(), &end);
  if (text->empty() || end != text->c_str() + text->size() || !std::isfinite(v) || v < min || v > max) {
    errors.add(item.mark(), item.msg("expected " + std::string(what) + ", got \"" + *text + "\""));
    return std::nullopt;
  }
  return v;
}

std::optional<int> read_count(ErrorSink& errors, const Item& item, int min, int max) {
  const std::string what = "a whole number " + std::to_string(min) + ".." + std::to_string(max);
  auto v = read_number(errors, item, min, max, what);
  if (!v) return std::nullopt;
  if (*v != std::floor(*v)) {
    errors.add(item.mark(), item.msg("expected " + what + ", got \"" + item.node.Scalar() + "\""));
    return std::nullopt;
  }
  return static_cast<int>(*v);
}

std::optional<double> read_ratio_item(ErrorSink& errors, const Item& item) {
  auto text = read_scalar(errors, item, "a percentage like 5% or a fraction like 0.05");
  if (!text) return std::nullopt;
  Result<double> v = parse_ratio(*text);
  if (!v.ok() || *v < 0 || *v > 1) {
    errors.add(item.mark(),
               item.msg("expected a percentage 0%..100% like 5% or a fraction like 0.05, got \"" + *text + "\""));
    return std::nullopt;
  }
  return *v;
}

std::optional<int64_t> read_positive_duration(ErrorSink& errors, const Item& item) {
  auto ms = read_duration(errors, item);
  if (!ms) return std::nullopt;
  if (*ms <= 0) {
    errors.add(item.mark(), item.msg("must be longer than 0, got \"" + item.node.Scalar() + "\""));
    return std::nullopt;
  }
  return ms;
}

void check_hook_names(ErrorSink& errors, const Item& item, const std::vector<std::string>& names,
                      const std::vector<std::string>& known) {
  for (size_t i = 0; i < names.size(); ++i) {
    if (std::find(known.begin(), known.end(), names[i]) != known.end()) continue;
    Item e = item.element(i, item.node[i]);
    std::vector<std::string_view> candidates(known.begin(), known.end());
    std::string m = "unknown hook \"" + names[i] + "\"";
    std::string_view suggestion = closest_match(names[i], candidates);
    if (!suggestion.empty()) {
      m += "; did you mean \"" + std::string(suggestion) + "\"?";
    } else if (known.empty()) {
      m += "; no hooks are defined under release.hooks";
    } else {
      m += "; expected one of: " + join_names(candidates);
    }
    errors.add(e.mark(), e.msg(m));
  }
}

namespace {

constexpr std::string_view kDayNames[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
constexpr std::string_view kLongDayNames[] = {"sunday",   "monday", "tuesday", "wednesday",
                                              "thursday", "friday", "saturday"};

std::optional<int> parse_day(ErrorSink& errors, const Item& item) {
  auto text = read_scalar(errors, item, "a weekday like sat");
  if (!text) return std::nullopt;
  std::string lower = *text;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  for (int d = 0; d < 7; ++d) {
    if (lower == kDayNames[d] || lower == kLongDayNames[d]) return d;
  }
  errors.add(item.mark(), item.msg("expected a weekday: mon, tue, wed, thu, fri, sat or sun, got \"" + *text + "\""));
  return std::nullopt;
}

// "HH:MM", 00:00..23:59 (24:00 when allow_24).
std::optional<int> parse_clock(ErrorSink& errors, const Item& item, bool allow_24) {
  auto text = read_scalar(errors, item, "a time like \"02:00\"");
  if (!text) return std::nullopt;
  const std::string& t = *text;
  auto digit = [&](size_t i) { return i < t.size() && t[i] >= '0' && t[i] <= '9'; };
  bool shape = (t.size() == 5 && digit(0) && digit(1) && t[2] == ':' && digit(3) && digit(4)) ||
               (t.size() == 4 && digit(0) && t[1] == ':' && digit(2) && digit(3));
  if (shape) {
    size_t colon = t.find(':');
    int h = std::stoi(t.substr(0, colon));
    int m = std::stoi(t.substr(colon + 1));
    if ((h < 24 && m < 60) || (allow_24 && h == 24 && m == 0)) return h * 60 + m;
  }
  errors.add(item.mark(), item.msg(std::string("expected a local time \"HH:MM\" from 00:00 to ") +
                                   (allow_24 ? "24:00" : "23:59") + ", got \"" + t + "\""));
  return std::nullopt;
}

std::optional<int64_t> parse_instant(ErrorSink& errors, const Item& item) {
  auto text = read_scalar(errors, item, "an RFC 3339 time like 2026-12-24T00:00:00Z");
  if (!text) return std::nullopt;
  Result<double> v = parse_rfc3339(*text);
  if (!v.ok()) {
    errors.add(item.mark(), item.msg("expected an RFC 3339 time like 2026-12-24T00:00:00Z, got \"" + *text + "\""));
    return std::nullopt;
  }
  return static_cast<int64_t>(std::floor(*v));
}

void check_services(ErrorSink& errors, const Item& item, const std::vector<std::string>& names,
                    const std::vector<std::string>& service_names) {
  for (size_t i = 0; i < names.size(); ++i) {
    if (std::find(service_names.begin(), service_names.end(), names[i]) != service_names.end()) continue;
    Item e = item.element(i, item.node[i]);
    errors.add(e.mark(), e.msg("unknown service \"" + names[i] + "\""));
  }
}

void parse_freeze_window(ErrorSink& errors, const Item& item, const std::vector<std::string>& service_names,
                         std::vector<FreezeWindow>& out) {
  constexpr std::string_view kExample =
      "a freeze window like {name: weekend, schedule: {days: [sat, sun], start: \"00:00\", end: \"24:00\"}, "
      "time_zone: Europe/Berlin} or {name: holidays, from: 2026-12-24T00:00:00Z, to: 2027-01-02T00:00:00Z}";
  if (!expect_map(errors, item, kExample)) return;
  const size_t before = errors.size();
  Fields f(errors, item, {"name", "schedule", "time_zone", "from", "to", "services"});
  FreezeWindow w;
  if (const Item* name = f.require("name")) {
    if (auto text = read_scalar(errors, *name, "a name")) {
      if (check_name(errors, *name, *text)) w.name = *text;
    }
  }
  const Item* schedule = f.get("schedule");
  const Item* from = f.get("from");
  const Item* to = f.get("to");
  if (schedule && (from || to)) {
    errors.add(item.mark(), item.msg("give either schedule (weekly) or from and to (fixed), not both"));
  } else if (schedule) {
    w.kind = FreezeKind::kWeekly;
    if (expect_map(errors, *schedule, "a weekly schedule like {days: [sat, sun], start: \"02:00\", end: \"04:00\"}")) {
      Fields s(errors, *schedule, {"days", "start", "end"});
      if (const Item* days = s.require("days")) {
        if (expect_list(errors, *days, "a list of weekdays like [sat, sun]")) {
          if (days->node.size() == 0) errors.add(days->mark(), days->msg("must list at least one weekday"));
          for (size_t i = 0; i < days->node.size(); ++i) {
            if (auto d = parse_day(errors, days->element(i, days->node[i]))) w.days.push_back(*d);
          }
        }
      }
      if (const Item* start = s.require("start")) {
        if (auto m = parse_clock(errors, *start, false)) w.start_minute = *m;
      }
      if (const Item* end = s.require("end")) {
        if (auto m = parse_clock(errors, *end, true)) w.end_minute = *m;
      }
    }
    if (const Item* tz = f.get("time_zone")) {
      if (auto text = read_scalar(errors, *tz, "an IANA time zone like Europe/Berlin")) {
        std::string problem = check_time_zone(*text);
        if (!problem.empty()) {
          errors.add(tz->mark(), tz->msg(problem));
        } else {
          w.time_zone = *text;
        }
      }
    }
  } else if (from || to) {
    w.kind = FreezeKind::kFixed;
    if (f.get("time_zone")) {
      errors.add(f.get("time_zone")->key, item.msg("time_zone applies to weekly schedules; RFC 3339 times carry "
                                                   "their own offset"));
    }
    std::optional<int64_t> a, b;
    if (f.require("from")) a = parse_instant(errors, *from);
    if (f.require("to")) b = parse_instant(errors, *to);
    if (a.has_value() && b.has_value()) {
      if (*b <= *a) {
        errors.add(to->mark(), to->msg("must be after from"));
      } else {
        w.from = *a;
        w.to = *b;
      }
    }
  } else {
    errors.add(item.mark(), item.msg("missing schedule (weekly) or from and to (fixed)"));
  }
  if (const Item* services = f.get("services")) {
    if (auto names = read_string_list(errors, *services, "service names")) {
      check_services(errors, *services, *names, service_names);
      w.services = *names;
    }
  }
  if (errors.size() != before) return;
  for (const auto& other : out) {
    if (other.name == w.name) {
      errors.add(item.mark(), item.msg("duplicate freeze window name \"" + w.name + "\""));
      return;
    }
  }
  out.push_back(std::move(w));
}

// on_source_error: undecided, allow or deny.
void parse_on_source_error(ErrorSink& errors, const Item& item, GateConfig& out) {
  static const std::vector<std::string_view> kNames = {"undecided", "allow", "deny"};
  auto text = read_scalar(errors, item, "undecided, allow or deny");
  if (!text) return;
  if (*text == "undecided") {
    out.on_source_error = OnSourceError::kUndecided;
  } else if (*text == "allow") {
    out.on_source_error = OnSourceError::kAllow;
  } else if (*text == "deny") {
    out.on_source_error = OnSourceError::kDeny;
  } else {
    std::string_view suggestion = closest_match(*text, kNames);
    errors.add(item.mark(), item.msg("unknown value \"" + *text + "\"; " +
                                     (suggestion.empty() ? "expected one of: " + join_names(kNames)
                                                         : "did you mean \"" + std::string(suggestion) + "\"?") +
                                     " (what the gate answers when an SLO's datasource cannot be read)"));
  }
}

void parse_gate(ErrorSink& errors, const Item& item, GateConfig& out) {
  if (!expect_map(errors, item, "a mapping with block_on_alert_severities, on_source_error")) return;
  Fields f(errors, item, {"block_on_alert_severities", "on_source_error"});
  if (const Item* sev = f.get("block_on_alert_severities")) {
    if (auto list = read_string_list(errors, *sev, "severities like page")) out.block_on_alert_severities = *list;
  }
  if (const Item* e = f.get("on_source_error")) parse_on_source_error(errors, *e, out);
}

void parse_rollback(ErrorSink& errors, const Item& item, RollbackConfig& out) {
  if (!expect_map(errors, item, "a mapping with cooldown, max_per_period, period, dry_run, hooks")) return;
  Fields f(errors, item, {"cooldown", "max_per_period", "period", "dry_run", "hooks"});
  if (const Item* c = f.get("cooldown")) {
    if (auto ms = read_duration(errors, *c)) out.cooldown_ms = *ms;
  }
  if (const Item* m = f.get("max_per_period")) {
    if (auto v = read_count(errors, *m, 1, 1000)) out.max_per_period = *v;
  }
  if (const Item* p = f.get("period")) {
    if (auto ms = read_positive_duration(errors, *p)) out.period_ms = *ms;
  }
  if (const Item* d = f.get("dry_run")) {
    if (auto v = read_bool(errors, *d)) out.dry_run = *v;
  }
  // hooks: names checked by the caller once every hook is known.
}

struct PendingHookList {
  Item item;
  std::vector<std::string> names;
};

// `notify:` names (a list, or one name), each recorded with its place for the check against
// `notifiers:` once every section is read.
std::optional<std::vector<std::string>> read_notifier_names(ErrorSink& errors, const Item& item,
                                                            std::vector<NamedRef>& refs) {
  if (item.node.IsScalar()) {
    auto text = read_scalar(errors, item, "a notifier name or a list of names");
    if (!text) return std::nullopt;
    refs.push_back({*text, item.mark(), item.path});
    return std::vector<std::string>{*text};
  }
  if (item.node.IsNull()) return std::vector<std::string>{};
  auto names = read_string_list(errors, item, "notifier names");
  if (!names) return std::nullopt;
  for (size_t i = 0; i < names->size(); ++i) {
    Item e = item.element(i, item.node[i]);
    refs.push_back({(*names)[i], e.mark(), e.path});
  }
  return names;
}

void parse_service_override(ErrorSink& errors, const Item& item, const std::vector<std::string>& service_names,
                            const ReleaseConfig& release, std::vector<PendingHookList>& pending,
                            std::vector<NamedRef>& notify_refs, std::vector<ServiceRelease>& out) {
  if (!expect_map(errors, item, "a service override like {name: checkout, verification: {period: 15m}}")) return;
  const size_t before = errors.size();
  Fields f(errors, item, {"name", "verification", "hooks", "notify"});
  ServiceRelease s;
  s.verification = release.verification;
  s.hooks = release.rollback.hooks;
  s.notify = release.notify;
  if (const Item* name = f.require("name")) {
    if (auto text = read_scalar(errors, *name, "a service name")) {
      if (std::find(service_names.begin(), service_names.end(), *text) == service_names.end()) {
        errors.add(name->mark(), name->msg("unknown service \"" + *text + "\""));
      }
      s.service = *text;
    }
  }
  if (const Item* v = f.get("verification")) parse_verification(errors, *v, s.verification);
  if (const Item* h = f.get("hooks")) {
    if (auto names = read_string_list(errors, *h, "hook names")) {
      s.hooks = *names;
      pending.push_back({*h, *names});
    }
  }
  if (const Item* n = f.get("notify")) {
    if (auto names = read_notifier_names(errors, *n, notify_refs)) s.notify = *names;
  }
  if (errors.size() != before) return;
  for (const auto& o : out) {
    if (o.service == s.service) {
      errors.add(item.mark(), item.msg("duplicate override for service \"" + s.service + "\""));
      return;
    }
  }
  out.push_back(std::move(s));
}

void parse_alertmanager_route(ErrorSink& errors, const Item& item, std::vector<PendingHookList>& pending,
                              std::vector<AlertmanagerRoute>& out) {
  if (!expect_map(errors, item, "a route like {match: {alertname: CheckoutErrors}, hooks: [rollback]}")) return;
  const size_t before = errors.size();
  Fields f(errors, item, {"match", "hooks", "service_label"});
  AlertmanagerRoute r;
  if (const Item* match = f.require("match")) {
    if (expect_map(errors, *match, "a mapping of label names to values")) {
      if (match->node.size() == 0) errors.add(match->mark(), match->msg("must name at least one label"));
      for (auto it = match->node.begin(); it != match->node.end(); ++it) {
        Item v = match->child(it->first.Scalar(), it->second, it->first.Mark());
        if (auto text = read_scalar(errors, v, "a label value")) r.match[it->first.Scalar()] = *text;
      }
    }
  }
  if (const Item* h = f.require("hooks")) {
    if (auto names = read_string_list(errors, *h, "hook names")) {
      if (names->empty()) errors.add(h->mark(), h->msg("must name at least one hook"));
      r.hooks = *names;
      pending.push_back({*h, *names});
    }
  }
  if (const Item* l = f.get("service_label")) {
    if (auto text = read_scalar(errors, *l, "a label name")) {
      if (text->empty()) {
        errors.add(l->mark(), l->msg("must not be empty"));
      } else {
        r.service_label = *text;
      }
    }
  }
  if (errors.size() == before) out.push_back(std::move(r));
}

}  // namespace

void parse_release(ErrorSink& errors, const Item& item, const std::vector<std::string>& service_names,
                   std::vector<NamedRef>& notify_refs, ReleaseConfig& out) {
  if (item.node.IsNull()) return;
  if (!expect_map(errors, item,
                  "a mapping with freeze_windows, gate, verification, rollback, hooks, hook_workers, services, "
                  "alertmanager, notify, notify_passed")) {
    return;
  }
  Fields f(errors, item,
           {"freeze_windows", "gate", "verification", "rollback", "hooks", "hook_workers", "services", "alertmanager",
            "notify", "notify_passed"});
  if (const Item* w = f.get("hook_workers")) {
    if (auto v = read_count(errors, *w, 1, 16)) out.hook_workers = *v;
  }
  // Before services: their overrides start from these.
  if (const Item* n = f.get("notify")) {
    if (auto names = read_notifier_names(errors, *n, notify_refs)) out.notify = *names;
  }
  if (const Item* p = f.get("notify_passed")) {
    if (auto v = read_bool(errors, *p)) out.notify_passed = *v;
  }
  if (const Item* fw = f.get("freeze_windows")) {
    if (expect_list(errors, *fw, "a list of freeze windows")) {
      for (size_t i = 0; i < fw->node.size(); ++i) {
        parse_freeze_window(errors, fw->element(i, fw->node[i]), service_names, out.freeze_windows);
      }
    }
  }
  if (const Item* g = f.get("gate")) parse_gate(errors, *g, out.gate);
  if (const Item* v = f.get("verification")) parse_verification(errors, *v, out.verification);
  std::vector<PendingHookList> pending;
  if (const Item* r = f.get("rollback")) {
    parse_rollback(errors, *r, out.rollback);
    if (r->node.IsMap() && r->node["hooks"]) {
      Item h = r->child("hooks", r->node["hooks"], YAML::Mark::null_mark());
      if (auto names = read_string_list(errors, h, "hook names")) {
        out.rollback.hooks = *names;
        pending.push_back({h, *names});
      }
    }
  }
  std::vector<std::string> known;  // every hook name written, so a bad hook is reported once
  if (const Item* h = f.get("hooks")) parse_hooks(errors, *h, out.hooks, known);
  if (const Item* s = f.get("services")) {
    if (expect_list(errors, *s, "a list of service overrides")) {
      for (size_t i = 0; i < s->node.size(); ++i) {
        parse_service_override(errors, s->element(i, s->node[i]), service_names, out, pending, notify_refs,
                               out.services);
      }
    }
  }
  if (const Item* a = f.get("alertmanager")) {
    if (expect_list(errors, *a, "a list of routes like {match: {alertname: X}, hooks: [rollback]}")) {
      for (size_t i = 0; i < a->node.size(); ++i) {
        parse_alertmanager_route(errors, a->element(i, a->node[i]), pending, out.alertmanager);
      }
    }
  }
  for (const auto& p : pending) check_hook_names(errors, p.item, p.names, known);
}

}  // namespace detail
}  // namespace sloguard::config
