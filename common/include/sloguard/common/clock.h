// Time source. Production code asks a Clock for the time; tests inject a ManualClock
// and advance it instead of sleeping.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>

namespace sloguard {

// Unix time in milliseconds.
using UnixMillis = int64_t;

class Clock {
 public:
  virtual ~Clock() = default;
  // Current Unix time in milliseconds. Thread-safe.
  virtual UnixMillis now_ms() const = 0;
  int64_t now_seconds() const { return now_ms() / 1000; }
};

// The system's wall clock.
class SystemClock final : public Clock {
 public:
  UnixMillis now_ms() const override;
  // A process-wide instance.
  static const SystemClock& instance();
};

// A clock that only moves when told to. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(UnixMillis start_ms = 0) : now_(start_ms) {}
  UnixMillis now_ms() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return now_;
  }
  void set_ms(UnixMillis t) {
    std::lock_guard<std::mutex> lock(mu_);
    now_ = t;
  }
  void set_seconds(int64_t t) { set_ms(t * 1000); }
  void advance(std::chrono::milliseconds d) {
    std::lock_guard<std::mutex> lock(mu_);
    now_ += d.count();
  }

 private:
  mutable std::mutex mu_;
  UnixMillis now_;
};

}  // namespace sloguard
