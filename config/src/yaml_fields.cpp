#include "yaml_fields.h"

#include <algorithm>
#include <cctype>

#include "sloguard/common/units.h"

namespace sloguard::config::detail {

void ErrorSink::add(const YAML::Mark& mark, std::string message) {
  ConfigError e;
  e.file = file_;
  e.line = mark.is_null() ? 0 : mark.line + 1;
  e.column = mark.is_null() ? 0 : mark.column + 1;
  e.message = std::move(message);
  errors_.push_back(std::move(e));
}

std::vector<ConfigError> ErrorSink::take_sorted() {
  std::stable_sort(errors_.begin(), errors_.end(), [](const ConfigError& a, const ConfigError& b) {
    return std::pair(a.line, a.column) < std::pair(b.line, b.column);
  });
  return std::move(errors_);
}

std::string Item::msg(std::string_view message) const {
  if (path.empty()) return std::string(message);
  return path + ": " + std::string(message);
}

Item Item::child(std::string_view k, YAML::Node value, YAML::Mark key_mark) const {
  std::string p = path.empty() ? std::string(k) : path + "." + std::string(k);
  return Item{std::move(p), std::move(value), key_mark, sensitive};
}

Item Item::element(size_t index, YAML::Node value) const {
  return Item{path + "[" + std::to_string(index) + "]", std::move(value), YAML::Mark::null_mark(), sensitive};
}

int edit_distance(std::string_view a, std::string_view b) {
  const size_t n = a.size(), m = b.size();
  std::vector<std::vector<int>> d(n + 1, std::vector<int>(m + 1, 0));
  for (size_t i = 0; i <= n; ++i) d[i][0] = static_cast<int>(i);
  for (size_t j = 0; j <= m; ++j) d[0][j] = static_cast<int>(j);
  for (size_t i = 1; i <= n; ++i) {
    for (size_t j = 1; j <= m; ++j) {
      int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[n][m];
}

std::string_view closest_match(std::string_view word, const std::vector<std::string_view>& candidates) {
  auto lower = [](std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
  };
  const std::string w = lower(word);
  std::string_view best;
  int best_distance = 3;  // suggest only within distance 2
  for (std::string_view c : candidates) {
    int d = edit_distance(w, lower(c));
    if (d < best_distance) {
      best = c;
      best_distance = d;
    }
  }
  return best;
}

std::string join_names(const std::vector<std::string_view>& names) {
  std::string out;
  for (std::string_view n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

std::string describe(const YAML::Node& node, bool sensitive) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar: return sensitive ? "a string" : "\"" + node.Scalar() + "\"";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a mapping";
    default: return "nothing";
  }
}

namespace {

void report_expected(ErrorSink& errors, const Item& item, std::string_view what) {
  errors.add(item.mark(),
             item.msg("expected " + std::string(what) + ", got " + describe(item.node, item.sensitive)));
}

}  // namespace

bool expect_map(ErrorSink& errors, const Item& item, std::string_view what) {
  if (item.node.IsMap()) return true;
  report_expected(errors, item, what);
  return false;
}

bool expect_list(ErrorSink& errors, const Item& item, std::string_view what) {
  if (item.node.IsSequence()) return true;
  report_expected(errors, item, what);
  return false;
}

std::optional<std::string> read_scalar(ErrorSink& errors, const Item& item, std::string_view what) {
  if (item.node.IsScalar()) return item.node.Scalar();
  report_expected(errors, item, what);
  return std::nullopt;
}

std::optional<int64_t> read_duration(ErrorSink& errors, const Item& item) {
  auto text = read_scalar(errors, item, "a duration like 30d, 6h or 15s");
  if (!text) return std::nullopt;
  Result<int64_t> ms = parse_duration_ms(*text);
  if (!ms.ok()) {
    errors.add(item.mark(), item.msg(ms.status().message()));
    return std::nullopt;
  }
  return *ms;
}

std::optional<bool> read_bool(ErrorSink& errors, const Item& item) {
  bool value = false;
  if (item.node.IsScalar() && YAML::convert<bool>::decode(item.node, value)) return value;
  report_expected(errors, item, "true or false");
  return std::nullopt;
}

Fields::Fields(ErrorSink& errors, const Item& map, std::vector<std::string_view> known, std::string_view hint)
    : errors_(errors), map_(map) {
  for (auto it = map.node.begin(); it != map.node.end(); ++it) {
    // Copies: yaml-cpp's iterator hands out a temporary pair.
    const YAML::Node key = it->first;
    const YAML::Node value = it->second;
    if (!key.IsScalar()) {
      errors_.add(key.Mark(), map.msg("expected a key name, got " + describe(key, map.sensitive)));
      continue;
    }
    const std::string& name = key.Scalar();
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      // Never echo the value: an unknown key may hold an inline secret. In a sensitive map
      // the key itself may be a secret ("{name: ci, s3cret}"), unless it is close to a known key.
      std::string_view suggestion = closest_match(name, known);
      std::string m = map.sensitive && suggestion.empty() ? "unknown key (not shown, it may be a secret)"
                                                          : "unknown key \"" + name + "\"";
      if (!suggestion.empty()) {
        m += "; did you mean \"" + std::string(suggestion) + "\"?";
      } else {
        m += "; expected one of: " + join_names(known);
      }
      if (!hint.empty()) m += " (" + std::string(hint) + ")";
      errors_.add(key.Mark(), map.msg(m));
      continue;
    }
    auto seen = std::find_if(fields_.begin(), fields_.end(), [&](const auto& f) { return f.first == name; });
    if (seen != fields_.end()) {
      errors_.add(key.Mark(), map.msg("key \"" + name + "\" is repeated (first at line " +
                                      std::to_string(seen->second.key.line + 1) + ")"));
      continue;
    }
    fields_.emplace_back(name, map.child(name, value, key.Mark()));
  }
}

const Item* Fields::get(std::string_view key) const {
  for (const auto& [name, item] : fields_) {
    if (name == key) return &item;
  }
  return nullptr;
}

const Item* Fields::require(std::string_view key) const {
  const Item* item = get(key);
  if (!item) {
    errors_.add(map_.mark(), map_.msg("missing required key \"" + std::string(key) + "\""));
  }
  return item;
}

}  // namespace sloguard::config::detail
