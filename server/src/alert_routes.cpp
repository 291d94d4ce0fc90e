// Alerting in the daemon: each evaluation round moves the alert state machines, the
// dispatcher thread empties the outbox, and the API shows alerts, silences and notifications.
#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

#include "http_json.h"
#include "server_impl.h"
#include "sloguard/common/log.h"
#include "sloguard/common/units.h"

namespace sloguard::server {
namespace {

using json = nlohmann::json;
using config::Role;

json optional_json(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }
json time_json(int64_t ms) { return ms > 0 ? json(format_rfc3339(ms / 1000)) : json(nullptr); }

json alert_json(const alerting::AlertState& a) {
  return {{"slo", a.slo},
          {"service", a.service},
          {"group", a.group},
          {"tier", a.tier},
          {"severity", a.severity},
          {"state", alerting::phase_name(a.phase)},
          {"labels", a.labels()},
          {"active_at", time_json(a.active_at_ms)},
          {"fired_at", time_json(a.fired_at_ms)},
          {"resolved_at", a.phase == alerting::AlertPhase::kResolved ? time_json(a.resolved_at_ms) : json(nullptr)},
          {"last_evaluated_at", time_json(a.last_eval_ms)},
          {"threshold", a.threshold},
          {"long_window", a.long_window},
          {"short_window", a.short_window},
          {"burn_rates", {{a.long_window, optional_json(a.long_burn_rate)}, {a.short_window, optional_json(a.short_burn_rate)}}},
          {"events", {{a.long_window, a.long_events}, {a.short_window, a.short_events}}},
          {"budget_remaining", optional_json(a.budget_remaining)},
          {"notified", a.notified},
          {"silenced_by", a.silenced_by},
          {"inhibited_by", a.inhibited_by.empty() ? json(nullptr) : json(a.inhibited_by)}};
}

json outbox_json(const alerting::OutboxEntry& e) {
  const auto& n = e.notification;
  json j = {{"id", n.id},
            {"seq", e.seq},
            {"notifier", e.notifier},
            {"kind", n.kind},
            {"status", n.status},
            {"repeat", n.repeat},
            {"slo", n.slo},
            {"group", n.group},
            {"tier", n.tier},
            {"severity", n.severity},
            {"summary", n.annotations.count("summary") ? n.annotations.at("summary") : ""},
            {"created_at", time_json(n.created_at_ms)},
            {"attempts", e.attempts},
            {"last_error", e.last_error},
            {"last_status", e.last_status}};
  if (n.kind != alerting::kKindAlert) {
    j["service"] = n.service;
    j["deployment_id"] = n.deployment_id;
    j["version"] = n.version;
    j["hook"] = n.hook;
    j["outcome"] = n.outcome;
  }
  if (e.dead_at_ms > 0) {
    j["dead_at"] = time_json(e.dead_at_ms);
  } else {
    j["next_attempt_at"] = time_json(e.next_attempt_ms);
  }
  return j;
}

int phase_order(alerting::AlertPhase p) {
  switch (p) {
    case alerting::AlertPhase::kFiring: return 0;
    case alerting::AlertPhase::kPending: return 1;
    case alerting::AlertPhase::kResolved: return 2;
    case alerting::AlertPhase::kInactive: return 3;
  }
  return 3;
}

}  // namespace

void Server::Impl::wire_alerting() {
  outbox.set_observer([this](const std::string& notifier, const char* result) {
    metrics.notification_attempt(notifier, result);
  });
  firing_alerts = [this](const std::string& service) {
    std::vector<slo::FiringAlert> out;
    for (const auto& a : alerts.alerts()) {
      if (a.service == service && a.phase == alerting::AlertPhase::kFiring) {
        out.push_back({a.slo, a.tier, a.severity, a.fired_at_ms / 1000});
      }
    }
    return out;
  };
  alerts.set_fire_listener([this](const alerting::AlertState& a,
                                  const config::AlertTier& tier) -> std::vector<store::Store::StateWrite> {
    hooks::RollbackRequest req;
    req.service = a.service;
    req.trigger = "alert";
    req.reason = a.slo + ": " + a.tier + " burn rate " + (a.long_burn_rate ? std::to_string(*a.long_burn_rate) : "?") +
                 "x over " + a.long_window + " (threshold " + std::to_string(a.threshold) + "x)";
    req.idempotency_key = "alert/" + a.key() + "/" + std::to_string(a.fired_at_ms);
    if (a.long_burn_rate) req.burn_rates[a.long_window] = *a.long_burn_rate;
    if (a.short_burn_rate) req.burn_rates[a.short_window] = *a.short_burn_rate;
    req.budget_remaining = a.budget_remaining;
    hooks::AlertInfo info;
    info.name = "SLOBurnRate";
    info.slo = a.slo;
    info.tier = a.tier;
    info.severity = a.severity;
    info.fingerprint = a.key();
    info.since = a.fired_at_ms / 1000;
    info.labels = a.labels();
    req.alert = info;
    req.hooks = tier.hooks;
    auto plan = rollbacks.plan(req);
    if (!plan.ok()) {
      log::error("planning a rollback failed", {{"slo", a.slo}, {"error", plan.status().to_string()}});
      return {};
    }
    return std::move(plan->writes);  // written with the alert state; the round wakes the workers
  });
}

Status Server::Impl::load_alerting() {
  Status first;
  for (Status s : {alerts.load(), silences.load(), outbox.load(), load_alertmanager_alerts(), rollbacks.migrate()}) {
    if (!s.ok() && first.ok()) first = s;
  }
  return first;
}

void Server::Impl::alert_round(const config::Config& cfg, const std::vector<slo::SloStatus>& statuses) {
  const int64_t now = clock.now_ms();
  auto r = alerts.evaluate(cfg, statuses, &source, &silences, &outbox, now);
  if (!r.ok()) log::error("alert evaluation failed", {{"error", r.status().to_string()}});
  if (Status s = silences.prune(now, cfg.alerting.silence_retention_ms); !s.ok()) {
    log::warn("pruning silences failed", {{"error", s.to_string()}});
  }
  if (Status s = outbox.prune_dead_letters(now, cfg.alerting.dead_letter_retention_ms); !s.ok()) {
    log::warn("pruning dead letters failed", {{"error", s.to_string()}});
  }
  if (publish_alert_metrics(cfg) > 0) wake_dispatcher();
}

size_t Server::Impl::publish_alert_metrics(const config::Config& cfg) {
  std::map<std::string, size_t> pending;
  size_t total = 0;
  for (const auto& e : outbox.pending()) ++pending[e.notifier], ++total;
  metrics.publish_alerts(cfg, alerts.alerts(), pending, outbox.dead_letter_counts());
  return total;
}

size_t Server::Impl::deliver_round() {
  auto cfg = config();
  std::lock_guard<std::mutex> lock(notifiers_mu);
  if (notifiers_cfg != cfg) {
    notifiers.clear();
    for (const auto& n : cfg->notifiers) notifiers[n.name] = alerting::make_notifier(n, *http_sender, clock);
    notifiers_cfg = cfg;
  }
  std::map<std::string, alerting::Notifier*> by_name;
  for (auto& [name, n] : notifiers) by_name[name] = n.get();
  const size_t delivered = outbox.deliver_due(by_name, cfg->alerting);
  publish_alert_metrics(*cfg);
  return delivered;
}

void Server::Impl::wake_dispatcher() {
  {
    std::lock_guard<std::mutex> lock(dispatcher_mu);
    dispatcher_woken = true;
  }
  dispatcher_cv.notify_all();
}

void Server::Impl::dispatcher_loop() {
  std::unique_lock<std::mutex> lock(dispatcher_mu);
  while (!dispatcher_stopping) {
    lock.unlock();
    run_guarded("outbox", internal_errors(), [this] { deliver_round(); });
    lock.lock();
    // Retries come due by the clock; a second is the finest backoff step worth waking for.
    dispatcher_cv.wait_for(lock, std::chrono::seconds(1), [this] { return dispatcher_stopping || dispatcher_woken; });
    dispatcher_woken = false;
  }
}

void Server::Impl::install_alert_routes(const RouteFn& route) {
  route("GET", "/api/v1/alerts", "/api/v1/alerts", Role::kRead, [this](const httplib::Request& req, httplib::Response& res) {
    const std::string state = req.has_param("state") ? req.get_param_value("state") : "";
    if (!state.empty() && state != "firing" && state != "pending" && state != "resolved") {
      reply_error(res, 400, "state: expected firing, pending or resolved", {{"field", "state"}});
      return;
    }
    const std::string service = req.get_param_value("service"), slo = req.get_param_value("slo");
    auto list = alerts.alerts();
    std::stable_sort(list.begin(), list.end(), [](const auto& a, const auto& b) {
      return phase_order(a.phase) < phase_order(b.phase);
    });
    json out = json::array();
    for (const auto& a : list) {
      if (!state.empty() && state != alerting::phase_name(a.phase)) continue;
      if (!service.empty() && a.service != service) continue;
      if (!slo.empty() && a.slo != slo) continue;
      out.push_back(alert_json(a));
    }
    reply(res, 200, {{"alerts", std::move(out)}});
  });

  route("POST", "/api/v1/silences", "/api/v1/silences", Role::kAdmin,
        [this](const httplib::Request& req, httplib::Response& res) {
          auto parsed = alerting::parse_silence(req.body, clock.now_ms());
          if (!parsed.ok()) {
            const std::string& m = parsed.status().message();
            reply_error(res, 400, m, {{"field", m.substr(0, m.find(':'))}});
            return;
          }
          auto created = silences.create(std::move(parsed).value());
          if (!created.ok()) {
            reply_error(res, 500, "storing the silence: " + created.status().message());
            return;
          }
          json body = json::parse(alerting::to_json(*created, clock.now_ms()));
          body["silenceID"] = created->id;
          log::info("silence created", {{"id", created->id}, {"by", created->created_by}});
          reply(res, 201, body);
        });

  route("GET", "/api/v1/silences", "/api/v1/silences", Role::kRead,
        [this](const httplib::Request& req, httplib::Response& res) {
          const std::string state = req.get_param_value("state");
          if (!state.empty() && state != "active" && state != "pending" && state != "expired") {
            reply_error(res, 400, "state: expected active, pending or expired", {{"field", "state"}});
            return;
          }
          const int64_t now = clock.now_ms();
          json out = json::array();
          for (const auto& s : silences.list()) {
            if (!state.empty() && s.state(now) != state) continue;
            out.push_back(json::parse(alerting::to_json(s, now)));
          }
          reply(res, 200, {{"silences", std::move(out)}});
        });

  route("GET", R"(/api/v1/silences/([^/]+))", "/api/v1/silences/{id}", Role::kRead,
        [this](const httplib::Request& req, httplib::Response& res) {
          auto s = silences.get(req.matches[1]);
          if (!s) {
            reply_error(res, 404, "no silence with id \"" + std::string(req.matches[1]) + "\"");
            return;
          }
          reply(res, 200, json::parse(alerting::to_json(*s, clock.now_ms())));
        });

  route("DELETE", R"(/api/v1/silences/([^/]+))", "/api/v1/silences/{id}", Role::kAdmin,
        [this](const httplib::Request& req, httplib::Response& res) {
          const std::string id = req.matches[1];
          auto expired = silences.expire(id);
          if (expired.status().is_not_found()) {
            reply_error(res, 404, expired.status().message());
            return;
          }
          if (!expired.ok()) {
            reply_error(res, 500, "expiring the silence: " + expired.status().message());
            return;
          }
          log::info("silence expired", {{"id", id}});
          reply(res, 200, json::parse(alerting::to_json(*expired, clock.now_ms())));
        });

  route("GET", "/api/v1/notifications", "/api/v1/notifications", Role::kRead,
        [this](const httplib::Request& req, httplib::Response& res) {
          const std::string state = req.get_param_value("state");
          if (!state.empty() && state != "pending" && state != "dead") {
            reply_error(res, 400, "state: expected pending or dead", {{"field", "state"}});
            return;
          }
          json body = json::object();
          if (state.empty() || state == "pending") {
            json p = json::array();
            for (const auto& e : outbox.pending()) p.push_back(outbox_json(e));
            body["pending"] = std::move(p);
          }
          if (state.empty() || state == "dead") {
            json d = json::array();
            for (const auto& e : outbox.dead_letters()) d.push_back(outbox_json(e));
            body["dead_letters"] = std::move(d);
          }
          reply(res, 200, body);
        });
}

}  // namespace sloguard::server
