#include "remote_series.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

#include "remote_write_decode.h"

namespace sloguard::collector::detail {
namespace {

constexpr double kMaxCount = 9.0e18;  // integer counts stay far from uint64 overflow

void put_u64(std::string& out, uint64_t v) {
  char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(v >> (8 * i));
  out.append(b, 8);
}
void put_f64(std::string& out, double v) { put_u64(out, std::bit_cast<uint64_t>(v)); }

struct Reader {
  std::string_view in;
  bool ok = true;
  uint64_t u64() {
    if (in.size() < 8) {
      ok = false;
      return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(in[i])) << (8 * i);
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

}  // namespace

uint64_t integer_increase(double prev, double value) {
  if (value < prev) return static_cast<uint64_t>(floor_count(value));  // a reset: counting starts again at 0
  double inc = floor_count(value) - floor_count(prev);
  return inc > 0 ? static_cast<uint64_t>(inc) : 0;
}

SampleResult RemoteSeriesState::add_counter(int64_t ts_ms, double value, std::vector<Increase>& out) {
  if (buckets.empty()) {
    kind = Kind::kCounter;
    buckets.push_back(Bucket{std::numeric_limits<double>::infinity(), ts_ms, value});
    return SampleResult::kFirstSample;
  }
  Bucket& b = buckets.front();
  if (ts_ms == b.ts_ms) return SampleResult::kDuplicate;
  if (ts_ms < b.ts_ms) return SampleResult::kOutOfOrder;
  uint64_t inc = integer_increase(b.value, value);
  b.ts_ms = ts_ms;
  b.value = value;
  if (inc > 0) out.push_back(Increase{ts_ms, b.le, inc});
  return SampleResult::kAccepted;
}

bool RemoteSeriesState::complete(const Pending& p) const {
  for (size_t i = 0; i < buckets.size(); ++i) {
    if (buckets[i].ts_ms < p.ts_ms && std::isnan(p.values[i])) return false;
  }
  return true;
}

void RemoteSeriesState::commit(size_t pi, std::vector<Increase>& out) {
  const Pending& p = pending[pi];
  bool reset = false;
  for (size_t i = 0; i < buckets.size(); ++i) {
    if (!std::isnan(p.values[i]) && p.values[i] < buckets[i].value) reset = true;
  }
  // Per-bucket increases of the cumulative counts; a bucket without a value in this scrape
  // (new in the layout) is taken as holding no events of its own. Each bucket's own events
  // are its increase over the largest increase below it, never negative.
  uint64_t below = 0;
  for (size_t i = 0; i < buckets.size(); ++i) {
    uint64_t inc = below;
    if (!std::isnan(p.values[i])) {
      inc = reset ? static_cast<uint64_t>(floor_count(p.values[i])) : integer_increase(buckets[i].value, p.values[i]);
      buckets[i].ts_ms = p.ts_ms;
      buckets[i].value = p.values[i];
    }
    if (inc > below) {
      out.push_back(Increase{p.ts_ms, buckets[i].le, inc - below});
      below = inc;
    }
  }
  pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(pi) + 1);
}

SampleResult RemoteSeriesState::add_bucket(double le, int64_t ts_ms, double value, std::vector<Increase>& out,
                                           uint64_t& incomplete) {
  kind = Kind::kHistogram;
  auto it = std::lower_bound(buckets.begin(), buckets.end(), le, [](const Bucket& b, double v) { return b.le < v; });
  if (it == buckets.end() || it->le != le) {
    // A bucket not seen before: its first sample gives no increase.
    if (buckets.size() >= kMaxBuckets) return SampleResult::kInvalidLabel;
    const size_t at = static_cast<size_t>(it - buckets.begin());
    buckets.insert(it, Bucket{le, ts_ms, value});
    for (auto& p : pending) p.values.insert(p.values.begin() + static_cast<std::ptrdiff_t>(at), std::nan(""));
    return SampleResult::kFirstSample;
  }
  const size_t bi = static_cast<size_t>(it - buckets.begin());
  if (ts_ms == it->ts_ms) return SampleResult::kDuplicate;
  if (ts_ms < it->ts_ms) return SampleResult::kOutOfOrder;
  auto pit = std::lower_bound(pending.begin(), pending.end(), ts_ms,
                              [](const Pending& p, int64_t t) { return p.ts_ms < t; });
  if (pit == pending.end() || pit->ts_ms != ts_ms) {
    if (pending.size() >= kMaxPending) {
      if (pit == pending.begin()) return SampleResult::kOutOfOrder;  // older than every scrape held
      // Drop the oldest incomplete scrape: the cumulative counts of a later one cover it.
      for (double v : pending.front().values) incomplete += std::isnan(v) ? 0 : 1;
      pending.erase(pending.begin());
      pit = std::lower_bound(pending.begin(), pending.end(), ts_ms,
                             [](const Pending& p, int64_t t) { return p.ts_ms < t; });
    }
    Pending p;
    p.ts_ms = ts_ms;
    p.values.assign(buckets.size(), std::nan(""));
    pit = pending.insert(pit, std::move(p));
  }
  if (!std::isnan(pit->values[bi])) return SampleResult::kDuplicate;
  pit->values[bi] = value;
  // Commit the newest complete scrape; older incomplete ones are covered by it.
  for (size_t i = pending.size(); i-- > 0;) {
    if (complete(pending[i])) {
      for (size_t k = 0; k < i; ++k) {
        for (double v : pending[k].values) incomplete += std::isnan(v) ? 0 : 1;
      }
      commit(i, out);
      break;
    }
  }
  return SampleResult::kPending;
}

void RemoteSeriesState::encode(std::string& out) const {
  out.push_back(1);  // version
  out.push_back(static_cast<char>(kind));
  put_u64(out, buckets.size());
  for (const auto& b : buckets) {
    put_f64(out, b.le);
    put_u64(out, static_cast<uint64_t>(b.ts_ms));
    put_f64(out, b.value);
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
  if (r.u8() != 1) return false;
  uint8_t k = r.u8();
  if (k > 1) return false;
  kind = static_cast<Kind>(k);
  uint64_t nb = r.u64();
  if (!r.ok || nb > kMaxBuckets || nb == 0) return false;
  for (uint64_t i = 0; i < nb; ++i) {
    Bucket b;
    b.le = r.f64();
    b.ts_ms = r.i64();
    b.value = r.f64();
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
