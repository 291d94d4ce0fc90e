// The value kept per series per time bucket, and its wire form.
//
// Wire form (stable; new kinds of data are added as new tags, so no migration is needed):
//   value  := version:u8(=1) field*
//   field  := tag:varint length:varint payload[length]
//   tag 1  (requests): total:varint n:varint (status:varint count:varint){n}, statuses ascending
//   tags 2.. are reserved (2: latency sketch). Fields with unknown tags are carried through
//   merges untouched (the newest wins) so an older binary never destroys newer data.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sloguard::store {

struct Rollup {
  uint64_t total = 0;  // events in the bucket (weighted by count)
  // Events per HTTP status (or probe outcome code), ascending by status, no zero counts.
  std::vector<std::pair<uint32_t, uint64_t>> by_status;
  // Fields with tags this binary does not know: raw "tag len payload" bytes.
  std::string unknown_fields;

  void clear() {
    total = 0;
    by_status.clear();
    unknown_fields.clear();
  }
  void add(uint32_t status, uint64_t count);  // total += count; by_status[status] += count
  void merge(const Rollup& other);            // adds counts; keeps other's unknown fields if set
  bool empty() const { return total == 0 && unknown_fields.empty(); }
  bool operator==(const Rollup& o) const {
    return total == o.total && by_status == o.by_status && unknown_fields == o.unknown_fields;
  }
};

// Appends the wire form of r to out.
void encode_rollup(const Rollup& r, std::string& out);
// Decodes into out (reusing its capacity). False on malformed input (out is then unspecified).
bool decode_rollup(std::string_view in, Rollup& out);
// True when r can be stored as is: by_status strictly ascending without zero counts, and
// unknown_fields a sequence of whole fields none of which has a tag this binary knows.
bool is_well_formed(const Rollup& r);

}  // namespace sloguard::store
