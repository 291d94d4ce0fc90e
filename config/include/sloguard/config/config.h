// The typed, validated configuration. Built once by load_config() and shared immutably as
// std::shared_ptr<const Config>; a reload builds a new one and swaps the pointer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sloguard::config {

enum class Role { kRead, kIngest, kAdmin };

// "read", "ingest", "admin": the names used in the config file.
std::string_view role_name(Role r);

struct AuthToken {
  std::string name;     // shown in logs; the secret never is
  std::string secret;   // resolved from token_env / token_file at load time
  std::vector<Role> roles;
  bool has_role(Role r) const;
};

struct ServerConfig {
  std::string listen_host = "127.0.0.1";   // Default: 127.0.0.1
  int listen_port = 8080;                  // Default: 8080 (0 = ephemeral, for tests)
  size_t max_body_bytes = 10 * 1024 * 1024;  // Default: 10 MiB
  std::vector<AuthToken> tokens;           // Default: none, the API is open
  bool auth_enabled() const { return !tokens.empty(); }
};

struct StorageConfig {
  std::string path = "./data";                    // Default: ./data
  int64_t retention_ms = 35LL * 86400 * 1000;     // Default: 35d
};

struct ServiceConfig {
  std::string name;
};

// Which HTTP statuses count as bad: explicit codes and whole classes (5 for "5xx").
struct StatusMatcher {
  std::vector<int> codes;
  std::vector<int> classes;  // 1..5
  bool matches(int status) const {
    for (int c : codes) if (c == status) return true;
    for (int k : classes) if (status / 100 == k) return true;
    return false;
  }
};

enum class SliKind { kAvailability };

struct SliConfig {
  SliKind kind = SliKind::kAvailability;
  StatusMatcher bad_status{{}, {5}};  // Default: ["5xx"]
  std::string endpoint;               // glob; empty = every endpoint
};

struct SloConfig {
  std::string name;
  std::string service;
  double objective = 0;     // fraction in (0, 1)
  int64_t window_ms = 0;    // rolling window length, a whole number of minutes
  std::string window_text;  // as written, normalised ("30d")
  SliConfig sli;
};

struct PolicyTier {
  double min_remaining = 0;  // fraction; -infinity for the last tier
  std::string status;        // e.g. "normal", "feature_freeze"
  bool block_releases = false;
};

struct Config {
  std::string source_path;  // file the config came from ("" when built in code)
  ServerConfig server;
  StorageConfig storage;
  int64_t evaluation_interval_ms = 15000;  // Default: 15s
  std::vector<ServiceConfig> services;
  std::vector<SloConfig> slos;
  // Sorted by min_remaining, highest first. Default: DESIGN.md's runbook policy.
  std::vector<PolicyTier> budget_policy = default_budget_policy();

  static std::vector<PolicyTier> default_budget_policy();
  const ServiceConfig* find_service(std::string_view name) const;
  const SloConfig* find_slo(std::string_view name) const;
};

// One validation problem, located in the source file.
struct ConfigError {
  std::string file;
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based; 0 when unknown
  std::string message;  // what is wrong and what was expected
  std::string to_string() const;  // "file:line:column: message"
};

struct LoadResult {
  std::shared_ptr<const Config> config;  // null when errors is non-empty
  std::vector<ConfigError> errors;       // every problem found, in file order
  bool ok() const { return config != nullptr; }
};

// Reads and validates a YAML config file. Unknown keys, wrong types, out-of-range values,
// duplicate names, references to unknown services, and unresolvable secrets are all errors;
// every error is reported, none stops the walk. An empty file is an error; a file without
// slos is valid. Relative storage and token_file paths stay relative to the working
// directory. Error messages never contain a secret. Thread-safe while no thread changes the
// environment (token_env is read with getenv).
LoadResult load_config_file(const std::string& path);
// Same, from text (file is the name used in error messages; source_path stays "").
LoadResult load_config_text(const std::string& yaml, const std::string& file = "<config>");

}  // namespace sloguard::config
