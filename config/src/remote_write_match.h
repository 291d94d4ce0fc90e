// Label and metric names, and the `match:` of a remote_write mapping (remote_write_match.cpp).
// Internal to the loader: RE2 stays out of every header.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "yaml_fields.h"

namespace sloguard::config::detail {

// Prometheus label name: [a-zA-Z_][a-zA-Z0-9_]*.
bool is_label_name(std::string_view s);
// Prometheus metric name: [a-zA-Z_:][a-zA-Z0-9_:]*.
bool is_metric_name(std::string_view s);

// A label name at `item`; nullopt after reporting (not a scalar, or not a valid label name).
std::optional<std::string> read_label_name(ErrorSink& errors, const Item& item);

// `match:` — a mapping {label: value} (a value may start with =~, !~, != or =) or a list of
// PromQL matchers like code!~"5..". Regexes are checked and compiled. __name__ cannot be
// matched, nor `le` on a histogram. Returns false after reporting; `out` then holds the
// matchers read so far.
bool parse_remote_matchers(ErrorSink& errors, const Item& item, bool histogram,
                           std::vector<RemoteLabelMatcher>& out);

// The matcher as PromQL writes it: code!~"5..".
std::string matcher_text(const RemoteLabelMatcher& m);

}  // namespace sloguard::config::detail
