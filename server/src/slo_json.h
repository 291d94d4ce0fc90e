// The JSON shape of an SLO status (DESIGN.md, GET /api/v1/slos/{name}).
#pragma once

#include <nlohmann/json.hpp>

#include "sloguard/slo/engine.h"

namespace sloguard::server {

nlohmann::json slo_status_json(const slo::SloStatus& s);

}  // namespace sloguard::server
