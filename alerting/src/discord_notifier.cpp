// Discord webhooks (discord.com/developers/docs/resources/webhook#execute-webhook): content of
// at most 2,000 characters and one embed (title 256, description 4,096, field name 256 and
// value 1,024); mentions are disabled so alert text cannot ping anyone. With ?wait=true
// Discord answers 200 once the message is stored. A 429 carries retry_after (seconds) in its
// JSON body and in the Retry-After header.
#include <algorithm>
#include <cmath>

#include "notifier_providers.h"
#include "sloguard/common/units.h"

namespace sloguard::alerting::detail {
namespace {

using nlohmann::json;

constexpr size_t kContentMax = 2000;
constexpr size_t kTitleMax = 256;
constexpr size_t kDescriptionMax = 4096;
constexpr size_t kFieldValueMax = 1024;

int color_for(const Notification& n) {
  switch (tone_for(n)) {
    case Tone::kGood: return 0x2EB67D;
    case Tone::kDanger: return 0xE01E5A;
    case Tone::kWarning: return 0xECB22E;
  }
  return 0xECB22E;
}

json payload(const config::NotifierConfig& cfg, const Notification& n) {
  const std::string title = title_text(cfg, n);
  json fields = json::array();
  auto field = [&](const std::string& name, const std::string& value) {
    if (!value.empty()) {
      fields.push_back({{"name", name}, {"value", truncate_utf16(value, kFieldValueMax)}, {"inline", true}});
    }
  };
  field("Service", n.service);
  if (n.kind == kKindAlert) {
    field("Severity", n.severity);
    field("Tier", n.tier);
    if (n.long_burn_rate) field("Burn rate (" + n.long_window + ")", format_number(*n.long_burn_rate) + "x");
    if (n.budget_remaining) field("Budget left", format_percent(*n.budget_remaining));
  } else {
    field("Version", n.version);
    field("Hook", n.hook);
    field(n.kind == kKindVerification ? "Outcome" : "Result", n.outcome);
  }
  json embed = {
      {"title", truncate_utf16(title, kTitleMax)},
      {"description", truncate_utf16(body_text(cfg, n), kDescriptionMax)},
      {"color", color_for(n)},
      {"fields", fields},
      {"timestamp", format_rfc3339(n.created_at_ms / 1000)},
  };
  if (!n.link.empty()) embed["url"] = n.link;
  return {
      {"content", truncate_utf16(title, kContentMax)},
      {"embeds", json::array({embed})},
      {"allowed_mentions", {{"parse", json::array()}}},
  };
}

class DiscordNotifier final : public Notifier {
 public:
  DiscordNotifier(config::NotifierConfig cfg, net::HttpSender& sender, const Clock& clock)
      : cfg_(std::move(cfg)), sender_(sender), clock_(clock) {
    url_ = cfg_.url + (cfg_.url.find('?') == std::string::npos ? "?wait=true" : "&wait=true");
  }

  const config::NotifierConfig& config() const override { return cfg_; }

  net::Verdict deliver(const Notification& n, int /*attempt*/) override {
    Result<net::HttpResponse> r = sender_.send(json_post(cfg_, url_, payload(cfg_, n)));
    net::Verdict v = net::classify(r, clock_.now_ms());
    if (!r.ok() || v.outcome == net::Outcome::kDelivered) return v;
    try {
      const json err = json::parse(r->body);
      if (r->status == 429) {
        if (auto it = err.find("retry_after"); it != err.end() && it->is_number() && it->get<double>() >= 0) {
          // Bounded before the cast: a day is far beyond any real Discord rate limit.
          v.retry_after_ms = static_cast<int64_t>(std::ceil(std::min(it->get<double>(), 86400.0) * 1000.0));
        }
      }
      if (auto m = err.find("message"); m != err.end() && m->is_string()) {
        v.detail = "HTTP " + std::to_string(r->status) + ": " + clip_detail(m->get<std::string>());
      }
    } catch (const json::exception&) {
    }
    return v;
  }

 private:
  config::NotifierConfig cfg_;
  net::HttpSender& sender_;
  const Clock& clock_;
  std::string url_;
};

}  // namespace

std::unique_ptr<Notifier> make_discord_notifier(const config::NotifierConfig& cfg, net::HttpSender& sender,
                                                const Clock& clock) {
  return std::make_unique<DiscordNotifier>(cfg, sender, clock);
}

}  // namespace sloguard::alerting::detail
