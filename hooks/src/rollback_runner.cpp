#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <set>

#include "json_codec.h"
#include "sloguard/common/log.h"
#include "sloguard/common/units.h"
#include "sloguard/hooks/exec.h"
#include "sloguard/hooks/rollback.h"

namespace sloguard::hooks {
namespace {

using json = nlohmann::json;

constexpr std::string_view kRunPrefix = "hookrun/";
constexpr std::string_view kAuditPrefix = "audit/";

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
  r.service = j.value("service", "");
  r.reason = j.value("reason", "");
  r.trigger = j.value("trigger", "");
  r.idempotency_key = j.value("idempotency_key", "");
  r.deployment_id = j.value("deployment_id", "");
  r.version = j.value("version", "");
  r.previous_version = j.value("previous_version", "");
  r.environment = j.value("environment", "");
  if (j.contains("burn_rates") && j["burn_rates"].is_object()) {
    r.burn_rates = j["burn_rates"].get<std::map<std::string, double>>();
  }
  if (j.contains("budget_remaining") && j["budget_remaining"].is_number()) {
    r.budget_remaining = j["budget_remaining"].get<double>();
  }
  if (j.contains("alert") && j["alert"].is_object()) {
    const json& a = j["alert"];
    AlertInfo info;
    info.name = a.value("name", "");
    info.slo = a.value("slo", "");
    info.tier = a.value("tier", "");
    info.severity = a.value("severity", "");
    info.fingerprint = a.value("fingerprint", "");
    info.since = a.value("since", int64_t{0});
    if (a.contains("labels") && a["labels"].is_object()) {
      info.labels = a["labels"].get<std::map<std::string, std::string>>();
    }
    r.alert = info;
  }
  return r;
}

// scheme://host only: paths and queries of webhook URLs often carry tokens.
std::string redact_url(const std::string& url) {
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) return "<url>";
  size_t end = url.find_first_of("/?#", scheme + 3);
  std::string host = url.substr(0, end);
  if (size_t at = host.find('@'); at != std::string::npos) host = host.substr(0, scheme + 3) + host.substr(at + 1);
  return host + (end == std::string::npos ? "" : "/...");
}

bool counts_as_rollback(const std::string& state) {
  return state == "started" || state == "succeeded" || state == "failed" || state == "retrying";
}

std::string hex_digest_id(const std::string& text) {
  // FNV-1a: a stable message id per (key, hook) for Standard Webhooks' webhook-id.
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "msg_%016llx", static_cast<unsigned long long>(h));
  return buf;
}

}  // namespace

struct RollbackRunner::Call {
  RollbackRequest req;
  std::string record_key;
  std::string message_id;
  int attempts = 0;
  int64_t started_at_ms = 0;
  int64_t next_at_ms = 0;
  std::string state;
  json record() const {
    return {{"hook", record_key.substr(record_key.rfind('/') + 1)},
            {"service", req.service},
            {"state", state},
            {"attempts", attempts},
            {"started_at_ms", started_at_ms},
            {"next_at_ms", next_at_ms},
            {"message_id", message_id},
            {"request", request_json(req)}};
  }
};

