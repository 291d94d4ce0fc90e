// Clock: tests move a ManualClock instead of sleeping.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

#include "sloguard/common/clock.h"

namespace sloguard {
namespace {

using namespace std::chrono_literals;

TEST_CASE("ManualClock starts where it is told", "[common][clock]") {
  ManualClock zero;
  CHECK(zero.now_ms() == 0);
  CHECK(zero.now_seconds() == 0);

  ManualClock clock(1767226200123);
  CHECK(clock.now_ms() == 1767226200123);
  CHECK(clock.now_seconds() == 1767226200);  // whole seconds, truncated
}

TEST_CASE("ManualClock only moves when told", "[common][clock]") {
  ManualClock clock(1000);
  CHECK(clock.now_ms() == 1000);
  CHECK(clock.now_ms() == 1000);

  clock.advance(500ms);
  CHECK(clock.now_ms() == 1500);
  clock.advance(2s);
  CHECK(clock.now_ms() == 3500);
  clock.advance(1min);
  CHECK(clock.now_ms() == 63500);
  clock.advance(0ms);
  CHECK(clock.now_ms() == 63500);
  clock.advance(-500ms);  // may go back, e.g. to model a wall-clock step
  CHECK(clock.now_ms() == 63000);

  clock.set_ms(42);
  CHECK(clock.now_ms() == 42);
  clock.set_seconds(1767226200);
  CHECK(clock.now_ms() == 1767226200000);
  CHECK(clock.now_seconds() == 1767226200);
}

TEST_CASE("ManualClock serves through the Clock interface", "[common][clock]") {
  ManualClock manual(5000);
  const Clock& clock = manual;
  CHECK(clock.now_ms() == 5000);
  CHECK(clock.now_seconds() == 5);
  manual.advance(1s);
  CHECK(clock.now_seconds() == 6);
}

TEST_CASE("ManualClock is safe to advance and read from many threads", "[common][clock]") {
  ManualClock clock(0);
  constexpr int kThreads = 8;
  constexpr int kSteps = 10000;
  std::atomic<bool> went_back{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&clock, &went_back] {
      UnixMillis last = 0;
      for (int i = 0; i < kSteps; ++i) {
        clock.advance(1ms);
        UnixMillis now = clock.now_ms();
        // Only forward steps here, so each reader sees a non-decreasing clock.
        if (now < last) went_back = true;
        last = now;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK_FALSE(went_back);
  CHECK(clock.now_ms() == int64_t{kThreads} * kSteps);
}

TEST_CASE("SystemClock reads the wall clock", "[common][clock]") {
  const SystemClock& clock = SystemClock::instance();
  CHECK(&clock == &SystemClock::instance());
  // After 2024-01-01 and before 2100-01-01: a sanity check, not a timing test.
  CHECK(clock.now_ms() > 1704067200000);
  CHECK(clock.now_ms() < 4102444800000);
  int64_t seconds = clock.now_seconds();
  int64_t ms = clock.now_ms();
  CHECK(seconds <= ms / 1000);
  CHECK(seconds >= ms / 1000 - 1);  // a second boundary may pass between the calls
}

}  // namespace
}  // namespace sloguard
