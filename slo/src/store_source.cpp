#include <fnmatch.h>

#include <algorithm>
#include <cmath>

#include "sloguard/slo/source.h"
#include "time_grid.h"

namespace sloguard::slo {
namespace {

constexpr int64_t kMinute = 60;
constexpr int64_t kHour = 3600;
constexpr int64_t kDay = 86400;


// Counts of the buckets of one series over [from, to), one slot per bucket.
class BucketCounts {
 public:
  BucketCounts(int64_t from, int64_t to, int64_t step)
      : from_(from), step_(step), slots_(static_cast<size_t>(std::max<int64_t>(0, (to - from) / step))) {}
  int64_t from() const { return from_; }
  int64_t to() const { return from_ + static_cast<int64_t>(slots_.size()) * step_; }
  void add(int64_t bucket, const Counts& c) { slots_[static_cast<size_t>((bucket - from_) / step_)] += c; }
  // Sum over the buckets in [a, b), both within range and aligned to the step.
  Counts sum(int64_t a, int64_t b) const {
    Counts c;
    for (int64_t t = std::max(a, from_); t < std::min(b, to()); t += step_) c += slots_[static_cast<size_t>((t - from_) / step_)];
    return c;
  }

 private:
  int64_t from_;
  int64_t step_;
  std::vector<Counts> slots_;
};

// Pieces [from, to) of one resolution that exactly cover a window: short windows as minutes,
// long ones as days with hours and minutes at both edges.
struct Piece {
  store::Resolution res;
  int64_t from;
  int64_t to;
};
std::vector<Piece> cover(int64_t from, int64_t to, int64_t hour_scan_from) {
  using R = store::Resolution;
  if (to - from < hour_scan_from) return {{R::kMinute, from, to}};
  const int64_t h0 = ceil_to(from, kHour), h1 = floor_to(to, kHour);
  const int64_t d0 = ceil_to(from, kDay), d1 = floor_to(to, kDay);
  std::vector<Piece> out = {{R::kMinute, from, h0}, {R::kMinute, h1, to}};
  if (d0 <= d1) {
    out.push_back({R::kHour, h0, d0});
    out.push_back({R::kDay, d0, d1});
    out.push_back({R::kHour, d1, h1});
  } else {
    out.push_back({R::kHour, h0, h1});
  }
  return out;
}

// Availability and probe SLIs read only status counts: decoding sketches would be most of
// the cost of their scans.
store::RollupParts parts_for(const config::SliConfig& sli) {
  return sli.kind == config::SliKind::kAvailability || sli.kind == config::SliKind::kProbe
             ? store::RollupParts::kStatusCounts
             : store::RollupParts::kAll;
}

}  // namespace

Counts sli_counts(const config::SliConfig& sli, const store::Rollup& r) {
  if (sli.kind == config::SliKind::kAvailability) {
    uint64_t bad_events = 0;
    for (const auto& [status, n] : r.by_status) {
      if (sli.bad_status.matches(static_cast<int>(status))) bad_events += n;
    }
    return Counts{r.total - std::min(bad_events, r.total), r.total};
  }
  if (sli.kind == config::SliKind::kProbe) {
    // Probe series count outcomes; code 1 is success (collector::ProbeOutcome::kSuccess).
    auto ok = std::lower_bound(r.by_status.begin(), r.by_status.end(), std::pair<uint32_t, uint64_t>{1, 0});
    return Counts{ok != r.by_status.end() && ok->first == 1 ? ok->second : 0, r.total};
  }
  // Latency: only events that carried a latency count.
  const uint64_t total = r.latency.count();
  const auto threshold_us = static_cast<uint32_t>(std::llround(sli.threshold_ms * 1000.0));
  auto it = std::lower_bound(r.latency_le.begin(), r.latency_le.end(), std::pair<uint32_t, uint64_t>{threshold_us, 0});
  uint64_t good = it != r.latency_le.end() && it->first == threshold_us ? it->second
                                                                        : r.latency.count_at_most(sli.threshold_ms);
  return Counts{std::min(good, total), total};
}

std::vector<store::SeriesId> StoreSource::series_of(const Instance& inst) const {
  const config::SloConfig& slo = *inst.slo;
  std::vector<store::SeriesId> series;
  if (slo.sli.kind == config::SliKind::kProbe) {
    for (const auto& s : store_.find_series("service", slo.service)) {
      auto p = s.labels.find("probe");
      if (p == s.labels.end() || s.labels.size() != 2) continue;
      if (slo.sli.probe.empty() || slo.sli.probe == p->second) series.push_back(s.id);
    }
  } else if (!inst.group.empty() && !slo.group_by.empty()) {
    if (auto id = store_.lookup_series({{"service", slo.service}, {slo.group_by.front(), inst.group}})) {
      series.push_back(*id);
    }
  } else if (slo.sli.endpoint.empty()) {
    if (auto id = store_.lookup_series({{"service", slo.service}})) series.push_back(*id);
  } else {
    for (const auto& s : store_.find_series("service", slo.service)) {
      auto ep = s.labels.find("endpoint");
      if (ep == s.labels.end() || s.labels.size() != 2) continue;
      if (fnmatch(slo.sli.endpoint.c_str(), ep->second.c_str(), 0) == 0) series.push_back(s.id);
    }
  }
  return series;
}

GroupList StoreSource::groups(const config::SloConfig& slo) const {
  GroupList out;
  if (slo.group_by.empty()) return out;
  const std::string& label = slo.group_by.front();
  std::vector<store::SeriesInfo> found = store_.find_series("service", slo.service);
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  for (const auto& s : found) {
    auto v = s.labels.find(label);
    if (v == s.labels.end() || s.labels.size() != 2) continue;
    if (label == "endpoint" && !slo.sli.endpoint.empty() &&
        fnmatch(slo.sli.endpoint.c_str(), v->second.c_str(), 0) != 0) {
      continue;
    }
    auto& into = out.groups.size() < static_cast<size_t>(slo.max_groups) ? out.groups : out.overflow;
    into.push_back(v->second);
  }
  return out;
}

Result<store::LatencySketch> StoreSource::latency(const Instance& inst, int64_t from, int64_t to) const {
  store::LatencySketch merged;
  if (from % kMinute != 0 || to % kMinute != 0) return Status::InvalidArgument("latency range must be whole minutes");
  for (store::SeriesId id : series_of(inst)) {
    for (const Piece& p : cover(from, to, kHourScanFrom)) {
      if (p.from >= p.to) continue;
      Status s = store_.scan(id, p.res, p.from, p.to, [&](int64_t, const store::Rollup& r) { merged.merge(r.latency); });
      if (!s.ok()) return s;
    }
  }
  return merged;
}

Result<std::vector<Slice>> StoreSource::compute_slices(const config::SliConfig& sli,
                                                       const std::vector<store::SeriesId>& series, int64_t from,
                                                       int64_t to, int64_t slice_seconds) const {
  const bool percentile = sli.kind == config::SliKind::kPercentile;
  const store::RollupParts parts =
      parts_for(sli);
  std::vector<Slice> out;
  // A day of slices at a time bounds the memory held by per-slice sketches.
  for (int64_t chunk = from; chunk < to; chunk += kDay) {
    const int64_t chunk_end = std::min(chunk + kDay, to);
    const size_t n = static_cast<size_t>((chunk_end - chunk + slice_seconds - 1) / slice_seconds);
    std::vector<Counts> counts(n);
    std::vector<store::LatencySketch> sketches(percentile ? n : 0);
    for (store::SeriesId id : series) {
      Status s = store_.scan(id, store::Resolution::kMinute, chunk, chunk_end, parts,
                             [&](int64_t b, const store::Rollup& r) {
                               const size_t i = static_cast<size_t>((b - chunk) / slice_seconds);
                               if (percentile) {
                                 sketches[i].merge(r.latency);
                               } else {
                                 counts[i] += sli_counts(sli, r);
                               }
                             });
      if (!s.ok()) return s;
    }
    for (size_t i = 0; i < n; ++i) {
      Slice slice{chunk + static_cast<int64_t>(i) * slice_seconds, counts[i], std::nullopt};
      if (percentile) {
        if (sketches[i].empty()) continue;
        slice.counts = Counts{0, sketches[i].count()};
        slice.percentile_ms = sketches[i].quantile(sli.percentile / 100.0);
      } else if (slice.counts.total == 0) {
        continue;
      }
      out.push_back(std::move(slice));
    }
  }
  return out;
}

namespace {

// Everything the slices of an instance depend on.
std::string slice_cache_key(const Instance& inst, int64_t slice_seconds) {
  const config::SloConfig& slo = *inst.slo;
  std::string key = slo.service + '\x1f' + inst.group + '\x1f' + slo.sli.endpoint + '\x1f' +
                    std::to_string(static_cast<int>(slo.sli.kind)) + '\x1f' + std::to_string(slo.sli.percentile) +
                    '\x1f' + std::to_string(slo.sli.threshold_ms) + '\x1f' + std::to_string(slice_seconds) + '\x1f' +
                    (slo.group_by.empty() ? "" : slo.group_by.front()) + '\x1f' + slo.sli.probe;
  for (int c : slo.sli.bad_status.codes) key += "c" + std::to_string(c);
  for (int c : slo.sli.bad_status.classes) key += "k" + std::to_string(c);
  return key;
}

}  // namespace

Result<std::vector<Slice>> StoreSource::slices(const Instance& inst, int64_t from, int64_t to,
                                               int64_t slice_seconds) const {
  if (slice_seconds <= 0 || slice_seconds % kMinute != 0 || kHour % slice_seconds != 0) {
    return Status::InvalidArgument("slice length must be whole minutes dividing an hour");
  }
  const config::SliConfig& sli = inst.slo->sli;
  const std::vector<store::SeriesId> series = series_of(inst);
  const int64_t first = ceil_to(from, slice_seconds);
  if (first >= to) return std::vector<Slice>{};

  // Whole hours before `to` are cached with their event total: events only ever add to a
  // total, so an hour whose total is unchanged has unchanged slices, and late data for an old
  // hour is noticed by reading one hour bucket per series instead of its 60 minutes.
  const int64_t hours_from = floor_to(first, kHour), hours_to = std::max(hours_from, floor_to(to, kHour));
  std::vector<uint64_t> totals(static_cast<size_t>((hours_to - hours_from) / kHour));
  for (store::SeriesId id : series) {
    Status s = store_.scan(id, store::Resolution::kHour, hours_from, hours_to, store::RollupParts::kStatusCounts,
                           [&](int64_t b, const store::Rollup& r) { totals[(b - hours_from) / kHour] += r.total; });
    if (!s.ok()) return s;
  }
  const std::string key = slice_cache_key(inst, slice_seconds);
  std::vector<std::optional<std::vector<Slice>>> cached(totals.size());
  {
    std::lock_guard<std::mutex> lock(cache_mu_);
    if (slice_cache_.size() >= kMaxCachedInstances && !slice_cache_.count(key)) {
      auto oldest = std::min_element(slice_cache_.begin(), slice_cache_.end(), [](const auto& a, const auto& b) {
        return a.second.last_used < b.second.last_used;
      });
      slice_cache_.erase(oldest);
    }
    InstanceSlices& inst_cache = slice_cache_[key];
    inst_cache.last_used = ++cache_clock_;
    auto& hours = inst_cache.hours;
    for (size_t i = 0; i < totals.size(); ++i) {
      auto it = hours.find(hours_from + static_cast<int64_t>(i) * kHour);
      if (it != hours.end() && it->second.hour_total == totals[i]) cached[i] = it->second.slices;
    }
  }

  std::vector<Slice> out;
  std::map<int64_t, SliceCacheEntry> fresh;
  // Computes [a, b) from minute buckets; whole hours of it go to the cache.
  auto compute = [&](int64_t a, int64_t b) -> Status {
    auto computed = compute_slices(sli, series, a, b, slice_seconds);
    if (!computed.ok()) return computed.status();
    for (int64_t h = a; h < std::min(b, hours_to); h += kHour) {
      fresh[h].hour_total = totals[static_cast<size_t>((h - hours_from) / kHour)];
    }
    for (Slice& sl : *computed) {
      if (sl.start < hours_to) fresh[floor_to(sl.start, kHour)].slices.push_back(sl);
      out.push_back(std::move(sl));
    }
    return Status::OK();
  };
  int64_t run = -1;  // start of a run of hours to compute
  for (size_t i = 0; i <= cached.size(); ++i) {
    const int64_t h = hours_from + static_cast<int64_t>(i) * kHour;
    if (i < cached.size() && !cached[i]) {
      if (run < 0) run = h;
      continue;
    }
    if (run >= 0) {
      if (Status s = compute(run, h); !s.ok()) return s;
      run = -1;
    }
    if (i < cached.size()) out.insert(out.end(), cached[i]->begin(), cached[i]->end());
  }
  if (hours_to < to) {  // the hour in progress: never cached
    if (Status s = compute(hours_to, to); !s.ok()) return s;
  }
  if (!fresh.empty()) {
    std::lock_guard<std::mutex> lock(cache_mu_);
    auto& hours = slice_cache_[key].hours;
    // Hours without events are not kept: recomputing them is one empty scan, and far-future
    // instants must not fill the cache with them.
    for (auto& [h, entry] : fresh) {
      if (entry.hour_total > 0) hours[h] = std::move(entry);
    }
    while (hours.size() > kMaxCachedHoursPerInstance) hours.erase(hours.begin());
  }
  std::sort(out.begin(), out.end(), [](const Slice& a, const Slice& b) { return a.start < b.start; });
  out.erase(out.begin(), std::lower_bound(out.begin(), out.end(), first,
                                          [](const Slice& sl, int64_t t) { return sl.start < t; }));
  return out;
}

Result<std::vector<Counts>> StoreSource::window_counts(const Instance& inst, int64_t at,
                                                       std::span<const int64_t> windows) const {
  std::vector<Counts> out(windows.size());
  if (at % kMinute != 0) return Status::InvalidArgument("evaluation time must be a whole minute");
  for (int64_t w : windows) {
    if (w <= 0 || w % kMinute != 0) return Status::InvalidArgument("window lengths must be positive whole minutes");
  }
  const std::vector<store::SeriesId> series = series_of(inst);
  if (series.empty()) return out;

  // Short windows read minute buckets. Long ones are covered by the coarsest buckets that fit:
  //   minutes [s, ceil_h(s)) + hours [ceil_h(s), ceil_d(s)) + days [ceil_d(s), floor_d(at))
  //   + hours [floor_d(at), floor_h(at)) + minutes [floor_h(at), at)
  // (hours [ceil_h(s), floor_h(at)) when s and at fall on the same day). The tail pieces and the
  // days are shared by every window, so each is read once per series.
  int64_t short_max = 0, long_max = 0;
  for (int64_t w : windows) {
    int64_t& m = w < kHourScanFrom ? short_max : long_max;
    m = std::max(m, w);
  }
  const int64_t tail_minutes_from = floor_to(at, kHour);
  const int64_t tail_hours_from = floor_to(at, kDay);
  const int64_t minute_from = std::min(at - short_max, long_max > 0 ? tail_minutes_from : at);
  const int64_t day_from = std::min(ceil_to(at - long_max, kDay), tail_hours_from);

  const config::SliConfig& sli = inst.slo->sli;
  auto to_counts = [&](const store::Rollup& r) { return sli_counts(sli, r); };
  const store::RollupParts parts = parts_for(sli);
  auto fill = [&](store::SeriesId id, store::Resolution res, BucketCounts& into) {
    if (into.from() >= into.to()) return Status::OK();
    return store_.scan(id, res, into.from(), into.to(), parts,
                       [&](int64_t b, const store::Rollup& r) { into.add(b, to_counts(r)); });
  };
  auto add_range = [&](store::SeriesId id, store::Resolution res, int64_t from, int64_t to, Counts& into) {
    if (from >= to) return Status::OK();
    return store_.scan(id, res, from, to, parts, [&](int64_t, const store::Rollup& r) { into += to_counts(r); });
  };

  for (store::SeriesId id : series) {
    BucketCounts minutes(minute_from, at, kMinute);
    BucketCounts tail_hours(tail_hours_from, long_max > 0 ? tail_minutes_from : tail_hours_from, kHour);
    BucketCounts days(day_from, long_max > 0 ? tail_hours_from : day_from, kDay);
    for (auto [res, into] : {std::pair{store::Resolution::kMinute, &minutes}, std::pair{store::Resolution::kHour, &tail_hours},
                             std::pair{store::Resolution::kDay, &days}}) {
      if (Status s = fill(id, res, *into); !s.ok()) return s;
    }
    for (size_t i = 0; i < windows.size(); ++i) {
      const int64_t start = at - windows[i];
      Counts& c = out[i];
      if (windows[i] < kHourScanFrom) {
        c += minutes.sum(start, at);
        continue;
      }
      const int64_t head_hours_from = ceil_to(start, kHour);  // <= tail_minutes_from: the window spans >= 3h
      Status s = add_range(id, store::Resolution::kMinute, start, head_hours_from, c);
      const int64_t first_day = ceil_to(start, kDay);
      if (s.ok() && first_day <= tail_hours_from) {
        s = add_range(id, store::Resolution::kHour, head_hours_from, first_day, c);
        c += days.sum(first_day, tail_hours_from);
        c += tail_hours.sum(tail_hours_from, tail_minutes_from);
      } else if (s.ok()) {
        s = add_range(id, store::Resolution::kHour, head_hours_from, tail_minutes_from, c);
      }
      if (!s.ok()) return s;
      c += minutes.sum(tail_minutes_from, at);
    }
  }
  return out;
}

}  // namespace sloguard::slo

namespace sloguard::slo {

Result<Traffic> StoreSource::traffic(const TrafficQuery& q) const {
  Traffic t;
  store::Labels labels = {{"service", q.service}};
  if (q.version) labels["version"] = *q.version;
  auto id = store_.lookup_series(labels);
  if (!id) return t;
  store::LatencySketch sketch;
  Status s = store_.scan(*id, store::Resolution::kMinute, q.from, q.to, [&](int64_t, const store::Rollup& r) {
    t.requests += r.total;
    for (const auto& [status, n] : r.by_status) {
      if (q.bad.matches(static_cast<int>(status))) t.errors += n;
    }
    sketch.merge(r.latency);
  });
  if (!s.ok()) return s;
  if (!sketch.empty()) t.p95_ms = sketch.quantile(0.95);
  return t;
}

Result<std::vector<std::string>> StoreSource::versions(const TrafficQuery& q) const {
  std::vector<std::string> out;
  for (const auto& s : store_.find_series("service", q.service)) {
    auto v = s.labels.find("version");
    if (v != s.labels.end()) out.push_back(v->second);
  }
  return out;
}

}  // namespace sloguard::slo
