// Release safety over HTTP: GET /api/v1/gate, POST/GET /api/v1/deployments,
// GET /api/v1/deployments/{id}/analysis, GET /api/v1/hooks/history and /jobs; and the
// evaluator's release round. (POST /api/v1/alertmanager: alertmanager_receiver.cpp.)
#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "http_json.h"
#include "server_impl.h"
#include "sloguard/common/log.h"
#include "sloguard/common/units.h"
#include "sloguard/hooks/verification.h"

namespace sloguard::server {
namespace {

using json = nlohmann::json;

// ?limit= within 1..1000 (default 50); false after replying 400.
bool read_limit(const httplib::Request& req, httplib::Response& res, size_t& limit) {
  limit = 50;
  if (!req.has_param("limit")) return true;
  const std::string text = req.get_param_value("limit");
  char* end = nullptr;
  long v = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || v < 1 || v > 1000) {
    reply_error(res, 400, "limit: expected a whole number 1..1000", {{"field", "limit"}});
    return false;
  }
  limit = static_cast<size_t>(v);
  return true;
}

json optional_json(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }



}  // namespace

std::optional<Server::Impl::FoundDeployment> Server::Impl::find_deployment(const httplib::Request& req,
                                                                           httplib::Response& res) {
  std::string id(req.matches[1]);
  if (id == "latest") {
    const std::string service = req.get_param_value("service");
    if (service.empty()) {
      reply_error(res, 400, "service: required with the id \"latest\", e.g. ?service=checkout", {{"field", "service"}});
      return std::nullopt;
    }
    auto list = deployments.list(service, 1);
    if (!list.ok()) {
      reply_error(res, 500, "reading deployments: " + list.status().message());
      return std::nullopt;
    }
    if (list->empty()) {
      reply_error(res, 404, "no deployment of service \"" + service + "\"", {{"field", "service"}});
      return std::nullopt;
    }
    id = list->front().id;
  }
  auto d = deployments.get(id);
  if (!d.ok()) {
    reply_error(res, 500, "reading the deployment: " + d.status().message());
    return std::nullopt;
  }
  if (!d->has_value()) {
    reply_error(res, 404, "unknown deployment \"" + id + "\"");
    return std::nullopt;
  }
  auto p = deployments.progress(id);
  if (!p.ok()) {
    reply_error(res, 500, "reading the verification progress: " + p.status().message());
    return std::nullopt;
  }
  return FoundDeployment{std::move(**d), std::move(*p)};
}

json Server::Impl::analysis_json(const config::Config& cfg, const hooks::Deployment& d,
                                 const std::optional<hooks::VerificationProgress>& progress,
                                 std::optional<int> weight) const {
  const int64_t now = clock.now_seconds();
  const config::VerificationConfig& vc = cfg.release.verification_for(d.service);
  hooks::Analysis a = hooks::analyze(d, vc, progress, now, weight);
  json rules = json::array();
  std::optional<std::string> failed_rule;
  if (d.verification && !d.verification->failed_rule.empty()) failed_rule = d.verification->failed_rule;
  if (progress) {
    for (const auto& c : progress->rules) rules.push_back(json::parse(hooks::to_json_rule(c)));
  }
  const json stages = json::parse(hooks::to_json(d))["stages"];  // the deployment's own form
  json body = {{"deployment_id", d.id},
               {"service", d.service},
               {"version", d.version},
               {"previous_version", d.previous_version},
               {"decision", a.decision},
               {"ok", a.decision == "continue" || a.decision == "promote"},
               {"phase", a.phase},
               {"reasons", a.reasons},
               {"stages", stages},
               {"started_at", format_rfc3339(a.from)},
               {"ends_at", format_rfc3339(a.to)},
               {"time_left_s", std::max<int64_t>(0, a.to - now)},
               {"rules", rules},
               {"failed_rule", failed_rule ? json(*failed_rule) : json(nullptr)},
               {"checked_at", progress && progress->checked_at > 0 ? json(format_rfc3339(progress->checked_at))
                                                                   : json(nullptr)},
               {"enabled", vc.enabled}};
  if (a.stage) {
    body["stage"] = {{"index", *a.stage},
                     {"weight", d.stages[*a.stage].weight},
                     {"started_at", format_rfc3339(a.stage_started_at)},
                     {"ends_at", format_rfc3339(a.stage_ends_at)}};
  } else {
    body["stage"] = nullptr;
  }
  return body;
}

