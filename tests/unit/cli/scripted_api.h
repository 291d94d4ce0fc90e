// A scripted stand-in for the sloguard API that `sloguard deploy` talks to: a cpp-httplib
// server on 127.0.0.1 and an ephemeral port that answers POST /api/v1/deployments and
// GET /api/v1/deployments/{id}/analysis from scripts, in order, and records each request.
// Shared by the in-process tests (tests/unit/cli) and the process tests of the real binary.
#pragma once

#include <httplib.h>

#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "loopback_http.h"

namespace sloguard::testing {

struct ScriptedReply {
  int status = 200;
  std::string body;
};

struct SeenRequest {
  std::string method, path, body, authorization;
  httplib::Params params;
  std::string param(const std::string& name) const {
    auto it = params.find(name);
    return it == params.end() ? "" : it->second;
  }
};

class ScriptedApi {
 public:
  ScriptedApi() {
    server_.server().Post("/api/v1/deployments", [this](const httplib::Request& req, httplib::Response& res) {
      answer(req, res, starts_);
    });
    server_.server().Get(R"(/api/v1/deployments/([^/]+)/analysis)",
                         [this](const httplib::Request& req, httplib::Response& res) { answer(req, res, analyses_); });
    server_.start();
  }

  // Answers for POST /api/v1/deployments and GET .../analysis, in order; the last one of each
  // list repeats once its list is used up.
  void script_start(std::vector<ScriptedReply> replies) { set(starts_, std::move(replies)); }
  void script_analysis(std::vector<ScriptedReply> replies) { set(analyses_, std::move(replies)); }

  std::vector<SeenRequest> seen() {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_.port()); }

 private:
  void set(std::deque<ScriptedReply>& q, std::vector<ScriptedReply> replies) {
    std::lock_guard<std::mutex> lock(mu_);
    q.assign(replies.begin(), replies.end());
  }
  void answer(const httplib::Request& req, httplib::Response& res, std::deque<ScriptedReply>& q) {
    ScriptedReply r{500, R"({"error": "no scripted answer"})"};
    {
      std::lock_guard<std::mutex> lock(mu_);
      seen_.push_back({req.method, req.path, req.body, req.get_header_value("Authorization"), req.params});
      if (!q.empty()) {
        r = q.front();
        if (q.size() > 1) q.pop_front();
      }
    }
    res.status = r.status;
    res.set_content(r.body, "application/json");
  }

  std::mutex mu_;
  std::deque<ScriptedReply> starts_, analyses_;
  std::vector<SeenRequest> seen_;
  LoopbackHttpServer server_;  // last: stopped (and its handlers joined) before the rest goes
};

// GET .../analysis answers shaped like the server's, for scripts.
inline nlohmann::json analysis_answer(const std::string& phase, const std::string& decision) {
  nlohmann::json a = {{"deployment_id", "d-42"},
                      {"service", "checkout"},
                      {"version", "v2"},
                      {"decision", decision},
                      {"ok", decision == "continue" || decision == "promote"},
                      {"phase", phase},
                      {"reasons", nlohmann::json::array()},
                      {"stage", {{"index", 0}, {"weight", 5}, {"started_at", "2026-01-01T00:00:00Z"},
                                 {"ends_at", "2026-01-01T00:05:00Z"}}},
                      {"stages", {{{"weight", 5}, {"duration_s", 300}}, {{"weight", 100}, {"duration_s", 600}}}},
                      {"started_at", "2026-01-01T00:00:00Z"},
                      {"ends_at", "2026-01-01T00:15:00Z"},
                      {"time_left_s", 840},
                      {"rules",
                       {{{"name", "error-ratio-1m"}, {"metric", "error_ratio"}, {"window", "1m"}, {"max", 0.1},
                         {"value", 0.02}, {"requests", 1200}, {"failures", 0}, {"failures_allowed", 0},
                         {"state", "ok"}}}},
                      {"failed_rule", nullptr}};
  return a;
}

inline ScriptedReply reply(int status, const nlohmann::json& body) { return {status, body.dump()}; }

}  // namespace sloguard::testing
