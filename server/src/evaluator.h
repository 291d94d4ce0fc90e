// Recomputes every SLO each evaluation_interval and publishes the gauges.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "metrics.h"
#include "sloguard/common/clock.h"
#include "sloguard/config/config.h"
#include "sloguard/slo/engine.h"

namespace sloguard::server {

class Evaluator {
 public:
  using ConfigFn = std::function<std::shared_ptr<const config::Config>()>;
  Evaluator(ConfigFn config, const slo::Engine& engine, Metrics& metrics, const Clock& clock)
      : config_(std::move(config)), engine_(engine), metrics_(metrics), clock_(clock) {}
  ~Evaluator() { stop(); }

  // Starts the background thread (first round at once). Not thread-safe with stop().
  void start();
  // Wakes and joins the thread. Idempotent.
  void stop();
  // One round now, on the calling thread. Thread-safe (rounds are serialized).
  void run_once();
  // Called at the end of each round with the config, the statuses and the instant evaluated.
  // Set before start().
  using AfterRound = std::function<void(const config::Config&, const std::vector<slo::SloStatus>&, double at)>;
  void set_after_round(AfterRound fn) { after_round_ = std::move(fn); }

 private:
  void loop();

  ConfigFn config_;
  AfterRound after_round_;
  const slo::Engine& engine_;
  Metrics& metrics_;
  const Clock& clock_;
  std::mutex round_mu_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace sloguard::server
