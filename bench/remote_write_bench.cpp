// Prometheus remote_write throughput against one receiver (sloguard or VictoriaMetrics), with
// the same pre-encoded request bodies for both: bench/remote_write.sh runs it against each.
//
//   remote_write_bench --url http://127.0.0.1:18490 [--target sloguard|vm] [--connections 2]
//                      [--requests 4800] [--samples-per-request 2000] [--format remote_write|json|both]
//                      [--json] [--start-ms MS] [--duration S] [--instances 50]
//
// The stream is what a fleet of Prometheus-scraped services sends: per (job, instance, handler)
// ten counters http_requests_total{code,handler,instance,job,method} (GET/POST x 200, 201, 404,
// 500, 503) and a classic histogram http_request_duration_seconds{handler,instance,job,le}
// (11 finite bounds 0.005..10 s, +Inf, _count, _sum), 24 series per group; with 2 jobs x 50
// instances x 10 handlers, 24,000 series. Every scrape round advances all of them by 15 s
// (one timestamp per round, as a scrape does): counters by Poisson increases around a
// per-series rate, the histogram by the same requests spread over a log-normal latency.
// Rounds start at --start-ms (default now - 2 h), so the stream ends in the past.
//
// Groups are sharded over the connections (group g to connection g % C; Prometheus shards by
// series, which keeps each series on one connection and in order). Each connection's shard is
// cut into requests of --samples-per-request samples, one TimeSeries per sample as
// Prometheus' queue manager sends them, labels sorted by name. Every request is distinct:
// successive rounds, nothing resent. Bodies are built and compressed before the clock starts.
//
// --format json sends the same stream as JSON: to VictoriaMetrics /api/v1/import JSON lines of
// the same samples, cut the same way; to sloguard /api/v1/events the increases its
// remote_write receiver would store from the same samples (one event per nonzero counter
// increase, and per nonzero increase of a histogram bucket's own count with latency_ms at the
// bucket's bound; none for _count, _sum and first samples), 2,000 events per request, so
// fewer requests for the same rounds. samples_per_s counts the remote_write samples of the
// stream a request stands for: the same unit for every target and format.
//
// Every answer must be 2xx; the first failure stops the run (exit 1).
#include <httplib.h>
#include <snappy.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <numbers>
#include <string>
#include <thread>
#include <vector>

#include "proto/remote_write.pb.h"

namespace {

using Steady = std::chrono::steady_clock;

constexpr int64_t kScrapeIntervalMs = 15000;
constexpr int kCountersPerGroup = 10;  // 2 methods x 5 codes
constexpr const char* kJobs[] = {"checkout", "search"};
constexpr const char* kMethods[] = {"GET", "POST"};
constexpr const char* kCodes[] = {"200", "201", "404", "500", "503"};
constexpr double kCodeShare[] = {0.93, 0.03, 0.025, 0.01, 0.005};
constexpr const char* kHandlers[] = {"/api/v1/cart",   "/api/v1/checkout", "/api/v1/pay",    "/api/v1/search",
                                     "/api/v1/suggest", "/api/v1/product",  "/api/v1/orders", "/api/v1/user",
                                     "/healthz",        "/metrics"};
constexpr double kBounds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
constexpr const char* kBoundText[] = {"0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10"};
constexpr int kFiniteBuckets = 11;
constexpr int kSeriesPerGroup = kCountersPerGroup + kFiniteBuckets + 1 + 2;  // + +Inf, _count, _sum

struct Rng {  // splitmix64: the same stream on every platform and library
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double normal() {
    double u = std::max(uniform(), 1e-300), v = uniform();
    return std::sqrt(-2 * std::log(u)) * std::cos(2 * std::numbers::pi * v);
  }
  uint64_t poisson(double mean) {
    if (mean <= 0) return 0;
    if (mean > 30) return static_cast<uint64_t>(std::max(0.0, std::round(mean + std::sqrt(mean) * normal())));
    const double limit = std::exp(-mean);
    uint64_t k = 0;
    for (double p = uniform(); p > limit; p *= uniform()) ++k;
    return k;
  }
};

using Labels = std::vector<std::pair<std::string, std::string>>;  // sorted by name

struct Series {
  Labels labels;
  std::string vm_metric;  // {"__name__":...,...}: the `metric` object of an /api/v1/import line
};

// One (job, instance, handler): its 24 series and their values.
struct Group {
  int job = 0;
  int handler = 0;
  std::vector<Series> series;   // counters (method-major), buckets ascending, +Inf, _count, _sum
  double rate[kCountersPerGroup];  // requests/s per counter
  double median_s = 0.1;        // latency
  double sigma = 0.7;
  double value[kSeriesPerGroup] = {};
  Rng rng{0};
};

std::string json_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

Series make_series(Labels labels) {
  std::sort(labels.begin(), labels.end());
  Series s;
  s.vm_metric = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i) s.vm_metric += ',';
    s.vm_metric += '"' + json_escape(labels[i].first) + "\":\"" + json_escape(labels[i].second) + '"';
  }
  s.vm_metric += '}';
  s.labels = std::move(labels);
  return s;
}

