#include "sloguard/collector/probe_ingest.h"

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "sloguard/common/units.h"

namespace sloguard::collector {
namespace {

using json = nlohmann::json;

constexpr ProbeOutcome kAllOutcomes[] = {ProbeOutcome::kSuccess, ProbeOutcome::kDns,     ProbeOutcome::kConnect,
                                         ProbeOutcome::kTls,     ProbeOutcome::kTimeout, ProbeOutcome::kStatus,
                                         ProbeOutcome::kBody,    ProbeOutcome::kOther};

}  // namespace

const char* probe_outcome_name(ProbeOutcome o) {
  switch (o) {
    case ProbeOutcome::kSuccess: return "success";
    case ProbeOutcome::kDns: return "dns";
    case ProbeOutcome::kConnect: return "connect";
    case ProbeOutcome::kTls: return "tls";
    case ProbeOutcome::kTimeout: return "timeout";
    case ProbeOutcome::kStatus: return "status";
    case ProbeOutcome::kBody: return "body";
    case ProbeOutcome::kOther: return "other";
  }
  return "other";
}

bool parse_probe_outcome(std::string_view name, ProbeOutcome& out) {
  for (ProbeOutcome o : kAllOutcomes) {
    if (name == probe_outcome_name(o)) {
      out = o;
      return true;
    }
  }
  return false;
}

IngestOutcome decode_probe_results(const config::Config& cfg, const Clock& clock, std::string_view body,
                                   std::vector<ProbeResult>& out) {
  IngestOutcome res;
  json doc = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  auto body_error = [&](std::string msg) {
    res.reason = RejectReason::kMalformedJson;
    res.errors.push_back(FieldError{-1, "results", std::move(msg), -1});
    return res;
  };
  if (doc.is_discarded()) return body_error("malformed JSON: expected {\"results\": [...]}");
  if (!doc.is_object() || !doc.contains("results") || !doc["results"].is_array()) {
    return body_error("body must be a JSON object with a \"results\" array");
  }
  const json& results = doc["results"];
  res.event_objects = results.size();
  const double now = static_cast<double>(clock.now_ms()) / 1000.0;
  const double oldest = now - static_cast<double>(cfg.storage.retention_ms) / 1000.0;
  auto fail = [&](RejectReason reason, size_t i, const std::string& field, const std::string& what) {
    if (res.errors.empty()) res.reason = reason;
    if (res.errors.size() < kMaxReportedErrors) {
      res.errors.push_back(FieldError{static_cast<int64_t>(i), field,
                                      "results[" + std::to_string(i) + "]" + (field.empty() ? "" : "." + field) +
                                          ": " + what,
                                      -1});
    }
  };
  std::vector<ProbeResult> parsed;
  for (size_t i = 0; i < results.size(); ++i) {
    const json& r = results[i];
    if (!r.is_object()) {
      fail(RejectReason::kInvalidField, i, "", "must be an object");
      continue;
    }
    ProbeResult pr;
    pr.latency_ms = -1;  // unknown unless given
    const size_t before = res.errors.size();
    auto probe = r.find("probe");
    if (probe == r.end()) {
      fail(RejectReason::kInvalidField, i, "probe", "missing (a configured probe name)");
    } else if (!probe->is_string()) {
      fail(RejectReason::kInvalidField, i, "probe", "must be a string");
    } else if (!cfg.find_probe(probe->get<std::string>())) {
      fail(RejectReason::kUnknownService, i, "probe", "unknown probe \"" + probe->get<std::string>() + "\"");
    } else {
      pr.probe = probe->get<std::string>();
    }
    auto ts = r.find("ts");
    std::optional<double> t;
    if (ts == r.end()) {
      fail(RejectReason::kInvalidField, i, "ts", "missing (Unix seconds or RFC 3339)");
    } else if (ts->is_number()) {
      t = ts->get<double>();
    } else if (ts->is_string()) {
      auto parsed_ts = parse_rfc3339(ts->get<std::string>());
      if (parsed_ts.ok()) t = *parsed_ts;
      else fail(RejectReason::kInvalidField, i, "ts", parsed_ts.status().message());
    } else {
      fail(RejectReason::kInvalidField, i, "ts", "must be Unix seconds or an RFC 3339 string");
    }
    if (t && *t > now + kMaxFutureSkewSeconds) {
      fail(RejectReason::kTimestampRange, i, "ts", "is more than 5m in the future");
    } else if (t && *t < oldest) {
      fail(RejectReason::kTimestampRange, i, "ts",
           "is older than the retention of " + format_duration_ms(cfg.storage.retention_ms));
    } else if (t) {
      pr.ts = *t;
    }
    auto success = r.find("success");
    if (success == r.end() || !success->is_boolean()) {
      fail(RejectReason::kInvalidField, i, "success", "must be true or false");
    } else {
      pr.outcome = success->get<bool>() ? ProbeOutcome::kSuccess : ProbeOutcome::kOther;
    }
    if (auto lat = r.find("latency_ms"); lat != r.end()) {
      if (!lat->is_number() || !std::isfinite(lat->get<double>()) || lat->get<double>() < 0) {
        fail(RejectReason::kInvalidField, i, "latency_ms", "must be a finite number >= 0");
      } else {
        pr.latency_ms = lat->get<double>();
      }
    }
    if (auto reason = r.find("reason"); reason != r.end() && !reason->is_null()) {
      ProbeOutcome o;
      if (!reason->is_string() || !parse_probe_outcome(reason->get<std::string>(), o) || o == ProbeOutcome::kSuccess) {
        fail(RejectReason::kInvalidField, i, "reason",
             "must be one of dns, connect, tls, timeout, status, body, other");
      } else if (pr.outcome != ProbeOutcome::kSuccess) {
        pr.outcome = o;
      }
    }
    if (res.errors.size() == before) parsed.push_back(std::move(pr));
  }
  if (!res.errors.empty()) return res;
  res.ok = true;
  res.accepted = parsed.size();
  out = std::move(parsed);
  return res;
}

Status write_probe_results(store::Store& store, const config::Config& cfg, const std::vector<ProbeResult>& results) {
  std::map<std::pair<store::SeriesId, int64_t>, store::Rollup> acc;
  std::map<std::string, store::SeriesId, std::less<>> ids;
  static const std::vector<uint32_t> kNoThresholds;
  for (const auto& r : results) {
    const config::ProbeConfig* probe = cfg.find_probe(r.probe);
    if (!probe) continue;
    auto it = ids.find(r.probe);
    if (it == ids.end()) {
      auto id = store.ensure_series({{"service", probe->service}, {"probe", probe->name}});
      if (!id.ok()) return id.status();
      it = ids.emplace(r.probe, *id).first;
    }
    store::Rollup& rollup = acc[{it->second, static_cast<int64_t>(std::floor(r.ts / 60.0)) * 60}];
    rollup.add(static_cast<uint32_t>(r.outcome), 1);
    if (r.latency_ms >= 0) rollup.add_latency(r.latency_ms, 1, kNoThresholds);
  }
  std::vector<store::RollupDelta> deltas;
  deltas.reserve(acc.size());
  for (auto& [key, rollup] : acc) deltas.push_back(store::RollupDelta{key.first, key.second, std::move(rollup)});
  return deltas.empty() ? Status::OK() : store.write_rollups(deltas);
}

}  // namespace sloguard::collector
