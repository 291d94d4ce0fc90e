// Webhook signatures against published test vectors.
#include <catch2/catch.hpp>

#include "sloguard/net/http_sender.h"

using namespace sloguard;

TEST_CASE("standard webhooks signature matches the published test vector", "[net]") {
  CHECK(net::standard_webhooks_signature("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
                                         1614265330, R"({"test": 2432232314})") ==
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  // Any change to id, timestamp or body changes the signature.
  CHECK(net::standard_webhooks_signature("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
                                         1614265331, R"({"test": 2432232314})") !=
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

TEST_CASE("a secret without the whsec prefix is used as raw bytes", "[net]") {
  const std::string a = net::standard_webhooks_signature("plain-secret", "id", 1, "{}");
  CHECK(a.rfind("v1,", 0) == 0);
  CHECK(a.size() == 3 + 44);
  CHECK(a != net::standard_webhooks_signature("whsec_cGxhaW4tc2VjcmV0", "id", 2, "{}"));
  // whsec_ + base64("plain-secret") is the same key.
  CHECK(a == net::standard_webhooks_signature("whsec_cGxhaW4tc2VjcmV0", "id", 1, "{}"));
}

TEST_CASE("hub signature 256 matches GitHub's documented example", "[net]") {
  // docs.github.com "Validating webhook deliveries": secret "It's a Secret to Everybody",
  // payload "Hello, World!".
  CHECK(net::hub_signature_256("It's a Secret to Everybody", "Hello, World!") ==
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
}
