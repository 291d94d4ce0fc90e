#include "sloguard/hooks/verification.h"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <map>

#include "sloguard/common/log.h"
#include "sloguard/common/units.h"

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
  const int64_t to = verification_end(d, vc);
  const int64_t period = to - from;
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

int64_t verification_end(const Deployment& d, const config::VerificationConfig& vc) {
  int64_t period_ms = 0;
  for (const Stage& st : d.stages) period_ms += st.duration_ms;
  if (period_ms == 0) period_ms = vc.period_ms;
  return verification_start(d) + period_ms / 1000;
}

namespace {

std::string rule_value_text(const config::VerificationRule& r, double v) {
  switch (r.metric) {
    case config::VerificationMetric::kErrorRatio: return pct(v);
    case config::VerificationMetric::kP95Ratio: return num(v) + "x";
    case config::VerificationMetric::kP95: return num(v) + "ms";
    case config::VerificationMetric::kProbeFailures: return num(v);
  }
  return num(v);
}

std::string rule_quantity(const config::VerificationRule& r) {
  switch (r.metric) {
    case config::VerificationMetric::kErrorRatio: return "error ratio";
    case config::VerificationMetric::kP95Ratio: return "p95 vs the baseline";
    case config::VerificationMetric::kP95: return "p95";
    case config::VerificationMetric::kProbeFailures: return "probe failures in a row";
  }
  return "";
}

// The figures of one window of the release (and of its canary baseline), read once a round.
struct WindowReads {
  const slo::Source& source;
  slo::TrafficQuery q;
  const Deployment& d;
  bool versions;
  std::map<int64_t, Result<Measurement>> release, canary;

  Result<Measurement>& get(std::map<int64_t, Result<Measurement>>& memo, int64_t from, int64_t to, bool baseline) {
    auto it = memo.find(from);
    if (it != memo.end()) return it->second;
    Result<Measurement> m = Measurement{};
    if (baseline) {
      m = measure(source, q, d.previous_version, "version=" + d.previous_version, from, to);
    } else if (versions) {
      m = measure(source, q, d.version, "version=" + d.version, from, to);
    } else {
      m = measure(source, q, std::nullopt, "service (no version labels)", from, to);
    }
    return memo.emplace(from, std::move(m)).first->second;
  }
};

RuleCheck fresh_check(const config::VerificationRule& r) {
  RuleCheck c;
  c.name = r.name;
  c.metric = config::verification_metric_name(r.metric);
  c.window_ms = r.metric == config::VerificationMetric::kProbeFailures ? 0 : r.window_ms;
  c.max = r.metric == config::VerificationMetric::kProbeFailures ? r.consecutive_failures : r.max;
  c.failures_allowed = r.failures_allowed;
  return c;
}

}  // namespace

