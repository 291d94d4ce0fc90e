#include "hook_call.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "sloguard/common/units.h"
#include "sloguard/hooks/exec.h"

namespace sloguard::hooks::detail {
namespace {

using json = nlohmann::json;

// scheme://host only: paths and queries of webhook URLs often carry tokens.
std::string redact_url(const std::string& url) {
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) return "<url>";
  size_t end = url.find_first_of("/?#", scheme + 3);
  std::string host = url.substr(0, end);
  if (size_t at = host.find('@'); at != std::string::npos) host = host.substr(0, scheme + 3) + host.substr(at + 1);
  return host + (end == std::string::npos ? "" : "/...");
}

// GitHub inputs and payload fields: the request's placeholders, plus the job's own ids so a
// workflow can drop a second dispatch of the same rollback.
std::string render_github(const std::string& text, const RollbackJob& job, const std::string& hook) {
  std::string out = render_placeholders(text, job.request);
  const std::pair<std::string, std::string> ids[] = {{"{idempotency_key}", job.request.idempotency_key + "/" + hook},
                                                     {"{webhook_id}", job.message_id}};
  for (const auto& [name, value] : ids) {
    for (size_t at = out.find(name); at != std::string::npos; at = out.find(name, at + value.size())) {
      out.replace(at, name.size(), value);
    }
  }
  return out;
}

CallOutcome run_exec_hook(const config::HookConfig& hook, const RollbackJob& job,
                          const std::function<void(int pgid)>& started) {
  CallOutcome out;
  ExecResult r = run_exec(exec_argv(hook, job.request), exec_env(hook, job.request, job.message_id), hook.timeout_ms,
                          hook.max_output_bytes, started);
  out.output = r.output;
  out.detail = r.timed_out ? "timed out after " + format_duration_ms(hook.timeout_ms) + "; process group killed"
                           : r.describe();
  if (r.output_truncated) out.detail += " (output truncated)";
  out.state = r.ok() ? "succeeded" : "failed";
  return out;
}

net::HttpRequest http_request(const config::HookConfig& hook, const RollbackJob& job, int64_t now_s) {
  const RollbackRequest& req = job.request;
  net::HttpRequest http;
  http.method = "POST";
  http.timeout_ms = hook.timeout_ms;
  http.tls_verify = hook.tls_verify;
  http.headers.push_back({"Content-Type", "application/json"});
  http.headers.push_back({"User-Agent", "sloguard"});
  if (hook.kind == config::HookKind::kWebhook) {
    json body = request_json(req);
    body["type"] = "sloguard.rollback";
    body["hook"] = hook.name;
    body["id"] = job.message_id;
    body["attempt"] = job.attempts;
    body["timestamp"] = format_rfc3339(now_s);
    body["deployment"] = req.deployment_id.empty() ? json(nullptr)
                                                   : json{{"id", req.deployment_id},
                                                          {"version", req.version},
                                                          {"previous_version", req.previous_version},
                                                          {"environment", req.environment}};
    http.url = hook.url;
    http.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
    http.headers.push_back({"webhook-id", job.message_id});
    http.headers.push_back({"webhook-timestamp", std::to_string(now_s)});
    http.headers.push_back({"Idempotency-Key", req.idempotency_key + "/" + hook.name});
    if (!hook.secret.empty()) {
      http.headers.push_back(
          {"webhook-signature", net::standard_webhooks_signature(hook.secret, job.message_id, now_s, http.body)});
      if (hook.hub_signature) http.headers.push_back({"X-Hub-Signature-256", net::hub_signature_256(hook.secret, http.body)});
    }
    return http;
  }
  http.headers.push_back({"Accept", "application/vnd.github+json"});
  http.headers.push_back({"Authorization", "Bearer " + hook.token});
  http.headers.push_back({"X-GitHub-Api-Version", "2022-11-28"});
  json body;
  if (!hook.workflow.empty()) {
    http.url = hook.api_url + "/repos/" + hook.owner + "/" + hook.repo + "/actions/workflows/" + hook.workflow +
               "/dispatches";
    json inputs = json::object();
    for (const auto& [k, v] : hook.inputs) inputs[k] = render_github(v, job, hook.name);
    body = {{"ref", hook.ref}, {"inputs", inputs}};
  } else {
    http.url = hook.api_url + "/repos/" + hook.owner + "/" + hook.repo + "/dispatches";
    json payload = request_json(req);
    for (const auto& [k, v] : hook.client_payload) payload[k] = render_github(v, job, hook.name);
    payload["webhook_id"] = job.message_id;
    body = {{"event_type", hook.event_type}, {"client_payload", payload}};
  }
  http.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return http;
}

}  // namespace

CallOutcome call_hook(const config::HookConfig& hook, const RollbackJob& job, const Clock& clock,
                      net::HttpSender& sender, const std::function<void(int pgid)>& started) {
  if (hook.kind == config::HookKind::kExec) return run_exec_hook(hook, job, started);
  CallOutcome out;
  auto response = sender.send(http_request(hook, job, clock.now_seconds()));
  net::Verdict v = net::classify(response, clock.now_ms());
  out.detail = v.detail.empty() ? "HTTP " + std::to_string(v.http_status) : v.detail;
  if (v.outcome == net::Outcome::kDelivered) {
    out.state = "succeeded";
  } else if (v.outcome == net::Outcome::kRetry && job.attempts < hook.max_attempts) {
    out.state = "retrying";
    int64_t wait = net::backoff_ms(job.attempts, hook.retry_initial_ms, hook.retry_max_ms);
    if (v.retry_after_ms) wait = std::max(wait, *v.retry_after_ms);
    out.next_at_ms = clock.now_ms() + wait;
    out.detail += "; retry " + std::to_string(job.attempts + 1) + " of " + std::to_string(hook.max_attempts) + " at " +
                  format_rfc3339(out.next_at_ms / 1000);
  } else {
    out.state = "failed";
  }
  return out;
}

