// The built-in prober under load: N HTTP probes at a fixed interval against a loopback
// cpp-httplib server, all on the prober's one thread, for a while.
//
//   probe_bench [--probes 500] [--interval-ms 1000] [--seconds 20] [--warmup-seconds 3] [--reuse]
//               [--host 127.0.0.1]
//
// --reuse keeps connections alive between runs (ProberOptions::reuse_connections); without
// it every run opens a new connection, the default. Reports the prober thread's CPU time as
// a share of one core (CLOCK_THREAD_CPUTIME_ID read in the sink, which runs on the prober
// thread, so the server's threads in this process do not count), results/s, failures by
// reason and latency percentiles, over the time after the warm-up (by then every probe has
// had its jittered first run). --host takes another name for the server (it listens on
// 127.0.0.1): curl answers "localhost" itself, but any other name goes to its threaded
// resolver, a short-lived thread per run (runs do not cache DNS), which only the
// whole-process figure sees.
#include <httplib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "sloguard/collector/probe.h"
#include "sloguard/common/clock.h"
#include "sloguard/common/log.h"
#include "sloguard/config/config.h"

using namespace sloguard;
using Steady = std::chrono::steady_clock;

namespace {

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double process_cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto s = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6; };
  return s(ru.ru_utime) + s(ru.ru_stime);
}

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p / 100.0 * static_cast<double>(v.size())))];
}

// What the sink sees; touched only on the prober thread until stop() has joined it.
struct Measure {
  Steady::time_point window_start;  // results from here on count
  bool started = false;
  Steady::time_point first_wall, last_wall;
  double first_cpu = 0, last_cpu = 0;
  uint64_t results = 0;
  std::map<std::string, uint64_t> by_outcome;
  std::vector<double> latencies_ms;
  uint64_t results_total = 0;
};

}  // namespace

int main(int argc, char** argv) {
  int probes = 500, interval_ms = 1000, seconds = 20, warmup = 3;
  bool reuse = false;
  std::string host = "127.0.0.1";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&] { return i + 1 < argc ? std::atoi(argv[++i]) : 0; };
    if (a == "--probes") probes = next();
    else if (a == "--interval-ms") interval_ms = next();
    else if (a == "--seconds") seconds = next();
    else if (a == "--warmup-seconds") warmup = next();
    else if (a == "--reuse") reuse = true;
    else if (a == "--host" && i + 1 < argc) host = argv[++i];
    else {
      std::fprintf(stderr, "usage: probe_bench [--probes N] [--interval-ms MS] [--seconds S] [--warmup-seconds S] [--reuse] [--host H]\n");
      return 2;
    }
  }
  log::set_level(log::Level::kWarn);

  // The target. A kept-alive connection holds a cpp-httplib worker while idle, so --reuse
  // needs a worker per connection curl may keep.
  httplib::Server server;
  const size_t workers = reuse ? static_cast<size_t>(probes) + 16 : 16;
  server.new_task_queue = [workers] { return new httplib::ThreadPool(workers); };
  server.set_keep_alive_max_count(1000000);
  int listen_fd = -1;
  server.set_socket_options([&](socket_t sock) {
    httplib::default_socket_options(sock);
    listen_fd = sock;
  });
  server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok", "text/plain"); });
  const int port = server.bind_to_any_port("127.0.0.1");
  if (port <= 0) {
    std::fprintf(stderr, "cannot bind 127.0.0.1\n");
    return 1;
  }
  ::listen(listen_fd, SOMAXCONN);  // cpp-httplib's backlog of 5 drops SYNs of bursts
  std::thread server_thread([&] { server.listen_after_bind(); });
  while (!server.is_running()) std::this_thread::yield();

  auto cfg = std::make_shared<config::Config>();
  config::ServiceConfig svc;
  svc.name = "bench";
  for (int i = 0; i < probes; ++i) {
    config::ProbeConfig p;
    p.name = "probe-" + std::to_string(i);
    p.service = svc.name;
    p.http.url = "http://" + host + ":" + std::to_string(port) + "/healthz";
    p.interval_ms = interval_ms;
    p.timeout_ms = std::min(interval_ms, 1000);
    svc.probes.push_back(std::move(p));
  }
  cfg->services.push_back(std::move(svc));
  std::shared_ptr<const config::Config> frozen = cfg;

  Measure m;
  m.window_start = Steady::now() + std::chrono::seconds(warmup);
  collector::ProberOptions options;
  options.reuse_connections = reuse;
  collector::Prober prober(SystemClock::instance(), options);

  const double proc_cpu0 = process_cpu_seconds();
  const auto wall0 = Steady::now();
  prober.start([frozen] { return frozen; }, [&m](std::vector<collector::ProbeResult> batch) {
    m.results_total += batch.size();
    const auto now = Steady::now();
    if (now < m.window_start) return;
    const double cpu = thread_cpu_seconds();
    if (!m.started) {
      // This batch opens the window; it counts towards the next one's rate only.
      m.started = true;
      m.first_wall = now;
      m.first_cpu = cpu;
    } else {
      m.results += batch.size();
      for (const auto& r : batch) {
        ++m.by_outcome[collector::probe_outcome_name(r.outcome)];
        m.latencies_ms.push_back(r.latency_ms);
      }
    }
    m.last_wall = now;
    m.last_cpu = cpu;
  });
  std::this_thread::sleep_for(std::chrono::seconds(warmup + seconds));
  prober.stop();
  const double proc_cpu = process_cpu_seconds() - proc_cpu0;
  const double wall = std::chrono::duration<double>(Steady::now() - wall0).count();
  server.stop();
  server_thread.join();

  const double window = std::chrono::duration<double>(m.last_wall - m.first_wall).count();
  if (!m.started || window <= 0) {
    std::fprintf(stderr, "no results in the measuring window (%llu in all)\n",
                 static_cast<unsigned long long>(m.results_total));
    return 1;
  }
  const uint64_t failures = m.results - m.by_outcome["success"];
  std::printf("probes %d, interval %d ms, connections %s, window %.1f s after %d s warm-up\n", probes, interval_ms,
              reuse ? "kept alive" : "new per run", window, warmup);
  std::printf("results %llu, %.1f/s (expected %.1f/s), failures %llu\n", static_cast<unsigned long long>(m.results),
              static_cast<double>(m.results) / window, 1000.0 * probes / interval_ms,
              static_cast<unsigned long long>(failures));
  for (const auto& [name, n] : m.by_outcome) std::printf("  %-8s %llu\n", name.c_str(), static_cast<unsigned long long>(n));
  std::printf("prober thread CPU %.2f%% of one core (%.3f s over %.1f s)\n", 100.0 * (m.last_cpu - m.first_cpu) / window,
              m.last_cpu - m.first_cpu, window);
  std::printf("whole process CPU %.1f%% of one core, server threads included (%.2f s over %.1f s)\n",
              100.0 * proc_cpu / wall, proc_cpu, wall);
  std::printf("latency ms p50 %.3f, p99 %.3f, max %.3f\n", percentile(m.latencies_ms, 50), percentile(m.latencies_ms, 99),
              percentile(m.latencies_ms, 100));
  return failures == 0 ? 0 : 1;
}