Group make_group(int job, int instance, int handler, uint64_t seed) {
  Group g;
  g.job = job;
  g.handler = handler;
  g.rng = Rng{seed * 0x2545F4914F6CDD1DULL + 12345};
  char inst[64];
  std::snprintf(inst, sizeof inst, "%s-%02d.prod.internal:8080", kJobs[job], instance);
  const std::string handler_s = kHandlers[handler];
  // Popularity falls off by handler; instances differ by +-20%.
  const double per_instance = 40.0 / (1 + handler) * (0.8 + 0.4 * g.rng.uniform());
  for (int m = 0; m < 2; ++m) {
    for (int c = 0; c < 5; ++c) {
      g.series.push_back(make_series({{"__name__", "http_requests_total"}, {"job", kJobs[job]}, {"instance", inst},
                                      {"handler", handler_s}, {"method", kMethods[m]}, {"code", kCodes[c]}}));
      g.rate[m * 5 + c] = per_instance * (m == 0 ? 0.8 : 0.2) * kCodeShare[c];
    }
  }
  for (int b = 0; b <= kFiniteBuckets; ++b) {
    g.series.push_back(make_series({{"__name__", "http_request_duration_seconds_bucket"}, {"job", kJobs[job]},
                                    {"instance", inst}, {"handler", handler_s},
                                    {"le", b < kFiniteBuckets ? kBoundText[b] : "+Inf"}}));
  }
  for (const char* suffix : {"_count", "_sum"}) {
    g.series.push_back(make_series({{"__name__", std::string("http_request_duration_seconds") + suffix},
                                    {"job", kJobs[job]}, {"instance", inst}, {"handler", handler_s}}));
  }
  g.median_s = 0.012 * std::pow(1.6, handler % 7) * (0.9 + 0.2 * g.rng.uniform());
  // The process has been up for a while: counters start somewhere, consistently.
  const double uptime_s = 3600 * (1 + 47 * g.rng.uniform());
  double total = 0;
  for (int i = 0; i < kCountersPerGroup; ++i) {
    g.value[i] = std::floor(g.rate[i] * uptime_s);
    total += g.value[i];
  }
  for (int b = 0; b < kFiniteBuckets; ++b) {
    const double z = (std::log(kBounds[b]) - std::log(g.median_s)) / g.sigma;
    g.value[kCountersPerGroup + b] = std::floor(total * 0.5 * std::erfc(-z / std::sqrt(2.0)));
  }
  g.value[kCountersPerGroup + kFiniteBuckets] = total;
  g.value[kCountersPerGroup + kFiniteBuckets + 1] = total;
  g.value[kCountersPerGroup + kFiniteBuckets + 2] = total * g.median_s * std::exp(g.sigma * g.sigma / 2);
  return g;
}

