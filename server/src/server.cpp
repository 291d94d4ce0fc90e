#include "sloguard/server/server.h"

#include <algorithm>

#include <sys/socket.h>

#include "server_impl.h"
#include "sloguard/collector/probe_ingest.h"
#include "sloguard/common/log.h"

namespace sloguard::server {

Result<std::unique_ptr<Server>> Server::create(ServerOptions options) {
  if (!options.config) return Status::InvalidArgument("no config");
  if (!options.store) {
    store::StoreOptions so;
    so.path = options.config->storage.path;
    so.retention_ms = options.config->storage.retention_ms;
    so.max_series_per_service = options.config->storage.max_series_per_service;
    so.state_retention = {hooks::audit_retention(options.config->storage.audit_retention_ms)};
    so.clock = options.clock;
    auto st = store::open_rocksdb_store(so);
    if (!st.ok()) return st.status();
    options.store = std::move(st).value();
  }
  auto impl = std::make_unique<Impl>(std::move(options));
  if (Status s = impl->load_alerting(); !s.ok()) {
    // One undecodable entry must not keep the daemon down; the rest is loaded.
    log::error("alerting state partly unreadable", {{"error", s.to_string()}});
  }
  if (Status s = impl->remote_write.load(); !s.ok()) {
    return Status::IOError("remote_write state: " + s.message());
  }
  // The newest deployment per service and environment, as before the restart.
  if (auto recent = impl->deployments.list({}, 1000); recent.ok()) {
    for (const auto& d : *recent) impl->metrics.deployment_started(d.service, d.version, d.environment, d.started_at);
  } else {
    log::warn("reading deployments for /metrics failed", {{"error", recent.status().to_string()}});
  }
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) { impl_->install_routes(); }

Server::~Server() { stop(); }

Status Server::start() {
  auto cfg = impl_->config();
  const auto& host = cfg->server.listen_host;
  impl_->http.set_payload_max_length(cfg->server.max_body_bytes);
  // Without TCP_NODELAY, Nagle's algorithm and delayed ACKs add ~40 ms to responses that are
  // written in more than one piece.
  impl_->http.set_tcp_nodelay(true);
  // cpp-httplib listens with a backlog of 5: a burst of new connections would see SYNs
  // dropped and retried a second later. Keep its SO_REUSEADDR and widen the backlog after bind.
  int listen_fd = -1;
  impl_->http.set_socket_options([&listen_fd](int sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    listen_fd = sock;
  });
  int port = cfg->server.listen_port;
  if (port == 0) {
    port = impl_->http.bind_to_any_port(host);
    if (port <= 0) return Status::IOError("cannot bind " + host + ":0");
  } else if (!impl_->http.bind_to_port(host, port)) {
    return Status::IOError("cannot bind " + host + ":" + std::to_string(port) +
                           " (in use, or not an address of this machine)");
  }
  if (listen_fd >= 0) ::listen(listen_fd, SOMAXCONN);
  impl_->port = port;
  impl_->http_thread = std::thread([this] { impl_->http.listen_after_bind(); });
  if (impl_->run_hook_workers) {
    impl_->rollbacks.start(cfg->release.hook_workers, [this] { return impl_->config(); });
  }
  if (impl_->run_evaluator) impl_->evaluator.start();
  if (impl_->run_dispatcher) impl_->dispatcher_thread = std::thread([this] { impl_->dispatcher_loop(); });
  if (impl_->run_prober) {
    impl_->prober.start([this] { return impl_->config(); },
                        [this](std::vector<collector::ProbeResult> results) {
                          if (Status s = impl_->record_probe_results(results); !s.ok()) {
                            log::error("storing probe results failed", {{"error", s.to_string()}});
                          }
                        });
  }
  {
    std::lock_guard<std::mutex> lock(impl_->stop_mu);
    impl_->started = true;
  }
  impl_->ready = true;
  log::info("sloguard listening", {{"address", host + ":" + std::to_string(port)},
                                   {"slos", std::to_string(cfg->slos.size())},
                                   {"storage", cfg->storage.path}});
  return Status::OK();
}

int Server::port() const { return impl_->port; }

void Server::wait() {
  std::unique_lock<std::mutex> lock(impl_->stop_mu);
  impl_->stop_cv.wait(lock, [this] { return impl_->stopped; });
}

void Server::stop() {
  {
    std::lock_guard<std::mutex> lock(impl_->stop_mu);
    if (impl_->stopped) return;
    impl_->stopped = true;
  }
  impl_->ready = false;
  impl_->evaluator.stop();
  impl_->prober.stop();
  impl_->rollbacks.stop();  // a hook call in flight finishes first (up to its timeout)
  {
    std::lock_guard<std::mutex> lock(impl_->dispatcher_mu);
    impl_->dispatcher_stopping = true;
  }
  impl_->dispatcher_cv.notify_all();
  if (impl_->dispatcher_thread.joinable()) impl_->dispatcher_thread.join();
  // httplib's stop() closes the listening socket; listen_after_bind() returns once the worker
  // pool has finished the requests already accepted.
  impl_->http.stop();
  if (impl_->http_thread.joinable()) impl_->http_thread.join();
  if (impl_->store) {
    if (Status s = impl_->store->flush(); !s.ok()) log::error("flush at shutdown failed", {{"error", s.to_string()}});
  }
  bool was_started;
  {
    std::lock_guard<std::mutex> lock(impl_->stop_mu);
    was_started = impl_->started;
  }
  if (was_started) log::info("sloguard stopped");
  impl_->stop_cv.notify_all();
}

Result<std::vector<std::string>> Server::Impl::reload_from_file() {
  auto current = config();
  if (current->source_path.empty()) return Status::InvalidArgument("the running config was not loaded from a file");
  auto loaded = config::load_config_file(current->source_path);
  if (!loaded.ok()) {
    std::vector<std::string> errors;
    for (const auto& e : loaded.errors) errors.push_back(e.to_string());
    log::warn("config reload rejected; keeping the running config",
              {{"file", current->source_path}, {"errors", std::to_string(errors.size())}});
    return errors;
  }
  // The store, the listening socket and the body limit are set up once: a reload keeps them.
  auto next = std::make_shared<config::Config>(*loaded.config);
  if (next->storage.path != current->storage.path || next->storage.retention_ms != current->storage.retention_ms ||
      next->server.listen_host != current->server.listen_host ||
      next->server.listen_port != current->server.listen_port ||
      next->server.max_body_bytes != current->server.max_body_bytes) {
    log::info("storage, server.listen and server.max_body_bytes keep their running values until a restart");
  }
  next->storage = current->storage;
  next->server.listen_host = current->server.listen_host;
  next->server.listen_port = current->server.listen_port;
  next->server.max_body_bytes = current->server.max_body_bytes;
  swap_config(next);
  log::info("config reloaded", {{"file", current->source_path}, {"slos", std::to_string(next->slos.size())}});
  return std::vector<std::string>{};
}

Result<std::vector<std::string>> Server::reload() { return impl_->reload_from_file(); }

void Server::set_config(std::shared_ptr<const config::Config> cfg) { impl_->swap_config(std::move(cfg)); }

std::shared_ptr<const config::Config> Server::config() const { return impl_->config(); }

void Server::evaluate_now() { impl_->evaluator.run_once(); }

size_t Server::deliver_now() { return impl_->deliver_round(); }

void Server::probe_now() {
  auto cfg = impl_->config();
  auto results = impl_->prober.run(impl_->all_probes(*cfg));
  if (Status s = impl_->record_probe_results(results); !s.ok()) {
    log::error("storing probe results failed", {{"error", s.to_string()}});
  }
}

std::vector<const config::ProbeConfig*> Server::Impl::all_probes(const config::Config& cfg) const {
  std::vector<const config::ProbeConfig*> out;
  for (const auto& svc : cfg.services) {
    for (const auto& p : svc.probes) out.push_back(&p);
  }
  return out;
}

Status Server::Impl::record_probe_results(const std::vector<collector::ProbeResult>& results) {
  auto cfg = config();
  Status s = collector::write_probe_results(*store, *cfg, results);
  if (s.is_resource_exhausted()) {
    for (const auto& r : results) {
      if (const config::ProbeConfig* p = cfg->find_probe(r.probe)) metrics.series_limited(p->service, "probes", 1);
    }
  }
  if (!s.ok()) return s;
  std::lock_guard<std::mutex> lock(probes_mu);
  for (const auto& r : results) {
    const config::ProbeConfig* p = cfg->find_probe(r.probe);
    if (!p) continue;
    metrics.probe_result(r.probe, p->service, r.success(), r.latency_ms, r.http_status,
                         collector::probe_outcome_name(r.outcome));
    auto& last = last_probe[r.probe];
    const bool first = last.probe.empty();
    if (!first && r.ts < last.ts) continue;  // an older result does not move the streak
    const bool repeat = !first && r.ts == last.ts;
    last = r;
    if (repeat) continue;  // the same run sent twice (a retried push, prober and push): counted once
    auto& run = probe_failures[r.probe];
    if (r.success()) {
      run.clear();
    } else {
      run.push_back(r.ts);
      if (run.size() > kMaxStreak) run.erase(run.begin());
    }
  }
  return Status::OK();
}

int Server::Impl::probe_failure_streak(const std::string& service, int64_t since) const {
  auto cfg = config();
  std::lock_guard<std::mutex> lock(probes_mu);
  int best = 0;
  for (const auto& [probe, run] : probe_failures) {
    const config::ProbeConfig* p = cfg->find_probe(probe);
    if (!p || p->service != service) continue;
    int n = static_cast<int>(std::count_if(run.begin(), run.end(), [&](double ts) { return ts >= since; }));
    best = std::max(best, n);
  }
  return best;
}

size_t Server::run_hooks_now() { return impl_->rollbacks.run_due(*impl_->config()); }

store::Store& Server::store() { return *impl_->store; }

}  // namespace sloguard::server
