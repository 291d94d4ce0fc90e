#include "sloguard/hooks/deployments.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>
#include <limits>
#include <queue>
#include <nlohmann/json.hpp>

#include "json_codec.h"
#include "sloguard/common/log.h"
#include "sloguard/common/units.h"

namespace sloguard::hooks {
namespace {

using json = nlohmann::json;

constexpr std::string_view kDeployPrefix = "deploy/";
constexpr std::string_view kVerifyPrefix = "verify/";
constexpr size_t kMaxField = 256;
constexpr size_t kMaxUrl = 2048;
constexpr size_t kMaxLabel = 128;
constexpr size_t kMaxStages = 20;
constexpr int64_t kMaxStartedAgo = 86400;  // seconds
constexpr int64_t kMaxStartedAhead = 300;
constexpr std::string_view kProgressPrefix = "vprog/";

// GET /api/v1/deployments' order: newest started_at first, then the newer id.
void sort_newest_first(std::vector<Deployment>& v) {
  std::stable_sort(v.begin(), v.end(), [](const Deployment& a, const Deployment& b) {
    return a.started_at != b.started_at ? a.started_at > b.started_at : a.id > b.id;
  });
}

Status field_error(const std::string& field, const std::string& what) {
  return Status::InvalidArgument(field + ": " + what);
}

// A string field; "" when absent. Error when present but not a string or too long.
Result<std::string> string_field(const json& body, const std::string& name, size_t max, bool required) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) {
    if (required) return field_error(name, "required");
    return std::string();
  }
  if (!it->is_string()) return field_error(name, std::string("must be a string, got ") + it->type_name());
  std::string v = it->get<std::string>();
  if (required && v.empty()) return field_error(name, "must not be empty");
  if (v.size() > max) return field_error(name, "longer than " + std::to_string(max) + " bytes");
  if (v.find_first_of(std::string("\x1e\x1f\n\r", 4)) != std::string::npos) {
    return field_error(name, "must not contain control characters");
  }
  return v;
}

// A value that reaches hooks, payloads and logs: a conservative set, never an option.
Status check_label_value(const std::string& field, const std::string& v) {
  if (v.size() > kMaxLabel) return field_error(field, "longer than " + std::to_string(kMaxLabel) + " characters");
  if (!v.empty() && v.front() == '-') return field_error(field, "must not start with '-'");
  for (unsigned char c : v) {
    if (!(std::isalnum(c) || c == '.' || c == '_' || c == '+' || c == ':' || c == '@' || c == '/' || c == '-')) {
      return field_error(field, "may hold only letters, digits and . _ + : @ / - (got \"" +
                                    std::string(1, static_cast<char>(std::isprint(c) ? c : '?')) + "\")");
    }
  }
  return Status::OK();
}

Result<std::vector<Stage>> parse_stages(const json& body) {
  std::vector<Stage> out;
  auto it = body.find("stages");
  if (it == body.end() || it->is_null()) return out;
  if (!it->is_array()) return field_error("stages", "expected a list like [{\"weight\": 5, \"duration\": \"5m\"}]");
  if (it->size() > kMaxStages) return field_error("stages", "at most " + std::to_string(kMaxStages) + " stages");
  for (size_t i = 0; i < it->size(); ++i) {
    const json& st = (*it)[i];
    const std::string at = "stages[" + std::to_string(i) + "]";
    if (!st.is_object()) return field_error(at, "expected {\"weight\": 5, \"duration\": \"5m\"}");
    for (auto f = st.begin(); f != st.end(); ++f) {
      if (f.key() != "weight" && f.key() != "duration") {
        return field_error(at + "." + f.key(), "unknown field; expected weight, duration");
      }
    }
    Stage stage;
    auto w = st.find("weight");
    if (w == st.end() || !w->is_number_integer() || w->get<int64_t>() < 1 || w->get<int64_t>() > 100) {
      return field_error(at + ".weight", "required, a whole percent 1..100");
    }
    stage.weight = w->get<int>();
    auto d = st.find("duration");
    if (d == st.end()) return field_error(at + ".duration", "required, e.g. \"5m\"");
    if (d->is_string()) {
      auto ms = parse_duration_ms(d->get<std::string>());
      if (!ms.ok()) return field_error(at + ".duration", ms.status().message());
      stage.duration_ms = *ms;
    } else if (d->is_number_integer()) {
      stage.duration_ms = d->get<int64_t>() * 1000;
    } else {
      return field_error(at + ".duration", "expected a duration like \"5m\" or whole seconds");
    }
    if (stage.duration_ms < 60000 || stage.duration_ms % 60000 != 0 || stage.duration_ms > 7 * 86400000LL) {
      return field_error(at + ".duration", "must be whole minutes between 1m and 7d");
    }
    if (!out.empty() && stage.weight < out.back().weight) {
      return field_error(at + ".weight", "must not be below the previous stage's weight");
    }
    out.push_back(stage);
  }
  return out;
}

}  // namespace

