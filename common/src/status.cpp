#include "sloguard/common/status.h"

namespace sloguard {

const std::string& Status::message() const {
  static const std::string kEmpty;
  return state_ ? state_->message : kEmpty;
}

std::string Status::to_string() const {
  if (!state_) return "OK";
  const char* name = "Unknown";
  switch (state_->code) {
    case Code::kOk: name = "OK"; break;
    case Code::kInvalidArgument: name = "Invalid argument"; break;
    case Code::kNotFound: name = "Not found"; break;
    case Code::kAlreadyExists: name = "Already exists"; break;
    case Code::kIOError: name = "IO error"; break;
    case Code::kCorruption: name = "Corruption"; break;
    case Code::kUnavailable: name = "Unavailable"; break;
    case Code::kResourceExhausted: name = "Resource exhausted"; break;
    case Code::kInternal: name = "Internal"; break;
  }
  return std::string(name) + ": " + state_->message;
}

}  // namespace sloguard
