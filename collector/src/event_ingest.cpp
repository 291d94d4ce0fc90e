#include "sloguard/collector/event_ingest.h"

#include <cmath>
#include <optional>
#include <unordered_map>

#include "event_decoder.h"
#include "json_error_locator.h"
#include "sloguard/common/units.h"

namespace sloguard::collector {
namespace {

// Endpoints and versions become label values, alert ids and header values: bounded, and no
// control characters (a CR/LF could split a header line).
constexpr size_t kMaxLabelBytes = 256;
bool has_control_char(const std::string& s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

struct ParsedEvent {
  const std::string* service = nullptr;
  const std::string* endpoint = nullptr;  // null when absent
  const std::string* version = nullptr;   // null when absent
  int64_t minute = 0;
  uint32_t status = 0;
  uint64_t count = 1;
  double latency_ms = -1;  // < 0 when absent
  const std::vector<uint32_t>* thresholds_us = nullptr;  // the service's latency SLO thresholds
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
  size_t count() const { return total_; }
  RejectReason reason() const { return first_reason_; }
  std::vector<FieldError> take() { return std::move(errors_); }

 private:
  std::vector<FieldError> errors_;
  size_t total_ = 0;
  RejectReason first_reason_ = RejectReason::kInvalidField;
};

std::optional<uint64_t> as_non_negative_integer(const RawField& v) {
  switch (v.type) {
    case RawField::Type::kUint: return v.u;
    case RawField::Type::kInt:
      if (v.i >= 0) return static_cast<uint64_t>(v.i);
      return std::nullopt;
    case RawField::Type::kFloat:
      if (std::isfinite(v.f) && v.f >= 0 && v.f < 1.8e19 && std::floor(v.f) == v.f) return static_cast<uint64_t>(v.f);
      return std::nullopt;
    default: return std::nullopt;
  }
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
    case RejectReason::kSeriesLimit: return "series_limit";
  }
  return "invalid_field";
}

IngestOutcome EventIngestor::ingest_json(const config::Config& cfg, std::string_view body) {
  IngestOutcome out;
  DecodedBody decoded = decode_events_body(body, kMaxEventsPerRequest);
  if (!decoded.syntax_ok) {
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
  if (!decoded.shape_error.empty()) {
    out.reason = RejectReason::kMalformedJson;
    out.errors.push_back(FieldError{-1, "events", decoded.shape_error, -1});
    return out;
  }
  const std::vector<RawEvent>& events = decoded.events;
  out.event_objects = events.size();

  const int64_t now_ms = clock_.now_ms();
  const double newest_allowed = static_cast<double>(now_ms) / 1000.0 + kMaxFutureSkewSeconds;
  const double oldest_allowed = static_cast<double>(now_ms - cfg.storage.retention_ms) / 1000.0;

  ErrorSink errs;
  std::vector<ParsedEvent> parsed;
  parsed.reserve(events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    const RawEvent& e = events[i];
    const int64_t idx = static_cast<int64_t>(i);
    auto invalid = [&](const char* field, std::string what) {
      errs.add(RejectReason::kInvalidField, idx, field, std::move(what));
    };
    if (e.element != RawField::Type::kObject) {
      RawField f;
      f.type = e.element;
      invalid("", std::string("must be an object, got ") + f.type_name());
      continue;
    }
    const size_t errors_before = errs.count();
    ParsedEvent pe;

    if (!e.service.present()) {
      invalid("service", "missing (a configured service name)");
    } else if (e.service.type != RawField::Type::kString) {
      invalid("service", std::string("must be a string, got ") + e.service.type_name());
    } else if (const config::ServiceConfig* sc = cfg.find_service(e.service.s)) {
      pe.service = &sc->name;
      pe.thresholds_us = &cfg.latency_thresholds_us(sc->name);
    } else {
      errs.add(RejectReason::kUnknownService, idx, "service", "unknown service \"" + e.service.s + "\"");
    }

    std::optional<double> t;
    if (!e.ts.present()) {
      invalid("ts", "missing (Unix seconds or RFC 3339)");
    } else if (e.ts.is_number()) {
      t = e.ts.as_double();
    } else if (e.ts.type == RawField::Type::kString) {
      auto r = parse_rfc3339(e.ts.s);
      if (r.ok()) {
        t = *r;
      } else {
        invalid("ts", r.status().message());
      }
    } else {
      invalid("ts", std::string("must be Unix seconds or an RFC 3339 string, got ") + e.ts.type_name());
    }
    if (t && *t > newest_allowed) {
      errs.add(RejectReason::kTimestampRange, idx, "ts",
               "is more than 5m in the future (" + format_rfc3339(static_cast<int64_t>(std::min(*t, 253402300799.0))) + ")");
    } else if (t && *t < oldest_allowed) {
      errs.add(RejectReason::kTimestampRange, idx, "ts",
               "is older than the retention of " + format_duration_ms(cfg.storage.retention_ms) + " (" +
                   format_rfc3339(static_cast<int64_t>(std::max(std::floor(*t), -62135596800.0))) + ")");
    } else if (t) {
      pe.minute = static_cast<int64_t>(std::floor(*t / 60.0)) * 60;
    }

    if (!e.status.present()) {
      invalid("status", "missing (an HTTP status 100..599)");
    } else if (auto v = as_non_negative_integer(e.status); !v || *v < 100 || *v > 599) {
      invalid("status", "must be an integer 100..599");
    } else {
      pe.status = static_cast<uint32_t>(*v);
    }

    if (e.latency_ms.present() && (!e.latency_ms.is_number() || e.latency_ms.as_double() < 0)) {
      invalid("latency_ms", "must be a finite number >= 0");
    } else if (e.latency_ms.present()) {
      pe.latency_ms = e.latency_ms.as_double();
    }

    if (e.count.present()) {
      if (auto v = as_non_negative_integer(e.count); v && *v <= kMaxEventCount) {
        pe.count = *v;
      } else {
        invalid("count", "must be an integer from 0 to 1000000000000");
      }
    }

    if (e.endpoint.type == RawField::Type::kString) {
      if (e.endpoint.s.size() > kMaxLabelBytes) {
        invalid("endpoint", "must be at most " + std::to_string(kMaxLabelBytes) + " bytes");
      } else if (has_control_char(e.endpoint.s)) {
        invalid("endpoint", "must not contain control characters (U+0000..U+001F, U+007F)");
      } else if (!e.endpoint.s.empty()) {
        pe.endpoint = &e.endpoint.s;
      }
    } else if (e.endpoint.present() && e.endpoint.type != RawField::Type::kNull) {
      invalid("endpoint", std::string("must be a string, got ") + e.endpoint.type_name());
    }
    if (e.version.type == RawField::Type::kString) {
      if (e.version.s.size() > kMaxLabelBytes) {
        invalid("version", "must be at most " + std::to_string(kMaxLabelBytes) + " bytes");
      } else if (has_control_char(e.version.s)) {
        invalid("version", "must not contain control characters (U+0000..U+001F, U+007F)");
      } else if (!e.version.s.empty()) {
        pe.version = &e.version.s;
      }
    } else if (e.version.present() && e.version.type != RawField::Type::kNull) {
      invalid("version", std::string("must be a string, got ") + e.version.type_name());
    }
    if (errs.count() == errors_before) parsed.push_back(pe);
  }
  if (!errs.empty()) {
    out.reason = errs.reason();
    out.errors = errs.take();
    return out;
  }

  // Combine in memory per series and minute, then write once.
  std::unordered_map<std::string, store::SeriesId> series_cache;
  // The series {service} or {service, label=value}.
  auto series_for = [&](const std::string& service, const char* label,
                        const std::string* value) -> Result<store::SeriesId> {
    std::string key = service;
    if (value) {
      key += '\x1f';
      key += label;
      key += '\x1f';
      key += *value;
    }
    if (auto f = series_cache.find(key); f != series_cache.end()) return f->second;
    store::Labels labels{{"service", service}};
    if (value) labels.emplace(label, *value);
    auto id = store_.ensure_series(labels);
    if (id.ok()) series_cache.emplace(std::move(key), *id);
    return id;
  };
  std::vector<store::RollupDelta> deltas;
  std::unordered_map<std::pair<store::SeriesId, int64_t>, size_t, SeriesKeyHash> slot;
  auto add_to = [&](store::SeriesId sid, const ParsedEvent& pe) {
    auto [pos, inserted] = slot.try_emplace({sid, pe.minute}, deltas.size());
    if (inserted) deltas.push_back(store::RollupDelta{sid, pe.minute, {}});
    store::Rollup& r = deltas[pos->second].value;
    r.add(pe.status, pe.count);
    if (pe.latency_ms >= 0) r.add_latency(pe.latency_ms, pe.count, *pe.thresholds_us);
  };
  auto storage_error = [&](const Status& s) {
    out.reason = RejectReason::kStorage;
    out.errors.push_back(FieldError{-1, "", "storage error: " + s.message(), -1});
    return out;
  };
  uint64_t accepted = 0;
  std::unordered_map<const std::string*, uint64_t> by_service;
  // Every event is valid here, so parsed[i] is events[i].
  for (size_t i = 0; i < parsed.size(); ++i) {
    const ParsedEvent& pe = parsed[i];
    // Every event counts for its service, and for its endpoint and its version when it names them.
    const std::pair<const char*, const std::string*> dims[] = {
        {nullptr, nullptr}, {"endpoint", pe.endpoint}, {"version", pe.version}};
    for (const auto& [label, value] : dims) {
      if (label && !value) continue;
      auto sid = series_for(*pe.service, label, value);
      if (!sid.ok() && sid.status().is_resource_exhausted()) {
        out.reason = RejectReason::kSeriesLimit;
        out.limited_service = *pe.service;
        const std::string field = label ? label : "service";
        out.errors.push_back(FieldError{static_cast<int64_t>(i), field,
                                        "events[" + std::to_string(i) + "]." + field + ": " + sid.status().message(),
                                        -1});
        return out;
      }
      if (!sid.ok()) return storage_error(sid.status());
      add_to(*sid, pe);
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
