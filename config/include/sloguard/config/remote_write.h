// `remote_write:` — which Prometheus remote_write series feed which sloguard series
// (docs/remote-write.md). Plain data, validated by the loader.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace re2 {
class RE2;
}

namespace sloguard::config {

// A PromQL-style label matcher: name="v", name!="v", name=~"re", name!~"re". Regexes are
// RE2 (Prometheus' syntax), anchored at both ends as in PromQL. A missing label matches as
// the empty string, as in PromQL.
struct RemoteLabelMatcher {
  enum class Op { kEqual, kNotEqual, kRegex, kNotRegex };
  std::string name;
  Op op = Op::kEqual;
  std::string value;                    // the literal, or the regex as written
  std::shared_ptr<const re2::RE2> re;   // compiled, anchored; set for kRegex / kNotRegex
  bool matches(const std::string* label_value) const;  // null: the label is absent
};

struct RemoteWriteMapping {
  enum class Kind {
    kCounter,    // `metric:` a counter; each increase is that many events
    kHistogram,  // `histogram:` a classic histogram: <name>_bucket{le}, <name>_count, <name>_sum
  };
  Kind kind = Kind::kCounter;
  std::string metric;  // the counter's name, or the histogram's base name (without _bucket)
  std::vector<RemoteLabelMatcher> match;  // Default: none (every series of the metric)
  // Where the sloguard service comes from: a fixed name, or a label whose value is the service
  // (it must then be a configured service; other values are dropped as unknown_service).
  std::string service;        // exactly one of service and service_label
  std::string service_label;
  // The HTTP status: a label ("200", "503", or a class "5xx" counted as 500), or a fixed status.
  std::string status_label;   // Default: none; `status` then applies
  int status = 200;           // Default: 200, used when status_label is empty
  std::string endpoint_label;  // Default: none; else its value is the event's endpoint
  std::string version_label;   // Default: none; else its value is the event's version
  // histogram only: the bucket bounds (`le`, in seconds) the histogram is known to have, for
  // validation: a latency SLO fed by this histogram must have its threshold on one of them.
  // Default: empty (not checked at load time).
  std::vector<double> buckets;
  int line = 0;  // where the mapping starts in the config file (1-based), for messages
};

// HA pairs (Cortex/Mimir's HA tracker): samples of a cluster are taken from one replica at a
// time; another replica is elected when the current one has sent nothing for failover_timeout.
struct RemoteWriteHa {
  std::string cluster_label;   // Default: none (HA dedup off)
  std::string replica_label;   // Default: none; dropped from the series' labels when set
  int64_t failover_timeout_ms = 30000;  // Default: 30s
  bool enabled() const { return !cluster_label.empty() && !replica_label.empty(); }
};

struct RemoteWriteConfig {
  std::vector<RemoteWriteMapping> mappings;  // Default: none (every sample is unmapped)
  RemoteWriteHa ha;
  // Remote series (counters, and histograms counted once per label set without `le`) whose
  // last value is kept. New series beyond it are dropped and counted (series_limit).
  size_t max_series = 100000;  // Default: 100000
  // A remote series that has sent nothing for this long may be forgotten to make room for a
  // new one when max_series is reached. Default: 1h.
  int64_t idle_timeout_ms = 3600LL * 1000;
  // A request body (snappy-compressed) may decode to at most this many bytes. Default: 64 MiB.
  size_t max_decoded_bytes = 64u * 1024 * 1024;
  // Bound on the sloguard series of one service that remote_write labels create ({service,
  // endpoint} and {service, version}). Beyond it a sample still counts for the service's own
  // series, not for a new endpoint or version series, and is counted in
  // sloguard_remote_write_series_limited_total{service}. Default: 1000.
  size_t max_series_per_service = 1000;
  bool empty() const { return mappings.empty(); }
};

}  // namespace sloguard::config
