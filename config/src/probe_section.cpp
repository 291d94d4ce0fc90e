// The `probes:` of a service: an HTTP request or a TCP connect that sloguard runs itself every
// interval. Header values may be secrets: no error message contains one, nor a header name
// that is not a valid name (it may be a whole "Authorization: Bearer ..." line pasted in).
#include <algorithm>
#include <cctype>
#include <charconv>
#include <re2/re2.h>

#include "sections.h"
#include "sloguard/common/units.h"

namespace sloguard::config::detail {
namespace {

constexpr int kMaxRedirects = 20;

const std::vector<std::string_view> kMethods = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};

bool is_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A whole number in [lo, hi] written plainly (no sign, no fraction); nullopt otherwise.
std::optional<int> to_int_in(std::string_view s, int lo, int hi) {
  int v = 0;
  if (!is_digits(s) || s.size() > 9) return std::nullopt;
  std::from_chars(s.data(), s.data() + s.size(), v);
  if (v < lo || v > hi) return std::nullopt;
  return v;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

// What is wrong with an http(s) URL, or "" when nothing is. Lowercases the scheme. `shown` is
// set to false when the URL must not be echoed: it may hold credentials (an '@' anywhere, so
// that no other problem found first shows them either).
std::string check_http_url(std::string& url, bool& shown) {
  shown = url.find('@') == std::string::npos;
  if (std::any_of(url.begin(), url.end(),
                  [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; })) {
    return "must not contain spaces or control characters (percent-encode them, e.g. %20)";
  }
  const size_t sep = url.find("://");
  if (sep == std::string::npos) return "expected an http:// or https:// URL";
  const std::string scheme = lower(std::string_view(url).substr(0, sep));
  if (scheme != "http" && scheme != "https") {
    return "scheme \"" + url.substr(0, sep) + "\" is not supported: expected http:// or https://";
  }
  url.replace(0, sep, scheme);
  const size_t start = sep + 3;
  const size_t end = std::min(url.find_first_of("/?#", start), url.size());
  std::string_view authority = std::string_view(url).substr(start, end - start);
  if (authority.find('@') != std::string_view::npos) {
    return "must not contain credentials (user:password@): send them in a header whose value comes "
           "from value_env";
  }
  std::string_view host, port;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return "an IPv6 host needs its closing ']'";
    host = authority.substr(1, close - 1);
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return "expected ':' and a port after the IPv6 host";
      has_port = true;
      port = rest.substr(1);
    }
  } else {
    const size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      has_port = true;
      port = authority.substr(colon + 1);
      if (port.find(':') != std::string_view::npos) {
        return "an IPv6 host must be in brackets, like http://[::1]:8080/";
      }
    }
  }
  if (host.empty()) return "must have a host, like http://127.0.0.1:8080/healthz";
  if (has_port && !to_int_in(port, 1, 65535)) return "the port must be 1..65535";
  return "";
}

namespace {

void parse_url(ErrorSink& errors, const Item& item, HttpProbeConfig& out) {
  auto text = read_scalar(errors, item, "an http:// or https:// URL");
  if (!text) return;
  bool shown = true;
  std::string url = *text;
  std::string problem = check_http_url(url, shown);
  if (!problem.empty()) {
    errors.add(item.mark(), item.msg(shown ? "\"" + *text + "\": " + problem : problem));
    return;
  }
  out.url = std::move(url);
}

void parse_method(ErrorSink& errors, const Item& item, HttpProbeConfig& out) {
  auto text = read_scalar(errors, item, "an HTTP method (" + join_names(kMethods) + ")");
  if (!text) return;
  if (std::find(kMethods.begin(), kMethods.end(), *text) != kMethods.end()) {
    out.method = *text;
    return;
  }
  // Methods are case-sensitive: "get" is not GET to every server.
  std::string_view suggestion = closest_match(*text, kMethods);
  errors.add(item.mark(),
             item.msg("unknown method \"" + *text + "\"; " +
                      (suggestion.empty() ? "expected one of: " + join_names(kMethods)
                                          : "did you mean \"" + std::string(suggestion) + "\"?")));
}

}  // namespace

