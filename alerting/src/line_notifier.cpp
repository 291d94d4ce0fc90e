// LINE Messaging API push (developers.line.biz/en/reference/messaging-api/#send-push-message):
// one text message of at most 5,000 UTF-16 units, sent with an X-Line-Retry-Key derived from
// the notification id, so that a retry after a timeout cannot deliver twice: LINE answers such
// a retry with 409, which means the first attempt was accepted.
#include <openssl/evp.h>

#include <array>

#include "notifier_providers.h"

namespace sloguard::alerting::detail {
namespace {

using nlohmann::json;

constexpr size_t kMaxTextUnits = 5000;

// A version 4 format UUID from SHA-256("sloguard-line-retry:" + id).
std::string retry_key(const std::string& id) {
  const std::string input = "sloguard-line-retry:" + id;
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  EVP_Digest(input.data(), input.size(), md.data(), &len, EVP_sha256(), nullptr);
  md[6] = static_cast<unsigned char>((md[6] & 0x0f) | 0x40);  // version 4
  md[8] = static_cast<unsigned char>((md[8] & 0x3f) | 0x80);  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 0xf];
  }
  return out;
}

class LineNotifier final : public Notifier {
 public:
  LineNotifier(config::NotifierConfig cfg, net::HttpSender& sender, const Clock& clock)
      : cfg_(std::move(cfg)), sender_(sender), clock_(clock) {}

  const config::NotifierConfig& config() const override { return cfg_; }

  net::Verdict deliver(const Notification& n, int /*attempt*/) override {
    const std::string text = truncate_utf16(title_text(cfg_, n) + "\n" + body_text(cfg_, n), kMaxTextUnits);
    const json body = {{"to", cfg_.to}, {"messages", json::array({{{"type", "text"}, {"text", text}}})}};
    net::HttpRequest req = json_post(cfg_, cfg_.base_url + "/v2/bot/message/push", body);
    req.headers.emplace_back("Authorization", "Bearer " + cfg_.token);
    req.headers.emplace_back("X-Line-Retry-Key", retry_key(n.id));
    Result<net::HttpResponse> r = sender_.send(req);
    net::Verdict v = net::classify(r, clock_.now_ms());
    if (!r.ok()) return v;
    if (r->status == 409) {
      v.outcome = net::Outcome::kDelivered;
      v.detail = "HTTP 409: already accepted under this retry key";
      return v;
    }
    if (v.outcome != net::Outcome::kDelivered) {
      // Errors are {"message": "...", "details": [{"message", "property"}]}.
      try {
        const json err = json::parse(r->body);
        std::string m = err.value("message", "");
        if (auto d = err.find("details"); d != err.end() && d->is_array()) {
          for (const auto& e : *d) m += "; " + e.value("property", "") + ": " + e.value("message", "");
        }
        if (!m.empty()) v.detail = "HTTP " + std::to_string(r->status) + ": " + clip_detail(m);
      } catch (const json::exception&) {
      }
    }
    return v;
  }

 private:
  config::NotifierConfig cfg_;
  net::HttpSender& sender_;
  const Clock& clock_;
};

}  // namespace

std::string line_retry_key(const std::string& notification_id) { return retry_key(notification_id); }

std::unique_ptr<Notifier> make_line_notifier(const config::NotifierConfig& cfg, net::HttpSender& sender,
                                             const Clock& clock) {
  return std::make_unique<LineNotifier>(cfg, sender, clock);
}

}  // namespace sloguard::alerting::detail
