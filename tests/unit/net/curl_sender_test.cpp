// The libcurl sender against loopback peers: what goes on the wire, what comes back, and how
// each network failure is reported. Nothing sleeps; the hanging handler is released at the end.
#include <catch2/catch.hpp>

#include <mutex>
#include <string>

#include "loopback_http.h"
#include "sloguard/net/http_sender.h"

using namespace sloguard;
using sloguard::testing::LoopbackHttpServer;
using sloguard::testing::LoopbackTcpPort;

namespace {

struct Seen {
  std::mutex mu;
  std::string method, path, body, content_type, custom, expect;
  int count = 0;
};

void record(Seen& seen, const httplib::Request& req) {
  std::lock_guard<std::mutex> lock(seen.mu);
  seen.method = req.method;
  seen.path = req.path;
  seen.body = req.body;
  seen.content_type = req.get_header_value("Content-Type");
  seen.custom = req.get_header_value("X-Custom");
  seen.expect = req.get_header_value("Expect");
  ++seen.count;
}

net::HttpRequest post(const std::string& url, std::string body) {
  net::HttpRequest r;
  r.url = url;
  r.body = std::move(body);
  r.headers = {{"Content-Type", "application/json"}, {"X-Custom", "abc"}};
  r.timeout_ms = 5000;
  return r;
}

}  // namespace

TEST_CASE("curl sender posts the body and headers and returns status, headers and body", "[net]") {
  LoopbackHttpServer http;
  Seen seen;
  http.server().Post("/hook", [&](const httplib::Request& req, httplib::Response& res) {
    record(seen, req);
    res.status = 201;
    res.set_header("X-Answer", "42");
    res.set_content("created", "text/plain");
  });
  http.start();
  auto sender = net::make_curl_sender();
  // Large enough that curl would otherwise ask for 100-continue.
  const std::string body = "{\"x\":\"" + std::string(200000, 'a') + "\"}";
  Result<net::HttpResponse> r = sender->send(post(http.url("/hook"), body));
  REQUIRE(r.ok());
  CHECK(r->status == 201);
  CHECK(r->body == "created");
  CHECK(r->header("x-answer") == std::optional<std::string>("42"));
  CHECK(r->header("Content-Type") == std::optional<std::string>("text/plain"));
  CHECK_FALSE(r->header("X-Missing").has_value());
  std::lock_guard<std::mutex> lock(seen.mu);
  CHECK(seen.method == "POST");
  CHECK(seen.path == "/hook");
  CHECK(seen.body == body);
  CHECK(seen.content_type == "application/json");
  CHECK(seen.custom == "abc");
  CHECK(seen.expect.empty());
}

TEST_CASE("curl sender returns error statuses as responses and truncates bodies at 64 KiB", "[net]") {
  LoopbackHttpServer http;
  http.server().Post("/big", [](const httplib::Request&, httplib::Response& res) {
    res.status = 503;
    res.set_content(std::string(100000, 'x'), "text/plain");
  });
  http.start();
  auto sender = net::make_curl_sender();
  Result<net::HttpResponse> r = sender->send(post(http.url("/big"), "{}"));
  REQUIRE(r.ok());
  CHECK(r->status == 503);
  CHECK(r->body.size() == 64 * 1024);
}

TEST_CASE("curl sender does not follow redirects", "[net]") {
  LoopbackHttpServer http;
  int followed = 0;
  http.server().Post("/moved", [&](const httplib::Request&, httplib::Response& res) {
    res.status = 307;
    res.set_header("Location", "/target");
  });
  http.server().Post("/target", [&](const httplib::Request&, httplib::Response&) { ++followed; });
  http.start();
  auto sender = net::make_curl_sender();
  Result<net::HttpResponse> r = sender->send(post(http.url("/moved"), "{}"));
  REQUIRE(r.ok());
  CHECK(r->status == 307);
  CHECK(followed == 0);
}

TEST_CASE("curl sender times out against a handler that hangs", "[net]") {
  LoopbackHttpServer http;
  http.server().Post("/hang", [&](const httplib::Request&, httplib::Response&) { http.hold(); });
  http.start();
  auto sender = net::make_curl_sender();
  net::HttpRequest req = post(http.url("/hang?token=SECRET123"), "{}");
  req.timeout_ms = 300;
  Result<net::HttpResponse> r = sender->send(req);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Status::Code::kUnavailable);
  CHECK(r.status().message().find("SECRET123") == std::string::npos);
  CHECK(r.status().message().find("127.0.0.1") == std::string::npos);
  net::Verdict v = net::classify(r, 0);
  CHECK(v.outcome == net::Outcome::kRetry);
  CHECK(v.http_status == 0);
}

TEST_CASE("curl sender reports refused and closed connections as Unavailable", "[net]") {
  auto sender = net::make_curl_sender();
  LoopbackTcpPort refused(false);
  Result<net::HttpResponse> r =
      sender->send(post("http://127.0.0.1:" + std::to_string(refused.port()) + "/x?k=SECRET", "{}"));
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Status::Code::kUnavailable);
  CHECK(r.status().message().find("SECRET") == std::string::npos);

  LoopbackTcpPort closes(true);
  r = sender->send(post("http://127.0.0.1:" + std::to_string(closes.port()) + "/x", "{}"));
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Status::Code::kUnavailable);
}

TEST_CASE("curl sender rejects URLs it cannot send to as final errors", "[net]") {
  auto sender = net::make_curl_sender();
  Result<net::HttpResponse> r = sender->send(post("ftp://127.0.0.1/x", "{}"));
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Status::Code::kInvalidArgument);
  CHECK(net::classify(r, 0).outcome == net::Outcome::kFailed);
}

TEST_CASE("curl sender refuses a header value with a line break instead of sending it", "[net]") {
  LoopbackHttpServer http;
  Seen seen;
  http.server().Post("/hook", [&](const httplib::Request& req, httplib::Response& res) {
    record(seen, req);
    res.status = 200;
  });
  http.start();
  auto sender = net::make_curl_sender();
  net::HttpRequest r = post(http.url("/hook"), "{}");
  r.headers.push_back({"webhook-id", "abc\r\nX-Injected: 1"});
  auto result = sender->send(r);
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().is_invalid_argument());
  std::lock_guard<std::mutex> lock(seen.mu);
  CHECK(seen.count == 0);
}