slo::GateDecision Server::Impl::decide_gate(const config::Config& cfg, const std::string& service,
                                            std::vector<slo::SloStatus> statuses, std::vector<std::string> slo_errors,
                                            int64_t at, slo::GateInput* input_out) {
  slo::GateInput in;
  in.service = service;
  in.at = at;
  in.slos = std::move(statuses);
  in.slo_errors = std::move(slo_errors);
  if (firing_alerts) in.alerts = firing_alerts(service);
  {
    std::lock_guard<std::mutex> lock(alertmanager_mu);
    for (const auto& [fp, a] : alertmanager_firing) {
      if (a.service == service && a.expires_at > at) in.alerts.push_back({a.name, "alertmanager", a.severity, a.since});
    }
  }
  auto last = rollbacks.last_rollback(service);
  if (!last.ok()) {
    in.slo_errors.push_back("rollback history: " + last.status().message());
  } else if (last->has_value()) {
    in.last_rollback = slo::RecentRollback{(*last)->at, (*last)->reason};
  }
  slo::GateDecision d = slo::decide_gate(cfg, in);
  if (input_out) *input_out = std::move(in);
  return d;
}

hooks::RollbackRequest Server::Impl::verification_rollback(const config::Config& cfg, const hooks::Deployment& d,
                                                           const hooks::Verification& v,
                                                           const std::vector<slo::SloStatus>& statuses) const {
  hooks::RollbackRequest req;
  req.service = d.service;
  req.trigger = "verification";
  req.idempotency_key = "deploy/" + d.id;
  req.deployment_id = d.id;
  req.version = d.version;
  req.previous_version = d.previous_version;
  req.environment = d.environment;
  req.reason = "verification of " + d.service + " " + d.version + " failed:";
  for (const auto& r : v.reasons) req.reason += " " + r + ";";
  if (!req.reason.empty() && req.reason.back() == ';') req.reason.pop_back();
  for (const auto& s : statuses) {
    if (s.service != d.service) continue;
    if (!req.budget_remaining && s.budget.remaining_ratio) req.budget_remaining = s.budget.remaining_ratio;
    for (const auto& w : s.burn_rates) {
      if (w.burn_rate && !req.burn_rates.count(w.name)) req.burn_rates[w.name] = *w.burn_rate;
    }
  }
  req.hooks = cfg.release.hooks_for(d.service);
  return req;
}

void Server::Impl::release_round(const config::Config& cfg, const std::vector<slo::SloStatus>& statuses, double at) {
  const int64_t now = static_cast<int64_t>(std::floor(at));
  auto planner = [&](const hooks::Deployment& d, const hooks::Verification& v) -> std::vector<store::Store::StateWrite> {
    hooks::RollbackRequest req = verification_rollback(cfg, d, v, statuses);
    if (req.hooks.empty()) {
      log::warn("verification failed and no rollback hooks are configured", {{"deployment", d.id}});
      return {};
    }
    auto plan = rollbacks.plan(req);
    if (!plan.ok()) {
      log::error("planning a rollback failed", {{"deployment", d.id}, {"error", plan.status().to_string()}});
      return {};
    }
    return std::move(plan->writes);
  };
  hooks::verify_round(
      deployments, source, cfg, now,
      [this](const std::string& service, int64_t since) { return probe_failure_streak(service, since); }, planner,
      [&](const hooks::Deployment& d, const hooks::Verification& v) { notify_verification(cfg, d, v); });
  // Jobs queued this round (by verdicts or by alert tiers) and retries that came due.
  if (run_hook_workers) {
    rollbacks.wake();
  } else {
    rollbacks.run_due(cfg);
  }
  std::map<std::string, bool> gates;
  for (const auto& svc : cfg.services) {
    std::vector<slo::SloStatus> mine;
    for (const auto& s : statuses) {
      if (s.service == svc.name) mine.push_back(s);
    }
    gates[svc.name] = decide_gate(cfg, svc.name, std::move(mine), {}, now).allow;
  }
  metrics.publish_gates(gates);
}

