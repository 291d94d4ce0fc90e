// Release events through the notifiers: each post-deploy verification verdict and each
// rollback hook's final result is queued in the durable outbox for the notifiers named by
// release.notify (or the service's override), then sent by the dispatcher like alerts.
#include "server_impl.h"
#include "sloguard/common/log.h"

namespace sloguard::server {
namespace {

// "sloguard/deploy/<id>": verdicts and the rollback results that follow share it (PagerDuty
// dedup_key), so they land on one incident.
std::string deployment_key(const std::string& deployment_id) { return "sloguard/deploy/" + deployment_id; }

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : sep) + p;
  return out;
}

}  // namespace

void Server::Impl::queue_release_notifications(const config::Config& cfg, const std::string& service,
                                               const alerting::Notification& base, const std::string& id_prefix) {
  std::vector<std::pair<std::string, alerting::Notification>> items;
  for (const std::string& name : cfg.release.notify_for(service)) {
    if (!cfg.find_notifier(name)) continue;  // the loader checks names; a reload may race a stale config
    alerting::Notification n = base;
    n.id = id_prefix + "/" + name;
    items.emplace_back(name, std::move(n));
  }
  if (items.empty()) return;
  if (Status s = outbox.enqueue(items); !s.ok()) {
    log::error("queuing release notifications failed", {{"id", id_prefix}, {"error", s.to_string()}});
    return;
  }
  wake_dispatcher();
}

void Server::Impl::notify_verification(const config::Config& cfg, const hooks::Deployment& d,
                                       const hooks::Verification& v) {
  if (v.outcome == "passed" && !cfg.release.notify_passed) return;
  alerting::Notification n;
  n.kind = alerting::kKindVerification;
  n.alert_key = deployment_key(d.id);
  n.status = v.outcome;
  n.outcome = v.outcome;
  n.service = d.service;
  n.deployment_id = d.id;
  n.version = d.version;
  n.previous_version = d.previous_version;
  n.environment = d.environment;
  n.reason = join(v.reasons, "; ");
  n.labels = {{"service", d.service}, {"deployment_id", d.id}, {"version", d.version}};
  n.starts_at_ms = d.started_at * 1000;
  n.created_at_ms = clock.now_ms();
  if (!cfg.alerting.external_url.empty()) n.link = cfg.alerting.external_url + "/api/v1/deployments/" + d.id;
  n.annotations["summary"] = alerting::default_title(n);
  queue_release_notifications(cfg, d.service, n, "verify/" + d.id);
}

void Server::Impl::notify_hook_result(const hooks::RollbackRequest& req, const hooks::AuditEntry& result) {
  auto cfg = config();
  alerting::Notification n;
  n.kind = alerting::kKindRollback;
  n.alert_key = req.deployment_id.empty() ? "sloguard/rollback/" + req.idempotency_key : deployment_key(req.deployment_id);
  n.status = result.result;
  n.outcome = result.result;
  n.service = req.service;
  n.deployment_id = req.deployment_id;
  n.version = req.version;
  n.previous_version = req.previous_version;
  n.environment = req.environment;
  n.hook = result.hook;
  n.hook_kind = result.kind;
  n.trigger = req.trigger;
  n.reason = req.reason;
  n.detail = result.detail;
  n.budget_remaining = req.budget_remaining;
  if (req.alert) {
    n.slo = req.alert->slo;
    n.tier = req.alert->tier;
    n.severity = req.alert->severity;
  }
  n.labels = {{"service", req.service}, {"hook", result.hook}};
  n.starts_at_ms = result.at_ms;
  n.created_at_ms = clock.now_ms();
  if (!cfg->alerting.external_url.empty()) n.link = cfg->alerting.external_url + "/api/v1/hooks/history?service=" + req.service;
  n.annotations["summary"] = alerting::default_title(n);
  queue_release_notifications(*cfg, req.service, n, "rollback/" + req.idempotency_key + "/" + result.hook);
}

}  // namespace sloguard::server
