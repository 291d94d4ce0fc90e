// Keys of the store's column families.
//   rollup_1m / rollup_1h / rollup_1d: RollupKey = series_id:u64be | bucket_start:u64be (Unix seconds)
//   state: "series/<canonical labels>" -> series_id:u64be, "meta/next_series_id" -> u64be,
//          and the user's state keys (anything not starting with "series/" or "meta/").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "sloguard/store/store.h"
#include "varint.h"

namespace sloguard::store {

constexpr size_t kRollupKeySize = 16;
constexpr size_t kSeriesPrefixSize = 8;

// A rollup key in a fixed buffer: building one never allocates.
struct RollupKey {
  char bytes[kRollupKeySize];

  RollupKey(SeriesId series, int64_t bucket_start) {
    put_fixed64_be(bytes, series);
    put_fixed64_be(bytes + 8, static_cast<uint64_t>(bucket_start));
  }
  std::string_view view() const { return {bytes, sizeof bytes}; }
};

inline SeriesId rollup_key_series(std::string_view key) { return get_fixed64_be(key.data()); }
inline int64_t rollup_key_bucket(std::string_view key) { return static_cast<int64_t>(get_fixed64_be(key.data() + 8)); }

inline constexpr std::string_view kSeriesKeyPrefix = "series/";
inline constexpr std::string_view kMetaKeyPrefix = "meta/";
inline constexpr std::string_view kNextSeriesIdKey = "meta/next_series_id";

constexpr char kLabelKeyValueSep = '\x1f';
constexpr char kLabelPairSep = '\x1e';

// key \x1f value, pairs joined by \x1e, keys in std::map order. InvalidArgument when the
// labels are empty, a key is empty, or a key or value contains a separator byte.
Status canonical_labels(const Labels& labels, std::string& out);
// Inverse of canonical_labels. False on malformed input.
bool parse_canonical_labels(std::string_view canonical, Labels& out);

inline std::string fixed64_be_string(uint64_t v) {
  std::string s(8, '\0');
  put_fixed64_be(s.data(), v);
  return s;
}

}  // namespace sloguard::store
