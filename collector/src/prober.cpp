// The prober: run() drives a batch of probes to completion on the caller's thread; start()
// runs the configured probes on a schedule on one background thread. Both put every run in
// flight on one curl multi handle, so a thousand probes cost one thread and no more.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "prober_schedule.h"
#include "prober_transfer.h"
#include "sloguard/collector/probe.h"
#include "sloguard/common/background.h"
#include "sloguard/common/log.h"

namespace sloguard::collector {

using detail::ProbeMulti;
using detail::ProbeSchedule;
using detail::ProbeTransfer;

namespace {

// The loop wakes at least this often, so a config reload is seen within it even when no probe
// is due.
constexpr int kMaxPollMs = 1000;

double unix_seconds(const Clock& clock) { return static_cast<double>(clock.now_ms()) / 1000.0; }

// Milliseconds from now until `t`, rounded up (waking early would spin), clamped to
// [0, kMaxPollMs].
int wait_ms_until(std::chrono::steady_clock::time_point t, std::chrono::steady_clock::time_point now) {
  if (t <= now) return 0;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(t - now).count();
  return static_cast<int>(std::min<int64_t>(ms, kMaxPollMs));
}

}  // namespace

struct Prober::Impl {
  const Clock& clock;
  ProberOptions options;

  std::mutex lifecycle_mu;  // serialises start() and stop()
  std::thread thread;
  std::atomic<bool> stopping{false};
  std::unique_ptr<ProbeMulti> loop_multi;  // lives while the thread runs; wakeup() from stop()

  Impl(const Clock& c, ProberOptions o) : clock(c), options(o) {}

  void stop_locked() {
    if (!thread.joinable()) return;
    stopping = true;
    loop_multi->wakeup();
    thread.join();
    loop_multi.reset();
    stopping = false;
  }

  void loop(const ConfigFn& config_fn, const Sink& sink);
  InternalErrorReporter report;
};

Prober::Prober(const Clock& clock, ProberOptions options) : impl_(std::make_unique<Impl>(clock, options)) {
  detail::init_curl_once();
}

Prober::~Prober() { stop(); }

std::vector<ProbeResult> Prober::run(const std::vector<const config::ProbeConfig*>& probes) {
  ProbeMulti multi;
  std::vector<std::unique_ptr<ProbeTransfer>> transfers;
  std::unordered_map<const ProbeTransfer*, size_t> slot;
  std::vector<ProbeResult> results(probes.size());
  size_t pending = 0;
  for (size_t i = 0; i < probes.size(); ++i) {
    auto t = std::make_unique<ProbeTransfer>(impl_->options);
    // Not owned: the caller's configs outlive this call.
    t->prepare(std::shared_ptr<const config::ProbeConfig>(std::shared_ptr<void>(), probes[i]), unix_seconds(impl_->clock));
    if (t->setup_error() != CURLE_OK || !multi.add(*t)) {
      results[i] = t->finish(CURLE_FAILED_INIT);
    } else {
      slot[t.get()] = i;
      ++pending;
    }
    transfers.push_back(std::move(t));
  }
  std::vector<ProbeMulti::Done> done;
  while (pending > 0) {
    multi.perform(done);
    for (const auto& d : done) {
      results[slot.at(d.transfer)] = d.transfer->finish(d.code);
      --pending;
    }
    done.clear();
    if (pending > 0) multi.poll(kMaxPollMs);
  }
  return results;
}

void Prober::start(ConfigFn config, Sink sink) {
  std::lock_guard<std::mutex> lock(impl_->lifecycle_mu);
  impl_->stop_locked();
  impl_->loop_multi = std::make_unique<ProbeMulti>();
  impl_->thread = std::thread([impl = impl_.get(), config = std::move(config), sink = std::move(sink)] {
    impl->loop(config, sink);
  });
}

void Prober::set_error_reporter(InternalErrorReporter report) { impl_->report = std::move(report); }

void Prober::stop() {
  std::lock_guard<std::mutex> lock(impl_->lifecycle_mu);
  impl_->stop_locked();
}

void Prober::Impl::loop(const ConfigFn& config_fn, const Sink& sink) {
  ProbeMulti& multi = *loop_multi;
  ProbeSchedule schedule;
  // One easy handle per scheduled probe, reused run after run.
  std::unordered_map<std::string, std::unique_ptr<ProbeTransfer>> transfers;
  std::shared_ptr<const config::Config> current;
  std::vector<ProbeMulti::Done> done;
  std::vector<ProbeResult> batch;
  uint64_t skipped = 0;  // runs not started because the previous run was still in flight

  while (!stopping) {
    // Whatever escapes one pass (an allocation failure, a bug) is logged and counted; the
    // loop waits a poll and goes on, so probing never takes the daemon down.
    const bool ok = run_guarded("prober", report, [&] {
      const auto now = std::chrono::steady_clock::now();
      std::shared_ptr<const config::Config> cfg;
      if (!run_guarded("prober", report, [&] { cfg = config_fn(); })) cfg = current;  // keep the probes
      // Configs are immutable and swapped whole on reload: a new pointer is the only change.
      if (cfg && cfg != current) {
        current = cfg;
        auto changes = schedule.reconcile(*cfg, now);
        for (const auto& name : changes.removed) {
          auto it = transfers.find(name);
          if (it == transfers.end()) continue;
          multi.remove(*it->second);  // a probe no longer configured reports nothing
          transfers.erase(it);
        }
        if (options.reuse_connections) multi.set_max_connects(static_cast<long>(std::max<size_t>(schedule.size(), 16)));
        if (!changes.added.empty() || !changes.changed.empty() || !changes.removed.empty()) {
          log::info("prober: probes updated", {{"probes", std::to_string(schedule.size())},
                                               {"added", std::to_string(changes.added.size())},
                                               {"changed", std::to_string(changes.changed.size())},
                                               {"removed", std::to_string(changes.removed.size())}});
        }
      }

      for (auto& probe : schedule.take_due(now)) {
        auto& t = transfers[probe->name];
        if (!t) t = std::make_unique<ProbeTransfer>(options);
        if (t->in_flight) {
          if (skipped++ % 100 == 0) {
            log::warn("prober: a run is still in flight when the next is due; skipping the next",
                      {{"probe", probe->name}, {"skipped_total", std::to_string(skipped)}});
          }
          continue;
        }
        t->prepare(std::move(probe), unix_seconds(clock));
        if (t->setup_error() != CURLE_OK || !multi.add(*t)) {
          batch.push_back(t->finish(CURLE_FAILED_INIT));
        }
      }

      multi.perform(done);
      for (const auto& d : done) batch.push_back(d.transfer->finish(d.code));
      done.clear();
      if (!batch.empty()) {
        run_guarded("prober", report, [&] { sink(std::move(batch)); });  // failed: results dropped
        batch.clear();
      }

      const auto next = schedule.next_due();
      multi.poll(next ? wait_ms_until(*next, std::chrono::steady_clock::now()) : kMaxPollMs);
    });
    if (!ok) {
      batch.clear();
      done.clear();
      multi.poll(kMaxPollMs);
    }
  }
  // Runs still in flight are abandoned. Their easy handles die with `transfers` here, the
  // multi handle only after the join: take them out of it first.
  for (auto& [name, t] : transfers) multi.remove(*t);
}

}  // namespace sloguard::collector
