// Where SLI counts come from: the embedded store today, a Prometheus-compatible query API
// later. Implementations are thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "sloguard/common/status.h"
#include "sloguard/config/config.h"
#include "sloguard/store/store.h"

namespace sloguard::slo {

// Event counts over a window. bad() = total - good.
struct Counts {
  uint64_t good = 0;
  uint64_t total = 0;
  uint64_t bad() const { return total - good; }
  Counts& operator+=(const Counts& o) {
    good += o.good;
    total += o.total;
    return *this;
  }
  bool operator==(const Counts&) const = default;
};

class Source {
 public:
  virtual ~Source() = default;
  // Good and total events of the SLO's SLI in each window [at - w, at), for every w in
  // `windows` (seconds, positive multiples of 60). `at` must be a multiple of 60.
  // Returns one Counts per window, in the order given.
  virtual Result<std::vector<Counts>> window_counts(const config::SloConfig& slo, int64_t at,
                                                    std::span<const int64_t> windows) const = 0;
};

// Reads the embedded store. Windows of at least kHourScanFrom are read as day buckets with
// hour and minute buckets at both edges; shorter ones as minute buckets. Either way the
// counts are exact: every bucket boundary lies on a minute.
class StoreSource final : public Source {
 public:
  static constexpr int64_t kHourScanFrom = 3 * 3600;
  explicit StoreSource(const store::Store& store) : store_(store) {}
  Result<std::vector<Counts>> window_counts(const config::SloConfig& slo, int64_t at,
                                            std::span<const int64_t> windows) const override;

 private:
  const store::Store& store_;
};

}  // namespace sloguard::slo
