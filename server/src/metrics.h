// Every metric the daemon exposes, declared and registered once. Thread-safe.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "sloguard/alerting/alert.h"
#include "sloguard/config/config.h"
#include "sloguard/slo/engine.h"
#include "sloguard/slo/prometheus_source.h"

namespace sloguard::server {

// A gauge family whose members are replaced wholesale each evaluation round: members not
// set in a round are removed, so deleted SLOs and windows without data disappear from
// /metrics instead of showing stale values or NaN.
class GaugeRound {
 public:
  explicit GaugeRound(prometheus::Family<prometheus::Gauge>& family) : family_(family) {}
  void set(const prometheus::Labels& labels, double value);
  // Removes every member not set since the previous finish().
  void finish();

 private:
  prometheus::Family<prometheus::Gauge>& family_;
  std::map<prometheus::Labels, prometheus::Gauge*> current_, next_;
};

class Metrics {
 public:
  Metrics();

  void observe_request(const std::string& method, const std::string& route, int code, double seconds);
  void events_ingested(const std::string& service, uint64_t n);
  void events_rejected(const std::string& reason, uint64_t events);
  // Events or probe results refused because their service is at storage.max_series_per_service.
  void series_limited(const std::string& service, const char* source, uint64_t n);
  // One POST /api/v1/write: its status code, samples by result, the remote series now kept
  // (and their bound), samples kept out of new endpoint/version series per service.
  void remote_write_request(int code);
  void remote_write_samples(const char* result, uint64_t n);
  void remote_write_series(size_t series, size_t limit);
  void remote_write_series_limited(const std::string& service, uint64_t n);
  void evaluation_done(double seconds, size_t failures);
  // Last result per probe (blackbox_exporter's names) and results by outcome.
  void probe_result(const std::string& probe, const std::string& service, bool success, double latency_ms,
                    int http_status, const std::string& outcome);
  // Replaces the per-SLO gauges with this round's statuses.
  void publish(const std::vector<slo::SloStatus>& statuses, const std::vector<config::PolicyTier>& tiers);

  // Release gate verdict per service (1 allow, 0 deny), replaced each round.
  void publish_gates(const std::map<std::string, bool>& allowed_by_service);
  // A registered deployment's start time.
  void deployment_started(const std::string& service, const std::string& version, const std::string& environment,
                          int64_t started_at);

  // Alert gauges after an alerting round: sloguard_alert_firing per (SLO, group, tier) and
  // each tier's threshold; pending and dead notifications per notifier.
  void publish_alerts(const config::Config& cfg, const std::vector<alerting::AlertState>& alerts,
                      const std::map<std::string, size_t>& pending, const std::map<std::string, size_t>& dead);
  // One delivery attempt: result is "delivered", "retried" or "failed".
  void notification_attempt(const std::string& notifier, const char* result);
  // sloguard_http_route_info{method,route,role} 1 for each route the server installs (role
  // "none" for open ones): what the API offers and who may call it, for audits and tests.
  void route_installed(const std::string& method, const std::string& route, const std::string& role);
  // Something escaped a background thread's round and was caught (by component).
  void internal_error(const std::string& component);
  // A rollback job's final result (succeeded, failed, dry_run, skipped_cooldown, skipped_limit).
  void hook_result(const std::string& service, const std::string& hook, const std::string& result);

  // One request to a datasource (any thread).
  void source_query(const slo::QueryEvent& e);

  // Prometheus text exposition format 0.0.4.
  std::string serialize() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& events_ingested_;
  prometheus::Family<prometheus::Counter>& events_rejected_;
  prometheus::Family<prometheus::Counter>& batches_rejected_;
  prometheus::Family<prometheus::Counter>& series_limited_;
  prometheus::Family<prometheus::Counter>& rw_requests_;
  prometheus::Family<prometheus::Counter>& rw_samples_;
  prometheus::Family<prometheus::Counter>& rw_limited_;
  prometheus::Gauge& rw_series_;
  prometheus::Gauge& rw_series_limit_;
  prometheus::Family<prometheus::Histogram>& http_duration_;
  prometheus::Histogram& evaluation_duration_;
  prometheus::Counter& evaluation_failures_;
  prometheus::Gauge& last_evaluation_;
  prometheus::Family<prometheus::Gauge>& probe_success_;
  prometheus::Family<prometheus::Gauge>& probe_duration_;
  prometheus::Family<prometheus::Gauge>& probe_http_status_;
  prometheus::Family<prometheus::Counter>& probe_results_;

  prometheus::Family<prometheus::Counter>& notifications_;
  prometheus::Family<prometheus::Counter>& hook_runs_;
  prometheus::Family<prometheus::Counter>& internal_errors_;
  prometheus::Family<prometheus::Gauge>& route_info_;
  prometheus::Family<prometheus::Gauge>& release_gate_allowed_;
  prometheus::Family<prometheus::Gauge>& deployment_started_;
  // The newest deployment per (service, environment): its start and gauge (one per pair).
  std::mutex deployments_mu_;
  std::map<std::pair<std::string, std::string>, std::pair<int64_t, prometheus::Gauge*>> latest_deployment_;


  std::mutex publish_mu_;
  std::mutex gates_mu_;
  std::mutex alerts_mu_;
  void publish_one(const slo::SloStatus& s, const std::vector<config::PolicyTier>& tiers);
  GaugeRound sli_ratio_, objective_, budget_remaining_, burn_rate_, policy_, window_seconds_, sli_events_,
      sli_slices_, exhaustion_, latency_, groups_, overflow_events_, gates_,
      alert_firing_, alert_threshold_, notifications_pending_, notifications_dead_;
  prometheus::Family<prometheus::Gauge>& source_up_;
  prometheus::Family<prometheus::Histogram>& source_duration_;
  prometheus::Family<prometheus::Counter>& source_errors_;
  GaugeRound slo_source_up_;
};

}  // namespace sloguard::server
