#include <pthread.h>
#include <signal.h>

#include <iostream>
#include <thread>

#include "commands.h"
#include "sloguard/common/log.h"
#include "sloguard/config/config.h"
#include "sloguard/server/server.h"

namespace sloguard::cli {
namespace {

void print_errors(const config::LoadResult& r) {
  for (const auto& e : r.errors) std::cerr << e.to_string() << "\n";
}

}  // namespace

int run_serve(const ServeArgs& args) {
  log::Level level;
  if (log::parse_level(args.log_level, level)) log::set_level(level);

  auto loaded = config::load_config_file(args.config_path);
  if (!loaded.ok()) {
    print_errors(loaded);
    std::cerr << "sloguard: not starting: " << args.config_path << " is invalid\n";
    return 1;
  }
  auto cfg = std::make_shared<config::Config>(*loaded.config);
  if (!args.storage_path.empty()) cfg->storage.path = args.storage_path;
  if (!args.listen.empty()) {
    auto colon = args.listen.rfind(':');
    int port = -1;
    try {
      if (colon != std::string::npos) port = std::stoi(args.listen.substr(colon + 1));
    } catch (const std::exception&) {
      port = -1;
    }
    if (colon == std::string::npos || port < 0 || port > 65535) {
      std::cerr << "sloguard: --listen: expected host:port, got \"" << args.listen << "\"\n";
      return 1;
    }
    cfg->server.listen_host = args.listen.substr(0, colon);
    cfg->server.listen_port = port;
  }

  // Signals are taken by one thread with sigwait, so handlers never run on server threads.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  server::ServerOptions opts;
  opts.config = cfg;
  auto srv = server::Server::create(std::move(opts));
  if (!srv.ok()) {
    std::cerr << "sloguard: cannot open the store at " << cfg->storage.path << ": " << srv.status().message() << "\n";
    return 1;
  }
  server::Server& server = **srv;
  if (Status s = server.start(); !s.ok()) {
    std::cerr << "sloguard: " << s.message() << "\n";
    return 1;
  }
  std::thread signal_thread([&] {
    for (;;) {
      int sig = 0;
      if (sigwait(&signals, &sig) != 0) continue;
      if (sig == SIGHUP) {
        auto r = server.reload();
        if (r.ok() && !r->empty()) {
          for (const auto& e : *r) log::warn("config error", {{"error", e}});
        }
        continue;
      }
      log::info("shutting down", {{"signal", sig == SIGINT ? "SIGINT" : "SIGTERM"}});
      server.stop();
      return;
    }
  });
  server.wait();
  signal_thread.join();
  srv->reset();  // closes the store
  return 0;
}

}  // namespace sloguard::cli
