#include "sloguard/hooks/verification.h"

#include <cstdio>

#include "sloguard/common/log.h"

namespace sloguard::hooks {
namespace {

std::string pct(double r) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f%%", r * 100.0);
  return buf;
}
std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

// The service's first availability SLO: its bad statuses and, for a datasource, its queries.
const config::SloConfig* availability_slo(const config::Config& cfg, const std::string& service) {
  for (const auto& s : cfg.slos) {
    if (s.service == service && s.sli.kind == config::SliKind::kAvailability) return &s;
  }
  return nullptr;
}

Result<Measurement> measure(const slo::Source& source, slo::TrafficQuery q, std::optional<std::string> version,
                            const std::string& name, int64_t from, int64_t to) {
  Measurement m;
  m.series = name;
  m.from = from;
  m.to = to;
  q.version = std::move(version);
  q.from = from;
  q.to = to;
  auto t = source.traffic(q);
  if (!t.ok()) return t.status();
  m.requests = t->requests;
  m.errors = t->errors;
  if (m.requests > 0) m.error_ratio = static_cast<double>(m.errors) / static_cast<double>(m.requests);
  m.p95_ms = t->p95_ms;
  return m;
}

}  // namespace

int64_t verification_start(const Deployment& d) { return (d.started_at + 59) / 60 * 60; }

Verification judge(const config::VerificationConfig& vc, const Measurement& release, const Measurement& baseline) {
  Verification v;
  v.release = release;
  v.baseline = baseline;
  if (release.requests < vc.min_requests || !release.error_ratio) {
    v.outcome = "inconclusive";
    v.reasons.push_back(std::to_string(release.requests) + " requests of the release, fewer than min_requests " +
                        std::to_string(vc.min_requests));
    return v;
  }
  std::vector<std::string> failed, checked;
  const double ratio = *release.error_ratio;
  if (ratio > vc.max_error_ratio) {
    failed.push_back("error ratio " + pct(ratio) + " above the limit " + pct(vc.max_error_ratio));
  } else {
    checked.push_back("error ratio " + pct(ratio) + " within the limit " + pct(vc.max_error_ratio));
  }
  const bool baseline_enough = baseline.requests >= vc.min_requests && baseline.error_ratio.has_value();
  if (vc.max_error_ratio_factor > 0) {
    if (!baseline_enough) {
      checked.push_back("baseline has " + std::to_string(baseline.requests) +
                        " requests, fewer than min_requests: relative rules skipped");
    } else {
      const double base = std::max(*baseline.error_ratio, vc.min_baseline_error_ratio);
      const double limit = vc.max_error_ratio_factor * base;
      if (ratio > limit) {
        failed.push_back("error ratio " + pct(ratio) + " above " + num(vc.max_error_ratio_factor) +
                         "x the baseline " + pct(*baseline.error_ratio));
      } else {
        checked.push_back("error ratio within " + num(vc.max_error_ratio_factor) + "x the baseline " +
                          pct(*baseline.error_ratio));
      }
    }
  }
  if (vc.max_p95_factor > 0 && baseline_enough && release.p95_ms && baseline.p95_ms) {
    const double limit = vc.max_p95_factor * *baseline.p95_ms;
    if (*release.p95_ms > limit) {
      failed.push_back("p95 " + num(*release.p95_ms) + "ms above " + num(vc.max_p95_factor) + "x the baseline " +
                       num(*baseline.p95_ms) + "ms");
    } else {
      checked.push_back("p95 " + num(*release.p95_ms) + "ms within " + num(vc.max_p95_factor) + "x the baseline " +
                        num(*baseline.p95_ms) + "ms");
    }
  }
  v.outcome = failed.empty() ? "passed" : "failed";
  v.reasons = failed.empty() ? checked : failed;
  return v;
}

Result<Verification> verify_deployment(const slo::Source& source, const config::Config& cfg, const Deployment& d,
                                       int64_t now) {
  const config::VerificationConfig& vc = cfg.release.verification_for(d.service);
  const int64_t from = verification_start(d);
  const int64_t period = vc.period_ms / 1000;
  const int64_t to = from + period;
  slo::TrafficQuery q;
  q.slo = availability_slo(cfg, d.service);
  q.service = d.service;
  if (q.slo) q.bad = q.slo->sli.bad_status;
  q.from = from - period;
  q.to = to;
  auto seen = source.versions(q);
  if (!seen.ok()) return seen.status();
  const bool has_versions = !seen->empty();
  auto release = has_versions ? measure(source, q, d.version, "version=" + d.version, from, to)
                              : measure(source, q, std::nullopt, "service (no version labels)", from, to);
  if (!release.ok()) return release.status();

  std::string kind = "before";
  Result<Measurement> baseline = Measurement{};
  if (!d.previous_version.empty() && has_versions) {
    baseline = measure(source, q, d.previous_version, "version=" + d.previous_version, from, to);
    if (!baseline.ok()) return baseline.status();
    if (baseline->requests > 0) kind = "canary";
  }
  if (kind == "before") {
    baseline = measure(source, q, std::nullopt, "service before the deploy", from - period, from);
    if (!baseline.ok()) return baseline.status();
  }
  Verification v = judge(vc, *release, *baseline);
  v.baseline_kind = kind;
  v.judged_at = now;
  return v;
}

size_t verify_due(DeploymentStore& deployments, const slo::Source& source, const config::Config& cfg, int64_t now,
                  const VerdictSink& sink) {
  auto pending = deployments.unjudged();
  if (!pending.ok()) {
    log::error("listing deployments failed", {{"error", pending.status().to_string()}});
    return 0;
  }
  size_t judged = 0;
  for (const Deployment& d : *pending) {
    if (!cfg.find_service(d.service)) continue;
    const config::VerificationConfig& vc = cfg.release.verification_for(d.service);
    if (!vc.enabled) continue;
    if (now < verification_start(d) + vc.period_ms / 1000) continue;
    auto v = verify_deployment(source, cfg, d, now);
    if (!v.ok()) {
      log::error("verification failed to read", {{"deployment", d.id}, {"error", v.status().to_string()}});
      continue;
    }
    // Persisted first: a crash after this never judges (or rolls back) the deployment twice.
    if (Status s = deployments.save_verification(d.id, *v); !s.ok()) {
      if (!s.is_not_found() && s.code() != Status::Code::kAlreadyExists) {
        log::error("storing a verdict failed", {{"deployment", d.id}, {"error", s.to_string()}});
      }
      continue;
    }
    ++judged;
    log::info("deployment verified", {{"deployment", d.id}, {"service", d.service}, {"version", d.version},
                                      {"outcome", v->outcome}});
    if (sink) {
      Deployment judged_d = d;
      judged_d.verification = *v;
      sink(judged_d, *v);
    }
  }
  return judged;
}

}  // namespace sloguard::hooks
