// Alertmanager API v2 (prometheus.io/docs/alerting/latest/clients/): POST {url}/api/v2/alerts
// with one alert. Labels identify the alert. Alertmanager resolves an alert it has not heard
// from by its endsAt, and sloguard resends a firing alert only every repeat_interval, so a
// firing alert is sent with endsAt = now + 3 repeat intervals (as Prometheus does with its
// resend delay); a resolved one with its end time. Release events are alerts of their own:
// alertname SLOGuardVerification or SLOGuardRollback, labelled by service, deployment, version
// (and hook) and severity critical / warning / info from their outcome; a failed or otherwise
// bad outcome stays active for 3 repeat intervals, a good one is sent already ended.
#include "notifier_providers.h"
#include "sloguard/common/units.h"

namespace sloguard::alerting::detail {
namespace {

using nlohmann::json;

constexpr const char* kAlertName = "SLOBurnRate";
constexpr const char* kVerificationAlertName = "SLOGuardVerification";
constexpr const char* kRollbackAlertName = "SLOGuardRollback";

int64_t active_until(const config::NotifierConfig& cfg, int64_t now_ms) {
  return now_ms + 3 * std::max<int64_t>(cfg.repeat_interval_ms, 60000);
}

json release_payload(const config::NotifierConfig& cfg, const Notification& n, int64_t now_ms) {
  const Tone tone = tone_for(n);
  json labels = json::object();
  labels["alertname"] = n.kind == kKindVerification ? kVerificationAlertName : kRollbackAlertName;
  labels["service"] = n.service;
  labels["severity"] = tone == Tone::kDanger ? "critical" : tone == Tone::kWarning ? "warning" : "info";
  labels[n.kind == kKindVerification ? "outcome" : "result"] = n.outcome;
  if (!n.deployment_id.empty()) labels["deployment_id"] = n.deployment_id;
  if (!n.version.empty()) labels["version"] = n.version;
  if (!n.environment.empty()) labels["environment"] = n.environment;
  if (!n.hook.empty()) labels["hook"] = n.hook;
  if (n.kind == kKindRollback && n.deployment_id.empty()) labels["trigger_key"] = n.alert_key;
  json annotations = {{"summary", title_text(cfg, n)}, {"description", body_text(cfg, n)}};
  if (!n.previous_version.empty()) annotations["previous_version"] = n.previous_version;
  const int64_t ends_ms = tone == Tone::kGood ? n.created_at_ms : active_until(cfg, now_ms);
  json alert = {
      {"labels", labels},
      {"annotations", annotations},
      {"startsAt", format_rfc3339(n.created_at_ms / 1000)},
      {"endsAt", format_rfc3339(ends_ms / 1000)},
  };
  if (!n.link.empty()) alert["generatorURL"] = n.link;
  return json::array({alert});
}

json payload(const config::NotifierConfig& cfg, const Notification& n, int64_t now_ms) {
  if (n.kind != kKindAlert) return release_payload(cfg, n, now_ms);
  json labels = json::object();
  for (const auto& [k, v] : n.labels) labels[k] = v;
  labels["alertname"] = kAlertName;
  labels["slo"] = n.slo;
  labels["service"] = n.service;
  labels["severity"] = n.severity;
  labels["tier"] = n.tier;
  if (!n.group.empty()) labels["group"] = n.group;
  json annotations = json::object();
  for (const auto& [k, v] : n.annotations) annotations[k] = v;
  annotations["summary"] = title_text(cfg, n);
  annotations["description"] = body_text(cfg, n);
  const int64_t ends_ms = n.status == "resolved" ? n.ends_at_ms.value_or(n.created_at_ms)
                                                 : active_until(cfg, now_ms);
  json alert = {
      {"labels", labels},
      {"annotations", annotations},
      {"startsAt", format_rfc3339(n.starts_at_ms / 1000)},
      {"endsAt", format_rfc3339(ends_ms / 1000)},
  };
  if (!n.link.empty()) alert["generatorURL"] = n.link;
  return json::array({alert});
}

class AlertmanagerNotifier final : public Notifier {
 public:
  AlertmanagerNotifier(config::NotifierConfig cfg, net::HttpSender& sender, const Clock& clock)
      : cfg_(std::move(cfg)), sender_(sender), clock_(clock) {}

  const config::NotifierConfig& config() const override { return cfg_; }

  net::Verdict deliver(const Notification& n, int /*attempt*/) override {
    const int64_t now = clock_.now_ms();
    Result<net::HttpResponse> r = sender_.send(json_post(cfg_, cfg_.url + "/api/v2/alerts", payload(cfg_, n, now)));
    return net::classify(r, clock_.now_ms());
  }

 private:
  config::NotifierConfig cfg_;
  net::HttpSender& sender_;
  const Clock& clock_;
};

}  // namespace

std::unique_ptr<Notifier> make_alertmanager_notifier(const config::NotifierConfig& cfg, net::HttpSender& sender,
                                                     const Clock& clock) {
  return std::make_unique<AlertmanagerNotifier>(cfg, sender, clock);
}

}  // namespace sloguard::alerting::detail