Result<DeploymentRequest> parse_deployment_request(const config::Config& cfg, std::string_view body_text,
                                                   int64_t now) {
  json body = json::parse(body_text, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return Status::InvalidArgument("body: expected a JSON object like {\"service\": \"checkout\", \"version\": \"v2\"}");
  }
  static const char* kKnown[] = {"service", "version", "previous_version", "environment", "started_at", "url",
                                 "stages"};
  for (auto it = body.begin(); it != body.end(); ++it) {
    if (std::none_of(std::begin(kKnown), std::end(kKnown), [&](const char* k) { return it.key() == k; })) {
      return field_error(it.key(), "unknown field; expected service, version, previous_version, environment, "
                                   "started_at, url, stages");
    }
  }
  DeploymentRequest req;
  auto service = string_field(body, "service", kMaxField, true);
  if (!service.ok()) return service.status();
  if (!cfg.find_service(*service)) return field_error("service", "unknown service \"" + *service + "\"");
  req.service = *service;
  auto version = string_field(body, "version", kMaxField, true);
  if (!version.ok()) return version.status();
  req.version = *version;
  if (Status st = check_label_value("version", req.version); !st.ok()) return st;
  auto previous = string_field(body, "previous_version", kMaxField, false);
  if (!previous.ok()) return previous.status();
  req.previous_version = *previous;
  if (Status st = check_label_value("previous_version", req.previous_version); !st.ok()) return st;
  if (!req.previous_version.empty() && req.previous_version == req.version) {
    return field_error("previous_version", "must differ from version");
  }
  auto env = string_field(body, "environment", kMaxField, false);
  if (!env.ok()) return env.status();
  req.environment = *env;
  if (Status st = check_label_value("environment", req.environment); !st.ok()) return st;
  auto stages = parse_stages(body);
  if (!stages.ok()) return stages.status();
  req.stages = std::move(stages).value();
  auto url = string_field(body, "url", kMaxUrl, false);
  if (!url.ok()) return url.status();
  if (!url->empty() && url->rfind("http://", 0) != 0 && url->rfind("https://", 0) != 0) {
    return field_error("url", "must be an http:// or https:// URL");
  }
  req.url = *url;
  if (auto it = body.find("started_at"); it != body.end() && !it->is_null()) {
    double t = 0;
    if (it->is_number()) {
      t = it->get<double>();
    } else if (it->is_string()) {
      auto parsed = parse_timestamp(it->get<std::string>());
      if (!parsed.ok()) return field_error("started_at", parsed.status().message());
      t = *parsed;
    } else {
      return field_error("started_at", "expected Unix seconds or an RFC 3339 time");
    }
    if (!std::isfinite(t) || t < 0 || t > 253370764799.0) {
      return field_error("started_at", "must be between 1970 and 9998");
    }
    req.started_at = static_cast<int64_t>(std::floor(t));
    if (*req.started_at < now - kMaxStartedAgo || *req.started_at > now + kMaxStartedAhead) {
      return field_error("started_at", "must be within 24h before and 5m after now (" + format_rfc3339(now) + ")");
    }
  }
  return req;
}

Result<Deployment> DeploymentStore::create(const DeploymentRequest& req) {
  std::lock_guard<std::mutex> lock(create_mu_);
  Deployment d;
  d.service = req.service;
  d.version = req.version;
  d.previous_version = req.previous_version;
  d.environment = req.environment;
  d.url = req.url;
  d.stages = req.stages;
  const int64_t now_ms = clock_.now_ms();
  d.created_at = now_ms / 1000;
  d.started_at = req.started_at.value_or(d.created_at);
  const std::string base = std::to_string(now_ms) + "-" + req.service;
  for (int n = 1;; ++n) {
    d.id = n == 1 ? base : base + "-" + std::to_string(n);
    auto existing = store_.get_state(std::string(kDeployPrefix) + d.id);
    if (!existing.ok()) return existing.status();
    if (!existing->has_value()) break;
  }
  if (Status s = store_.put_state(std::string(kDeployPrefix) + d.id, detail::deployment_record(d)); !s.ok()) return s;
  return d;
}

Result<std::vector<Deployment>> DeploymentStore::all() const {
  std::vector<Deployment> out;
  Status s = store_.scan_state(kDeployPrefix, [&](std::string_view key, std::string_view value) {
    auto d = detail::parse_deployment_record(value);
    if (d.ok()) {
      out.push_back(std::move(d).value());
    } else {
      // Skipped: one bad record must not hide every deployment from the list and verification.
      log::error("skipping an unreadable deployment", {{"key", std::string(key)}, {"error", d.status().message()}});
    }
  });
  if (!s.ok()) return s;
  std::map<std::string, Verification> verdicts;
  s = store_.scan_state(kVerifyPrefix, [&](std::string_view key, std::string_view value) {
    auto v = detail::parse_verification_record(value);
    if (v.ok()) {
      verdicts[std::string(key.substr(kVerifyPrefix.size()))] = std::move(v).value();
    } else {
      log::error("skipping an unreadable verdict", {{"key", std::string(key)}, {"error", v.status().message()}});
    }
  });
  if (!s.ok()) return s;
  for (auto& d : out) {
    if (auto it = verdicts.find(d.id); it != verdicts.end()) d.verification = it->second;
  }
  return out;
}

