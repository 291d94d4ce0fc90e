// An in-process sloguard on 127.0.0.1 with an ephemeral port, a real RocksDB in a temp dir
// and a manual clock. reopen() restarts it on the same data directory.
#pragma once

#include <httplib.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "sloguard/config/config.h"
#include "sloguard/server/server.h"
#include "temp_dir.h"

namespace sloguard::testing {

class ServerFixture {
 public:
  // `yaml` is the config without storage.path and server.listen, which the fixture sets.
  explicit ServerFixture(const std::string& yaml, int64_t now_seconds = 1767225600) : clock_(now_seconds * 1000) {
    config_path_ = (dir_.path() / "sloguard.yaml").string();
    write_config(yaml);
    start();
  }
  ~ServerFixture() { server_.reset(); }

  void write_config(const std::string& yaml) {
    std::ofstream f(config_path_);
    f << yaml << "\n";
    bool has_server = yaml.find("server:") != std::string::npos;
    if (!has_server) f << "server: {listen: \"127.0.0.1:0\"}\n";
    f << "storage: {path: \"" << (dir_.path() / "data").string() << "\", retention: 35d}\n";
  }

  void start() {
    auto loaded = config::load_config_file(config_path_);
    if (!loaded.ok()) {
      for (const auto& e : loaded.errors) UNSCOPED_INFO(e.to_string());
    }
    REQUIRE(loaded.ok());
    server::ServerOptions o;
    o.config = loaded.config;
    o.clock = &clock_;
    o.run_evaluator = false;
    o.run_prober = false;
    o.run_dispatcher = false;
    o.run_hook_workers = false;
    auto s = server::Server::create(std::move(o));
    REQUIRE(s.ok());
    server_ = std::move(s).value();
    REQUIRE(server_->start().ok());
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_read_timeout(std::chrono::seconds(30));
  }

  void reopen() {
    client_.reset();
    server_.reset();
    start();
  }

  httplib::Client& http() { return *client_; }
  server::Server& server() { return *server_; }
  ManualClock& clock() { return clock_; }
  const std::string& config_path() const { return config_path_; }

  // POSTs JSON; returns status and parsed body (null when not JSON).
  std::pair<int, nlohmann::json> post(const std::string& path, const std::string& body,
                                      const httplib::Headers& headers = {}) {
    auto res = client_->Post(path.c_str(), headers, body, "application/json");
    REQUIRE(res);
    return {res->status, nlohmann::json::parse(res->body, nullptr, false)};
  }
  std::pair<int, nlohmann::json> get(const std::string& path, const httplib::Headers& headers = {}) {
    auto res = client_->Get(path.c_str(), headers);
    REQUIRE(res);
    return {res->status, nlohmann::json::parse(res->body, nullptr, false)};
  }

 private:
  TempDir dir_;
  ManualClock clock_;
  std::string config_path_;
  std::unique_ptr<server::Server> server_;
  std::unique_ptr<httplib::Client> client_;
};

inline httplib::Headers bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

}  // namespace sloguard::testing
