// Post-deploy verification: after a deployment's verification period, its release traffic is
// compared with a baseline, and rollback hooks are called when it is worse.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "sloguard/config/config.h"
#include "sloguard/hooks/deployments.h"
#include "sloguard/slo/source.h"
#include "sloguard/store/store.h"

namespace sloguard::hooks {

// The verdict from two measurements (pure):
//   inconclusive: release.requests < min_requests;
//   failed: error ratio > max_error_ratio; or > max_error_ratio_factor x
//     max(baseline ratio, min_baseline_error_ratio) (baseline with >= min_requests only);
//     or p95 > max_p95_factor x baseline p95 (both with latency data);
//   passed otherwise.
Verification judge(const config::VerificationConfig& vc, const Measurement& release, const Measurement& baseline);

// The window judged for a deployment: [from, from + period) with from = started_at rounded up
// to the minute.
int64_t verification_start(const Deployment& d);

// Reads both sides through `source` and judges: the embedded store, or the datasource of the
// service's first availability SLO (whose queries, split by their version label, give the
// versions' traffic). The release is the version's traffic (all of the service's when no
// version is seen at all). Canary: when previous_version has traffic in the same period, that
// is the baseline; otherwise the service's traffic over the same length before the deploy.
// Thread-safe.
Result<Verification> verify_deployment(const slo::Source& source, const config::Config& cfg, const Deployment& d,
                                       int64_t now);

// The end of the verification period: the stages' total duration when the deployment has
// stages, else the config's period, after verification_start(d).
int64_t verification_end(const Deployment& d, const config::VerificationConfig& vc);

// The longest current run of failed results among the service's probes, counting only
// results at or after `since` (Unix seconds).
using ProbeStreak = std::function<int(const std::string& service, int64_t since)>;

// One continuous-verification round of one deployment at `now` (pure but for reading
// `source`): every rule of vc.rules is checked on the release's traffic (the version's, or the
// whole service's without version labels) over [at - window, at), `at` = now rounded down to
// the minute and at most the period's end. A rule is "pending" until the period covers its
// window; a breached minute counts one failure; failures_allowed + 1 fail the release. At the
// end of the period, with no rule failed, the whole period is judged (verify_deployment).
// A read error gives no verdict: the progress carries the error.
struct RoundStep {
  VerificationProgress progress;
  std::optional<Verification> verdict;
};
Result<RoundStep> check_deployment(const slo::Source& source, const config::Config& cfg, const Deployment& d,
                                   VerificationProgress progress, int64_t now, const ProbeStreak& probes);

// The writes that queue the rollback of a failed deployment (its jobs), put into the batch
// that stores the verdict. Called once per failed verdict.
using RollbackPlanner = std::function<std::vector<store::Store::StateWrite>(const Deployment&, const Verification&)>;
// Called with every new verdict after it is stored (e.g. to notify).
using VerdictSink = std::function<void(const Deployment& d, const Verification& v)>;

// Runs check_deployment for every unjudged deployment in its period (services no longer
// configured, or with verification disabled, are left alone). A verdict, its progress and the
// planner's jobs are written in one atomic batch, then `sink` runs; other progress is stored
// as it changes. Returns the number judged. Not for concurrent use (the evaluator's thread).
size_t verify_round(DeploymentStore& deployments, const slo::Source& source, const config::Config& cfg, int64_t now,
                    const ProbeStreak& probes, const RollbackPlanner& planner, const VerdictSink& sink);

// The canary decision for Argo Rollouts' web metric and Flagger's webhooks.
struct Analysis {
  std::string decision;               // "continue", "promote", "rollback", "undecided"
  std::string phase;                  // "verifying", "passed", "failed", "inconclusive"
  std::optional<size_t> stage;        // the stage the period is in now (deployments with stages)
  int64_t stage_started_at = 0, stage_ends_at = 0;
  int64_t from = 0, to = 0;           // the verification period
  std::vector<std::string> reasons;
};
// rollback once failed; promote once passed, or (with stages and caller_weight, the weight the
// caller runs now) when the stage by time has a higher weight than the caller's; undecided
// when inconclusive or when the last round could not read its data; continue otherwise.
Analysis analyze(const Deployment& d, const config::VerificationConfig& vc,
                 const std::optional<VerificationProgress>& progress, int64_t now, std::optional<int> caller_weight);

}  // namespace sloguard::hooks
