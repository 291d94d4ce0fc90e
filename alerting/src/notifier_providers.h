// Internal to the notifiers: one factory per provider and the text helpers they share.
#pragma once

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <string_view>

#include "sloguard/alerting/notification.h"

namespace sloguard::alerting::detail {

std::unique_ptr<Notifier> make_slack_notifier(const config::NotifierConfig& cfg, net::HttpSender& sender,
                                              const Clock& clock);
std::unique_ptr<Notifier> make_line_notifier(const config::NotifierConfig& cfg, net::HttpSender& sender,
                                             const Clock& clock);
std::unique_ptr<Notifier> make_discord_notifier(const config::NotifierConfig& cfg, net::HttpSender& sender,
                                                const Clock& clock);
std::unique_ptr<Notifier> make_pagerduty_notifier(const config::NotifierConfig& cfg, net::HttpSender& sender,
                                                  const Clock& clock);
std::unique_ptr<Notifier> make_alertmanager_notifier(const config::NotifierConfig& cfg, net::HttpSender& sender,
                                                     const Clock& clock);
std::unique_ptr<Notifier> make_webhook_notifier(const config::NotifierConfig& cfg, net::HttpSender& sender,
                                                const Clock& clock);

// How a notification should look: green, yellow or red; PagerDuty info, warning or critical.
// Alerts: resolved good, page danger, else warning. Verification: passed good, failed danger,
// inconclusive warning. Rollback: succeeded good, failed danger, dry run and skips warning.
enum class Tone { kGood, kWarning, kDanger };
Tone tone_for(const Notification& n);

// The title and body text: cfg's templates when set, else the defaults in docs/notifiers.md.
std::string title_text(const config::NotifierConfig& cfg, const Notification& n);
std::string body_text(const config::NotifierConfig& cfg, const Notification& n);

// `s` cut to at most `max_units` UTF-16 code units (a surrogate pair counts 2), ending in "…"
// when cut. Never splits a UTF-8 sequence or a surrogate pair; invalid UTF-8 bytes count 1.
std::string truncate_utf16(std::string_view s, size_t max_units);
size_t utf16_length(std::string_view s);

// A JSON POST to `url` with cfg's headers, timeout and TLS setting.
net::HttpRequest json_post(const config::NotifierConfig& cfg, std::string url, const nlohmann::json& body);

// "1.23" (up to two decimals, trailing zeros dropped) and "42.1%".
std::string format_number(double v);
std::string format_percent(double ratio);

// The response body as it can go in Verdict.detail: printable, clipped to 200 bytes.
std::string clip_detail(std::string_view body);

}  // namespace sloguard::alerting::detail

namespace sloguard::alerting::detail {
// The X-Line-Retry-Key for a notification id: a v4-format UUID, the same for every attempt.
std::string line_retry_key(const std::string& notification_id);
}  // namespace sloguard::alerting::detail
