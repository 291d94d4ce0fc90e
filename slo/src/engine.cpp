#include "sloguard/slo/engine.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <cmath>

#include "sloguard/common/units.h"

namespace sloguard::slo {

std::vector<int64_t> burn_rate_windows(int64_t slo_window_seconds) {
  std::vector<int64_t> w = {5 * 60, 30 * 60, 3600, 2 * 3600, 6 * 3600, 86400, 3 * 86400, slo_window_seconds};
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

Result<SloStatus> Engine::evaluate(const config::Config& cfg, const config::SloConfig& slo, double at_time) const {
  SloStatus st;
  st.name = slo.name;
  st.service = slo.service;
  st.objective = slo.objective;
  st.window_seconds = slo.window_ms / 1000;
  st.window = format_duration_ms(slo.window_ms);
  st.at = align_to_minute(at_time);

  const std::vector<int64_t> windows = burn_rate_windows(st.window_seconds);
  auto counts = source_.window_counts(slo, st.at, windows);
  if (!counts.ok()) return counts.status();

  const double error_allowance = 1.0 - slo.objective;
  for (size_t i = 0; i < windows.size(); ++i) {
    const Counts& c = (*counts)[i];
    WindowBurn wb{format_duration_ms(windows[i] * 1000), windows[i], c, std::nullopt};
    if (c.total > 0) {
      wb.burn_rate = (static_cast<double>(c.bad()) / static_cast<double>(c.total)) / error_allowance;
    }
    if (windows[i] == st.window_seconds) st.sli = c;
    st.burn_rates.push_back(std::move(wb));
  }
  if (st.sli.total > 0) {
    st.ratio = static_cast<double>(st.sli.good) / static_cast<double>(st.sli.total);
    st.budget.allowed = error_allowance * static_cast<double>(st.sli.total);
    st.budget.consumed = st.sli.bad();
    st.budget.remaining_ratio = 1.0 - static_cast<double>(st.budget.consumed) / st.budget.allowed;
  }
  const config::PolicyTier& tier = policy_for(cfg.budget_policy, st.budget.remaining_ratio);
  st.policy = tier.status;
  st.block_releases = tier.block_releases;
  return st;
}

std::vector<Result<SloStatus>> Engine::evaluate_all(const config::Config& cfg, double at, unsigned threads) const {
  const size_t n = cfg.slos.size();
  std::vector<std::optional<Result<SloStatus>>> results(n);
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < n;) results[i].emplace(evaluate(cfg, cfg.slos[i], at));
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
