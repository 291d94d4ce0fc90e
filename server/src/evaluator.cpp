#include "evaluator.h"

#include <chrono>

#include "sloguard/common/background.h"
#include "sloguard/common/log.h"

namespace sloguard::server {

void Evaluator::start() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { loop(); });
}

void Evaluator::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Evaluator::run_once() {
  std::lock_guard<std::mutex> round(round_mu_);
  auto cfg = config_();
  const auto started = std::chrono::steady_clock::now();
  const double at = static_cast<double>(clock_.now_ms()) / 1000.0;
  std::vector<slo::SloStatus> statuses;
  statuses.reserve(cfg->slos.size());
  size_t failures = 0;
  auto results = engine_.evaluate_all(*cfg, at);
  for (size_t i = 0; i < results.size(); ++i) {
    if (results[i].ok()) {
      statuses.push_back(std::move(results[i]).value());
    } else {
      ++failures;
      log::error("evaluation failed", {{"slo", cfg->slos[i].name}, {"error", results[i].status().to_string()}});
    }
  }
  metrics_.publish(statuses, cfg->budget_policy);
  if (after_round_) after_round_(*cfg, statuses, at);
  metrics_.evaluation_done(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(),
                           failures);
}

void Evaluator::loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    lock.unlock();
    // Whatever escapes a round (a bug, a stored record of an unexpected shape) is logged and
    // counted; the next round runs as usual, so the evaluator thread never takes the daemon down.
    run_guarded("evaluator", [this](const std::string& c) { metrics_.internal_error(c); }, [this] { run_once(); });
    lock.lock();
    const auto interval = std::chrono::milliseconds(config_()->evaluation_interval_ms);
    cv_.wait_for(lock, interval, [this] { return stopping_; });
  }
}

}  // namespace sloguard::server
