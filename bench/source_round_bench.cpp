// One evaluation round of many SLOs read from a Prometheus-compatible query API
// (slo::PrometheusSource): cold (empty cache), warm, and when a new 5m block settles. See
// bench/README.md and bench/source_round.sh, which loads real TSDBs and runs this.
//
//   source_round_bench generate --format openmetrics|prometheus --services N --start T --end T [--interval 60]
//       counters http_requests_total{job="svcI",code="200"|"500"} on [start, end), series by series
//   source_round_bench config --url URL --name NAME --services N    the SLO config `run` evaluates
//   source_round_bench run --url URL --name NAME --services N --at T [--cycles 3] [--threads 0]
//       cold round at T, then per cycle 4 warm rounds (+60 s each) and one where a block settles
//
// `at` should be 120 s past a 5-minute boundary: the newest settled block then changes only
// at at+300, at+600, ... (blocks settle 120 s after their end), so the +60..+240 rounds are
// warm ones and each +300 round reads one new block per query.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "sloguard/common/clock.h"
#include "sloguard/config/config.h"
#include "sloguard/net/http_sender.h"
#include "sloguard/slo/engine.h"
#include "sloguard/slo/prometheus_source.h"

using namespace sloguard;

namespace {

std::map<std::string, std::string> parse_flags(int argc, char** argv, int first) {
  std::map<std::string, std::string> f;
  for (int i = first; i + 1 < argc; i += 2) f[argv[i]] = argv[i + 1];
  return f;
}

int64_t flag(const std::map<std::string, std::string>& f, const std::string& name, int64_t dflt) {
  auto it = f.find(name);
  return it == f.end() ? dflt : std::strtoll(it->second.c_str(), nullptr, 10);
}

uint64_t mix(uint64_t x) {  // splitmix64: deterministic noise per (service, minute)
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
double unit(uint64_t x) { return static_cast<double>(mix(x) >> 11) / 9007199254740992.0; }

// Per scrape: requests grow by a service's base rate (20..300 per minute) with a daily swing
// and noise; 0.1..0.6% of them are 5xx, ten times that during a 2-hour incident on day 10.
int generate(const std::map<std::string, std::string>& f) {
  const bool om = f.count("--format") && f.at("--format") == "openmetrics";
  const int64_t services = flag(f, "--services", 1000), start = flag(f, "--start", 0), end = flag(f, "--end", 0);
  const int64_t interval = flag(f, "--interval", 60);
  const int64_t first = flag(f, "--first-service", 0), last = flag(f, "--last-service", services);
  if (end <= start || interval <= 0) {
    std::fprintf(stderr, "generate: need --start < --end and --interval > 0\n");
    return 2;
  }
  static char buf[1 << 20];
  std::setvbuf(stdout, buf, _IOFBF, sizeof buf);
  if (om) std::fputs("# HELP http_requests Requests by status code.\n# TYPE http_requests counter\n", stdout);
  const int64_t t0 = (start + interval - 1) / interval * interval;
  std::vector<std::pair<uint64_t, uint64_t>> values;  // (ok, errors) per scrape
  for (int64_t s = first; s < last; ++s) {
    const double base = 20 + static_cast<double>((s * 7919) % 281);
    const double err = 0.001 + 0.005 * unit(static_cast<uint64_t>(s) * 31 + 7);
    values.clear();
    uint64_t ok = 0, bad = 0;
    for (int64_t t = t0; t < end; t += interval) {
      const uint64_t key = static_cast<uint64_t>(s) << 40 ^ static_cast<uint64_t>(t);
      const double day = static_cast<double>(t % 86400) / 86400.0;
      const double n = base * static_cast<double>(interval) / 60 * (1 + 0.5 * __builtin_sin(6.283185307 * day)) *
                       (0.8 + 0.4 * unit(key));
      const bool incident = (t - t0) / 3600 == 240 + s % 20 || (t - t0) / 3600 == 241 + s % 20;
      const double e = n * err * (incident ? 10 : 1);
      const uint64_t ne = static_cast<uint64_t>(e + unit(key ^ 0x5555));
      const uint64_t nt = std::max<uint64_t>(static_cast<uint64_t>(n), ne);
      ok += nt - ne;
      bad += ne;
      values.emplace_back(ok, bad);
    }
    for (int code = 0; code < 2; ++code) {
      int64_t t = t0;
      for (const auto& [o, b] : values) {
        const uint64_t v = code == 0 ? o : b;
        if (om) {
          std::printf("http_requests_total{job=\"svc%lld\",code=\"%s\"} %llu %lld\n", static_cast<long long>(s),
                      code == 0 ? "200" : "500", static_cast<unsigned long long>(v), static_cast<long long>(t));
        } else {
          std::printf("http_requests_total{job=\"svc%lld\",code=\"%s\"} %llu %lld000\n", static_cast<long long>(s),
                      code == 0 ? "200" : "500", static_cast<unsigned long long>(v), static_cast<long long>(t));
        }
        t += interval;
      }
    }
  }
  if (om) std::fputs("# EOF\n", stdout);
  return std::fflush(stdout) == 0 ? 0 : 1;
}

std::string config_yaml(const std::string& name, const std::string& url, int64_t services) {
  std::string y = "datasources: [{name: " + name + ", url: \"" + url + "\", timeout: 60s, max_concurrent_queries: 4}]\n";
  y += "services:\n";
  for (int64_t i = 0; i < services; ++i) y += "  - {name: svc" + std::to_string(i) + "}\n";
  y += "slos:\n";
  for (int64_t i = 0; i < services; ++i) {
    const std::string s = "svc" + std::to_string(i);
    y += "  - {name: " + s + "-availability, service: " + s + ", source: " + name +
         ", objective: 99.5%, window: 30d, sli: {kind: availability, prometheus: {bad: 'http_requests_total{job=\"" + s +
         "\",code=~\"5..\"}', total: 'http_requests_total{job=\"" + s + "\"}'}}}\n";
  }
  return y;
}

struct Round {
  std::string kind;  // cold, warm, settle
  int64_t at = 0;
  double wall_ms = 0;
  uint64_t requests = 0;
  double request_s = 0;  // sum of the requests' durations (they overlap: up to 4 at a time)
  size_t errors = 0, no_data = 0;
};

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int run(const std::map<std::string, std::string>& f) {
  const std::string url = f.count("--url") ? f.at("--url") : "";
  const std::string name = f.count("--name") ? f.at("--name") : "tsdb";
  const int64_t services = flag(f, "--services", 1000), at0 = flag(f, "--at", 0), cycles = flag(f, "--cycles", 3);
  const unsigned threads = static_cast<unsigned>(flag(f, "--threads", 0));
  if (url.empty() || at0 <= 0) {
    std::fprintf(stderr, "run: need --url and --at\n");
    return 2;
  }
  auto loaded = config::load_config_text(config_yaml(name, url, services));
  if (!loaded.ok()) {
    std::fprintf(stderr, "%s\n", loaded.errors.front().to_string().c_str());
    return 1;
  }
  const config::Config& cfg = *loaded.config;
  auto http = net::make_curl_sender();
  ManualClock clock(at0 * 1000);
  std::mutex mu;
  double request_s = 0;
  slo::PrometheusSource source(*cfg.find_datasource(name), *http, clock, [&](const slo::QueryEvent& e) {
    std::lock_guard<std::mutex> lock(mu);
    request_s += e.seconds;
  });
  slo::Engine engine(source);

  std::vector<Round> rounds;
  std::string first_error;
  auto round = [&](const std::string& kind, int64_t at) {
    clock.set_seconds(at);
    Round r{kind, at};
    const uint64_t req0 = source.requests();
    double s0;
    {
      std::lock_guard<std::mutex> lock(mu);
      s0 = request_s;
    }
    const auto t0 = std::chrono::steady_clock::now();
    const auto results = engine.evaluate_all(cfg, static_cast<double>(at), threads);
    r.wall_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    r.requests = source.requests() - req0;
    {
      std::lock_guard<std::mutex> lock(mu);
      r.request_s = request_s - s0;
    }
    for (const auto& res : results) {
      if (!res.ok() || res->source_error) {
        ++r.errors;
        if (first_error.empty()) {
          first_error = !res.ok() ? res.status().to_string() : res->name + ": " + res->source_error->message;
        }
      } else if (res->sli.total == 0 || res->burn_rates.size() != 8 || res->sli.bad() == 0) {
        ++r.no_data;  // every service has 5xx in 30 days and 8 burn-rate windows
      }
    }
    std::printf("%s %-6s at=%lld wall_ms=%.1f requests=%llu request_s=%.2f slos=%zu errors=%zu no_data=%zu\n",
                name.c_str(), kind.c_str(), static_cast<long long>(at), r.wall_ms,
                static_cast<unsigned long long>(r.requests), r.request_s, results.size(), r.errors, r.no_data);
    std::fflush(stdout);
    rounds.push_back(r);
  };

  round("cold", at0);
  for (int64_t c = 0; c < cycles; ++c) {
    for (int k = 1; k <= 4; ++k) round("warm", at0 + c * 300 + k * 60);
    round("settle", at0 + (c + 1) * 300);
  }
  std::map<std::string, std::vector<double>> wall, req, rs;
  size_t bad = 0;
  for (const auto& r : rounds) {
    wall[r.kind].push_back(r.wall_ms);
    req[r.kind].push_back(static_cast<double>(r.requests));
    rs[r.kind].push_back(r.request_s);
    bad += r.errors + r.no_data;
  }
  for (const char* k : {"cold", "warm", "settle"}) {
    std::printf("summary %s %s rounds=%zu median_wall_ms=%.1f median_requests=%.0f median_request_s=%.2f\n",
                name.c_str(), k, wall[k].size(), median(wall[k]), median(req[k]), median(rs[k]));
  }
  if (bad) {
    std::fprintf(stderr, "%zu SLO evaluations failed or had no data; first error: %s\n", bad, first_error.c_str());
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string cmd = argc > 1 ? argv[1] : "";
  const auto f = parse_flags(argc, argv, 2);
  if (cmd == "generate") return generate(f);
  if (cmd == "run") return run(f);
  if (cmd == "config") {  // the config that `run` evaluates, for `sloguard rules export`
    std::fputs(config_yaml(f.count("--name") ? f.at("--name") : "tsdb", f.count("--url") ? f.at("--url") : "",
                           flag(f, "--services", 1000))
                   .c_str(),
               stdout);
    return 0;
  }
  std::fprintf(stderr, "usage: source_round_bench generate|run [flags] (see the top of bench/source_round_bench.cpp)\n");
  return 2;
}
