// The `datasources:` section: Prometheus-compatible query APIs (Prometheus, VictoriaMetrics,
// Thanos Query, Mimir, Cortex) that SLOs read their SLIs from with slos[].source. Header
// values may be secrets: no error message contains one, nor a header name that is not a valid
// name (it may be a whole "Authorization: Bearer ..." line pasted in).
#include <algorithm>

#include "sections.h"
#include "sloguard/common/units.h"

namespace sloguard::config::detail {
namespace {

constexpr int64_t kMaxTimeoutMs = 10 * 60 * 1000;

// The paths sloguard appends to a datasource's URL (datasource.h).
constexpr std::string_view kApiPaths[] = {"/api/v1/query_range", "/api/v1/query", "/api/v1/labels",
                                          "/api/v1/series", "/api/v1"};

// A whole number in [lo, hi] written plainly (no sign, no fraction); nullopt after reporting.
std::optional<int> read_int_in(ErrorSink& errors, const Item& item, int lo, int hi) {
  const std::string what = "a whole number " + std::to_string(lo) + ".." + std::to_string(hi);
  auto text = read_scalar(errors, item, what);
  if (!text) return std::nullopt;
  const bool digits = !text->empty() && text->size() <= 9 &&
                      std::all_of(text->begin(), text->end(), [](char c) { return c >= '0' && c <= '9'; });
  const int v = digits ? std::stoi(*text) : -1;
  if (!digits || v < lo || v > hi) {
    errors.add(item.mark(), item.msg("expected " + what + ", got \"" + *text + "\""));
    return std::nullopt;
  }
  return v;
}

void parse_kind(ErrorSink& errors, const Item& item, DatasourceConfig& out) {
  static const std::vector<std::string_view> kKinds = {"prometheus"};
  auto text = read_scalar(errors, item, "a datasource kind (prometheus)");
  if (!text) return;
  if (*text == "prometheus") {
    out.kind = DatasourceKind::kPrometheus;
    return;
  }
  std::string_view suggestion = closest_match(*text, kKinds);
  errors.add(item.mark(),
             item.msg("unknown datasource kind \"" + *text + "\"; " +
                      (suggestion.empty() ? "expected prometheus (any Prometheus-compatible query API: "
                                            "Prometheus, VictoriaMetrics, Thanos Query, Mimir, Cortex)"
                                          : "did you mean \"" + std::string(suggestion) + "\"?")));
}

// The base URL of the query API: http(s), no query string or fragment, trailing '/' removed,
// without the /api/v1/... that sloguard appends.
void parse_url(ErrorSink& errors, const Item& item, DatasourceConfig& out) {
  constexpr std::string_view kExample =
      "like http://prometheus:9090 or http://vmselect:8481/select/0/prometheus";
  auto text = read_scalar(errors, item, "an http:// or https:// URL " + std::string(kExample));
  if (!text) return;
  bool shown = true;
  std::string url = *text;
  std::string problem = check_http_url(url, shown);
  if (!problem.empty()) {
    errors.add(item.mark(), item.msg(shown ? "\"" + *text + "\": " + problem : problem));
    return;
  }
  if (url.find_first_of("?#") != std::string::npos) {
    // Not echoed: a query string is where an API key would be pasted.
    errors.add(item.mark(), item.msg("must not have a query string or fragment (sloguard adds the query "
                                     "parameters itself; send credentials in a header from value_env or "
                                     "value_file)"));
    return;
  }
  while (url.size() > 1 && url.back() == '/') url.pop_back();
  for (std::string_view api : kApiPaths) {
    if (url.size() > api.size() && url.compare(url.size() - api.size(), api.size(), api) == 0) {
      const std::string base = url.substr(0, url.size() - api.size());
      errors.add(item.mark(), item.msg(shown ? "\"" + *text + "\": give the base URL without " + std::string(api) +
                                                   " (sloguard appends /api/v1/query and the other API paths "
                                                   "itself); did you mean \"" + base + "\"?"
                                             : "give the base URL without " + std::string(api) +
                                                   " (sloguard appends /api/v1/query and the other API paths "
                                                   "itself)"));
      return;
    }
  }
  out.url = std::move(url);
}

bool has_line_break(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

// One header; nullopt after reporting. `item` is sensitive: nothing in it is echoed.
std::optional<std::pair<std::string, std::string>> parse_header(ErrorSink& errors, const Item& item) {
  if (!expect_map(errors, item,
                  "a header like {name: X-Scope-OrgID, value: team-a} or {name: Authorization, value_file: "
                  "/etc/sloguard/vm.token}")) {
    return std::nullopt;
  }
  const size_t errors_before = errors.size();
  Fields f(errors, item, {"name", "value", "value_env", "value_file"},
           "secret values come from value_env or value_file");
  std::pair<std::string, std::string> header;
  header.first = read_header_name(errors, f, "value, value_env or value_file");
  const Item* value = f.get("value");
  const Item* env = f.get("value_env");
  const Item* file = f.get("value_file");
  const int given = (value != nullptr) + (env != nullptr) + (file != nullptr);
  if (given > 1) {
    errors.add(item.mark(), item.msg("give only one of value, value_env or value_file"));
  } else if (given == 0) {
    errors.add(item.mark(), item.msg("missing the value: give value, value_env or value_file"));
  } else {
    const Item& at = value ? *value : env ? *env : *file;
    std::optional<std::string> v = value  ? read_scalar(errors, *value, "a header value")
                                   : env  ? secret_from_env(errors, *env)
                                          : secret_from_file(errors, *file);
    if (v && has_line_break(*v)) {
      errors.add(at.mark(), at.msg(value  ? std::string("must not contain line breaks")
                                   : env  ? "environment variable " + env->node.Scalar() +
                                               " holds a line break, which cannot be sent in a header"
                                          : "file \"" + file->node.Scalar() +
                                               "\" holds a line break, which cannot be sent in a header"));
    }
    if (v) header.second = std::move(*v);
  }
  if (errors.size() != errors_before) return std::nullopt;
  return header;
}

void parse_headers(ErrorSink& errors, const Item& item, DatasourceConfig& out) {
  Item headers = item;
  headers.sensitive = true;
  if (!expect_list(errors, headers, "a list of headers like {name: X-Scope-OrgID, value: team-a}")) return;
  for (size_t i = 0; i < headers.node.size(); ++i) {
    if (auto h = parse_header(errors, headers.element(i, headers.node[i]))) out.headers.push_back(std::move(*h));
  }
}

void parse_timeout(ErrorSink& errors, const Item& item, DatasourceConfig& out) {
  auto ms = read_duration(errors, item);
  if (!ms) return;
  if (*ms <= 0 || *ms > kMaxTimeoutMs) {
    errors.add(item.mark(), item.msg("must be longer than 0 and at most " + format_duration_ms(kMaxTimeoutMs) +
                                     ", got \"" + item.node.Scalar() + "\""));
    return;
  }
  out.timeout_ms = *ms;
}

}  // namespace

void parse_datasources(ErrorSink& errors, const Item& item, std::vector<std::string>& names,
                       std::vector<DatasourceConfig>& out) {
  if (item.node.IsNull()) return;  // "datasources:" with every entry commented out
  constexpr std::string_view kExample = "{name: vm, url: http://vmselect:8481/select/0/prometheus}";
  if (!expect_list(errors, item, "a list of datasources like " + std::string(kExample))) return;
  // Each valid name written and where its datasource starts, whether or not the datasource
  // is valid otherwise: a duplicate is reported even when the first one has other mistakes.
  std::vector<std::pair<std::string, int>> seen;
  for (size_t i = 0; i < item.node.size(); ++i) {
    Item d = item.element(i, item.node[i]);
    if (!expect_map(errors, d, "a datasource like " + std::string(kExample))) continue;
    const size_t errors_before = errors.size();
    Fields f(errors, d, {"name", "kind", "url", "headers", "timeout", "tls_verify", "max_concurrent_queries",
                         "max_retries"});
    DatasourceConfig ds;
    if (const Item* name = f.require("name")) {
      if (auto text = read_scalar(errors, *name, "a datasource name")) {
        names.push_back(*text);
        if (check_name(errors, *name, *text)) {
          ds.name = *text;
          auto dup = std::find_if(seen.begin(), seen.end(), [&](const auto& o) { return o.first == *text; });
          if (dup != seen.end()) {
            errors.add(d.mark(), d.msg("duplicate datasource name \"" + *text + "\" (first at line " +
                                       std::to_string(dup->second) + ")"));
          } else {
            seen.emplace_back(*text, d.mark().line + 1);
          }
        }
      }
    }
    if (const Item* kind = f.get("kind")) parse_kind(errors, *kind, ds);
    if (const Item* url = f.require("url")) parse_url(errors, *url, ds);
    if (const Item* headers = f.get("headers")) parse_headers(errors, *headers, ds);
    if (const Item* timeout = f.get("timeout")) parse_timeout(errors, *timeout, ds);
    if (const Item* tls = f.get("tls_verify")) {
      if (auto v = read_bool(errors, *tls)) ds.tls_verify = *v;
    }
    if (const Item* max = f.get("max_concurrent_queries")) {
      if (auto v = read_int_in(errors, *max, 1, 64)) ds.max_concurrent_queries = *v;
    }
    if (const Item* retries = f.get("max_retries")) {
      if (auto v = read_int_in(errors, *retries, 0, 10)) ds.max_retries = *v;
    }
    if (errors.size() != errors_before) continue;
    out.push_back(std::move(ds));
  }
}

}  // namespace sloguard::config::detail
