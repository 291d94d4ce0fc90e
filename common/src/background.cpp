#include "sloguard/common/background.h"

#include <exception>

#include "sloguard/common/log.h"

namespace sloguard {

void report_internal_error(const std::string& component, const InternalErrorReporter& report) noexcept {
  try {
    std::string what = "an exception of an unknown type";
    if (auto current = std::current_exception()) {
      try {
        std::rethrow_exception(current);
      } catch (const std::exception& e) {
        what = e.what();
      } catch (...) {
      }
    }
    log::error("internal error in a background thread; it goes on", {{"component", component}, {"error", what}});
  } catch (...) {
    // Out of memory even for the message: the count below still says it happened.
  }
  if (!report) return;
  try {
    report(component);
  } catch (...) {
  }
}

}  // namespace sloguard
