#include "sloguard/collector/event_ingest.h"

#include <cmath>
#include <nlohmann/json.hpp>
#include <optional>
#include <unordered_map>

#include "json_error_locator.h"
#include "sloguard/common/units.h"

namespace sloguard::collector {
namespace {

using json = nlohmann::json;

struct ParsedEvent {
  const std::string* service;
  const std::string* endpoint;  // null when absent
  int64_t minute;
  uint32_t status;
  uint64_t count;
};

class ErrorSink {
 public:
  void add(RejectReason reason, int64_t index, std::string field, std::string what) {
    if (errors_.empty()) first_reason_ = reason;
    ++total_;
    if (errors_.size() >= kMaxReportedErrors) return;
    std::string msg = "events[" + std::to_string(index) + "]";
    if (!field.empty()) msg += "." + field;
    msg += ": " + what;
    errors_.push_back(FieldError{index, std::move(field), std::move(msg), -1});
  }
  bool empty() const { return total_ == 0; }
  RejectReason reason() const { return first_reason_; }
  std::vector<FieldError> take() { return std::move(errors_); }

 private:
  std::vector<FieldError> errors_;
  size_t total_ = 0;
  RejectReason first_reason_ = RejectReason::kInvalidField;
};

std::string type_name(const json& v) { return v.type_name(); }

std::optional<uint64_t> as_non_negative_integer(const json& v) {
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer()) {
    int64_t i = v.get<int64_t>();
    if (i >= 0) return static_cast<uint64_t>(i);
    return std::nullopt;
  }
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (std::isfinite(d) && d >= 0 && d < 1.8e19 && std::floor(d) == d) return static_cast<uint64_t>(d);
  }
  return std::nullopt;
}

struct SeriesKeyHash {
  size_t operator()(const std::pair<store::SeriesId, int64_t>& k) const {
    return std::hash<uint64_t>()(k.first * 0x9E3779B97F4A7C15ULL ^ static_cast<uint64_t>(k.second));
  }
};

}  // namespace

const char* reject_reason_name(RejectReason r) {
  switch (r) {
    case RejectReason::kMalformedJson: return "malformed_json";
    case RejectReason::kInvalidField: return "invalid_field";
    case RejectReason::kUnknownService: return "unknown_service";
    case RejectReason::kTimestampRange: return "timestamp_out_of_range";
    case RejectReason::kStorage: return "storage_error";
  }
  return "invalid_field";
}

