// One attempt of a rollback hook: the HTTP request or the exec run built from a job, sent,
// and its outcome. No locks, no store: the jobs object records what comes back. Internal.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "sloguard/common/clock.h"
#include "sloguard/config/release.h"
#include "sloguard/hooks/rollback.h"
#include "sloguard/net/http_sender.h"

namespace sloguard::hooks::detail {

struct CallOutcome {
  std::string state;       // "succeeded", "failed" or "retrying"
  std::string detail;      // HTTP status, exit status, why (no secrets)
  std::string output;      // exec: captured output (bounded)
  int64_t next_at_ms = 0;  // retrying: when
};

// Runs one attempt (job.attempts counts it already). Exec hooks block up to their timeout.
// Exec hooks call `started` with the child's process group once it runs.
CallOutcome call_hook(const config::HookConfig& hook, const RollbackJob& job, const Clock& clock,
                      net::HttpSender& sender, const std::function<void(int pgid)>& started = {});
// What the hook does, for the audit log: "POST https://host/..." (webhook paths and queries
// often carry tokens, so only scheme and host), or the exec argv.
std::string hook_action(const config::HookConfig& hook, const RollbackRequest& req);
// The exec hook's argv (whole-argument placeholders after "--" filled) and environment:
// env_allow's variables from sloguard's environment, then the request as SLOGUARD_*.
std::vector<std::string> exec_argv(const config::HookConfig& hook, const RollbackRequest& req);
std::vector<std::pair<std::string, std::string>> exec_env(const config::HookConfig& hook, const RollbackRequest& req,
                                                          const std::string& message_id);

nlohmann::json request_json(const RollbackRequest& r);
RollbackRequest request_from_json(const nlohmann::json& j);
// A stable id per (idempotency key, hook): Standard Webhooks' webhook-id.
std::string message_id_for(const std::string& idempotency_key, const std::string& hook);

}  // namespace sloguard::hooks::detail
