// Finds where in a JSON document parsing failed, as a path ("events[3].count") and a byte
// offset. Used only on the error path, to turn a parser exception into a message that names
// the index and field.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sloguard::collector {

struct JsonErrorLocation {
  bool found = false;        // false when the text parses without error
  int64_t byte_offset = 0;   // 0-based offset of the failing token's end
  std::string path;          // e.g. "events[3].count"; "" at the top level
  int64_t events_index = -1; // the N of "events[N]" when the error lies inside one event
  std::string field;         // the event's field when the error lies in one
  std::string what;          // the parser's description, without its "[json.exception...]" prefix
  bool number_overflow = false;  // a number too large for a double (e.g. 1e999)
};

JsonErrorLocation locate_json_error(std::string_view text);

}  // namespace sloguard::collector
