// The real `sloguard backtest` binary on a scripted incident: --json, the table, a bad line.
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "child_process.h"
#include "temp_dir.h"

using namespace sloguard::testing;
using namespace std::chrono_literals;

namespace {

constexpr int64_t kStart = 1767225600;  // 2026-01-01T00:00:00Z

std::string write_config(const TempDir& dir) {
  std::string path = (dir.path() / "sloguard.yaml").string();
  std::ofstream f(path);
  // The built-in tiers for 30d: page-1h is 14.4x over 1h and 5m.
  f << "evaluation_interval: 60s\n"
    << "storage: {path: \"" << (dir.path() / "unused").string() << "\"}\n"
    << "services: [{name: checkout}]\n"
    << "slos:\n"
    << "  - name: checkout-availability\n"
    << "    service: checkout\n"
    << "    objective: 99%\n"
    << "    window: 30d\n";
  return path;
}

// 2h of 1000 good events a minute, 20 minutes of errors from minute 120 (T0), then 1h good.
std::string write_events(const TempDir& dir, bool with_bad_line) {
  std::string path = (dir.path() / "events.jsonl").string();
  std::ofstream f(path);
  for (int m = 0; m < 200; ++m) {
    const bool bad = m >= 120 && m < 140;
    f << "{\"service\":\"checkout\",\"ts\":" << kStart + m * 60 + 30 << ",\"status\":" << (bad ? 500 : 200)
      << ",\"count\":1000,\"endpoint\":\"/pay\",\"version\":\"v1\"}\n";
    if (with_bad_line && m == 4) f << "{\"service\":\"checkout\",\"ts\":" << kStart << "}\n";  // line 6
  }
  return path;
}

}  // namespace

TEST_CASE("sloguard backtest --json prints the hand-computed page timeline") {
  TempDir dir;
  const std::string cfg = write_config(dir);
  const std::string events = write_events(dir, false);
  // The temporary store goes under $TMPDIR and is removed at exit.
  const std::filesystem::path tmp = dir.path() / "tmp";
  std::filesystem::create_directory(tmp);
  const char* old_tmpdir = getenv("TMPDIR");
  const std::string saved = old_tmpdir ? old_tmpdir : "";
  setenv("TMPDIR", tmp.c_str(), 1);
  ChildProcess p({SLOGUARD_BINARY, "backtest", "--config", cfg, "--events", events, "--json"});
  if (old_tmpdir) {
    setenv("TMPDIR", saved.c_str(), 1);
  } else {
    unsetenv("TMPDIR");
  }
  const int status = p.wait_exit(60s);
  REQUIRE(status != -1);
  CHECK(std::filesystem::is_empty(tmp));
  INFO(p.output());
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  const auto arr = nlohmann::json::parse(p.output());
  REQUIRE(arr.is_array());
  REQUIRE(arr.size() == 4);  // every built-in tier fires once (see tests/unit/alerting/backtest_test.cpp)
  nlohmann::json a;
  for (const auto& e : arr) {
    if (e["tier"] == "page-1h") a = e;
  }
  REQUIRE(a.is_object());
  CHECK(a["slo"] == "checkout-availability");
  CHECK(a["tier"] == "page-1h");
  CHECK(a["severity"] == "page");
  // 9 full error minutes: 9/60/0.01 = 15x >= 14.4 (8 give 13.3x). The 5m window drains 5
  // minutes after the errors stop.
  CHECK(a["fired_at"].get<int64_t>() == kStart + 129 * 60);
  CHECK(a["resolved_at"].get<int64_t>() == kStart + 145 * 60);
  CHECK(a["burn_rates"]["1h"].get<double>() == Approx(15.0));
  CHECK(a["burn_rates"]["5m"].get<double>() == Approx(100.0));
}

TEST_CASE("sloguard backtest prints a table, and a still-firing alert with --to") {
  TempDir dir;
  const std::string cfg = write_config(dir);
  const std::string events = write_events(dir, false);
  ChildProcess p({SLOGUARD_BINARY, "backtest", "--config", cfg, "--events", events, "--to", "2026-01-01T02:30:00Z"});
  const int status = p.wait_exit(60s);
  REQUIRE(status != -1);
  INFO(p.output());
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(p.output().find("page-1h") != std::string::npos);
  CHECK(p.output().find("2026-01-01T02:09:00Z") != std::string::npos);
  CHECK(p.output().find("still firing") != std::string::npos);
  CHECK(p.output().find("15.00x") != std::string::npos);
}

TEST_CASE("sloguard backtest reports a bad line by number and exits 1") {
  TempDir dir;
  const std::string cfg = write_config(dir);
  const std::string events = write_events(dir, true);
  ChildProcess p({SLOGUARD_BINARY, "backtest", "--config", cfg, "--events", events, "--json"});
  const int status = p.wait_exit(60s);
  REQUIRE(status != -1);
  INFO(p.output());
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 1);
  CHECK(p.output().find("line 6: status: missing") != std::string::npos);
  CHECK(p.output().find('[') == std::string::npos);  // nothing else written
}
