// A scripted 28 hours of checkout traffic on two instances, as a Prometheus scrape every 15s
// would have stored it: counters http_requests_total{job,instance,code} and a classic
// histogram http_request_duration_seconds{job,instance,le}. It has uneven traffic (a daily
// swing, noise, a 3x burst for an hour), a 30-minute incident (8% 503s and slow requests) and
// a counter reset of instance "b" (its process restarts). From the one script come the
// OpenMetrics text for `promtool tsdb create-blocks-from openmetrics`, the Prometheus text with
// millisecond timestamps for VictoriaMetrics' /api/v1/import/prometheus, the sloguard events
// for POST /api/v1/events, and the counts every window should hold.
//
// Exactness: the scrapes lie on a 15s grid that contains every minute, so a window
// [at - w, at] with `at` and `w` whole minutes has a sample on both edges. Prometheus' increase()
// then extrapolates by a factor of exactly 1 (and to the zero point, i.e. not at all, for a
// window that starts before the first sample, since every counter starts at 0), and
// VictoriaMetrics takes the sample on the left edge as its base: both give the exact sum of the
// increases of the intervals (t - 15s, t] with t in (at - w, at]. The events of such an
// interval carry ts = t - 15s, so sloguard's window [at - w, at) holds exactly the same
// intervals. Each interval's increase is what both TSDBs compute from the stored values (a
// reset counts the value after it); the constructor checks that the reset is one for
// Prometheus (a lower value) and for VictoriaMetrics (at most 7/8 of the value before, else it
// takes the drop for jitter between HA replicas) and throws otherwise.
#pragma once

#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace sloguard::testing {

class ScriptedSeries {
 public:
  static constexpr int64_t kStep = 15;              // scrape interval, seconds
  static constexpr int64_t kSpan = 28 * 3600;       // 1d SLO window + 4h
  static constexpr int kBuckets = 5;                // le 0.1, 0.25, 0.5, 1, +Inf
  static constexpr std::array<const char*, kBuckets> kLe = {"0.1", "0.25", "0.5", "1", "+Inf"};
  // The latency of every event of a bucket: its upper bound (2s for +Inf), so that a latency
  // SLO at a bucket bound counts exactly what the bucket counts.
  static constexpr std::array<int64_t, kBuckets> kLatencyMs = {100, 250, 500, 1000, 2000};
  static constexpr std::array<const char*, 2> kInstances = {"a", "b"};

  // The requests of one scrape interval on one instance, by status and latency bucket (not
  // cumulative).
  struct Interval {
    std::array<int64_t, kBuckets> ok{};   // code 200
    std::array<int64_t, kBuckets> err{};  // code 503
    int64_t ok_total() const { return sum(ok); }
    int64_t err_total() const { return sum(err); }
    int64_t total() const { return ok_total() + err_total(); }
    // Requests at or under the bound of bucket `le` (index into kLe).
    int64_t at_or_under(int le) const {
      int64_t n = 0;
      for (int j = 0; j <= le; ++j) n += ok[j] + err[j];
      return n;
    }
    static int64_t sum(const std::array<int64_t, kBuckets>& a) {
      int64_t n = 0;
      for (int64_t v : a) n += v;
      return n;
    }
  };

  struct Counts {
    int64_t good = 0;
    int64_t total = 0;
    bool operator==(const Counts&) const = default;
  };

  // Data whose last scrape is at `end` (a whole minute): scrapes at start(), start() + 15s, ...,
  // end().
  explicit ScriptedSeries(int64_t end) : end_(end), start_(end - kSpan) {
    if (end % 60 != 0) throw std::invalid_argument("ScriptedSeries: end must be a whole minute");
    reset_at_ = end_ - 5 * 3600;
    incident_from_ = end_ - 50 * 60;
    incident_to_ = end_ - 20 * 60;
    burst_from_ = end_ - 9 * 3600;
    burst_to_ = end_ - 8 * 3600;
    generate();
  }

