// PagerDuty Events API v2 (developer.pagerduty.com/docs/events-API-v2): a trigger event per
// firing notification and a resolve event per resolved one, both keyed by dedup_key = the
// alert key, so repeats update one incident. 202 accepted; 400 invalid event (final); 429 and
// 5xx are retried.
// Release events: only what someone must act on or that completes an incident is sent: a
// failed verification, and a rollback that ran (failed -> critical, succeeded -> info). Passed
// and inconclusive verdicts, dry runs and skipped rollbacks page nobody: they are not sent
// (reported delivered; other notifiers still carry them). Sent events trigger with dedup_key
// = the alert key, "sloguard/deploy/<id>" for anything about a deployment, so a failed
// verification and the rollback results that follow land on one incident.
#include "notifier_providers.h"
#include "sloguard/common/units.h"

namespace sloguard::alerting::detail {
namespace {

using nlohmann::json;

constexpr size_t kSummaryMax = 1024;
constexpr size_t kDedupKeyMax = 255;

// page -> critical, ticket -> warning, anything else -> info.
const char* severity_for(const std::string& severity) {
  if (severity == "page") return "critical";
  if (severity == "ticket") return "warning";
  return "info";
}

const char* severity_for(Tone tone) {
  return tone == Tone::kDanger ? "critical" : tone == Tone::kWarning ? "warning" : "info";
}

json release_payload(const config::NotifierConfig& cfg, const Notification& n) {
  json details = {
      {"kind", n.kind},
      {"service", n.service},
      {"outcome", n.outcome},
      {"description", body_text(cfg, n)},
  };
  const std::pair<const char*, const std::string*> optional_fields[] = {
      {"deployment_id", &n.deployment_id}, {"version", &n.version}, {"previous_version", &n.previous_version},
      {"environment", &n.environment},     {"hook", &n.hook},       {"hook_kind", &n.hook_kind},
      {"trigger", &n.trigger},             {"reason", &n.reason},   {"detail", &n.detail}};
  for (const auto& [key, value] : optional_fields) {
    if (!value->empty()) details[key] = *value;
  }
  json event = {
      {"routing_key", cfg.routing_key},
      {"event_action", "trigger"},
      {"dedup_key", n.alert_key.substr(0, kDedupKeyMax)},
      {"payload",
       {{"summary", truncate_utf16(title_text(cfg, n), kSummaryMax)},
        {"source", n.service.empty() ? std::string("sloguard") : n.service},
        {"severity", severity_for(tone_for(n))},
        {"timestamp", format_rfc3339(n.created_at_ms / 1000)},
        {"component", n.service},
        {"group", n.service},
        {"class", n.kind == kKindVerification ? "release-verification" : "rollback-hook/" + n.outcome},
        {"custom_details", details}}},
      {"client", "sloguard"},
  };
  if (!n.link.empty()) {
    event["client_url"] = n.link;
    event["links"] = json::array({{{"href", n.link}, {"text", "Deployment in sloguard"}}});
  }
  return event;
}

json payload(const config::NotifierConfig& cfg, const Notification& n) {
  if (n.kind != kKindAlert) return release_payload(cfg, n);
  const bool resolve = n.status == "resolved";
  json event = {
      {"routing_key", cfg.routing_key},
      {"event_action", resolve ? "resolve" : "trigger"},
      {"dedup_key", n.alert_key.substr(0, kDedupKeyMax)},
  };
  // A resolve needs only the key; PagerDuty ignores a payload on it.
  if (resolve) return event;
  json details = {
      {"slo", n.slo},
      {"service", n.service},
      {"tier", n.tier},
      {"severity", n.severity},
      {"threshold", n.threshold},
      {"long_window", n.long_window},
      {"short_window", n.short_window},
      {"objective", n.objective},
      {"description", body_text(cfg, n)},
  };
  if (n.long_burn_rate) details["long_burn_rate"] = *n.long_burn_rate;
  if (n.short_burn_rate) details["short_burn_rate"] = *n.short_burn_rate;
  if (n.budget_remaining) details["budget_remaining"] = *n.budget_remaining;
  if (!n.group.empty()) details["group"] = n.group;
  for (const auto& [k, v] : n.labels) details["labels"][k] = v;
  event["payload"] = {
      {"summary", truncate_utf16(title_text(cfg, n), kSummaryMax)},
      {"source", n.service.empty() ? std::string("sloguard") : n.service},
      {"severity", severity_for(n.severity)},
      {"timestamp", format_rfc3339(n.created_at_ms / 1000)},
      {"component", n.slo},
      {"group", n.group.empty() ? n.service : n.group},
      {"class", "slo-burn-rate/" + n.tier},
      {"custom_details", details},
  };
  event["client"] = "sloguard";
  if (!n.link.empty()) {
    event["client_url"] = n.link;
    event["links"] = json::array({{{"href", n.link}, {"text", "SLO status in sloguard"}}});
  }
  return event;
}

class PagerDutyNotifier final : public Notifier {
 public:
  PagerDutyNotifier(config::NotifierConfig cfg, net::HttpSender& sender, const Clock& clock)
      : cfg_(std::move(cfg)), sender_(sender), clock_(clock) {}

  const config::NotifierConfig& config() const override { return cfg_; }

  net::Verdict deliver(const Notification& n, int /*attempt*/) override {
    const bool actionable = n.kind == kKindAlert || n.outcome == "failed" ||
                            (n.kind != kKindVerification && n.outcome == "succeeded");
    if (!actionable) {
      net::Verdict skipped;
      skipped.outcome = net::Outcome::kDelivered;
      skipped.detail = "not sent: a " + n.outcome + " " + n.kind + " opens no PagerDuty incident";
      return skipped;
    }
    Result<net::HttpResponse> r = sender_.send(json_post(cfg_, cfg_.base_url + "/v2/enqueue", payload(cfg_, n)));
    net::Verdict v = net::classify(r, clock_.now_ms());
    if (!r.ok() || v.outcome == net::Outcome::kDelivered) return v;
    // Errors are {"status": "invalid event", "message": "...", "errors": ["..."]}.
    try {
      const json err = json::parse(r->body);
      std::string m = err.value("message", "");
      if (auto e = err.find("errors"); e != err.end() && e->is_array()) {
        for (const auto& s : *e) {
          if (s.is_string()) m += "; " + s.get<std::string>();
        }
      }
      if (!m.empty()) v.detail = "HTTP " + std::to_string(r->status) + ": " + clip_detail(m);
    } catch (const json::exception&) {
    }
    return v;
  }

 private:
  config::NotifierConfig cfg_;
  net::HttpSender& sender_;
  const Clock& clock_;
};

}  // namespace

std::unique_ptr<Notifier> make_pagerduty_notifier(const config::NotifierConfig& cfg, net::HttpSender& sender,
                                                  const Clock& clock) {
  return std::make_unique<PagerDutyNotifier>(cfg, sender, clock);
}

}  // namespace sloguard::alerting::detail
