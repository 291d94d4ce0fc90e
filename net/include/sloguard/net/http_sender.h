// Outbound HTTP: the HttpSender interface and its libcurl implementation. Notifiers and
// rollback hooks send through it; tests point it at loopback receivers.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sloguard/common/status.h"

namespace sloguard::net {

struct HttpRequest {
  std::string method = "POST";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  int64_t timeout_ms = 10000;  // Default: 10s for the whole exchange
  bool tls_verify = true;      // Default: true
  // The response body is kept up to this many bytes; the rest is read and dropped and
  // HttpResponse::truncated is set. Default: 64 KiB (enough for any webhook answer).
  size_t max_body_bytes = 64 * 1024;
  bool accept_compressed = false;  // Default: false; true asks for gzip/deflate (decoded on receipt)
};

struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names as received
  std::string body;                                          // at most max_body_bytes
  bool truncated = false;                                    // the body was longer
  // First header with this name (case-insensitive), if any.
  std::optional<std::string> header(std::string_view name) const;
};

// Sends one request, no retries. A response with any status is success; network failures
// (DNS, connect, TLS, timeout) are an Unavailable status whose message never contains the
// URL (URLs may hold secrets). Implementations are thread-safe.
class HttpSender {
 public:
  virtual ~HttpSender() = default;
  virtual Result<HttpResponse> send(const HttpRequest& request) = 0;
};

// The libcurl implementation; no redirects, no proxies from the environment.
std::unique_ptr<HttpSender> make_curl_sender();

// Retry classification shared by notifiers and hooks: 2xx delivered; 408, 425, 429 and 5xx
// (and network failures) retryable, honouring Retry-After (seconds or an HTTP date); every
// other status is final.
enum class Outcome { kDelivered, kRetry, kFailed };
struct Verdict {
  Outcome outcome = Outcome::kFailed;
  std::optional<int64_t> retry_after_ms;  // from Retry-After, when present
  int http_status = 0;                    // 0 for network failures
  std::string detail;                     // why, for logs and the API (no secrets)
};
Verdict classify(const Result<HttpResponse>& response, int64_t now_ms);

// Exponential backoff with +-20% jitter: initial * 2^(attempt-1), capped at max_ms.
// attempt starts at 1.
int64_t backoff_ms(int attempt, int64_t initial_ms, int64_t max_ms);

// Standard Webhooks (standardwebhooks.com) signature: "v1," + base64(HMAC-SHA256(key,
// id + "." + timestamp + "." + body)), key = base64-decoded secret without its "whsec_"
// prefix (a secret without the prefix is used as raw bytes).
std::string standard_webhooks_signature(std::string_view secret, std::string_view id,
                                        int64_t timestamp_seconds, std::string_view body);
// GitHub style: "sha256=" + hex(HMAC-SHA256(secret, body)).
std::string hub_signature_256(std::string_view secret, std::string_view body);

}  // namespace sloguard::net
