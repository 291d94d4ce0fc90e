// LEB128 varints and fixed-width big-endian integers, as used by the rollup wire form and
// the store's keys.
#pragma once

#include <cstdint>
#include <string>

namespace sloguard::store {

inline size_t varint_length(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

inline void put_varint(std::string& out, uint64_t v) {
  char buf[10];
  size_t n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  out.append(buf, n);
}

// Reads one varint at pos, advancing it. False when truncated or wider than 64 bits.
inline bool get_varint(const char*& pos, const char* end, uint64_t& v) {
  if (pos < end && !(*pos & 0x80)) {  // one byte: most counts and every status below 128
    v = static_cast<uint8_t>(*pos++);
    return true;
  }
  uint64_t result = 0;
  for (int shift = 0; shift < 64 && pos < end; shift += 7) {
    uint64_t byte = static_cast<uint8_t>(*pos++);
    if (shift == 63 && byte > 1) return false;  // would overflow 64 bits
    result |= (byte & 0x7f) << shift;
    if (!(byte & 0x80)) {
      v = result;
      return true;
    }
  }
  return false;
}

inline void put_fixed64_be(char* out, uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}

inline uint64_t get_fixed64_be(const char* in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(in[i]);
  return v;
}

}  // namespace sloguard::store
