// The `budgeting:` of an SLO: occurrences (good/total events) or timeslices (good/total
// slices), as OpenSLO's budgetingMethod. Its defaults depend on the SLI kind.
#include <algorithm>

#include "sections.h"
#include "sloguard/common/units.h"

namespace sloguard::config::detail {
namespace {

constexpr int64_t kMinuteMs = 60 * 1000;

// Whole minutes dividing an hour, so slices line up with the minute and hour rollups.
bool divides_hour(int64_t ms) { return ms > 0 && ms % kMinuteMs == 0 && (60 * kMinuteMs) % ms == 0; }

// method: nullopt after reporting an unknown method.
std::optional<BudgetingMethod> parse_method(ErrorSink& errors, const Item& item) {
  static const std::vector<std::string_view> kMethods = {"occurrences", "timeslices"};
  auto text = read_scalar(errors, item, "a budgeting method (occurrences, timeslices)");
  if (!text) return std::nullopt;
  if (*text == "occurrences") return BudgetingMethod::kOccurrences;
  if (*text == "timeslices") return BudgetingMethod::kTimeslices;
  std::string_view suggestion = closest_match(*text, kMethods);
  errors.add(item.mark(),
             item.msg("unknown budgeting method \"" + *text + "\"; " +
                      (suggestion.empty() ? "expected one of: " + join_names(kMethods)
                                          : "did you mean \"" + std::string(suggestion) + "\"?")));
  return std::nullopt;
}

void parse_slice(ErrorSink& errors, const Item& item, const SloConfig& slo, BudgetingConfig& out) {
  auto ms = read_duration(errors, item);
  if (!ms) return;
  if (!divides_hour(*ms)) {
    errors.add(item.mark(),
               item.msg("slice must be whole minutes dividing an hour: 1m, 2m, 3m, 4m, 5m, 6m, 10m, "
                        "12m, 15m, 20m, 30m or 60m, got \"" +
                        item.node.Scalar() + "\""));
    return;
  }
  // Every slice of a rolling window is whole. Calendar windows are whole days.
  if (slo.window_kind == WindowKind::kRolling && slo.window_ms > 0 && slo.window_ms % *ms != 0) {
    errors.add(item.mark(), item.msg("slice " + format_duration_ms(*ms) + " does not divide the window " +
                                     slo.window_text));
    return;
  }
  out.slice_seconds = *ms / 1000;
}

void parse_slice_target(ErrorSink& errors, const Item& item, BudgetingConfig& out) {
  auto text = read_scalar(errors, item, "a ratio like 99% or 0.99");
  if (!text) return;
  Result<double> v = parse_ratio(*text);
  if (!v.ok()) {
    errors.add(item.mark(), item.msg(v.status().message()));
    return;
  }
  if (!(*v > 0 && *v <= 1)) {
    errors.add(item.mark(),
               item.msg("slice_target must be above 0 and at most 1 (100%), got \"" + *text + "\""));
    return;
  }
  out.slice_target = *v;
}

}  // namespace

void parse_budgeting(ErrorSink& errors, const Item* item, bool kind_known, SloConfig& slo) {
  BudgetingConfig& out = slo.budgeting;
  const bool percentile = kind_known && slo.sli.kind == SliKind::kPercentile;
  // A percentile can only be judged over some span: a slice.
  out.method = percentile ? BudgetingMethod::kTimeslices : BudgetingMethod::kOccurrences;
  bool method_known = true;
  bool target_given = false;
  if (item) {
    if (!expect_map(errors, *item, "a mapping with method, slice, slice_target")) return;
    Fields f(errors, *item, {"method", "slice", "slice_target"});
    if (const Item* method = f.get("method")) {
      std::optional<BudgetingMethod> m = parse_method(errors, *method);
      method_known = m.has_value();
      if (m == BudgetingMethod::kOccurrences && percentile) {
        errors.add(method->mark(), method->msg("percentile SLIs are judged per time slice: method must be "
                                               "timeslices (their default)"));
      } else if (m) {
        out.method = *m;
      }
    }
    const bool occurrences = method_known && out.method == BudgetingMethod::kOccurrences;
    if (const Item* slice = f.get("slice")) {
      if (occurrences) {
        errors.add(slice->key, item->msg("slice applies only to method timeslices"));
      } else {
        parse_slice(errors, *slice, slo, out);
      }
    }
    if (const Item* target = f.get("slice_target")) {
      target_given = true;
      if (percentile) {
        errors.add(target->key,
                   item->msg("slice_target does not apply to percentile SLIs: a slice is good when "
                             "its percentile is at most the SLI's target"));
      } else if (occurrences) {
        errors.add(target->key, item->msg("slice_target applies only to method timeslices"));
      } else {
        parse_slice_target(errors, *target, out);
      }
    }
  }
  if (out.method == BudgetingMethod::kTimeslices && !percentile && !target_given) {
    out.slice_target = slo.objective;
  }
}

}  // namespace sloguard::config::detail