  // Ending at the last whole minute at least two minutes before now: recent enough for any
  // retention, and old enough that VictoriaMetrics does not shift a query at end() (it moves
  // queries within -search.latencyOffset, 30s, of now).
  static ScriptedSeries ending_before_now() {
    const int64_t now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    return ScriptedSeries((now - 120) / 60 * 60);
  }

  int64_t start() const { return start_; }
  int64_t end() const { return end_; }
  // The scrape at which instance "b" shows the counters of its new process.
  int64_t reset_at() const { return reset_at_; }
  // Intervals ending in (incident_from, incident_to] are the incident's.
  int64_t incident_from() const { return incident_from_; }
  int64_t incident_to() const { return incident_to_; }
  // Scrape intervals per instance (the first scrape has none).
  size_t intervals() const { return intervals_[0].size(); }
  // The interval (t - 15s, t] of `instance` (0 = "a", 1 = "b") for t = start + (k + 1) * 15s.
  const Interval& interval(int instance, size_t k) const { return intervals_[instance][k]; }
  int64_t interval_end(size_t k) const { return start_ + static_cast<int64_t>(k + 1) * kStep; }

  // The increases of every interval t in (at - window, at], both instances.
  Interval sum(int64_t at, int64_t window) const {
    Interval s;
    for (size_t k = 0; k < intervals(); ++k) {
      const int64_t t = interval_end(k);
      if (t <= at - window || t > at) continue;
      for (int i = 0; i < 2; ++i) {
        for (int j = 0; j < kBuckets; ++j) {
          s.ok[j] += intervals_[i][k].ok[j];
          s.err[j] += intervals_[i][k].err[j];
        }
      }
    }
    return s;
  }
  // availability: good = not 5xx; latency: good = at or under the bound of bucket `le`
  // (1: 0.25s).
  Counts availability(int64_t at, int64_t window) const {
    const Interval s = sum(at, window);
    return {s.ok_total(), s.total()};
  }
  Counts latency(int64_t at, int64_t window, int le = 1) const {
    const Interval s = sum(at, window);
    return {s.at_or_under(le), s.total()};
  }

  // OpenMetrics text (timestamps in seconds, `# EOF` at the end) for promtool.
  std::string openmetrics() const { return exposition(true); }
  // Prometheus text exposition with millisecond timestamps for VictoriaMetrics' import API.
  std::string prometheus_text() const { return exposition(false); }

  // POST /api/v1/events bodies of at most `max_events` events each: per interval (t - 15s, t],
  // at ts = t - 15s, one event per status and latency bucket with both instances' requests.
  std::vector<std::string> event_batches(const std::string& service, size_t max_events = 5000) const {
    std::vector<std::string> bodies;
    std::string body;
    size_t in_body = 0;
    auto flush = [&] {
      if (in_body == 0) return;
      body += "]}";
      bodies.push_back(std::move(body));
      body.clear();
      in_body = 0;
    };
    for (size_t k = 0; k < intervals(); ++k) {
      const int64_t ts = interval_end(k) - kStep;
      for (int status : {200, 503}) {
        for (int j = 0; j < kBuckets; ++j) {
          int64_t n = 0;
          for (int i = 0; i < 2; ++i) n += status == 200 ? intervals_[i][k].ok[j] : intervals_[i][k].err[j];
          if (n == 0) continue;
          body += in_body == 0 ? "{\"events\":[" : ",";
          body += "{\"service\":\"" + service + "\",\"ts\":" + std::to_string(ts) +
                  ",\"status\":" + std::to_string(status) + ",\"latency_ms\":" + std::to_string(kLatencyMs[j]) +
                  ",\"count\":" + std::to_string(n) + "}";
          if (++in_body == max_events) flush();
        }
      }
    }
    flush();
    return bodies;
  }

 private:
  // Cumulative values of one instance's series at one scrape.
  struct Sample {
    int64_t ok = 0, err = 0;
    std::array<int64_t, kBuckets> bucket{};  // cumulative by le; the last is _count
    int64_t sum_ms = 0;
  };

