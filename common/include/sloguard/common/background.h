// What a background thread does with an exception that escapes one unit of its work (a
// round, a delivery, a job): log it, report it to whoever counts internal errors (the daemon's
// sloguard_internal_errors_total{component}), and go on with the next unit. The thread never
// takes the process down.
#pragma once

#include <functional>
#include <string>

namespace sloguard {

// Called once per escaped exception with the component's name ("evaluator", "outbox", ...).
// Called from any background thread: it must be thread-safe. Empty: only logged.
using InternalErrorReporter = std::function<void(const std::string& component)>;

// Logs the exception being handled (call it from a catch block) and reports it. Never throws.
void report_internal_error(const std::string& component, const InternalErrorReporter& report) noexcept;

// Runs fn(); whatever escapes it is logged and reported. True when fn() returned normally.
template <class Fn>
bool run_guarded(const std::string& component, const InternalErrorReporter& report, Fn&& fn) noexcept {
  try {
    fn();
    return true;
  } catch (...) {
    report_internal_error(component, report);
    return false;
  }
}

}  // namespace sloguard
