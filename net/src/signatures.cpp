// Webhook signatures: HMAC-SHA256 over the payload, encoded as the receivers expect.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>

#include "sloguard/net/http_sender.h"

namespace sloguard::net {
namespace {

using Digest = std::array<unsigned char, 32>;

Digest hmac_sha256(std::string_view key, std::string_view data) {
  Digest out{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out.data(), &len);
  return out;
}

std::string base64_encode(const unsigned char* data, size_t size) {
  std::string out(4 * ((size + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
  out.resize(static_cast<size_t>(std::max(n, 0)));
  return out;
}

// Standard base64 (with padding); nullopt when `text` is not.
std::optional<std::string> base64_decode(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  std::string out(3 * (text.size() / 4), '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock counts the bytes that the padding stands for.
  size_t size = static_cast<size_t>(n);
  if (text.back() == '=') --size;
  if (text[text.size() - 2] == '=') --size;
  out.resize(size);
  return out;
}

}  // namespace

std::string standard_webhooks_signature(std::string_view secret, std::string_view id, int64_t timestamp_seconds,
                                        std::string_view body) {
  constexpr std::string_view kPrefix = "whsec_";
  std::string key;
  if (secret.substr(0, kPrefix.size()) == kPrefix) {
    std::optional<std::string> decoded = base64_decode(secret.substr(kPrefix.size()));
    key = decoded ? std::move(*decoded) : std::string(secret);
  } else {
    key = std::string(secret);
  }
  std::string content;
  content.reserve(id.size() + body.size() + 24);
  content.append(id).append(".").append(std::to_string(timestamp_seconds)).append(".").append(body);
  const Digest mac = hmac_sha256(key, content);
  return "v1," + base64_encode(mac.data(), mac.size());
}

std::string hub_signature_256(std::string_view secret, std::string_view body) {
  static constexpr char kHex[] = "0123456789abcdef";
  const Digest mac = hmac_sha256(secret, body);
  std::string out = "sha256=";
  for (unsigned char b : mac) {
    out += kHex[b >> 4];
    out += kHex[b & 0xf];
  }
  return out;
}

}  // namespace sloguard::net
