// Rounding Unix times to a grid of `step` seconds, negative times included. Internal to slo/.
#pragma once

#include <cstdint>

namespace sloguard::slo {

inline int64_t floor_to(int64_t t, int64_t step) { return t >= 0 ? t / step * step : -((-t + step - 1) / step) * step; }
inline int64_t ceil_to(int64_t t, int64_t step) { return -floor_to(-t, step); }

}  // namespace sloguard::slo
