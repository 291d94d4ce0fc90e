#include "sloguard/slo/engine.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <cmath>
#include <exception>

#include "sloguard/common/units.h"
#include "sloguard/slo/calendar.h"

namespace sloguard::slo {

std::vector<int64_t> burn_rate_windows(int64_t slo_window_seconds) {
  std::vector<int64_t> w = {5 * 60, 30 * 60, 3600, 2 * 3600, 6 * 3600, 86400, 3 * 86400};
  if (slo_window_seconds > 0) w.push_back(slo_window_seconds);
  std::sort(w.begin(), w.end());
  w.erase(std::unique(w.begin(), w.end()), w.end());
  return w;
}

int64_t align_to_minute(double unix_seconds) {
  return static_cast<int64_t>(std::floor(unix_seconds / 60.0)) * 60;
}

const config::PolicyTier& policy_for(const std::vector<config::PolicyTier>& tiers,
                                     std::optional<double> remaining_ratio) {
  if (!remaining_ratio) return tiers.front();
  for (const auto& t : tiers) {
    if (*remaining_ratio >= t.min_remaining) return t;
  }
  return tiers.back();
}

const char* sli_kind_name(config::SliKind kind) {
  switch (kind) {
    case config::SliKind::kAvailability: return "availability";
    case config::SliKind::kLatency: return "latency";
    case config::SliKind::kPercentile: return "percentile";
    case config::SliKind::kProbe: return "probe";
  }
  return "availability";
}

namespace {

// Good and bad slices per window: a slice is good when its pNN is within the target
// (percentile SLIs) or its good/total ratio reaches the slice target (other SLIs).
std::vector<Counts> slice_window_counts(const config::SloConfig& slo, const std::vector<Slice>& slices, int64_t at,
                                        const std::vector<int64_t>& windows) {
  const double slice_target = slo.budgeting.slice_target > 0 ? slo.budgeting.slice_target : slo.objective;
  std::vector<Counts> out(windows.size());
  for (const Slice& sl : slices) {
    bool good;
    if (slo.sli.kind == config::SliKind::kPercentile) {
      good = sl.percentile_ms && *sl.percentile_ms <= slo.sli.target_ms;
    } else {
      good = static_cast<double>(sl.counts.good) >= slice_target * static_cast<double>(sl.counts.total);
    }
    for (size_t i = 0; i < windows.size(); ++i) {
      if (sl.start >= at - windows[i]) out[i] += Counts{good ? 1u : 0u, 1};
    }
  }
  return out;
}

std::optional<double> exhaustion_seconds(std::optional<double> remaining, std::optional<double> burn, double window) {
  if (!remaining || !burn) return std::nullopt;
  if (*remaining <= 0) return 0.0;
  if (*burn <= 0) return std::nullopt;
  return *remaining * window / *burn;
}

// The reason and the rest of the message of a source failure.
SourceError source_error_of(const Status& s) {
  std::string reason(source_failure_reason(s));
  std::string message = s.message().substr(std::min(s.message().size(), reason.size() + 1));
  while (!message.empty() && message.front() == ' ') message.erase(0, 1);
  return SourceError{std::move(reason), std::move(message)};
}

}  // namespace

Result<SloStatus> Engine::evaluate(const config::Config& cfg, const config::SloConfig& slo, double at_time,
                                   const std::string& group) const {
  const int64_t at = align_to_minute(at_time);
  ReadScope scope;  // the whole SLO and its groups read the same rows once
  if (!group.empty()) {
    if (slo.group_by.empty()) return Status::InvalidArgument("SLO " + slo.name + " has no group_by");
    GroupList gl = source_.groups(slo);
    if (!gl.error.ok()) {
      if (source_failure_reason(gl.error).empty()) return gl.error;
      return unavailable(cfg, slo, Instance{&slo, group}, at, source_error_of(gl.error));
    }
    if (std::find(gl.groups.begin(), gl.groups.end(), group) == gl.groups.end() &&
        std::find(gl.overflow.begin(), gl.overflow.end(), group) == gl.overflow.end()) {
      return Status::NotFound("SLO " + slo.name + " has no group \"" + group + "\"");
    }
    return evaluate_instance(cfg, Instance{&slo, group}, at);
  }
  auto whole = evaluate_instance(cfg, Instance{&slo, ""}, at);
  if (!whole.ok() || slo.group_by.empty() || whole->source_error) return whole;
  GroupList gl = source_.groups(slo);
  if (!gl.error.ok()) {
    if (source_failure_reason(gl.error).empty()) return gl.error;
    return unavailable(cfg, slo, Instance{&slo, ""}, at, source_error_of(gl.error));
  }
  for (const auto& g : gl.groups) {
    auto st = evaluate_instance(cfg, Instance{&slo, g}, at);
    if (!st.ok()) return st.status();
    if (st->source_error) return unavailable(cfg, slo, Instance{&slo, ""}, at, *st->source_error);
    whole->groups.push_back(std::move(st).value());
  }
  const std::vector<int64_t> window = {whole->window_seconds};
  for (const auto& g : gl.overflow) {
    if (whole->window_seconds <= 0) break;
    auto c = source_.window_counts(Instance{&slo, g}, at, window);
    if (!c.ok() && !source_failure_reason(c.status()).empty()) {
      return unavailable(cfg, slo, Instance{&slo, ""}, at, source_error_of(c.status()));
    }
    if (!c.ok()) return c.status();
    whole->overflow_events += (*c)[0].total;
  }
  whole->overflow_groups = std::move(gl.overflow);
  return whole;
}

Result<SloStatus> Engine::evaluate_instance(const config::Config& cfg, const Instance& inst, int64_t at) const {
  auto st = compute_instance(cfg, inst, at);
  if (st.ok()) return st;
  std::string_view reason = source_failure_reason(st.status());
  if (reason.empty()) return st;
  return unavailable(cfg, *inst.slo, inst, at, source_error_of(st.status()));
}

Result<SloStatus> Engine::unavailable(const config::Config& cfg, const config::SloConfig& slo, const Instance& inst,
                                      int64_t at, SourceError why) const {
  // The frame of the status (window, objective) without figures: no data, not a full budget.
  auto framed = frame(slo, inst, at);
  if (!framed.ok()) return framed.status();
  SloStatus st = std::move(framed).value();
  (void)cfg;
  st.policy = "unknown";
  st.block_releases = false;
  st.source_error = std::move(why);
  return st;
}

Result<SloStatus> Engine::frame(const config::SloConfig& slo, const Instance& inst, int64_t at) const {
  SloStatus st;
  st.name = slo.name;
  st.service = slo.service;
  st.group = inst.group;
  st.sli_kind = sli_kind_name(slo.sli.kind);
  st.objective = slo.objective;
  st.at = at;
  st.window = slo.window_text.empty() ? format_duration_ms(slo.window_ms) : slo.window_text;
  st.source = source_.name_of(slo);
  const bool timeslices = slo.budgeting.method == config::BudgetingMethod::kTimeslices;
  st.budgeting = timeslices ? "timeslices" : "occurrences";
  if (timeslices) st.slice_seconds = slo.budgeting.slice_seconds;
  if (slo.window_kind == config::WindowKind::kCalendar) {
    auto start = calendar_period_start(slo.calendar, slo.time_zone, at);
    if (!start.ok()) return start.status();
    auto end = calendar_period_end(slo.calendar, slo.time_zone, at);
    if (!end.ok()) return end.status();
    st.window_start = *start;
    st.window_end = *end;
    st.window_seconds = at - *start;
  } else {
    st.window_seconds = slo.window_ms / 1000;
    st.window_start = at - st.window_seconds;
  }
  return st;
}

Result<SloStatus> Engine::compute_instance(const config::Config& cfg, const Instance& inst, int64_t at) const {
  const config::SloConfig& slo = *inst.slo;
  auto framed = frame(slo, inst, at);
  if (!framed.ok()) return framed.status();
  SloStatus st = std::move(framed).value();
  // Calendar: the budget so far was earned over the elapsed part of the period, so that is
  // the time it lasts at burn rate 1.
  const double full_window = slo.window_kind == config::WindowKind::kCalendar
                                 ? static_cast<double>(st.window_seconds)
                                 : static_cast<double>(slo.window_ms) / 1000.0;
  const bool timeslices = slo.budgeting.method == config::BudgetingMethod::kTimeslices;

  // A calendar window is its own entry even when its elapsed length equals a fixed window, so
  // "1h" never turns into "month" for a minute; at the very start of a period it is empty and
  // only the fixed windows remain.
  const bool calendar = slo.window_kind == config::WindowKind::kCalendar;
  std::vector<int64_t> windows = burn_rate_windows(calendar ? 0 : st.window_seconds);
  size_t slo_index = windows.size();
  if (calendar && st.window_seconds > 0) {
    auto pos = std::upper_bound(windows.begin(), windows.end(), st.window_seconds);
    slo_index = static_cast<size_t>(pos - windows.begin());
    windows.insert(pos, st.window_seconds);
  } else if (!calendar) {
    slo_index = static_cast<size_t>(std::find(windows.begin(), windows.end(), st.window_seconds) - windows.begin());
  }
  std::vector<Counts> counts;
  if (timeslices) {
    auto slices = source_.slices(inst, at - windows.back(), at, slo.budgeting.slice_seconds);
    if (!slices.ok()) return slices.status();
    counts = slice_window_counts(slo, *slices, at, windows);
  } else {
    auto c = source_.window_counts(inst, at, windows);
    if (!c.ok()) return c.status();
    counts = std::move(c).value();
  }

  const double error_allowance = 1.0 - slo.objective;
  std::optional<double> burn_1h, burn_window;
  for (size_t i = 0; i < windows.size(); ++i) {
    const Counts& c = counts[i];
    const bool is_slo_window = i == slo_index;
    WindowBurn wb{is_slo_window ? st.window : format_duration_ms(windows[i] * 1000), windows[i], c, std::nullopt};
    if (c.total > 0) {
      wb.burn_rate = (static_cast<double>(c.bad()) / static_cast<double>(c.total)) / error_allowance;
    }
    if (windows[i] == 3600) burn_1h = wb.burn_rate;
    if (is_slo_window) {
      st.sli = c;
      burn_window = wb.burn_rate;
    }
    st.burn_rates.push_back(std::move(wb));
  }
  if (st.sli.total > 0) {
    st.ratio = static_cast<double>(st.sli.good) / static_cast<double>(st.sli.total);
    st.budget.allowed = error_allowance * static_cast<double>(st.sli.total);
    st.budget.consumed = st.sli.bad();
    st.budget.remaining_ratio = 1.0 - static_cast<double>(st.budget.consumed) / st.budget.allowed;
  }
  st.budget.exhausted_in_1h_rate = exhaustion_seconds(st.budget.remaining_ratio, burn_1h, full_window);
  st.budget.exhausted_in_window_rate = exhaustion_seconds(st.budget.remaining_ratio, burn_window, full_window);
  const config::PolicyTier& tier = policy_for(cfg.budget_policy, st.budget.remaining_ratio);
  st.policy = tier.status;
  st.block_releases = tier.block_releases;

  if (slo.sli.kind != config::SliKind::kAvailability && st.window_seconds > 0) {
    auto summary = source_.latency_summary(inst, st.window_start, at);
    if (!summary.ok()) return summary.status();
    st.latency = *summary;
  }
  return st;
}

std::vector<Result<SloStatus>> Engine::evaluate_all(const config::Config& cfg, double at, unsigned threads) const {
  const size_t n = cfg.slos.size();
  std::vector<std::optional<Result<SloStatus>>> results(n);
  std::atomic<size_t> next{0};
  // SLOs that share a query shape are read together, once, before they are evaluated.
  const std::shared_ptr<const RoundReads> reads = source_.prepare_round(cfg, align_to_minute(at));
  auto work = [&] {
    RoundScope scope(reads.get());
    for (size_t i; (i = next.fetch_add(1)) < n;) {
      // One SLO that throws becomes an error value for that SLO; the round and its threads go on.
      try {
        results[i].emplace(evaluate(cfg, cfg.slos[i], at));
      } catch (const std::exception& e) {
        results[i].emplace(Status::Internal("evaluating SLO '" + cfg.slos[i].name + "': " + e.what()));
      } catch (...) {
        results[i].emplace(Status::Internal("evaluating SLO '" + cfg.slos[i].name + "': unknown exception"));
      }
    }
  };
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  // Below a few dozen SLOs a thread costs more than it saves.
  const size_t workers = std::min<size_t>(threads, (n + 31) / 32);
  std::vector<std::thread> pool;
  for (size_t w = 1; w < workers; ++w) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  std::vector<Result<SloStatus>> out;
  out.reserve(n);
  for (auto& r : results) out.push_back(std::move(*r));
  return out;
}

}  // namespace sloguard::slo
