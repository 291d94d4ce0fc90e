#include "metrics.h"

#include <algorithm>

#include "sloguard/common/units.h"

#include <chrono>
#include <prometheus/text_serializer.h>

namespace sloguard::server {

void GaugeRound::set(const prometheus::Labels& labels, double value) {
  prometheus::Gauge* g;
  if (auto it = current_.find(labels); it != current_.end()) {
    g = it->second;
  } else if (auto jt = next_.find(labels); jt != next_.end()) {
    g = jt->second;
  } else {
    g = &family_.Add(labels);
  }
  g->Set(value);
  next_[labels] = g;
}

void GaugeRound::finish() {
  for (auto& [labels, g] : current_) {
    if (!next_.count(labels)) family_.Remove(g);
  }
  current_ = std::move(next_);
  next_.clear();
}

namespace {
const std::vector<double> kHttpBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                          0.1,    0.25,  0.5,    1,     2.5,  5,     10};
}

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      events_ingested_(prometheus::BuildCounter()
                           .Name("sloguard_events_ingested_total")
                           .Help("Request events stored, weighted by count, per service.")
                           .Register(*registry_)),
      events_rejected_(prometheus::BuildCounter()
                           .Name("sloguard_events_rejected_total")
                           .Help("Request events in rejected batches, by the reason the batch was rejected.")
                           .Register(*registry_)),
      batches_rejected_(prometheus::BuildCounter()
                            .Name("sloguard_ingest_batches_rejected_total")
                            .Help("Ingest requests rejected, by reason.")
                            .Register(*registry_)),
      series_limited_(prometheus::BuildCounter()
                          .Name("sloguard_series_limited_total")
                          .Help("Events (source=events) and probe results (source=probes) refused, not stored, "
                                "because they needed a new series and their service has "
                                "storage.max_series_per_service series.")
                          .Register(*registry_)),
      rw_requests_(prometheus::BuildCounter()
                       .Name("sloguard_remote_write_requests_total")
                       .Help("Prometheus remote_write requests (POST /api/v1/write), by status code.")
                       .Register(*registry_)),
      rw_samples_(prometheus::BuildCounter()
                      .Name("sloguard_remote_write_samples_total")
                      .Help("Samples received over remote_write, by what became of them (docs/remote-write.md).")
                      .Register(*registry_)),
      rw_limited_(prometheus::BuildCounter()
                      .Name("sloguard_remote_write_series_limited_total")
                      .Help("remote_write samples counted for their service but not for a new endpoint or version "
                            "series (remote_write.max_series_per_service, or an unusable label value).")
                      .Register(*registry_)),
      rw_series_(prometheus::BuildGauge()
                     .Name("sloguard_remote_write_series")
                     .Help("Remote series whose last value sloguard keeps.")
                     .Register(*registry_)
                     .Add({})),
      rw_series_limit_(prometheus::BuildGauge()
                           .Name("sloguard_remote_write_series_limit")
                           .Help("remote_write.max_series: the bound on remote series kept.")
                           .Register(*registry_)
                           .Add({})),
      http_duration_(prometheus::BuildHistogram()
                         .Name("sloguard_http_request_duration_seconds")
                         .Help("HTTP API request duration, by method, route and status code.")
                         .Register(*registry_)),
      evaluation_duration_(prometheus::BuildHistogram()
                               .Name("sloguard_evaluation_duration_seconds")
                               .Help("Time to evaluate every SLO once.")
                               .Register(*registry_)
                               .Add({}, prometheus::Histogram::BucketBoundaries{0.001, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                                                0.25, 0.5, 1, 2.5, 5})),
      evaluation_failures_(prometheus::BuildCounter()
                               .Name("sloguard_evaluation_failures_total")
                               .Help("SLO evaluations that failed (store errors).")
                               .Register(*registry_)
                               .Add({})),
      last_evaluation_(prometheus::BuildGauge()
                           .Name("sloguard_last_evaluation_timestamp_seconds")
                           .Help("Unix time of the last completed evaluation round.")
                           .Register(*registry_)
                           .Add({})),
      probe_success_(prometheus::BuildGauge()
                         .Name("probe_success")
                         .Help("Whether the probe's last run succeeded (blackbox_exporter's name).")
                         .Register(*registry_)),
      probe_duration_(prometheus::BuildGauge()
                          .Name("probe_duration_seconds")
                          .Help("How long the probe's last run took (blackbox_exporter's name).")
                          .Register(*registry_)),
      probe_http_status_(prometheus::BuildGauge()
                             .Name("probe_http_status_code")
                             .Help("HTTP status of the probe's last run; 0 without an answer.")
                             .Register(*registry_)),
      probe_results_(prometheus::BuildCounter()
                         .Name("sloguard_probe_results_total")
                         .Help("Probe results by outcome: success, or the failure reason (dns, connect, tls, "
                               "timeout, status, body, other).")
                         .Register(*registry_)),
      notifications_(prometheus::BuildCounter()
                         .Name("sloguard_notifications_total")
                         .Help("Notification delivery attempts, by notifier and result (delivered, retried, failed).")
                         .Register(*registry_)),
      hook_runs_(prometheus::BuildCounter()
                     .Name("sloguard_rollback_hook_runs_total")
                     .Help("Rollback jobs finished, by service, hook and result (succeeded, failed, dry_run, "
                           "skipped_cooldown, skipped_limit).")
                     .Register(*registry_)),
      internal_errors_(prometheus::BuildCounter()
                           .Name("sloguard_internal_errors_total")
                           .Help("Errors that escaped a background round and were caught, by component.")
                           .Register(*registry_)),
      route_info_(prometheus::BuildGauge()
                      .Name("sloguard_http_route_info")
                      .Help("1 for each HTTP route, with the role it needs (none: open).")
                      .Register(*registry_)),
      release_gate_allowed_(prometheus::BuildGauge()
                                .Name("sloguard_release_gate_allowed")
                                .Help("Release gate verdict per service: 1 allow, 0 deny (each evaluation round).")
                                .Register(*registry_)),
      deployment_started_(prometheus::BuildGauge()
                              .Name("sloguard_deployment_started_timestamp_seconds")
                              .Help("Start time of registered deployments, by service, version and environment.")
                              .Register(*registry_)),
      sli_ratio_(prometheus::BuildGauge()
                     .Name("sloguard_slo_sli_ratio")
                     .Help("Good / total events over the SLO window (absent without events).")
                     .Register(*registry_)),
      objective_(prometheus::BuildGauge()
                     .Name("sloguard_slo_objective_ratio")
                     .Help("The SLO objective as a fraction.")
                     .Register(*registry_)),
      budget_remaining_(prometheus::BuildGauge()
                            .Name("sloguard_slo_error_budget_remaining_ratio")
                            .Help("1 - consumed / allowed error budget over the SLO window; negative once overspent.")
                            .Register(*registry_)),
      burn_rate_(prometheus::BuildGauge()
                     .Name("sloguard_slo_burn_rate")
                     .Help("Error ratio over the window divided by (1 - objective); absent without events.")
                     .Register(*registry_)),
      policy_(prometheus::BuildGauge()
                  .Name("sloguard_slo_policy_status")
                  .Help("1 for the SLO's current budget policy status, 0 for the others.")
                  .Register(*registry_)),
      window_seconds_(prometheus::BuildGauge()
                          .Name("sloguard_slo_window_seconds")
                          .Help("Length of the SLO window.")
                          .Register(*registry_)),
      sli_events_(prometheus::BuildGauge()
                      .Name("sloguard_slo_events")
                      .Help("Events over the SLO window, by kind (good, bad, total); occurrences budgeting.")
                      .Register(*registry_)),
      sli_slices_(prometheus::BuildGauge()
                      .Name("sloguard_slo_timeslices")
                      .Help("Time slices with data over the SLO window, by kind (good, bad, total); timeslices budgeting.")
                      .Register(*registry_)),
      exhaustion_(prometheus::BuildGauge()
                      .Name("sloguard_slo_error_budget_exhaustion_seconds")
                      .Help("Seconds until the error budget is spent if the burn rate over `rate` (1h, or the SLO "
                            "window's average) holds; absent when it never would be.")
                      .Register(*registry_)),
      latency_(prometheus::BuildGauge()
                   .Name("sloguard_slo_latency_seconds")
                   .Help("Latency quantiles over the SLO window (latency and percentile SLIs; relative error <= 1%).")
                   .Register(*registry_)),
      groups_(prometheus::BuildGauge()
                  .Name("sloguard_slo_groups")
                  .Help("Groups of a grouped SLO, by state: evaluated, or overflow (beyond max_groups).")
                  .Register(*registry_)),
      overflow_events_(prometheus::BuildGauge()
                           .Name("sloguard_slo_overflow_events")
                           .Help("Events over the SLO window in groups beyond max_groups (not evaluated per group).")
                           .Register(*registry_)),
      gates_(release_gate_allowed_),
      alert_firing_(prometheus::BuildGauge()
                        .Name("sloguard_alert_firing")
                        .Help("1 while the alert tier fires for the SLO (and group), else 0; one series per tier.")
                        .Register(*registry_)),
      alert_threshold_(prometheus::BuildGauge()
                           .Name("sloguard_alert_burn_rate_threshold")
                           .Help("Burn rate at which the tier fires (both its long and its short window).")
                           .Register(*registry_)),
      notifications_pending_(prometheus::BuildGauge()
                                 .Name("sloguard_notifications_pending")
                                 .Help("Notifications in the outbox waiting to be delivered, per notifier.")
                                 .Register(*registry_)),
      notifications_dead_(prometheus::BuildGauge()
                              .Name("sloguard_notifications_dead_letters")
                              .Help("Notifications given up (refused or too old), kept for inspection, per notifier.")
                              .Register(*registry_)),
      source_up_(prometheus::BuildGauge()
                     .Name("sloguard_source_up")
                     .Help("1 when the datasource's last query succeeded, 0 when it failed.")
                     .Register(*registry_)),
      source_duration_(prometheus::BuildHistogram()
                           .Name("sloguard_source_query_duration_seconds")
                           .Help("Time of each request to a datasource's query API, retries counted apart.")
                           .Register(*registry_)),
      source_errors_(prometheus::BuildCounter()
                         .Name("sloguard_source_errors_total")
                         .Help("Failed requests to a datasource, by reason (unreachable, timeout, http_status, "
                               "bad_query, partial, bad_response).")
                         .Register(*registry_)),
      slo_source_up_(prometheus::BuildGauge()
                         .Name("sloguard_slo_source_up")
                         .Help("1 when the SLO's data could be read this round, 0 when its source failed (its "
                               "other gauges are then absent, never a full or empty budget).")
                         .Register(*registry_)) {
  prometheus::BuildGauge()
      .Name("sloguard_build_info")
      .Help("Build information; always 1.")
      .Register(*registry_)
      .Add({{"version", SLOGUARD_VERSION}})
      .Set(1);
}

