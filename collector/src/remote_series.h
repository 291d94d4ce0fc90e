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
    double le = 0;       // the bound in seconds; +inf for the last bucket (counters: one bucket)
    double value = 0;    // its cumulative count at base_ts, when known
    bool known = false;  // false: first seen after base_ts; no value at base_ts yet
  };
  // A histogram scrape (one timestamp) whose buckets have not all arrived yet.
  struct Pending {
    int64_t ts_ms = 0;
    std::vector<double> values;  // aligned with buckets; NaN = not arrived
  };
  static constexpr size_t kMaxPending = 4;
  static constexpr size_t kMaxBuckets = 64;

  Kind kind = Kind::kCounter;
  // has_base: base_ts is the timestamp of the last stored sample (counters) or scrape
  // (histograms), and the known buckets hold their values at it. !has_base with base_ts set:
  // the series ended (a staleness marker at base_ts); nothing at or before base_ts is taken.
  bool has_base = false;
  int64_t base_ts = 0;
  bool ended = false;            // a staleness marker ended the series at base_ts
  std::vector<Bucket> buckets;   // ascending le
  std::vector<Pending> pending;  // histograms only, ascending ts, all > base_ts

  // A counter sample. Appends what it produced to out; returns what became of the sample.
  SampleResult add_counter(int64_t ts_ms, double value, std::vector<Increase>& out);
  // A histogram bucket sample. `incomplete` counts samples of scrapes dropped as incomplete.
  SampleResult add_bucket(double le, int64_t ts_ms, double value, std::vector<Increase>& out, uint64_t& incomplete);
  // A staleness marker at ts_ms: the series ends (kStale), unless the marker is at or before
  // the last sample (kDuplicate / kOutOfOrder, so a retried request changes nothing).
  SampleResult mark_stale(int64_t ts_ms, uint64_t& incomplete);

  // Compact binary form for the store, and back. decode() is false on malformed input and
  // also reads the form earlier builds wrote.
  void encode(std::string& out) const;
  bool decode(std::string_view in);

 private:
  bool decode_v2(std::string_view in);  // after the version byte
  SampleResult order(int64_t ts_ms) const;  // kAccepted when ts_ms is after base_ts
  bool complete(const Pending& p) const;
  // Stores pending[pi]: buckets known at base_ts without a value in it leave the layout
  // (only when forced); older scrapes are dropped as incomplete.
  void commit(size_t pi, std::vector<Increase>& out, uint64_t& incomplete);
};

// Little-endian fixed-width integers, for the persisted forms of series state.
void put_le(std::string& out, uint64_t v, size_t bytes);
uint64_t get_le(std::string_view in, size_t bytes);  // in holds at least `bytes`

// Counter increase from prev to value, as integer events: floor(value) - floor(prev), or
// floor(value) after a reset (value < prev).
uint64_t integer_increase(double prev, double value);

}  // namespace sloguard::collector::detail