IngestOutcome EventIngestor::ingest_json(const config::Config& cfg, std::string_view body) {
  IngestOutcome out;
  json doc = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    // Parse again, only to say where and what: index and field when inside an event.
    JsonErrorLocation loc = locate_json_error(body);
    out.errors.push_back(FieldError{loc.events_index, loc.field, "", loc.byte_offset});
    FieldError& e = out.errors.back();
    if (loc.number_overflow && loc.events_index >= 0) {
      out.reason = RejectReason::kInvalidField;
      e.message = loc.path + ": must be a finite number (overflow at byte offset " + std::to_string(loc.byte_offset) + ")";
    } else {
      out.reason = RejectReason::kMalformedJson;
      e.message = "malformed JSON at byte offset " + std::to_string(loc.byte_offset) +
                  (loc.path.empty() ? "" : " (in " + loc.path + ")") + ": " + loc.what;
    }
    return out;
  }
  auto fail_body = [&](std::string msg) {
    out.reason = RejectReason::kMalformedJson;
    out.errors.push_back(FieldError{-1, "events", std::move(msg), -1});
    return out;
  };
  if (!doc.is_object()) return fail_body("body must be a JSON object {\"events\": [...]}, got " + type_name(doc));
  auto it = doc.find("events");
  if (it == doc.end()) return fail_body("body must have an \"events\" array");
  if (!it->is_array()) return fail_body("\"events\" must be an array, got " + type_name(*it));
  const json& events = *it;
  out.event_objects = events.size();

  const int64_t now_ms = clock_.now_ms();
  const double newest_allowed = static_cast<double>(now_ms) / 1000.0 + kMaxFutureSkewSeconds;
  const double oldest_allowed = static_cast<double>(now_ms - cfg.storage.retention_ms) / 1000.0;

  ErrorSink errs;
  std::vector<ParsedEvent> parsed;
  parsed.reserve(events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    const json& e = events[i];
    const int64_t idx = static_cast<int64_t>(i);
    if (!e.is_object()) {
      errs.add(RejectReason::kInvalidField, idx, "", "must be an object, got " + type_name(e));
      continue;
    }
    ParsedEvent pe{nullptr, nullptr, 0, 0, 1};
    bool good = true;

    auto svc = e.find("service");
    if (svc == e.end()) {
      errs.add(RejectReason::kInvalidField, idx, "service", "missing (a configured service name)");
      good = false;
    } else if (!svc->is_string()) {
      errs.add(RejectReason::kInvalidField, idx, "service", "must be a string, got " + type_name(*svc));
      good = false;
    } else {
      const auto& name = svc->get_ref<const std::string&>();
      const config::ServiceConfig* sc = cfg.find_service(name);
      if (!sc) {
        errs.add(RejectReason::kUnknownService, idx, "service", "unknown service \"" + name + "\"");
        good = false;
      } else {
        pe.service = &sc->name;
      }
    }

    auto ts = e.find("ts");
    double t = 0;
    bool have_ts = false;
    if (ts == e.end()) {
      errs.add(RejectReason::kInvalidField, idx, "ts", "missing (Unix seconds or RFC 3339)");
      good = false;
    } else if (ts->is_number()) {
      t = ts->get<double>();
      have_ts = std::isfinite(t);
      if (!have_ts) errs.add(RejectReason::kInvalidField, idx, "ts", "must be finite");
    } else if (ts->is_string()) {
      auto r = parse_rfc3339(ts->get_ref<const std::string&>());
      if (r.ok()) {
        t = *r;
        have_ts = true;
      } else {
        errs.add(RejectReason::kInvalidField, idx, "ts", r.status().message());
      }
    } else {
      errs.add(RejectReason::kInvalidField, idx, "ts", "must be Unix seconds or an RFC 3339 string, got " + type_name(*ts));
    }
    if (ts != e.end() && !have_ts) good = false;
    if (have_ts) {
      if (t > newest_allowed) {
        errs.add(RejectReason::kTimestampRange, idx, "ts",
                 "is more than 5m in the future (" + format_rfc3339(static_cast<int64_t>(t)) + ")");
        good = false;
      } else if (t < oldest_allowed) {
        errs.add(RejectReason::kTimestampRange, idx, "ts",
                 "is older than the retention of " + format_duration_ms(cfg.storage.retention_ms) + " (" +
                     format_rfc3339(static_cast<int64_t>(std::floor(t))) + ")");
        good = false;
      } else {
        pe.minute = static_cast<int64_t>(std::floor(t / 60.0)) * 60;
      }
    }

    auto st = e.find("status");
    if (st == e.end()) {
      errs.add(RejectReason::kInvalidField, idx, "status", "missing (an HTTP status 100..599)");
      good = false;
    } else {
      auto v = as_non_negative_integer(*st);
      if (!st->is_number() || !v || *v < 100 || *v > 599) {
        errs.add(RejectReason::kInvalidField, idx, "status", "must be an integer 100..599");
        good = false;
      } else {
        pe.status = static_cast<uint32_t>(*v);
      }
    }

    if (auto lat = e.find("latency_ms"); lat != e.end()) {
      double d = lat->is_number() ? lat->get<double>() : -1;
      if (!lat->is_number() || !std::isfinite(d) || d < 0) {
        errs.add(RejectReason::kInvalidField, idx, "latency_ms", "must be a finite number >= 0");
        good = false;
      }
    }

    if (auto cnt = e.find("count"); cnt != e.end()) {
      auto v = as_non_negative_integer(*cnt);
      if (!v) {
        errs.add(RejectReason::kInvalidField, idx, "count", "must be a non-negative integer");
        good = false;
      } else {
        pe.count = *v;
      }
    }

    if (auto ep = e.find("endpoint"); ep != e.end() && !ep->is_null()) {
      if (!ep->is_string()) {
        errs.add(RejectReason::kInvalidField, idx, "endpoint", "must be a string, got " + type_name(*ep));
        good = false;
      } else if (!ep->get_ref<const std::string&>().empty()) {
        pe.endpoint = &ep->get_ref<const std::string&>();
      }
    }
    if (auto ver = e.find("version"); ver != e.end() && !ver->is_null() && !ver->is_string()) {
      errs.add(RejectReason::kInvalidField, idx, "version", "must be a string, got " + type_name(*ver));
      good = false;
    }
    if (good && errs.empty()) parsed.push_back(pe);
  }
  if (!errs.empty()) {
    out.reason = errs.reason();
    out.errors = errs.take();
    return out;
  }

  // Combine in memory per series and minute, then write once.
  std::unordered_map<std::string, store::SeriesId> series_cache;
  auto series_for = [&](const std::string& service, const std::string* endpoint) -> Result<store::SeriesId> {
    std::string key = service;
    if (endpoint) {
      key += '\x1f';
      key += *endpoint;
    }
    if (auto f = series_cache.find(key); f != series_cache.end()) return f->second;
    store::Labels labels{{"service", service}};
    if (endpoint) labels.emplace("endpoint", *endpoint);
    auto id = store_.ensure_series(labels);
    if (id.ok()) series_cache.emplace(std::move(key), *id);
    return id;
  };
  std::vector<store::RollupDelta> deltas;
  std::unordered_map<std::pair<store::SeriesId, int64_t>, size_t, SeriesKeyHash> slot;
  auto add_to = [&](store::SeriesId sid, const ParsedEvent& pe) {
    auto [pos, inserted] = slot.try_emplace({sid, pe.minute}, deltas.size());
    if (inserted) deltas.push_back(store::RollupDelta{sid, pe.minute, {}});
    deltas[pos->second].value.add(pe.status, pe.count);
  };
  auto storage_error = [&](const Status& s) {
    out.reason = RejectReason::kStorage;
    out.errors.push_back(FieldError{-1, "", "storage error: " + s.message(), -1});
    return out;
  };
  uint64_t accepted = 0;
  std::unordered_map<const std::string*, uint64_t> by_service;
  for (const auto& pe : parsed) {
    auto base = series_for(*pe.service, nullptr);
    if (!base.ok()) return storage_error(base.status());
    add_to(*base, pe);
    if (pe.endpoint) {
      auto ep = series_for(*pe.service, pe.endpoint);
      if (!ep.ok()) return storage_error(ep.status());
      add_to(*ep, pe);
    }
    accepted += pe.count;
    by_service[pe.service] += pe.count;
  }
  if (!deltas.empty()) {
    if (Status s = store_.write_rollups(deltas); !s.ok()) return storage_error(s);
  }
  out.ok = true;
  out.accepted = accepted;
  for (const auto& [service, n] : by_service) out.accepted_by_service.emplace_back(*service, n);
  return out;
}

}  // namespace sloguard::collector