// RFC 9110 token characters.
std::string read_header_name(ErrorSink& errors, Fields& f, std::string_view value_keys) {
  const Item* name = f.require("name");
  if (!name) return {};
  auto text = read_scalar(errors, *name, "a header name");
  if (!text) return {};
  if (text->empty()) {
    errors.add(name->mark(), name->msg("must not be empty"));
  } else if (!is_header_name(*text)) {
    errors.add(name->mark(), name->msg("not a valid header name (letters, digits and !#$%&'*+-.^_`|~, "
                                       "no spaces or ':'); the value goes in " + std::string(value_keys)));
  }
  return *text;
}

bool is_header_name(std::string_view s) {
  static constexpr std::string_view kSpecial = "!#$%&'*+-.^_`|~";
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || kSpecial.find(c) != std::string_view::npos;
  });
}

namespace {

// A line break would end the header and start another: header injection.
bool has_line_break(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

// One header; nullopt after reporting. `item` is sensitive: nothing in it is echoed.
std::optional<std::pair<std::string, std::string>> parse_header(ErrorSink& errors, const Item& item) {
  if (!expect_map(
          errors, item,
          "a header like {name: X-Probe, value: sloguard} or {name: Authorization, value_env: VAR}")) {
    return std::nullopt;
  }
  const size_t errors_before = errors.size();
  Fields f(errors, item, {"name", "value", "value_env"}, "secret values come from value_env");
  std::pair<std::string, std::string> header;
  header.first = read_header_name(errors, f, "value or value_env");
  const Item* value = f.get("value");
  const Item* env = f.get("value_env");
  if (value && env) {
    errors.add(item.mark(), item.msg("give either value or value_env, not both"));
  } else if (!value && !env) {
    errors.add(item.mark(), item.msg("missing the value: give value or value_env"));
  } else if (value) {
    if (auto text = read_scalar(errors, *value, "a header value")) {
      if (has_line_break(*text)) {
        errors.add(value->mark(), value->msg("must not contain line breaks"));
      }
      header.second = *text;
    }
  } else if (auto secret = secret_from_env(errors, *env)) {
    if (has_line_break(*secret)) {
      errors.add(env->mark(), env->msg("environment variable " + env->node.Scalar() +
                                       " holds a line break, which cannot be sent in a header"));
    }
    header.second = std::move(*secret);
  }
  if (errors.size() != errors_before) return std::nullopt;
  return header;
}

void parse_headers(ErrorSink& errors, const Item& item, HttpProbeConfig& out) {
  Item headers = item;
  headers.sensitive = true;
  if (!expect_list(errors, headers, "a list of headers like {name: X-Probe, value: sloguard}")) return;
  for (size_t i = 0; i < headers.node.size(); ++i) {
    if (auto h = parse_header(errors, headers.element(i, headers.node[i]))) {
      out.headers.push_back(std::move(*h));
    }
  }
}

void parse_expect_status(ErrorSink& errors, const Item& item, HttpProbeConfig& out) {
  if (!expect_list(errors, item, "a list of status codes like [200, 204]")) return;
  if (item.node.size() == 0) {
    errors.add(item.mark(),
               item.msg("must list at least one status code (leave expect_status out for any 2xx)"));
    return;
  }
  for (size_t i = 0; i < item.node.size(); ++i) {
    Item code = item.element(i, item.node[i]);
    auto text = read_scalar(errors, code, "a status code 100..599");
    if (!text) continue;
    std::optional<int> v = to_int_in(*text, 100, 599);
    if (!v) {
      errors.add(code.mark(),
                 code.msg("expected a status code 100..599, got \"" + *text + "\"" +
                          (lower(*text) == "2xx" ? " (leave expect_status out for any 2xx)" : "")));
      continue;
    }
    if (std::find(out.expect_status.begin(), out.expect_status.end(), *v) == out.expect_status.end()) {
      out.expect_status.push_back(*v);
    }
  }
}

void parse_body_check(ErrorSink& errors, const Item& item, bool regex, std::string& out) {
  auto text = read_scalar(errors, item, regex ? "an RE2 regular expression" : "a string");
  if (!text) return;
  if (text->empty()) {
    errors.add(item.mark(), item.msg("must not be empty (leave it out to not check the body)"));
    return;
  }
  if (regex) {
    RE2::Options options;
    options.set_log_errors(false);  // RE2 would print every bad pattern to stderr
    if (RE2 compiled(*text, options); !compiled.ok()) {
      errors.add(item.mark(), item.msg("invalid RE2 regular expression \"" + *text + "\": " + compiled.error()));
      return;
    }
  }
  out = *text;
}

void parse_http(ErrorSink& errors, const Item& item, HttpProbeConfig& out) {
  if (!expect_map(errors, item,
                  "a mapping with url, method, headers, expect_status, body_contains, body_regex, "
                  "follow_redirects, max_redirects, tls_verify")) {
    return;
  }
  Fields f(errors, item,
           {"url", "method", "headers", "expect_status", "body_contains", "body_regex", "follow_redirects",
            "max_redirects", "tls_verify"});
  if (const Item* url = f.require("url")) parse_url(errors, *url, out);
  bool method_known = true;
  if (const Item* method = f.get("method")) {
    const size_t before = errors.size();
    parse_method(errors, *method, out);
    method_known = errors.size() == before;
  }
  if (const Item* headers = f.get("headers")) parse_headers(errors, *headers, out);
  if (const Item* status = f.get("expect_status")) parse_expect_status(errors, *status, out);
  auto body_check = [&](std::string_view key, bool regex, std::string& into) {
    const Item* body = f.get(key);
    if (!body) return;
    if (method_known && out.method == "HEAD") {
      errors.add(body->key,
                 item.msg(std::string(key) + " needs a response body, and a HEAD request gets none"));
      return;
    }
    parse_body_check(errors, *body, regex, into);
  };
  body_check("body_contains", false, out.body_contains);
  body_check("body_regex", true, out.body_regex);
  bool follow_known = true;
  if (const Item* follow = f.get("follow_redirects")) {
    std::optional<bool> v = read_bool(errors, *follow);
    follow_known = v.has_value();
    if (v) out.follow_redirects = *v;
  }
  if (const Item* max = f.get("max_redirects")) {
    if (follow_known && !out.follow_redirects) {
      errors.add(max->key, item.msg("max_redirects applies only with follow_redirects: true"));
    } else if (auto text = read_scalar(errors, *max, "a whole number 0..20")) {
      if (std::optional<int> v = to_int_in(*text, 0, kMaxRedirects)) {
        out.max_redirects = *v;
      } else {
        errors.add(max->mark(), max->msg("expected a whole number 0..20, got \"" + *text + "\""));
      }
    }
  }
  if (const Item* tls = f.get("tls_verify")) {
    if (auto v = read_bool(errors, *tls)) out.tls_verify = *v;
  }
}

void parse_tcp(ErrorSink& errors, const Item& item, TcpProbeConfig& out) {
  constexpr std::string_view kWhat = "host:port like 127.0.0.1:5432 or \"[::1]:5432\" (port 1..65535)";
  if (!expect_map(errors, item, "a mapping with address, like {address: \"127.0.0.1:5432\"}")) return;
  Fields f(errors, item, {"address"});
  const Item* address = f.require("address");
  if (!address) return;
  auto text = read_scalar(errors, *address, kWhat);
  if (!text) return;
  std::string host;
  int port = 0;
  if (!split_host_port(*text, host, port) || port == 0) {
    errors.add(address->mark(), address->msg("expected " + std::string(kWhat) + ", got \"" + *text + "\""));
    return;
  }
  out.host = std::move(host);
  out.port = port;
}

// interval and timeout. Without a timeout, a probe times out after 10s or its interval,
// whichever is shorter; a timeout written out must be at most the interval (when that is known).
void parse_timing(ErrorSink& errors, const Fields& f, ProbeConfig& out) {
  bool interval_known = true;
  const Item* interval = f.get("interval");
  if (interval) {
    std::optional<int64_t> ms = read_duration(errors, *interval);
    interval_known = false;
    if (ms && *ms < 1000) {
      errors.add(interval->mark(),
                 interval->msg("must be at least 1s, got \"" + interval->node.Scalar() + "\""));
    } else if (ms) {
      out.interval_ms = *ms;
      interval_known = true;
    }
  }
  const Item* timeout = f.get("timeout");
  if (!timeout) {
    out.timeout_ms = std::min(out.timeout_ms, out.interval_ms);
    return;
  }
  std::optional<int64_t> ms = read_duration(errors, *timeout);
  if (!ms) return;
  if (*ms <= 0) {
    errors.add(timeout->mark(),
               timeout->msg("must be longer than 0, got \"" + timeout->node.Scalar() + "\""));
    return;
  }
  if (interval_known && *ms > out.interval_ms) {
    errors.add(timeout->mark(),
               timeout->msg("timeout " + format_duration_ms(*ms) + " is longer than the interval " +
                            format_duration_ms(out.interval_ms) + (interval ? "" : " (the default)") +
                            ": a probe must finish before the next one starts"));
    return;
  }
  out.timeout_ms = *ms;
}

ProbeConfig parse_probe(ErrorSink& errors, const Item& item, const std::string& service,
                        std::vector<ProbeRef>& seen) {
  ProbeConfig probe;
  probe.service = service;
  ProbeRef ref{"", service, item.mark().line + 1};
  Fields f(errors, item, {"name", "interval", "timeout", "http", "tcp"});
  if (const Item* name = f.require("name")) {
    if (auto text = read_scalar(errors, *name, "a probe name")) {
      ref.name = *text;
      if (check_name(errors, *name, *text)) {
        auto first =
            std::find_if(seen.begin(), seen.end(), [&](const ProbeRef& p) { return p.name == *text; });
        if (first != seen.end()) {
          errors.add(
              item.mark(),
              item.msg(
                  "duplicate probe name \"" + *text + "\" (first at line " + std::to_string(first->line) +
                  (first->service == service || first->service.empty() ? "" : ", service " + first->service) +
                  "); probe names are unique across services"));
        }
        probe.name = *text;
      }
    }
  }
  seen.push_back(std::move(ref));
  parse_timing(errors, f, probe);
  const Item* http = f.get("http");
  const Item* tcp = f.get("tcp");
  if (http && tcp) {
    errors.add(item.mark(), item.msg("give either http or tcp, not both (one probe checks one thing)"));
  } else if (!http && !tcp) {
    errors.add(item.mark(), item.msg("missing what to probe: give http (a request) or tcp (a connect)"));
  } else if (http) {
    probe.kind = ProbeKind::kHttp;
    parse_http(errors, *http, probe.http);
  } else {
    probe.kind = ProbeKind::kTcp;
    parse_tcp(errors, *tcp, probe.tcp);
  }
  return probe;
}

}  // namespace

void parse_probes(ErrorSink& errors, const Item& item, const std::string& service,
                  std::vector<ProbeRef>& seen, std::vector<ProbeConfig>& out) {
  if (item.node.IsNull()) return;  // "probes:" with every entry commented out
  if (!expect_list(errors, item, "a list of probes like {name: checkout-health, http: {url: ...}}")) return;
  for (size_t i = 0; i < item.node.size(); ++i) {
    Item p = item.element(i, item.node[i]);
    if (!expect_map(errors, p, "a probe mapping with name, interval, timeout, and http or tcp")) continue;
    const size_t errors_before = errors.size();
    ProbeConfig probe = parse_probe(errors, p, service, seen);
    if (errors.size() == errors_before) out.push_back(std::move(probe));
  }
}

}  // namespace sloguard::config::detail
