// The real `sloguard` binary: serve, kill -9, restart, SIGTERM, validate, --help.
#include <httplib.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>

#include "child_process.h"
#include "temp_dir.h"

using namespace sloguard::testing;
using namespace std::chrono_literals;

namespace {

std::string write_config(const TempDir& dir) {
  std::string path = (dir.path() / "sloguard.yaml").string();
  std::ofstream f(path);
  f << "server: {listen: \"127.0.0.1:0\"}\n"
    << "storage: {path: \"" << (dir.path() / "data").string() << "\", retention: 35d}\n"
    << "services: [{name: checkout}]\n"
    << "slos:\n  - {name: checkout-availability, service: checkout, objective: 99.5%, window: 30d}\n";
  return path;
}

int port_of(const std::string& listening_line) {
  auto pos = listening_line.find("address=127.0.0.1:");
  REQUIRE(pos != std::string::npos);
  return std::stoi(listening_line.substr(pos + 18));
}

int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

int64_t total_events(int port) {
  httplib::Client c("127.0.0.1", port);
  auto res = c.Get("/api/v1/slos/checkout-availability");
  REQUIRE(res);
  REQUIRE(res->status == 200);
  return nlohmann::json::parse(res->body)["sli"]["total"].get<int64_t>();
}

}  // namespace

TEST_CASE("acknowledged events survive kill -9, and SIGTERM shuts down cleanly") {
  TempDir dir;
  const std::string cfg = write_config(dir);
  int64_t acked = 0;
  {
    ChildProcess p({SLOGUARD_BINARY, "serve", "--config", cfg});
    int port = port_of(p.wait_for_line("sloguard listening", 30s));
    httplib::Client c("127.0.0.1", port);
    for (int batch = 0; batch < 20; ++batch) {
      std::string body = "{\"events\":[";
      for (int i = 0; i < 50; ++i) {
        body += std::string(i ? "," : "") + "{\"service\":\"checkout\",\"ts\":" + std::to_string(now_seconds() - 120) +
                ",\"status\":" + (i % 10 == 0 ? "503" : "200") + ",\"count\":2}";
      }
      body += "]}";
      auto res = c.Post("/api/v1/events", body, "application/json");
      REQUIRE(res);
      REQUIRE(res->status == 202);
      acked += nlohmann::json::parse(res->body)["accepted"].get<int64_t>();
    }
    p.signal(SIGKILL);
    int status = p.wait_exit(30s);
    REQUIRE(status != -1);
    CHECK(WIFSIGNALED(status));
  }
  REQUIRE(acked == 2000);
  {
    ChildProcess p({SLOGUARD_BINARY, "serve", "--config", cfg});
    int port = port_of(p.wait_for_line("sloguard listening", 30s));
    CHECK(total_events(port) == acked);

    // SIGHUP reloads the config file: a second SLO appears.
    std::ofstream(cfg, std::ios::app) << "  - {name: checkout-strict, service: checkout, objective: 99.9%, window: 7d}\n";
    p.signal(SIGHUP);
    REQUIRE(!p.wait_for_line("config reloaded", 30s).empty());
    httplib::Client c("127.0.0.1", port);
    auto res = c.Get("/api/v1/slos");
    REQUIRE(res);
    CHECK(nlohmann::json::parse(res->body)["slos"].size() == 2);

    p.signal(SIGTERM);
    int status = p.wait_exit(30s);
    INFO(p.output());
    REQUIRE(status != -1);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(p.output().find("sloguard stopped") != std::string::npos);
  }
}

TEST_CASE("sloguard validate exits 0 for a valid config and 1 with located errors") {
  TempDir dir;
  const std::string good = write_config(dir);
  {
    ChildProcess p({SLOGUARD_BINARY, "validate", "--config", good});
    int status = p.wait_exit(30s);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(p.output().find("valid (1 service, 1 SLO)") != std::string::npos);
  }
  std::string bad = (dir.path() / "bad.yaml").string();
  std::ofstream(bad) << "services: [{name: checkout}]\nslos:\n  - {name: a, service: checkout, objective: 150%, windw: 7d}\n";
  ChildProcess p({SLOGUARD_BINARY, "validate", "--config", bad});
  int status = p.wait_exit(30s);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 1);
  CHECK(p.output().find("bad.yaml:3:") != std::string::npos);
  CHECK(p.output().find("windw") != std::string::npos);
  CHECK(p.output().find("objective") != std::string::npos);
}

TEST_CASE("every command has --help") {
  for (const char* cmd : {"serve", "validate", "version", "loadgen"}) {
    ChildProcess p({SLOGUARD_BINARY, cmd, "--help"});
    int status = p.wait_exit(30s);
    INFO(cmd);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(p.output().find("Usage") != std::string::npos);
  }
}