// The increases one scrape interval adds to each series of the group (counters and the
// cumulative buckets; _count and _sum follow).
void advance(Group& g, uint64_t inc[kSeriesPerGroup]) {
  uint64_t total = 0;
  for (int i = 0; i < kCountersPerGroup; ++i) {
    inc[i] = g.rng.poisson(g.rate[i] * kScrapeIntervalMs / 1000.0);
    total += inc[i];
  }
  // The round's requests spread over the buckets: cumulative share at each bound, jittered.
  const double jitter = 1 + 0.15 * g.rng.normal();
  const double median = g.median_s * std::clamp(jitter, 0.5, 2.0);
  uint64_t prev = 0;
  for (int b = 0; b < kFiniteBuckets; ++b) {
    const double z = (std::log(kBounds[b]) - std::log(median)) / g.sigma;
    uint64_t cum = static_cast<uint64_t>(std::floor(static_cast<double>(total) * 0.5 * std::erfc(-z / std::sqrt(2.0))));
    cum = std::max(cum, prev);
    inc[kCountersPerGroup + b] = cum;
    prev = cum;
  }
  inc[kCountersPerGroup + kFiniteBuckets] = total;      // +Inf
  inc[kCountersPerGroup + kFiniteBuckets + 1] = total;  // _count
  inc[kCountersPerGroup + kFiniteBuckets + 2] = 0;      // _sum: added below as a double
  for (int i = 0; i < kCountersPerGroup + kFiniteBuckets + 2; ++i) g.value[i] += static_cast<double>(inc[i]);
  g.value[kCountersPerGroup + kFiniteBuckets + 2] += static_cast<double>(total) * median * std::exp(g.sigma * g.sigma / 2);
}

enum class Format { kRemoteWrite, kJson };

struct Body {
  std::string data;
  uint64_t raw_bytes = 0;       // before compression (equal to data.size() for JSON)
  uint64_t items = 0;           // samples (remote_write, VM JSON) or events (sloguard JSON)
  uint64_t stream_samples = 0;  // remote_write samples of the stream this request stands for
};

void append_number(std::string& out, double v) {
  char b[32];
  auto [p, ec] = std::to_chars(b, b + sizeof b, v);
  out.append(b, p);
}
void append_int(std::string& out, int64_t v) {
  char b[24];
  auto [p, ec] = std::to_chars(b, b + sizeof b, v);
  out.append(b, p);
}

// Builds one connection's requests, one kind of body at a time.
class ShardWriter {
 public:
  // The shard's stream is max_samples samples; for sloguard's events that is fewer requests.
  ShardWriter(Format format, bool sloguard, size_t per_request, uint64_t max_samples, std::vector<Body>& out)
      : format_(format), sloguard_events_(format == Format::kJson && sloguard), per_request_(per_request),
        max_samples_(max_samples), out_(out) {}

  bool full() const { return samples_ >= max_samples_; }

  // One sample of the stream; `own_increase` is the events sloguard stores for it (the
  // counter's increase, or a bucket's increase over the bucket below), -1 for none
  // (_count, _sum, and the first sample of a series).
  void add(const Group& g, int si, double value, int64_t ts_ms, int64_t own_increase, double le_ms) {
    if (full()) return;
    ++samples_;
    ++stream_samples_;
    if (sloguard_events_) {
      if (own_increase > 0) add_event(g, si, ts_ms, own_increase, le_ms);
    } else if (format_ == Format::kJson) {
      add_vm_line(g.series[si], value, ts_ms);
    } else {
      add_proto(g.series[si], value, ts_ms);
    }
    if (items_ == per_request_ || full()) flush();
  }

  void flush() {
    if (items_ == 0) return;
    Body b;
    if (format_ == Format::kRemoteWrite) {
      std::string raw;
      req_.SerializeToString(&raw);
      snappy::Compress(raw.data(), raw.size(), &b.data);
      b.raw_bytes = raw.size();
      req_.Clear();  // keeps the allocated messages for the next request
    } else {
      if (sloguard_events_) text_ += "]}";
      b.data = std::move(text_);
      b.raw_bytes = b.data.size();
      text_.clear();
    }
    b.items = items_;
    b.stream_samples = stream_samples_;
    out_.push_back(std::move(b));
    items_ = 0;
    stream_samples_ = 0;
  }

 private:
  void add_proto(const Series& s, double value, int64_t ts_ms) {
    auto* ts = req_.add_timeseries();
    for (const auto& [n, v] : s.labels) {
      auto* l = ts->add_labels();
      l->set_name(n);
      l->set_value(v);
    }
    auto* smp = ts->add_samples();
    smp->set_value(value);
    smp->set_timestamp(ts_ms);
    ++items_;
  }

