// Server internals shared by server.cpp (lifecycle) and routes.cpp (HTTP handlers).
#pragma once

#include <atomic>
#include <condition_variable>
#include <httplib.h>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "auth.h"
#include "evaluator.h"
#include "metrics.h"
#include "sloguard/collector/event_ingest.h"
#include "sloguard/collector/probe.h"
#include "sloguard/server/server.h"
#include "sloguard/slo/engine.h"
#include "sloguard/slo/source.h"

namespace sloguard::server {

struct Server::Impl {
  explicit Impl(ServerOptions o)
      : clock(*o.clock),
        run_evaluator(o.run_evaluator),
        run_prober(o.run_prober),
        store(std::move(o.store)),
        cfg(std::move(o.config)),
        auth(std::make_shared<const Authorizer>(*cfg)),
        source(*store),
        engine(source),
        ingestor(*store, clock),
        evaluator([this] { return config(); }, engine, metrics, clock),
        prober(clock) {}

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
    std::lock_guard<std::mutex> lock(cfg_mu);
    cfg = std::move(next);
    auth = std::move(next_auth);
  }

  void install_routes();  // routes.cpp
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
  std::unique_ptr<store::Store> store;
  mutable std::mutex cfg_mu;
  std::shared_ptr<const config::Config> cfg;
  std::shared_ptr<const Authorizer> auth;
  Metrics metrics;
  slo::StoreSource source;
  slo::Engine engine;
  collector::EventIngestor ingestor;
  Evaluator evaluator;
  collector::Prober prober;
  mutable std::mutex probes_mu;
  std::map<std::string, collector::ProbeResult> last_probe;  // by probe name
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
