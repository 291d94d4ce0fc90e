// Readers shared by release_section.cpp and release_hooks_section.cpp. Internal to the loader.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "yaml_fields.h"

namespace sloguard::config::detail {

// A list of scalars; nullopt after reporting an error.
std::optional<std::vector<std::string>> read_string_list(ErrorSink& errors, const Item& item, std::string_view what);
// A plain number in [min, max]; nullopt after reporting "expected <what>".
std::optional<double> read_number(ErrorSink& errors, const Item& item, double min, double max, std::string_view what);
// A whole number in [min, max]; nullopt after reporting "expected a whole number min..max".
std::optional<int> read_count(ErrorSink& errors, const Item& item, int min, int max);
// "5%" or 0.05, within 0..1.
std::optional<double> read_ratio_item(ErrorSink& errors, const Item& item);
// A duration > 0.
std::optional<int64_t> read_positive_duration(ErrorSink& errors, const Item& item);
// Reports each name of `names` (the elements of list `item`) that is not in `known`.
void check_hook_names(ErrorSink& errors, const Item& item, const std::vector<std::string>& names,
                      const std::vector<std::string>& known);

// `release.verification:` (also per service, starting from the global values; `rules`, when
// given, replaces the list).
void parse_verification(ErrorSink& errors, const Item& item, VerificationConfig& out);
// `release.hooks:` — the valid hooks to `out`, every name written (valid or not) to `names`.
void parse_hooks(ErrorSink& errors, const Item& item, std::vector<HookConfig>& out, std::vector<std::string>& names);

}  // namespace sloguard::config::detail
