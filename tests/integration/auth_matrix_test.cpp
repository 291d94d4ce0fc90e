// Every route x every credential (issue 13): a route that needs role R answers 401 without a
// usable bearer token, 403 to a token lacking R, and lets R's token through; open routes never
// refuse. The table is checked against the routes the server reports in its own request metric.
#include <algorithm>
#include <cstdlib>
#include <optional>
#include <set>
#include <tuple>
#include <string>
#include <utility>
#include <vector>

#include "server_fixture.h"

using namespace sloguard;
using config::Role;

namespace {

struct RouteCase {
  const char* method;
  const char* path;   // a concrete path for the route's pattern
  const char* route;  // the route name the server labels its request metric with
  std::optional<Role> role;  // std::nullopt: open
};

constexpr std::optional<Role> kOpen = std::nullopt;

// Every route() the server installs (server/src/routes.cpp, release_routes.cpp,
// alertmanager_receiver.cpp, alert_routes.cpp).
const std::vector<RouteCase> kRoutes = {
    // routes.cpp
    {"POST", "/api/v1/events", "/api/v1/events", Role::kIngest},
    {"POST", "/api/v1/write", "/api/v1/write", Role::kIngest},
    {"GET", "/api/v1/slos", "/api/v1/slos", Role::kRead},
    {"GET", "/api/v1/slos/checkout-availability", "/api/v1/slos/{name}", Role::kRead},
    {"POST", "/api/v1/probes", "/api/v1/probes", Role::kIngest},
    {"GET", "/api/v1/probes", "/api/v1/probes", Role::kRead},
    {"GET", "/api/v1/latency", "/api/v1/latency", Role::kRead},
    {"GET", "/healthz", "/healthz", kOpen},
    {"GET", "/readyz", "/readyz", kOpen},
    {"GET", "/metrics", "/metrics", Role::kRead},
    {"POST", "/-/reload", "/-/reload", Role::kAdmin},
    // release_routes.cpp, alertmanager_receiver.cpp
    {"GET", "/api/v1/gate", "/api/v1/gate", Role::kRead},
    {"POST", "/api/v1/deployments", "/api/v1/deployments", Role::kIngest},
    {"GET", "/api/v1/deployments", "/api/v1/deployments", Role::kRead},
    {"GET", "/api/v1/deployments/x", "/api/v1/deployments/{id}", Role::kRead},
    {"GET", "/api/v1/deployments/x/analysis", "/api/v1/deployments/{id}/analysis", Role::kRead},
    {"POST", "/api/v1/deployments/x/analysis", "/api/v1/deployments/{id}/analysis", Role::kRead},
    {"GET", "/api/v1/hooks/history", "/api/v1/hooks/history", Role::kRead},
    {"GET", "/api/v1/hooks/jobs", "/api/v1/hooks/jobs", Role::kRead},
    {"POST", "/api/v1/alertmanager", "/api/v1/alertmanager", Role::kRollback},
    // alert_routes.cpp
    {"GET", "/api/v1/alerts", "/api/v1/alerts", Role::kRead},
    {"POST", "/api/v1/silences", "/api/v1/silences", Role::kAdmin},
    {"GET", "/api/v1/silences", "/api/v1/silences", Role::kRead},
    {"GET", "/api/v1/silences/x", "/api/v1/silences/{id}", Role::kRead},
    {"DELETE", "/api/v1/silences/x", "/api/v1/silences/{id}", Role::kAdmin},
    {"GET", "/api/v1/notifications", "/api/v1/notifications", Role::kRead},
};

const std::string kReadSecret = "matrix-read-7Hq2";
const std::string kIngestSecret = "matrix-ingest-Lp40";
const std::string kRollbackSecret = "matrix-rollback-Xc9e";
const std::string kAdminSecret = "matrix-admin-Rt6w";
const std::string kAllSecret = "matrix-all-Vb13";

// No hooks, notifiers or Alertmanager routes: nothing a request does can call out.
std::string config_yaml() {
  setenv("SLOGUARD_MATRIX_READ", kReadSecret.c_str(), 1);
  setenv("SLOGUARD_MATRIX_INGEST", kIngestSecret.c_str(), 1);
  setenv("SLOGUARD_MATRIX_ROLLBACK", kRollbackSecret.c_str(), 1);
  setenv("SLOGUARD_MATRIX_ADMIN", kAdminSecret.c_str(), 1);
  setenv("SLOGUARD_MATRIX_ALL", kAllSecret.c_str(), 1);
  return R"(
server:
  listen: 127.0.0.1:0
  auth:
    tokens:
      - {name: reader, token_env: SLOGUARD_MATRIX_READ, roles: [read]}
      - {name: ingester, token_env: SLOGUARD_MATRIX_INGEST, roles: [ingest]}
      - {name: rollbacker, token_env: SLOGUARD_MATRIX_ROLLBACK, roles: [rollback]}
      - {name: administrator, token_env: SLOGUARD_MATRIX_ADMIN, roles: [admin]}
      - {name: everything, token_env: SLOGUARD_MATRIX_ALL, roles: [read, ingest, rollback, admin]}
services: [{name: checkout}]
slos:
  - {name: checkout-availability, service: checkout, objective: 99.5%, window: 30d, sli: {kind: availability}}
)";
}

