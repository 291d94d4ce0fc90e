// Generic JSON webhook, signed per Standard Webhooks (standardwebhooks.com) when a secret is
// set: webhook-id (the notification id, stable across retries), webhook-timestamp (Unix
// seconds at this attempt) and webhook-signature. The body is documented in docs/notifiers.md;
// its type is "sloguard.<kind>.<status>": sloguard.alert.firing, sloguard.verification.failed,
// sloguard.rollback.succeeded, ...
#include "notifier_providers.h"
#include "sloguard/common/units.h"

namespace sloguard::alerting::detail {
namespace {

using nlohmann::json;

class WebhookNotifier final : public Notifier {
 public:
  WebhookNotifier(config::NotifierConfig cfg, net::HttpSender& sender, const Clock& clock)
      : cfg_(std::move(cfg)), sender_(sender), clock_(clock) {}

  const config::NotifierConfig& config() const override { return cfg_; }

  net::Verdict deliver(const Notification& n, int /*attempt*/) override {
    const int64_t now_s = clock_.now_ms() / 1000;
    const json body = {
        {"type", "sloguard." + n.kind + "." + n.status},
        {"timestamp", format_rfc3339(now_s)},
        {"title", title_text(cfg_, n)},
        {"text", body_text(cfg_, n)},
        {"data", json::parse(to_json(n))},
    };
    net::HttpRequest req = json_post(cfg_, cfg_.url, body);
    req.headers.emplace_back("webhook-id", n.id);
    req.headers.emplace_back("webhook-timestamp", std::to_string(now_s));
    if (!cfg_.secret.empty()) {
      req.headers.emplace_back("webhook-signature", net::standard_webhooks_signature(cfg_.secret, n.id, now_s, req.body));
    }
    return net::classify(sender_.send(req), clock_.now_ms());
  }

 private:
  config::NotifierConfig cfg_;
  net::HttpSender& sender_;
  const Clock& clock_;
};

}  // namespace

std::unique_ptr<Notifier> make_webhook_notifier(const config::NotifierConfig& cfg, net::HttpSender& sender,
                                                const Clock& clock) {
  return std::make_unique<WebhookNotifier>(cfg, sender, clock);
}

}  // namespace sloguard::alerting::detail
