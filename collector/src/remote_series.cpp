#include "remote_series.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

namespace sloguard::collector::detail {
namespace {

constexpr double kMaxCount = 9.0e18;  // integer counts stay far from uint64 overflow

void put_u64(std::string& out, uint64_t v) { put_le(out, v, 8); }
void put_f64(std::string& out, double v) { put_u64(out, std::bit_cast<uint64_t>(v)); }

// Tags of an encoded count (version 3).
constexpr char kNaN = 0;
constexpr char kWhole = 1;
constexpr char kRaw = 2;
// Bucket flags (version 3).
constexpr uint8_t kKnown = 1;
constexpr uint8_t kInfBound = 2;  // le is +Inf and not written

struct Reader {
  std::string_view in;
  bool ok = true;
  uint64_t u64() {
    if (in.size() < 8) {
      ok = false;
      return 0;
    }
    uint64_t v = get_le(in, 8);
    in.remove_prefix(8);
    return v;
  }
  int64_t i64() { return static_cast<int64_t>(u64()); }
  double f64() { return std::bit_cast<double>(u64()); }
  uint8_t u8() {
    if (in.empty()) {
      ok = false;
      return 0;
    }
    uint8_t v = static_cast<uint8_t>(in[0]);
    in.remove_prefix(1);
    return v;
  }
  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      uint8_t b = u8();
      if (!ok) return 0;
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    ok = false;  // more than ten bytes
    return 0;
  }
  int64_t zigzag() {
    uint64_t v = varint();
    return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
  }
  // A value written by put_count: a tag, then a varint (a whole count) or 8 bytes.
  double count() {
    switch (u8()) {
      case kNaN: return std::nan("");
      case kWhole: return static_cast<double>(varint());
      case kRaw: return f64();
      default: ok = false; return 0;
    }
  }
};

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void put_zigzag(std::string& out, int64_t v) {
  put_varint(out, (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
}

// Counts are almost always whole numbers well below 2^53: those take a tag and a varint
// (2-4 bytes at the sizes real counters reach) instead of 8 bytes; anything else is kept bit
// for bit.
void put_count(std::string& out, double v) {
  if (std::isnan(v)) {
    out.push_back(kNaN);
  } else if (v >= 0 && v < 9007199254740992.0 && std::floor(v) == v && !std::signbit(v)) {
    out.push_back(kWhole);
    put_varint(out, static_cast<uint64_t>(v));
  } else {
    out.push_back(kRaw);
    put_f64(out, v);
  }
}

double floor_count(double v) { return std::floor(std::min(v, kMaxCount)); }

uint64_t count_values(const RemoteSeriesState::Pending& p) {
  uint64_t n = 0;
  for (double v : p.values) n += std::isnan(v) ? 0 : 1;
  return n;
}

}  // namespace

void put_le(std::string& out, uint64_t v, size_t bytes) {
  for (size_t i = 0; i < bytes; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}

uint64_t get_le(std::string_view in, size_t bytes) {
  uint64_t v = 0;
  for (size_t i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(in[i])) << (8 * i);
  return v;
}

uint64_t integer_increase(double prev, double value) {
  if (value < prev) return static_cast<uint64_t>(floor_count(value));  // a reset: counting starts again at 0
  double inc = floor_count(value) - floor_count(prev);
  return inc > 0 ? static_cast<uint64_t>(inc) : 0;
}

SampleResult RemoteSeriesState::order(int64_t ts_ms) const {
  if (!has_base && !ended) return SampleResult::kAccepted;
  if (ts_ms == base_ts) return SampleResult::kDuplicate;
  if (ts_ms < base_ts) return SampleResult::kOutOfOrder;
  return SampleResult::kAccepted;
}

SampleResult RemoteSeriesState::mark_stale(int64_t ts_ms, uint64_t& incomplete) {
  if (ended && ts_ms == base_ts) return SampleResult::kStale;  // the other buckets' markers
  if (SampleResult r = order(ts_ms); r != SampleResult::kAccepted) return r;
  for (const auto& p : pending) incomplete += count_values(p);
  pending.clear();
  buckets.clear();
  has_base = false;
  ended = true;
  base_ts = ts_ms;
  return SampleResult::kStale;
}

SampleResult RemoteSeriesState::add_counter(int64_t ts_ms, double value, std::vector<Increase>& out) {
  kind = Kind::kCounter;
  if (SampleResult r = order(ts_ms); r != SampleResult::kAccepted) return r;
  if (!has_base) {
    has_base = true;
    ended = false;
    base_ts = ts_ms;
    buckets.assign(1, Bucket{std::numeric_limits<double>::infinity(), value, true});
    return SampleResult::kFirstSample;
  }
  Bucket& b = buckets.front();
  uint64_t inc = integer_increase(b.value, value);
  base_ts = ts_ms;
  b.value = value;
  if (inc > 0) out.push_back(Increase{ts_ms, b.le, inc});
  return SampleResult::kAccepted;
}

bool RemoteSeriesState::complete(const Pending& p) const {
  for (size_t i = 0; i < buckets.size(); ++i) {
    if (buckets[i].known && std::isnan(p.values[i])) return false;
  }
  return true;
}

void RemoteSeriesState::commit(size_t pi, std::vector<Increase>& out, uint64_t& incomplete) {
  for (size_t k = 0; k < pi; ++k) incomplete += count_values(pending[k]);
  Pending p = std::move(pending[pi]);
  pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(pi) + 1);
  bool reset = false;
  for (size_t i = 0; i < buckets.size(); ++i) {
    if (buckets[i].known && !std::isnan(p.values[i]) && p.values[i] < buckets[i].value) reset = true;
  }
  // Each bucket's own events are its increase over the largest increase below it, never
  // negative. A bucket without a value at base_ts (new in the layout) has no events of its
  // own this time: they count in the bucket above it.
  uint64_t below = 0;
  std::vector<Bucket> kept;
  std::vector<size_t> kept_index;
  for (size_t i = 0; i < buckets.size(); ++i) {
    Bucket b = buckets[i];
    const double v = p.values[i];
    if (std::isnan(v)) {
      if (b.known) continue;  // stopped reporting (a forced commit): it leaves the layout
      kept.push_back(b);
      kept_index.push_back(i);
      continue;
    }
    uint64_t inc = below;
    if (b.known) inc = reset ? static_cast<uint64_t>(floor_count(v)) : integer_increase(b.value, v);
    b.value = v;
    b.known = true;
    if (inc > below) {
      out.push_back(Increase{p.ts_ms, b.le, inc - below});
      below = inc;
    }
    kept.push_back(b);
    kept_index.push_back(i);
  }
  if (kept.size() != buckets.size()) {
    for (auto& q : pending) {
      std::vector<double> vals;
      for (size_t i : kept_index) vals.push_back(q.values[i]);
      q.values = std::move(vals);
    }
  }
  buckets = std::move(kept);
  base_ts = p.ts_ms;
}

SampleResult RemoteSeriesState::add_bucket(double le, int64_t ts_ms, double value, std::vector<Increase>& out,
                                           uint64_t& incomplete) {
  kind = Kind::kHistogram;
  if (SampleResult r = order(ts_ms); r != SampleResult::kAccepted && !(r == SampleResult::kDuplicate && has_base))
    return r;
  auto it = std::lower_bound(buckets.begin(), buckets.end(), le, [](const Bucket& b, double v) { return b.le < v; });
  if (it == buckets.end() || it->le != le) {
    if (buckets.size() >= kMaxBuckets) return SampleResult::kInvalidLabel;
    const size_t at = static_cast<size_t>(it - buckets.begin());
    it = buckets.insert(it, Bucket{le, 0, false});
    for (auto& p : pending) p.values.insert(p.values.begin() + static_cast<std::ptrdiff_t>(at), std::nan(""));
  }
  if (!has_base) {
    // The first scrape seen: it is the baseline, no increase.
    has_base = true;
    ended = false;
    base_ts = ts_ms;
  }
  if (ts_ms == base_ts) {
    if (it->known) return SampleResult::kDuplicate;
    it->value = value;
    it->known = true;
    return SampleResult::kFirstSample;
  }
  auto pit = std::lower_bound(pending.begin(), pending.end(), ts_ms,
                              [](const Pending& p, int64_t t) { return p.ts_ms < t; });
  if (pit == pending.end() || pit->ts_ms != ts_ms) {
    if (pending.size() >= kMaxPending) {
      if (pit == pending.begin()) return SampleResult::kOutOfOrder;  // older than every scrape held
      // Too many scrapes held: a bucket stopped reporting, or lags far behind. Store the
      // newest held scrape that has the +Inf bucket; the buckets missing from it leave the
      // layout. Without one, drop the oldest (a later scrape's cumulative counts cover it).
      size_t forced = pending.size();
      for (size_t i = pending.size(); i-- > 0;) {
        if (!buckets.empty() && !std::isnan(pending[i].values.back())) {
          forced = i;
          break;
        }
      }
      if (forced < pending.size()) {
        commit(forced, out, incomplete);
      } else {
        incomplete += count_values(pending.front());
        pending.erase(pending.begin());
      }
      if (ts_ms <= base_ts) return ts_ms == base_ts ? SampleResult::kDuplicate : SampleResult::kOutOfOrder;
      pit = std::lower_bound(pending.begin(), pending.end(), ts_ms,
                             [](const Pending& p, int64_t t) { return p.ts_ms < t; });
    }
    Pending p;
    p.ts_ms = ts_ms;
    p.values.assign(buckets.size(), std::nan(""));
    pit = pending.insert(pit, std::move(p));
  }
  // The layout may have changed in a forced commit: find the bucket again.
  auto b2 = std::lower_bound(buckets.begin(), buckets.end(), le, [](const Bucket& b, double v) { return b.le < v; });
  if (b2 == buckets.end() || b2->le != le) {
    const size_t at = static_cast<size_t>(b2 - buckets.begin());
    buckets.insert(b2, Bucket{le, 0, false});
    for (auto& p : pending) p.values.insert(p.values.begin() + static_cast<std::ptrdiff_t>(at), std::nan(""));
    b2 = buckets.begin() + static_cast<std::ptrdiff_t>(at);
  }
  const size_t col = static_cast<size_t>(b2 - buckets.begin());
  if (!std::isnan(pit->values[col])) return SampleResult::kDuplicate;
  pit->values[col] = value;
  // Store the newest complete scrape; older incomplete ones are covered by it.
  for (size_t i = pending.size(); i-- > 0;) {
    if (complete(pending[i])) {
      commit(i, out, incomplete);
      break;
    }
  }
  return SampleResult::kPending;
}

// Version 3, the one written: varints and tagged counts, so a counter's state takes about 12
// bytes where version 2 took 44 (the journal carries every touched series' state in every
// request). Version 2 (fixed width) is still read.
void RemoteSeriesState::encode(std::string& out) const {
  out.push_back(3);  // version
  out.push_back(static_cast<char>(static_cast<uint8_t>(kind) | (has_base ? 2 : 0) | (ended ? 4 : 0)));
  put_zigzag(out, base_ts);
  put_varint(out, buckets.size());
  for (const auto& b : buckets) {
    const bool inf = b.le == std::numeric_limits<double>::infinity();
    out.push_back(static_cast<char>((b.known ? kKnown : 0) | (inf ? kInfBound : 0)));
    if (!inf) put_f64(out, b.le);
    put_count(out, b.value);
  }
  put_varint(out, pending.size());
  for (const auto& p : pending) {
    put_zigzag(out, p.ts_ms - base_ts);
    for (double v : p.values) put_count(out, v);
  }
}

bool RemoteSeriesState::decode(std::string_view in) {
  Reader r{in};
  buckets.clear();
  pending.clear();
  const uint8_t version = r.u8();
  if (version == 2) return decode_v2(in.substr(1));
  if (version != 3) return false;
  const uint8_t flags = r.u8();
  if (flags > 7) return false;
  kind = static_cast<Kind>(flags & 1);
  has_base = flags & 2;
  ended = flags & 4;
  base_ts = r.zigzag();
  const uint64_t nb = r.varint();
  if (!r.ok || nb > kMaxBuckets) return false;
  for (uint64_t i = 0; i < nb; ++i) {
    Bucket b;
    const uint8_t bf = r.u8();
    if (bf > 3) return false;
    b.known = bf & kKnown;
    b.le = (bf & kInfBound) ? std::numeric_limits<double>::infinity() : r.f64();
    b.value = r.count();
    buckets.push_back(b);
  }
  const uint64_t np = r.varint();
  if (!r.ok || np > kMaxPending) return false;
  for (uint64_t i = 0; i < np; ++i) {
    Pending p;
    p.ts_ms = base_ts + r.zigzag();
    for (uint64_t j = 0; j < nb; ++j) p.values.push_back(r.count());
    pending.push_back(std::move(p));
  }
  return r.ok && r.in.empty();
}

bool RemoteSeriesState::decode_v2(std::string_view in) {
  Reader r{in};
  uint8_t k = r.u8();
  if (k > 1) return false;
  kind = static_cast<Kind>(k);
  uint8_t flags = r.u8();
  has_base = flags & 1;
  ended = flags & 2;
  base_ts = r.i64();
  uint64_t nb = r.u64();
  if (!r.ok || nb > kMaxBuckets) return false;
  for (uint64_t i = 0; i < nb; ++i) {
    Bucket b;
    b.le = r.f64();
    b.value = r.f64();
    b.known = r.u8() == 1;
    buckets.push_back(b);
  }
  uint64_t np = r.u64();
  if (!r.ok || np > kMaxPending) return false;
  for (uint64_t i = 0; i < np; ++i) {
    Pending p;
    p.ts_ms = r.i64();
    for (uint64_t j = 0; j < nb; ++j) p.values.push_back(r.f64());
    pending.push_back(std::move(p));
  }
  return r.ok && r.in.empty();
}

}  // namespace sloguard::collector::detail
