// The `remote_write:` section: which Prometheus remote_write series feed which sloguard
// series. A list of mappings, or a mapping with mappings, ha and the limits. Matchers are read
// in remote_write_match.cpp. Histogram buckets are checked against the latency SLOs they feed,
// so this section is read after slos.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>

#include "release_fields.h"
#include "remote_write_match.h"
#include "sections.h"

namespace sloguard::config::detail {
namespace {

constexpr std::string_view kMappingExample =
    "a mapping like {metric: http_requests_total, service_label: job, status_label: code} or "
    "{histogram: http_request_duration_seconds, service: checkout}";

// The value of `key` in mapping `map`, or nullopt (no duplicate or unknown-key reports: the
// section's own reader made those).
std::optional<Item> find_value(const Item& map, std::string_view key) {
  if (!map.node.IsMap()) return std::nullopt;
  for (auto it = map.node.begin(); it != map.node.end(); ++it) {
    const YAML::Node k = it->first;
    if (k.IsScalar() && k.Scalar() == key) return map.child(key, it->second, k.Mark());
  }
  return std::nullopt;
}

// A plain whole number >= min (no sign, no fraction); nullopt after reporting.
std::optional<size_t> read_count(ErrorSink& errors, const Item& item, uint64_t min, std::string_view what) {
  auto text = read_scalar(errors, item, what);
  if (!text) return std::nullopt;
  uint64_t v = 0;
  const char* end = text->data() + text->size();
  auto [ptr, ec] = std::from_chars(text->data(), end, v);
  const bool digits =
      !text->empty() && std::all_of(text->begin(), text->end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits || ec != std::errc() || ptr != end || v < min || v > std::numeric_limits<size_t>::max()) {
    errors.add(item.mark(), item.msg("expected " + std::string(what) + ", got \"" + *text + "\""));
    return std::nullopt;
  }
  return static_cast<size_t>(v);
}

void report_unknown_service(ErrorSink& errors, const Item& at, const std::string& name,
                            const std::vector<std::string>& service_names, std::string m) {
  std::vector<std::string_view> names(service_names.begin(), service_names.end());
  std::string_view suggestion = closest_match(name, names);
  if (!suggestion.empty()) {
    m += "; did you mean \"" + std::string(suggestion) + "\"?";
  } else if (names.empty()) {
    m += "; no services are defined (add it under services:)";
  } else {
    m += "; services are: " + join_names(names);
  }
  errors.add(at.mark(), at.msg(m));
}

bool is_infinity(std::string_view s) {
  std::string t(s);
  std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return std::tolower(c); });
  return t == "+inf" || t == "inf" || t == ".inf" || t == "+.inf";
}

// `buckets:` — positive finite bounds in seconds, strictly ascending; +Inf may end the list.
void parse_buckets(ErrorSink& errors, const Item& item, std::vector<double>& out) {
  if (!expect_list(errors, item, "a list of bucket bounds in seconds like [0.05, 0.1, 0.25, 0.5, 1]")) return;
  std::vector<double> bounds;
  bool ok = true;
  bool inf = false;
  for (size_t i = 0; i < item.node.size(); ++i) {
    Item e = item.element(i, item.node[i]);
    auto text = read_scalar(errors, e, "a bucket bound in seconds like 0.25");
    if (!text) {
      ok = false;
      continue;
    }
    if (inf) {
      errors.add(e.mark(), e.msg("+Inf must be the last bound"));
      ok = false;
      break;
    }
    if (is_infinity(*text)) {
      inf = true;  // every histogram has it; nothing to check
      continue;
    }
    char* end = nullptr;
    const double v = std::strtod(text->c_str(), &end);
    if (text->empty() || end != text->c_str() + text->size() || !std::isfinite(v) || v <= 0) {
      errors.add(e.mark(), e.msg("expected a positive number of seconds like 0.25 (or +Inf), got \"" + *text + "\""));
      ok = false;
      continue;
    }
    if (!bounds.empty() && v <= bounds.back()) {
      errors.add(e.mark(), e.msg("bucket bounds must be strictly ascending: " + *text + " comes after " +
                                 item.node[i - 1].Scalar()));
      ok = false;
      continue;
    }
    bounds.push_back(v);
  }
  if (!ok) return;
  if (bounds.empty()) {
    errors.add(item.mark(), item.msg("must list at least one finite bound (leave buckets out to not check them)"));
    return;
  }
  out = std::move(bounds);
}

// A label-valued key (service_label, status_label, ...) into `out`.
void read_label_key(ErrorSink& errors, const Fields& f, std::string_view key, std::string& out) {
  if (const Item* item = f.get(key)) {
    if (auto name = read_label_name(errors, *item)) out = *name;
  }
}

