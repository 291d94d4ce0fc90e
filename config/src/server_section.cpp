// The `server:` section: listen address, body limit, and auth tokens with their secrets.
// Secrets are read here and never written into an error message. host:port addresses and
// secrets from the environment are also read here for probes (probe_section.cpp).
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>

#include "sections.h"

namespace sloguard::config::detail {
namespace {

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

void parse_listen(ErrorSink& errors, const Item& item, ServerConfig& out) {
  constexpr std::string_view kWhat = "host:port like 127.0.0.1:8080 (port 0..65535)";
  auto text = read_scalar(errors, item, kWhat);
  if (!text) return;
  if (!split_host_port(*text, out.listen_host, out.listen_port)) {
    errors.add(item.mark(), item.msg("expected " + std::string(kWhat) + ", got \"" + *text + "\""));
  }
}

void parse_max_body_bytes(ErrorSink& errors, const Item& item, ServerConfig& out) {
  constexpr std::string_view kWhat = "a positive whole number of bytes like 10485760";
  auto text = read_scalar(errors, item, kWhat);
  if (!text) return;
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (!all_digits(*text) || ec != std::errc() || ptr != text->data() + text->size() || v == 0 ||
      v > std::numeric_limits<size_t>::max()) {
    errors.add(item.mark(), item.msg("expected " + std::string(kWhat) + ", got \"" + *text + "\""));
    return;
  }
  out.max_body_bytes = static_cast<size_t>(v);
}

bool is_env_name(std::string_view s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

const std::vector<std::string_view> kRoleNames = {"read", "ingest", "rollback", "admin"};

std::optional<Role> parse_role(ErrorSink& errors, const Item& item) {
  auto text = read_scalar(errors, item, "a role (read, ingest, rollback or admin)");
  if (!text) return std::nullopt;
  if (*text == "read") return Role::kRead;
  if (*text == "ingest") return Role::kIngest;
  if (*text == "rollback") return Role::kRollback;
  if (*text == "admin") return Role::kAdmin;
  std::string m = "unknown role \"" + *text + "\"";
  std::string_view suggestion = closest_match(*text, kRoleNames);
  m += suggestion.empty() ? "; expected one of: " + join_names(kRoleNames)
                          : "; did you mean \"" + std::string(suggestion) + "\"?";
  errors.add(item.mark(), item.msg(m));
  return std::nullopt;
}

}  // namespace

std::optional<std::string> secret_from_file(ErrorSink& errors, const Item& item) {
  auto path = read_scalar(errors, item, "a file path");
  if (!path) return std::nullopt;
  if (path->empty()) {
    errors.add(item.mark(), item.msg("expected a file path, got \"\""));
    return std::nullopt;
  }
  auto cannot_read = [&](const std::string& why) {
    errors.add(item.mark(), item.msg("cannot read token file \"" + *path + "\": " + why));
    return std::nullopt;
  };
  std::error_code ec;
  if (std::filesystem::is_directory(*path, ec)) return cannot_read("it is a directory");
  errno = 0;
  std::ifstream in(*path, std::ios::binary);
  if (!in) return cannot_read(errno != 0 ? std::strerror(errno) : "cannot open");
  std::string secret{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) return cannot_read(errno != 0 ? std::strerror(errno) : "read failed");
  while (!secret.empty() &&
         (secret.back() == '\n' || secret.back() == '\r' || secret.back() == ' ' || secret.back() == '\t')) {
    secret.pop_back();
  }
  if (secret.empty()) {
    errors.add(item.mark(), item.msg("token file \"" + *path + "\" is empty"));
    return std::nullopt;
  }
  return secret;
}

namespace {

// A token as far as it could be read; `complete` is false when any error was reported.
struct ParsedToken {
  AuthToken token;
  bool complete = false;
};

ParsedToken parse_token(ErrorSink& errors, const Item& item) {
  ParsedToken out;
  if (!expect_map(errors, item, "a token like {name: ci, token_env: SLOGUARD_CI_TOKEN, roles: [read]}")) {
    return out;
  }
  Fields f(errors, item, {"name", "token_env", "token_file", "roles"},
           "secrets are never written inline: use token_env or token_file");
  const size_t errors_before = errors.size();
  AuthToken& token = out.token;
  if (const Item* name = f.require("name")) {
    if (auto text = read_scalar(errors, *name, "a token name")) {
      if (text->empty()) errors.add(name->mark(), name->msg("must not be empty"));
      token.name = *text;
    }
  }
  const Item* env = f.get("token_env");
  const Item* file = f.get("token_file");
  if (env && file) {
    errors.add(item.mark(), item.msg("give either token_env or token_file, not both"));
  } else if (!env && !file) {
    errors.add(item.mark(), item.msg("missing the secret: give token_env or token_file"));
  } else if (auto secret = env ? secret_from_env(errors, *env) : secret_from_file(errors, *file)) {
    token.secret = std::move(*secret);
  }
  if (const Item* roles = f.require("roles")) {
    if (expect_list(errors, *roles, "a list of roles like [read, ingest]")) {
      if (roles->node.size() == 0) {
        errors.add(roles->mark(), roles->msg("must list at least one role (read, ingest, rollback, admin)"));
      }
      for (size_t i = 0; i < roles->node.size(); ++i) {
        auto role = parse_role(errors, roles->element(i, roles->node[i]));
        if (role && !token.has_role(*role)) token.roles.push_back(*role);
      }
    }
  }
  out.complete = errors.size() == errors_before;
  return out;
}

void parse_auth(ErrorSink& errors, const Item& item, ServerConfig& out) {
  if (!expect_map(errors, item, "a mapping with tokens")) return;
  Fields f(errors, item, {"tokens"});
  const Item* tokens = f.require("tokens");
  if (!tokens || !expect_list(errors, *tokens, "a list of tokens")) return;
  if (tokens->node.size() == 0) {
    errors.add(tokens->mark(),
               tokens->msg("must list at least one token (remove the auth block to leave the API open)"));
    return;
  }
  struct Seen {
    AuthToken token;
    int line;
  };
  std::vector<Seen> seen;
  for (size_t i = 0; i < tokens->node.size(); ++i) {
    Item t = tokens->element(i, tokens->node[i]);
    ParsedToken parsed = parse_token(errors, t);
    const AuthToken& token = parsed.token;
    for (const Seen& s : seen) {
      if (!token.name.empty() && s.token.name == token.name) {
        errors.add(t.mark(), t.msg("duplicate token name \"" + token.name + "\" (first at line " +
                                   std::to_string(s.line) + ")"));
      } else if (!token.secret.empty() && s.token.secret == token.secret) {
        // Names only: the shared secret itself must never be printed.
        errors.add(t.mark(), t.msg("token \"" + token.name + "\" has the same secret as token \"" +
                                   s.token.name + "\""));
      }
    }
    seen.push_back({token, t.mark().line + 1});
    if (parsed.complete) out.tokens.push_back(token);
  }
}

}  // namespace

bool split_host_port(std::string_view text, std::string& host, int& port) {
  std::string_view h, p;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') return false;
    h = text.substr(1, close - 1);
    p = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return false;
    h = text.substr(0, colon);
    p = text.substr(colon + 1);
    if (h.find(':') != std::string_view::npos) return false;  // IPv6 needs brackets
  }
  if (h.empty() || h.find_first_of(" \t") != std::string_view::npos) return false;
  if (!all_digits(p) || p.size() > 5) return false;
  int v = 0;
  std::from_chars(p.data(), p.data() + p.size(), v);
  if (v > 65535) return false;
  host = std::string(h);
  port = v;
  return true;
}

std::optional<std::string> secret_from_env(ErrorSink& errors, const Item& item) {
  auto var = read_scalar(errors, item, "the name of an environment variable");
  if (!var) return std::nullopt;
  if (!is_env_name(*var)) {
    // Not echoed: a value that is no variable name may be the secret pasted in by mistake.
    errors.add(item.mark(), item.msg("expected the name of an environment variable (letters, digits "
                                     "and '_', not starting with a digit), not the secret itself"));
    return std::nullopt;
  }
  const char* value = std::getenv(var->c_str());
  if (!value) {
    errors.add(item.mark(), item.msg("environment variable " + *var + " is not set"));
    return std::nullopt;
  }
  if (*value == '\0') {
    errors.add(item.mark(), item.msg("environment variable " + *var + " is empty"));
    return std::nullopt;
  }
  return std::string(value);
}

void parse_server(ErrorSink& errors, const Item& item, ServerConfig& out) {
  if (!expect_map(errors, item, "a mapping with listen, max_body_bytes, auth")) return;
  Fields f(errors, item, {"listen", "max_body_bytes", "auth"});
  if (const Item* listen = f.get("listen")) parse_listen(errors, *listen, out);
  if (const Item* max_body = f.get("max_body_bytes")) parse_max_body_bytes(errors, *max_body, out);
  if (const Item* auth = f.get("auth")) {
    Item sensitive = *auth;
    sensitive.sensitive = true;
    parse_auth(errors, sensitive, out);
  }
}

}  // namespace sloguard::config::detail
