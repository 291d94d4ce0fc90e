// Log level names as given on the command line (--log-level).
#include <catch2/catch.hpp>

#include "sloguard/common/log.h"

namespace sloguard::log {
namespace {

TEST_CASE("parse_level knows the four level names", "[common][log]") {
  Level l = Level::kError;
  CHECK(parse_level("debug", l));
  CHECK(l == Level::kDebug);
  CHECK(parse_level("info", l));
  CHECK(l == Level::kInfo);
  CHECK(parse_level("warn", l));
  CHECK(l == Level::kWarn);
  CHECK(parse_level("error", l));
  CHECK(l == Level::kError);
}

TEST_CASE("parse_level rejects other text and leaves the level alone", "[common][log]") {
  for (const char* text : {"", "INFO", "warning", "trace", " info", "info "}) {
    INFO("level: \"" << text << "\"");
    Level l = Level::kWarn;
    CHECK_FALSE(parse_level(text, l));
    CHECK(l == Level::kWarn);
  }
}

}  // namespace
}  // namespace sloguard::log
