// `alerting:` (repeat interval, min events, policies) and slos[].alerting (policy, notify,
// tier overrides). See docs/alerting.md for the rules written here.
#include "alerting_section.h"

#include <algorithm>
#include <cmath>

#include "sections.h"
#include "sloguard/common/units.h"

namespace sloguard::config::detail {
namespace {

constexpr int64_t kMinute = 60000;
constexpr int64_t kDay = 86400000;

std::optional<double> read_positive_number(ErrorSink& errors, const Item& item, std::string_view what) {
  auto text = read_scalar(errors, item, what);
  if (!text) return std::nullopt;
  try {
    size_t used = 0;
    double v = std::stod(*text, &used);
    if (used == text->size() && std::isfinite(v) && v > 0) return v;
  } catch (const std::exception&) {
  }
  errors.add(item.mark(), item.msg("expected " + std::string(what) + ", got \"" + *text + "\""));
  return std::nullopt;
}

std::optional<uint64_t> read_count(ErrorSink& errors, const Item& item) {
  auto text = read_scalar(errors, item, "a whole number of events >= 1");
  if (!text) return std::nullopt;
  try {
    size_t used = 0;
    long long v = std::stoll(*text, &used);
    if (used == text->size() && v >= 1 && v <= 1000000000000LL) return static_cast<uint64_t>(v);
  } catch (const std::exception&) {
  }
  errors.add(item.mark(), item.msg("expected a whole number of events from 1 to 10^12, got \"" + *text + "\""));
  return std::nullopt;
}

std::optional<int64_t> read_window(ErrorSink& errors, const Item& item) {
  auto ms = read_duration(errors, item);
  if (!ms) return std::nullopt;
  if (*ms < kMinute || *ms % kMinute != 0) {
    errors.add(item.mark(), item.msg("must be whole minutes, at least 1m (burn rates are computed from minute "
                                     "buckets), got " + format_duration_ms(*ms)));
    return std::nullopt;
  }
  return ms;
}

std::optional<std::vector<std::string>> read_names(ErrorSink& errors, const Item& item, std::vector<NamedRef>& refs) {
  if (item.node.IsScalar()) {
    auto text = read_scalar(errors, item, "a name or a list of names");
    if (!text) return std::nullopt;
    refs.push_back({*text, item.mark(), item.path});
    return std::vector<std::string>{*text};
  }
  if (item.node.IsNull()) return std::vector<std::string>{};
  if (!expect_list(errors, item, "a list of names")) return std::nullopt;
  std::vector<std::string> out;
  for (size_t i = 0; i < item.node.size(); ++i) {
    Item e = item.element(i, item.node[i]);
    auto text = read_scalar(errors, e, "a name");
    if (!text) continue;
    refs.push_back({*text, e.mark(), e.path});
    out.push_back(*text);
  }
  return out;
}

TierSpec parse_tier_spec(ErrorSink& errors, const Item& item, AlertingContext& ctx) {
  TierSpec t;
  t.mark = item.mark();
  t.path = item.path;
  Fields f(errors, item,
           {"name", "base", "severity", "burn_rate", "budget_consumed", "long_window", "short_window", "for",
            "min_events", "notify", "hooks", "enabled"});
  if (const Item* name = f.require("name")) {
    if (auto text = read_scalar(errors, *name, "a tier name like page-1h")) {
      if (check_name(errors, *name, *text)) t.name = *text;
    }
  }
  if (const Item* base = f.get("base")) {
    if (auto text = read_scalar(errors, *base, "a built-in tier: page-1h, page-6h, ticket-1d, ticket-3d")) t.base = *text;
  }
  if (const Item* sev = f.get("severity")) {
    if (auto text = read_scalar(errors, *sev, "a severity like page or ticket")) {
      if (check_name(errors, *sev, *text)) t.severity = *text;
    }
  }
  const Item* burn = f.get("burn_rate");
  const Item* consumed = f.get("budget_consumed");
  if (burn && consumed) {
    errors.add(consumed->key, item.msg("give burn_rate or budget_consumed, not both"));
  } else if (burn) {
    t.burn_rate = read_positive_number(errors, *burn, "a burn rate > 0 like 14.4");
  } else if (consumed) {
    if (auto text = read_scalar(errors, *consumed, "a share of the budget like 2% or 0.02")) {
      Result<double> v = parse_ratio(*text);
      if (!v.ok() || !(*v > 0) || *v > 1) {
        errors.add(consumed->mark(), consumed->msg("expected a share of the budget in (0%, 100%] like 2%, got \"" +
                                                   *text + "\""));
      } else {
        t.budget_consumed = *v;
      }
    }
  }
  if (const Item* w = f.get("long_window")) t.long_window_ms = read_window(errors, *w);
  if (const Item* w = f.get("short_window")) t.short_window_ms = read_window(errors, *w);
  if (const Item* w = f.get("for")) t.for_ms = read_duration(errors, *w);
  if (const Item* m = f.get("min_events")) t.min_events = read_count(errors, *m);
  if (const Item* n = f.get("notify")) t.notify = read_names(errors, *n, ctx.notify_refs);
  if (const Item* h = f.get("hooks")) t.hooks = read_names(errors, *h, ctx.hook_refs);
  if (const Item* e = f.get("enabled")) {
    if (auto v = read_bool(errors, *e)) t.enabled = *v;
  }
  return t;
}

// `tiers:` plus `defaults:` and `notify:` of a policy or an SLO.
void parse_tier_list(ErrorSink& errors, const Fields& f, AlertingContext& ctx, TierListSpec& out) {
  if (const Item* d = f.get("defaults")) {
    if (auto v = read_bool(errors, *d)) out.defaults = *v;
  }
  if (const Item* n = f.get("notify")) {
    if (auto v = read_names(errors, *n, ctx.notify_refs)) out.notify = *v;
  }
  if (const Item* tiers = f.get("tiers")) {
    if (tiers->node.IsNull()) return;
    if (!expect_list(errors, *tiers, "a list of tiers like {name: page-1h, burn_rate: 14.4, long_window: 1h, "
                                     "short_window: 5m}")) {
      return;
    }
    for (size_t i = 0; i < tiers->node.size(); ++i) {
      Item t = tiers->element(i, tiers->node[i]);
      if (!expect_map(errors, t, "a tier mapping with name")) continue;
      TierSpec spec = parse_tier_spec(errors, t, ctx);
      if (spec.name.empty()) continue;
      auto dup = std::find_if(out.tiers.begin(), out.tiers.end(), [&](const TierSpec& o) { return o.name == spec.name; });
      if (dup != out.tiers.end()) {
        errors.add(t.mark(), t.msg("duplicate tier name \"" + spec.name + "\" (first at line " +
                                   std::to_string(dup->mark.line + 1) + ")"));
        continue;
      }
      out.tiers.push_back(std::move(spec));
    }
  }
}

// The nominal length budget_consumed is measured against: rolling windows their length,
// calendar windows the usual period (week 7d, month 30d, quarter 90d).
int64_t nominal_window_ms(const SloConfig& slo) {
  if (slo.window_kind == WindowKind::kRolling) return slo.window_ms;
  switch (slo.calendar) {
    case CalendarUnit::kWeek: return 7 * kDay;
    case CalendarUnit::kMonth: return 30 * kDay;
    case CalendarUnit::kQuarter: return 90 * kDay;
  }
  return slo.window_ms;
}

std::string builtin_names() { return "page-1h, page-6h, ticket-1d, ticket-3d"; }

// Applies one list's entries to `tiers` (see docs/alerting.md). Reports and skips bad entries.
void apply_tier_list(ErrorSink& errors, const TierListSpec& list, int64_t window_ms, const AlertingConfig& cfg,
                     std::optional<int64_t> retention_ms, std::vector<AlertTier>& tiers) {
  const std::vector<AlertTier> all_builtin = builtin_alert_tiers(INT64_MAX, cfg.min_events);
  auto find_builtin = [&](const std::string& n) -> const AlertTier* {
    for (const auto& b : all_builtin) if (b.name == n) return &b;
    return nullptr;
  };
  for (const TierSpec& spec : list.tiers) {
    auto at = [&](const std::string& m) { errors.add(spec.mark, spec.path + ": " + m); };
    const std::string base_name = !spec.base.empty() ? spec.base : (find_builtin(spec.name) ? spec.name : "");
    if (!spec.base.empty() && !find_builtin(spec.base)) {
      at("unknown built-in tier \"" + spec.base + "\" in base; built-in tiers are " + builtin_names());
      continue;
    }
    // Where the tier sits: replacing an earlier tier of the same name or base, else appended.
    auto existing = std::find_if(tiers.begin(), tiers.end(), [&](const AlertTier& t) {
      return t.name == spec.name || (!base_name.empty() && t.name == base_name);
    });
    if (!spec.enabled) {
      if (existing != tiers.end()) tiers.erase(existing);
      continue;
    }
    AlertTier t;
    bool have_threshold = false, have_windows = false;
    if (existing != tiers.end()) {
      t = *existing;
      have_threshold = have_windows = true;
    } else if (!base_name.empty()) {
      t = *find_builtin(base_name);
      have_threshold = have_windows = true;
    }
    t.name = spec.name;
    if (spec.severity) t.severity = *spec.severity;
    if (spec.long_window_ms) t.long_window_ms = *spec.long_window_ms;
    if (spec.short_window_ms) t.short_window_ms = *spec.short_window_ms;
    if (!have_windows && !(spec.long_window_ms && spec.short_window_ms)) {
      at("a new tier needs long_window and short_window (or base: one of " + builtin_names() + ")");
      continue;
    }
    if (spec.burn_rate) {
      t.burn_rate = *spec.burn_rate;
      t.budget_consumed.reset();
    } else if (spec.budget_consumed) {
      t.budget_consumed = *spec.budget_consumed;
    } else if (!have_threshold) {
      at("a new tier needs burn_rate or budget_consumed");
      continue;
    }
    if (t.budget_consumed) {
      t.burn_rate = *t.budget_consumed * static_cast<double>(window_ms) / static_cast<double>(t.long_window_ms);
    }
    if (spec.for_ms) t.for_ms = *spec.for_ms;
    t.min_events = spec.min_events ? *spec.min_events : (existing != tiers.end() ? t.min_events : cfg.min_events);
    if (spec.notify) t.notify = *spec.notify;
    if (spec.hooks) t.hooks = *spec.hooks;
    if (t.short_window_ms >= t.long_window_ms) {
      at("short_window " + format_duration_ms(t.short_window_ms) + " must be shorter than long_window " +
         format_duration_ms(t.long_window_ms));
      continue;
    }
    if (retention_ms && t.long_window_ms > *retention_ms) {
      at("long_window " + format_duration_ms(t.long_window_ms) + " is longer than storage.retention " +
         format_duration_ms(*retention_ms));
      continue;
    }
    if (existing != tiers.end()) {
      *existing = std::move(t);
    } else {
      tiers.push_back(std::move(t));
    }
  }
}

}  // namespace

void parse_alerting(ErrorSink& errors, const Item& item, AlertingConfig& cfg, AlertingContext& ctx) {
  if (item.node.IsNull()) return;
  if (!expect_map(errors, item, "a mapping with repeat_interval, send_resolved, min_events, policies")) return;
  Fields f(errors, item,
           {"repeat_interval", "send_resolved", "min_events", "external_url", "silence_retention", "retry_initial",
            "retry_max", "max_age", "dead_letter_retention", "policies"});
  auto positive_duration = [&](const char* key, int64_t& out) {
    if (const Item* d = f.get(key)) {
      if (auto ms = read_duration(errors, *d)) {
        if (*ms <= 0) {
          errors.add(d->mark(), d->msg("must be longer than 0s"));
        } else {
          out = *ms;
        }
      }
    }
  };
  positive_duration("repeat_interval", cfg.repeat_interval_ms);
  positive_duration("silence_retention", cfg.silence_retention_ms);
  positive_duration("retry_initial", cfg.retry_initial_ms);
  positive_duration("retry_max", cfg.retry_max_ms);
  positive_duration("max_age", cfg.max_age_ms);
  positive_duration("dead_letter_retention", cfg.dead_letter_retention_ms);
  if (cfg.retry_max_ms < cfg.retry_initial_ms) {
    errors.add(item.mark(), item.msg("retry_max must be at least retry_initial"));
  }
  if (const Item* s = f.get("send_resolved")) {
    if (auto v = read_bool(errors, *s)) cfg.send_resolved = *v;
  }
  if (const Item* m = f.get("min_events")) {
    if (auto v = read_count(errors, *m)) cfg.min_events = *v;
  }
  if (const Item* u = f.get("external_url")) {
    if (auto text = read_scalar(errors, *u, "a URL like https://sloguard.example.com")) {
      if (!text->starts_with("http://") && !text->starts_with("https://")) {
        errors.add(u->mark(), u->msg("expected an http:// or https:// URL, got \"" + *text + "\""));
      } else {
        std::string url = *text;
        while (!url.empty() && url.back() == '/') url.pop_back();
        cfg.external_url = url;
      }
    }
  }
  if (const Item* policies = f.get("policies")) {
    if (policies->node.IsNull()) return;
    if (!expect_list(errors, *policies, "a list of policies like {name: standard, tiers: [...]}")) return;
    for (size_t i = 0; i < policies->node.size(); ++i) {
      Item p = policies->element(i, policies->node[i]);
      if (!expect_map(errors, p, "a policy mapping with name and tiers")) continue;
      TierListSpec spec;
      spec.line = p.mark().line + 1;
      Fields pf(errors, p, {"name", "defaults", "notify", "tiers"});
      if (const Item* name = pf.require("name")) {
        if (auto text = read_scalar(errors, *name, "a policy name")) {
          if (check_name(errors, *name, *text)) spec.name = *text;
        }
      }
      parse_tier_list(errors, pf, ctx, spec);
      if (spec.name.empty()) continue;
      auto dup = std::find_if(ctx.policies.begin(), ctx.policies.end(),
                              [&](const TierListSpec& o) { return o.name == spec.name; });
      if (dup != ctx.policies.end()) {
        errors.add(p.mark(), p.msg("duplicate policy name \"" + spec.name + "\" (first at line " +
                                   std::to_string(dup->line) + ")"));
        continue;
      }
      ctx.policies.push_back(std::move(spec));
    }
  }
}

void parse_slo_alerting(ErrorSink& errors, const Item* item, const AlertingConfig& cfg, AlertingContext& ctx,
                        std::optional<int64_t> retention_ms, SloConfig& slo) {
  if (slo.window_ms <= 0) return;  // the window was not read; its error is already reported
  const int64_t window_ms = nominal_window_ms(slo);
  std::vector<AlertTier> tiers = builtin_alert_tiers(window_ms, cfg.min_events);
  std::vector<std::string> notify;
  if (item && !item->node.IsNull()) {
    if (!expect_map(errors, *item, "a mapping with policy, notify, tiers, enabled")) return;
    Fields f(errors, *item, {"enabled", "policy", "defaults", "notify", "tiers"});
    if (const Item* e = f.get("enabled")) {
      if (auto v = read_bool(errors, *e)) slo.alerting.enabled = *v;
    }
    TierListSpec inline_spec;
    parse_tier_list(errors, f, ctx, inline_spec);
    if (const Item* p = f.get("policy")) {
      if (auto name = read_scalar(errors, *p, "a policy name from alerting.policies")) {
        auto it = std::find_if(ctx.policies.begin(), ctx.policies.end(),
                               [&](const TierListSpec& o) { return o.name == *name; });
        if (it == ctx.policies.end()) {
          std::vector<std::string_view> names;
          for (const auto& o : ctx.policies) names.push_back(o.name);
          std::string m = "unknown alert policy \"" + *name + "\"";
          std::string_view close = closest_match(*name, names);
          if (!close.empty()) {
            m += "; did you mean \"" + std::string(close) + "\"?";
          } else {
            m += names.empty() ? "; no policies are defined (add them under alerting.policies)"
                               : "; policies are: " + join_names(names);
          }
          errors.add(p->mark(), p->msg(m));
        } else {
          slo.alerting.policy = it->name;
          if (!it->defaults) tiers.clear();
          apply_tier_list(errors, *it, window_ms, cfg, retention_ms, tiers);
          notify = it->notify;
        }
      }
    }
    if (!inline_spec.defaults) {
      if (f.get("policy")) {
        // The policy says whether it starts from the built-in tiers.
        errors.add(f.get("defaults")->key, item->msg("defaults applies only without policy (set defaults: false in "
                                                     "the policy, or list the SLO's own tiers without a policy)"));
      } else {
        tiers.clear();
      }
    }
    apply_tier_list(errors, inline_spec, window_ms, cfg, retention_ms, tiers);
    if (f.get("notify")) notify = inline_spec.notify;
  }
  for (AlertTier& t : tiers) {
    if (t.notify.empty()) t.notify = notify;
  }
  slo.alerting.tiers = std::move(tiers);
}

namespace {
void check_refs(ErrorSink& errors, const std::vector<NamedRef>& refs, const std::vector<std::string_view>& names,
                const std::string& what, const std::string& where) {
  for (const NamedRef& ref : refs) {
    if (std::find(names.begin(), names.end(), ref.name) != names.end()) continue;
    std::string m = ref.path + ": unknown " + what + " \"" + ref.name + "\"";
    std::string_view close = closest_match(ref.name, names);
    if (!close.empty()) {
      m += "; did you mean \"" + std::string(close) + "\"?";
    } else {
      m += names.empty() ? "; none are defined (add them under " + where + ")" : "; defined: " + join_names(names);
    }
    errors.add(ref.mark, m);
  }
}
}  // namespace

void check_alerting_refs(ErrorSink& errors, const AlertingContext& ctx, const Config& cfg) {
  std::vector<std::string_view> notifiers, hooks;
  for (const auto& n : cfg.notifiers) notifiers.push_back(n.name);
  for (const auto& h : cfg.release.hooks) hooks.push_back(h.name);
  check_refs(errors, ctx.notify_refs, notifiers, "notifier", "notifiers:");
  check_refs(errors, ctx.hook_refs, hooks, "rollback hook", "release.hooks");
}

}  // namespace sloguard::config::detail
