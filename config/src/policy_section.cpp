// The `budget_policy:` section: tiers of remaining error budget, highest first.
#include <algorithm>
#include <limits>

#include "sections.h"
#include "sloguard/common/units.h"

namespace sloguard::config::detail {
namespace {

constexpr double kMinusInf = -std::numeric_limits<double>::infinity();

bool is_minus_inf(std::string_view s) {
  return s == "-inf" || s == "-Inf" || s == "-INF" || s == "-.inf" || s == "-.Inf" || s == "-.INF";
}

std::optional<double> parse_min_remaining(ErrorSink& errors, const Item& item) {
  auto text = read_scalar(errors, item, "a percentage like 75%, a fraction like 0.75, or -inf");
  if (!text) return std::nullopt;
  if (is_minus_inf(*text)) return kMinusInf;
  Result<double> v = parse_ratio(*text);
  if (!v.ok()) {
    errors.add(item.mark(), item.msg("expected a percentage like 75%, a fraction like 0.75, or -inf, got \"" +
                                     *text + "\""));
    return std::nullopt;
  }
  if (*v > 1) {
    // The remaining budget is at most 100%, so the tier could never apply.
    errors.add(item.mark(), item.msg("min_remaining must be at most 100%, got \"" + *text + "\""));
    return std::nullopt;
  }
  return *v;
}

struct ParsedTier {
  PolicyTier tier;
  bool complete = false;
  int line = 0;
};

ParsedTier parse_tier(ErrorSink& errors, const Item& item) {
  ParsedTier out;
  out.line = item.mark().line + 1;
  if (!expect_map(errors, item, "a tier like {min_remaining: 75%, status: normal}")) return out;
  const size_t errors_before = errors.size();
  Fields f(errors, item, {"min_remaining", "status", "block_releases"});
  if (const Item* min = f.require("min_remaining")) {
    if (auto v = parse_min_remaining(errors, *min)) out.tier.min_remaining = *v;
  }
  if (const Item* status = f.require("status")) {
    if (auto text = read_scalar(errors, *status, "a status name like normal")) {
      if (text->empty()) {
        errors.add(status->mark(), status->msg("must not be empty"));
      }
      out.tier.status = *text;
    }
  }
  if (const Item* block = f.get("block_releases")) {
    if (auto value = read_bool(errors, *block)) out.tier.block_releases = *value;
  }
  out.complete = errors.size() == errors_before;
  return out;
}

}  // namespace

void parse_budget_policy(ErrorSink& errors, const Item& item, std::vector<PolicyTier>& out) {
  const std::string kLastTier = "the last tier must have min_remaining: -inf so every budget has a status";
  if (item.node.IsNull() || (item.node.IsSequence() && item.node.size() == 0)) {
    errors.add(item.mark(), item.msg("must list at least one tier (leave budget_policy out for the "
                                     "default); " +
                                     kLastTier));
    return;
  }
  if (!expect_list(errors, item, "a list of tiers like {min_remaining: 75%, status: normal}")) return;
  std::vector<ParsedTier> tiers;
  bool all_complete = true;
  for (size_t i = 0; i < item.node.size(); ++i) {
    Item t = item.element(i, item.node[i]);
    ParsedTier parsed = parse_tier(errors, t);
    for (const ParsedTier& earlier : tiers) {
      if (!parsed.tier.status.empty() && earlier.tier.status == parsed.tier.status) {
        errors.add(t.mark(), t.msg("duplicate status \"" + parsed.tier.status + "\" (first at line " +
                                   std::to_string(earlier.line) + ")"));
        parsed.complete = false;
      } else if (parsed.complete && earlier.complete &&
                 earlier.tier.min_remaining == parsed.tier.min_remaining) {
        errors.add(t.mark(), t.msg("two tiers with the same min_remaining (\"" + earlier.tier.status +
                                   "\" at line " + std::to_string(earlier.line) + ")"));
        parsed.complete = false;
      }
    }
    all_complete = all_complete && parsed.complete;
    tiers.push_back(std::move(parsed));
  }
  if (!all_complete) return;  // the -inf check below would only repeat an earlier error
  std::stable_sort(tiers.begin(), tiers.end(), [](const ParsedTier& a, const ParsedTier& b) {
    return a.tier.min_remaining > b.tier.min_remaining;
  });
  if (tiers.back().tier.min_remaining != kMinusInf) {
    errors.add(item.key.is_null() ? item.mark() : item.key, item.msg(kLastTier));
    return;
  }
  out.clear();
  for (ParsedTier& t : tiers) out.push_back(std::move(t.tier));
}

}  // namespace sloguard::config::detail
