// release.verification: the continuous verification rules and the end-of-period judgment.
#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "release_fields.h"
#include "sections.h"
#include "sloguard/common/units.h"

namespace sloguard::config {
namespace detail {
namespace {

constexpr std::string_view kRuleExample = "a rule like {name: errors-1m, metric: error_ratio, max: 10%, window: 1m}";

const std::vector<std::string_view> kMetricNames = {"error_ratio", "p95_ratio", "p95", "probe_failures"};

std::optional<VerificationMetric> read_metric(ErrorSink& errors, const Item& item) {
  auto text = read_scalar(errors, item, "a metric: error_ratio, p95_ratio, p95 or probe_failures");
  if (!text) return std::nullopt;
  for (VerificationMetric m : {VerificationMetric::kErrorRatio, VerificationMetric::kP95Ratio, VerificationMetric::kP95,
                               VerificationMetric::kProbeFailures}) {
    if (*text == verification_metric_name(m)) return m;
  }
  std::string_view suggestion = closest_match(*text, kMetricNames);
  errors.add(item.mark(), item.msg("unknown metric \"" + *text + "\"; " +
                                   (suggestion.empty() ? "expected one of: " + join_names(kMetricNames)
                                                       : "did you mean \"" + std::string(suggestion) + "\"?")));
  return std::nullopt;
}

// The limit of a window-based rule, in the metric's unit: a ratio, a factor or milliseconds.
std::optional<double> read_rule_max(ErrorSink& errors, const Item& item, VerificationMetric metric) {
  auto fail = [&](std::string_view what, const std::string& text) -> std::optional<double> {
    errors.add(item.mark(), item.msg("expected " + std::string(what) + ", got \"" + text + "\""));
    return std::nullopt;
  };
  auto plain_number = [](const std::string& text) -> std::optional<double> {
    char* end = nullptr;
    double v = std::strtod(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v)) return std::nullopt;
    return v;
  };
  switch (metric) {
    case VerificationMetric::kErrorRatio: {
      constexpr std::string_view kWhat = "an error ratio above 0% and at most 100%, like 10% or 0.1";
      auto text = read_scalar(errors, item, kWhat);
      if (!text) return std::nullopt;
      Result<double> v = parse_ratio(*text);
      if (!v.ok() || !(*v > 0 && *v <= 1)) return fail(kWhat, *text);
      return *v;
    }
    case VerificationMetric::kP95Ratio: {
      constexpr std::string_view kWhat = "a factor of the baseline's p95 above 0, like 2";
      auto text = read_scalar(errors, item, kWhat);
      if (!text) return std::nullopt;
      std::optional<double> v = plain_number(*text);
      if (!v || !(*v > 0 && *v <= 1e6)) return fail(kWhat, *text);
      return *v;
    }
    case VerificationMetric::kP95: {
      constexpr std::string_view kWhat =
          "a latency above 0 and at most 1h, like 500ms or 1.5s, or a number of milliseconds";
      auto text = read_scalar(errors, item, kWhat);
      if (!text) return std::nullopt;
      std::optional<double> ms = plain_number(*text);
      if (!ms) {
        if (auto us = parse_latency_us(*text)) ms = *us / 1000;
      }
      if (!ms || !(*ms > 0 && *ms <= 3600e3)) return fail(kWhat, *text);
      return *ms;
    }
    case VerificationMetric::kProbeFailures: break;
  }
  return std::nullopt;
}

// A rule as written: `rule` when valid, and its name ("" when it cannot be known) with where a
// duplicate of it is reported.
struct ParsedRule {
  std::optional<VerificationRule> rule;
  std::string name;
  YAML::Mark name_mark;
  bool default_name = true;
};

ParsedRule parse_rule(ErrorSink& errors, const Item& item) {
  ParsedRule out;
  if (!expect_map(errors, item, kRuleExample)) return out;
  const size_t before = errors.size();
  Fields f(errors, item, {"name", "metric", "max", "window", "min_requests", "failures_allowed",
                          "consecutive_failures"});
  VerificationRule r;
  out.name_mark = item.mark();
  if (const Item* name = f.get("name")) {
    out.default_name = false;
    out.name_mark = name->mark();
    if (auto text = read_scalar(errors, *name, "a rule name")) {
      out.name = *text;
      if (check_name(errors, *name, *text)) r.name = *text;
    }
  }
  std::optional<VerificationMetric> metric;
  if (const Item* m = f.require("metric")) metric = read_metric(errors, *m);
  if (metric) r.metric = *metric;
  const bool probes = metric == VerificationMetric::kProbeFailures;
  // Keys that do not apply to the metric: a rule that says what it cannot do is a mistake.
  if (metric) {
    for (std::string_view key : {"max", "window", "min_requests", "failures_allowed", "consecutive_failures"}) {
      const Item* k = f.get(key);
      const bool applies = (key == "consecutive_failures") == probes;
      if (!k || applies) continue;
      errors.add(k->key, k->msg(probes ? "does not apply to metric probe_failures, which fails after "
                                         "consecutive_failures failed probes in a row"
                                       : "applies only to metric probe_failures"));
    }
  }
  if (metric && !probes) {
    if (const Item* m = f.require("max")) {
      if (auto v = read_rule_max(errors, *m, *metric)) r.max = *v;
    }
  }
  if (const Item* w = f.get("window"); w && !probes) {
    if (auto ms = read_duration(errors, *w)) {
      if (*ms % 60000 != 0 || *ms < 60000 || *ms > 86400000) {
        errors.add(w->mark(), w->msg("must be whole minutes from 1m to 24h, got \"" + w->node.Scalar() + "\""));
      } else {
        r.window_ms = *ms;
      }
    }
  }
  if (const Item* m = f.get("min_requests"); m && !probes) {
    if (auto v = read_count(errors, *m, 1, 1000000000)) r.min_requests = static_cast<uint64_t>(*v);
  }
  if (const Item* a = f.get("failures_allowed"); a && !probes) {
    if (auto v = read_count(errors, *a, 0, 1000000)) r.failures_allowed = *v;
  }
  if (const Item* c = f.get("consecutive_failures"); c && probes) {
    // At most 64: the daemon keeps the last 64 failures of each probe.
    if (auto v = read_count(errors, *c, 1, 64)) r.consecutive_failures = *v;
  }
  if (errors.size() != before || !metric) return out;
  if (out.default_name) {
    r.name = probes ? "probes"
                    : std::string(verification_metric_name(r.metric)) + "-" + format_duration_ms(r.window_ms);
    out.name = r.name;
  }
  out.rule = std::move(r);
  return out;
}

// `rules:`, replacing `out` when every rule is valid. [] turns the continuous checks off.
void parse_rules(ErrorSink& errors, const Item& item, std::vector<VerificationRule>& out) {
  if (!expect_list(errors, item, "a list of rules like [{name: errors-1m, metric: error_ratio, max: 10%, window: 1m}]"
                                 " ([] turns the checks off)")) {
    return;
  }
  const size_t before = errors.size();
  std::vector<VerificationRule> rules;
  std::vector<std::pair<std::string, int>> seen;  // every name known, valid rule or not, and its line
  for (size_t i = 0; i < item.node.size(); ++i) {
    Item e = item.element(i, item.node[i]);
    ParsedRule p = parse_rule(errors, e);
    if (p.name.empty()) continue;
    auto same = std::find_if(seen.begin(), seen.end(), [&](const auto& s) { return s.first == p.name; });
    if (same != seen.end()) {
      std::string m = "duplicate rule name \"" + p.name + "\" (first at line " + std::to_string(same->second) + ")";
      if (p.default_name) {
        m += "; a rule without a name is named <metric>-<window> (probes for probe_failures): give it one";
      }
      errors.add(p.name_mark, e.msg(m));
      continue;
    }
    seen.emplace_back(p.name, e.mark().line + 1);
    if (p.rule) rules.push_back(std::move(*p.rule));
  }
  if (errors.size() == before) out = std::move(rules);
}

}  // namespace

void parse_verification(ErrorSink& errors, const Item& item, VerificationConfig& out) {
  if (!expect_map(errors, item,
                  "a mapping with enabled, period, rules, min_requests, max_error_ratio, max_error_ratio_factor, "
                  "max_p95_factor, min_baseline_error_ratio")) {
    return;
  }
  Fields f(errors, item,
           {"enabled", "period", "rules", "min_requests", "max_error_ratio", "max_error_ratio_factor",
            "max_p95_factor", "min_baseline_error_ratio"});
  if (const Item* r = f.get("rules")) parse_rules(errors, *r, out.rules);
  if (const Item* e = f.get("enabled")) {
    if (auto v = read_bool(errors, *e)) out.enabled = *v;
  }
  if (const Item* p = f.get("period")) {
    if (auto ms = read_positive_duration(errors, *p)) {
      if (*ms % 60000 != 0) {
        errors.add(p->mark(), p->msg("must be whole minutes (the bucket resolution), got \"" + p->node.Scalar() + "\""));
      } else {
        out.period_ms = *ms;
      }
    }
  }
  if (const Item* m = f.get("min_requests")) {
    if (auto v = read_number(errors, *m, 0, 1e15, "a whole number of requests >= 0")) {
      out.min_requests = static_cast<uint64_t>(*v);
    }
  }
  if (const Item* r = f.get("max_error_ratio")) {
    if (auto v = read_ratio_item(errors, *r)) out.max_error_ratio = *v;
  }
  if (const Item* r = f.get("max_error_ratio_factor")) {
    if (auto v = read_number(errors, *r, 0, 1e6, "a factor >= 0 like 2 (0 turns the rule off)")) {
      out.max_error_ratio_factor = *v;
    }
  }
  if (const Item* r = f.get("max_p95_factor")) {
    if (auto v = read_number(errors, *r, 0, 1e6, "a factor >= 0 like 2 (0 turns the rule off)")) out.max_p95_factor = *v;
  }
  if (const Item* r = f.get("min_baseline_error_ratio")) {
    if (auto v = read_ratio_item(errors, *r)) out.min_baseline_error_ratio = *v;
  }
}

}  // namespace detail
}  // namespace sloguard::config