// Reports problems and returns the mapping as far as it could be read.
RemoteWriteMapping parse_mapping(ErrorSink& errors, const Item& item, const std::vector<std::string>& service_names) {
  RemoteWriteMapping m;
  m.line = item.mark().line + 1;
  Fields f(errors, item,
           {"metric", "histogram", "match", "service", "service_label", "status_label", "status", "endpoint_label",
            "version_label", "buckets"});
  const Item* metric = f.get("metric");
  const Item* histogram = f.get("histogram");
  bool kind_known = true;
  if (metric && histogram) {
    errors.add(item.mark(), item.msg("give either metric (a counter) or histogram, not both"));
    kind_known = false;
  } else if (!metric && !histogram) {
    errors.add(item.mark(), item.msg("missing the metric: give metric (a counter, e.g. http_requests_total) or "
                                     "histogram (a classic histogram's base name, e.g. "
                                     "http_request_duration_seconds)"));
    kind_known = false;
  } else {
    const Item& name = metric ? *metric : *histogram;
    m.kind = metric ? RemoteWriteMapping::Kind::kCounter : RemoteWriteMapping::Kind::kHistogram;
    if (auto text = read_scalar(errors, name, "a metric name")) {
      if (!is_metric_name(*text)) {
        errors.add(name.mark(), name.msg("\"" + *text + "\" is not a valid Prometheus metric name "
                                         "([a-zA-Z_:][a-zA-Z0-9_:]*)"));
      } else if (histogram) {
        bool suffixed = false;
        for (std::string_view suffix : {"_bucket", "_count", "_sum"}) {
          if (text->size() > suffix.size() && text->ends_with(suffix)) {
            errors.add(name.mark(),
                       name.msg("histogram takes the base name, without " + std::string(suffix) +
                                "; did you mean \"" + text->substr(0, text->size() - suffix.size()) + "\"?"));
            suffixed = true;
            break;
          }
        }
        if (!suffixed) m.metric = *text;
      } else {
        m.metric = *text;
      }
    }
  }
  const bool is_histogram = kind_known && m.kind == RemoteWriteMapping::Kind::kHistogram;
  if (const Item* match = f.get("match")) parse_remote_matchers(errors, *match, is_histogram, m.match);

  const Item* service = f.get("service");
  const Item* service_label = f.get("service_label");
  if (service && service_label) {
    errors.add(item.mark(), item.msg("give either service (a fixed name) or service_label (a label whose value is "
                                     "the service), not both"));
  } else if (!service && !service_label) {
    errors.add(item.mark(), item.msg("missing the service: give service (a fixed name) or service_label (a label "
                                     "whose value is the service, e.g. job)"));
  } else if (service) {
    if (auto text = read_scalar(errors, *service, "a service name")) {
      if (std::find(service_names.begin(), service_names.end(), *text) == service_names.end()) {
        report_unknown_service(errors, *service, *text, service_names, "unknown service \"" + *text + "\"");
      } else {
        m.service = *text;
      }
    }
  } else {
    read_label_key(errors, f, "service_label", m.service_label);
  }
  // An equality matcher on the service label names one service: it must be configured.
  const Item* match = f.get("match");
  if (match && !m.service_label.empty()) {
    for (const RemoteLabelMatcher& matcher : m.match) {
      if (matcher.name != m.service_label || matcher.op != RemoteLabelMatcher::Op::kEqual) continue;
      if (std::find(service_names.begin(), service_names.end(), matcher.value) != service_names.end()) continue;
      report_unknown_service(errors, *match, matcher.value, service_names,
                             matcher_text(matcher) + " selects service \"" + matcher.value +
                                 "\" (service_label " + m.service_label + "), which is not configured");
    }
  }

  const Item* status_label = f.get("status_label");
  const Item* status = f.get("status");
  if (status_label && status) {
    errors.add(item.mark(), item.msg("give either status_label (a label holding the status) or status (a fixed "
                                     "status), not both"));
  } else if (status_label) {
    read_label_key(errors, f, "status_label", m.status_label);
  } else if (status) {
    if (auto text = read_scalar(errors, *status, "a status code 100..599")) {
      int v = 0;
      auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
      if (text->empty() || ec != std::errc() || ptr != text->data() + text->size() || v < 100 || v > 599) {
        errors.add(status->mark(), status->msg("expected a status code 100..599, got \"" + *text + "\""));
      } else {
        m.status = v;
      }
    }
  }
  read_label_key(errors, f, "endpoint_label", m.endpoint_label);
  read_label_key(errors, f, "version_label", m.version_label);

  if (const Item* buckets = f.get("buckets")) {
    if (kind_known && m.kind == RemoteWriteMapping::Kind::kCounter) {
      errors.add(buckets->key, item.msg("buckets applies only to histogram mappings; metric " +
                                        (m.metric.empty() ? std::string() : m.metric + " ") +
                                        "is a counter (write histogram: for a classic histogram)"));
    } else {
      parse_buckets(errors, *buckets, m.buckets);
    }
  }
  return m;
}

