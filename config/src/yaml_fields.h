// Walking a parsed YAML tree while collecting located errors. Internal to the config loader:
// yaml-cpp stays out of the public header.
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sloguard/config/config.h"

namespace sloguard::config::detail {

// Collects errors located in one file. Marks are yaml-cpp's (0-based); errors are 1-based.
class ErrorSink {
 public:
  explicit ErrorSink(std::string file) : file_(std::move(file)) {}
  // A null mark (line -1) gives line 0, "location unknown".
  void add(const YAML::Mark& mark, std::string message);
  size_t size() const { return errors_.size(); }
  // The file name used in messages (also recorded in TextPos).
  const std::string& file() const { return file_; }
  // All errors, in file order (stable for errors at the same place).
  std::vector<ConfigError> take_sorted();

 private:
  std::string file_;
  std::vector<ConfigError> errors_;
};

// A value in the tree with its path for messages ("slos[0].window").
struct Item {
  std::string path;
  YAML::Node node;
  YAML::Mark key;  // the key's mark (null mark for list elements and the root)
  // Under server.auth: a scalar written there may be a secret pasted in the wrong place, so
  // messages say what kind of value was found but never echo it. Inherited by children.
  bool sensitive = false;

  // Where errors about the value point. yaml-cpp marks an empty (null) value at the next
  // token, often on another line, so those point at their key instead.
  YAML::Mark mark() const { return node.IsNull() && !key.is_null() ? key : node.Mark(); }
  // "path: message", or just message at the root.
  std::string msg(std::string_view message) const;
  Item child(std::string_view key, YAML::Node value, YAML::Mark key_mark) const;
  Item element(size_t index, YAML::Node value) const;
};

// Optimal string alignment distance (Levenshtein plus adjacent transpositions).
int edit_distance(std::string_view a, std::string_view b);
// The candidate closest to word (ignoring case) within edit distance 2, or "" when none is.
std::string_view closest_match(std::string_view word, const std::vector<std::string_view>& candidates);
// "name, service, objective".
std::string join_names(const std::vector<std::string_view>& names);
// "nothing", "a list", "a mapping", or the quoted scalar ("a string" when sensitive).
std::string describe(const YAML::Node& node, bool sensitive = false);

// Checks the node's kind, reporting "expected <what>, got <describe>" when it is not.
bool expect_map(ErrorSink& errors, const Item& item, std::string_view what = "a mapping");
bool expect_list(ErrorSink& errors, const Item& item, std::string_view what = "a list");
// The scalar text; nullopt after reporting "expected <what>" for null, lists and mappings.
std::optional<std::string> read_scalar(ErrorSink& errors, const Item& item, std::string_view what);
// A duration like "30d" or "1h30m" in milliseconds; nullopt after reporting an error.
std::optional<int64_t> read_duration(ErrorSink& errors, const Item& item);
// true/false (also yes/no, on/off as YAML 1.1 allows); nullopt after reporting an error.
std::optional<bool> read_bool(ErrorSink& errors, const Item& item);

// The keys of one mapping, checked against the known names. Unknown keys (with a "did you
// mean" suggestion or the list of known keys, then `hint`) and repeated keys are reported
// on construction. `map` must be a mapping (see expect_map).
class Fields {
 public:
  Fields(ErrorSink& errors, const Item& map, std::vector<std::string_view> known, std::string_view hint = {});
  // The value, or null when the key is absent.
  const Item* get(std::string_view key) const;
  // The value, or null after reporting the key missing at the mapping.
  const Item* require(std::string_view key) const;

 private:
  ErrorSink& errors_;
  Item map_;
  std::vector<std::pair<std::string, Item>> fields_;
};

}  // namespace sloguard::config::detail
