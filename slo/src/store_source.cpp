#include <fnmatch.h>

#include <algorithm>

#include "sloguard/slo/source.h"

namespace sloguard::slo {
namespace {

constexpr int64_t kMinute = 60;
constexpr int64_t kHour = 3600;
constexpr int64_t kDay = 86400;

int64_t floor_to(int64_t t, int64_t step) { return t >= 0 ? t / step * step : -((-t + step - 1) / step) * step; }
int64_t ceil_to(int64_t t, int64_t step) { return -floor_to(-t, step); }

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

}  // namespace

Result<std::vector<Counts>> StoreSource::window_counts(const config::SloConfig& slo, int64_t at,
                                                       std::span<const int64_t> windows) const {
  std::vector<Counts> out(windows.size());
  if (at % kMinute != 0) return Status::InvalidArgument("evaluation time must be a whole minute");
  for (int64_t w : windows) {
    if (w <= 0 || w % kMinute != 0) return Status::InvalidArgument("window lengths must be positive whole minutes");
  }

  // The series this SLI reads: the service's own series, or its endpoints matching the filter.
  std::vector<store::SeriesId> series;
  if (slo.sli.endpoint.empty()) {
    if (auto id = store_.lookup_series({{"service", slo.service}})) series.push_back(*id);
  } else {
    for (const auto& s : store_.find_series("service", slo.service)) {
      auto ep = s.labels.find("endpoint");
      if (ep == s.labels.end() || s.labels.size() != 2) continue;
      if (fnmatch(slo.sli.endpoint.c_str(), ep->second.c_str(), 0) == 0) series.push_back(s.id);
    }
  }
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

  const config::StatusMatcher& bad = slo.sli.bad_status;
  auto to_counts = [&](const store::Rollup& r) {
    uint64_t bad_events = 0;
    for (const auto& [status, n] : r.by_status) {
      if (bad.matches(static_cast<int>(status))) bad_events += n;
    }
    return Counts{r.total - std::min(bad_events, r.total), r.total};
  };
  auto fill = [&](store::SeriesId id, store::Resolution res, BucketCounts& into) {
    if (into.from() >= into.to()) return Status::OK();
    return store_.scan(id, res, into.from(), into.to(),
                       [&](int64_t b, const store::Rollup& r) { into.add(b, to_counts(r)); });
  };
  auto add_range = [&](store::SeriesId id, store::Resolution res, int64_t from, int64_t to, Counts& into) {
    if (from >= to) return Status::OK();
    return store_.scan(id, res, from, to, [&](int64_t, const store::Rollup& r) { into += to_counts(r); });
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
