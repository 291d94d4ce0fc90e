// Minimal structured logging to stderr in logfmt ("ts=... level=info msg=\"...\" key=value").
// Thread-safe. Never pass secrets: callers log names of tokens, never their values.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace sloguard::log {

enum class Level { kDebug = 0, kInfo, kWarn, kError };

// Default: kInfo.
void set_level(Level level);
// Parses "debug", "info", "warn", "error". False when unknown.
bool parse_level(std::string_view text, Level& out);

using Field = std::pair<std::string_view, std::string>;

void write(Level level, std::string_view msg, std::initializer_list<Field> fields = {});
inline void debug(std::string_view msg, std::initializer_list<Field> f = {}) { write(Level::kDebug, msg, f); }
inline void info(std::string_view msg, std::initializer_list<Field> f = {}) { write(Level::kInfo, msg, f); }
inline void warn(std::string_view msg, std::initializer_list<Field> f = {}) { write(Level::kWarn, msg, f); }
inline void error(std::string_view msg, std::initializer_list<Field> f = {}) { write(Level::kError, msg, f); }

}  // namespace sloguard::log
