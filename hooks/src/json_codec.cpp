#include "json_codec.h"

#include <algorithm>

#include "sloguard/common/json_record.h"
#include "sloguard/common/units.h"

namespace sloguard::hooks::detail {
namespace {

using json = nlohmann::json;

json opt(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }
std::optional<double> opt_double(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}
// Safe readers: a missing key or a value of another type reads as the default, never throws.
int64_t int_of(const json& j, const char* key, int64_t fallback = 0) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<int64_t>() : fallback;
}
uint64_t count_of(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_unsigned() ? it->get<uint64_t>() : 0;
}
std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Measurement parse_measurement(const json& j) {
  Measurement m;
  m.series = str(j, "series");
  m.from = int_of(j, "from");
  m.to = int_of(j, "to");
  m.requests = count_of(j, "requests");
  m.errors = count_of(j, "errors");
  m.error_ratio = opt_double(j, "error_ratio");
  m.p95_ms = opt_double(j, "p95_ms");
  return m;
}

}  // namespace

json measurement_json(const Measurement& m) {
  return {{"series", m.series},       {"from", m.from},     {"to", m.to},
          {"requests", m.requests},   {"errors", m.errors}, {"error_ratio", opt(m.error_ratio)},
          {"p95_ms", opt(m.p95_ms)}};
}

json verification_json(const Verification& v) {
  return {{"outcome", v.outcome},
          {"judged_at", v.judged_at},
          {"failed_rule", v.failed_rule.empty() ? json(nullptr) : json(v.failed_rule)},
          {"baseline_kind", v.baseline_kind},
          {"release", measurement_json(v.release)},
          {"baseline", measurement_json(v.baseline)},
          {"reasons", v.reasons}};
}

json deployment_json(const Deployment& d) {
  json j = {{"id", d.id},
            {"service", d.service},
            {"version", d.version},
            {"previous_version", d.previous_version},
            {"environment", d.environment},
            {"url", d.url},
            {"started_at", d.started_at},
            {"created_at", d.created_at}};
  json stages = json::array();
  for (const auto& st : d.stages) stages.push_back({{"weight", st.weight}, {"duration_s", st.duration_ms / 1000}});
  j["stages"] = stages;
  j["verification"] = d.verification ? verification_json(*d.verification) : json(nullptr);
  j["status"] = d.verification ? d.verification->outcome : "verifying";
  return j;
}

json audit_json(const AuditEntry& e) {
  return {{"id", e.id},
          {"at", static_cast<double>(e.at_ms) / 1000.0},
          {"time", format_rfc3339(e.at_ms / 1000)},
          {"service", e.service},
          {"hook", e.hook},
          {"kind", e.kind},
          {"trigger", e.trigger},
          {"reason", e.reason},
          {"idempotency_key", e.idempotency_key},
          {"deployment_id", e.deployment_id},
          {"result", e.result},
          {"detail", e.detail},
          {"action", e.action},
          {"attempts", e.attempts},
          {"output", e.output},
          {"message_id", e.message_id}};
}