bool same_match(const RemoteWriteMapping& a, const RemoteWriteMapping& b) {
  auto texts = [](const RemoteWriteMapping& m) {
    std::vector<std::string> out;
    for (const auto& matcher : m.match) out.push_back(matcher_text(matcher));
    std::sort(out.begin(), out.end());
    return out;
  };
  return texts(a) == texts(b);
}

// The valid mappings to `out`, each with where it was written to `sources`.
void parse_mappings(ErrorSink& errors, const Item& item, const std::vector<std::string>& service_names,
                    std::vector<RemoteWriteMapping>& out, std::vector<Item>& sources) {
  if (item.node.IsNull()) return;  // every mapping commented out
  if (!expect_list(errors, item, "a list of mappings like {metric: http_requests_total, service_label: job}")) {
    return;
  }
  for (size_t i = 0; i < item.node.size(); ++i) {
    Item e = item.element(i, item.node[i]);
    if (!expect_map(errors, e, kMappingExample)) continue;
    const size_t before = errors.size();
    RemoteWriteMapping m = parse_mapping(errors, e, service_names);
    if (errors.size() != before) continue;
    for (size_t j = 0; j < out.size(); ++j) {
      if (out[j].kind != m.kind || out[j].metric != m.metric || !same_match(out[j], m)) continue;
      const std::string index = e.path.substr(e.path.rfind('['));
      const char* what = m.kind == RemoteWriteMapping::Kind::kHistogram ? "histogram " : "metric ";
      const char* fix =
          m.match.empty() ? "add match to tell them apart" : "both have the same match; change one to tell them apart";
      errors.add(e.mark(), e.msg("duplicate mapping for " + std::string(what) + m.metric + " (" + sources[j].path +
                                 " and " + index + "); " + fix));
      break;
    }
    if (errors.size() != before) continue;
    out.push_back(std::move(m));
    sources.push_back(std::move(e));
  }
}

void parse_ha(ErrorSink& errors, const Item& item, RemoteWriteHa& out) {
  if (!expect_map(errors, item,
                  "a mapping like {cluster_label: cluster, replica_label: __replica__, failover_timeout: 30s}")) {
    return;
  }
  Fields f(errors, item, {"cluster_label", "replica_label", "failover_timeout"});
  std::optional<std::string> cluster, replica;
  if (const Item* c = f.require("cluster_label")) cluster = read_label_name(errors, *c);
  if (const Item* r = f.require("replica_label")) replica = read_label_name(errors, *r);
  if (cluster && replica) {
    if (*cluster == *replica) {
      errors.add(item.mark(), item.msg("cluster_label and replica_label must be different labels, both are " +
                                       *cluster));
    } else {
      out.cluster_label = *cluster;
      out.replica_label = *replica;
    }
  }
  if (const Item* t = f.get("failover_timeout")) {
    if (auto ms = read_positive_duration(errors, *t)) out.failover_timeout_ms = *ms;
  }
}

// The replica label is dropped from every series, and replicas of one cluster are one source:
// no mapping can take a value from it.
void check_replica_label(ErrorSink& errors, const RemoteWriteHa& ha, const std::vector<Item>& sources) {
  if (!ha.enabled()) return;
  for (const Item& source : sources) {
    for (std::string_view key : {"service_label", "status_label", "endpoint_label", "version_label"}) {
      std::optional<Item> v = find_value(source, key);
      if (!v || !v->node.IsScalar() || v->node.Scalar() != ha.replica_label) continue;
      errors.add(v->mark(), v->msg(ha.replica_label + " is ha.replica_label, which tells the replicas of a cluster "
                                   "apart and is dropped from every series; take the value from another label"));
    }
  }
}

// The services a histogram mapping may feed: its service, the value of an equality matcher on
// its service label, or (nullopt) every service.
std::optional<std::string> fed_service(const RemoteWriteMapping& m) {
  if (!m.service.empty()) return m.service;
  for (const auto& matcher : m.match) {
    if (matcher.name == m.service_label && matcher.op == RemoteLabelMatcher::Op::kEqual) return matcher.value;
  }
  return std::nullopt;
}

// 250000 -> "250ms", 2500000 -> "2.5s".
std::string format_latency_us(long long us) {
  char buf[32];
  const bool seconds = us >= 1000000;
  const double v = seconds ? static_cast<double>(us) / 1e6 : static_cast<double>(us) / 1e3;
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, ec == std::errc() ? ptr : buf) + (seconds ? "s" : "ms");
}

