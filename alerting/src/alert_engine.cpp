// AlertEngine: tier conditions, the per-alert state machine, inhibition, silences and the
// notifications each round queues.
#include "sloguard/alerting/alert_engine.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "sloguard/common/log.h"
#include "sloguard/common/units.h"

namespace sloguard::alerting {
namespace {

constexpr const char* kPrefix = "alert/";
constexpr int64_t kKeepResolvedMs = 24LL * 3600 * 1000;  // resolved alerts stay listed for a day

std::string fmt(double v, const char* f = "%.2f") {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::string fmt_rate(const std::optional<double>& v) { return v ? fmt(*v) + "x" : std::string("no data"); }

// Good/total per window (seconds) of one instance: from its status, else from the source;
// nullopt when the source cannot be read (the alerts then keep their state).
std::optional<std::map<int64_t, slo::Counts>> window_counts(const config::SloConfig& slo, const slo::SloStatus& st,
                                                            const slo::Source* source) {
  std::map<int64_t, slo::Counts> out;
  for (const auto& w : st.burn_rates) out[w.seconds] = w.counts;
  std::vector<int64_t> missing;
  for (const auto& t : slo.alerting.tiers) {
    for (int64_t ms : {t.long_window_ms, t.short_window_ms}) {
      const int64_t s = ms / 1000;
      if (!out.count(s) && std::find(missing.begin(), missing.end(), s) == missing.end()) missing.push_back(s);
    }
  }
  // Time-slice SLOs count slices, which only the engine's own windows carry.
  if (missing.empty() || !source || slo.budgeting.method == config::BudgetingMethod::kTimeslices) return out;
  auto counts = source->window_counts(slo::Instance{&slo, st.group}, st.at, missing);
  if (!counts.ok()) {
    log::warn("alert windows not readable", {{"slo", slo.name}, {"error", counts.status().to_string()}});
    return std::nullopt;
  }
  for (size_t i = 0; i < missing.size(); ++i) out[missing[i]] = counts.value()[i];
  return out;
}

std::optional<double> burn(const slo::Counts& c, double objective) {
  if (c.total == 0) return std::nullopt;
  return static_cast<double>(c.bad()) / static_cast<double>(c.total) / (1.0 - objective);
}

}  // namespace

Status AlertEngine::load() {
  if (!store_) return Status::OK();
  std::map<std::string, AlertState> loaded;
  Status bad;
  Status s = store_->scan_state(kPrefix, [&](std::string_view key, std::string_view v) {
    auto a = alert_from_json(std::string(v));
    if (a.ok()) {
      loaded[a.value().key()] = std::move(a).value();
    } else {
      bad = Status::Corruption(std::string(key) + ": " + a.status().message());
      log::error("skipping an unreadable alert state", {{"key", std::string(key)}, {"error", a.status().message()}});
    }
  });
  if (!s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  states_ = std::move(loaded);
  return bad;
}

std::vector<AlertState> AlertEngine::alerts() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<AlertState> out;
  for (const auto& [k, a] : states_) out.push_back(a);
  return out;
}

void AlertEngine::set_fire_listener(FireListener listener) {
  std::lock_guard<std::mutex> lock(mu_);
  fire_listener_ = std::move(listener);
}

Notification make_notification(const AlertState& a, const std::string& status, bool repeat,
                               const std::string& notifier, const config::Config& cfg, int64_t now_ms) {
  Notification n;
  n.alert_key = a.key();
  const std::string what = status == "resolved" ? "resolved" : repeat ? "repeat-" + std::to_string(now_ms) : "firing";
  n.id = n.alert_key + "#" + std::to_string(a.episode) + "/" + what + "/" + notifier;
  n.status = status;
  n.repeat = repeat;
  n.slo = a.slo;
  n.service = a.service;
  n.group = a.group;
  n.tier = a.tier;
  n.severity = a.severity;
  n.labels = a.labels();
  n.starts_at_ms = a.fired_at_ms;
  if (status == "resolved") n.ends_at_ms = a.resolved_at_ms;
  n.created_at_ms = now_ms;
  n.threshold = a.threshold;
  n.long_window = a.long_window;
  n.short_window = a.short_window;
  n.long_burn_rate = a.long_burn_rate;
  n.short_burn_rate = a.short_burn_rate;
  n.budget_remaining = a.budget_remaining;
  const config::SloConfig* slo = cfg.find_slo(a.slo);
  n.objective = slo ? slo->objective : 0;
  const std::string subject = a.slo + (a.group.empty() ? "" : " [" + a.group + "]");
  if (status == "resolved") {
    n.annotations["summary"] = subject + ": " + a.tier + " resolved";
  } else {
    n.annotations["summary"] = subject + ": error budget burning at " + fmt_rate(a.long_burn_rate) + " over " +
                               a.long_window + " and " + fmt_rate(a.short_burn_rate) + " over " + a.short_window +
                               " (" + a.tier + " threshold " + fmt(a.threshold) + "x)";
  }
  std::string desc = "Service " + a.service + ", SLO " + a.slo;
  if (slo) desc += " (objective " + fmt(slo->objective * 100, "%.4g") + "% over " + slo->window_text + ")";
  desc += ". Error budget remaining: " +
          (a.budget_remaining ? fmt(*a.budget_remaining * 100, "%.1f") + "%" : std::string("no data")) + ".";
  n.annotations["description"] = desc;
  if (!cfg.alerting.external_url.empty()) {
    n.link = cfg.alerting.external_url + "/api/v1/slos/" + a.slo + (a.group.empty() ? "" : "?group=" + a.group);
    n.annotations["link"] = n.link;
  }
  return n;
}

Result<std::vector<Transition>> AlertEngine::evaluate(const config::Config& cfg,
                                                      const std::vector<slo::SloStatus>& statuses,
                                                      const slo::Source* source, const Silences* silences,
                                                      Outbox* outbox, int64_t now_ms) {
  std::lock_guard<std::mutex> round(round_mu_);
  std::map<std::string, AlertState> states;
  std::set<std::string> persisted;  // every state in states_ is stored
  FireListener listener;
  {
    std::lock_guard<std::mutex> lock(mu_);
    states = states_;
    for (const auto& [k, a] : states_) persisted.insert(k);
    listener = fire_listener_;
  }
  std::vector<store::Store::StateWrite> writes;
  std::vector<Transition> transitions;
  std::vector<std::pair<AlertState, const config::AlertTier*>> fired_hooks;

  // Firing notices go to the tier's notifiers, which are remembered in the alert, so its
  // resolved notice reaches exactly those that were paged (even after a reload changed them).
  auto queue = [&](AlertState& a, const std::vector<std::string>& names, const std::string& status, bool repeat) {
    if (status == "firing" && !repeat) a.paged.clear();
    for (const std::string& name : names) {
      const config::NotifierConfig* nc = cfg.find_notifier(name);
      if (!nc) continue;
      // The notifier's send_resolved defaults to alerting.send_resolved (config loader).
      if (status == "resolved" && !nc->send_resolved) continue;
      if (status == "firing" && !repeat) a.paged.push_back(name);
      if (outbox) writes.push_back(outbox->prepare(name, make_notification(a, status, repeat, name, cfg, now_ms)));
    }
  };

  for (const slo::SloStatus& whole : statuses) {
    const config::SloConfig* slo = cfg.find_slo(whole.name);
    if (!slo || !slo->alerting.enabled || slo->alerting.tiers.empty()) continue;
    std::vector<const slo::SloStatus*> instances;
    if (!whole.groups.empty()) {
      for (const auto& g : whole.groups) instances.push_back(&g);
    } else if (slo->group_by.empty()) {
      instances.push_back(&whole);
    }
    const bool slices = slo->budgeting.method == config::BudgetingMethod::kTimeslices;
    for (const slo::SloStatus* st : instances) {
      // Missing data moves no alert: it neither fires nor resolves (the states stay as they are).
      if (st->source_error) continue;
      const auto read = window_counts(*slo, *st, source);
      if (!read) continue;
      const auto& counts = *read;
      std::vector<AlertState*> inst;
      std::vector<AlertPhase> before;  // each tier's phase before this round
      std::map<std::string, size_t> rank;  // severity -> first position in the tier list
      for (const config::AlertTier& tier : slo->alerting.tiers) {
        rank.emplace(tier.severity, rank.size());
        const std::string key = alert_key(slo->name, st->group, tier.name);
        AlertState& a = states[key];
        if (a.slo.empty()) {
          a.slo = slo->name;
          a.group = st->group;
          a.tier = tier.name;
        }
        a.service = slo->service;
        a.severity = tier.severity;
        a.threshold = tier.burn_rate;
        a.long_window = format_duration_ms(tier.long_window_ms);
        a.short_window = format_duration_ms(tier.short_window_ms);
        a.last_eval_ms = now_ms;
        a.budget_remaining = st->budget.remaining_ratio;
        auto lc = counts.find(tier.long_window_ms / 1000);
        auto sc = counts.find(tier.short_window_ms / 1000);
        const slo::Counts lcounts = lc == counts.end() ? slo::Counts{} : lc->second;
        const slo::Counts scounts = sc == counts.end() ? slo::Counts{} : sc->second;
        a.long_burn_rate = burn(lcounts, slo->objective);
        a.short_burn_rate = burn(scounts, slo->objective);
        a.long_events = lcounts.total;
        a.short_events = scounts.total;
        const bool enough = slices || (lcounts.total >= tier.min_events && scounts.total >= tier.min_events);
        const bool cond = enough && a.long_burn_rate && a.short_burn_rate && *a.long_burn_rate >= tier.burn_rate &&
                          *a.short_burn_rate >= tier.burn_rate;
        const AlertPhase from = a.phase;
        auto fire = [&] {
          a.phase = AlertPhase::kFiring;
          a.fired_at_ms = now_ms;
          a.notified = false;
          a.last_sent_ms = 0;
          ++a.episode;
        };
        if (cond) {
          if (from == AlertPhase::kInactive || from == AlertPhase::kResolved) {
            a.active_at_ms = now_ms;
            if (tier.for_ms <= 0) {
              fire();
            } else {
              a.phase = AlertPhase::kPending;
            }
          } else if (from == AlertPhase::kPending && now_ms - a.active_at_ms >= tier.for_ms) {
            fire();
          }
        } else if (from == AlertPhase::kPending) {
          a.phase = AlertPhase::kInactive;
        } else if (from == AlertPhase::kFiring) {
          a.phase = AlertPhase::kResolved;
          a.resolved_at_ms = now_ms;
        }
        if (a.phase != from) transitions.push_back({a, from, now_ms});
        inst.push_back(&a);
        before.push_back(from);
      }
      // Inhibition: a firing tier of a higher severity (listed earlier) holds back the others.
      for (size_t i = 0; i < inst.size(); ++i) {
        AlertState& a = *inst[i];
        const config::AlertTier& tier = slo->alerting.tiers[i];
        a.inhibited_by.clear();
        for (size_t j = 0; j < inst.size(); ++j) {
          if (inst[j]->phase == AlertPhase::kFiring && rank[inst[j]->severity] < rank[a.severity]) {
            a.inhibited_by = inst[j]->tier;
            break;
          }
        }
        a.silenced_by = silences ? silences->matching(a.labels(), now_ms) : std::vector<std::string>{};
        const bool suppressed = !a.silenced_by.empty() || !a.inhibited_by.empty();
        if (a.phase == AlertPhase::kFiring && !suppressed) {
          if (!a.notified) {
            a.notified = true;
            a.last_sent_ms = now_ms;
            queue(a, tier.notify, "firing", false);
            if (!tier.hooks.empty()) fired_hooks.emplace_back(a, &tier);
          } else if (now_ms - a.last_sent_ms >= cfg.alerting.repeat_interval_ms) {
            a.last_sent_ms = now_ms;
            queue(a, tier.notify, "firing", true);
          }
        }
        // Whoever was paged hears that it is over, even if a silence began meanwhile (a
        // PagerDuty incident would otherwise stay open).
        const bool just_resolved = before[i] == AlertPhase::kFiring && a.phase == AlertPhase::kResolved;
        if (just_resolved && a.notified) queue(a, a.paged, "resolved", false);
      }
    }
  }

  // Forget inactive alerts, resolved ones after a day, and those whose SLO or tier is gone.
  for (auto it = states.begin(); it != states.end();) {
    AlertState& a = it->second;
    const config::SloConfig* slo = cfg.find_slo(a.slo);
    bool exists = slo && slo->alerting.enabled &&
                  std::any_of(slo->alerting.tiers.begin(), slo->alerting.tiers.end(),
                              [&](const config::AlertTier& t) { return t.name == a.tier; });
    const bool drop = !exists || a.phase == AlertPhase::kInactive ||
                      (a.phase == AlertPhase::kResolved && now_ms - a.resolved_at_ms > kKeepResolvedMs);
    if (drop) {
      if (!exists && a.phase == AlertPhase::kFiring) {
        // Its SLO or tier was removed or disabled by a reload: whoever was paged hears it ends.
        log::info("alert dropped: its SLO or tier is no longer configured", {{"alert", a.key()}});
        if (a.notified) {
          a.phase = AlertPhase::kResolved;
          a.resolved_at_ms = now_ms;
          queue(a, a.paged, "resolved", false);
        }
      }
      if (persisted.count(it->first)) writes.push_back({kPrefix + it->first, std::nullopt});
      it = states.erase(it);
    } else {
      writes.push_back({kPrefix + it->first, to_json(a)});
      ++it;
    }
  }

  // The rollback jobs a firing tier decides go into the same batch as the state that fired it.
  if (listener) {
    for (const auto& [a, tier] : fired_hooks) {
      for (auto& w : listener(a, *tier)) writes.push_back(std::move(w));
    }
  }
  Status written = store_ ? store_->write_state(writes) : Status::OK();
  if (outbox) outbox->commit_prepared(written.ok());
  if (!written.ok()) return written;  // states_ unchanged: the next round tries again
  {
    std::lock_guard<std::mutex> lock(mu_);
    states_ = std::move(states);
  }
  for (const Transition& t : transitions) {
    log::info("alert " + std::string(phase_name(t.alert.phase)),
              {{"slo", t.alert.slo}, {"group", t.alert.group}, {"tier", t.alert.tier},
               {"long_burn_rate", fmt_rate(t.alert.long_burn_rate)}, {"short_burn_rate", fmt_rate(t.alert.short_burn_rate)}});
  }

  return transitions;
}

}  // namespace sloguard::alerting
