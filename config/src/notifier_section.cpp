// The top-level `notifiers:` list: where alerts are sent. Webhook URLs of Slack, Discord and
// plain webhooks, LINE tokens, PagerDuty routing keys and signing secrets are secrets: they
// come from *_env or *_file, and no error message shows them.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "sections.h"

namespace sloguard::config::detail {
namespace {

constexpr int64_t kMaxTimeoutMs = 5 * 60 * 1000;

struct KindName {
  std::string_view name;
  NotifierKind kind;
};
constexpr KindName kKinds[] = {
    {"slack", NotifierKind::kSlack},         {"line", NotifierKind::kLine},
    {"discord", NotifierKind::kDiscord},     {"pagerduty", NotifierKind::kPagerDuty},
    {"alertmanager", NotifierKind::kAlertmanager}, {"webhook", NotifierKind::kWebhook},
};

const std::vector<std::string_view> kKeys = {
    "name",          "kind",          "url",           "url_env",       "url_file",         "base_url",
    "token_env",     "token_file",    "to",            "routing_key_env", "routing_key_file", "secret_env",
    "secret_file",   "headers",       "title_template", "text_template", "timeout",          "tls_verify",
    "send_resolved",
    // Inline secrets: known only so that they get a pointed message instead of "unknown key".
    "token",         "routing_key",   "secret"};

std::vector<std::string_view> kind_names() {
  std::vector<std::string_view> out;
  for (const auto& k : kKinds) out.push_back(k.name);
  return out;
}

bool url_is_secret(NotifierKind k) {
  return k == NotifierKind::kSlack || k == NotifierKind::kDiscord || k == NotifierKind::kWebhook;
}
bool takes_url(NotifierKind k) { return url_is_secret(k) || k == NotifierKind::kAlertmanager; }
bool takes_base_url(NotifierKind k) { return k == NotifierKind::kLine || k == NotifierKind::kPagerDuty; }

// Which kinds a kind-specific key applies to, for "X applies only to ..." messages.
struct KeyKinds {
  std::string_view key;
  bool (*applies)(NotifierKind);
  std::string_view kinds;
};
const KeyKinds kKindKeys[] = {
    {"url", takes_url, "slack, discord, webhook and alertmanager"},
    {"url_env", takes_url, "slack, discord, webhook and alertmanager"},
    {"url_file", takes_url, "slack, discord, webhook and alertmanager"},
    {"base_url", takes_base_url, "line and pagerduty"},
    {"token_env", [](NotifierKind k) { return k == NotifierKind::kLine; }, "line"},
    {"token_file", [](NotifierKind k) { return k == NotifierKind::kLine; }, "line"},
    {"to", [](NotifierKind k) { return k == NotifierKind::kLine; }, "line"},
    {"routing_key_env", [](NotifierKind k) { return k == NotifierKind::kPagerDuty; }, "pagerduty"},
    {"routing_key_file", [](NotifierKind k) { return k == NotifierKind::kPagerDuty; }, "pagerduty"},
    {"secret_env", [](NotifierKind k) { return k == NotifierKind::kWebhook; }, "webhook"},
    {"secret_file", [](NotifierKind k) { return k == NotifierKind::kWebhook; }, "webhook"},
};

// What is wrong with an http(s) URL, or "". Never quotes the URL: it may be a secret.
std::string url_problem(const std::string& url) {
  if (std::any_of(url.begin(), url.end(), [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; })) {
    return "must not contain spaces or control characters";
  }
  const size_t sep = url.find("://");
  if (sep == std::string::npos) return "expected an http:// or https:// URL";
  std::string scheme = url.substr(0, sep);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(), [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
  if (scheme != "http" && scheme != "https") return "expected an http:// or https:// URL";
  const size_t host_end = std::min(url.find_first_of("/?#", sep + 3), url.size());
  if (host_end == sep + 3) return "must have a host";
  return "";
}

// A URL pasted inline that carries its own credential.
bool looks_like_secret_url(std::string_view url) {
  for (std::string_view marker : {"hooks.slack.com/services/", "hooks.slack.com/workflows/", "/api/webhooks/",
                                  "hooks.slack-gov.com/"}) {
    if (url.find(marker) != std::string_view::npos) return true;
  }
  return false;
}

// Exactly one of `<base>`, `<base>_env`, `<base>_file` (`inline_allowed` says whether the
// plain key is); the value, or nullopt after reporting. `what` names the secret in messages.
std::optional<std::string> read_secret(ErrorSink& errors, const Item& map, const Fields& f, const std::string& base,
                                       bool inline_allowed, bool required, std::string_view what) {
  const Item* plain = inline_allowed ? f.get(base) : nullptr;
  const Item* env = f.get(base + "_env");
  const Item* file = f.get(base + "_file");
  const int given = (plain != nullptr) + (env != nullptr) + (file != nullptr);
  const std::string keys = inline_allowed ? base + ", " + base + "_env or " + base + "_file"
                                          : base + "_env or " + base + "_file";
  if (given > 1) {
    errors.add(map.mark(), map.msg("give only one of " + keys));
    return std::nullopt;
  }
  if (given == 0) {
    if (required) errors.add(map.mark(), map.msg("missing " + std::string(what) + ": give " + keys));
    return std::nullopt;
  }
  auto sensitive = [](const Item& i) {
    Item s = i;
    s.sensitive = true;
    return s;
  };
  if (env) return secret_from_env(errors, sensitive(*env));
  if (file) return secret_from_file(errors, sensitive(*file));
  return read_scalar(errors, sensitive(*plain), "a URL");
}

std::optional<std::pair<std::string, std::string>> parse_header(ErrorSink& errors, const Item& item) {
  if (!expect_map(errors, item, "a header like {name: X-Team, value: sre} or {name: Authorization, value_env: VAR}")) {
    return std::nullopt;
  }
  const size_t before = errors.size();
  Fields f(errors, item, {"name", "value", "value_env"}, "secret values come from value_env");
  std::pair<std::string, std::string> header;
  if (const Item* name = f.require("name")) {
    if (auto text = read_scalar(errors, *name, "a header name")) {
      static constexpr std::string_view kSpecial = "!#$%&'*+-.^_`|~";
      const bool ok = !text->empty() && std::all_of(text->begin(), text->end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || kSpecial.find(c) != std::string_view::npos;
      });
      if (!ok) {
        errors.add(name->mark(), name->msg("not a valid header name (letters, digits and !#$%&'*+-.^_`|~); the "
                                           "value goes in value or value_env"));
      }
      header.first = *text;
    }
  }
  const Item* value = f.get("value");
  const Item* env = f.get("value_env");
  std::optional<std::string> v;
  if (value && env) {
    errors.add(item.mark(), item.msg("give either value or value_env, not both"));
  } else if (!value && !env) {
    errors.add(item.mark(), item.msg("missing the value: give value or value_env"));
  } else {
    v = value ? read_scalar(errors, *value, "a header value") : secret_from_env(errors, *env);
    if (v && v->find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
      const Item& at = value ? *value : *env;
      errors.add(at.mark(), at.msg("must not contain line breaks"));
    }
  }
  if (v) header.second = std::move(*v);
  if (errors.size() != before) return std::nullopt;
  return header;
}

void parse_headers(ErrorSink& errors, const Item& item, NotifierConfig& out) {
  Item headers = item;
  headers.sensitive = true;
  if (!expect_list(errors, headers, "a list of headers like {name: X-Team, value: sre}")) return;
  for (size_t i = 0; i < headers.node.size(); ++i) {
    if (auto h = parse_header(errors, headers.element(i, headers.node[i]))) out.headers.push_back(std::move(*h));
  }
}

std::optional<NotifierKind> parse_kind(ErrorSink& errors, const Item& item) {
  auto text = read_scalar(errors, item, "a notifier kind (" + join_names(kind_names()) + ")");
  if (!text) return std::nullopt;
  for (const auto& k : kKinds) {
    if (k.name == *text) return k.kind;
  }
  std::string_view suggestion = closest_match(*text, kind_names());
  errors.add(item.mark(), item.msg("unknown notifier kind \"" + *text + "\"; " +
                                   (suggestion.empty() ? "expected one of: " + join_names(kind_names())
                                                       : "did you mean \"" + std::string(suggestion) + "\"?")));
  return std::nullopt;
}

void parse_url_for_kind(ErrorSink& errors, const Item& item, const Fields& f, NotifierConfig& out) {
  const bool secret = url_is_secret(out.kind);
  if (const Item* url = f.get("url"); url && secret && url->node.IsScalar() &&
                                      looks_like_secret_url(url->node.Scalar())) {
    errors.add(url->mark(), url->msg("this URL carries its own secret token and must not be written in the config: "
                                     "use url_env or url_file"));
    return;
  }
  const std::optional<std::string> url =
      read_secret(errors, item, f, "url", true, true, secret ? "the webhook URL (a secret)" : "the URL");
  if (!url) return;
  const std::string problem = url_problem(*url);
  const Item* at = f.get("url") ? f.get("url") : f.get("url_env") ? f.get("url_env") : f.get("url_file");
  if (!problem.empty()) {
    errors.add(at->mark(), at->msg(problem));
    return;
  }
  out.url = *url;
  if (out.kind == NotifierKind::kAlertmanager) {
    while (!out.url.empty() && out.url.back() == '/') out.url.pop_back();
  }
}

void parse_kind_fields(ErrorSink& errors, const Item& item, const Fields& f, NotifierConfig& out) {
  for (const KeyKinds& k : kKindKeys) {
    if (const Item* v = f.get(k.key); v && !k.applies(out.kind)) {
      errors.add(v->key, item.msg(std::string(k.key) + " does not apply to kind " + notifier_kind_name(out.kind) +
                                  " (only to " + std::string(k.kinds) + ")"));
    }
  }
  if (takes_url(out.kind)) parse_url_for_kind(errors, item, f, out);
  if (takes_base_url(out.kind)) {
    out.base_url = out.kind == NotifierKind::kLine ? "https://api.line.me" : "https://events.pagerduty.com";
    if (const Item* base = f.get("base_url")) {
      if (auto text = read_scalar(errors, *base, "an http:// or https:// URL")) {
        const std::string problem = url_problem(*text);
        if (!problem.empty()) {
          errors.add(base->mark(), base->msg(problem));
        } else {
          out.base_url = *text;
          while (!out.base_url.empty() && out.base_url.back() == '/') out.base_url.pop_back();
        }
      }
    }
  }
  switch (out.kind) {
    case NotifierKind::kLine:
      if (auto token = read_secret(errors, item, f, "token", false, !f.get("token"), "the channel access token")) {
        out.token = std::move(*token);
      }
      if (const Item* to = f.get("to")) {
        if (auto text = read_scalar(errors, *to, "a user, group or room id")) {
          if (text->empty()) errors.add(to->mark(), to->msg("must not be empty"));
          out.to = *text;
        }
      } else {
        errors.add(item.mark(), item.msg("missing to: the user, group or room id to push to"));
      }
      break;
    case NotifierKind::kPagerDuty:
      if (auto key = read_secret(errors, item, f, "routing_key", false, !f.get("routing_key"), "the integration key")) {
        out.routing_key = std::move(*key);
      }
      break;
    case NotifierKind::kWebhook:
      if (auto secret = read_secret(errors, item, f, "secret", false, false, "the signing secret")) {
        out.secret = std::move(*secret);
      }
      break;
    default:
      break;
  }
}

void parse_common(ErrorSink& errors, const Fields& f, NotifierConfig& out) {
  for (std::string_view key : {"title_template", "text_template"}) {
    if (const Item* t = f.get(key)) {
      if (auto text = read_scalar(errors, *t, "a template string like \"{{slo}} is burning\"")) {
        (key == "title_template" ? out.title_template : out.text_template) = *text;
      }
    }
  }
  if (const Item* timeout = f.get("timeout")) {
    if (auto ms = read_duration(errors, *timeout)) {
      if (*ms <= 0 || *ms > kMaxTimeoutMs) {
        errors.add(timeout->mark(),
                   timeout->msg("must be longer than 0 and at most 5m, got \"" + timeout->node.Scalar() + "\""));
      } else {
        out.timeout_ms = *ms;
      }
    }
  }
  if (const Item* tls = f.get("tls_verify")) {
    if (auto v = read_bool(errors, *tls)) out.tls_verify = *v;
  }
  if (const Item* resolved = f.get("send_resolved")) {
    if (auto v = read_bool(errors, *resolved)) out.send_resolved = *v;
  }
  if (const Item* headers = f.get("headers")) parse_headers(errors, *headers, out);
}

void reject_inline_secrets(ErrorSink& errors, const Item& item, const Fields& f) {
  for (std::string_view key : {"token", "routing_key", "secret"}) {
    if (const Item* v = f.get(key)) {
      errors.add(v->key, item.msg(std::string(key) + " must not be written in the config: use " + std::string(key) +
                                  "_env or " + std::string(key) + "_file"));
    }
  }
}

}  // namespace

void parse_notifiers(ErrorSink& errors, const Item& item, bool send_resolved_default,
                     std::vector<NotifierConfig>& out) {
  if (item.node.IsNull()) return;
  if (!expect_list(errors, item, "a list of notifiers like {name: oncall, kind: slack, url_env: SLACK_URL}")) return;
  struct Seen {
    std::string name;
    int line;
  };
  std::vector<Seen> seen;
  for (size_t i = 0; i < item.node.size(); ++i) {
    Item n = item.element(i, item.node[i]);
    if (!expect_map(errors, n, "a notifier like {name: oncall, kind: slack, url_env: SLACK_URL}")) continue;
    const size_t before = errors.size();
    Fields f(errors, n, kKeys, "secrets come from *_env or *_file keys");
    NotifierConfig cfg;
    cfg.send_resolved = send_resolved_default;
    if (const Item* name = f.require("name")) {
      if (auto text = read_scalar(errors, *name, "a notifier name")) {
        if (check_name(errors, *name, *text)) {
          auto first = std::find_if(seen.begin(), seen.end(), [&](const Seen& s) { return s.name == *text; });
          if (first != seen.end()) {
            errors.add(n.mark(), n.msg("duplicate notifier name \"" + *text + "\" (first at line " +
                                       std::to_string(first->line) + ")"));
          }
          seen.push_back({*text, n.mark().line + 1});
        }
        cfg.name = *text;
      }
    }
    reject_inline_secrets(errors, n, f);
    if (const Item* kind = f.require("kind")) {
      if (std::optional<NotifierKind> k = parse_kind(errors, *kind)) {
        cfg.kind = *k;
        parse_kind_fields(errors, n, f, cfg);
      }
    }
    parse_common(errors, f, cfg);
    if (errors.size() == before) out.push_back(std::move(cfg));
  }
}

}  // namespace sloguard::config::detail
