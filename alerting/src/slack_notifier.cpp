// Slack incoming webhooks (api.slack.com/messaging/webhooks): a JSON POST answered by 200 and
// the body "ok"; errors come back as plain-text codes (invalid_payload, no_service, ...).
// Slack allows about one message per second per webhook, so a second message within a second
// is answered with kRetry here without being sent.
#include <map>
#include <mutex>

#include "notifier_providers.h"

namespace sloguard::alerting::detail {
namespace {

using nlohmann::json;

constexpr int64_t kMinIntervalMs = 1000;
constexpr size_t kHeaderMax = 150;    // header block plain_text
constexpr size_t kSectionMax = 3000;  // section block text
constexpr size_t kFallbackMax = 4000;

const char* color_for(const Notification& n) {
  switch (tone_for(n)) {
    case Tone::kGood: return "#2EB67D";
    case Tone::kDanger: return "#E01E5A";
    case Tone::kWarning: return "#ECB22E";
  }
  return "#ECB22E";
}

// Last send per webhook URL, shared by every Slack notifier in the process (two notifiers may
// post to the same channel).
class SendTimes {
 public:
  // The wait before `url` may be used again at now_ms, or 0 after recording the send.
  int64_t reserve(const std::string& url, int64_t now_ms) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = last_.find(url);
    if (it != last_.end() && now_ms >= it->second && now_ms - it->second < kMinIntervalMs) {
      return kMinIntervalMs - (now_ms - it->second);
    }
    last_[url] = now_ms;
    return 0;
  }
  static SendTimes& instance() {
    static SendTimes times;
    return times;
  }

 private:
  std::mutex mu_;
  std::map<std::string, int64_t> last_;
};

json payload(const config::NotifierConfig& cfg, const Notification& n) {
  const std::string title = title_text(cfg, n);
  const std::string text = body_text(cfg, n);
  json fields = json::array();
  auto field = [&](const std::string& name, const std::string& value) {
    if (!value.empty()) fields.push_back({{"type", "mrkdwn"}, {"text", "*" + name + "*\n" + value}});
  };
  field("Service", n.service);
  if (n.kind == kKindAlert) {
    field("Severity", n.severity);
    if (n.long_burn_rate) field("Burn rate (" + n.long_window + ")", format_number(*n.long_burn_rate) + "x");
    if (n.budget_remaining) field("Budget left", format_percent(*n.budget_remaining));
  } else {
    field("Version", n.version);
    field("Hook", n.hook);
    field(n.kind == kKindVerification ? "Outcome" : "Result", n.outcome);
  }
  json blocks = json::array({
      {{"type", "header"}, {"text", {{"type", "plain_text"}, {"text", truncate_utf16(title, kHeaderMax)}}}},
      {{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", truncate_utf16(text, kSectionMax)}}}},
  });
  if (!fields.empty()) blocks.push_back({{"type", "section"}, {"fields", fields}});
  return {
      {"text", truncate_utf16(title + "\n" + text, kFallbackMax)},
      {"attachments", json::array({{{"color", color_for(n)}, {"fallback", truncate_utf16(title, kFallbackMax)},
                                    {"blocks", blocks}}})},
  };
}

class SlackNotifier final : public Notifier {
 public:
  SlackNotifier(config::NotifierConfig cfg, net::HttpSender& sender, const Clock& clock)
      : cfg_(std::move(cfg)), sender_(sender), clock_(clock) {}

  const config::NotifierConfig& config() const override { return cfg_; }

  net::Verdict deliver(const Notification& n, int /*attempt*/) override {
    const int64_t now = clock_.now_ms();
    if (int64_t wait = SendTimes::instance().reserve(cfg_.url, now); wait > 0) {
      net::Verdict v;
      v.outcome = net::Outcome::kRetry;
      v.retry_after_ms = wait;
      v.detail = "Slack allows one message per second per webhook; not sent";
      return v;
    }
    Result<net::HttpResponse> r = sender_.send(json_post(cfg_, cfg_.url, payload(cfg_, n)));
    net::Verdict v = net::classify(r, clock_.now_ms());
    if (!r.ok()) return v;
    if (r->status == 200) {
      if (r->body == "ok") return v;
      // A 200 without "ok" is not Slack's success answer (a proxy or captive portal, say).
      v.outcome = net::Outcome::kFailed;
    }
    if (!r->body.empty()) v.detail = "HTTP " + std::to_string(r->status) + ": " + clip_detail(r->body);
    return v;
  }

 private:
  config::NotifierConfig cfg_;
  net::HttpSender& sender_;
  const Clock& clock_;
};

}  // namespace

std::unique_ptr<Notifier> make_slack_notifier(const config::NotifierConfig& cfg, net::HttpSender& sender,
                                              const Clock& clock) {
  return std::make_unique<SlackNotifier>(cfg, sender, clock);
}

}  // namespace sloguard::alerting::detail
