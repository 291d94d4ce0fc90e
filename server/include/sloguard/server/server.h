// The sloguard daemon: HTTP API, /metrics, the evaluator thread and the config they share.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sloguard/common/clock.h"
#include "sloguard/common/status.h"
#include "sloguard/config/config.h"
#include "sloguard/store/store.h"

namespace sloguard::server {

struct ServerOptions {
  std::shared_ptr<const config::Config> config;
  const Clock* clock = &SystemClock::instance();  // Default: the system clock
  // Default: null, open the RocksDB store at config->storage.path.
  std::unique_ptr<store::Store> store;
  bool run_evaluator = true;  // Default: true. Tests turn it off and call evaluate_now().
  bool run_prober = true;     // Default: true. Tests turn it off and call probe_now().
  // Default: true. The notification dispatcher thread; tests turn it off and call deliver_now().
  bool run_dispatcher = true;
  // Default: true. The rollback hook workers (release.hook_workers threads). Tests turn them
  // off: evaluate_now() then runs the due rollback jobs at the end of its round, on the
  // calling thread, and run_hooks_now() runs them at any time.
  bool run_hook_workers = true;
};

class Server {
 public:
  // Opens the store (unless given one) and prepares routes. Fails when the store cannot be
  // opened.
  static Result<std::unique_ptr<Server>> create(ServerOptions options);
  ~Server();  // stops if still running

  // Binds the listen address (port 0 = ephemeral) and starts serving and evaluating in
  // background threads. Fails when the address cannot be bound.
  Status start();
  // The bound port (valid after start()).
  int port() const;
  // Blocks until stop() is called from elsewhere (e.g. a signal handler thread).
  void wait();
  // Stops accepting requests, lets in-flight requests finish, stops the evaluator, flushes
  // and closes the store. Idempotent; thread-safe.
  void stop();

  // Re-reads the config file the current config came from and swaps it in if it validates;
  // otherwise keeps the current one and returns the errors. Thread-safe.
  Result<std::vector<std::string>> reload();
  // Swaps in an already-validated config (storage and listen changes need a restart).
  void set_config(std::shared_ptr<const config::Config> cfg);
  std::shared_ptr<const config::Config> config() const;

  // Runs one evaluation of every SLO and publishes the gauges (what the evaluator thread
  // does each evaluation_interval). Thread-safe.
  void evaluate_now();
  // Runs every configured probe once now and stores the results (what the prober thread does
  // each probe's interval). Blocks until all have an outcome. Thread-safe.
  void probe_now();

  // Sends every due notification in the outbox now (what the dispatcher thread does as soon
  // as notifications are queued, and each second for retries). Returns how many were
  // delivered. Thread-safe.
  size_t deliver_now();
  // Runs every due rollback job now on the calling thread (what the hook workers do). Returns
  // how many attempts were made. Thread-safe.
  size_t run_hooks_now();

  store::Store& store();

 private:
  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sloguard::server
