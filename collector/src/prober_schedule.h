// When each probe of the background loop runs next. Pure bookkeeping on steady time: no
// curl, no threads, so it is tested with made-up time points. Not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sloguard/config/config.h"

namespace sloguard::collector::detail {

// Whether two probe configs would run the same check (every field compared).
bool same_probe(const config::ProbeConfig& a, const config::ProbeConfig& b);

class ProbeSchedule {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  // Where a probe's first run falls in its interval: uniform over [0, interval), fixed per
  // name, so probes added together do not fire together and a restart keeps their spread.
  static std::chrono::milliseconds first_run_offset(std::string_view name, int64_t interval_ms);

  struct Changes {
    std::vector<std::string> added, changed, removed;
  };
  // Makes the schedule hold exactly the probes of `cfg` (by name; the first of duplicate
  // names wins). An added probe first runs at now + first_run_offset; a changed one keeps its
  // due time unless its interval changed (then as if added); a removed one is forgotten.
  Changes reconcile(const config::Config& cfg, TimePoint now);

  // Every probe due at `now`, once each, in due order; each one's next run moves on by whole
  // intervals to the first slot after `now` (slots missed while the loop was busy are skipped).
  std::vector<std::shared_ptr<const config::ProbeConfig>> take_due(TimePoint now);

  // The earliest due time; nullopt without probes.
  std::optional<TimePoint> next_due() const;
  size_t size() const { return entries_.size(); }
  // The due time of one probe; nullopt when not scheduled.
  std::optional<TimePoint> due_of(std::string_view name) const;

 private:
  struct Entry {
    std::shared_ptr<const config::ProbeConfig> probe;
    TimePoint due;
  };
  void set_due(const std::string& name, Entry& e, TimePoint due);

  std::map<std::string, Entry, std::less<>> entries_;
  std::set<std::pair<TimePoint, std::string>> queue_;  // (due, name), earliest first
};

}  // namespace sloguard::collector::detail