std::string render_placeholders(const std::string& text, const RollbackRequest& req) {
  const std::pair<const char*, std::string> values[] = {
      {"{service}", req.service},
      {"{version}", req.version},
      {"{previous_version}", req.previous_version},
      {"{deployment_id}", req.deployment_id},
      {"{environment}", req.environment},
      {"{reason}", req.reason},
      {"{trigger}", req.trigger},
      {"{alert}", req.alert ? req.alert->name : std::string()},
  };
  std::string out;
  for (size_t i = 0; i < text.size();) {
    bool replaced = false;
    if (text[i] == '{') {
      for (const auto& [name, value] : values) {
        const size_t len = std::char_traits<char>::length(name);
        if (text.compare(i, len, name) == 0) {
          out += value;
          i += len;
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) out += text[i++];
  }
  return out;
}

Status RollbackRunner::append_audit(AuditEntry e, const RollbackRequest& req) {
  char id[48];
  std::snprintf(id, sizeof id, "%016lld-%06llu", static_cast<long long>(e.at_ms),
                static_cast<unsigned long long>(++audit_seq_ % 1000000));
  e.id = id;
  Status s = store_.put_state(std::string(kAuditPrefix) + e.id, to_json(e));
  if (!s.ok()) log::error("writing the hook audit log failed", {{"error", s.to_string()}});
  log::info("rollback hook", {{"service", e.service}, {"hook", e.hook}, {"result", e.result}, {"detail", e.detail}});
  if (e.result != "retrying") finished_.push_back({req, std::move(e)});
  return s;
}

void RollbackRunner::set_result_listener(HookResultListener listener) {
  std::lock_guard<std::mutex> lock(listener_mu_);
  listener_ = std::move(listener);
}

void RollbackRunner::report(std::vector<Finished> finished) {
  if (finished.empty()) return;
  HookResultListener listener;
  {
    std::lock_guard<std::mutex> lock(listener_mu_);
    listener = listener_;
  }
  if (!listener) return;
  for (const Finished& f : finished) listener(f.req, f.result);
}

void RollbackRunner::attempt(const config::Config& cfg, const config::HookConfig& hook, Call& call) {
  const RollbackRequest& req = call.req;
  ++call.attempts;
  AuditEntry audit;
  audit.at_ms = clock_.now_ms();
  audit.service = req.service;
  audit.hook = hook.name;
  audit.kind = config::hook_kind_name(hook.kind);
  audit.trigger = req.trigger;
  audit.reason = req.reason;
  audit.idempotency_key = req.idempotency_key;
  audit.deployment_id = req.deployment_id;
  audit.attempts = call.attempts;

  if (hook.kind == config::HookKind::kExec) {
    std::vector<std::string> argv;
    for (const auto& a : hook.argv) argv.push_back(render_placeholders(a, req));
    std::vector<std::pair<std::string, std::string>> env;
    for (const auto& name : hook.env_allow) {
      if (const char* v = std::getenv(name.c_str())) env.emplace_back(name, v);
    }
    for (const auto& a : argv) audit.action += (audit.action.empty() ? "" : " ") + a;
    ExecResult r = run_exec(argv, env, hook.timeout_ms, hook.max_output_bytes);
    audit.output = r.output;
    audit.detail = r.timed_out ? "timed out after " + format_duration_ms(hook.timeout_ms) + "; process group killed"
                               : r.describe();
    if (r.output_truncated) audit.detail += " (output truncated)";
    call.state = r.ok() ? "succeeded" : "failed";
  } else {
    net::HttpRequest http;
    http.method = "POST";
    http.timeout_ms = hook.timeout_ms;
    http.tls_verify = hook.tls_verify;
    http.headers.push_back({"Content-Type", "application/json"});
    http.headers.push_back({"User-Agent", "sloguard"});
    if (hook.kind == config::HookKind::kWebhook) {
      const int64_t ts = clock_.now_seconds();
      json body = request_json(req);
      body["type"] = "sloguard.rollback";
      body["hook"] = hook.name;
      body["id"] = call.message_id;
      body["timestamp"] = format_rfc3339(ts);
      body["deployment"] = req.deployment_id.empty()
                               ? json(nullptr)
                               : json{{"id", req.deployment_id},
                                      {"version", req.version},
                                      {"previous_version", req.previous_version},
                                      {"environment", req.environment}};
      http.url = hook.url;
      http.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
      http.headers.push_back({"webhook-id", call.message_id});
      http.headers.push_back({"webhook-timestamp", std::to_string(ts)});
      if (!hook.secret.empty()) {
        http.headers.push_back(
            {"webhook-signature", net::standard_webhooks_signature(hook.secret, call.message_id, ts, http.body)});
        if (hook.hub_signature) http.headers.push_back({"X-Hub-Signature-256", net::hub_signature_256(hook.secret, http.body)});
      }
      audit.action = "POST " + redact_url(hook.url);
    } else {
      http.headers.push_back({"Accept", "application/vnd.github+json"});
      http.headers.push_back({"Authorization", "Bearer " + hook.token});
      http.headers.push_back({"X-GitHub-Api-Version", "2022-11-28"});
      json body;
      if (!hook.workflow.empty()) {
        http.url = hook.api_url + "/repos/" + hook.owner + "/" + hook.repo + "/actions/workflows/" + hook.workflow +
                   "/dispatches";
        json inputs = json::object();
        for (const auto& [k, v] : hook.inputs) inputs[k] = render_placeholders(v, req);
        body = {{"ref", hook.ref}, {"inputs", inputs}};
      } else {
        http.url = hook.api_url + "/repos/" + hook.owner + "/" + hook.repo + "/dispatches";
        json payload = request_json(req);
        for (const auto& [k, v] : hook.client_payload) payload[k] = render_placeholders(v, req);
        body = {{"event_type", hook.event_type}, {"client_payload", payload}};
      }
      http.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
      audit.action = "POST " + http.url;
    }
    auto response = sender_.send(http);
    net::Verdict v = net::classify(response, clock_.now_ms());
    audit.detail = v.detail.empty() ? "HTTP " + std::to_string(v.http_status) : v.detail;
    if (v.outcome == net::Outcome::kDelivered) {
      call.state = "succeeded";
    } else if (v.outcome == net::Outcome::kRetry && call.attempts < hook.max_attempts) {
      call.state = "retrying";
      int64_t wait = net::backoff_ms(call.attempts, hook.retry_initial_ms, hook.retry_max_ms);
      if (v.retry_after_ms) wait = std::max(wait, *v.retry_after_ms);
      call.next_at_ms = clock_.now_ms() + wait;
      audit.detail += "; retry " + std::to_string(call.attempts + 1) + " of " + std::to_string(hook.max_attempts) +
                      " at " + format_rfc3339(call.next_at_ms / 1000);
    } else {
      call.state = "failed";
    }
  }
  (void)cfg;
  audit.result = call.state;
  if (Status s = store_.put_state(call.record_key, call.record().dump()); !s.ok()) {
    log::error("updating a hook run failed", {{"hook", hook.name}, {"error", s.to_string()}});
  }
  append_audit(std::move(audit), req);
}

std::vector<HookRun> RollbackRunner::trigger(const config::Config& cfg, const RollbackRequest& req) {
  std::vector<HookRun> out;
  std::vector<Finished> finished;
  {
    std::lock_guard<std::mutex> lock(mu_);
    out = trigger_locked(cfg, req);
    finished.swap(finished_);
  }
  report(std::move(finished));
  return out;
}

void RollbackRunner::poll(const config::Config& cfg) {
  std::vector<Finished> finished;
  {
    std::lock_guard<std::mutex> lock(mu_);
    poll_locked(cfg);
    finished.swap(finished_);
  }
  report(std::move(finished));
}

std::vector<HookRun> RollbackRunner::trigger_locked(const config::Config& cfg, const RollbackRequest& req) {
  std::vector<HookRun> out;
  const int64_t now = clock_.now_ms();
  const config::RollbackConfig& rb = cfg.release.rollback;

  // Which hooks still have to run for this key, and the service's rollback history.
  std::vector<std::string> todo;
  for (const auto& name : req.hooks) {
    auto existing = store_.get_state(std::string(kRunPrefix) + req.idempotency_key + "/" + name);
    if (!existing.ok()) {
      out.push_back({name, "failed", "store: " + existing.status().message()});
      continue;
    }
    if (existing->has_value()) {
      out.push_back({name, "duplicate", "already run for " + req.idempotency_key});
      continue;
    }
    todo.push_back(name);
  }
  if (todo.empty()) return out;

  std::set<std::string> keys_in_period;
  int64_t last_at = -1;
  Status scan = store_.scan_state(kRunPrefix, [&](std::string_view key, std::string_view value) {
    json j = json::parse(value, nullptr, false);
    if (j.is_discarded() || j.value("service", "") != req.service) return;
    if (!counts_as_rollback(j.value("state", ""))) return;
    const std::string idem = j.contains("request") ? j["request"].value("idempotency_key", "") : "";
    if (idem == req.idempotency_key) return;  // this same rollback, other hooks
    const int64_t at = j.value("started_at_ms", int64_t{0});
    if (at >= now - rb.period_ms) keys_in_period.insert(idem);
    last_at = std::max(last_at, at);
    (void)key;
  });
  std::string skip, skip_detail;
  if (!scan.ok()) {
    skip = "failed";
    skip_detail = "store: " + scan.message();
  } else if (last_at >= 0 && rb.cooldown_ms > 0 && now < last_at + rb.cooldown_ms) {
    skip = "skipped_cooldown";
    skip_detail = "last rollback of " + req.service + " at " + format_rfc3339(last_at / 1000) + "; cooldown " +
                  format_duration_ms(rb.cooldown_ms);
  } else if (static_cast<int>(keys_in_period.size()) >= rb.max_per_period) {
    skip = "skipped_limit";
    skip_detail = std::to_string(keys_in_period.size()) + " rollbacks of " + req.service + " in the last " +
                  format_duration_ms(rb.period_ms) + " (max_per_period " + std::to_string(rb.max_per_period) + ")";
  }

  for (const auto& name : todo) {
    Call call;
    call.req = req;
    call.record_key = std::string(kRunPrefix) + req.idempotency_key + "/" + name;
    call.message_id = hex_digest_id(req.idempotency_key + "/" + name);
    call.started_at_ms = now;
    const config::HookConfig* hook = cfg.release.find_hook(name);
    AuditEntry audit;
    audit.at_ms = now;
    audit.service = req.service;
    audit.hook = name;
    audit.trigger = req.trigger;
    audit.reason = req.reason;
    audit.idempotency_key = req.idempotency_key;
    audit.deployment_id = req.deployment_id;
    if (!hook) {
      audit.result = "failed";
      audit.detail = "no hook named \"" + name + "\" in release.hooks";
      append_audit(audit, req);
      out.push_back({name, audit.result, audit.detail});
      continue;
    }
    audit.kind = config::hook_kind_name(hook->kind);
    if (hook->kind == config::HookKind::kExec) {
      for (const auto& a : hook->argv) audit.action += (audit.action.empty() ? "" : " ") + render_placeholders(a, req);
    } else if (hook->kind == config::HookKind::kWebhook) {
      audit.action = "POST " + redact_url(hook->url);
    } else {
      audit.action = "POST " + hook->api_url + "/repos/" + hook->owner + "/" + hook->repo +
                     (hook->workflow.empty() ? "/dispatches" : "/actions/workflows/" + hook->workflow + "/dispatches");
    }
    if (!skip.empty() || rb.dry_run || hook->dry_run) {
      call.state = skip.empty() ? "dry_run" : skip;
      audit.result = call.state;
      audit.detail = skip.empty() ? "dry run: nothing was called" : skip_detail;
      // Recorded under the key too, so the same trigger is not re-recorded every round.
      if (Status s = store_.put_state(call.record_key, call.record().dump()); !s.ok()) {
        audit.result = "failed";
        audit.detail = "store: " + s.message();
      }
      append_audit(audit, req);
      out.push_back({name, audit.result, audit.detail});
      continue;
    }
    // At most once: the record exists before the call, so a restart mid-call never repeats it.
    call.state = "started";
    if (Status s = store_.put_state(call.record_key, call.record().dump()); !s.ok()) {
      audit.result = "failed";
      audit.detail = "not called: the idempotency record could not be written: " + s.message();
      append_audit(audit, req);
      out.push_back({name, audit.result, audit.detail});
      continue;
    }
    attempt(cfg, *hook, call);
    out.push_back({name, call.state, ""});
  }
  return out;
}

void RollbackRunner::poll_locked(const config::Config& cfg) {
  const int64_t now = clock_.now_ms();
  std::vector<Call> due;
  Status s = store_.scan_state(kRunPrefix, [&](std::string_view key, std::string_view value) {
    json j = json::parse(value, nullptr, false);
    if (j.is_discarded() || j.value("state", "") != "retrying") return;
    if (j.value("next_at_ms", int64_t{0}) > now) return;
    Call c;
    c.record_key = std::string(key);
    c.req = request_from_json(j.value("request", json::object()));
    c.message_id = j.value("message_id", "");
    c.attempts = j.value("attempts", 0);
    c.started_at_ms = j.value("started_at_ms", int64_t{0});
    c.state = "retrying";
    due.push_back(std::move(c));
  });
  if (!s.ok()) {
    log::error("reading hook retries failed", {{"error", s.to_string()}});
    return;
  }
  for (Call& c : due) {
    const std::string name = c.record_key.substr(c.record_key.rfind('/') + 1);
    const config::HookConfig* hook = cfg.release.find_hook(name);
    if (!hook) {
      c.state = "failed";
      store_.put_state(c.record_key, c.record().dump());
      AuditEntry a;
      a.at_ms = now;
      a.service = c.req.service;
      a.hook = name;
      a.trigger = c.req.trigger;
      a.reason = c.req.reason;
      a.idempotency_key = c.req.idempotency_key;
      a.result = "failed";
      a.detail = "hook removed from the config before its retry";
      append_audit(a, c.req);
      continue;
    }
    attempt(cfg, *hook, c);
  }
}

Result<std::vector<AuditEntry>> RollbackRunner::history(size_t limit, std::string_view service) const {
  std::vector<AuditEntry> all;
  Status s = store_.scan_state(kAuditPrefix, [&](std::string_view, std::string_view value) {
    auto e = detail::parse_audit_record(value);
    if (e.ok() && (service.empty() || e->service == service)) all.push_back(std::move(e).value());
  });
  if (!s.ok()) return s;
  std::reverse(all.begin(), all.end());
  if (all.size() > limit) all.resize(limit);
  return all;
}

Result<std::optional<RollbackRunner::LastRollback>> RollbackRunner::last_rollback(std::string_view service) const {
  std::optional<LastRollback> last;
  Status s = store_.scan_state(kRunPrefix, [&](std::string_view, std::string_view value) {
    json j = json::parse(value, nullptr, false);
    if (j.is_discarded() || j.value("service", "") != service || !counts_as_rollback(j.value("state", ""))) return;
    const int64_t at = j.value("started_at_ms", int64_t{0}) / 1000;
    if (!last || at > last->at) {
      last = LastRollback{at, j.contains("request") ? j["request"].value("reason", "") : ""};
    }
  });
  if (!s.ok()) return s;
  return last;
}

}  // namespace sloguard::hooks
