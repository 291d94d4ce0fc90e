// The one way a stored state record (alert state, silence, outbox entry, deployment,
// verification progress, rollback job, audit entry, Alertmanager alert) is decoded from its
// JSON bytes: text that is not JSON, not an object, of the wrong types or missing fields
// becomes a Corruption Status naming the record, never an exception. The caller logs and
// counts it and skips the record. nlohmann/json is header-only; this header is for the .cpp
// files that decode, not for public headers.
#pragma once

#include <exception>
#include <new>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "sloguard/common/status.h"

namespace sloguard {

namespace detail {

// "[json.exception.type_error.302] type must be string, but is number" without the bracket.
inline std::string json_error_text(const std::exception& e) {
  std::string_view m = e.what();
  if (!m.empty() && m.front() == '[') {
    if (size_t end = m.find("] "); end != std::string_view::npos) m.remove_prefix(end + 2);
  }
  return std::string(m);
}

inline Status record_error(std::string_view what, std::string_view why) {
  return Status::Corruption(std::string(what) + ": " + std::string(why));
}

}  // namespace detail

// Parses `bytes` (a JSON object) and turns it into a T with `decode(const nlohmann::json&)`,
// which returns T or Result<T> and may throw what nlohmann throws (at(), get<T>()) or
// std::out_of_range / std::invalid_argument. Errors: Corruption("<what>: <why>"). Only
// std::bad_alloc passes through, for the caller's thread guard (common/background.h).
template <class T, class Decode>
Result<T> decode_record(std::string_view bytes, std::string_view what, Decode&& decode) {
  nlohmann::json j = nlohmann::json::parse(bytes.begin(), bytes.end(), nullptr, false);
  if (j.is_discarded()) return detail::record_error(what, "is not JSON");
  if (!j.is_object()) return detail::record_error(what, std::string("is not a JSON object but ") + j.type_name());
  try {
    if constexpr (std::is_same_v<std::decay_t<decltype(decode(j))>, Result<T>>) {
      Result<T> r = decode(j);
      if (!r.ok()) return detail::record_error(what, r.status().message());
      return r;
    } else {
      return T(decode(j));
    }
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const std::exception& e) {
    return detail::record_error(what, detail::json_error_text(e));
  }
}

// The same through nlohmann's from_json for T: an adapter written with
// NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT or a hand-written from_json(const json&, T&).
template <class T>
Result<T> decode_record(std::string_view bytes, std::string_view what) {
  return decode_record<T>(bytes, what, [](const nlohmann::json& j) { return j.get<T>(); });
}

}  // namespace sloguard
