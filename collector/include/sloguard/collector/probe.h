// Probe results, from sloguard's own prober or pushed by outside probers
// (POST /api/v1/probes), and the prober that runs the configured probes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sloguard/common/background.h"
#include "sloguard/common/clock.h"
#include "sloguard/config/config.h"

namespace sloguard::collector {

// Why a probe failed. The numeric values are stored as the status code of a probe series'
// rollups (store::Rollup::by_status), so they never change.
enum class ProbeOutcome : uint32_t {
  kSuccess = 1,
  kDns = 2,      // the host name did not resolve
  kConnect = 3,  // refused, unreachable, or the connection closed before a response
  kTls = 4,      // handshake or certificate verification failed
  kTimeout = 5,  // no complete answer within the probe's timeout
  kStatus = 6,   // an HTTP status the probe does not expect
  kBody = 7,     // the body lacks the expected substring or does not match the regex
  kOther = 8,    // anything else (reported by an outside prober, or an unexpected error)
};
const char* probe_outcome_name(ProbeOutcome o);  // "success", "dns", "connect", ...

struct ProbeResult {
  std::string probe;        // the probe's configured name
  double ts = 0;            // Unix seconds when the probe started
  ProbeOutcome outcome = ProbeOutcome::kOther;
  double latency_ms = 0;    // total time until the answer or the failure; < 0 when unknown
  int http_status = 0;      // HTTP probes that got an answer; 0 otherwise
  std::string detail;       // human-readable cause for failures ("HTTP 500, expected 2xx")
  bool success() const { return outcome == ProbeOutcome::kSuccess; }
};

struct ProberOptions {
  // Default: false. Every run opens a new connection and resolves the host anew, as `curl -f`
  // does, so a probe sees what a new client sees (DNS, accept queue, TLS handshake) and holds
  // no idle connection on the target. true keeps each HTTP probe's connection alive between
  // runs: cheaper at short intervals, but a failing DNS or listener hides behind it.
  bool reuse_connections = false;
  // Default: 64 KiB. Body checks (body_contains, body_regex) see at most the first this-many
  // bytes; the rest is read and discarded.
  size_t max_body_bytes = 64 * 1024;
};

// Runs HTTP and TCP probes concurrently with libcurl's multi interface on one thread.
class Prober {
 public:
  explicit Prober(const Clock& clock, ProberOptions options = {});
  ~Prober();  // stops the background thread

  // Runs these probes now, all at once, on the calling thread; returns when every one has an
  // outcome (each bounded by its timeout). Thread-safe with respect to the background loop.
  std::vector<ProbeResult> run(const std::vector<const config::ProbeConfig*>& probes);

  // Background loop: every probe of config() runs each interval, the first run of each
  // jittered within its interval so probes do not fire together; config() is re-read every
  // loop, so a reload changes the probe set. Each finished result goes to sink (called on
  // the prober thread).
  using ConfigFn = std::function<std::shared_ptr<const config::Config>()>;
  using Sink = std::function<void(std::vector<ProbeResult>)>;
  // A second start() stops the running loop first. Neither start() nor stop() may be called
  // from the sink.
  void start(ConfigFn config, Sink sink);
  // Told of each exception escaping a pass of the background loop (logged, then the loop
  // goes on). Set before start().
  void set_error_reporter(InternalErrorReporter report);
  void stop();  // idempotent; aborts probes in flight (no result for them) and joins the thread

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sloguard::collector
