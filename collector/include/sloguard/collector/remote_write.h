// POST /api/v1/write: the Prometheus remote_write 1.0 receiver (docs/remote-write.md).
// Counters and classic histograms named in `remote_write:` become events of sloguard series:
// each increase of a counter is that many events in the minute of its sample.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sloguard/common/clock.h"
#include "sloguard/common/status.h"
#include "sloguard/config/config.h"
#include "sloguard/store/store.h"

namespace sloguard::collector {

// What became of a sample; the `result` label of sloguard_remote_write_samples_total.
enum class SampleResult : uint8_t {
  kAccepted,         // counted (its increase, possibly 0, is stored)
  kPending,          // a histogram bucket held until its scrape is complete (persisted)
  kFirstSample,      // the first sample of a remote series: no increase yet
  kDuplicate,        // at the last stored timestamp of its series (a sender's retry)
  kOutOfOrder,       // before the last stored timestamp of its series
  kStale,            // a staleness marker: the series ends, no increase
  kUnmapped,         // no remote_write mapping takes the metric (or its labels)
  kUnknownService,   // the service label names no configured service
  kInvalidStatus,    // the status label is missing or not a status ("503", "5xx")
  kInvalidValue,     // NaN (not a staleness marker), infinite or negative counter value
  kInvalidLabel,     // a histogram bucket without a numeric `le`
  kHaReplica,        // from an HA replica that is not the elected one for its cluster
  kSeriesLimit,      // a new remote series beyond remote_write.max_series
  kTooOld,           // older than the storage retention
  kTooNew,           // more than 5 minutes in the future
  kIgnored,          // a histogram's _count or _sum (its +Inf bucket carries the count)
  kIncomplete,       // a histogram bucket whose scrape never completed (a later one covers it)
  kNativeHistogram,  // native histogram samples (not read)
  kExemplar,         // exemplars (not read)
  kCount_            // number of results
};
inline constexpr size_t kSampleResults = static_cast<size_t>(SampleResult::kCount_);
const char* sample_result_name(SampleResult r);  // "accepted", "duplicate", ...

// The request's headers that decide how its body is read.
struct RemoteWriteHeaders {
  std::string_view content_encoding;  // must be "snappy" (or empty: snappy assumed)
  std::string_view content_type;      // application/x-protobuf; 2.0's proto=... gets 415
  std::string_view version;           // X-Prometheus-Remote-Write-Version (informational)
};

struct RemoteWriteOutcome {
  // 204 stored; 400 malformed (not snappy, not a WriteRequest, breaks the spec); 413 decodes
  // past max_decoded_bytes; 415 a remote_write 2.0 body; 500 the store failed (retry).
  int status = 204;
  std::string error;  // why, when status != 204: what was wrong and where (timeseries[i]...)
  std::array<uint64_t, kSampleResults> samples{};  // per SampleResult
  size_t series_kept = 0;  // remote series whose last value is kept, after this request
  // Events stored per service (sum of increases), and samples that counted for the service
  // but not for a new endpoint or version series (max_series_per_service, or a label value
  // that cannot be a series label), per service.
  std::vector<std::pair<std::string, uint64_t>> events_by_service;
  std::vector<std::pair<std::string, uint64_t>> series_limited_by_service;
};

struct HaElection {
  std::string cluster;
  std::string replica;
  int64_t last_seen_ms = 0;
};

struct RemoteWriteStats {
  size_t series = 0;  // remote series whose last value is kept
  std::vector<HaElection> ha;  // the elected replica per cluster
};

// Thread-safe: decoding runs in parallel, applying a request to the series state and writing
// it is serialized, so two requests that touch one series never interleave.
class RemoteWriteIngestor {
 public:
  RemoteWriteIngestor(store::Store& store, const Clock& clock);
  ~RemoteWriteIngestor();
  RemoteWriteIngestor(const RemoteWriteIngestor&) = delete;
  RemoteWriteIngestor& operator=(const RemoteWriteIngestor&) = delete;

  // Reads the remote series state persisted by earlier runs; call once before ingest().
  Status load();

  // Decodes and checks the whole body first (a request is taken whole or refused whole),
  // then applies every sample and writes the increases and the series' new last values in
  // one atomic store write; returns 204 only after that write is in the WAL.
  // The ingestor keeps cfg until the next call with another config (a reload), so the series
  // it resolved stay valid.
  RemoteWriteOutcome ingest(std::shared_ptr<const config::Config> cfg, std::string_view body,
                            const RemoteWriteHeaders& headers);

  RemoteWriteStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sloguard::collector
