#include "auth.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cctype>

namespace sloguard::server {
namespace {

std::array<unsigned char, 32> digest_of(std::string_view s) {
  std::array<unsigned char, 32> d{};
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), d.data());
  return d;
}

}  // namespace

Authorizer::Authorizer(const config::Config& cfg) {
  for (const auto& t : cfg.server.tokens) tokens_.push_back(Entry{t.name, digest_of(t.secret), t.roles});
}

AuthDecision Authorizer::check(std::string_view authorization, config::Role needed) const {
  if (!enabled()) return {};
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.size() <= kBearer.size() ||
      !std::equal(kBearer.begin(), kBearer.end(), authorization.begin(),
                  [](char a, char b) {
                    return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
                  })) {
    return {401, "missing bearer token: send 'Authorization: Bearer <token>'", ""};
  }
  const auto presented = digest_of(authorization.substr(kBearer.size()));
  const Entry* match = nullptr;
  for (const auto& e : tokens_) {  // no early exit: every token is compared
    if (CRYPTO_memcmp(presented.data(), e.digest.data(), presented.size()) == 0) match = &e;
  }
  if (!match) return {401, "invalid bearer token", ""};
  if (std::find(match->roles.begin(), match->roles.end(), needed) == match->roles.end()) {
    return {403, "token \"" + match->name + "\" lacks the " + std::string(config::role_name(needed)) + " role", match->name};
  }
  return {200, "", match->name};
}

}  // namespace sloguard::server