Result<std::optional<Deployment>> DeploymentStore::get(std::string_view id) const {
  auto raw = store_.get_state(std::string(kDeployPrefix) + std::string(id));
  if (!raw.ok()) return raw.status();
  if (!raw->has_value()) return std::optional<Deployment>();
  auto d = detail::parse_deployment_record(**raw);
  if (!d.ok()) return d.status();
  auto v = store_.get_state(std::string(kVerifyPrefix) + std::string(id));
  if (!v.ok()) return v.status();
  if (v->has_value()) {
    auto parsed = detail::parse_verification_record(**v);
    if (parsed.ok()) d->verification = std::move(parsed).value();
  }
  return std::optional<Deployment>(std::move(d).value());
}

Result<std::vector<Deployment>> DeploymentStore::list(std::string_view service, size_t limit) const {
  if (limit == std::numeric_limits<size_t>::max()) {
    auto all_d = all();
    if (!all_d.ok()) return all_d.status();
    std::vector<Deployment> out;
    for (auto& d : *all_d) {
      if (service.empty() || d.service == service) out.push_back(std::move(d));
    }
    sort_newest_first(out);
    return out;
  }
  // Keys sort by creation ("deploy/<created ms>-<service>") and started_at lies within
  // [created - 24h, created + 5m]: reading backwards, once `limit` deployments are held, one
  // created more than 5m before the limit-th newest started_at held cannot make the list.
  std::vector<Deployment> out;
  if (limit == 0) return out;
  std::priority_queue<int64_t, std::vector<int64_t>, std::greater<>> newest_started;  // the top `limit`
  Status s = store_.scan_state_backward(kDeployPrefix, [&](std::string_view key, std::string_view value) {
    auto d = detail::parse_deployment_record(value);
    if (!d.ok()) {  // skipped, as all() does: one bad record must not hide the rest
      log::error("skipping an unreadable deployment", {{"key", std::string(key)}, {"error", d.status().message()}});
      return true;
    }
    if (newest_started.size() >= limit && d->created_at + kMaxStartedAhead < newest_started.top()) return false;
    if (!service.empty() && d->service != service) return true;
    newest_started.push(d->started_at);
    if (newest_started.size() > limit) newest_started.pop();
    out.push_back(std::move(d).value());
    return true;
  });
  if (!s.ok()) return s;
  sort_newest_first(out);
  if (out.size() > limit) out.resize(limit);
  for (auto& d : out) {
    auto v = store_.get_state(std::string(kVerifyPrefix) + d.id);
    if (!v.ok()) return v.status();
    if (!v->has_value()) continue;
    if (auto parsed = detail::parse_verification_record(**v); parsed.ok()) d.verification = std::move(parsed).value();
  }
  return out;
}

Status DeploymentStore::save_verification(const std::string& id, const Verification& v) {
  std::lock_guard<std::mutex> lock(create_mu_);
  const std::string key = std::string(kVerifyPrefix) + id;
  auto existing = store_.get_state(key);
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) return Status::AlreadyExists("deployment " + id + " was judged already");
  return store_.put_state(key, detail::verification_record(v));
}

Status DeploymentStore::save_verdict(const std::string& id, const Verification& v, const VerificationProgress& p,
                                     std::vector<store::Store::StateWrite> also) {
  std::lock_guard<std::mutex> lock(create_mu_);
  const std::string key = std::string(kVerifyPrefix) + id;
  auto existing = store_.get_state(key);
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) return Status::AlreadyExists("deployment " + id + " was judged already");
  also.push_back({key, detail::verification_record(v)});
  also.push_back({std::string(kProgressPrefix) + id, detail::progress_record(p)});
  return store_.write_state(also);
}

Status DeploymentStore::save_progress(const std::string& id, const VerificationProgress& p) {
  return store_.put_state(std::string(kProgressPrefix) + id, detail::progress_record(p));
}

Result<std::optional<VerificationProgress>> DeploymentStore::progress(std::string_view id) const {
  auto raw = store_.get_state(std::string(kProgressPrefix) + std::string(id));
  if (!raw.ok()) return raw.status();
  if (!raw->has_value()) return std::optional<VerificationProgress>();
  auto p = detail::parse_progress_record(**raw);
  if (!p.ok()) {
    // The rule checks start over rather than the deployment never being judged.
    log::error("ignoring unreadable verification progress", {{"deployment", std::string(id)}, {"error", p.status().message()}});
    return std::optional<VerificationProgress>();
  }
  return std::optional<VerificationProgress>(std::move(p).value());
}

std::string to_json(const VerificationProgress& p) { return detail::progress_json(p).dump(); }
std::string to_json_rule(const RuleCheck& c) { return detail::rule_check_json(c).dump(); }

std::string to_json(const Deployment& d) { return detail::deployment_json(d).dump(); }
std::string to_json(const Verification& v) { return detail::verification_json(v).dump(); }

}  // namespace sloguard::hooks
