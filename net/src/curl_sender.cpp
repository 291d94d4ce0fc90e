// HttpSender over libcurl: one easy handle per request, so the sender holds no state and is
// thread-safe. Errors name the curl failure, never the URL (it may carry a token).
#include <curl/curl.h>

#include <algorithm>
#include <memory>
#include <mutex>

#include "sloguard/net/http_sender.h"

#ifndef SLOGUARD_VERSION
#define SLOGUARD_VERSION "dev"
#endif

namespace sloguard::net {
namespace {

constexpr const char* kUserAgent = "sloguard/" SLOGUARD_VERSION;

struct Exchange {
  HttpResponse response;
  size_t max_body = 0;
};

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  std::string& body = ex->response.body;
  const size_t bytes = size * n;
  const size_t room = ex->max_body - std::min(ex->max_body, body.size());
  if (bytes > room) ex->response.truncated = true;
  body.append(data, std::min(bytes, room));
  return bytes;  // the rest is read and dropped, so the exchange still completes
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  const size_t bytes = size * n;
  std::string_view line(data, bytes);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.substr(0, 5) == "HTTP/") {
    // A new response (after a 100 Continue, say): its headers replace the interim ones.
    ex->response.headers.clear();
    return bytes;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return bytes;
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  ex->response.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  return bytes;
}

struct EasyDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

bool is_network_failure(CURLcode code) {
  switch (code) {
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_OUT_OF_MEMORY:
    case CURLE_UNKNOWN_OPTION:
    case CURLE_NOT_BUILT_IN:
      return false;
    default:
      return true;
  }
}

class CurlSender final : public HttpSender {
 public:
  CurlSender() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  }

  Result<HttpResponse> send(const HttpRequest& request) override {
    std::unique_ptr<CURL, EasyDeleter> easy(curl_easy_init());
    if (!easy) return Status::Internal("curl_easy_init failed");
    CURL* c = easy.get();
    Exchange ex;
    ex.max_body = request.max_body_bytes;
    std::unique_ptr<curl_slist, SlistDeleter> headers;
    auto add_header = [&headers](const std::string& line) {
      curl_slist* next = curl_slist_append(headers.get(), line.c_str());
      if (next) {
        (void)headers.release();
        headers.reset(next);
      }
      return next != nullptr;
    };
    for (const auto& [name, value] : request.headers) {
      // A CR or LF would let a value (an id built from user input, say) add header lines.
      if ((name + value).find_first_of(std::string("\r\n\0", 3)) != std::string::npos) {
        return Status::InvalidArgument("header " + name + " holds a line break or NUL; not sent");
      }
      // "Name;" is curl's way to send a header with an empty value.
      if (!add_header(value.empty() ? name + ";" : name + ": " + value)) return Status::Internal("out of memory");
    }
    // No "Expect: 100-continue" round trip for larger bodies: receivers answer at once.
    if (!add_header("Expect:")) return Status::Internal("out of memory");

    CURLcode rc = CURLE_OK;
    auto set = [&rc](CURLcode code) {
      if (rc == CURLE_OK) rc = code;
    };
    const long timeout = static_cast<long>(std::max<int64_t>(request.timeout_ms, 1));
    set(curl_easy_setopt(c, CURLOPT_URL, request.url.c_str()));
    set(curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L));
    set(curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout));
    set(curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout));
    set(curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https"));
    set(curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L));
    set(curl_easy_setopt(c, CURLOPT_PROXY, ""));  // "" also ignores http_proxy & co. from the environment
    set(curl_easy_setopt(c, CURLOPT_USERAGENT, kUserAgent));
    set(curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, request.tls_verify ? 1L : 0L));
    set(curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, request.tls_verify ? 2L : 0L));
    set(curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get()));
    if (request.accept_compressed) set(curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, ""));
    set(curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &on_body));
    set(curl_easy_setopt(c, CURLOPT_WRITEDATA, &ex));
    set(curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &on_header));
    set(curl_easy_setopt(c, CURLOPT_HEADERDATA, &ex));
    if (request.method == "GET") {
      set(curl_easy_setopt(c, CURLOPT_HTTPGET, 1L));
    } else if (request.method == "HEAD") {
      set(curl_easy_setopt(c, CURLOPT_NOBODY, 1L));
    } else {
      if (request.method != "POST") set(curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str()));
      set(curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size())));
      set(curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.c_str()));
    }
    if (rc != CURLE_OK) return Status::InvalidArgument(std::string("cannot set up the request: ") + curl_easy_strerror(rc));

    rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
      std::string why = curl_easy_strerror(rc);
      if (rc == CURLE_OPERATION_TIMEDOUT) why += " after " + std::to_string(timeout) + "ms";
      return is_network_failure(rc) ? Status::Unavailable(why) : Status::InvalidArgument(why);
    }
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    ex.response.status = static_cast<int>(status);
    return std::move(ex.response);
  }
};

}  // namespace

std::unique_ptr<HttpSender> make_curl_sender() { return std::make_unique<CurlSender>(); }

}  // namespace sloguard::net