  void add_vm_line(const Series& s, double value, int64_t ts_ms) {
    text_ += "{\"metric\":";
    text_ += s.vm_metric;
    text_ += ",\"values\":[";
    append_number(text_, value);
    text_ += "],\"timestamps\":[";
    append_int(text_, ts_ms);
    text_ += "]}\n";
    ++items_;
  }

  void add_event(const Group& g, int si, int64_t ts_ms, int64_t count, double le_ms) {
    text_ += items_ == 0 ? "{\"events\":[" : ",";
    text_ += "{\"service\":\"";
    text_ += kJobs[g.job];
    text_ += "\",\"ts\":";
    append_int(text_, ts_ms / 1000);
    text_ += ",\"status\":";
    text_ += si < kCountersPerGroup ? kCodes[si % 5] : "200";
    text_ += ",\"count\":";
    append_int(text_, count);
    text_ += ",\"endpoint\":\"";
    text_ += kHandlers[g.handler];
    text_ += '"';
    if (le_ms >= 0) {
      text_ += ",\"latency_ms\":";
      append_number(text_, le_ms);
    }
    text_ += '}';
    ++items_;
  }

  Format format_;
  bool sloguard_events_;
  size_t per_request_;
  uint64_t max_samples_;
  std::vector<Body>& out_;
  sloguard::prompb::WriteRequest req_;
  std::string text_;
  size_t items_ = 0;
  uint64_t samples_ = 0;         // of the shard's stream, so far
  uint64_t stream_samples_ = 0;  // in the request being built
};

struct Shard {
  std::vector<Group> groups;
  std::vector<Body> bodies;
  int64_t last_ts_ms = 0;
  uint64_t rounds = 0;
};

// Fills the shard with `requests` x per_request samples of successive scrape rounds.
void generate(Shard& shard, Format format, bool sloguard, size_t per_request, size_t requests, int64_t start_ms) {
  ShardWriter w(format, sloguard, per_request, static_cast<uint64_t>(requests) * per_request, shard.bodies);
  uint64_t inc[kSeriesPerGroup];
  for (uint64_t round = 0; !w.full(); ++round) {
    if (shard.groups.empty()) break;
    const int64_t ts = start_ms + static_cast<int64_t>(round) * kScrapeIntervalMs;
    for (Group& g : shard.groups) {
      if (round > 0) advance(g, inc);
      for (int si = 0; si < kSeriesPerGroup; ++si) {
        int64_t own = -1;
        double le_ms = -1;
        if (round > 0 && si < kCountersPerGroup) {
          own = static_cast<int64_t>(inc[si]);
        } else if (round > 0 && si <= kCountersPerGroup + kFiniteBuckets) {
          const int b = si - kCountersPerGroup;
          own = static_cast<int64_t>(inc[si] - (b > 0 ? inc[si - 1] : 0));
          // sloguard puts +Inf's events just above the largest finite bound.
          le_ms = b < kFiniteBuckets ? kBounds[b] * 1000 : kBounds[kFiniteBuckets - 1] * 1000 + 0.001;
        }
        w.add(g, si, g.value[si], ts, own, le_ms);
      }
    }
    shard.last_ts_ms = ts;
    shard.rounds = round + 1;
  }
  w.flush();
}

uint64_t fnv1a(uint64_t h, std::string_view s) {
  for (unsigned char c : s) h = (h ^ c) * 0x100000001B3ULL;
  return h;
}

struct Result {
  uint64_t requests = 0, items = 0, stream_samples = 0, bytes = 0, raw_bytes = 0;
  std::vector<double> latencies_ms;
};

