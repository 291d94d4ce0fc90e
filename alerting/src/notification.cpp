// Notification serialisation for the outbox, template rendering, the text helpers the
// providers share, and make_notifier.
#include <cmath>
#include <cstdio>

#include "notifier_providers.h"
#include "sloguard/common/json_record.h"
#include "sloguard/common/units.h"

namespace sloguard::alerting {

using nlohmann::json;

namespace {

json optional_number(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

std::optional<double> read_optional_double(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  return it->get<double>();
}

std::string rfc3339_ms(int64_t ms) { return format_rfc3339(ms / 1000); }

std::string annotation(const Notification& n, const std::string& key) {
  auto it = n.annotations.find(key);
  return it == n.annotations.end() ? "" : it->second;
}

std::string trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return std::string(s);
}

bool is_release_event(const Notification& n) { return n.kind != kKindAlert; }

// "succeeded", "dry run (nothing called)", "skipped (cooldown)", ...
std::string hook_result_phrase(const std::string& result) {
  if (result == "dry_run") return "dry run (nothing called)";
  if (result == "skipped_cooldown") return "skipped (cooldown)";
  if (result == "skipped_limit") return "skipped (rollback limit)";
  return result;
}

// The value of a template field; "n/a" for known fields without a value, "" for unknown ones.
std::string field(const Notification& n, const std::string& name) {
  auto or_na = [](const std::optional<double>& v, auto fmt) { return v ? fmt(*v) : std::string("n/a"); };
  if (name == "kind") return n.kind;
  if (name == "deployment_id") return n.deployment_id;
  if (name == "version") return n.version;
  if (name == "previous_version") return n.previous_version;
  if (name == "environment") return n.environment;
  if (name == "outcome") return n.outcome;
  if (name == "hook") return n.hook;
  if (name == "hook_kind") return n.hook_kind;
  if (name == "trigger") return n.trigger;
  if (name == "reason") return n.reason;
  if (name == "detail") return n.detail;
  if (name == "summary" && is_release_event(n) && annotation(n, "summary").empty()) return default_title(n);
  if (name == "slo") return n.slo;
  if (name == "service") return n.service;
  if (name == "group") return n.group;
  if (name == "tier") return n.tier;
  if (name == "severity") return n.severity;
  if (name == "status") return n.status;
  if (name == "id") return n.id;
  if (name == "alert_key") return n.alert_key;
  if (name == "repeat") return n.repeat ? "true" : "false";
  if (name == "summary") return annotation(n, "summary");
  if (name == "description") return annotation(n, "description");
  if (name == "link") return n.link;
  if (name == "long_window") return n.long_window;
  if (name == "short_window") return n.short_window;
  if (name == "long_burn_rate") return or_na(n.long_burn_rate, detail::format_number);
  if (name == "short_burn_rate") return or_na(n.short_burn_rate, detail::format_number);
  if (name == "threshold") return detail::format_number(n.threshold);
  if (name == "budget_remaining") return or_na(n.budget_remaining, detail::format_percent);
  if (name == "objective") return detail::format_percent(n.objective);
  if (name == "starts_at") return rfc3339_ms(n.starts_at_ms);
  if (name == "ends_at") return n.ends_at_ms ? rfc3339_ms(*n.ends_at_ms) : "n/a";
  if (name.rfind("labels.", 0) == 0) {
    auto it = n.labels.find(name.substr(7));
    return it == n.labels.end() ? "" : it->second;
  }
  if (name.rfind("annotations.", 0) == 0) return annotation(n, name.substr(12));
  return "";
}

constexpr const char* kDefaultFiringTitle = "[{{STATUS}}] {{slo}}: {{severity}} {{tier}}";

std::string release_body(const Notification& n) {
  std::string t;
  if (n.kind == kKindVerification) {
    t = "Post-deploy verification of " + n.service + " " + n.version +
        (n.outcome == "inconclusive" ? " was inconclusive." : " " + n.outcome + ".");
    if (!n.deployment_id.empty()) {
      t += "\nDeployment " + n.deployment_id;
      if (!n.previous_version.empty()) t += ", previous version " + n.previous_version;
      if (!n.environment.empty()) t += ", environment " + n.environment;
      t += ".";
    }
    if (!n.reason.empty()) t += "\n" + n.reason;
  } else {
    t = "Rollback hook " + n.hook + (n.hook_kind.empty() ? "" : " (" + n.hook_kind + ")") + " for " + n.service + " " +
        hook_result_phrase(n.outcome) + ".";
    if (!n.trigger.empty()) t += "\nTrigger: " + n.trigger + ".";
    if (!n.reason.empty()) t += "\nReason: " + n.reason;
    if (!n.deployment_id.empty()) {
      t += "\nDeployment " + n.deployment_id;
      if (!n.version.empty()) t += ": " + n.version;
      if (!n.previous_version.empty()) t += " -> " + n.previous_version;
      t += ".";
    }
    if (!n.detail.empty()) t += "\nDetail: " + n.detail;
  }
  if (!n.link.empty()) t += "\n" + n.link;
  return t;
}

}  // namespace

std::string default_title(const Notification& n) {
  if (n.kind == kKindVerification) {
    return n.service + (n.version.empty() ? "" : " " + n.version) + ": verification " + n.outcome;
  }
  if (n.kind == kKindRollback) return n.service + ": rollback hook " + n.hook + " " + hook_result_phrase(n.outcome);
  std::string t = render_template(kDefaultFiringTitle, n);
  if (!n.group.empty()) t += " (" + n.group + ")";
  if (n.repeat) t += " [reminder]";
  return t;
}

std::string to_json(const Notification& n) {
  json j = {
      {"id", n.id},
      {"alert_key", n.alert_key},
      {"status", n.status},
      {"repeat", n.repeat},
      {"slo", n.slo},
      {"service", n.service},
      {"group", n.group},
      {"tier", n.tier},
      {"severity", n.severity},
      {"labels", n.labels},
      {"annotations", n.annotations},
      {"starts_at_ms", n.starts_at_ms},
      {"ends_at_ms", n.ends_at_ms ? json(*n.ends_at_ms) : json(nullptr)},
      {"created_at_ms", n.created_at_ms},
      {"threshold", n.threshold},
      {"long_window", n.long_window},
      {"short_window", n.short_window},
      {"long_burn_rate", optional_number(n.long_burn_rate)},
      {"short_burn_rate", optional_number(n.short_burn_rate)},
      {"budget_remaining", optional_number(n.budget_remaining)},
      {"objective", n.objective},
      {"link", n.link},
      {"kind", n.kind},
  };
  if (is_release_event(n)) {
    j["deployment_id"] = n.deployment_id;
    j["version"] = n.version;
    j["previous_version"] = n.previous_version;
    j["environment"] = n.environment;
    j["outcome"] = n.outcome;
    j["hook"] = n.hook;
    j["hook_kind"] = n.hook_kind;
    j["trigger"] = n.trigger;
    j["reason"] = n.reason;
    j["detail"] = n.detail;
  }
  // Replacement characters instead of an exception for text that is not UTF-8.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<Notification> notification_from_json(const std::string& text) {
  return decode_record<Notification>(text, "notification", [](const json& j) -> Result<Notification> {
    Notification n;
    n.id = j.at("id").get<std::string>();
    n.alert_key = j.value("alert_key", "");
    n.status = j.at("status").get<std::string>();
    n.repeat = j.value("repeat", false);
    n.slo = j.value("slo", "");
    n.service = j.value("service", "");
    n.group = j.value("group", "");
    n.tier = j.value("tier", "");
    n.severity = j.value("severity", "");
    if (auto it = j.find("labels"); it != j.end() && !it->is_null()) n.labels = it->get<std::map<std::string, std::string>>();
    if (auto it = j.find("annotations"); it != j.end() && !it->is_null()) {
      n.annotations = it->get<std::map<std::string, std::string>>();
    }
    n.starts_at_ms = j.value("starts_at_ms", int64_t{0});
    if (auto it = j.find("ends_at_ms"); it != j.end() && !it->is_null()) n.ends_at_ms = it->get<int64_t>();
    n.created_at_ms = j.value("created_at_ms", int64_t{0});
    n.threshold = j.value("threshold", 0.0);
    n.long_window = j.value("long_window", "");
    n.short_window = j.value("short_window", "");
    n.long_burn_rate = read_optional_double(j, "long_burn_rate");
    n.short_burn_rate = read_optional_double(j, "short_burn_rate");
    n.budget_remaining = read_optional_double(j, "budget_remaining");
    n.objective = j.value("objective", 0.0);
    n.link = j.value("link", "");
    n.kind = j.value("kind", std::string(kKindAlert));  // entries stored before kinds existed are alerts
    if (n.kind != kKindAlert && n.kind != kKindVerification && n.kind != kKindRollback) {
      return Status::InvalidArgument("unknown kind \"" + n.kind + "\"");
    }
    n.deployment_id = j.value("deployment_id", "");
    n.version = j.value("version", "");
    n.previous_version = j.value("previous_version", "");
    n.environment = j.value("environment", "");
    n.outcome = j.value("outcome", "");
    n.hook = j.value("hook", "");
    n.hook_kind = j.value("hook_kind", "");
    n.trigger = j.value("trigger", "");
    n.reason = j.value("reason", "");
    n.detail = j.value("detail", "");
    return n;
  });
}

std::string render_template(const std::string& tmpl, const Notification& n) {
  std::string out;
  size_t pos = 0;
  while (pos < tmpl.size()) {
    const size_t open = tmpl.find("{{", pos);
    if (open == std::string::npos) break;
    const size_t close = tmpl.find("}}", open + 2);
    if (close == std::string::npos) break;
    out.append(tmpl, pos, open - pos);
    const std::string name = trim(std::string_view(tmpl).substr(open + 2, close - open - 2));
    if (name == "STATUS") {  // upper-case status, for titles
      for (char c : n.status) out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    } else {
      out += field(n, name);
    }
    pos = close + 2;
  }
  out.append(tmpl, pos, std::string::npos);
  return out;
}

namespace detail {

std::string title_text(const config::NotifierConfig& cfg, const Notification& n) {
  if (!cfg.title_template.empty()) return render_template(cfg.title_template, n);
  return default_title(n);
}

std::string body_text(const config::NotifierConfig& cfg, const Notification& n) {
  if (!cfg.text_template.empty()) return render_template(cfg.text_template, n);
  if (is_release_event(n)) return release_body(n);
  std::string t;
  if (const std::string summary = annotation(n, "summary"); !summary.empty()) t += summary + "\n";
  if (n.status == "resolved") {
    t += render_template("SLO {{slo}} of {{service}} is no longer burning its error budget faster than {{threshold}}x "
                         "(tier {{tier}}). Error budget left: {{budget_remaining}}.",
                         n);
  } else {
    t += render_template("SLO {{slo}} of {{service}} (objective {{objective}}) is burning its error budget: "
                         "{{long_burn_rate}}x over {{long_window}} and {{short_burn_rate}}x over {{short_window}} "
                         "(threshold {{threshold}}x). Error budget left: {{budget_remaining}}.",
                         n);
  }
  if (!n.link.empty()) t += "\n" + n.link;
  return t;
}

Tone tone_for(const Notification& n) {
  if (n.kind == kKindVerification) {
    return n.outcome == "passed" ? Tone::kGood : n.outcome == "failed" ? Tone::kDanger : Tone::kWarning;
  }
  if (n.kind == kKindRollback) {
    return n.outcome == "succeeded" ? Tone::kGood : n.outcome == "failed" ? Tone::kDanger : Tone::kWarning;
  }
  if (n.status == "resolved") return Tone::kGood;
  return n.severity == "page" ? Tone::kDanger : Tone::kWarning;
}

size_t utf16_length(std::string_view s) {
  size_t units = 0;
  for (size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    const size_t len = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xe ? 3 : (b >> 3) == 0x1e ? 4 : 1;
    units += len == 4 ? 2 : 1;
    i += std::min(len, s.size() - i);
  }
  return units;
}

std::string truncate_utf16(std::string_view s, size_t max_units) {
  if (utf16_length(s) <= max_units) return std::string(s);
  static constexpr std::string_view kEllipsis = "\u2026";  // one UTF-16 unit
  if (max_units == 0) return "";
  const size_t budget = max_units - 1;
  size_t units = 0, i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    size_t len = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xe ? 3 : (b >> 3) == 0x1e ? 4 : 1;
    len = std::min(len, s.size() - i);
    const size_t cost = len == 4 ? 2 : 1;
    if (units + cost > budget) break;
    units += cost;
    i += len;
  }
  return std::string(s.substr(0, i)) + std::string(kEllipsis);
}

net::HttpRequest json_post(const config::NotifierConfig& cfg, std::string url, const json& body) {
  net::HttpRequest r;
  r.method = "POST";
  r.url = std::move(url);
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  r.headers.emplace_back("Content-Type", "application/json");
  for (const auto& h : cfg.headers) r.headers.push_back(h);
  r.timeout_ms = cfg.timeout_ms;
  r.tls_verify = cfg.tls_verify;
  return r;
}

std::string format_number(double v) {
  if (!std::isfinite(v)) return std::isnan(v) ? "n/a" : (v > 0 ? "inf" : "-inf");
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  std::string s = buf;
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  if (s == "-0") s = "0";
  return s;
}

std::string format_percent(double ratio) {
  if (!std::isfinite(ratio)) return format_number(ratio);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", ratio * 100.0);
  std::string s = buf;
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  if (s == "-0") s = "0";
  return s + "%";
}

std::string clip_detail(std::string_view body) {
  constexpr size_t kMax = 200;
  std::string out;
  for (char c : body) {
    if (out.size() >= kMax) {
      out += "...";
      break;
    }
    const auto u = static_cast<unsigned char>(c);
    out += (u >= 0x20 && u < 0x7f) ? c : ' ';
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace detail

std::unique_ptr<Notifier> make_notifier(const config::NotifierConfig& cfg, net::HttpSender& sender,
                                        const Clock& clock) {
  switch (cfg.kind) {
    case config::NotifierKind::kSlack: return detail::make_slack_notifier(cfg, sender, clock);
    case config::NotifierKind::kLine: return detail::make_line_notifier(cfg, sender, clock);
    case config::NotifierKind::kDiscord: return detail::make_discord_notifier(cfg, sender, clock);
    case config::NotifierKind::kPagerDuty: return detail::make_pagerduty_notifier(cfg, sender, clock);
    case config::NotifierKind::kAlertmanager: return detail::make_alertmanager_notifier(cfg, sender, clock);
    case config::NotifierKind::kWebhook: return detail::make_webhook_notifier(cfg, sender, clock);
  }
  return nullptr;
}

}  // namespace sloguard::alerting
