// The `slos:` section: objective, window and SLI of each SLO.
#include <algorithm>
#include <charconv>

#include "sections.h"
#include "sloguard/common/units.h"

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

void parse_window(ErrorSink& errors, const Item& item, std::optional<int64_t> retention_ms, SloConfig& out) {
  auto ms = read_duration(errors, item);
  if (!ms) return;
  const std::string text = item.node.Scalar();
  if (*ms <= 0) {
    errors.add(item.mark(), item.msg("window must be longer than 0, got \"" + text + "\""));
  } else if (*ms % kMinuteMs != 0) {
    errors.add(item.mark(), item.msg("window must be a whole number of minutes, got \"" + text + "\""));
  } else if (retention_ms && *ms > *retention_ms) {
    errors.add(item.mark(),
               item.msg("window " + format_duration_ms(*ms) + " is longer than storage.retention " +
                        format_duration_ms(*retention_ms) + "; the store would not hold a whole window"));
  } else {
    out.window_ms = *ms;
    out.window_text = format_duration_ms(*ms);
  }
}

// One entry of bad_status: a code 100..599 or a class "1xx".."5xx".
void parse_status(ErrorSink& errors, const Item& item, StatusMatcher& out) {
  constexpr std::string_view kWhat = "a status code 100..599 or a class like \"5xx\"";
  auto text = read_scalar(errors, item, kWhat);
  if (!text) return;
  const std::string& s = *text;
  if (s.size() == 3 && s[0] >= '1' && s[0] <= '5' && (s[1] == 'x' || s[1] == 'X') &&
      (s[2] == 'x' || s[2] == 'X')) {
    int cls = s[0] - '0';
    if (std::find(out.classes.begin(), out.classes.end(), cls) == out.classes.end()) {
      out.classes.push_back(cls);
    }
    return;
  }
  int code = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), code);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size() || code < 100 || code > 599) {
    errors.add(item.mark(), item.msg("expected " + std::string(kWhat) + ", got \"" + s + "\""));
    return;
  }
  if (std::find(out.codes.begin(), out.codes.end(), code) == out.codes.end()) out.codes.push_back(code);
}

void parse_sli(ErrorSink& errors, const Item& item, SliConfig& out) {
  if (!expect_map(errors, item, "a mapping with kind, bad_status, endpoint")) return;
  Fields f(errors, item, {"kind", "bad_status", "endpoint"});
  if (const Item* kind = f.get("kind")) {
    static const std::vector<std::string_view> kKinds = {"availability"};
    if (auto text = read_scalar(errors, *kind, "an SLI kind (availability)")) {
      if (*text == "availability") {
        out.kind = SliKind::kAvailability;
      } else {
        std::string_view suggestion = closest_match(*text, kKinds);
        errors.add(kind->mark(),
                   kind->msg("unknown SLI kind \"" + *text + "\"; " +
                             (suggestion.empty() ? "expected one of: " + join_names(kKinds)
                                                 : "did you mean \"" + std::string(suggestion) + "\"?")));
      }
    }
  }
  if (const Item* bad = f.get("bad_status")) {
    if (expect_list(errors, *bad, "a list of status codes or classes like [\"5xx\", 429]")) {
      if (bad->node.size() == 0) {
        // Nothing bad would make the SLO always met: surely not what was meant.
        errors.add(bad->mark(), bad->msg("must list at least one status code or class (default [\"5xx\"])"));
      }
      StatusMatcher matcher;
      for (size_t i = 0; i < bad->node.size(); ++i) {
        parse_status(errors, bad->element(i, bad->node[i]), matcher);
      }
      out.bad_status = std::move(matcher);
    }
  }
  if (const Item* endpoint = f.get("endpoint")) {
    if (auto text = read_scalar(errors, *endpoint, "an endpoint glob like \"/api/*\"")) out.endpoint = *text;
  }
}

// Reports problems and returns the SLO as far as it could be read.
SloConfig parse_slo(ErrorSink& errors, const Item& item, const std::vector<std::string>& service_names,
                    std::optional<int64_t> retention_ms) {
  SloConfig slo;
  Fields f(errors, item, {"name", "service", "objective", "window", "sli"});
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
  if (const Item* sli = f.get("sli")) parse_sli(errors, *sli, slo.sli);
  return slo;
}

}  // namespace

void parse_slos(ErrorSink& errors, const Item& item, const std::vector<std::string>& service_names,
                std::optional<int64_t> retention_ms, std::vector<SloConfig>& out) {
  if (item.node.IsNull()) return;  // "slos:" with every entry commented out
  if (!expect_list(errors, item, "a list of SLOs")) return;
  std::vector<int> lines;  // where each SLO in `out` starts, for duplicate messages
  for (size_t i = 0; i < item.node.size(); ++i) {
    Item s = item.element(i, item.node[i]);
    if (!expect_map(errors, s, "an SLO mapping with name, service, objective, window, sli")) continue;
    SloConfig slo = parse_slo(errors, s, service_names, retention_ms);
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
