// libcurl pieces of the prober: one probe run as an easy handle (options from the probe's
// config, outcome from curl's code, status and body), and the multi handle that drives many
// runs at once on one thread. Not thread-safe: each object belongs to one thread at a time.
#pragma once

#include <curl/curl.h>

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sloguard/collector/probe.h"

namespace re2 {
class RE2;
}

namespace sloguard::collector::detail {

// curl_global_init, once per process; every Prober calls it before its first handle.
void init_curl_once();

// The outcome a finished transfer's curl code stands for (CURLE_OK: kSuccess, before status
// and body checks). CURLE_TOO_MANY_REDIRECTS is kStatus: the last answer was an unexpected 3xx.
ProbeOutcome outcome_of_curl_code(CURLcode code);

// One probe's easy handle, reusable run after run (a reused handle keeps curl's per-handle
// state; whether connections survive a run is ProberOptions::reuse_connections).
class ProbeTransfer {
 public:
  explicit ProbeTransfer(const ProberOptions& options);
  ~ProbeTransfer();
  ProbeTransfer(const ProbeTransfer&) = delete;
  ProbeTransfer& operator=(const ProbeTransfer&) = delete;

  // Sets the handle up for a run of `probe` that starts at Unix time `ts` (seconds). The
  // transfer shares ownership of the config until the next prepare(). A setup failure is kept
  // and reported by finish(), so the run still yields a result.
  void prepare(std::shared_ptr<const config::ProbeConfig> probe, double ts);
  // CURLE_OK unless prepare() failed; then the run must not be added to a multi handle.
  CURLcode setup_error() const { return setup_error_; }
  CURL* handle() const { return easy_; }
  const config::ProbeConfig& probe() const { return *probe_; }

  // The result of the run that ended with `code` (after a failed prepare(): kOther, whatever
  // `code` says).
  ProbeResult finish(CURLcode code);

  bool in_flight = false;  // maintained by ProbeMulti

 private:
  static size_t on_body(char* data, size_t size, size_t n, void* self);
  CURLcode configure();
  ProbeResult judge_answer(ProbeResult r) const;

  const ProberOptions& options_;
  CURL* easy_ = nullptr;
  std::shared_ptr<const config::ProbeConfig> probe_;
  double ts_ = 0;
  curl_slist* headers_ = nullptr;
  std::string url_;  // TCP probes: http://host:port/
  std::string body_;
  bool capture_body_ = false;
  CURLcode setup_error_ = CURLE_OK;
  std::array<char, CURL_ERROR_SIZE> error_{};
  // The compiled body_regex, kept across runs while the pattern stays the same.
  std::string regex_source_;
  std::unique_ptr<const re2::RE2> regex_;  // RE2: linear time in the body's length
  std::string regex_error_;
};

// A curl multi handle driving ProbeTransfers. A transfer stays in it only while it runs, so
// curl's per-call work grows with the runs in flight, not with the number of probes.
class ProbeMulti {
 public:
  ProbeMulti();
  ~ProbeMulti();  // removes transfers still in flight (their runs are abandoned)
  ProbeMulti(const ProbeMulti&) = delete;
  ProbeMulti& operator=(const ProbeMulti&) = delete;

  // Starts a prepared run. False (and the transfer is not in flight) when curl refuses it.
  bool add(ProbeTransfer& t);
  // Abandons a run in flight; no result.
  void remove(ProbeTransfer& t);

  struct Done {
    ProbeTransfer* transfer;
    CURLcode code;
  };
  // Lets curl work on every run in flight; appends the runs that ended (now out of the multi).
  void perform(std::vector<Done>& done);
  // Waits for network activity, a curl timer, wakeup(), or timeout_ms, whichever comes first.
  void poll(int timeout_ms);
  // Makes a poll() in progress (or the next one) return at once. Thread-safe.
  void wakeup();
  // How many idle connections curl may keep (reuse_connections needs one per probe).
  void set_max_connects(long n);
  size_t in_flight() const { return in_flight_.size(); }

 private:
  CURLM* multi_ = nullptr;
  std::vector<ProbeTransfer*> in_flight_;
};

}  // namespace sloguard::collector::detail
