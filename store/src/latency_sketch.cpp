#include "sloguard/store/latency_sketch.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "varint.h"

namespace sloguard::store {
namespace {

constexpr double kGamma = (1 + LatencySketch::kInternalAlpha) / (1 - LatencySketch::kInternalAlpha);
// 1 / ln(kGamma), written out so the index mapping (and so the wire form) does not depend on
// how a libm rounds ln(kGamma); a test checks it against std::log.
constexpr double kInvLogGamma = 50.50340046192384;
// 2 / (gamma + 1): bucket i's estimate is gamma^i times this.
constexpr double kEstimateFactor = 2 / (kGamma + 1);

// Any valid delta between two indexes is smaller than this; bounds the arithmetic in decode.
constexpr int64_t kMaxIndexDelta = 1 << 16;

uint64_t zigzag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
int64_t unzigzag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

// ceil(ln(x) / ln(gamma)) for x in [kMinIndexableMs, kMaxIndexableMs). A cast and a compare
// instead of std::ceil, which is a libm call without SSE4.1.
inline int32_t index_of(double value_ms) {
  double l = std::log(value_ms) * kInvLogGamma;
  auto t = static_cast<int32_t>(l);  // truncates toward 0: already the ceiling when l < 0
  return t + (l > t);
}

}  // namespace

int32_t LatencySketch::bucket_index(double value_ms) {
  if (!(value_ms >= kMinIndexableMs)) return kMinIndex;
  if (value_ms >= kMaxIndexableMs) return kMaxIndex;
  return std::clamp(index_of(value_ms), kMinIndex, kMaxIndex);
}

double LatencySketch::bucket_estimate(int32_t index) { return std::pow(kGamma, index) * kEstimateFactor; }

void LatencySketch::add(double value_ms, uint64_t count) {
  if (count == 0) return;
  count_ += count;
  if (!(value_ms >= kMinIndexableMs)) {
    zero_count_ += count;
    return;
  }
  int32_t index = value_ms < kMaxIndexableMs ? std::clamp(index_of(value_ms), kMinIndex, kMaxIndex) : kMaxIndex;
  // One unsigned compare covers both "below offset_" and "past the end".
  auto k = static_cast<size_t>(static_cast<uint32_t>(index - offset_));
  if (k >= counts_.size()) {
    grow_to_include(index);
    k = static_cast<size_t>(index - offset_);
  }
  counts_[k] += count;
}

void LatencySketch::grow_to_include(int32_t index) {
  if (counts_.empty()) {
    offset_ = index;
    counts_.resize(1);
  } else if (index < offset_) {
    counts_.insert(counts_.begin(), static_cast<size_t>(offset_ - index), 0);
    offset_ = index;
  } else if (index >= offset_ + static_cast<int32_t>(counts_.size())) {
    counts_.resize(static_cast<size_t>(index - offset_) + 1);
  }
}

void LatencySketch::merge(const LatencySketch& other) {
  if (other.count_ == 0) return;
  if (&other == this) {
    for (uint64_t& c : counts_) c *= 2;
    zero_count_ *= 2;
    count_ *= 2;
    return;
  }
  zero_count_ += other.zero_count_;
  count_ += other.count_;
  if (other.counts_.empty()) return;
  if (counts_.empty()) {
    counts_.assign(other.counts_.begin(), other.counts_.end());
    offset_ = other.offset_;
    return;
  }
  grow_to_include(other.offset_);
  grow_to_include(other.offset_ + static_cast<int32_t>(other.counts_.size()) - 1);
  uint64_t* into = counts_.data() + (other.offset_ - offset_);
  const uint64_t* from = other.counts_.data();
  for (size_t k = 0, n = other.counts_.size(); k < n; ++k) into[k] += from[k];
}

void LatencySketch::clear() {
  counts_.clear();
  offset_ = 0;
  zero_count_ = 0;
  count_ = 0;
}

std::optional<double> LatencySketch::quantile(double q) const {
  if (count_ == 0 || std::isnan(q)) return std::nullopt;
  q = std::clamp(q, 0.0, 1.0);
  // floor(q * (count - 1)), guarded against the double rounding up past count - 1.
  const double r = q * static_cast<double>(count_ - 1);
  const uint64_t rank = r >= 0x1p64 ? count_ - 1 : std::min<uint64_t>(static_cast<uint64_t>(r), count_ - 1);
  if (rank < zero_count_) return 0.0;
  uint64_t seen = zero_count_;
  for (size_t k = 0; k < counts_.size(); ++k) {
    seen += counts_[k];
    if (seen > rank) return bucket_estimate(offset_ + static_cast<int32_t>(k));
  }
  return bucket_estimate(offset_ + static_cast<int32_t>(counts_.size()) - 1);  // unreachable: counts add up
}

uint64_t LatencySketch::count_at_most(double value_ms) const {
  if (!(value_ms >= 0)) return 0;
  if (value_ms < kMinIndexableMs || counts_.empty()) return zero_count_;
  int64_t last = static_cast<int64_t>(bucket_index(value_ms)) - offset_;
  if (last < 0) return zero_count_;
  size_t n = std::min(counts_.size(), static_cast<size_t>(last) + 1);
  uint64_t sum = zero_count_;
  for (size_t k = 0; k < n; ++k) sum += counts_[k];
  return sum;
}

bool LatencySketch::operator==(const LatencySketch& o) const {
  return count_ == o.count_ && zero_count_ == o.zero_count_ && counts_ == o.counts_ &&
         (counts_.empty() || offset_ == o.offset_);
}

size_t LatencySketch::encoded_size() const {
  size_t n = 0;
  size_t size = varint_length(zero_count_);
  int64_t prev = 0;
  for (size_t k = 0; k < counts_.size(); ++k) {
    if (counts_[k] == 0) continue;
    int64_t index = offset_ + static_cast<int64_t>(k);
    size += varint_length(zigzag(index - prev)) + varint_length(counts_[k]);
    prev = index;
    ++n;
  }
  return size + varint_length(n);
}

void LatencySketch::encode(std::string& out) const {
  size_t n = 0;
  for (uint64_t c : counts_) n += c != 0;
  put_varint(out, zero_count_);
  put_varint(out, n);
  int64_t prev = 0;
  for (size_t k = 0; k < counts_.size(); ++k) {
    if (counts_[k] == 0) continue;
    int64_t index = offset_ + static_cast<int64_t>(k);
    put_varint(out, zigzag(index - prev));
    put_varint(out, counts_[k]);
    prev = index;
  }
}

bool LatencySketch::decode(std::string_view in) {
  clear();
  const char* pos = in.data();
  const char* end = in.data() + in.size();
  uint64_t zero = 0;
  uint64_t n = 0;
  if (!get_varint(pos, end, zero) || !get_varint(pos, end, n)) return false;
  // Each bucket takes at least two bytes, and indexes ascend within a bounded range.
  if (n > static_cast<uint64_t>(end - pos) / 2 || n > static_cast<uint64_t>(kMaxIndex - kMinIndex + 1)) return false;
  // Two passes: the first validates and finds the index range, so the second writes the
  // counts into a vector sized once.
  const char* const buckets = pos;
  uint64_t total = zero;
  int64_t first = 0;
  int64_t index = 0;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t raw_delta = 0;
    uint64_t count = 0;
    if (!get_varint(pos, end, raw_delta) || !get_varint(pos, end, count)) return false;
    int64_t delta = unzigzag(raw_delta);
    if (delta >= kMaxIndexDelta || delta <= -kMaxIndexDelta || (i > 0 && delta <= 0)) return false;
    index += delta;
    if (index < kMinIndex || index > kMaxIndex || count == 0) return false;
    if (count > std::numeric_limits<uint64_t>::max() - total) return false;
    total += count;
    if (i == 0) first = index;
  }
  if (pos != end) return false;

  zero_count_ = zero;
  count_ = total;
  if (n == 0) return true;
  offset_ = static_cast<int32_t>(first);
  counts_.resize(static_cast<size_t>(index - first) + 1);
  uint64_t* counts = counts_.data() - first;  // indexed by bucket index
  pos = buckets;
  index = 0;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t raw_delta = 0;
    uint64_t count = 0;
    get_varint(pos, end, raw_delta);
    get_varint(pos, end, count);
    index += unzigzag(raw_delta);
    counts[index] = count;
  }
  return true;
}

}  // namespace sloguard::store
