// Post-deploy verification: after a deployment's verification period, its release traffic is
// compared with a baseline, and rollback hooks are called when it is worse.
#pragma once

#include <cstdint>
#include <functional>

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

// Called with every new verdict (e.g. to run rollback hooks on "failed", to notify).
using VerdictSink = std::function<void(const Deployment& d, const Verification& v)>;

// Judges every deployment whose period has ended by `now` and that was not judged yet (also
// across restarts: the verdict is persisted before `sink` runs). Returns the number judged.
// Deployments of services no longer configured, or with verification disabled, are left
// alone. Not for concurrent use (the evaluator calls it from its one thread).
size_t verify_due(DeploymentStore& deployments, const slo::Source& source, const config::Config& cfg, int64_t now,
                  const VerdictSink& sink);

}  // namespace sloguard::hooks