void Server::Impl::install_release_routes(const RouteFn& route) {
  using config::Role;

  route("GET", "/api/v1/gate", "/api/v1/gate", Role::kRead, [this](const httplib::Request& req, httplib::Response& res) {
    auto cfg = config();
    const std::string service = req.get_param_value("service");
    if (service.empty()) {
      reply_error(res, 400, "service: required, e.g. ?service=checkout", {{"field", "service"}});
      return;
    }
    if (!cfg->find_service(service)) {
      reply_error(res, 404, "unknown service \"" + service + "\"", {{"field", "service"}});
      return;
    }
    double at = static_cast<double>(clock.now_ms()) / 1000.0;
    if (req.has_param("at")) {
      auto parsed = parse_timestamp(req.get_param_value("at"));
      if (!parsed.ok() || *parsed < 0 || *parsed > 253370764799.0) {
        reply_error(res, 400, "at: expected Unix seconds or an RFC 3339 time between 1970 and 9998",
                    {{"field", "at"}});
        return;
      }
      at = *parsed;
    }
    const std::string slo_name = req.get_param_value("slo");
    if (!slo_name.empty()) {
      const config::SloConfig* s = cfg->find_slo(slo_name);
      if (!s || s->service != service) {
        reply_error(res, 404, "unknown SLO \"" + slo_name + "\" for service \"" + service + "\"", {{"field", "slo"}});
        return;
      }
    }
    std::vector<slo::SloStatus> statuses;
    std::vector<std::string> errors;
    for (const auto& s : cfg->slos) {
      if (s.service != service || (!slo_name.empty() && s.name != slo_name)) continue;
      auto st = engine.evaluate(*cfg, s, at);
      if (st.ok()) {
        statuses.push_back(std::move(st).value());
      } else {
        errors.push_back(s.name + ": " + st.status().message());
      }
    }
    slo::GateInput in;
    slo::GateDecision d = decide_gate(*cfg, service, statuses, errors, static_cast<int64_t>(std::floor(at)), &in);
    json reasons = json::array(), details = json::array(), slos = json::array(), alerts = json::array();
    for (const auto& r : d.reasons) {
      reasons.push_back(r.message);
      json item = {{"kind", slo::gate_reason_kind_name(r.kind)}, {"message", r.message}, {"subject", r.subject}};
      if (r.until) item["until"] = format_rfc3339(*r.until);
      details.push_back(std::move(item));
    }
    for (const auto& s : in.slos) {
      slos.push_back({{"name", s.name},
                      {"policy", s.policy},
                      {"remaining_ratio", optional_json(s.budget.remaining_ratio)},
                      {"block_releases", s.block_releases},
                      {"source", s.source},
                      {"source_up", !s.source_error.has_value()}});
    }
    for (const auto& a : in.alerts) {
      alerts.push_back({{"slo", a.slo}, {"tier", a.tier}, {"severity", a.severity}, {"since", a.since}});
    }
    json body = {{"allow", d.allow},           {"decided", d.decided}, {"service", service},
                 {"at", static_cast<int64_t>(std::floor(at))},
                 {"reasons", reasons},         {"details", details}, {"slos", slos},
                 {"alerts", alerts},           {"warnings", d.warnings}};
    body["last_rollback"] = in.last_rollback ? json{{"at", format_rfc3339(in.last_rollback->at)},
                                                    {"reason", in.last_rollback->reason}}
                                             : json(nullptr);
    reply(res, 200, body);
  });

  route("POST", "/api/v1/deployments", "/api/v1/deployments", Role::kIngest,
        [this](const httplib::Request& req, httplib::Response& res) {
          auto cfg = config();
          auto parsed = hooks::parse_deployment_request(*cfg, req.body, clock.now_seconds());
          if (!parsed.ok()) {
            const std::string& m = parsed.status().message();
            reply_error(res, 400, m, {{"field", m.substr(0, m.find(':'))}});
            return;
          }
          auto d = deployments.create(*parsed);
          if (!d.ok()) {
            reply_error(res, 500, "storing the deployment: " + d.status().message());
            return;
          }
          metrics.deployment_started(d->service, d->version, d->environment, d->started_at);
          log::info("deployment registered", {{"id", d->id}, {"service", d->service}, {"version", d->version}});
          json body = json::parse(hooks::to_json(*d));
          const auto& vc = cfg->release.verification_for(d->service);
          body["verify_at"] = format_rfc3339(hooks::verification_end(*d, vc));
          reply(res, 201, body);
        });

  route("GET", "/api/v1/deployments", "/api/v1/deployments", Role::kRead,
        [this](const httplib::Request& req, httplib::Response& res) {
          auto cfg = config();
          const std::string service = req.get_param_value("service");
          if (!service.empty() && !cfg->find_service(service)) {
            reply_error(res, 404, "unknown service \"" + service + "\"", {{"field", "service"}});
            return;
          }
          size_t limit;
          if (!read_limit(req, res, limit)) return;
          auto list = deployments.list(service, limit);
          if (!list.ok()) {
            reply_error(res, 500, "reading deployments: " + list.status().message());
            return;
          }
          json items = json::array();
          for (const auto& d : *list) items.push_back(json::parse(hooks::to_json(d)));
          reply(res, 200, {{"deployments", items}});
        });

  route("GET", R"(/api/v1/deployments/([^/]+))", "/api/v1/deployments/{id}", Role::kRead,
        [this](const httplib::Request& req, httplib::Response& res) {
          auto found = find_deployment(req, res);
          if (!found) return;
          auto cfg = config();
          json body = json::parse(hooks::to_json(found->deployment));
          body["analysis"] = analysis_json(*cfg, found->deployment, found->progress, std::nullopt);
          reply(res, 200, body);
        });

  // Argo Rollouts' web metric provider (GET) and Flagger's webhooks (POST: only the status
  // code counts there). Read-only: asking never changes a verdict.
  auto analysis = [this](const httplib::Request& req, httplib::Response& res, bool for_webhook) {
    auto found = find_deployment(req, res);
    if (!found) return;
    std::optional<int> weight;
    if (req.has_param("weight")) {
      const std::string text = req.get_param_value("weight");
      char* end = nullptr;
      long w = std::strtol(text.c_str(), &end, 10);
      if (text.empty() || *end != '\0' || w < 0 || w > 100) {
        reply_error(res, 400, "weight: expected the canary's current weight, a whole percent 0..100",
                    {{"field", "weight"}});
        return;
      }
      weight = static_cast<int>(w);
    }
    const std::string require = req.get_param_value("require");
    if (!require.empty() && require != "promote") {
      reply_error(res, 400, "require: expected \"promote\" (or leave it out)", {{"field", "require"}});
      return;
    }
    auto cfg = config();
    json body = analysis_json(*cfg, found->deployment, found->progress, weight);
    int status = 200;
    if (for_webhook) {
      const std::string decision = body["decision"];
      if (decision == "rollback") {
        status = 412;
      } else if (decision == "undecided") {
        status = 503;
      } else if (require == "promote" && decision != "promote") {
        status = 409;
      }
    }
    reply(res, status, body);
  };
  route("GET", R"(/api/v1/deployments/([^/]+)/analysis)", "/api/v1/deployments/{id}/analysis", Role::kRead,
        [analysis](const httplib::Request& req, httplib::Response& res) { analysis(req, res, false); });
  route("POST", R"(/api/v1/deployments/([^/]+)/analysis)", "/api/v1/deployments/{id}/analysis", Role::kRead,
        [analysis](const httplib::Request& req, httplib::Response& res) { analysis(req, res, true); });

  route("GET", "/api/v1/hooks/history", "/api/v1/hooks/history", Role::kRead,
        [this](const httplib::Request& req, httplib::Response& res) {
          size_t limit;
          if (!read_limit(req, res, limit)) return;
          auto h = rollbacks.history(limit, req.get_param_value("service"));
          if (!h.ok()) {
            reply_error(res, 500, "reading the audit log: " + h.status().message());
            return;
          }
          // An exec hook's argv and output may show hosts, paths and what the command printed:
          // admin only (everyone, when auth is off).
          auto auth_now = authorizer();
          const bool admin = !auth_now->enabled() ||
                             auth_now->check(req.get_header_value("Authorization"), Role::kAdmin).status == 200;
          json items = json::array();
          for (const auto& e : *h) {
            json item = json::parse(hooks::to_json(e));
            if (!admin && e.kind == "exec") {
              item["action"] = nullptr;
              item["output"] = nullptr;
              item["redacted"] = true;
            }
            items.push_back(std::move(item));
          }
          reply(res, 200, {{"history", items}});
        });

  route("GET", "/api/v1/hooks/jobs", "/api/v1/hooks/jobs", Role::kRead,
        [this](const httplib::Request&, httplib::Response& res) {
          auto jobs = rollbacks.unfinished();
          if (!jobs.ok()) {
            reply_error(res, 500, "reading rollback jobs: " + jobs.status().message());
            return;
          }
          json items = json::array();
          for (const auto& j : *jobs) {
            items.push_back({{"hook", j.hook},
                             {"service", j.request.service},
                             {"state", j.state},
                             {"attempts", j.attempts},
                             {"created_at", format_rfc3339(j.created_at_ms / 1000)},
                             {"next_attempt_at", j.state == "retrying" ? json(format_rfc3339(j.next_at_ms / 1000))
                                                                       : json(nullptr)},
                             {"message_id", j.message_id},
                             {"idempotency_key", j.request.idempotency_key},
                             {"trigger", j.request.trigger},
                             {"reason", j.request.reason},
                             {"deployment_id", j.request.deployment_id}});
          }
          reply(res, 200, {{"jobs", items}});
        });

  install_alertmanager_route(route);
}

}  // namespace sloguard::server
