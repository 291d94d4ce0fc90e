// A synthetic request-metrics stream: steady traffic per service with a realistic mix of
// endpoints, statuses and latencies, optionally an incident (a burst of 5xx) in the first service.
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "commands.h"

namespace sloguard::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct Endpoint {
  const char* path;
  double weight;
  double median_ms;
};
constexpr Endpoint kEndpoints[] = {
    {"/api/v1/items", 0.45, 35}, {"/api/v1/cart", 0.25, 60}, {"/api/v1/pay", 0.10, 180},
    {"/api/v1/search", 0.15, 80}, {"/healthz", 0.05, 3},
};

// Builds one request body with plain string appends (cheaper than a JSON DOM, so the
// generator is not what a benchmark measures).
class BatchWriter {
 public:
  explicit BatchWriter(uint64_t seed) : rng_(seed) {}

  std::string body(const std::vector<std::string>& services, int n, double now, bool incident,
                   double error_ratio, bool with_latency) {
    std::string out;
    out.reserve(static_cast<size_t>(n) * 110 + 16);
    out += "{\"events\":[";
    std::uniform_real_distribution<double> u(0, 1);
    std::normal_distribution<double> z(0, 0.6);
    char buf[256];
    for (int i = 0; i < n; ++i) {
      const std::string& svc = services[static_cast<size_t>(i) % services.size()];
      double pick = u(rng_), acc = 0;
      const Endpoint* ep = &kEndpoints[0];
      for (const auto& e : kEndpoints) {
        acc += e.weight;
        if (pick <= acc) {
          ep = &e;
          break;
        }
      }
      bool in_incident = incident && &svc == &services.front();
      double r = u(rng_);
      int status = 200;
      if (in_incident && r < error_ratio) {
        status = u(rng_) < 0.8 ? 503 : 500;
      } else if (r < 0.001) {
        status = 500;
      } else if (r < 0.02) {
        status = 404;
      } else if (r < 0.03) {
        status = 201;
      }
      double latency = ep->median_ms * std::exp(z(rng_)) * (in_incident ? 4.0 : 1.0);
      int len = with_latency
                    ? std::snprintf(buf, sizeof buf,
                                    "%s{\"service\":\"%s\",\"ts\":%.3f,\"status\":%d,\"latency_ms\":%.2f,\"endpoint\":\"%s\"}",
                                    i ? "," : "", svc.c_str(), now - u(rng_), status, latency, ep->path)
                    : std::snprintf(buf, sizeof buf, "%s{\"service\":\"%s\",\"ts\":%.3f,\"status\":%d,\"endpoint\":\"%s\"}",
                                    i ? "," : "", svc.c_str(), now - u(rng_), status, ep->path);
      out.append(buf, static_cast<size_t>(len));
    }
    out += "]}";
    return out;
  }

 private:
  std::mt19937_64 rng_;
};

std::vector<std::string> discover_services(httplib::Client& client) {
  auto res = client.Get("/api/v1/slos");
  if (!res || res->status != 200) return {};
  std::vector<std::string> out;
  try {
    auto doc = nlohmann::json::parse(res->body);
    for (const auto& s : doc.at("slos")) {
      std::string name = s.at("service").get<std::string>();
      if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
    }
  } catch (const std::exception&) {
    return {};
  }
  return out;
}

}  // namespace

int run_loadgen(const LoadgenArgs& args) {
  httplib::Headers headers;
  if (!args.token_env.empty()) {
    const char* tok = std::getenv(args.token_env.c_str());
    if (!tok || !*tok) {
      std::cerr << "loadgen: environment variable " << args.token_env << " is not set\n";
      return 2;
    }
    headers.emplace("Authorization", std::string("Bearer ") + tok);
  }
  std::vector<std::string> services = args.services;
  if (services.empty()) {
    httplib::Client probe(args.server);
    probe.set_default_headers(headers);
    probe.set_connection_timeout(std::chrono::seconds(5));
    services = discover_services(probe);
    if (services.empty()) {
      std::cerr << "loadgen: could not list services from " << args.server
                << "/api/v1/slos (is sloguard running? or pass --service)\n";
      return 2;
    }
  }
  if (!args.quiet) {
    std::cerr << "loadgen: sending to " << args.server << " for";
    for (const auto& s : services) std::cerr << " " << s;
    std::cerr << (args.rate > 0 ? " at " + std::to_string(static_cast<long>(args.rate)) + " events/s" : " as fast as possible")
              << (args.incident ? ", incident in " + services.front() : "") << "\n";
  }

  std::atomic<uint64_t> sent{0}, failed_batches{0}, ok_batches{0};
  std::atomic<bool> stop{false};
  std::mutex err_mu;
  std::string last_error;
  const auto start = Clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };
  const double per_conn_rate = args.rate / args.connections;

  std::vector<std::thread> workers;
  for (int c = 0; c < args.connections; ++c) {
    workers.emplace_back([&, c] {
      httplib::Client client(args.server);
      client.set_default_headers(headers);
      client.set_keep_alive(true);
      client.set_tcp_nodelay(true);  // headers and body go out as separate writes
      client.set_read_timeout(std::chrono::seconds(30));
      BatchWriter writer(static_cast<uint64_t>(c) * 7919 + 1);
      double next_at = 0;
      while (!stop) {
        double t = elapsed();
        if (args.duration > 0 && t >= args.duration) break;
        if (per_conn_rate > 0) {
          if (t < next_at) {
            std::this_thread::sleep_for(std::chrono::duration<double>(std::min(next_at - t, 0.2)));
            continue;
          }
          next_at += args.batch / per_conn_rate;
        }
        bool incident = args.incident && t >= args.incident_after && t < args.incident_after + args.incident_for;
        double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
        std::string body = writer.body(services, args.batch, now, incident, args.incident_error_ratio, !args.no_latency);
        auto res = client.Post("/api/v1/events", body, "application/json");
        if (res && res->status == 202) {
          sent += static_cast<uint64_t>(args.batch);
          ++ok_batches;
        } else {
          ++failed_batches;
          std::lock_guard<std::mutex> lock(err_mu);
          last_error = res ? std::to_string(res->status) + " " + res->body.substr(0, 300)
                           : "connection failed: " + httplib::to_string(res.error());
          if (!res) std::this_thread::sleep_for(std::chrono::milliseconds(500));
        }
      }
    });
  }

  uint64_t last_sent = 0;
  double last_t = 0;
  while (true) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    double t = elapsed();
    bool done = args.duration > 0 && t >= args.duration;
    if (!args.quiet && (t - last_t >= 5 || done)) {
      uint64_t s = sent.load();
      std::lock_guard<std::mutex> lock(err_mu);
      std::fprintf(stderr, "loadgen: t=%.0fs sent=%llu rate=%.0f/s failed_batches=%llu%s%s\n", t,
                   static_cast<unsigned long long>(s), (s - last_sent) / (t - last_t),
                   static_cast<unsigned long long>(failed_batches.load()), last_error.empty() ? "" : " last_error=",
                   last_error.c_str());
      last_sent = s;
      last_t = t;
    }
    if (done) break;
  }
  stop = true;
  for (auto& w : workers) w.join();
  double t = elapsed();
  std::printf("sent %llu events in %.2f s: %.0f events/s (%llu batches ok, %llu failed)\n",
              static_cast<unsigned long long>(sent.load()), t, sent.load() / t,
              static_cast<unsigned long long>(ok_batches.load()), static_cast<unsigned long long>(failed_batches.load()));
  return failed_batches.load() > 0 && ok_batches.load() == 0 ? 1 : 0;
}

}  // namespace sloguard::cli
