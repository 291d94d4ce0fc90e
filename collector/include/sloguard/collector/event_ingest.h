// POST /api/v1/events: decode, validate, combine per series and minute, write as one batch.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sloguard/common/clock.h"
#include "sloguard/config/config.h"
#include "sloguard/store/store.h"

namespace sloguard::collector {

// Why a batch was rejected; also the `reason` label of the rejection metrics.
enum class RejectReason {
  kMalformedJson,   // not JSON, or not {"events": [...]}
  kInvalidField,    // a field is missing, of the wrong type or out of range
  kUnknownService,  // service not in the config
  kTimestampRange,  // too far in the future or older than retention
  kStorage,         // the store failed (500)
  kSeriesLimit,     // an event needs a new series and its service has max_series_per_service
};
const char* reject_reason_name(RejectReason r);

struct FieldError {
  int64_t index = -1;  // position in "events"; -1 when the error is about the whole body
  std::string field;   // e.g. "status"; empty when not about one field
  std::string message; // full text, e.g. "events[1].status: must be an integer 100..599"
  int64_t byte_offset = -1;  // for malformed JSON: where parsing failed
};

struct IngestOutcome {
  bool ok = false;
  uint64_t accepted = 0;         // events stored, weighted by count (when ok)
  uint64_t event_objects = 0;    // entries in "events" (accepted or rejected)
  std::vector<std::pair<std::string, uint64_t>> accepted_by_service;  // when ok
  RejectReason reason = RejectReason::kInvalidField;  // when !ok
  std::vector<FieldError> errors;  // when !ok; at most kMaxReportedErrors, first error first
  std::string limited_service;     // the service at its series limit, when reason is kSeriesLimit
};

inline constexpr size_t kMaxReportedErrors = 20;
// Bounds that keep stored counters far from overflow: an event's count, and a request's size.
inline constexpr uint64_t kMaxEventCount = 1'000'000'000'000ULL;
inline constexpr size_t kMaxEventsPerRequest = 100'000;
// Events may be at most this far in the future (clock skew between senders and us).
inline constexpr int64_t kMaxFutureSkewSeconds = 300;

// Stateless apart from the store; thread-safe.
class EventIngestor {
 public:
  EventIngestor(store::Store& store, const Clock& clock) : store_(store), clock_(clock) {}

  // Ingests a request body of the shape {"events":[{service, ts, status, latency_ms, count,
  // endpoint, version}]}. Every event is validated before anything is written; a batch is
  // stored whole (one atomic write) or not at all. Each event lands in the series
  // {service} and, when it names them, {service, endpoint} and {service, version}: its status
  // count, its latency in the sketch, and exact counts at the service's latency thresholds.
  // An event that needs a new series when its service already has the store's
  // max_series_per_service rejects the batch (kSeriesLimit, naming its index and field);
  // series made for earlier events of that batch stay, empty, within the limit.
  IngestOutcome ingest_json(const config::Config& cfg, std::string_view body);

 private:
  store::Store& store_;
  const Clock& clock_;
};

}  // namespace sloguard::collector