std::string hook_action(const config::HookConfig& hook, const RollbackRequest& req) {
  switch (hook.kind) {
    case config::HookKind::kExec: {
      std::string action;
      for (const auto& a : exec_argv(hook, req)) action += (action.empty() ? "" : " ") + a;
      return action;
    }
    case config::HookKind::kWebhook:
      return "POST " + redact_url(hook.url);
    case config::HookKind::kGithub:
      return "POST " + hook.api_url + "/repos/" + hook.owner + "/" + hook.repo +
             (hook.workflow.empty() ? "/dispatches" : "/actions/workflows/" + hook.workflow + "/dispatches");
  }
  return {};
}

std::vector<std::string> exec_argv(const config::HookConfig& hook, const RollbackRequest& req) {
  // The loader allows placeholders only as whole arguments after "--"; anything else is
  // passed exactly as configured, so no request value can turn into an option.
  std::vector<std::string> argv;
  bool after_dashes = false;
  for (const auto& a : hook.argv) {
    const bool whole = a.size() > 2 && a.front() == '{' && a.back() == '}' && a.find('{', 1) == std::string::npos;
    argv.push_back(after_dashes && whole ? render_placeholders(a, req) : a);
    if (a == "--") after_dashes = true;
  }
  return argv;
}

std::vector<std::pair<std::string, std::string>> exec_env(const config::HookConfig& hook, const RollbackRequest& req,
                                                          const std::string& message_id) {
  std::vector<std::pair<std::string, std::string>> env;
  for (const auto& name : hook.env_allow) {
    if (name.rfind("SLOGUARD_", 0) == 0) continue;  // the request's own values win
    if (const char* v = std::getenv(name.c_str())) env.emplace_back(name, v);
  }
  const std::pair<const char*, std::string> values[] = {
      {"SLOGUARD_SERVICE", req.service},
      {"SLOGUARD_VERSION", req.version},
      {"SLOGUARD_PREVIOUS_VERSION", req.previous_version},
      {"SLOGUARD_DEPLOYMENT_ID", req.deployment_id},
      {"SLOGUARD_ENVIRONMENT", req.environment},
      {"SLOGUARD_REASON", req.reason},
      {"SLOGUARD_TRIGGER", req.trigger},
      {"SLOGUARD_ALERT", req.alert ? req.alert->name : std::string()},
      {"SLOGUARD_IDEMPOTENCY_KEY", req.idempotency_key + "/" + hook.name},
      {"SLOGUARD_WEBHOOK_ID", message_id},
      {"SLOGUARD_HOOK", hook.name},
  };
  for (const auto& [k, v] : values) env.emplace_back(k, v);
  return env;
}

json request_json(const RollbackRequest& r) {
  json j = {{"service", r.service},
            {"reason", r.reason},
            {"trigger", r.trigger},
            {"idempotency_key", r.idempotency_key},
            {"deployment_id", r.deployment_id},
            {"version", r.version},
            {"previous_version", r.previous_version},
            {"environment", r.environment},
            {"burn_rates", r.burn_rates},
            {"budget_remaining", r.budget_remaining ? json(*r.budget_remaining) : json(nullptr)}};
  if (r.alert) {
    j["alert"] = {{"name", r.alert->name},         {"slo", r.alert->slo},
                  {"tier", r.alert->tier},         {"severity", r.alert->severity},
                  {"fingerprint", r.alert->fingerprint}, {"since", r.alert->since},
                  {"labels", r.alert->labels}};
  } else {
    j["alert"] = nullptr;
  }
  return j;
}

RollbackRequest request_from_json(const json& j) {
  RollbackRequest r;
  if (!j.is_object()) return r;
  auto str = [&](const json& o, const char* k) {
    auto it = o.find(k);
    return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  r.service = str(j, "service");
  r.reason = str(j, "reason");
  r.trigger = str(j, "trigger");
  r.idempotency_key = str(j, "idempotency_key");
  r.deployment_id = str(j, "deployment_id");
  r.version = str(j, "version");
  r.previous_version = str(j, "previous_version");
  r.environment = str(j, "environment");
  if (auto it = j.find("burn_rates"); it != j.end() && it->is_object()) {
    for (auto b = it->begin(); b != it->end(); ++b) {
      if (b->is_number()) r.burn_rates[b.key()] = b->get<double>();
    }
  }
  if (auto it = j.find("budget_remaining"); it != j.end() && it->is_number()) r.budget_remaining = it->get<double>();
  if (auto it = j.find("alert"); it != j.end() && it->is_object()) {
    const json& a = *it;
    AlertInfo info;
    info.name = str(a, "name");
    info.slo = str(a, "slo");
    info.tier = str(a, "tier");
    info.severity = str(a, "severity");
    info.fingerprint = str(a, "fingerprint");
    if (auto s = a.find("since"); s != a.end() && s->is_number_integer()) info.since = s->get<int64_t>();
    if (auto l = a.find("labels"); l != a.end() && l->is_object()) {
      for (auto b = l->begin(); b != l->end(); ++b) {
        if (b->is_string()) info.labels[b.key()] = b->get<std::string>();
      }
    }
    r.alert = info;
  }
  return r;
}

std::string message_id_for(const std::string& idempotency_key, const std::string& hook) {
  // FNV-1a 64 over "<key>/<hook>": ids stay those earlier versions sent for the same key.
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : idempotency_key + "/" + hook) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "msg_%016llx", static_cast<unsigned long long>(h));
  return buf;
}

}  // namespace sloguard::hooks::detail
