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
};

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

void RemoteSeriesState::encode(std::string& out) const {
  out.push_back(2);  // version
  out.push_back(static_cast<char>(kind));
  out.push_back(static_cast<char>((has_base ? 1 : 0) | (ended ? 2 : 0)));
  put_u64(out, static_cast<uint64_t>(base_ts));
  put_u64(out, buckets.size());
  for (const auto& b : buckets) {
    put_f64(out, b.le);
    put_f64(out, b.value);
    out.push_back(b.known ? 1 : 0);
  }
  put_u64(out, pending.size());
  for (const auto& p : pending) {
    put_u64(out, static_cast<uint64_t>(p.ts_ms));
    for (double v : p.values) put_f64(out, v);
  }
}

bool RemoteSeriesState::decode(std::string_view in) {
  Reader r{in};
  buckets.clear();
  pending.clear();
  if (r.u8() != 2) return false;
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
