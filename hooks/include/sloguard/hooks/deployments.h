// Deployments (releases registered by CI) and their post-deploy verification verdicts,
// persisted in the store's state table under "deploy/<id>" and "verify/<id>".
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sloguard/common/clock.h"
#include "sloguard/common/status.h"
#include "sloguard/config/config.h"
#include "sloguard/store/store.h"

namespace sloguard::hooks {

// Requests, errors and p95 latency of one side of a comparison.
struct Measurement {
  std::string series;                 // what was read, e.g. "checkout version=v2"
  int64_t from = 0, to = 0;           // [from, to), Unix seconds
  uint64_t requests = 0;
  uint64_t errors = 0;                // events with a bad status (the service's availability SLO, else 5xx)
  std::optional<double> error_ratio;  // null without requests
  std::optional<double> p95_ms;       // null without latency data
};

// The verdict on one deployment, written once.
struct Verification {
  std::string outcome;                // "passed", "failed", "inconclusive"
  int64_t judged_at = 0;              // Unix seconds
  std::string failed_rule;            // the continuous rule that failed it; "" for the end-of-period judgment
  std::string baseline_kind;          // "canary" (old version, same period) or "before" (before the deploy)
  Measurement release, baseline;
  std::vector<std::string> reasons;   // why it failed or was inconclusive; the rules checked when passed
};

// A canary step: `weight` percent of the traffic for `duration`.
struct Stage {
  int weight = 0;                     // 1..100
  int64_t duration_ms = 0;            // whole minutes, >= 1m
};

// One continuous verification rule's state, as the API shows it.
struct RuleCheck {
  std::string name, metric;
  int64_t window_ms = 0;
  double max = 0;
  int failures_allowed = 0;
  // "pending" (the period has not covered its window yet), "ok", "breached" (failures within
  // failures_allowed), "failed", "insufficient_data" (< min_requests), "unavailable" (read error)
  std::string state = "pending";
  std::optional<double> value;        // error ratio, p95 factor, p95 ms or failures in a row
  uint64_t requests = 0;
  int failures = 0;                   // breached minutes so far
  int64_t last_failed_at = 0;         // the minute (Unix s) of the last failure counted
  std::string detail;
};

// What continuous verification has seen of a deployment so far ("vprog/<id>").
struct VerificationProgress {
  int64_t checked_at = 0;             // Unix seconds of the last round that read data
  std::vector<RuleCheck> rules;
  bool has_versions = false;          // the service's traffic carries version labels
  std::optional<double> baseline_p95_ms;  // before the deploy; read once
  bool baseline_read = false;
  std::string error;                  // why the last round could not read ("" when it could)
};

struct Deployment {
  std::string id;
  std::string service, version, previous_version, environment, url;
  int64_t started_at = 0;             // Unix seconds
  int64_t created_at = 0;             // when it was registered
  std::vector<Stage> stages;          // Default: none (one verification period)
  std::optional<Verification> verification;
};

// A POST /api/v1/deployments body, parsed and checked against the config. Errors are
// InvalidArgument "<field>: <what is wrong>".
// version, previous_version and environment: 1..128 of [A-Za-z0-9._+:@/-], not starting
// with '-' (they reach hooks, payloads and logs). stages: [{weight: 1..100, duration: "5m"}],
// at most 20, weights not decreasing.
struct DeploymentRequest {
  std::string service, version, previous_version, environment, url;
  std::optional<int64_t> started_at;  // Default: now
  std::vector<Stage> stages;
};
// started_at must lie within [now - 24h, now + 5m]: a deployment far in the past would be
// judged at once on old traffic (an ingest token could then call rollback hooks over any past
// incident), one in the future would wait forever.
Result<DeploymentRequest> parse_deployment_request(const config::Config& cfg, std::string_view json_body,
                                                   int64_t now);

// Thread-safe.
class DeploymentStore {
 public:
  DeploymentStore(store::Store& store, const Clock& clock) : store_(store), clock_(clock) {}

  // Persists a new deployment with a fresh id ("<created ms>-<service>", made unique).
  Result<Deployment> create(const DeploymentRequest& req);
  // With its verification when judged; nullopt when unknown.
  Result<std::optional<Deployment>> get(std::string_view id) const;
  // The service's deployments (every service when empty), newest started_at first, at most limit.
  Result<std::vector<Deployment>> list(std::string_view service, size_t limit) const;
  // Stores the verdict; AlreadyExists when the deployment was judged before (never overwritten).
  Status save_verification(const std::string& id, const Verification& v);
  // Stores the verdict, its progress and `also` (the rollback jobs it decides) in one atomic
  // write; AlreadyExists (nothing written) when the deployment was judged before.
  Status save_verdict(const std::string& id, const Verification& v, const VerificationProgress& p,
                      std::vector<store::Store::StateWrite> also);
  Status save_progress(const std::string& id, const VerificationProgress& p);
  Result<std::optional<VerificationProgress>> progress(std::string_view id) const;

 private:
  Result<std::vector<Deployment>> all() const;
  store::Store& store_;
  const Clock& clock_;
  std::mutex create_mu_;
};

std::string to_json(const Deployment& d);          // the API's form
std::string to_json(const Verification& v);
std::string to_json(const VerificationProgress& p);
std::string to_json_rule(const RuleCheck& c);

}  // namespace sloguard::hooks
