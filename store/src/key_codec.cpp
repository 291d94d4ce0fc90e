#include "key_codec.h"

namespace sloguard::store {
namespace {

bool has_separator(std::string_view s) {
  return s.find(kLabelKeyValueSep) != std::string_view::npos || s.find(kLabelPairSep) != std::string_view::npos;
}

}  // namespace

Status canonical_labels(const Labels& labels, std::string& out) {
  out.clear();
  if (labels.empty()) return Status::InvalidArgument("series labels must not be empty");
  for (const auto& [key, value] : labels) {
    if (key.empty()) return Status::InvalidArgument("series label names must not be empty");
    if (has_separator(key) || has_separator(value)) {
      return Status::InvalidArgument("series label \"" + key + "\" contains a reserved byte (0x1e or 0x1f)");
    }
    if (!out.empty()) out += kLabelPairSep;
    out += key;
    out += kLabelKeyValueSep;
    out += value;
  }
  return Status::OK();
}

bool parse_canonical_labels(std::string_view canonical, Labels& out) {
  out.clear();
  if (canonical.empty()) return false;
  while (true) {
    size_t pair_end = canonical.find(kLabelPairSep);
    std::string_view pair = canonical.substr(0, pair_end);
    size_t sep = pair.find(kLabelKeyValueSep);
    if (sep == std::string_view::npos || sep == 0) return false;
    if (!out.emplace(std::string(pair.substr(0, sep)), std::string(pair.substr(sep + 1))).second) return false;
    if (pair_end == std::string_view::npos) return true;
    canonical.remove_prefix(pair_end + 1);
  }
}

}  // namespace sloguard::store
