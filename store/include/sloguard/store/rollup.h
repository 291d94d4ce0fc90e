// The value kept per series per time bucket, and its wire form.
//
// Wire form (stable; new kinds of data are added as new tags, so no migration is needed):
//   value  := version:u8(=1) field*
//   field  := tag:varint length:varint payload[length]
//   tag 1  (requests): total:varint n:varint (status:varint count:varint){n}, statuses ascending
//   tag 2  (latency sketch, only when it holds events): LatencySketch::encode, i.e.
//          zero_count:varint n:varint (index_delta:zigzag-varint count:varint){n}
//   tag 3  (latency at or under thresholds, only when there are thresholds):
//          n:varint (threshold_delta:varint count:varint){n}; thresholds in microseconds,
//          strictly ascending, the first delta from 0; counts non-decreasing
//   Each tag appears at most once, in any order. Values written before tags 2 and 3 existed
//   decode as values without latency data. Fields with unknown tags are carried through
//   merges untouched (the newest wins) so an older binary never destroys newer data.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sloguard/store/latency_sketch.h"

namespace sloguard::store {

struct Rollup {
  uint64_t total = 0;  // events in the bucket (weighted by count)
  // Events per HTTP status (or probe outcome code), ascending by status, no zero counts.
  std::vector<std::pair<uint32_t, uint64_t>> by_status;
  // Latencies of the events that carried one (latency.count() of them, which may be fewer
  // than total).
  LatencySketch latency;
  // Exact counts of those events with latency_ms <= threshold, as (threshold in microseconds,
  // count), strictly ascending by threshold. An entry, even with count 0, means the count
  // covers every event in `latency`; a missing threshold means "not known exactly for this
  // bucket" (no such SLO when the events came in), so readers fall back to the sketch
  // (latency.count_at_most) or to finer buckets. Empty when `latency` is.
  std::vector<std::pair<uint32_t, uint64_t>> latency_le;
  // Fields with tags this binary does not know: raw "tag len payload" bytes.
  std::string unknown_fields;

  void clear() {
    total = 0;
    by_status.clear();
    latency.clear();
    latency_le.clear();
    unknown_fields.clear();
  }
  void add(uint32_t status, uint64_t count);  // total += count; by_status[status] += count
  // Counts `count` events of latency value_ms (finite, >= 0) in `latency`, and in
  // latency_le[T] for each T of thresholds_us with value_ms <= T / 1000. thresholds_us must
  // ascend strictly (else the value is not well formed and write_rollups rejects it).
  // The first latency sets the thresholds; the same thresholds again cost O(thresholds).
  // Passing other thresholds later keeps only those known for every event (as merge does).
  // Does not touch total or by_status.
  void add_latency(double value_ms, uint64_t count, const std::vector<uint32_t>& thresholds_us);
  // Adds counts and merges the sketches; keeps other's unknown fields if set. latency_le keeps
  // the thresholds both sides know (a side without latency events imposes none), counts
  // summed: so every entry stays exact when the set of thresholds changes between values.
  // merge() and add() refuse (leave *this unchanged) what would overflow a 64-bit counter.
  void merge(const Rollup& other);
  bool empty() const { return total == 0 && latency.empty() && latency_le.empty() && unknown_fields.empty(); }
  bool operator==(const Rollup& o) const {
    return total == o.total && by_status == o.by_status && latency == o.latency && latency_le == o.latency_le &&
           unknown_fields == o.unknown_fields;
  }
};

// Which parts of a value decode_rollup fills.
enum class RollupParts : uint8_t {
  kAll,
  // total, by_status and unknown fields; latency and latency_le are left empty, and their
  // bytes are skipped unchecked. The sketch is most of a value's bytes and decode time
  // (~10 ns instead of ~0.4-0.9 us a value): for readers that only need status counts.
  kStatusCounts,
};

// Appends the wire form of r to out.
void encode_rollup(const Rollup& r, std::string& out);
// Decodes into out (reusing its capacity). False on malformed input (out is then unspecified).
bool decode_rollup(std::string_view in, Rollup& out, RollupParts parts = RollupParts::kAll);
// True when r can be stored as is: by_status strictly ascending without zero counts;
// latency_le empty when latency is, else strictly ascending thresholds with non-decreasing
// counts none above latency.count(); and unknown_fields a sequence of whole fields none of
// which has a tag this binary knows. Whatever decode_rollup accepts is well formed.
bool is_well_formed(const Rollup& r);

}  // namespace sloguard::store