struct Credential {
  std::string label;
  httplib::Headers headers;
  std::string token_name;  // empty: not a configured token, so 401 wherever a role is needed
  std::vector<Role> roles;
};

std::vector<Credential> credentials() {
  auto bearer = [](const std::string& secret) { return testing::bearer(secret); };
  return {
      {"no token", {}, "", {}},
      {"unknown bearer token", bearer("matrix-guess-0000"), "", {}},
      {"empty bearer token", {{"Authorization", "Bearer "}}, "", {}},
      {"admin secret under the Basic scheme", {{"Authorization", "Basic " + kAdminSecret}}, "", {}},
      {"read token", bearer(kReadSecret), "reader", {Role::kRead}},
      {"ingest token", bearer(kIngestSecret), "ingester", {Role::kIngest}},
      {"rollback token", bearer(kRollbackSecret), "rollbacker", {Role::kRollback}},
      {"admin token", bearer(kAdminSecret), "administrator", {Role::kAdmin}},
      {"all-roles token", bearer(kAllSecret), "everything", {Role::kRead, Role::kIngest, Role::kRollback, Role::kAdmin}},
  };
}

struct Answer {
  int status = 0;
  std::string body;
  std::string www_authenticate;
};

// Sends `method path` with an empty body; REQUIREs an answer.
Answer send(httplib::Client& client, const std::string& method, const std::string& path,
            const httplib::Headers& headers) {
  auto call = [&]() -> httplib::Result {
    if (method == "POST") return client.Post(path.c_str(), headers, "", "application/json");
    if (method == "PUT") return client.Put(path.c_str(), headers, "", "application/json");
    if (method == "PATCH") return client.Patch(path.c_str(), headers, "", "application/json");
    if (method == "DELETE") return client.Delete(path.c_str(), headers);
    return client.Get(path.c_str(), headers);
  };
  httplib::Result res = call();
  REQUIRE(res);
  return {res->status, res->body, res->get_header_value("WWW-Authenticate")};
}

std::string error_of(const Answer& res) {
  auto body = nlohmann::json::parse(res.body, nullptr, false);
  if (!body.is_object() || !body.contains("error") || !body["error"].is_string()) return "";
  return body["error"].get<std::string>();
}

// The value of label `name` in a Prometheus text-format sample line ("" when absent).
std::string label_value(const std::string& line, const std::string& name) {
  const std::string key = name + "=\"";
  size_t at = line.find(key);
  if (at == std::string::npos) return "";
  at += key.size();
  size_t end = line.find('"', at);
  return end == std::string::npos ? "" : line.substr(at, end - at);
}

