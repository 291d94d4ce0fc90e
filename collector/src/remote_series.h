// The state sloguard keeps per remote series (a counter, or a classic histogram's label set
// without `le`) and how a sample changes it: Prometheus' counter semantics (increase over the
// previous sample, a decrease is a reset, the first sample gives no increase, staleness
// markers end the series, samples at or before the last one are duplicates). Internal.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sloguard/collector/remote_write.h"

namespace sloguard::collector::detail {

// Events that a committed sample (or histogram scrape) produced: `count` events in the
// minute of ts_ms; for histograms, in the bucket whose upper bound is le (seconds, +inf for
// the last one).
struct Increase {
  int64_t ts_ms = 0;
  double le = 0;       // histograms only
  uint64_t count = 0;
};

struct RemoteSeriesState {
  enum class Kind : uint8_t { kCounter = 0, kHistogram = 1 };
  struct Bucket {
    double le = 0;      // the bound in seconds; +inf for the last bucket
    int64_t ts_ms = 0;  // the sample last committed for this bucket
    double value = 0;   // its cumulative count
  };
  // A histogram scrape (one timestamp) whose buckets have not all arrived yet.
  struct Pending {
    int64_t ts_ms = 0;
    std::vector<double> values;  // aligned with buckets; NaN = not arrived
  };
  static constexpr size_t kMaxPending = 4;
  static constexpr size_t kMaxBuckets = 256;

  Kind kind = Kind::kCounter;
  std::vector<Bucket> buckets;   // counters: one (le unused); histograms: ascending le
  std::vector<Pending> pending;  // histograms only, ascending ts

  bool empty() const { return buckets.empty(); }

  // A counter sample. Appends what it produced to out; returns what became of the sample.
  SampleResult add_counter(int64_t ts_ms, double value, std::vector<Increase>& out);
  // A histogram bucket sample. `incomplete` counts samples of scrapes dropped as incomplete.
  SampleResult add_bucket(double le, int64_t ts_ms, double value, std::vector<Increase>& out, uint64_t& incomplete);

  // Compact binary form for the store, and back. decode() is false on malformed input.
  void encode(std::string& out) const;
  bool decode(std::string_view in);

 private:
  void commit(size_t pending_index, std::vector<Increase>& out);
  bool complete(const Pending& p) const;
};

// Counter increase from prev to value, as integer events: floor(value) - floor(prev), or
// floor(value) after a reset (value < prev).
uint64_t integer_increase(double prev, double value);

}  // namespace sloguard::collector::detail