Result<RoundStep> check_deployment(const slo::Source& source, const config::Config& cfg, const Deployment& d,
                                   VerificationProgress prev, int64_t now, const ProbeStreak& probes) {
  const config::VerificationConfig& vc = cfg.release.verification_for(d.service);
  const int64_t from = verification_start(d);
  const int64_t end = verification_end(d, vc);
  const int64_t at = std::min(now / 60 * 60, end);
  RoundStep step;
  VerificationProgress& p = step.progress;
  p = std::move(prev);
  // The config's rules, with what was counted for them so far (matched by name).
  std::vector<RuleCheck> checks;
  for (const auto& r : vc.rules) {
    RuleCheck c = fresh_check(r);
    for (const auto& old : p.rules) {
      if (old.name == r.name) {
        c.failures = old.failures;
        c.last_failed_at = old.last_failed_at;
      }
    }
    checks.push_back(std::move(c));
  }
  p.rules = std::move(checks);
  p.error.clear();
  if (now < from) return step;

  slo::TrafficQuery q;
  q.slo = availability_slo(cfg, d.service);
  q.service = d.service;
  if (q.slo) q.bad = q.slo->sli.bad_status;
  // Without the versions the window rules cannot be read; the probe rule still can.
  bool windows_readable = true;
  if (!p.has_versions) {
    q.from = from - (end - from);
    q.to = end;
    auto seen = source.versions(q);
    if (!seen.ok()) {
      p.error = seen.status().message();
      windows_readable = false;
    } else {
      p.has_versions = !seen->empty();
    }
  }
  WindowReads reads{source, q, d, p.has_versions, {}, {}};
  const config::VerificationRule* failed = nullptr;
  std::string failed_reason;
  Measurement failed_window;
  for (size_t i = 0; i < vc.rules.size(); ++i) {
    const config::VerificationRule& r = vc.rules[i];
    RuleCheck& c = p.rules[i];
    std::optional<double> value;
    bool breached = false;
    if (r.metric == config::VerificationMetric::kProbeFailures) {
      const int streak = probes ? probes(d.service, from) : 0;
      value = streak;
      c.value = value;
      if (streak >= r.consecutive_failures) {
        c.failures = std::max(c.failures, 1);
        c.last_failed_at = now;
        c.state = "failed";
        c.detail = "probes failed " + std::to_string(streak) + " times in a row since the deploy";
        if (!failed) {
          failed = &r;
          failed_reason = r.name + ": " + c.detail;
        }
      } else {
        c.state = "ok";
        c.detail = streak > 0 ? std::to_string(streak) + " failed in a row" : "";
      }
      continue;
    }
    const int64_t w = r.window_ms / 1000;
    if (!windows_readable) {
      c.state = "unavailable";
      continue;
    }
    if (at - from < std::min(w, end - from)) {
      c.state = "pending";
      c.detail = "checked from " + format_rfc3339(from + std::min(w, end - from));
      continue;
    }
    const int64_t wfrom = std::max(from, at - w);
    auto& rel = reads.get(reads.release, wfrom, at, false);
    if (!rel.ok()) {
      p.error = rel.status().message();
      c.state = "unavailable";
      continue;
    }
    c.requests = rel->requests;
    if (rel->requests < r.min_requests) {
      c.state = "insufficient_data";
      if (r.metric == config::VerificationMetric::kErrorRatio) c.value = rel->error_ratio;
      c.detail = std::to_string(rel->requests) + " requests, fewer than min_requests " + std::to_string(r.min_requests);
      continue;
    }
    switch (r.metric) {
      case config::VerificationMetric::kErrorRatio:
        value = rel->error_ratio;
        break;
      case config::VerificationMetric::kP95:
        value = rel->p95_ms;
        break;
      case config::VerificationMetric::kP95Ratio: {
        std::optional<double> base;
        if (!d.previous_version.empty() && p.has_versions) {
          auto& can = reads.get(reads.canary, wfrom, at, true);
          if (!can.ok()) {
            p.error = can.status().message();
            c.state = "unavailable";
            continue;
          }
          if (can->requests >= r.min_requests) base = can->p95_ms;
        }
        if (!base) {
          if (!p.baseline_read) {
            auto before = measure(source, q, std::nullopt, "service before the deploy", from - (end - from), from);
            if (!before.ok()) {
              p.error = before.status().message();
              c.state = "unavailable";
              continue;
            }
            p.baseline_read = true;
            if (before->requests >= r.min_requests) p.baseline_p95_ms = before->p95_ms;
          }
          base = p.baseline_p95_ms;
        }
        if (rel->p95_ms && base && *base > 0) value = *rel->p95_ms / *base;
        break;
      }
      case config::VerificationMetric::kProbeFailures:
        break;
    }
    c.value = value;
    if (!value) {
      c.state = "insufficient_data";
      c.detail = r.metric == config::VerificationMetric::kP95Ratio ? "no latency data for the release or its baseline"
                                                                   : "no latency data";
      continue;
    }
    breached = *value > r.max;
    if (!breached) {
      c.state = c.failures > 0 ? "breached" : "ok";
      c.detail = rule_quantity(r) + " " + rule_value_text(r, *value) + " within " + rule_value_text(r, r.max);
      continue;
    }
    if (c.last_failed_at != at) {
      ++c.failures;
      c.last_failed_at = at;
    }
    c.detail = rule_quantity(r) + " " + rule_value_text(r, *value) + " over " + format_duration_ms(r.window_ms) +
               " above " + rule_value_text(r, r.max) + " (" + std::to_string(rel->requests) + " requests, failure " +
               std::to_string(c.failures) + " of " + std::to_string(r.failures_allowed + 1) + ")";
    if (c.failures > r.failures_allowed) {
      c.state = "failed";
      if (!failed) {
        failed = &r;
        failed_reason = r.name + ": " + c.detail;
        failed_window = *rel;
      }
    } else {
      c.state = "breached";
    }
  }
  p.checked_at = now;
  if (failed) {
    Verification v;
    v.outcome = "failed";
    v.judged_at = now;
    v.failed_rule = failed->name;
    v.reasons.push_back(failed_reason);
    v.release = failed_window;
    v.baseline_kind = "rules";
    step.verdict = std::move(v);
    return step;
  }
  if (!p.error.empty() || now < end) return step;
  auto v = verify_deployment(source, cfg, d, now);
  if (!v.ok()) {
    p.error = v.status().message();
    return step;
  }
  step.verdict = std::move(v).value();
  return step;
}

