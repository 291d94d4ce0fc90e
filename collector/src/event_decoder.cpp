#include "event_decoder.h"

#include <nlohmann/json.hpp>

namespace sloguard::collector {
namespace {

using json = nlohmann::json;
using Type = RawField::Type;

// Depths: 0 outside everything; 1 inside the root object; 2 inside "events"; 3 inside one event.
class EventsHandler : public nlohmann::json_sax<json> {
 public:
  EventsHandler(DecodedBody& out, size_t max_events) : out_(out), max_events_(max_events) {}

  bool null() override { return scalar(Type::kNull, [](RawField&) {}); }
  bool boolean(bool) override { return scalar(Type::kBool, [](RawField&) {}); }
  bool number_integer(number_integer_t v) override {
    return scalar(Type::kInt, [v](RawField& f) { f.i = v; });
  }
  bool number_unsigned(number_unsigned_t v) override {
    return scalar(Type::kUint, [v](RawField& f) { f.u = v; });
  }
  bool number_float(number_float_t v, const string_t&) override {
    return scalar(Type::kFloat, [v](RawField& f) { f.f = v; });
  }
  bool string(string_t& v) override {
    return scalar(Type::kString, [&v](RawField& f) { f.s = std::move(v); });
  }
  bool binary(binary_t&) override { return scalar(Type::kString, [](RawField&) {}); }

  bool start_object(std::size_t) override { return open(Type::kObject); }
  bool start_array(std::size_t) override { return open(Type::kArray); }
  bool end_object() override { return close(); }
  bool end_array() override { return close(); }

  bool key(string_t& k) override {
    if (depth_ == 1) {
      events_key_ = k == "events";
      if (events_key_) {
        seen_events_ = true;
        out_.events.clear();  // like a DOM parser, the last "events" wins
      }
    } else if (depth_ == 3 && in_event_) {
      field_ = field_for(k);
    }
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override { return false; }

  void finish() {
    if (root_ != Type::kObject) {
      out_.shape_error = std::string("body must be a JSON object {\"events\": [...]}, got ") + name(root_);
    } else if (!seen_events_) {
      out_.shape_error = "body must have an \"events\" array";
    } else if (events_type_ != Type::kArray) {
      out_.shape_error = std::string("\"events\" must be an array, got ") + name(events_type_);
    }
  }

 private:
  static const char* name(Type t) {
    RawField f;
    f.type = t;
    return f.type_name();
  }
  RawField* field_for(const std::string& k) {
    RawEvent& e = out_.events.back();
    switch (k.size()) {
      case 2: return k == "ts" ? &e.ts : nullptr;
      case 5: return k == "count" ? &e.count : nullptr;
      case 6: return k == "status" ? &e.status : nullptr;
      case 7: return k == "service" ? &e.service : k == "version" ? &e.version : nullptr;
      case 8: return k == "endpoint" ? &e.endpoint : nullptr;
      case 10: return k == "latency_ms" ? &e.latency_ms : nullptr;
      default: return nullptr;
    }
  }
  // A value that is not a container, at the current depth.
  template <typename Set>
  bool scalar(Type t, Set set) {
    if (depth_ == 0) {
      root_ = t;
    } else if (depth_ == 1 && events_key_) {
      events_type_ = t;
      events_key_ = false;
    } else if (depth_ == 2 && in_events_) {
      if (!room()) return false;
      out_.events.emplace_back().element = t;
    } else if (depth_ == 3 && in_event_ && field_) {
      field_->type = t;
      set(*field_);
      field_ = nullptr;
    }
    return true;
  }
  bool open(Type t) {
    if (depth_ == 0) {
      root_ = t;
    } else if (depth_ == 1 && events_key_) {
      events_type_ = t;
      events_key_ = false;
      in_events_ = t == Type::kArray;
    } else if (depth_ == 2 && in_events_) {
      if (!room()) return false;
      out_.events.emplace_back().element = t;
      in_event_ = t == Type::kObject;
    } else if (depth_ == 3 && in_event_ && field_) {
      field_->type = t;
      field_ = nullptr;
    }
    ++depth_;
    return true;
  }
  bool close() {
    --depth_;
    if (depth_ == 2) in_event_ = false;
    if (depth_ == 1) in_events_ = false;
    return true;
  }

  bool room() {
    if (out_.events.size() < max_events_) return true;
    too_many_ = true;
    return false;
  }

 public:
  bool too_many() const { return too_many_; }

 private:
  DecodedBody& out_;
  size_t max_events_;
  bool too_many_ = false;
  int depth_ = 0;
  Type root_ = Type::kAbsent;
  bool events_key_ = false;
  bool seen_events_ = false;
  Type events_type_ = Type::kAbsent;
  bool in_events_ = false;
  bool in_event_ = false;
  RawField* field_ = nullptr;
};

}  // namespace

double RawField::as_double() const {
  switch (type) {
    case Type::kInt: return static_cast<double>(i);
    case Type::kUint: return static_cast<double>(u);
    case Type::kFloat: return f;
    default: return 0;
  }
}

const char* RawField::type_name() const {
  switch (type) {
    case Type::kAbsent: return "nothing";
    case Type::kNull: return "null";
    case Type::kBool: return "boolean";
    case Type::kInt:
    case Type::kUint:
    case Type::kFloat: return "number";
    case Type::kString: return "string";
    case Type::kObject: return "object";
    case Type::kArray: return "array";
  }
  return "value";
}

DecodedBody decode_events_body(std::string_view body, size_t max_events) {
  DecodedBody out;
  EventsHandler handler(out, max_events);
  out.syntax_ok = json::sax_parse(body.begin(), body.end(), &handler);
  if (handler.too_many()) {
    out.syntax_ok = true;
    out.events.clear();
    out.shape_error = "too many events: at most " + std::to_string(max_events) + " per request";
  } else if (out.syntax_ok) {
    handler.finish();
  }
  return out;
}

}  // namespace sloguard::collector
