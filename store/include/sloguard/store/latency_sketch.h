// A mergeable latency sketch with a guaranteed relative error (DDSketch's logarithmic
// mapping): a value x > 0 is counted in bucket i = ceil(log_gamma(x)), which covers
// (gamma^(i-1), gamma^i], and is estimated as 2 gamma^i / (gamma + 1), within alpha of every
// value in the bucket, gamma = (1 + alpha) / (1 - alpha). Merging adds bucket counts, so it is
// exact, associative and commutative: a sketch of a 30-day window merged from minute, hour or
// day sketches is the same as one built from the raw values.
//
// Values are milliseconds. The guarantee holds for values in [kMinIndexableMs,
// kMaxIndexableMs]; smaller values (and 0) are counted in a zero bucket reported as 0, larger
// ones in the top bucket. Not thread-safe for writers; const methods may run concurrently.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sloguard::store {

class LatencySketch {
 public:
  // The guarantee: every quantile is within 1% of the exact one.
  static constexpr double kRelativeAccuracy = 0.01;
  // The alpha the buckets are built with: below the guarantee so that floating-point rounding
  // at bucket boundaries (a few ulps in log and pow) can never push an estimate past 1%.
  // Changing it changes the bucket indexes, i.e. the wire form (it would need a new tag).
  static constexpr double kInternalAlpha = 0.0099;
  static constexpr double kMinIndexableMs = 1e-6;  // 1 ns
  static constexpr double kMaxIndexableMs = 1e12;  // ~31 years: bounds a sketch to ~2,100 buckets

  // Counts value_ms (>= 0, finite; callers validate) count times. NaN and negatives land in the
  // zero bucket, +inf in the top bucket. count 0 is a no-op. Amortized O(1), no allocation
  // once the sketch spans the data's range.
  void add(double value_ms, uint64_t count = 1);
  // Adds other's counts to this one (other may be *this). O(buckets of both).
  void merge(const LatencySketch& other);

  uint64_t count() const { return count_; }
  bool empty() const { return count_ == 0; }
  // Empties the sketch, keeping its memory for reuse.
  void clear();

  // Estimate of the value at rank floor(q * (count - 1)) of the sorted inputs (0-based), within
  // kRelativeAccuracy of it (0 when that input was in the zero bucket); nullopt when empty or
  // q is NaN. q is clamped to [0, 1].
  std::optional<double> quantile(double q) const;
  // Events whose value is certainly <= value_ms plus those in the bucket containing value_ms:
  // an estimate (over by at most that bucket) for data without exact threshold counts.
  uint64_t count_at_most(double value_ms) const;

  bool operator==(const LatencySketch& o) const;

  // Appends the compact form:
  //   zero_count:varint n:varint (index_delta:zigzag-varint count:varint){n}
  // over the n non-empty buckets in ascending index order; the first delta is from index 0,
  // each later one from the previous index (so > 0). Counts are > 0.
  void encode(std::string& out) const;
  // Bytes encode() would append.
  size_t encoded_size() const;
  // Replaces this sketch with the one encoded in exactly `in` (reusing memory). False, leaving
  // the sketch empty, on malformed input: truncated or trailing bytes, an index out of range or
  // not ascending, a zero count, a total count past 2^64. Never allocates more than the
  // bounded bucket range.
  bool decode(std::string_view in);

  // The bucket a value falls in, and the estimate reported for a bucket (exposed for tests
  // and for readers that need bucket bounds).
  static int32_t bucket_index(double value_ms);
  static double bucket_estimate(int32_t index);
  static constexpr int32_t kMinIndex = -697;  // bucket_index(kMinIndexableMs)
  static constexpr int32_t kMaxIndex = 1396;  // bucket_index(kMaxIndexableMs)

 private:
  void grow_to_include(int32_t index);

  // counts_[k] counts bucket offset_ + k. Kept tight: when non-empty, its first and last
  // entries are > 0, so equal sketches have equal members.
  std::vector<uint64_t> counts_;
  int32_t offset_ = 0;
  uint64_t zero_count_ = 0;
  uint64_t count_ = 0;  // zero_count_ + sum of counts_
};

}  // namespace sloguard::store