// Sends the bodies of every shard, one connection per shard; false on the first non-2xx.
bool send_all(const std::string& url, const std::string& path, const httplib::Headers& headers,
              const std::string& content_type, std::vector<Shard>& shards, double duration_s, Result& total,
              double& seconds, std::string& error) {
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::vector<std::thread> threads;
  std::vector<Result> results(shards.size());
  std::atomic<size_t> ready{0};
  std::atomic<bool> go{false};
  Steady::time_point start;
  for (size_t c = 0; c < shards.size(); ++c) {
    threads.emplace_back([&, c] {
      httplib::Client client(url);
      client.set_keep_alive(true);
      client.set_tcp_nodelay(true);
      client.set_read_timeout(std::chrono::seconds(60));
      client.set_write_timeout(std::chrono::seconds(60));
      client.set_default_headers(headers);
      Result& r = results[c];
      r.latencies_ms.reserve(shards[c].bodies.size());
      ++ready;
      while (!go.load()) std::this_thread::yield();
      for (const Body& b : shards[c].bodies) {
        if (stop.load()) break;
        if (duration_s > 0 && std::chrono::duration<double>(Steady::now() - start).count() >= duration_s) break;
        const auto t0 = Steady::now();
        auto res = client.Post(path.c_str(), b.data, content_type.c_str());
        const double ms = std::chrono::duration<double, std::milli>(Steady::now() - t0).count();
        if (!res || res->status < 200 || res->status > 299) {
          std::lock_guard<std::mutex> lock(mu);
          if (error.empty()) {
            error = res ? "HTTP " + std::to_string(res->status) + ": " + res->body.substr(0, 400)
                        : "request failed: " + httplib::to_string(res.error());
            error += " (connection " + std::to_string(c) + ", request " + std::to_string(r.requests) + ")";
          }
          stop = true;
          break;
        }
        r.latencies_ms.push_back(ms);
        ++r.requests;
        r.items += b.items;
        r.stream_samples += b.stream_samples;
        r.bytes += b.data.size();
        r.raw_bytes += b.raw_bytes;
      }
    });
  }
  while (ready.load() < shards.size()) std::this_thread::yield();
  start = Steady::now();
  go = true;
  for (auto& t : threads) t.join();
  seconds = std::chrono::duration<double>(Steady::now() - start).count();
  for (Result& r : results) {
    total.requests += r.requests;
    total.items += r.items;
    total.stream_samples += r.stream_samples;
    total.bytes += r.bytes;
    total.raw_bytes += r.raw_bytes;
    total.latencies_ms.insert(total.latencies_ms.end(), r.latencies_ms.begin(), r.latencies_ms.end());
  }
  return error.empty();
}

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p / 100.0 * static_cast<double>(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"remote_write throughput: pre-encoded Prometheus remote_write (or JSON) requests to one receiver"};
  std::string url = "http://127.0.0.1:18490";
  std::string target = "sloguard";
  std::string format_name = "remote_write";
  bool json = false;
  int connections = 2;
  size_t requests = 4800;
  size_t per_request = 2000;
  int instances = 50;
  int64_t start_ms = 0;
  double duration_s = 0;
  app.add_option("--url", url, "receiver base URL")->capture_default_str();
  app.add_option("--target", target, "what the receiver is: sloguard or vm (decides the JSON paths)")
      ->check(CLI::IsMember({"sloguard", "vm"}))
      ->capture_default_str();
  app.add_option("--connections", connections, "concurrent keep-alive connections (= shards)")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  app.add_option("--requests", requests,
                 "the stream is this many remote_write requests, over all connections (sloguard's JSON "
                 "events of the same rounds take fewer)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--samples-per-request", per_request, "samples (or events) per request")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--instances", instances, "instances per job (24 series per instance and handler)")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  app.add_option("--format", format_name, "remote_write (snappy protobuf), json, or both (one after the other)")
      ->check(CLI::IsMember({"remote_write", "json", "both"}))
      ->capture_default_str();
  app.add_flag("--json", json, "also send the JSON form (= --format both)");
  app.add_option("--start-ms", start_ms, "timestamp of the first scrape round, Unix ms (default: now - 2h)");
  app.add_option("--duration", duration_s, "stop after this many seconds even if the stream is not sent (0: whole stream)");
  CLI11_PARSE(app, argc, argv);
  if (json) format_name = "both";

  const int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  if (start_ms == 0) start_ms = (now_ms - 2 * 3600 * 1000) / kScrapeIntervalMs * kScrapeIntervalMs;
  const bool sloguard = target == "sloguard";

  std::vector<Format> formats;
  if (format_name != "json") formats.push_back(Format::kRemoteWrite);
  if (format_name != "remote_write") formats.push_back(Format::kJson);

  int status = 0;
  for (Format format : formats) {
    // Groups (job, instance, handler) in scrape order, dealt to the shards.
    const auto t_gen = Steady::now();
    std::vector<Shard> shards(static_cast<size_t>(connections));
    uint64_t gi = 0;
    for (int j = 0; j < 2; ++j) {
      for (int i = 0; i < instances; ++i) {
        for (int h = 0; h < 10; ++h, ++gi) {
          shards[gi % shards.size()].groups.push_back(make_group(j, i, h, gi));
        }
      }
    }
    std::vector<std::thread> gen;
    for (size_t c = 0; c < shards.size(); ++c) {
      const size_t n = requests / shards.size() + (c < requests % shards.size() ? 1 : 0);
      gen.emplace_back([&, c, n] { generate(shards[c], format, sloguard, per_request, n, start_ms); });
    }
    for (auto& t : gen) t.join();
    uint64_t checksum = 0xcbf29ce484222325ULL, bodies = 0, rounds = 0;
    int64_t last_ts = 0;
    for (Shard& s : shards) {
      for (const Body& b : s.bodies) checksum = fnv1a(checksum, b.data);
      bodies += s.bodies.size();
      rounds = std::max(rounds, s.rounds);
      last_ts = std::max(last_ts, s.last_ts_ms);
      std::vector<Group>().swap(s.groups);
    }
    const double gen_s = std::chrono::duration<double>(Steady::now() - t_gen).count();
    const char* fname = format == Format::kRemoteWrite ? "remote_write" : "json";
    std::fprintf(stderr,
                 "%s: %llu bodies of %zu %s, %llu scrape rounds (%lld..%lld ms, %d series), checksum %016llx, "
                 "built in %.1f s\n",
                 fname, static_cast<unsigned long long>(bodies), per_request,
                 format == Format::kJson && sloguard ? "events" : "samples", static_cast<unsigned long long>(rounds),
                 static_cast<long long>(start_ms), static_cast<long long>(last_ts), 2 * instances * 10 * kSeriesPerGroup,
                 static_cast<unsigned long long>(checksum), gen_s);
    if (last_ts > now_ms) {
      std::fprintf(stderr, "the stream ends %.0f s in the future: use fewer --requests or an earlier --start-ms\n",
                   (last_ts - now_ms) / 1000.0);
      return 2;
    }

    httplib::Headers headers;
    std::string path, content_type;
    if (format == Format::kRemoteWrite) {
      path = "/api/v1/write";
      content_type = "application/x-protobuf";
      headers = {{"Content-Encoding", "snappy"}, {"X-Prometheus-Remote-Write-Version", "0.1.0"},
                 {"User-Agent", "remote_write_bench"}};
    } else {
      path = sloguard ? "/api/v1/events" : "/api/v1/import";
      content_type = sloguard ? "application/json" : "application/stream+json";
    }
    Result r;
    double secs = 0;
    std::string error;
    const bool ok = send_all(url, path, headers, content_type, shards, duration_s, r, secs, error);
    const double p50 = percentile(r.latencies_ms, 50), p99 = percentile(r.latencies_ms, 99);
    std::printf("target=%s format=%s connections=%d requests=%llu items=%llu stream_samples=%llu seconds=%.3f "
                "samples_per_s=%.0f items_per_s=%.0f requests_per_s=%.1f bytes=%llu raw_bytes=%llu "
                "p50_ms=%.2f p99_ms=%.2f checksum=%016llx failures=%d\n",
                target.c_str(), fname, connections, static_cast<unsigned long long>(r.requests),
                static_cast<unsigned long long>(r.items), static_cast<unsigned long long>(r.stream_samples), secs,
                r.stream_samples / secs, r.items / secs, r.requests / secs, static_cast<unsigned long long>(r.bytes),
                static_cast<unsigned long long>(r.raw_bytes), p50, p99, static_cast<unsigned long long>(checksum),
                ok ? 0 : 1);
    std::fflush(stdout);
    if (!ok) {
      std::fprintf(stderr, "remote_write_bench: %s; stopped\n", error.c_str());
      status = 1;
      break;
    }
  }
  return status;
}