  static uint64_t mix(uint64_t x) {  // splitmix64
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
  }
  // Deterministic uniform [0, 1) per (instance, interval, purpose).
  static double uniform(int instance, size_t k, int salt) {
    const uint64_t h = mix((static_cast<uint64_t>(k) << 8) ^ (static_cast<uint64_t>(instance) << 4) ^
                           static_cast<uint64_t>(salt));
    return static_cast<double>(h >> 11) * 0x1.0p-53;
  }
  // `n` split by `shares` (summing to 1): cumulative counts rounded with one offset, so the
  // parts are never negative and add up to n.
  static std::array<int64_t, kBuckets> split(int64_t n, const std::array<double, kBuckets>& shares, double u) {
    std::array<int64_t, kBuckets> parts{};
    double cum = 0;
    int64_t prev = 0;
    for (int j = 0; j < kBuckets; ++j) {
      cum += shares[j];
      const int64_t c = j == kBuckets - 1 ? n : std::min<int64_t>(n, static_cast<int64_t>(std::floor(n * cum + u)));
      parts[j] = c - prev;
      prev = c;
    }
    return parts;
  }

  void generate() {
    constexpr double kPi = 3.14159265358979323846;
    const size_t n = static_cast<size_t>(kSpan / kStep);
    std::array<Sample, 2> value{};  // every counter starts at 0 at start()
    for (int i = 0; i < 2; ++i) {
      intervals_[i].resize(n);
      samples_[i].reserve(n + 1);
      samples_[i].push_back(value[i]);
    }
    for (size_t k = 0; k < n; ++k) {
      const int64_t t = interval_end(k);
      const bool incident = t > incident_from_ && t <= incident_to_;
      for (int i = 0; i < 2; ++i) {
        // Requests per second: a daily swing (b's lags a's by 3h), noise, a burst, and b warming
        // up over the 10 minutes after its restart.
        const double phase = 2 * kPi * static_cast<double>((t - (i == 0 ? 0 : 3 * 3600)) % 86400) / 86400.0;
        double rps = (i == 0 ? 40.0 : 24.0) * (1.0 + 0.5 * std::sin(phase));
        rps *= 0.85 + 0.3 * uniform(i, k, 1);
        if (t > burst_from_ && t <= burst_to_) rps *= 3;
        if (i == 1 && t >= reset_at_ && t < reset_at_ + 600) rps *= 0.3 + 0.7 * static_cast<double>(t - reset_at_) / 600.0;
        const int64_t requests = static_cast<int64_t>(std::floor(rps * kStep + uniform(i, k, 2)));
        const double p_err = incident ? 0.08 : 0.0001;
        const int64_t errors = std::min<int64_t>(requests, static_cast<int64_t>(std::floor(requests * p_err + uniform(i, k, 3))));
        static constexpr std::array<double, kBuckets> kOk = {0.72, 0.277, 0.002, 0.0007, 0.0003};
        static constexpr std::array<double, kBuckets> kOkIncident = {0.35, 0.40, 0.15, 0.07, 0.03};
        static constexpr std::array<double, kBuckets> kErr = {0.9, 0.05, 0.03, 0.01, 0.01};
        static constexpr std::array<double, kBuckets> kErrIncident = {0.2, 0.05, 0.05, 0.1, 0.6};
        Interval& iv = intervals_[i][k];
        iv.ok = split(requests - errors, incident ? kOkIncident : kOk, uniform(i, k, 4));
        iv.err = split(errors, incident ? kErrIncident : kErr, uniform(i, k, 5));

        // Instance b's process restarts at the start of the interval ending at reset_at: its
        // counters hold only this interval's requests.
        const bool restart = i == 1 && t == reset_at_;
        Sample before = value[i];
        Sample& v = value[i];
        if (restart) v = Sample{};
        v.ok += iv.ok_total();
        v.err += iv.err_total();
        int64_t cum = 0;
        for (int j = 0; j < kBuckets; ++j) {
          cum += iv.ok[j] + iv.err[j];
          v.bucket[j] += cum;
          v.sum_ms += (iv.ok[j] + iv.err[j]) * kLatencyMs[j];
        }
        if (restart) {
          check_reset(before.ok, v.ok);
          check_reset(before.err, v.err);
          for (int j = 0; j < kBuckets; ++j) check_reset(before.bucket[j], v.bucket[j]);
        }
        samples_[i].push_back(v);
      }
    }
  }

