// Decodes a POST /api/v1/events body into raw, still unvalidated fields with one SAX pass
// (no JSON DOM: ingest is a hot path). Validation happens in event_ingest.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sloguard::collector {

struct RawField {
  enum class Type : uint8_t { kAbsent, kNull, kBool, kInt, kUint, kFloat, kString, kObject, kArray };
  Type type = Type::kAbsent;
  int64_t i = 0;    // kInt
  uint64_t u = 0;   // kUint
  double f = 0;     // kFloat
  std::string s;    // kString
  bool present() const { return type != Type::kAbsent; }
  bool is_number() const { return type == Type::kInt || type == Type::kUint || type == Type::kFloat; }
  double as_double() const;
  const char* type_name() const;  // JSON's names: "null", "boolean", "number", "string", "object", "array"
};

struct RawEvent {
  RawField::Type element = RawField::Type::kObject;  // the element's own type; only objects are events
  RawField service, ts, status, latency_ms, count, endpoint, version;
};

struct DecodedBody {
  bool syntax_ok = false;            // false: the body is not JSON (see locate_json_error)
  std::string shape_error;           // not {"events": [...]}; empty when fine
  std::vector<RawEvent> events;
};

// Stops (shape_error set) after max_events elements of "events".
DecodedBody decode_events_body(std::string_view body, size_t max_events);

}  // namespace sloguard::collector
