// The `sli:` of an SLO: its kind and the keys of that kind (bad_status for availability,
// threshold for latency, percentile and target for percentile, probe for probe; endpoint for
// every kind but probe; prometheus for every kind but percentile). An SLO with a source (a
// datasource) reads its SLI from prometheus, which it then requires (for percentile: its
// histogram); its kind cannot be probe, nor can it take endpoint.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <tuple>

#include "remote_write_match.h"
#include "sections.h"
#include "sloguard/common/units.h"

namespace sloguard::config::detail {
namespace {

// Thresholds and targets are at most 1h: ingest counts events against thresholds kept as
// uint32 microseconds (1h is 3.6e9us), and a request latency objective beyond an hour is a typo.
constexpr double kMaxLatencyUs = 3600.0 * 1e6;

std::string kind_name(SliKind k) {
  switch (k) {
    case SliKind::kAvailability: return "availability";
    case SliKind::kLatency: return "latency";
    case SliKind::kPercentile: return "percentile";
    case SliKind::kProbe: return "probe";
  }
  return "unknown";
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

void parse_bad_status(ErrorSink& errors, const Item& bad, StatusMatcher& out) {
  if (!expect_list(errors, bad, "a list of status codes or classes like [\"5xx\", 429]")) return;
  if (bad.node.size() == 0) {
    // Nothing bad would make the SLO always met: surely not what was meant.
    errors.add(bad.mark(), bad.msg("must list at least one status code or class (default [\"5xx\"])"));
  }
  StatusMatcher matcher;
  for (size_t i = 0; i < bad.node.size(); ++i) parse_status(errors, bad.element(i, bad.node[i]), matcher);
  out = std::move(matcher);
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::optional<double> parse_latency_us(std::string_view text) {
  struct Unit {
    std::string_view name;
    double us;
  };
  // Longer names first, so "ms" is not read as "m" followed by "s".
  static constexpr Unit kUnits[] = {{"ms", 1e3},   {"us", 1},   {"\xC2\xB5s", 1}, {"\xCE\xBCs", 1},
                                    {"h", 3600e6}, {"m", 60e6}, {"s", 1e6}};
  if (text.empty()) return std::nullopt;
  double total = 0;
  double last_unit = 1e300;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && (is_digit(text[i]) || text[i] == '.')) ++i;
    double n = 0;
    auto [ptr, ec] = std::from_chars(text.data() + start, text.data() + i, n);
    if (i == start || ec != std::errc() || ptr != text.data() + i) return std::nullopt;
    const Unit* unit = nullptr;
    for (const auto& u : kUnits) {
      if (text.substr(i, u.name.size()) == u.name) {
        unit = &u;
        break;
      }
    }
    if (!unit || unit->us >= last_unit) return std::nullopt;
    i += unit->name.size();
    last_unit = unit->us;
    total += n * unit->us;
  }
  return total;
}

namespace {

// A latency in whole microseconds, rounded to the nearest (finer precision is not kept),
// at least 1us and at most 1h. nullopt after reporting.
std::optional<int64_t> read_latency_us(ErrorSink& errors, const Item& item) {
  auto text = read_scalar(errors, item, "a latency like 500ms, 1.5s or 250us");
  if (!text) return std::nullopt;
  std::optional<double> us = parse_latency_us(*text);
  if (!us) {
    std::string m =
        "invalid latency \"" + *text + "\": expected e.g. 500ms, 1.5s or 250us (units us, ms, s, m, h)";
    const bool bare_number = !text->empty() && std::all_of(text->begin(), text->end(),
                                                           [](char c) { return is_digit(c) || c == '.'; });
    if (bare_number) m += "; a bare number has no unit: did you mean \"" + *text + "ms\"?";
    errors.add(item.mark(), item.msg(m));
    return std::nullopt;
  }
  if (*us <= 0) {
    errors.add(item.mark(), item.msg("must be longer than 0, got \"" + *text + "\""));
    return std::nullopt;
  }
  if (*us > kMaxLatencyUs) {
    errors.add(item.mark(),
               item.msg("must be at most " + format_duration_ms(static_cast<int64_t>(kMaxLatencyUs / 1000)) +
                        ", got \"" + *text + "\""));
    return std::nullopt;
  }
  int64_t rounded = std::llround(*us);
  if (rounded < 1) {
    errors.add(item.mark(),
               item.msg("must be at least 1us (finer precision is not kept), got \"" + *text + "\""));
    return std::nullopt;
  }
  return rounded;
}

// 99, 99.9, "p99", "p99.9": strictly between 0 and 100.
void parse_percentile(ErrorSink& errors, const Item& item, SliConfig& out) {
  constexpr std::string_view kWhat = "a percentile like 99, 99.9 or \"p99\"";
  auto text = read_scalar(errors, item, kWhat);
  if (!text) return;
  std::string_view num = *text;
  if (!num.empty() && (num[0] == 'p' || num[0] == 'P')) num.remove_prefix(1);
  double p = 0;
  auto [ptr, ec] = std::from_chars(num.data(), num.data() + num.size(), p);
  // from_chars would also take "-5", "inf" and "1e2"; a percentile is written plainly.
  bool plain =
      !num.empty() && std::all_of(num.begin(), num.end(), [](char c) { return is_digit(c) || c == '.'; });
  if (!plain || ec != std::errc() || ptr != num.data() + num.size()) {
    errors.add(item.mark(), item.msg("expected " + std::string(kWhat) + ", got \"" + *text + "\""));
    return;
  }
  if (!(p > 0 && p < 100)) {
    errors.add(item.mark(), item.msg("percentile must be strictly between 0 and 100, got \"" + *text + "\""));
    return;
  }
  out.percentile = p;
}

std::string bad_status_hint(SliKind kind) {
  switch (kind) {
    case SliKind::kLatency: return "a latency SLI counts events slower than its threshold as bad";
    case SliKind::kPercentile: return "a percentile SLI judges pNN per time slice";
    case SliKind::kProbe:
      return "a probe SLI counts failed probes as bad (a probe's expect_status says which statuses pass)";
    case SliKind::kAvailability: break;
  }
  return "";
}

// probe: a probe of the SLO's service. Not checked when that service is unknown ("").
void parse_probe_name(ErrorSink& errors, const Item& item, const std::string& service,
                      const std::vector<ProbeRef>& probes, SliConfig& out) {
  auto text = read_scalar(errors, item, "a probe name");
  if (!text) return;
  if (text->empty()) {
    errors.add(item.mark(), item.msg("must not be empty (leave probe out for every probe of the service)"));
    return;
  }
  if (service.empty()) return;
  std::vector<std::string_view> own;  // the service's probes
  for (const ProbeRef& p : probes) {
    if (p.service == service && !p.name.empty()) own.push_back(p.name);
  }
  if (std::find(own.begin(), own.end(), *text) != own.end()) {
    out.probe = *text;
    return;
  }
  std::string m = "unknown probe \"" + *text + "\" for service " + service;
  auto elsewhere =
      std::find_if(probes.begin(), probes.end(), [&](const ProbeRef& p) { return p.name == *text; });
  std::string_view suggestion = closest_match(*text, own);
  if (elsewhere != probes.end() && !elsewhere->service.empty()) {
    m += "; it belongs to service " + elsewhere->service;
  } else if (!suggestion.empty()) {
    m += "; did you mean \"" + std::string(suggestion) + "\"?";
  } else if (own.empty()) {
    m += "; it has no probes (add them under its probes:)";
  } else {
    m += "; its probes are: " + join_names(own);
  }
  errors.add(item.mark(), item.msg(m));
}

// Where a query's value is written, for `sloguard validate --check-sources`.
TextPos text_pos(const ErrorSink& errors, const Item& item) {
  const YAML::Mark m = item.node.Mark();
  if (m.is_null()) return TextPos{errors.file(), 0, 0};
  return TextPos{errors.file(), m.line + 1, m.column + 1};
}

// What sli.prometheus holds: two of good, bad, total (availability and latency SLIs), or,
// for a percentile SLI read from a datasource, the histogram alone.
enum class PromShape { kRatio, kHistogram };

// prometheus: {good, bad, total, histogram, group_label, version_label}. For kRatio exactly
// two of good, bad, total; for kHistogram, histogram and none of them. Each query is a
// non-empty PromQL text; the PromQL itself is checked by promtool on the exported rules and
// by `sloguard validate --check-sources` against the datasource, not here.
void parse_prometheus(ErrorSink& errors, const Item& item, PromShape shape, PrometheusSliQueries& out) {
  const std::string what =
      shape == PromShape::kRatio
          ? "a mapping with two of good, bad, total (PromQL counter selectors, e.g. "
            "http_requests_total{job=\"checkout\"})"
          : "a mapping with histogram (a classic histogram's bucket selector, e.g. "
            "http_request_duration_seconds_bucket{job=\"checkout\"})";
  if (!expect_map(errors, item, what)) return;
  Fields f(errors, item, {"good", "bad", "total", "histogram", "group_label", "version_label"});
  const size_t errors_before = errors.size();
  PrometheusSliQueries q;
  // A non-empty query into dest and where it is written into pos; reports otherwise.
  auto read_query = [&](const Item& v, std::string& dest, TextPos& pos) {
    auto text = read_scalar(errors, v, "a PromQL selector or expression");
    if (!text) return;
    if (text->find_first_not_of(" \t\n") == std::string::npos) {
      errors.add(v.mark(), v.msg("must not be empty"));
      return;
    }
    dest = *text;
    pos = text_pos(errors, v);
  };
  int given = 0;
  for (auto [key, dest, pos] : {std::tuple{"good", &q.good, &q.good_pos}, std::tuple{"bad", &q.bad, &q.bad_pos},
                                std::tuple{"total", &q.total, &q.total_pos}}) {
    const Item* v = f.get(key);
    if (!v) continue;
    if (shape == PromShape::kHistogram) {
      // A percentile judged per slice is not a ratio of two counters.
      errors.add(v->key, item.msg(std::string(key) + " does not apply to kind percentile: its pNN is judged per "
                                                     "slice from histogram (histogram_quantile of the buckets)"));
      continue;
    }
    ++given;
    read_query(*v, *dest, *pos);
  }
  if (const Item* h = f.get("histogram")) {
    read_query(*h, q.histogram, q.histogram_pos);
  } else if (shape == PromShape::kHistogram) {
    errors.add(item.mark(), item.msg("missing required key \"histogram\" (a percentile SLI read from a "
                                     "datasource takes its pNN from a classic histogram's buckets, e.g. "
                                     "http_request_duration_seconds_bucket{job=\"checkout\"})"));
  }
  for (auto [key, dest] : {std::pair{"group_label", &q.group_label}, std::pair{"version_label", &q.version_label}}) {
    if (const Item* v = f.get(key)) {
      if (auto name = read_label_name(errors, *v)) *dest = *name;
    }
  }
  if (shape == PromShape::kRatio && given != 2) {
    errors.add(item.mark(), item.msg("needs exactly two of good, bad, total (the third follows from them), got " +
                                     std::to_string(given)));
    return;
  }
  if (errors.size() != errors_before) return;
  out = std::move(q);
}

bool parse_kind(ErrorSink& errors, const Item& kind, SliKind& out) {
  static const std::vector<std::string_view> kKinds = {"availability", "latency", "percentile", "probe"};
  auto text = read_scalar(errors, kind, "an SLI kind (availability, latency, percentile, probe)");
  if (!text) return false;
  if (*text == "availability") {
    out = SliKind::kAvailability;
  } else if (*text == "latency") {
    out = SliKind::kLatency;
  } else if (*text == "percentile") {
    out = SliKind::kPercentile;
  } else if (*text == "probe") {
    out = SliKind::kProbe;
  } else {
    std::string_view suggestion = closest_match(*text, kKinds);
    errors.add(kind.mark(),
               kind.msg("unknown SLI kind \"" + *text + "\"; " +
                        (suggestion.empty() ? "expected one of: " + join_names(kKinds)
                                            : "did you mean \"" + std::string(suggestion) + "\"?")));
    return false;
  }
  return true;
}

}  // namespace

bool parse_sli(ErrorSink& errors, const Item& item, const std::string& service,
               const std::vector<ProbeRef>& probes, std::string_view source, SliConfig& out) {
  if (!expect_map(errors, item,
                  "a mapping with kind and its keys (bad_status, threshold, percentile, target, endpoint, "
                  "probe)")) {
    return false;
  }
  Fields f(errors, item,
           {"kind", "bad_status", "threshold", "percentile", "target", "endpoint", "probe", "prometheus"});
  bool kind_known = true;  // absent means availability
  if (const Item* kind = f.get("kind")) kind_known = parse_kind(errors, *kind, out.kind);

  // A key of another kind is reported, not read: its value is beside the point. With an
  // unknown kind every key is read, so its own mistakes are found in the same pass.
  auto belongs = [&](const Item& key, SliKind owner, std::string_view hint) {
    if (!kind_known || out.kind == owner) return true;
    std::string m = key.path.substr(key.path.rfind('.') + 1) + " applies only to kind " + kind_name(owner) +
                    ", not " + kind_name(out.kind);
    if (!hint.empty()) m += "; " + std::string(hint);
    errors.add(key.key, item.msg(m));
    return false;
  };
  auto required = [&](std::string_view key) {
    if (!kind_known || f.get(key)) return;
    errors.add(item.mark(), item.msg("missing required key \"" + std::string(key) + "\" (kind " +
                                     kind_name(out.kind) + ")"));
  };

  if (const Item* bad = f.get("bad_status")) {
    if (belongs(*bad, SliKind::kAvailability, bad_status_hint(out.kind))) {
      parse_bad_status(errors, *bad, out.bad_status);
    }
  }
  if (const Item* threshold = f.get("threshold")) {
    if (belongs(*threshold, SliKind::kLatency,
                out.kind == SliKind::kPercentile ? "a percentile SLI takes target" : "set kind: latency")) {
      if (auto us = read_latency_us(errors, *threshold)) out.threshold_ms = *us / 1000.0;
    }
  }
  if (const Item* percentile = f.get("percentile")) {
    if (belongs(*percentile, SliKind::kPercentile, "set kind: percentile"))
      parse_percentile(errors, *percentile, out);
  }
  if (const Item* target = f.get("target")) {
    if (belongs(*target, SliKind::kPercentile,
                out.kind == SliKind::kLatency ? "a latency SLI takes threshold" : "set kind: percentile")) {
      if (auto us = read_latency_us(errors, *target)) out.target_ms = *us / 1000.0;
    }
  }
  if (out.kind == SliKind::kLatency) required("threshold");
  if (out.kind == SliKind::kPercentile) {
    required("percentile");
    required("target");
  }
  const bool sourced = !source.empty();
  // Probe results live only in sloguard's own store.
  const bool probe_from_source = sourced && kind_known && out.kind == SliKind::kProbe;
  if (probe_from_source) {
    const Item* kind = f.get("kind");
    errors.add(kind->mark(), kind->msg("kind probe cannot be read from a datasource (source " + std::string(source) +
                                       "): probe SLIs read sloguard's own probe results; with a datasource use "
                                       "kind availability with prometheus queries"));
  }
  if (const Item* endpoint = f.get("endpoint")) {
    if (sourced) {
      errors.add(endpoint->key, item.msg("endpoint filters the embedded store's events and does not apply with "
                                         "source " + std::string(source) + ": put the label matcher into the "
                                         "prometheus queries instead (e.g. handler=~\"/api/.*\")"));
    } else if (kind_known && out.kind == SliKind::kProbe) {
      // Probe results have no endpoint: a probe's URL is its endpoint.
      errors.add(endpoint->key, item.msg("endpoint does not apply to kind probe; to judge one probe alone, "
                                         "name it with probe"));
    } else if (auto text = read_scalar(errors, *endpoint, "an endpoint glob like \"/api/*\"")) {
      out.endpoint = *text;
    }
  }
  if (const Item* probe = f.get("probe")) {
    if (belongs(*probe, SliKind::kProbe, "set kind: probe")) {
      parse_probe_name(errors, *probe, service, probes, out);
    }
  } else if (kind_known && out.kind == SliKind::kProbe && !probe_from_source && !service.empty() &&
             std::none_of(probes.begin(), probes.end(),
                          [&](const ProbeRef& p) { return p.service == service; })) {
    // Without probes the SLI would never have data.
    const Item* kind = f.get("kind");
    errors.add(kind->mark(), kind->msg("service " + service + " has no probes; add one under its probes:"));
  }
  const bool percentile = kind_known && out.kind == SliKind::kPercentile;
  if (const Item* prom = f.get("prometheus")) {
    if (percentile && !sourced) {
      // A percentile judged per slice is not a ratio of two counters.
      errors.add(prom->key, item.msg("prometheus does not apply to kind percentile; express it as kind latency "
                                     "(good = requests within the threshold) to export it (with a source, "
                                     "prometheus takes the histogram alone)"));
    } else {
      parse_prometheus(errors, *prom, percentile ? PromShape::kHistogram : PromShape::kRatio, out.prometheus);
    }
  } else if (sourced && kind_known && !probe_from_source) {
    errors.add(item.mark(), item.msg("missing required key \"prometheus\" (source " + std::string(source) +
                                     " reads the SLI from Prometheus queries: " +
                                     (percentile ? "histogram, the bucket selector)"
                                                 : "two of good, bad, total)")));
  }
  return kind_known;
}

}  // namespace sloguard::config::detail
