// The Alertmanager receiver: POST /api/v1/alertmanager. Firing alerts that match a route in
// release.alertmanager feed the gate (persisted under "amalert/" until resolved, endsAt, or a
// refresh interval without a resend) and queue the route's rollback hooks as jobs, all in one
// atomic batch per payload.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <openssl/sha.h>

#include "http_json.h"
#include "server_impl.h"
#include "sloguard/common/json_record.h"
#include "sloguard/common/log.h"
#include "sloguard/common/units.h"

namespace sloguard::server {
namespace {

using json = nlohmann::json;

constexpr std::string_view kAlertmanagerPrefix = "amalert/";
// A firing alert without endsAt is kept this long after its last resend: Alertmanager resends
// firing alerts every repeat_interval (4h by default).
constexpr int64_t kAlertmanagerRefreshSeconds = 4 * 3600 + 300;

// Alertmanager's RFC 3339 times ("0001-01-01T00:00:00Z" for an unset endsAt).
int64_t am_time(const json& alert, const char* key) {
  if (!alert.contains(key) || !alert[key].is_string()) return 0;
  auto t = parse_rfc3339(alert[key].get<std::string>());
  return t.ok() && *t > 0 ? static_cast<int64_t>(std::floor(*t)) : 0;
}

std::string alertmanager_record(const std::string& service, const std::string& name, const std::string& severity,
                                int64_t since, int64_t expires_at) {
  return json{{"service", service}, {"name", name}, {"severity", severity}, {"since", since},
              {"expires_at", expires_at}}
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

// A label value as part of a state key and an Idempotency-Key header: kept when it is plain,
// otherwise a hash of it (labels may hold any UTF-8, slashes, even line breaks).
std::string key_part(const std::string& value) {
  const bool plain = !value.empty() && value.size() <= 128 && std::all_of(value.begin(), value.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == ':';
  });
  if (plain) return value;
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(value.data()), value.size(), d);
  std::string out = "h";
  char hex[3];
  for (int i = 0; i < 8; ++i) {
    std::snprintf(hex, sizeof hex, "%02x", d[i]);
    out += hex;
  }
  return out;
}

}  // namespace

Status Server::Impl::load_alertmanager_alerts() {
  std::lock_guard<std::mutex> lock(alertmanager_mu);
  std::vector<std::string> expired;
  const int64_t now = clock.now_seconds();
  Status s = store->scan_state(kAlertmanagerPrefix, [&](std::string_view key, std::string_view value) {
    auto decoded = decode_record<AlertmanagerAlert>(value, "stored Alertmanager alert", [](const json& j) {
      AlertmanagerAlert a;
      a.service = j.at("service").get<std::string>();
      a.name = j.at("name").get<std::string>();
      a.severity = j.value("severity", "");
      a.since = j.value("since", int64_t{0});
      a.expires_at = j.at("expires_at").get<int64_t>();
      return a;
    });
    if (!decoded.ok()) {
      // Skipped, not fatal: the other alerts still count for the gate.
      log::error("skipping an unreadable Alertmanager alert",
                 {{"key", std::string(key)}, {"error", decoded.status().message()}});
      return;
    }
    const AlertmanagerAlert& a = *decoded;
    if (a.expires_at <= now) {
      expired.emplace_back(key);
      return;
    }
    alertmanager_firing[std::string(key.substr(kAlertmanagerPrefix.size()))] = a;
  });
  for (const auto& k : expired) {
    if (Status d = store->delete_state(k); !d.ok()) log::warn("dropping an expired alert failed", {{"error", d.to_string()}});
  }
  return s;
}