void Metrics::observe_request(const std::string& method, const std::string& route, int code, double seconds) {
  http_duration_.Add({{"method", method}, {"route", route}, {"code", std::to_string(code)}}, kHttpBuckets)
      .Observe(seconds);
}

void Metrics::events_ingested(const std::string& service, uint64_t n) {
  events_ingested_.Add({{"service", service}}).Increment(static_cast<double>(n));
}

void Metrics::events_rejected(const std::string& reason, uint64_t events) {
  batches_rejected_.Add({{"reason", reason}}).Increment();
  events_rejected_.Add({{"reason", reason}}).Increment(static_cast<double>(events));
}

void Metrics::series_limited(const std::string& service, const char* source, uint64_t n) {
  series_limited_.Add({{"service", service}, {"source", source}}).Increment(static_cast<double>(n));
}

void Metrics::remote_write_request(int code) { rw_requests_.Add({{"code", std::to_string(code)}}).Increment(); }

void Metrics::remote_write_samples(const char* result, uint64_t n) {
  rw_samples_.Add({{"result", result}}).Increment(static_cast<double>(n));
}

void Metrics::remote_write_series(size_t series, size_t limit) {
  rw_series_.Set(static_cast<double>(series));
  rw_series_limit_.Set(static_cast<double>(limit));
}

