// A client of the Prometheus HTTP query API (/api/v1/query, /api/v1/query_range) for one
// datasource: bounded concurrency, bounded retries with backoff inside the query's deadline,
// and every failure classified (source_failure_reason()). Internal to slo/.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "sloguard/common/status.h"
#include "sloguard/config/datasource.h"
#include "sloguard/net/http_sender.h"
#include "sloguard/slo/prometheus_source.h"

namespace sloguard::slo::detail {

// One series of a result: its labels and (time seconds, value) points; an instant query
// gives one point per series.
struct PromSeries {
  std::map<std::string, std::string> labels;
  std::vector<std::pair<int64_t, double>> points;
};

class PromApi {
 public:
  PromApi(config::DatasourceConfig ds, net::HttpSender& http, QueryObserver observer);
  // An instant query at `time_ms` (Unix milliseconds). Vector results only.
  Result<std::vector<PromSeries>> query(const std::string& expr, int64_t time_ms) const;
  // A range query over [start_ms, end_ms] every `step` seconds (Matrix results). Point times
  // are rounded to whole seconds.
  Result<std::vector<PromSeries>> query_range(const std::string& expr, int64_t start_ms, int64_t end_ms,
                                              int64_t step) const;
  const config::DatasourceConfig& config() const { return ds_; }

 private:
  Result<std::vector<PromSeries>> call(const std::string& path, const std::string& form, bool matrix) const;
  // One query with its retries; the caller holds a concurrency slot.
  Result<std::vector<PromSeries>> attempt_all(const std::string& path, const std::string& form, bool matrix) const;
  config::DatasourceConfig ds_;
  net::HttpSender& http_;
  QueryObserver observer_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  mutable int in_flight_ = 0;
  // Circuit breaker: after a timeout or a network failure, one query at a time tries the
  // datasource and the others fail at once with that failure, until one succeeds. So a hung
  // datasource costs a round one timeout, not one per SLO.
  mutable bool open_ = false;
  mutable bool probing_ = false;
  mutable Status open_failure_;
};

// Parses a query API answer ({"status":"success","data":{"resultType":...}}): the series, or
// an Unavailable status with its reason (bad_query for errorType bad_data, partial for
// warnings or VictoriaMetrics' isPartial, bad_response for anything unreadable).
Result<std::vector<PromSeries>> parse_prom_response(int http_status, const std::string& body, bool matrix);

}  // namespace sloguard::slo::detail
