// Server internals shared by server.cpp (lifecycle) and routes.cpp (HTTP handlers).
#pragma once

#include <atomic>
#include <condition_variable>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <map>
#include <memory>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "auth.h"
#include "evaluator.h"
#include "metrics.h"
#include "sloguard/alerting/alert_engine.h"
#include "sloguard/alerting/notification.h"
#include "sloguard/alerting/outbox.h"
#include "sloguard/alerting/silences.h"
#include "sloguard/collector/event_ingest.h"
#include "sloguard/collector/probe.h"
#include "sloguard/collector/remote_write.h"
#include "sloguard/common/background.h"
#include "sloguard/hooks/deployments.h"
#include "sloguard/hooks/rollback.h"
#include "sloguard/hooks/verification.h"
#include "sloguard/net/http_sender.h"
#include "sloguard/server/server.h"
#include "sloguard/slo/gate.h"
#include "sloguard/slo/engine.h"
#include "sloguard/slo/prometheus_source.h"
#include "sloguard/slo/source.h"

namespace sloguard::server {

struct Server::Impl {
  explicit Impl(ServerOptions o)
      : clock(*o.clock),
        run_evaluator(o.run_evaluator),
        run_prober(o.run_prober),
        run_dispatcher(o.run_dispatcher),
        run_hook_workers(o.run_hook_workers),
        store(std::move(o.store)),
        cfg(std::move(o.config)),
        auth(std::make_shared<const Authorizer>(*cfg)),
        http_sender(net::make_curl_sender()),
        store_source(*store),
        source(store_source, *http_sender, clock, [this](const slo::QueryEvent& e) { metrics.source_query(e); }),
        engine(source),
        ingestor(*store, clock),
        remote_write(*store, clock),
        evaluator([this] { return config(); }, engine, metrics, clock),
        prober(clock),
        deployments(*store, clock),
        rollbacks(*store, clock, *http_sender),
        alerts(store.get(), clock),
        silences(store.get(), clock),
        outbox(store.get(), clock) {
    evaluator.set_after_round([this](const config::Config& c, const std::vector<slo::SloStatus>& statuses,
                                     double at) {
      // Each part on its own: an alert round that throws does not skip verification.
      run_guarded("alert_round", internal_errors(), [&] { alert_round(c, statuses); });
      run_guarded("verification", internal_errors(), [&] { release_round(c, statuses, at); });
    });
    source.update(*cfg);
    outbox.set_error_reporter(internal_errors());
    prober.set_error_reporter(internal_errors());
    rollbacks.set_error_reporter(internal_errors());
    wire_alerting();
    rollbacks.set_result_listener([this](const hooks::RollbackRequest& req, const hooks::AuditEntry& result) {
      metrics.hook_result(req.service, result.hook, result.result);
      notify_hook_result(req, result);
    });
  }

  std::shared_ptr<const config::Config> config() const {
    std::lock_guard<std::mutex> lock(cfg_mu);
    return cfg;
  }
  std::shared_ptr<const Authorizer> authorizer() const {
    std::lock_guard<std::mutex> lock(cfg_mu);
    return auth;
  }
  void swap_config(std::shared_ptr<const config::Config> next) {
    auto next_auth = std::make_shared<const Authorizer>(*next);
    // Under the lock: two reloads at once leave the datasources of the config that won.
    std::lock_guard<std::mutex> lock(cfg_mu);
    source.update(*next);
    cfg = std::move(next);
    auth = std::move(next_auth);
  }

  // Counts what escaped a background thread's unit of work in
  // sloguard_internal_errors_total{component}.
  InternalErrorReporter internal_errors() {
    return [this](const std::string& component) { metrics.internal_error(component); };
  }