void Metrics::remote_write_series_limited(const std::string& service, uint64_t n) {
  rw_limited_.Add({{"service", service}}).Increment(static_cast<double>(n));
}

void Metrics::evaluation_done(double seconds, size_t failures) {
  evaluation_duration_.Observe(seconds);
  if (failures) evaluation_failures_.Increment(static_cast<double>(failures));
  last_evaluation_.Set(std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
}

void Metrics::probe_result(const std::string& probe, const std::string& service, bool success, double latency_ms,
                           int http_status, const std::string& outcome) {
  const prometheus::Labels labels{{"probe", probe}, {"service", service}};
  probe_success_.Add(labels).Set(success ? 1 : 0);
  if (latency_ms >= 0) probe_duration_.Add(labels).Set(latency_ms / 1000.0);
  probe_http_status_.Add(labels).Set(http_status);
  probe_results_.Add({{"probe", probe}, {"service", service}, {"outcome", outcome}}).Increment();
}

void Metrics::source_query(const slo::QueryEvent& e) {
  static const std::vector<double> kBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
  source_duration_.Add({{"datasource", e.datasource}}, kBuckets).Observe(e.seconds);
  source_up_.Add({{"datasource", e.datasource}}).Set(e.reason.empty() ? 1.0 : 0.0);
  if (!e.reason.empty()) source_errors_.Add({{"datasource", e.datasource}, {"reason", e.reason}}).Increment();
}

void Metrics::publish_one(const slo::SloStatus& s, const std::vector<config::PolicyTier>& tiers) {
  prometheus::Labels base{{"slo", s.name}, {"service", s.service}};
  if (!s.group.empty()) base.emplace("group", s.group);
  auto with = [&](const char* k, const std::string& v) {
    prometheus::Labels l = base;
    l.emplace(k, v);
    return l;
  };
  slo_source_up_.set(with("source", s.source), s.source_error ? 0.0 : 1.0);
  if (s.source_error) {
    objective_.set(base, s.objective);
    return;
  }
  objective_.set(base, s.objective);
  window_seconds_.set(base, static_cast<double>(s.window_seconds));
  if (s.ratio) sli_ratio_.set(base, *s.ratio);
  if (s.budget.remaining_ratio) budget_remaining_.set(base, *s.budget.remaining_ratio);
  GaugeRound& counts = s.budgeting == "timeslices" ? sli_slices_ : sli_events_;
  counts.set(with("kind", "good"), static_cast<double>(s.sli.good));
  counts.set(with("kind", "bad"), static_cast<double>(s.sli.bad()));
  counts.set(with("kind", "total"), static_cast<double>(s.sli.total));
  for (const auto& w : s.burn_rates) {
    if (w.burn_rate) burn_rate_.set(with("window", w.name), *w.burn_rate);
  }
  if (s.budget.exhausted_in_1h_rate) exhaustion_.set(with("rate", "1h"), *s.budget.exhausted_in_1h_rate);
  if (s.budget.exhausted_in_window_rate) exhaustion_.set(with("rate", "window"), *s.budget.exhausted_in_window_rate);
  if (s.latency) {
    const std::pair<const char*, double> qs[] = {{"0.5", s.latency->p50},   {"0.9", s.latency->p90},
                                                 {"0.95", s.latency->p95},  {"0.99", s.latency->p99},
                                                 {"0.999", s.latency->p999}};
    for (const auto& [q, ms] : qs) latency_.set(with("quantile", q), ms / 1000.0);
  }
  for (const auto& t : tiers) policy_.set(with("status", t.status), t.status == s.policy ? 1.0 : 0.0);
  if (!s.groups.empty() || !s.overflow_groups.empty()) {
    groups_.set(with("state", "evaluated"), static_cast<double>(s.groups.size()));
    groups_.set(with("state", "overflow"), static_cast<double>(s.overflow_groups.size()));
    overflow_events_.set(base, static_cast<double>(s.overflow_events));
  }
  for (const auto& g : s.groups) publish_one(g, tiers);
}

void Metrics::publish(const std::vector<slo::SloStatus>& statuses, const std::vector<config::PolicyTier>& tiers) {
  std::lock_guard<std::mutex> lock(publish_mu_);
  for (const auto& s : statuses) publish_one(s, tiers);
  for (GaugeRound* r : {&sli_ratio_, &objective_, &budget_remaining_, &burn_rate_, &policy_, &window_seconds_,
                        &sli_events_, &sli_slices_, &exhaustion_, &latency_, &groups_, &overflow_events_,
                        &slo_source_up_}) {
    r->finish();
  }
}

void Metrics::publish_gates(const std::map<std::string, bool>& allowed_by_service) {
  std::lock_guard<std::mutex> lock(gates_mu_);
  for (const auto& [service, allowed] : allowed_by_service) gates_.set({{"service", service}}, allowed ? 1 : 0);
  gates_.finish();
}

void Metrics::route_installed(const std::string& method, const std::string& route, const std::string& role) {
  route_info_.Add({{"method", method}, {"route", route}, {"role", role}}).Set(1);
}

void Metrics::internal_error(const std::string& component) {
  internal_errors_.Add({{"component", component}}).Increment();
}

void Metrics::hook_result(const std::string& service, const std::string& hook, const std::string& result) {
  hook_runs_.Add({{"service", service}, {"hook", hook}, {"result", result}}).Increment();
}

void Metrics::deployment_started(const std::string& service, const std::string& version,
                                 const std::string& environment, int64_t started_at) {
  // One series per service and environment: a service deployed every hour would otherwise grow
  // a series per version for as long as sloguard runs.
  std::lock_guard<std::mutex> lock(deployments_mu_);
  auto& latest = latest_deployment_[{service, environment}];
  if (latest.second && started_at < latest.first) return;  // an older release registered late
  if (latest.second) deployment_started_.Remove(latest.second);
  latest.second = &deployment_started_.Add({{"service", service}, {"version", version}, {"environment", environment}});
  latest.second->Set(static_cast<double>(started_at));
  latest.first = started_at;
}

void Metrics::publish_alerts(const config::Config& cfg, const std::vector<alerting::AlertState>& alerts,
                             const std::map<std::string, size_t>& pending, const std::map<std::string, size_t>& dead) {
  std::lock_guard<std::mutex> lock(alerts_mu_);
  std::map<std::string, const alerting::AlertState*> by_key;
  for (const auto& a : alerts) by_key[a.key()] = &a;
  for (const auto& slo : cfg.slos) {
    if (!slo.alerting.enabled) continue;
    // Groups with an alert state; an ungrouped SLO has the one group "".
    std::vector<std::string> groups;
    if (slo.group_by.empty()) groups.push_back("");
    for (const auto& a : alerts) {
      if (a.slo == slo.name && !a.group.empty() &&
          std::find(groups.begin(), groups.end(), a.group) == groups.end()) {
        groups.push_back(a.group);
      }
    }
    for (const auto& t : slo.alerting.tiers) {
      const std::string long_w = format_duration_ms(t.long_window_ms), short_w = format_duration_ms(t.short_window_ms);
      alert_threshold_.set({{"slo", slo.name}, {"service", slo.service}, {"tier", t.name}, {"severity", t.severity},
                            {"long_window", long_w}, {"short_window", short_w}},
                           t.burn_rate);
      for (const auto& g : groups) {
        auto it = by_key.find(alerting::alert_key(slo.name, g, t.name));
        const bool firing = it != by_key.end() && it->second->phase == alerting::AlertPhase::kFiring;
        alert_firing_.set({{"slo", slo.name}, {"service", slo.service}, {"group", g}, {"tier", t.name},
                           {"severity", t.severity}},
                          firing ? 1 : 0);
      }
    }
  }
  alert_firing_.finish();
  alert_threshold_.finish();
  for (const auto& n : cfg.notifiers) {
    auto p = pending.find(n.name);
    auto d = dead.find(n.name);
    notifications_pending_.set({{"notifier", n.name}}, p == pending.end() ? 0 : static_cast<double>(p->second));
    notifications_dead_.set({{"notifier", n.name}}, d == dead.end() ? 0 : static_cast<double>(d->second));
  }
  notifications_pending_.finish();
  notifications_dead_.finish();
}

void Metrics::notification_attempt(const std::string& notifier, const char* result) {
  notifications_.Add({{"notifier", notifier}, {"result", result}}).Increment();
}

std::string Metrics::serialize() const {
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

}  // namespace sloguard::server