// Good events of a latency SLO fed by a histogram are those in the bucket whose bound is the
// threshold: a threshold between two bounds cannot be counted exactly.
void check_latency_buckets(ErrorSink& errors, const Item& slos_item, const std::vector<SloConfig>& slos,
                           const std::vector<RemoteWriteMapping>& mappings, const std::vector<Item>& sources) {
  if (!slos_item.node.IsSequence()) return;
  std::vector<std::string> seen;  // a repeated name (already an error) is not the SLO parsed
  for (size_t i = 0; i < slos_item.node.size(); ++i) {
    Item s = slos_item.element(i, slos_item.node[i]);
    std::optional<Item> name = find_value(s, "name");
    if (!name || !name->node.IsScalar()) continue;
    const std::string& slo_name = name->node.Scalar();
    if (std::find(seen.begin(), seen.end(), slo_name) != seen.end()) continue;
    seen.push_back(slo_name);
    std::optional<Item> sli = find_value(s, "sli");
    std::optional<Item> threshold = sli ? find_value(*sli, "threshold") : std::nullopt;
    if (!threshold) continue;
    auto slo = std::find_if(slos.begin(), slos.end(), [&](const SloConfig& o) { return o.name == slo_name; });
    // An SLO with a source reads its datasource, not these series.
    if (slo == slos.end() || slo->sli.kind != SliKind::kLatency || slo->service.empty() || !slo->source.empty() ||
        !(slo->sli.threshold_ms > 0)) {
      continue;
    }
    const long long threshold_us = std::llround(slo->sli.threshold_ms * 1000);
    for (size_t j = 0; j < mappings.size(); ++j) {
      const RemoteWriteMapping& m = mappings[j];
      if (m.kind != RemoteWriteMapping::Kind::kHistogram || m.buckets.empty()) continue;
      std::optional<std::string> fed = fed_service(m);
      if (fed && *fed != slo->service) continue;
      std::optional<long long> below, above;
      bool on_bound = false;
      for (double le : m.buckets) {
        const long long us = std::llround(le * 1e6);
        if (us == threshold_us) on_bound = true;
        if (us < threshold_us) below = us;
        if (us > threshold_us && !above) above = us;
      }
      if (on_bound) continue;
      std::string nearest;
      if (below && above) {
        nearest = "the nearest are " + format_latency_us(*below) + " and " + format_latency_us(*above);
      } else {
        nearest = "the nearest is " + format_latency_us(below ? *below : *above);
      }
      errors.add(threshold->mark(),
                 threshold->msg(format_latency_us(threshold_us) + " is not a bucket bound of histogram " + m.metric +
                                " (" + sources[j].path + "); good events are counted exactly only at a bound: " +
                                nearest));
    }
  }
}

}  // namespace

void parse_remote_write(ErrorSink& errors, const Item& item, const std::vector<std::string>& service_names,
                        const Item* slos_item, const std::vector<SloConfig>& slos, RemoteWriteConfig& out) {
  if (item.node.IsNull()) return;
  std::vector<Item> sources;  // where each of out.mappings was written
  if (item.node.IsSequence()) {
    parse_mappings(errors, item, service_names, out.mappings, sources);
  } else if (item.node.IsMap()) {
    Fields f(errors, item,
             {"mappings", "ha", "max_series", "idle_timeout", "max_decoded_bytes", "max_series_per_service"});
    if (const Item* m = f.get("mappings")) parse_mappings(errors, *m, service_names, out.mappings, sources);
    if (const Item* ha = f.get("ha")) parse_ha(errors, *ha, out.ha);
    if (const Item* v = f.get("max_series")) {
      if (auto n = read_count(errors, *v, 1, "a whole number of series >= 1")) out.max_series = *n;
    }
    if (const Item* v = f.get("idle_timeout")) {
      if (auto ms = read_positive_duration(errors, *v)) out.idle_timeout_ms = *ms;
    }
    if (const Item* v = f.get("max_decoded_bytes")) {
      if (auto n = read_count(errors, *v, 1024, "a whole number of bytes >= 1024")) out.max_decoded_bytes = *n;
    }
    if (const Item* v = f.get("max_series_per_service")) {
      if (auto n = read_count(errors, *v, 1, "a whole number of series >= 1")) out.max_series_per_service = *n;
    }
    check_replica_label(errors, out.ha, sources);
  } else {
    errors.add(item.mark(),
               item.msg("expected a list of mappings like [{metric: http_requests_total, service_label: job}], or a "
                        "mapping with mappings, ha, max_series, idle_timeout, max_decoded_bytes, "
                        "max_series_per_service; got " + describe(item.node)));
    return;
  }
  if (slos_item) check_latency_buckets(errors, *slos_item, slos, out.mappings, sources);
}

}  // namespace sloguard::config::detail
