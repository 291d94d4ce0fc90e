// slo::Source over a Prometheus-compatible query API (Prometheus, VictoriaMetrics, Thanos
// Query, Mimir, Cortex), and the router that gives each SLO the source it names.
//
// Counts are sums of increase() over a fixed grid of blocks (5 minutes, or the slice length
// when it divides 5 minutes). Blocks that have settled (ended at least kSettleSeconds before
// now) are cached per query and re-read only when new ones end; the pieces of a window that are
// not whole settled blocks (its newest minutes, and the part of its oldest block inside it)
// are asked in one instant query per SLO. So a warm round costs one request per SLO, plus
// one per query whenever a new block settles, whatever the window or the history held
// (docs/scale.md).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "sloguard/common/clock.h"
#include "sloguard/config/config.h"
#include "sloguard/slo/source.h"

namespace sloguard::net {
class HttpSender;
}

namespace sloguard::slo {

// One request to a datasource, for metrics: how long it took and, when it failed, why.
struct QueryEvent {
  std::string datasource;
  double seconds = 0;
  std::string reason;  // empty when it succeeded; else a source_failure_reason()
};
using QueryObserver = std::function<void(const QueryEvent&)>;

class PrometheusSource final : public Source {
 public:
  static constexpr int64_t kBlockSeconds = 300;
  static constexpr int64_t kSettleSeconds = 120;
  // Blocks cached per query beyond the longest window asked for.
  static constexpr int64_t kCacheSlackBlocks = 24;

  // http must outlive the source. Thread-safe.
  PrometheusSource(const config::DatasourceConfig& ds, net::HttpSender& http, const Clock& clock,
                   QueryObserver observer = nullptr);
  ~PrometheusSource() override;

  std::string name_of(const config::SloConfig&) const override;
  // SLOs of this datasource whose queries are the same selectors but for the value of one
  // label (job="a" / job="b") are one shape: their windows are read in one query per shape,
  // `sum by (label)` with label=~"a|b|...". Rolling-window, occurrences, ungrouped SLOs with
  // plain selector queries only; others read on their own.
  std::shared_ptr<const RoundReads> prepare_round(const config::Config& cfg, int64_t at) const override;
  Result<std::vector<Counts>> window_counts(const Instance& inst, int64_t at,
                                            std::span<const int64_t> windows) const override;
  Result<store::LatencySketch> latency(const Instance& inst, int64_t from, int64_t to) const override;
  Result<std::optional<LatencySummary>> latency_summary(const Instance& inst, int64_t from, int64_t to) const override;
  Result<std::vector<Slice>> slices(const Instance& inst, int64_t from, int64_t to,
                                    int64_t slice_seconds) const override;
  GroupList groups(const config::SloConfig& slo) const override;
  Result<Traffic> traffic(const TrafficQuery& q) const override;
  Result<std::vector<std::string>> versions(const TrafficQuery& q) const override;

  // Requests sent so far (for tests and the benchmark).
  uint64_t requests() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// Sends each SLO to its source: the embedded store, or the datasource named by slos[].source.
// update() builds sources for the datasources of a new config (an unchanged datasource keeps its
// source and cache). Thread-safe.
class SourceRouter final : public Source {
 public:
  SourceRouter(const Source& embedded, net::HttpSender& http, const Clock& clock, QueryObserver observer = nullptr);
  void update(const config::Config& cfg);
  // The datasource's source, or null.
  std::shared_ptr<const PrometheusSource> datasource(const std::string& name) const;

  std::string name_of(const config::SloConfig& slo) const override;
  std::shared_ptr<const RoundReads> prepare_round(const config::Config& cfg, int64_t at) const override;
  Result<std::vector<Counts>> window_counts(const Instance& inst, int64_t at,
                                            std::span<const int64_t> windows) const override;
  Result<store::LatencySketch> latency(const Instance& inst, int64_t from, int64_t to) const override;
  Result<std::optional<LatencySummary>> latency_summary(const Instance& inst, int64_t from, int64_t to) const override;
  Result<std::vector<Slice>> slices(const Instance& inst, int64_t from, int64_t to,
                                    int64_t slice_seconds) const override;
  GroupList groups(const config::SloConfig& slo) const override;
  Result<Traffic> traffic(const TrafficQuery& q) const override;
  Result<std::vector<std::string>> versions(const TrafficQuery& q) const override;

 private:
  // The source for an SLO (null slo: the embedded store); an Unavailable error when it names a
  // datasource that is not configured.
  Result<const Source*> route(const config::SloConfig* slo, std::shared_ptr<const PrometheusSource>& hold) const;

  const Source& embedded_;
  net::HttpSender& http_;
  const Clock& clock_;
  QueryObserver observer_;
  mutable std::mutex mu_;
  std::map<std::string, std::pair<config::DatasourceConfig, std::shared_ptr<const PrometheusSource>>> sources_;
};

// Asks the datasource to run `expr` at `time` (Unix seconds) once, as a check that its own
// parser accepts it: OK, or an Unavailable status with a source_failure_reason() (bad_query
// carries the datasource's parse error). For `sloguard validate --check-sources`.
Status check_query(const config::DatasourceConfig& ds, net::HttpSender& http, const std::string& expr, int64_t time);

// The queries an SLO sends to its datasource for a window of `range` seconds (what
// check_query should be given): one per configured sli.prometheus query, in the order good,
// bad, total, histogram, each with the name of its key.
std::vector<std::pair<std::string, std::string>> datasource_queries(const config::SloConfig& slo, int64_t range);

// histogram_quantile() of Prometheus over cumulative bucket counts (le ascending, +Inf last):
// linear interpolation inside the bucket that holds the rank; the highest finite bound when
// the rank falls in +Inf. nullopt without observations. Exposed for tests.
std::optional<double> histogram_quantile(double q, const std::vector<std::pair<double, double>>& buckets);

}  // namespace sloguard::slo