// The lines of /metrics that start with `prefix` (a metric name and "{").
std::vector<std::string> metric_lines(testing::ServerFixture& fx, const std::string& prefix) {
  auto res = fx.http().Get("/metrics", testing::bearer(kReadSecret));
  REQUIRE(res);
  REQUIRE(res->status == 200);
  std::vector<std::string> out;
  size_t start = 0;
  while (start < res->body.size()) {
    size_t end = res->body.find('\n', start);
    if (end == std::string::npos) end = res->body.size();
    if (res->body.compare(start, prefix.size(), prefix) == 0) out.push_back(res->body.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// (method, route) of every request the server counted in sloguard_http_request_duration_seconds.
std::set<std::pair<std::string, std::string>> counted_routes(testing::ServerFixture& fx) {
  std::set<std::pair<std::string, std::string>> out;
  for (const auto& line : metric_lines(fx, "sloguard_http_request_duration_seconds_count{")) {
    out.emplace(label_value(line, "method"), label_value(line, "route"));
  }
  return out;
}

// (method, route, role) of every route the server says it installed (sloguard_http_route_info).
std::set<std::tuple<std::string, std::string, std::string>> installed_routes(testing::ServerFixture& fx) {
  std::set<std::tuple<std::string, std::string, std::string>> out;
  for (const auto& line : metric_lines(fx, "sloguard_http_route_info{")) {
    out.emplace(label_value(line, "method"), label_value(line, "route"), label_value(line, "role"));
  }
  return out;
}

std::string role_text(const std::optional<Role>& role) {
  return role ? std::string(config::role_name(*role)) : "open";
}

}  // namespace

TEST_CASE("every route x every role x no token: only the needed role gets through", "[auth]") {
  testing::ServerFixture fx(config_yaml());
  for (const RouteCase& rc : kRoutes) {
    for (const Credential& cred : credentials()) {
      INFO(rc.method << " " << rc.path << " (needs " << role_text(rc.role) << ") with " << cred.label);
      Answer res = send(fx.http(), rc.method, rc.path, cred.headers);
      INFO("answered " << res.status << " " << res.body);
      // Whatever auth decided, the request reached this route, not httplib's no-route 404.
      CHECK(error_of(res).rfind("no route for", 0) == std::string::npos);
      if (!rc.role) {
        CHECK(res.status != 401);
        CHECK(res.status != 403);
      } else if (cred.token_name.empty()) {
        CHECK(res.status == 401);
        CHECK(res.www_authenticate == "Bearer realm=\"sloguard\"");
      } else if (std::find(cred.roles.begin(), cred.roles.end(), *rc.role) == cred.roles.end()) {
        CHECK(res.status == 403);
        CHECK(error_of(res) == "token \"" + cred.token_name + "\" lacks the " + role_text(rc.role) + " role");
      } else {
        // Auth let it through; the empty body may still make it a 400 or 404.
        CHECK(res.status != 401);
        CHECK(res.status != 403);
      }
    }
  }
}

TEST_CASE("the auth matrix table lists every route the server installs", "[auth]") {
  testing::ServerFixture fx(config_yaml());
  // Each table path, its parent, and one more segment below either, with every method and no
  // token: a route missing from the table that matches any of them is counted under its own
  // name (guarded or not, the server records every request a route() handler sees). A route
  // on a path none of these reach stays unseen: the metric has a route's series only once the
  // route was requested.
  std::set<std::string> paths = {"/"};
  for (const RouteCase& rc : kRoutes) {
    const std::string path = rc.path;
    const std::string parent = path.substr(0, path.rfind('/'));
    for (const std::string& p : {path, path + "/x", parent, parent + "/x"}) {
      if (!p.empty()) paths.insert(p);
    }
  }
  for (const std::string& path : paths) {
    for (const char* method : {"GET", "POST", "PUT", "PATCH", "DELETE"}) send(fx.http(), method, path, {});
  }

  std::set<std::pair<std::string, std::string>> table;
  for (const RouteCase& rc : kRoutes) {
    CHECK(table.emplace(rc.method, rc.route).second);  // each route listed once
  }
  const auto counted = counted_routes(fx);
  for (const auto& [method, route] : counted) {
    INFO("the server counted requests to " << method << " " << route);
    CHECK(table.count({method, route}) == 1);
  }
  for (const auto& [method, route] : table) {
    INFO("the table lists " << method << " " << route);
    CHECK(counted.count({method, route}) == 1);
  }
  CHECK(counted.size() == kRoutes.size());
  // The server's own list of routes, with their roles: a route on a path none of the requests
  // above reached, or with another role than the table's, shows here.
  std::set<std::tuple<std::string, std::string, std::string>> expected;
  for (const RouteCase& rc : kRoutes) {
    expected.emplace(rc.method, rc.route, rc.role ? std::string(config::role_name(*rc.role)) : "none");
  }
  const auto installed = installed_routes(fx);
  for (const auto& [method, route, role] : installed) {
    INFO("the server installed " << method << " " << route << " for role " << role);
    CHECK(expected.count({method, route, role}) == 1);
  }
  CHECK(installed.size() == expected.size());
}