  // A counter that restarted from `before` to `after` must read as a reset to both TSDBs, or
  // the increase they compute (and the events) would not be this interval's requests.
  static void check_reset(int64_t before, int64_t after) {
    if (before == 0) return;  // no drop: the increase is `after` either way
    if (!(after * 8 <= before * 7)) {
      throw std::logic_error("ScriptedSeries: a counter reset from " + std::to_string(before) + " to " +
                             std::to_string(after) + " is not one for VictoriaMetrics (needs at most 7/8)");
    }
  }

  static void append_int(std::string& out, int64_t v) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
  }
  // Value then timestamp (seconds for OpenMetrics, milliseconds for the import).
  static void append_sample(std::string& out, const std::string& series, int64_t value, int64_t t, bool om) {
    out += series;
    out += ' ';
    append_int(out, value);
    out += ' ';
    append_int(out, om ? t : t * 1000);
    out += '\n';
  }
  static void append_seconds(std::string& out, const std::string& series, int64_t ms, int64_t t, bool om) {
    out += series;
    out += ' ';
    append_int(out, ms / 1000);
    out += '.';
    const int64_t frac = ms % 1000;
    if (frac < 100) out += '0';
    if (frac < 10) out += '0';
    append_int(out, frac);
    out += ' ';
    append_int(out, om ? t : t * 1000);
    out += '\n';
  }

  std::string exposition(bool om) const {
    std::string out;
    out.reserve((intervals() + 1) * 18 * 90);
    // OpenMetrics names a counter family without its _total suffix.
    out += om ? "# HELP http_requests Requests by status code.\n# TYPE http_requests counter\n"
              : "# HELP http_requests_total Requests by status code.\n# TYPE http_requests_total counter\n";
    for (int i = 0; i < 2; ++i) {
      const std::string labels = std::string("job=\"checkout\",instance=\"") + kInstances[i] + "\"";
      for (int code : {200, 503}) {
        const std::string series = "http_requests_total{" + labels + ",code=\"" + std::to_string(code) + "\"}";
        for (size_t s = 0; s < samples_[i].size(); ++s) {
          const Sample& v = samples_[i][s];
          append_sample(out, series, code == 200 ? v.ok : v.err, start_ + static_cast<int64_t>(s) * kStep, om);
        }
      }
    }
    out += "# HELP http_request_duration_seconds Request latency.\n# TYPE http_request_duration_seconds histogram\n";
    for (int i = 0; i < 2; ++i) {
      const std::string labels = std::string("job=\"checkout\",instance=\"") + kInstances[i] + "\"";
      std::array<std::string, kBuckets> buckets;
      for (int j = 0; j < kBuckets; ++j) {
        buckets[j] = "http_request_duration_seconds_bucket{" + labels + ",le=\"" + kLe[j] + "\"}";
      }
      const std::string count = "http_request_duration_seconds_count{" + labels + "}";
      const std::string sum_series = "http_request_duration_seconds_sum{" + labels + "}";
      // OpenMetrics: the buckets, count and sum of one histogram point together, points in time
      // order.
      for (size_t s = 0; s < samples_[i].size(); ++s) {
        const Sample& v = samples_[i][s];
        const int64_t t = start_ + static_cast<int64_t>(s) * kStep;
        for (int j = 0; j < kBuckets; ++j) append_sample(out, buckets[j], v.bucket[j], t, om);
        append_sample(out, count, v.bucket[kBuckets - 1], t, om);
        append_seconds(out, sum_series, v.sum_ms, t, om);
      }
    }
    if (om) out += "# EOF\n";
    return out;
  }

  int64_t end_, start_;
  int64_t reset_at_ = 0, incident_from_ = 0, incident_to_ = 0, burst_from_ = 0, burst_to_ = 0;
  std::array<std::vector<Interval>, 2> intervals_;
  std::array<std::vector<Sample>, 2> samples_;  // per instance, one per scrape from start()
};

}  // namespace sloguard::testing