size_t verify_round(DeploymentStore& deployments, const slo::Source& source, const config::Config& cfg, int64_t now,
                    const ProbeStreak& probes, const RollbackPlanner& planner, const VerdictSink& sink) {
  // One read of the deployments serves both the unjudged ones (oldest first) and the newer
  // deployments that end the verification of older ones of the same service and environment
  // (without version labels both would be judged on the same traffic, and the older one's
  // rollback would carry the wrong versions).
  auto recent = deployments.list({}, std::numeric_limits<size_t>::max());  // newest first
  if (!recent.ok()) {
    log::error("listing deployments failed", {{"error", recent.status().to_string()}});
    return 0;
  }
  std::vector<const Deployment*> pending;
  for (auto it = recent->rbegin(); it != recent->rend(); ++it) {
    if (!it->verification) pending.push_back(&*it);
  }
  size_t judged = 0;
  for (const Deployment* dp : pending) {
    const Deployment& d = *dp;
    if (!cfg.find_service(d.service)) continue;
    const config::VerificationConfig& vc = cfg.release.verification_for(d.service);
    if (!vc.enabled || now < verification_start(d)) continue;
    auto prev = deployments.progress(d.id);
    if (!prev.ok()) {
      log::error("reading verification progress failed", {{"deployment", d.id}, {"error", prev.status().to_string()}});
      continue;
    }
    const Deployment* newer = nullptr;
    for (const Deployment& e : *recent) {
      if (e.id != d.id && e.service == d.service && e.environment == d.environment && e.started_at <= now &&
          (e.started_at > d.started_at || (e.started_at == d.started_at && e.created_at > d.created_at))) {
        newer = &e;
        break;  // newest first: the latest one that supersedes it
      }
    }
    Result<RoundStep> step = RoundStep{};
    if (newer) {
      Verification v;
      v.outcome = "inconclusive";
      v.judged_at = now;
      v.baseline_kind = "superseded";
      v.reasons.push_back("superseded by deployment " + newer->id + " (" + newer->version + ") at " +
                          format_rfc3339(newer->started_at));
      step->progress = prev->value_or(VerificationProgress{});
      step->verdict = std::move(v);
    } else {
      step = check_deployment(source, cfg, d, prev->value_or(VerificationProgress{}), now, probes);
    }
    if (!step.ok()) continue;
    if (!step->verdict) {
      if (!step->progress.error.empty()) {
        log::warn("verification could not read its data", {{"deployment", d.id}, {"error", step->progress.error}});
      }
      if (Status s = deployments.save_progress(d.id, step->progress); !s.ok()) {
        log::error("storing verification progress failed", {{"deployment", d.id}, {"error", s.to_string()}});
      }
      continue;
    }
    const Verification& v = *step->verdict;
    Deployment judged_d = d;
    judged_d.verification = v;
    std::vector<store::Store::StateWrite> jobs;
    if (v.outcome == "failed" && planner) jobs = planner(judged_d, v);
    // The verdict and the rollback it decides in one batch: a crash keeps both or neither.
    if (Status s = deployments.save_verdict(d.id, v, step->progress, std::move(jobs)); !s.ok()) {
      if (s.code() != Status::Code::kAlreadyExists) {
        log::error("storing a verdict failed", {{"deployment", d.id}, {"error", s.to_string()}});
      }
      continue;
    }
    ++judged;
    log::info("deployment verified", {{"deployment", d.id}, {"service", d.service}, {"version", d.version},
                                      {"outcome", v.outcome}, {"rule", v.failed_rule}});
    if (sink) sink(judged_d, v);
  }
  return judged;
}

Analysis analyze(const Deployment& d, const config::VerificationConfig& vc,
                 const std::optional<VerificationProgress>& progress, int64_t now, std::optional<int> caller_weight) {
  Analysis a;
  a.from = verification_start(d);
  a.to = verification_end(d, vc);
  if (!d.stages.empty()) {
    int64_t start = a.from;
    for (size_t i = 0; i < d.stages.size(); ++i) {
      const int64_t stage_end = start + d.stages[i].duration_ms / 1000;
      if (now < stage_end || i + 1 == d.stages.size()) {
        a.stage = i;
        a.stage_started_at = start;
        a.stage_ends_at = stage_end;
        break;
      }
      start = stage_end;
    }
  }
  if (d.verification) {
    const Verification& v = *d.verification;
    a.phase = v.outcome;
    a.reasons = v.reasons;
    a.decision = v.outcome == "failed" ? "rollback" : v.outcome == "passed" ? "promote" : "undecided";
    return a;
  }
  a.phase = "verifying";
  if (progress && !progress->error.empty()) {
    a.decision = "undecided";
    a.reasons.push_back("the data could not be read: " + progress->error);
    return a;
  }
  a.decision = "continue";
  if (a.stage && caller_weight && d.stages[*a.stage].weight > *caller_weight) {
    // Time alone does not promote: a canary that gets no traffic (crash-looping, unrouted)
    // has nothing failed and nothing judged either.
    const bool judged = progress && progress->checked_at >= a.stage_started_at &&
                        std::any_of(progress->rules.begin(), progress->rules.end(),
                                    [](const RuleCheck& c) { return c.window_ms > 0 && c.state == "ok"; });
    const std::string stage = "stage " + std::to_string(*a.stage + 1) + " (" +
                              std::to_string(d.stages[*a.stage].weight) + "%)";
    if (judged) {
      a.decision = "promote";
      a.reasons.push_back(stage + " has begun with no rule failed");
    } else {
      a.reasons.push_back(stage + " has begun, but no rule has judged enough release traffic yet");
    }
  }
  if (progress) {
    for (const auto& c : progress->rules) {
      if (c.state == "breached") a.reasons.push_back(c.name + ": " + c.detail);
    }
  }
  return a;
}

}  // namespace sloguard::hooks
