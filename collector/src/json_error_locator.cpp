#include "json_error_locator.h"

#include <nlohmann/json.hpp>
#include <vector>

namespace sloguard::collector {
namespace {

using json = nlohmann::json;

// A SAX handler that only tracks where it is.
class PathTracker : public nlohmann::json_sax<json> {
 public:
  JsonErrorLocation result;

  bool null() override { return value(); }
  bool boolean(bool) override { return value(); }
  bool number_integer(number_integer_t) override { return value(); }
  bool number_unsigned(number_unsigned_t) override { return value(); }
  bool number_float(number_float_t, const string_t&) override { return value(); }
  bool string(string_t&) override { return value(); }
  bool binary(binary_t&) override { return value(); }
  bool start_object(std::size_t) override {
    value();
    stack_.push_back(Frame{false, -1, ""});
    return true;
  }
  bool key(string_t& k) override {
    stack_.back().key = k;
    return true;
  }
  bool end_object() override {
    stack_.pop_back();
    return true;
  }
  bool start_array(std::size_t) override {
    value();
    stack_.push_back(Frame{true, -1, ""});
    return true;
  }
  bool end_array() override {
    stack_.pop_back();
    return true;
  }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& ex) override {
    result.found = true;
    result.byte_offset = position > 0 ? static_cast<int64_t>(position) - 1 : 0;
    result.number_overflow = ex.id == 406;
    std::string what = ex.what();
    if (auto pos = what.find("] "); pos != std::string::npos) what = what.substr(pos + 2);
    result.what = what;
    for (size_t i = 0; i < stack_.size(); ++i) {
      const Frame& f = stack_[i];
      if (f.array) {
        if (f.index < 0) break;
        result.path += "[" + std::to_string(f.index) + "]";
        if (i == 1 && stack_[0].key == "events") result.events_index = f.index;
      } else {
        if (f.key.empty()) break;
        result.path += (result.path.empty() ? "" : ".") + f.key;
        if (i == 2 && result.events_index >= 0) result.field = f.key;
      }
    }
    return false;
  }

 private:
  struct Frame {
    bool array;
    int64_t index;  // arrays: index of the element being read
    std::string key;  // objects: the key being read
  };
  bool value() {
    if (!stack_.empty() && stack_.back().array) ++stack_.back().index;
    return true;
  }
  std::vector<Frame> stack_;
};

}  // namespace

JsonErrorLocation locate_json_error(std::string_view text) {
  PathTracker tracker;
  json::sax_parse(text.begin(), text.end(), &tracker);
  return tracker.result;
}

}  // namespace sloguard::collector
