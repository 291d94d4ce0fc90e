// JSON answers shared by the route files.
#pragma once

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <string>

namespace sloguard::server {

// Invalid UTF-8 from stored input is replaced, never thrown on.
inline void reply(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json");
}

// {"error": message, ...extra} with the status.
inline void reply_error(httplib::Response& res, int status, const std::string& message,
                        nlohmann::json extra = nlohmann::json::object()) {
  extra["error"] = message;
  reply(res, status, extra);
}

}  // namespace sloguard::server
