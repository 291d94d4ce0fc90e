#include "prober_schedule.h"

namespace sloguard::collector::detail {
namespace {

// FNV-1a, then splitmix64's finaliser: names that differ in one character land far apart.
uint64_t spread_hash(std::string_view s) {
  uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return h;
}

}  // namespace

bool same_probe(const config::ProbeConfig& a, const config::ProbeConfig& b) {
  const auto& x = a.http;
  const auto& y = b.http;
  return a.name == b.name && a.service == b.service && a.kind == b.kind && a.interval_ms == b.interval_ms &&
         a.timeout_ms == b.timeout_ms && a.tcp.host == b.tcp.host && a.tcp.port == b.tcp.port && x.url == y.url &&
         x.method == y.method && x.headers == y.headers && x.expect_status == y.expect_status &&
         x.body_contains == y.body_contains && x.body_regex == y.body_regex &&
         x.follow_redirects == y.follow_redirects && x.max_redirects == y.max_redirects &&
         x.tls_verify == y.tls_verify;
}

std::chrono::milliseconds ProbeSchedule::first_run_offset(std::string_view name, int64_t interval_ms) {
  if (interval_ms <= 0) return std::chrono::milliseconds(0);
  // The modulo bias is below interval / 2^64: uniform for any real interval.
  return std::chrono::milliseconds(static_cast<int64_t>(spread_hash(name) % static_cast<uint64_t>(interval_ms)));
}

void ProbeSchedule::set_due(const std::string& name, Entry& e, TimePoint due) {
  queue_.erase({e.due, name});
  e.due = due;
  queue_.emplace(due, name);
}

ProbeSchedule::Changes ProbeSchedule::reconcile(const config::Config& cfg, TimePoint now) {
  Changes changes;
  std::set<std::string_view> seen;
  for (const auto& service : cfg.services) {
    for (const auto& p : service.probes) {
      if (!seen.insert(p.name).second) continue;
      auto it = entries_.find(p.name);
      if (it == entries_.end()) {
        Entry& e = entries_[p.name];
        e.probe = std::make_shared<const config::ProbeConfig>(p);
        e.due = now + first_run_offset(p.name, p.interval_ms);
        queue_.emplace(e.due, p.name);
        changes.added.push_back(p.name);
      } else if (!same_probe(*it->second.probe, p)) {
        const bool new_interval = it->second.probe->interval_ms != p.interval_ms;
        it->second.probe = std::make_shared<const config::ProbeConfig>(p);
        if (new_interval) set_due(it->first, it->second, now + first_run_offset(p.name, p.interval_ms));
        changes.changed.push_back(p.name);
      }
    }
  }
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (seen.count(it->first)) {
      ++it;
      continue;
    }
    changes.removed.push_back(it->first);
    queue_.erase({it->second.due, it->first});
    it = entries_.erase(it);
  }
  return changes;
}

std::vector<std::shared_ptr<const config::ProbeConfig>> ProbeSchedule::take_due(TimePoint now) {
  std::vector<std::shared_ptr<const config::ProbeConfig>> due;
  while (!queue_.empty() && queue_.begin()->first <= now) {
    auto node = queue_.extract(queue_.begin());
    Entry& e = entries_.find(node.value().second)->second;
    due.push_back(e.probe);
    const auto interval = std::chrono::milliseconds(std::max<int64_t>(e.probe->interval_ms, 1));
    const auto missed = (now - e.due) / interval;  // whole intervals already behind
    e.due += interval * (missed + 1);
    node.value().first = e.due;
    queue_.insert(std::move(node));
  }
  return due;
}

std::optional<ProbeSchedule::TimePoint> ProbeSchedule::next_due() const {
  if (queue_.empty()) return std::nullopt;
  return queue_.begin()->first;
}

std::optional<ProbeSchedule::TimePoint> ProbeSchedule::due_of(std::string_view name) const {
  auto it = entries_.find(name);
  if (it == entries_.end()) return std::nullopt;
  return it->second.due;
}

}  // namespace sloguard::collector::detail
