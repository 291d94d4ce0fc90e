// `release.hooks:` — rollback hooks of kind webhook, github and exec. Secrets (webhook URL and
// signing secret, GitHub token) come from *_env or *_file and never appear in an error.
#include <algorithm>
#include <cctype>

#include "release_fields.h"
#include "sections.h"

namespace sloguard::config::detail {
namespace {

bool is_http_url(std::string_view u) { return u.rfind("http://", 0) == 0 || u.rfind("https://", 0) == 0; }

// One secret from `key`, `key_env` or `key_file` (inline only when allow_inline). Reports
// when more than one or (required) none is given. Returns "" when absent or after an error.
std::string read_secret(ErrorSink& errors, const Item& item, const Fields& f, const std::string& key,
                        bool allow_inline, bool required, bool& failed) {
  const Item* inl = allow_inline ? f.get(key) : nullptr;
  const Item* env = f.get(key + "_env");
  const Item* file = f.get(key + "_file");
  const int given = (inl ? 1 : 0) + (env ? 1 : 0) + (file ? 1 : 0);
  const std::string names = allow_inline ? key + ", " + key + "_env or " + key + "_file" : key + "_env or " + key + "_file";
  if (given > 1) {
    errors.add(item.mark(), item.msg("give only one of " + names));
    failed = true;
    return "";
  }
  if (given == 0) {
    if (required) {
      errors.add(item.mark(), item.msg("missing " + names));
      failed = true;
    }
    return "";
  }
  std::optional<std::string> v;
  if (inl) {
    Item sensitive = *inl;
    sensitive.sensitive = true;
    v = read_scalar(errors, sensitive, "a value");
  } else if (env) {
    v = secret_from_env(errors, *env);
  } else {
    v = secret_from_file(errors, *file);
  }
  if (!v) failed = true;
  return v.value_or("");
}

void read_string_map(ErrorSink& errors, const Item& item, std::map<std::string, std::string>& out) {
  if (!expect_map(errors, item, "a mapping of names to strings")) return;
  for (auto it = item.node.begin(); it != item.node.end(); ++it) {
    Item v = item.child(it->first.Scalar(), it->second, it->first.Mark());
    if (auto text = read_scalar(errors, v, "a string")) out[it->first.Scalar()] = *text;
  }
}

void parse_github(ErrorSink& errors, const Item& item, const Fields& f, HookConfig& h, bool& failed) {
  h.token = read_secret(errors, item, f, "token", false, true, failed);
  if (const Item* api = f.get("api_url")) {
    if (auto text = read_scalar(errors, *api, "a URL like https://api.github.com")) {
      if (!is_http_url(*text)) {
        errors.add(api->mark(), api->msg("expected an http:// or https:// URL"));
        failed = true;
      } else {
        h.api_url = *text;
        while (!h.api_url.empty() && h.api_url.back() == '/') h.api_url.pop_back();
      }
    }
  }
  for (const char* key : {"owner", "repo"}) {
    if (const Item* v = f.require(key)) {
      if (auto text = read_scalar(errors, *v, "a name")) {
        if (text->empty() || text->find('/') != std::string::npos) {
          errors.add(v->mark(), v->msg("expected a GitHub name without '/'"));
          failed = true;
        }
        (std::string_view(key) == "owner" ? h.owner : h.repo) = *text;
      } else {
        failed = true;
      }
    } else {
      failed = true;
    }
  }
  const Item* wd = f.get("workflow_dispatch");
  const Item* rd = f.get("repository_dispatch");
  if ((wd != nullptr) == (rd != nullptr)) {
    errors.add(item.mark(), item.msg("give exactly one of workflow_dispatch or repository_dispatch"));
    failed = true;
    return;
  }
  if (wd) {
    if (!expect_map(errors, *wd, "a mapping with workflow, ref, inputs")) {
      failed = true;
      return;
    }
    Fields w(errors, *wd, {"workflow", "ref", "inputs"});
    if (const Item* wf = w.require("workflow")) {
      if (auto text = read_scalar(errors, *wf, "a workflow file name like rollback.yml or its id")) h.workflow = *text;
    }
    if (h.workflow.empty()) failed = true;
    if (const Item* ref = w.get("ref")) {
      if (auto text = read_scalar(errors, *ref, "a branch or tag")) h.ref = *text;
    }
    if (const Item* inputs = w.get("inputs")) read_string_map(errors, *inputs, h.inputs);
  } else {
    if (!expect_map(errors, *rd, "a mapping with event_type, client_payload")) {
      failed = true;
      return;
    }
    Fields r(errors, *rd, {"event_type", "client_payload"});
    if (const Item* et = r.require("event_type")) {
      if (auto text = read_scalar(errors, *et, "an event type like rollback")) h.event_type = *text;
    }
    if (h.event_type.empty()) failed = true;
    if (const Item* cp = r.get("client_payload")) read_string_map(errors, *cp, h.client_payload);
  }
}

// The request's values, as written in github inputs and (after "--") in exec argv.
constexpr std::string_view kPlaceholders[] = {"{service}",       "{version}", "{previous_version}",
                                              "{deployment_id}", "{environment}", "{reason}",
                                              "{trigger}",       "{alert}"};

// "{previous_version}" -> "SLOGUARD_PREVIOUS_VERSION".
std::string env_name(std::string_view placeholder) {
  std::string out = "SLOGUARD_";
  for (char c : placeholder.substr(1, placeholder.size() - 2)) {
    out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

// A placeholder in exec argv only as a whole argument after a "--" argument: anywhere else
// a value (from a deploy request or an alert) could become an option of the command or part
// of one. argv[0] is the program, never the "--".
void check_argv_placeholders(ErrorSink& errors, const Item& argv, const std::vector<std::string>& args,
                             bool& failed) {
  bool after_dashes = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (i > 0 && a == "--") {
      after_dashes = true;
      continue;
    }
    std::string_view found;
    size_t first = std::string::npos;
    for (std::string_view p : kPlaceholders) {
      size_t at = a.find(p);
      if (at < first) {
        first = at;
        found = p;
      }
    }
    if (found.empty()) continue;
    const bool whole = a == found;
    if (whole && after_dashes) continue;
    Item e = argv.element(i, argv.node[i]);
    std::string m = "argument " + std::to_string(i) + " has the placeholder " + std::string(found) +
                    (whole ? " before any \"--\" argument" : " inside a larger argument") +
                    ", where its value could become an option or part of one; use the " + env_name(found) +
                    " environment variable (exec hooks get SLOGUARD_SERVICE, SLOGUARD_VERSION, "
                    "SLOGUARD_PREVIOUS_VERSION, SLOGUARD_DEPLOYMENT_ID, SLOGUARD_ENVIRONMENT, SLOGUARD_REASON, "
                    "SLOGUARD_TRIGGER, SLOGUARD_ALERT, SLOGUARD_IDEMPOTENCY_KEY), or pass it as a whole argument "
                    "after \"--\"";
    errors.add(e.mark(), e.msg(m));
    failed = true;
  }
}

void parse_exec(ErrorSink& errors, const Fields& f, HookConfig& h, bool& failed) {
  if (const Item* argv = f.require("argv")) {
    if (auto list = read_string_list(errors, *argv, "arguments")) {
      if (list->empty() || list->front().empty()) {
        errors.add(argv->mark(), argv->msg("must start with the program to run"));
        failed = true;
      }
      check_argv_placeholders(errors, *argv, *list, failed);
      h.argv = *list;
    } else {
      failed = true;
    }
  } else {
    failed = true;
  }
  h.env_allow = {"PATH", "HOME"};
  if (const Item* env = f.get("env_allow")) {
    if (auto list = read_string_list(errors, *env, "environment variable names")) h.env_allow = *list;
  }
  if (const Item* m = f.get("max_output_bytes")) {
    if (auto v = read_number(errors, *m, 0, 16 * 1024 * 1024, "a number of bytes 0..16777216")) {
      h.max_output_bytes = static_cast<size_t>(*v);
    }
  }
}

}  // namespace

void parse_hooks(ErrorSink& errors, const Item& item, std::vector<HookConfig>& out, std::vector<std::string>& names) {
  if (item.node.IsNull()) return;
  if (!expect_list(errors, item, "a list of hooks like {name: rollback, kind: webhook, url_env: ROLLBACK_URL}")) return;
  for (size_t i = 0; i < item.node.size(); ++i) {
    Item hi = item.element(i, item.node[i]);
    if (!expect_map(errors, hi, "a hook like {name: rollback, kind: webhook, url_env: ROLLBACK_URL}")) continue;
    const size_t before = errors.size();
    HookConfig h;
    bool failed = false;
    // Kind first: it decides the known keys.
    std::string kind = "webhook";
    if (hi.node["kind"] && hi.node["kind"].IsScalar()) kind = hi.node["kind"].Scalar();
    std::vector<std::string_view> known = {"name", "kind", "dry_run", "timeout"};
    if (kind == "webhook") {
      h.kind = HookKind::kWebhook;
      known.insert(known.end(), {"url", "url_env", "url_file", "secret_env", "secret_file", "hub_signature",
                                 "max_attempts", "retry_initial", "retry_max", "tls_verify"});
    } else if (kind == "github") {
      h.kind = HookKind::kGithub;
      known.insert(known.end(), {"token_env", "token_file", "api_url", "owner", "repo", "workflow_dispatch",
                                 "repository_dispatch", "max_attempts", "retry_initial", "retry_max", "tls_verify"});
    } else if (kind == "exec") {
      h.kind = HookKind::kExec;
      h.timeout_ms = 60000;
      known.insert(known.end(), {"argv", "env_allow", "max_output_bytes"});
    }
    Fields f(errors, hi, known, "secrets are never written inline: use *_env or *_file");
    if (const Item* name = f.require("name")) {
      if (auto text = read_scalar(errors, *name, "a hook name")) {
        names.push_back(*text);
        if (check_name(errors, *name, *text)) h.name = *text;
      }
    }
    if (const Item* k = f.require("kind")) {
      if (auto text = read_scalar(errors, *k, "webhook, github or exec")) {
        if (*text != "webhook" && *text != "github" && *text != "exec") {
          errors.add(k->mark(), k->msg("unknown hook kind \"" + *text + "\"; expected webhook, github or exec"));
          continue;
        }
      }
    }
    if (const Item* d = f.get("dry_run")) {
      if (auto v = read_bool(errors, *d)) h.dry_run = *v;
    }
    if (const Item* t = f.get("timeout")) {
      if (auto ms = read_positive_duration(errors, *t)) h.timeout_ms = *ms;
    }
    if (h.kind != HookKind::kExec) {
      if (const Item* m = f.get("max_attempts")) {
        if (auto v = read_count(errors, *m, 1, 100)) h.max_attempts = *v;
      }
      if (const Item* r = f.get("retry_initial")) {
        if (auto ms = read_positive_duration(errors, *r)) h.retry_initial_ms = *ms;
      }
      if (const Item* r = f.get("retry_max")) {
        if (auto ms = read_positive_duration(errors, *r)) h.retry_max_ms = *ms;
      }
      if (const Item* t = f.get("tls_verify")) {
        if (auto v = read_bool(errors, *t)) h.tls_verify = *v;
      }
    }
    if (h.kind == HookKind::kWebhook) {
      h.url = read_secret(errors, hi, f, "url", true, true, failed);
      if (!failed && !is_http_url(h.url)) {
        // Not echoed: the URL may carry a token.
        errors.add(hi.mark(), hi.msg("the webhook URL must start with http:// or https://"));
      }
      h.secret = read_secret(errors, hi, f, "secret", false, false, failed);
      if (const Item* hs = f.get("hub_signature")) {
        if (auto v = read_bool(errors, *hs)) h.hub_signature = *v;
      }
      if (h.hub_signature && h.secret.empty() && !failed) {
        errors.add(hi.mark(), hi.msg("hub_signature needs secret_env or secret_file"));
      }
    } else if (h.kind == HookKind::kGithub) {
      parse_github(errors, hi, f, h, failed);
    } else {
      parse_exec(errors, f, h, failed);
    }
    if (failed || errors.size() != before) continue;
    if (std::any_of(out.begin(), out.end(), [&](const HookConfig& o) { return o.name == h.name; })) {
      errors.add(hi.mark(), hi.msg("duplicate hook name \"" + h.name + "\""));
      continue;
    }
    out.push_back(std::move(h));
  }
}

}  // namespace sloguard::config::detail
