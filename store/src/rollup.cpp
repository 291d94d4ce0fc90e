#include "sloguard/store/rollup.h"

#include <algorithm>
#include <limits>

#include "varint.h"

namespace sloguard::store {
namespace {

constexpr uint8_t kVersion = 1;
constexpr uint64_t kTagRequests = 1;
constexpr uint64_t kTagLatencySketch = 2;
constexpr uint64_t kTagLatencyLe = 3;

bool is_known_tag(uint64_t tag) { return tag >= kTagRequests && tag <= kTagLatencyLe; }

using ThresholdCounts = std::vector<std::pair<uint32_t, uint64_t>>;

// The latency_le invariants shared by is_well_formed and decode_rollup.
bool latency_le_consistent(const ThresholdCounts& le, const LatencySketch& latency) {
  if (le.empty()) return true;
  if (latency.empty()) return false;
  for (size_t i = 1; i < le.size(); ++i) {
    if (le[i - 1].first >= le[i].first || le[i - 1].second > le[i].second) return false;
  }
  return le.back().second <= latency.count();
}

// Payload of tag 3 into out (empty on entry). False unless it is consumed exactly, holds at
// least one threshold and the thresholds ascend strictly.
bool decode_latency_le(std::string_view p, ThresholdCounts& out) {
  const char* pos = p.data();
  const char* end = p.data() + p.size();
  uint64_t n = 0;
  if (!get_varint(pos, end, n) || n == 0) return false;
  if (n > static_cast<uint64_t>(end - pos) / 2) return false;
  out.reserve(n);
  uint64_t threshold = 0;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t delta = 0;
    uint64_t count = 0;
    if (!get_varint(pos, end, delta) || !get_varint(pos, end, count)) return false;
    if ((i > 0 && delta == 0) || delta > std::numeric_limits<uint32_t>::max() - threshold) return false;
    threshold += delta;
    out.emplace_back(static_cast<uint32_t>(threshold), count);
  }
  return pos == end;
}

size_t latency_le_payload_length(const ThresholdCounts& le) {
  size_t len = varint_length(le.size());
  uint32_t prev = 0;
  for (const auto& [threshold, count] : le) {
    len += varint_length(threshold - prev) + varint_length(count);
    prev = threshold;
  }
  return len;
}

// Keeps the entries of `le` whose threshold is in `thresholds` (both ascending), in place.
void keep_thresholds(ThresholdCounts& le, const std::vector<uint32_t>& thresholds) {
  size_t w = 0;
  size_t j = 0;
  for (size_t i = 0; i < le.size(); ++i) {
    while (j < thresholds.size() && thresholds[j] < le[i].first) ++j;
    if (j < thresholds.size() && thresholds[j] == le[i].first) le[w++] = le[i];
  }
  le.resize(w);
}

// Keeps the thresholds both lists hold, with their counts summed, in place in `into`.
void intersect_add(ThresholdCounts& into, const ThresholdCounts& from) {
  size_t w = 0;
  size_t j = 0;
  for (size_t i = 0; i < into.size(); ++i) {
    while (j < from.size() && from[j].first < into[i].first) ++j;
    if (j < from.size() && from[j].first == into[i].first) into[w++] = {into[i].first, into[i].second + from[j].second};
  }
  into.resize(w);
}

bool same_thresholds(const ThresholdCounts& le, const std::vector<uint32_t>& thresholds) {
  if (le.size() != thresholds.size()) return false;
  for (size_t i = 0; i < le.size(); ++i) {
    if (le[i].first != thresholds[i]) return false;
  }
  return true;
}

// Payload of tag 1 into out.total / out.by_status. False unless it is consumed exactly.
bool decode_requests(std::string_view p, Rollup& out) {
  const char* pos = p.data();
  const char* end = p.data() + p.size();
  uint64_t total = 0;
  uint64_t n = 0;
  if (!get_varint(pos, end, total) || !get_varint(pos, end, n)) return false;
  // Each pair takes at least two bytes: bounds n before reserving anything.
  if (n > static_cast<uint64_t>(end - pos) / 2) return false;
  out.total = total;
  out.by_status.reserve(n);  // out was cleared: capacity is kept between decodes
  int64_t prev = -1;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t status = 0;
    uint64_t count = 0;
    if (!get_varint(pos, end, status) || !get_varint(pos, end, count)) return false;
    if (status > std::numeric_limits<uint32_t>::max() || static_cast<int64_t>(status) <= prev || count == 0) {
      return false;
    }
    prev = static_cast<int64_t>(status);
    out.by_status.emplace_back(static_cast<uint32_t>(status), count);
  }
  return pos == end;
}

}  // namespace

