// Helpers shared by the config tests.
#pragma once

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "sloguard/config/config.h"

namespace sloguard::config::testing {

inline LoadResult load(const std::string& yaml) {
  return load_config_text(yaml, "test.yaml");
}

// Every error as "file:line:column: message", one a line.
inline std::string all_errors(const LoadResult& r) {
  std::string out;
  for (const auto& e : r.errors) out += e.to_string() + "\n";
  return out;
}

inline const ConfigError* find_error(const LoadResult& r, std::string_view needle) {
  for (const auto& e : r.errors) {
    if (e.message.find(needle) != std::string::npos) return &e;
  }
  return nullptr;
}

// Requires an error whose message contains `needle`, at line:column (1-based).
inline void require_error_at(const LoadResult& r, int line, int column, std::string_view needle) {
  INFO("looking for \"" << needle << "\" at " << line << ":" << column << " in:\n" << all_errors(r));
  REQUIRE_FALSE(r.ok());
  const ConfigError* e = find_error(r, needle);
  REQUIRE(e != nullptr);
  CHECK(e->file == "test.yaml");
  CHECK(e->line == line);
  CHECK(e->column == column);
}

// True when some error at line:column has `needle` in its message.
inline bool has_error(const LoadResult& r, int line, int column, std::string_view needle) {
  for (const auto& e : r.errors) {
    if (e.line == line && e.column == column && e.message.find(needle) != std::string::npos) return true;
  }
  return false;
}

// Exactly these errors, in this order: each at its line and column, its message starting
// with the text.
struct WantError {
  int line, column;
  const char* text;
};
inline void require_errors(const LoadResult& r, std::initializer_list<WantError> want) {
  INFO(all_errors(r));
  REQUIRE(r.errors.size() == want.size());
  size_t i = 0;
  for (const WantError& w : want) {
    INFO("error " << i);
    CHECK(r.errors[i].line == w.line);
    CHECK(r.errors[i].column == w.column);
    CHECK(r.errors[i].message.find(w.text) == 0);
    ++i;
  }
}

inline void write_file(const std::filesystem::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
}

// The repository's config/examples.
inline std::filesystem::path examples_dir() {
  return std::filesystem::path(SLOGUARD_SOURCE_DIR) / "config" / "examples";
}

}  // namespace sloguard::config::testing
