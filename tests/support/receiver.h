// A loopback receiver that records each request and answers from a script, standing in for
// Slack, LINE, Discord, PagerDuty, Alertmanager and plain webhooks in the notifier tests.
#pragma once

#include <nlohmann/json.hpp>

#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "loopback_http.h"
#include "sloguard/alerting/notification.h"
#include "sloguard/common/clock.h"
#include "sloguard/config/alerting.h"
#include "sloguard/net/http_sender.h"

namespace sloguard::testing {

struct Captured {
  std::string method, path, body;
  httplib::Params params;
  httplib::Headers headers;
  nlohmann::json json() const { return nlohmann::json::parse(body); }
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
  bool has_header(const std::string& name) const { return headers.find(name) != headers.end(); }
};

struct Answer {
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  bool hang = false;  // hold the handler until the test ends (the client times out)
};

class Receiver {
 public:
  // `fallback` answers every request once the script is used up.
  explicit Receiver(Answer fallback) : fallback_(std::move(fallback)) {
    auto handle = [this](const httplib::Request& req, httplib::Response& res) {
      Answer a;
      {
        std::lock_guard<std::mutex> lock(mu_);
        seen_.push_back({req.method, req.path, req.body, req.params, req.headers});
        if (script_.empty()) {
          a = fallback_;
        } else {
          a = script_.front();
          script_.pop_front();
        }
      }
      if (a.hang) {
        http_.hold();
        return;
      }
      res.status = a.status;
      for (const auto& [k, v] : a.headers) res.set_header(k, v);
      if (!a.body.empty()) res.set_content(a.body, a.body[0] == '{' || a.body[0] == '[' ? "application/json" : "text/plain");
    };
    http_.server().Post(".*", handle);
    http_.start();
  }

  void then(Answer a) {
    std::lock_guard<std::mutex> lock(mu_);
    script_.push_back(std::move(a));
  }
  std::string url(const std::string& path = "") const { return http_.url(path); }
  std::vector<Captured> seen() {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }
  Captured last() {
    std::lock_guard<std::mutex> lock(mu_);
    REQUIRE_FALSE(seen_.empty());
    return seen_.back();
  }
  size_t count() {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_.size();
  }

 private:
  std::mutex mu_;
  Answer fallback_;
  std::deque<Answer> script_;
  std::vector<Captured> seen_;
  // Last: destroyed first, so no handler thread is left running when the members above go.
  LoopbackHttpServer http_;
};

inline constexpr int64_t kNowMs = 1767225600000;  // 2026-01-01T00:00:00Z

// A firing page alert of checkout-availability, as the state machine would hand it over.
inline alerting::Notification firing(const std::string& id = "n-1") {
  alerting::Notification n;
  n.id = id;
  n.alert_key = "checkout-availability/page-1h";
  n.status = "firing";
  n.slo = "checkout-availability";
  n.service = "checkout";
  n.tier = "page-1h";
  n.severity = "page";
  n.labels = {{"slo", "checkout-availability"}, {"service", "checkout"}, {"severity", "page"}, {"tier", "page-1h"}};
  n.annotations = {{"summary", "checkout is failing"}};
  n.starts_at_ms = kNowMs - 600000;
  n.created_at_ms = kNowMs;
  n.threshold = 14.4;
  n.long_window = "1h";
  n.short_window = "5m";
  n.long_burn_rate = 15.234;
  n.short_burn_rate = 20.0;
  n.budget_remaining = 0.421;
  n.objective = 0.995;
  n.link = "https://sloguard.example/api/v1/slos/checkout-availability";
  return n;
}

inline alerting::Notification resolved(const std::string& id = "n-2") {
  alerting::Notification n = firing(id);
  n.status = "resolved";
  n.ends_at_ms = kNowMs - 1000;
  return n;
}

inline config::NotifierConfig notifier_config(config::NotifierKind kind, const Receiver& r) {
  config::NotifierConfig c;
  c.name = "test";
  c.kind = kind;
  c.url = r.url("/hook");
  c.base_url = r.url("");
  c.token = "line-token";
  c.to = "U0123";
  c.routing_key = "pd-routing-key";
  c.timeout_ms = 2000;
  return c;
}

}  // namespace sloguard::testing