void Rollup::add(uint32_t status, uint64_t count) {
  // Every other counter is at most `total`, so refusing what would wrap it keeps them all exact.
  if (count == 0 || count > std::numeric_limits<uint64_t>::max() - total) return;
  total += count;
  if (by_status.empty() || by_status.back().first < status) {
    by_status.emplace_back(status, count);
    return;
  }
  auto it = std::lower_bound(by_status.begin(), by_status.end(), status,
                             [](const auto& e, uint32_t s) { return e.first < s; });
  if (it != by_status.end() && it->first == status) {
    it->second += count;
  } else {
    by_status.insert(it, {status, count});
  }
}

void Rollup::add_latency(double value_ms, uint64_t count, const std::vector<uint32_t>& thresholds_us) {
  if (count == 0 || count > std::numeric_limits<uint64_t>::max() - latency.count()) return;
  if (latency.empty()) {
    latency_le.clear();
    for (uint32_t t : thresholds_us) latency_le.emplace_back(t, 0);
  } else if (!same_thresholds(latency_le, thresholds_us)) {
    keep_thresholds(latency_le, thresholds_us);
  }
  latency.add(value_ms, count);
  // T / 1000.0 is the double nearest the threshold in milliseconds, as value_ms is the double
  // nearest the event's decimal latency: a latency equal to the threshold is counted.
  for (auto& [threshold, n] : latency_le) {
    if (value_ms <= threshold / 1000.0) n += count;
  }
}

void Rollup::merge(const Rollup& other) {
  // A merge that would wrap the total (and so possibly any counter) is refused whole: the
  // stored value stays decodable and exact instead of turning into garbage that a later
  // merge would have to drop with everything in it.
  if (other.total > std::numeric_limits<uint64_t>::max() - total ||
      other.latency.count() > std::numeric_limits<uint64_t>::max() - latency.count()) {
    return;
  }
  total += other.total;
  if (!other.unknown_fields.empty()) unknown_fields = other.unknown_fields;
  if (!other.latency.empty()) {
    if (&other == this) {
      for (auto& e : latency_le) e.second *= 2;
    } else if (latency.empty()) {
      latency_le = other.latency_le;
    } else {
      intersect_add(latency_le, other.latency_le);
    }
    latency.merge(other.latency);
  }
  const auto& b = other.by_status;
  if (b.empty()) return;
  if (&other == this) {
    for (auto& e : by_status) e.second *= 2;
    return;
  }
  // Merge two ascending lists in place from the back, so no temporary is allocated.
  size_t added = 0;
  for (size_t i = 0, j = 0; j < b.size();) {
    if (i < by_status.size() && by_status[i].first < b[j].first) {
      ++i;
    } else if (i < by_status.size() && by_status[i].first == b[j].first) {
      ++i;
      ++j;
    } else {
      ++added;
      ++j;
    }
  }
  size_t i = by_status.size();
  size_t j = b.size();
  by_status.resize(by_status.size() + added);
  size_t k = by_status.size();
  while (j > 0) {
    if (i > 0 && by_status[i - 1].first > b[j - 1].first) {
      by_status[--k] = by_status[--i];
    } else if (i > 0 && by_status[i - 1].first == b[j - 1].first) {
      --i;
      --j;
      by_status[--k] = {b[j].first, by_status[i].second + b[j].second};
    } else {
      by_status[--k] = b[--j];
    }
  }
}

