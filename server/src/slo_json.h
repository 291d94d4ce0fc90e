// The JSON shape of an SLO status (DESIGN.md, GET /api/v1/slos/{name}).
#pragma once

#include <nlohmann/json.hpp>

#include "sloguard/slo/engine.h"

namespace sloguard::server {

nlohmann::json slo_status_json(const slo::SloStatus& s);
// {"count", "p50", "p90", "p95", "p99", "p99.9"} in milliseconds; null when empty.
nlohmann::json latency_json(const store::LatencySketch& sketch);

}  // namespace sloguard::server
