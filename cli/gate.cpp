// `sloguard gate`: asks a running sloguard whether a service may release now.
// Exit 0 allow, 1 deny, 2 could not decide.
#include <httplib.h>

#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.h"

namespace sloguard::cli {

int run_gate(const GateArgs& args) {
  using json = nlohmann::json;
  auto undecided = [](const std::string& why) {
    std::cerr << "sloguard gate: could not decide: " << why << "\n";
    return 2;
  };
  httplib::Headers headers;
  if (!args.token_env.empty()) {
    const char* token = std::getenv(args.token_env.c_str());
    if (!token || !*token) return undecided("environment variable " + args.token_env + " is not set");
    headers.emplace("Authorization", std::string("Bearer ") + token);
  }
  std::string path = "/api/v1/gate?service=" + httplib::detail::encode_query_param(args.service);
  if (!args.slo.empty()) path += "&slo=" + httplib::detail::encode_query_param(args.slo);
  httplib::Client client(args.server);
  if (!client.is_valid()) return undecided("invalid server URL \"" + args.server + "\"");
  client.set_connection_timeout(std::chrono::seconds(10));
  client.set_read_timeout(std::chrono::seconds(args.timeout_seconds));
  auto res = client.Get(path.c_str(), headers);
  if (!res) return undecided("cannot reach " + args.server + " (" + httplib::to_string(res.error()) + ")");
  json body = json::parse(res->body, nullptr, false);
  if (res->status != 200) {
    std::string why = body.is_object() && body.contains("error") && body["error"].is_string()
                          ? body["error"].get<std::string>()
                          : "HTTP " + std::to_string(res->status);
    return undecided(why + " (HTTP " + std::to_string(res->status) + ")");
  }
  if (!body.is_object() || !body.contains("allow") || !body["allow"].is_boolean()) {
    return undecided("the server's answer has no allow field");
  }
  const bool allow = body["allow"].get<bool>();
  // An SLO without data (its datasource failed) and nothing else blocking: neither go nor no-go.
  const bool decided = !body.contains("decided") || !body["decided"].is_boolean() || body["decided"].get<bool>();
  if (!decided) {
    if (args.json) std::cout << body.dump(2) << "\n";
    std::string why;
    if (body.contains("reasons") && body["reasons"].is_array()) {
      for (const auto& r : body["reasons"]) {
        if (r.is_string()) why += (why.empty() ? "" : "; ") + r.get<std::string>();
      }
    }
    return undecided(why.empty() ? "an SLO's data is unavailable" : why);
  }
  if (args.json) {
    std::cout << body.dump(2) << "\n";
  } else {
    std::cout << (allow ? "ALLOW" : "DENY") << ": release of " << args.service
              << (allow ? " may go ahead" : " is blocked") << "\n";
    if (body.contains("reasons") && body["reasons"].is_array()) {
      for (const auto& r : body["reasons"]) {
        if (r.is_string()) std::cout << "  - " << r.get<std::string>() << "\n";
      }
    }
    if (body.contains("warnings") && body["warnings"].is_array()) {
      for (const auto& w : body["warnings"]) {
        if (w.is_string()) std::cout << "  ! " << w.get<std::string>() << "\n";
      }
    }
  }
  return allow ? 0 : 1;
}

}  // namespace sloguard::cli
