// Bearer-token authorization against the configured tokens and roles.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "sloguard/config/config.h"

namespace sloguard::server {

struct AuthDecision {
  int status = 200;         // 200 allowed, 401 no or unknown token, 403 token lacks the role
  std::string message;      // for 401/403; names the token, never its value
  std::string token_name;   // who, when known
};

// Built from a config; immutable; thread-safe.
class Authorizer {
 public:
  explicit Authorizer(const config::Config& cfg);
  bool enabled() const { return !tokens_.empty(); }
  // `authorization` is the Authorization header value ("" when absent). Compares digests in
  // constant time, so response timing does not reveal how much of a token matched.
  AuthDecision check(std::string_view authorization, config::Role needed) const;

 private:
  struct Entry {
    std::string name;
    std::array<unsigned char, 32> digest;
    std::vector<config::Role> roles;
  };
  std::vector<Entry> tokens_;
};

}  // namespace sloguard::server
