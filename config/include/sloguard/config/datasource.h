// `datasources:` — Prometheus-compatible query APIs that SLOs read their SLIs from instead of
// the embedded store (docs/scale.md). Plain data, validated by the loader.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace sloguard::config {

// Where a piece of text sits in the config file (1-based; 0 when unknown, e.g. built in code).
struct TextPos {
  std::string file;
  int line = 0;
  int column = 0;
};

enum class DatasourceKind { kPrometheus };

// A Prometheus HTTP query API: Prometheus, VictoriaMetrics single or cluster (vmselect's
// /select/<tenant>/prometheus), Thanos Query, Mimir, Cortex. sloguard appends /api/v1/query,
// /api/v1/query_range, /api/v1/labels and /api/v1/series to `url`.
struct DatasourceConfig {
  std::string name;                      // unique; slos[].source refers to it
  DatasourceKind kind = DatasourceKind::kPrometheus;  // Default: prometheus (the only kind)
  std::string url;                       // http:// or https://, no query string or fragment
  // Request headers (e.g. Authorization, X-Scope-OrgID for Mimir/Cortex tenants). Values come
  // from `value`, `value_env` or `value_file`, resolved at load time; never logged or shown.
  std::vector<std::pair<std::string, std::string>> headers;
  int64_t timeout_ms = 30000;            // Default: 30s per query request (> 0, <= 10m)
  bool tls_verify = true;                // Default: true
  int max_concurrent_queries = 4;        // Default: 4 requests in flight to this source (1..64)
  // Retries of one query after a timeout, a network failure, 429 or 5xx, with exponential
  // backoff; every retry stays within the evaluation round's deadline. Default: 2 (0..10)
  int max_retries = 2;
};

}  // namespace sloguard::config