void encode_rollup(const Rollup& r, std::string& out) {
  out.push_back(static_cast<char>(kVersion));
  // The payload length is computed up front so the payload is written straight into out.
  size_t payload_len = varint_length(r.total) + varint_length(r.by_status.size());
  for (const auto& [status, count] : r.by_status) payload_len += varint_length(status) + varint_length(count);
  put_varint(out, kTagRequests);
  put_varint(out, payload_len);
  put_varint(out, r.total);
  put_varint(out, r.by_status.size());
  for (const auto& [status, count] : r.by_status) {
    put_varint(out, status);
    put_varint(out, count);
  }
  if (!r.latency.empty()) {
    put_varint(out, kTagLatencySketch);
    put_varint(out, r.latency.encoded_size());
    r.latency.encode(out);
  }
  if (!r.latency_le.empty()) {
    put_varint(out, kTagLatencyLe);
    put_varint(out, latency_le_payload_length(r.latency_le));
    put_varint(out, r.latency_le.size());
    uint32_t prev = 0;
    for (const auto& [threshold, count] : r.latency_le) {
      put_varint(out, threshold - prev);
      put_varint(out, count);
      prev = threshold;
    }
  }
  out += r.unknown_fields;
}

bool decode_rollup(std::string_view in, Rollup& out, RollupParts parts) {
  const bool latency_wanted = parts == RollupParts::kAll;
  out.clear();
  if (in.empty() || static_cast<uint8_t>(in[0]) != kVersion) return false;
  const char* pos = in.data() + 1;
  const char* end = in.data() + in.size();
  bool seen_requests = false;
  bool seen_sketch = false;
  bool seen_le = false;
  while (pos < end) {
    const char* field_start = pos;
    uint64_t tag = 0;
    uint64_t len = 0;
    if (!get_varint(pos, end, tag) || !get_varint(pos, end, len)) return false;
    if (len > static_cast<uint64_t>(end - pos)) return false;
    std::string_view payload(pos, len);
    pos += len;
    if (tag == kTagRequests) {
      if (seen_requests || !decode_requests(payload, out)) return false;
      seen_requests = true;
    } else if (!latency_wanted && (tag == kTagLatencySketch || tag == kTagLatencyLe)) {
      // Skipped unchecked: the caller asked for status counts only.
    } else if (tag == kTagLatencySketch) {
      // An empty sketch is never written: rejecting it keeps one encoding per value.
      if (seen_sketch || !out.latency.decode(payload) || out.latency.empty()) return false;
      seen_sketch = true;
    } else if (tag == kTagLatencyLe) {
      if (seen_le || !decode_latency_le(payload, out.latency_le)) return false;
      seen_le = true;
    } else {
      out.unknown_fields.append(field_start, pos);
    }
  }
  return latency_le_consistent(out.latency_le, out.latency);
}

bool is_well_formed(const Rollup& r) {
  for (size_t i = 0; i < r.by_status.size(); ++i) {
    if (r.by_status[i].second == 0) return false;
    if (i > 0 && r.by_status[i - 1].first >= r.by_status[i].first) return false;
  }
  if (!latency_le_consistent(r.latency_le, r.latency)) return false;
  const char* pos = r.unknown_fields.data();
  const char* end = pos + r.unknown_fields.size();
  while (pos < end) {
    uint64_t tag = 0;
    uint64_t len = 0;
    if (!get_varint(pos, end, tag) || !get_varint(pos, end, len)) return false;
    if (is_known_tag(tag) || len > static_cast<uint64_t>(end - pos)) return false;
    pos += len;
  }
  return true;
}

}  // namespace sloguard::store
