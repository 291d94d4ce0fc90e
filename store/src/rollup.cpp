#include "sloguard/store/rollup.h"

#include <algorithm>
#include <limits>

#include "varint.h"

namespace sloguard::store {
namespace {

constexpr uint8_t kVersion = 1;
constexpr uint64_t kTagRequests = 1;

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
  if (count == 0) return;
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

void Rollup::merge(const Rollup& other) {
  total += other.total;
  if (!other.unknown_fields.empty()) unknown_fields = other.unknown_fields;
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
  out += r.unknown_fields;
}

bool decode_rollup(std::string_view in, Rollup& out) {
  out.clear();
  if (in.empty() || static_cast<uint8_t>(in[0]) != kVersion) return false;
  const char* pos = in.data() + 1;
  const char* end = in.data() + in.size();
  bool seen_requests = false;
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
    } else {
      out.unknown_fields.append(field_start, pos);
    }
  }
  return true;
}

bool is_well_formed(const Rollup& r) {
  for (size_t i = 0; i < r.by_status.size(); ++i) {
    if (r.by_status[i].second == 0) return false;
    if (i > 0 && r.by_status[i - 1].first >= r.by_status[i].first) return false;
  }
  const char* pos = r.unknown_fields.data();
  const char* end = pos + r.unknown_fields.size();
  while (pos < end) {
    uint64_t tag = 0;
    uint64_t len = 0;
    if (!get_varint(pos, end, tag) || !get_varint(pos, end, len)) return false;
    if (tag == kTagRequests || len > static_cast<uint64_t>(end - pos)) return false;
    pos += len;
  }
  return true;
}

}  // namespace sloguard::store
