// run_guarded: what escapes is reported once with the component, and nothing escapes it.
#include "sloguard/common/background.h"

#include <catch2/catch.hpp>
#include <stdexcept>
#include <vector>

using namespace sloguard;

TEST_CASE("run_guarded reports what escapes and never throws", "[common][background]") {
  std::vector<std::string> reported;
  InternalErrorReporter report = [&](const std::string& c) { reported.push_back(c); };
  int ran = 0;
  CHECK(run_guarded("evaluator", report, [&] { ++ran; }));
  CHECK(reported.empty());
  CHECK_FALSE(run_guarded("outbox", report, [] { throw std::out_of_range("map::at"); }));
  CHECK_FALSE(run_guarded("prober", report, [] { throw 42; }));  // not a std::exception
  CHECK(reported == std::vector<std::string>{"outbox", "prober"});
  // A reporter that throws, or none at all, changes nothing for the caller.
  CHECK_FALSE(run_guarded("x", [](const std::string&) { throw std::runtime_error("metrics broke"); },
                          [] { throw std::runtime_error("boom"); }));
  CHECK_FALSE(run_guarded("x", {}, [] { throw std::runtime_error("boom"); }));
  CHECK(ran == 1);
}