void Server::Impl::install_alertmanager_route(const RouteFn& route) {
  using config::Role;
  // Role rollback: a payload can call rollback hooks.
  route("POST", "/api/v1/alertmanager", "/api/v1/alertmanager", Role::kRollback,
        [this](const httplib::Request& req, httplib::Response& res) {
          auto cfg = config();
          json body = json::parse(req.body, nullptr, false);
          if (body.is_discarded() || !body.is_object() || !body.contains("alerts") || !body["alerts"].is_array()) {
            reply_error(res, 400, "expected an Alertmanager webhook payload (version 4) with an alerts list",
                        {{"field", "alerts"}});
            return;
          }
          // Checked whole before any hook runs: a bad alert rejects the batch.
          if (body.contains("status") && !body["status"].is_string()) {
            reply_error(res, 400, "status: must be a string", {{"field", "status"}});
            return;
          }
          for (size_t i = 0; i < body["alerts"].size(); ++i) {
            const json& a = body["alerts"][i];
            const std::string at = "alerts[" + std::to_string(i) + "]";
            std::string bad_field;
            if (!a.is_object()) {
              bad_field = at;
            } else if (!a.contains("labels") || !a["labels"].is_object()) {
              bad_field = at + ".labels";
            } else {
              for (const char* k : {"status", "fingerprint", "startsAt", "endsAt"}) {
                if (a.contains(k) && !a[k].is_string()) bad_field = at + "." + k;
              }
              if (a.contains("annotations")) {
                if (!a["annotations"].is_object()) {
                  bad_field = at + ".annotations";
                } else if (a["annotations"].contains("summary") && !a["annotations"]["summary"].is_string()) {
                  bad_field = at + ".annotations.summary";
                }
              }
              if (bad_field.empty()) {
                const std::string fp = a.value("fingerprint", "");
                for (unsigned char c : fp) {
                  if (c < 0x20 || c == 0x7f) bad_field = at + ".fingerprint";
                }
              }
            }
            if (!bad_field.empty()) {
              reply_error(res, 400, bad_field + ": not an Alertmanager alert field of the expected type",
                          {{"field", bad_field}, {"index", i}});
              return;
            }
          }
          // One batch for the whole payload: the alerts' state and the rollback jobs they decide.
          std::lock_guard<std::mutex> lock(alertmanager_mu);
          const int64_t now = clock.now_seconds();
          std::vector<store::Store::StateWrite> writes;
          std::map<std::string, std::optional<AlertmanagerAlert>> changes;  // key -> new state (nullopt: resolved)
          json runs = json::array();
          size_t matched = 0;
          for (const json& alert : body["alerts"]) {
            std::map<std::string, std::string> labels;
            for (auto it = alert["labels"].begin(); it != alert["labels"].end(); ++it) {
              if (it->is_string()) labels[it.key()] = it->get<std::string>();
            }
            const std::string status = alert.value("status", body.value("status", ""));
            const std::string fingerprint = alert.value("fingerprint", "");
            const int64_t starts = am_time(alert, "startsAt");
            const int64_t ends = am_time(alert, "endsAt");
            const std::string alertname = labels.count("alertname") ? labels["alertname"] : "";
            for (const auto& route_cfg : cfg->release.alertmanager) {
              bool match = std::all_of(route_cfg.match.begin(), route_cfg.match.end(), [&](const auto& kv) {
                auto it = labels.find(kv.first);
                return it != labels.end() && it->second == kv.second;
              });
              if (!match) continue;
              const std::string service = labels.count(route_cfg.service_label) ? labels[route_cfg.service_label] : "";
              if (service.empty() || !cfg->find_service(service)) {
                runs.push_back({{"alert", alertname}, {"result", "ignored"},
                                {"detail", "label " + route_cfg.service_label + " names no configured service"}});
                continue;
              }
              ++matched;
              // Per service: two routes may send one alert to two services' hooks.
              const std::string alert_id = fingerprint.empty() ? key_part(alertname) : fingerprint;
              const std::string key = alert_id + "/" + service;
              if (status != "firing") {
                changes[key] = std::nullopt;
                writes.push_back({std::string(kAlertmanagerPrefix) + key, std::nullopt});
                continue;
              }
              AlertmanagerAlert a{service, alertname, labels.count("severity") ? labels["severity"] : "", starts,
                                  ends > now ? ends : now + kAlertmanagerRefreshSeconds};
              changes[key] = a;
              writes.push_back({std::string(kAlertmanagerPrefix) + key, alertmanager_record(a.service, a.name, a.severity, a.since, a.expires_at)});
              hooks::RollbackRequest rr;
              rr.service = service;
              rr.trigger = "alertmanager";
              rr.idempotency_key = "alertmanager/" + alert_id + "/" + std::to_string(starts) + "/" + service;
              rr.reason = "Alertmanager alert " + alertname + " firing";
              if (alert.contains("annotations") && alert["annotations"].is_object()) {
                const std::string summary = alert["annotations"].value("summary", "");
                if (!summary.empty()) rr.reason += ": " + summary;
              }
              hooks::AlertInfo info;
              info.name = alertname;
              info.severity = a.severity;
              info.fingerprint = fingerprint;
              info.since = starts;
              info.labels = labels;
              rr.alert = info;
              rr.hooks = route_cfg.hooks;
              auto plan = rollbacks.plan(rr);
              if (!plan.ok()) {
                reply_error(res, 500, "queueing the rollback: " + plan.status().message());
                return;
              }
              for (auto& w : plan->writes) writes.push_back(std::move(w));
              for (const auto& run : plan->runs) {
                runs.push_back({{"alert", alertname}, {"hook", run.hook}, {"result", run.result}, {"detail", run.detail}});
              }
            }
          }
          if (!writes.empty()) {
            if (Status s = store->write_state(writes); !s.ok()) {
              // Nothing was stored: Alertmanager retries a 5xx.
              reply_error(res, 500, "storing the alerts: " + s.message());
              return;
            }
          }
          for (auto& [key, a] : changes) {
            if (a) {
              alertmanager_firing[key] = *a;
            } else {
              alertmanager_firing.erase(key);
            }
          }
          rollbacks.wake();
          reply(res, 200, {{"received", body["alerts"].size()}, {"matched", matched}, {"hook_runs", runs}});
        });
}

}  // namespace sloguard::server