std::string deployment_record(const Deployment& d) {
  json j = deployment_json(d);
  j.erase("verification");
  j.erase("status");
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

// Identity fields are required (a record without them cannot be listed or judged); the others
// read as their defaults when missing, as records written by older versions lack them.
Result<Deployment> parse_deployment_record(std::string_view text) {
  return decode_record<Deployment>(text, "deployment record", [](const json& j) {
    Deployment d;
    d.id = j.at("id").get<std::string>();
    d.service = j.at("service").get<std::string>();
    d.version = j.at("version").get<std::string>();
    d.previous_version = str(j, "previous_version");
    d.environment = str(j, "environment");
    d.url = str(j, "url");
    d.started_at = j.at("started_at").get<int64_t>();
    d.created_at = int_of(j, "created_at");
    if (auto it = j.find("stages"); it != j.end() && it->is_array()) {
      for (const json& st : *it) {
        if (!st.is_object()) continue;
        d.stages.push_back({static_cast<int>(int_of(st, "weight")), int_of(st, "duration_s") * 1000});
      }
    }
    return d;
  });
}

std::string verification_record(const Verification& v) {
  return verification_json(v).dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<Verification> parse_verification_record(std::string_view text) {
  return decode_record<Verification>(text, "verification record", [](const json& j) {
    Verification v;
    v.outcome = j.at("outcome").get<std::string>();
    v.judged_at = j.at("judged_at").get<int64_t>();
    v.baseline_kind = str(j, "baseline_kind");
    v.failed_rule = str(j, "failed_rule");
    if (j.contains("release") && j["release"].is_object()) v.release = parse_measurement(j["release"]);
    if (j.contains("baseline") && j["baseline"].is_object()) v.baseline = parse_measurement(j["baseline"]);
    if (j.contains("reasons") && j["reasons"].is_array()) {
      for (const auto& r : j["reasons"]) {
        if (r.is_string()) v.reasons.push_back(r.get<std::string>());
      }
    }
    return v;
  });
}

json rule_check_json(const RuleCheck& r) {
  return {{"name", r.name},
          {"metric", r.metric},
          {"window", r.window_ms > 0 ? json(format_duration_ms(r.window_ms)) : json(nullptr)},
          {"window_ms", r.window_ms},
          {"max", r.max},
          {"failures_allowed", r.failures_allowed},
          {"state", r.state},
          {"value", opt(r.value)},
          {"requests", r.requests},
          {"failures", r.failures},
          {"last_failed_at", r.last_failed_at},
          {"detail", r.detail}};
}

json progress_json(const VerificationProgress& p) {
  json rules = json::array();
  for (const auto& r : p.rules) rules.push_back(rule_check_json(r));
  return {{"checked_at", p.checked_at},
          {"rules", rules},
          {"has_versions", p.has_versions},
          {"baseline_p95_ms", opt(p.baseline_p95_ms)},
          {"baseline_read", p.baseline_read},
          {"error", p.error}};
}

std::string progress_record(const VerificationProgress& p) {
  return progress_json(p).dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<VerificationProgress> parse_progress_record(std::string_view text) {
  return decode_record<VerificationProgress>(text, "verification progress", [](const json& j) {
    auto num = [](const json& o, const char* k) {
      auto it = o.find(k);
      return it != o.end() && it->is_number_integer() ? it->get<int64_t>() : int64_t{0};
    };
    VerificationProgress p;
    p.checked_at = j.at("checked_at").get<int64_t>();
    p.has_versions = j.contains("has_versions") && j["has_versions"].is_boolean() && j["has_versions"].get<bool>();
    p.baseline_p95_ms = opt_double(j, "baseline_p95_ms");
    p.baseline_read = j.contains("baseline_read") && j["baseline_read"].is_boolean() && j["baseline_read"].get<bool>();
    p.error = str(j, "error");
    if (auto it = j.find("rules"); it != j.end() && it->is_array()) {
      for (const json& r : *it) {
        if (!r.is_object()) continue;
        RuleCheck c;
        c.name = str(r, "name");
        c.metric = str(r, "metric");
        c.state = str(r, "state");
        c.window_ms = num(r, "window_ms");
        c.max = opt_double(r, "max").value_or(0);
        c.failures_allowed = static_cast<int>(num(r, "failures_allowed"));
        c.value = opt_double(r, "value");
        c.requests = static_cast<uint64_t>(std::max<int64_t>(0, num(r, "requests")));
        c.failures = static_cast<int>(num(r, "failures"));
        c.last_failed_at = num(r, "last_failed_at");
        c.detail = str(r, "detail");
        p.rules.push_back(std::move(c));
      }
    }
    return p;
  });
}

Result<AuditEntry> parse_audit_record(std::string_view text) {
  return decode_record<AuditEntry>(text, "audit record", [](const json& j) {
    AuditEntry e;
    e.id = str(j, "id");
    e.at_ms = static_cast<int64_t>(j.at("at").get<double>() * 1000.0 + 0.5);
    e.service = j.at("service").get<std::string>();
    e.hook = j.at("hook").get<std::string>();
    e.kind = str(j, "kind");
    e.trigger = str(j, "trigger");
    e.reason = str(j, "reason");
    e.idempotency_key = str(j, "idempotency_key");
    e.deployment_id = str(j, "deployment_id");
    e.result = str(j, "result");
    e.detail = str(j, "detail");
    e.action = str(j, "action");
    e.attempts = static_cast<int>(int_of(j, "attempts"));
    e.output = str(j, "output");
    e.message_id = str(j, "message_id");
    return e;
  });
}

}  // namespace sloguard::hooks::detail

namespace sloguard::hooks {

std::string to_json(const AuditEntry& e) {
  return detail::audit_json(e).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace sloguard::hooks
