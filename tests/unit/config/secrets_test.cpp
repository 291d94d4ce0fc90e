// Token secrets: read from env or file at load time, trimmed, and never shown in an error.
#include <cstdlib>

#include "config_test_util.h"
#include "temp_dir.h"

namespace sloguard::config {
namespace {

using testing::all_errors;
using testing::load;
using testing::require_error_at;
using testing::write_file;

std::string token_file_config(const std::string& path) {
  return "server:\n  auth:\n    tokens:\n      - name: t\n        token_file: " + path +
         "\n        roles: [read]\n";
}

TEST_CASE("token_file secrets lose their trailing newline", "[config]") {
  sloguard::testing::TempDir dir;
  struct Case {
    const char* content;
    const char* secret;
  };
  for (const Case& c :
       {Case{"abc123\n", "abc123"}, Case{"abc123\r\n", "abc123"}, Case{"abc123\n\n", "abc123"},
        Case{"abc123", "abc123"}, Case{"abc123 \t\n", "abc123"}, Case{"  a b\n", "  a b"}}) {
    const auto path = dir.path() / "token";
    write_file(path, c.content);
    LoadResult r = load(token_file_config(path.string()));
    INFO(all_errors(r));
    REQUIRE(r.ok());
    REQUIRE(r.config->server.tokens.size() == 1);
    CHECK(r.config->server.tokens[0].secret == c.secret);
    CHECK(r.config->server.tokens[0].name == "t");
  }
}

TEST_CASE("token_env secrets are taken as they are", "[config]") {
  setenv("SLOGUARD_TEST_ENV_SECRET", "env secret\n", 1);
  LoadResult r = load(
      "server:\n  auth:\n    tokens:\n      - {name: e, token_env: SLOGUARD_TEST_ENV_SECRET, "
      "roles: [ingest, ingest, admin]}\n");
  unsetenv("SLOGUARD_TEST_ENV_SECRET");
  INFO(all_errors(r));
  REQUIRE(r.ok());
  const AuthToken& t = r.config->server.tokens[0];
  CHECK(t.secret == "env secret\n");
  CHECK(t.roles == std::vector<Role>{Role::kIngest, Role::kAdmin});
}

TEST_CASE("empty and unreadable secrets are errors naming their source", "[config]") {
  sloguard::testing::TempDir dir;
  const auto empty = dir.path() / "empty.token";
  write_file(empty, "\n");
  require_error_at(load(token_file_config(empty.string())), 5, 21,
                   "server.auth.tokens[0].token_file: token file \"" + empty.string() + "\" is empty");
  require_error_at(load(token_file_config(dir.str())), 5, 21,
                   "cannot read token file \"" + dir.str() + "\": it is a directory");

  setenv("SLOGUARD_TEST_EMPTY_ENV", "", 1);
  require_error_at(
      load("server:\n  auth:\n    tokens:\n      - name: t\n        token_env: SLOGUARD_TEST_EMPTY_ENV"
           "\n        roles: [read]\n"),
      5, 20, "server.auth.tokens[0].token_env: environment variable SLOGUARD_TEST_EMPTY_ENV is empty");
  unsetenv("SLOGUARD_TEST_EMPTY_ENV");
}

TEST_CASE("secrets never appear in error messages", "[config]") {
  const std::string kSecret = "hunter2-TOPSECRET-5f3a";
  sloguard::testing::TempDir dir;
  const auto file = dir.path() / "ops.token";
  write_file(file, kSecret + "\n");
  setenv("SLOGUARD_TEST_LEAK_ENV", kSecret.c_str(), 1);
  const std::string f = file.string();
  // clang-format off
  LoadResult r = load(R"(server:
  auth:
    tokens:
      - {name: a, token_file: )" + f + R"(, roles: [read]}
      - {name: b, token_env: SLOGUARD_TEST_LEAK_ENV, roles: [read, sudo]}
      - {name: a, token_file: )" + f + R"(, roles: [admin]}
      - {name: c, token: )" + kSecret + R"(, roles: [read]}
      - {name: d, token_env: )" + kSecret + R"(, roles: [read]}
      - {name: e, token_file: )" + f + R"(, token_env: SLOGUARD_TEST_LEAK_ENV, roles: [read]}
password: )" + kSecret + R"(
)");
  // clang-format on
  unsetenv("SLOGUARD_TEST_LEAK_ENV");
  const std::string text = all_errors(r);
  INFO(text);
  REQUIRE_FALSE(r.ok());
  // The checks below must have found something to say about each token...
  require_error_at(r, 5, 9, "token \"b\" has the same secret as token \"a\"");
  require_error_at(r, 5, 68, "unknown role \"sudo\"");
  require_error_at(r, 6, 9, "duplicate token name \"a\" (first at line 4)");
  require_error_at(r, 6, 9, "token \"a\" has the same secret as token \"b\"");
  require_error_at(r, 7, 9, "missing the secret: give token_env or token_file");
  require_error_at(r, 7, 19,
                   "unknown key (not shown, it may be a secret); expected one of: name, token_env, "
                   "token_file, roles (secrets are never written inline: use token_env or token_file)");
  require_error_at(r, 8, 30, "expected the name of an environment variable");
  require_error_at(r, 9, 9, "give either token_env or token_file, not both");
  require_error_at(r, 10, 1, "unknown key \"password\"");
  CHECK(r.errors.size() == 9);
  // ...and none of it shows the secret.
  for (const ConfigError& e : r.errors) {
    CHECK(e.to_string().find(kSecret) == std::string::npos);
    CHECK(e.to_string().find("hunter2") == std::string::npos);
  }
}

TEST_CASE("a secret pasted where a key or a token belongs is not shown", "[config]") {
  const std::string kSecret = "Zq9-pasted-secret";
  LoadResult r = load("server:\n  auth:\n    tokens:\n      - " + kSecret + "\n      - {name: x, " + kSecret +
                      ", token_env: X}\n      - {name: y, token_fiel: " + kSecret +
                      ", roles: [read]}\n  listen: 1.2.3.4:1\n");
  INFO(all_errors(r));
  require_error_at(r, 4, 9,
                   "server.auth.tokens[0]: expected a token like {name: ci, token_env: "
                   "SLOGUARD_CI_TOKEN, roles: [read]}, got a string");
  require_error_at(r, 5, 19, "server.auth.tokens[1]: unknown key (not shown, it may be a secret)");
  require_error_at(r, 6, 19,
                   "server.auth.tokens[2]: unknown key \"token_fiel\"; did you mean \"token_file\"?");
  for (const ConfigError& e : r.errors) CHECK(e.to_string().find(kSecret) == std::string::npos);
}

TEST_CASE("a syntax error next to a secret does not show it", "[config]") {
  const std::string kSecret = "s3cr3t-value-77";
  LoadResult r = load("server:\n  auth: {tokens: [{name: x, token: " + kSecret + ": oops}]\n");
  INFO(all_errors(r));
  REQUIRE_FALSE(r.ok());
  for (const ConfigError& e : r.errors) CHECK(e.to_string().find(kSecret) == std::string::npos);
}

}  // namespace
}  // namespace sloguard::config