  void install_routes();  // routes.cpp
  nlohmann::json slo_alerts_json(const std::string& slo, const std::string& group) const;
  // release_routes.cpp: gate, deployments, hook history, Alertmanager receiver.
  using RouteFn = std::function<void(const std::string& method, const std::string& pattern,
                                     const std::string& route_name, std::optional<config::Role> role,
                                     httplib::Server::Handler fn)>;
  void install_release_routes(const RouteFn& route);
  // The gate for one service at `at` from the given SLO statuses (the service's, or one SLO's).
  slo::GateDecision decide_gate(const config::Config& cfg, const std::string& service,
                                std::vector<slo::SloStatus> statuses, std::vector<std::string> slo_errors,
                                int64_t at, slo::GateInput* input_out = nullptr);
  // After each evaluation round: one continuous-verification round of every deployment in its
  // period (a failed one queues its rollback jobs in the verdict's batch), wake the hook
  // workers (or run the due jobs when they are off), publish the gate gauge per service.
  void release_round(const config::Config& cfg, const std::vector<slo::SloStatus>& statuses, double at);
  // The deployment named by the route's first match ("latest" + ?service= for the service's
  // newest), with its progress; nullopt after replying 400/404/500.
  struct FoundDeployment {
    hooks::Deployment deployment;
    std::optional<hooks::VerificationProgress> progress;
  };
  std::optional<FoundDeployment> find_deployment(const httplib::Request& req, httplib::Response& res);
  // GET /api/v1/deployments/{id}/analysis's body (see docs/progressive-delivery.md).
  nlohmann::json analysis_json(const config::Config& cfg, const hooks::Deployment& d,
                               const std::optional<hooks::VerificationProgress>& progress,
                               std::optional<int> weight) const;
  // The rollback request of a failed verification, with the service's budget and burn rates.
  hooks::RollbackRequest verification_rollback(const config::Config& cfg, const hooks::Deployment& d,
                                               const hooks::Verification& v,
                                               const std::vector<slo::SloStatus>& statuses) const;
  // The longest current run of failed results among the service's probes since `since`.
  int probe_failure_streak(const std::string& service, int64_t since) const;
  // release_notify.cpp: a verdict or a hook's final result to the notifiers of release.notify.
  // Thread-safe (hook results also come from HTTP threads: POST /api/v1/alertmanager).
  void notify_verification(const config::Config& cfg, const hooks::Deployment& d, const hooks::Verification& v);
  void notify_hook_result(const hooks::RollbackRequest& req, const hooks::AuditEntry& result);
  // One copy of `base` per notifier of the service, id "<id_prefix>/<notifier>", into the outbox.
  void queue_release_notifications(const config::Config& cfg, const std::string& service,
                                   const alerting::Notification& base, const std::string& id_prefix);
  // alert_routes.cpp: GET /api/v1/alerts, silences, GET /api/v1/notifications.
  void install_alert_routes(const RouteFn& route);
  // Loads alert states, silences and the outbox; connects alerts to the gate, rollback hooks
  // and metrics. Called once from the constructor.
  void wire_alerting();
  Status load_alerting();
  // After each evaluation round: moves the alert state machines and queues notifications.
  void alert_round(const config::Config& cfg, const std::vector<slo::SloStatus>& statuses);
  // Sends due notifications (the dispatcher thread, Server::deliver_now). Thread-safe.
  size_t deliver_round();
  // Alert and outbox gauges; returns how many notifications are pending.
  size_t publish_alert_metrics(const config::Config& cfg);
  void dispatcher_loop();
  void wake_dispatcher();
  // A rejected ingest batch: counted by reason, answered 400 (500 for storage errors) with the
  // first error's message, index and field, and every reported error.
  void reject_batch(httplib::Response& res, const collector::IngestOutcome& out, const std::string& reason);
  // Stores probe results (prober thread, probe_now, POST /api/v1/probes) and publishes them
  // as the probes' last results. Thread-safe.
  Status record_probe_results(const std::vector<collector::ProbeResult>& results);
  std::vector<const config::ProbeConfig*> all_probes(const config::Config& cfg) const;
  // Loads config->source_path; swaps it in when valid. Returns the errors (empty on success).
  Result<std::vector<std::string>> reload_from_file();

  const Clock& clock;
  bool run_evaluator;
  bool run_prober;
  bool run_dispatcher;
  bool run_hook_workers;
  std::unique_ptr<store::Store> store;
  mutable std::mutex cfg_mu;
  std::shared_ptr<const config::Config> cfg;
  std::shared_ptr<const Authorizer> auth;
  Metrics metrics;
  std::unique_ptr<net::HttpSender> http_sender;
  slo::StoreSource store_source;
  slo::SourceRouter source;  // each SLO to the embedded store or its datasource
  slo::Engine engine;
  collector::EventIngestor ingestor;
  collector::RemoteWriteIngestor remote_write;
  Evaluator evaluator;
  collector::Prober prober;
  hooks::DeploymentStore deployments;
  hooks::RollbackJobs rollbacks;
  // Firing alerts of a service for the gate. The alerting engine sets this when it is wired
  // in; alerts received from Alertmanager are added to its answer. Default: none.
  std::function<std::vector<slo::FiringAlert>(const std::string& service)> firing_alerts;
  // Alertmanager alerts now firing, by fingerprint.
  struct AlertmanagerAlert {
    std::string service, name, severity;
    int64_t since = 0;
    int64_t expires_at = 0;  // endsAt, or the last resend + a refresh interval (Unix seconds)
  };
  // alertmanager_receiver.cpp: the route, and the firing alerts kept across restarts.
  void install_alertmanager_route(const RouteFn& route);
  Status load_alertmanager_alerts();
  std::mutex alertmanager_mu;
  std::map<std::string, AlertmanagerAlert> alertmanager_firing;
  alerting::AlertEngine alerts;
  alerting::Silences silences;
  alerting::Outbox outbox;
  // Notifiers built for `notifiers_cfg` (rebuilt when the config changes); the deliverer's.
  std::mutex notifiers_mu;
  std::shared_ptr<const config::Config> notifiers_cfg;
  std::map<std::string, std::unique_ptr<alerting::Notifier>> notifiers;
  std::thread dispatcher_thread;
  std::mutex dispatcher_mu;
  std::condition_variable dispatcher_cv;
  bool dispatcher_stopping = false;
  bool dispatcher_woken = false;
  mutable std::mutex probes_mu;
  std::map<std::string, collector::ProbeResult> last_probe;  // by probe name
  // Timestamps of each probe's current run of failures (at most kMaxStreak), by probe name.
  static constexpr size_t kMaxStreak = 64;
  std::map<std::string, std::vector<double>> probe_failures;
  httplib::Server http;
  std::thread http_thread;
  int port = 0;
  std::atomic<bool> ready{false};

  std::mutex stop_mu;
  std::condition_variable stop_cv;
  bool started = false;
  bool stopped = false;
};

}  // namespace sloguard::server
