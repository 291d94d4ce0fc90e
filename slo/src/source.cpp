#include "sloguard/slo/source.h"

namespace sloguard::slo {

namespace {
thread_local const RoundReads* t_round = nullptr;
}  // namespace

RoundScope::RoundScope(const RoundReads* reads) : previous_(t_round) { t_round = reads; }
RoundScope::~RoundScope() { t_round = previous_; }
const RoundReads* RoundScope::current() { return t_round; }

std::string_view source_failure_reason(const Status& s) {
  if (s.code() != Status::Code::kUnavailable) return {};
  std::string_view m = s.message();
  for (std::string_view r : {"unreachable", "timeout", "http_status", "bad_query", "partial", "bad_response"}) {
    if (m.size() > r.size() && m.substr(0, r.size()) == r && m[r.size()] == ':') return r;
  }
  return {};
}

Result<std::optional<LatencySummary>> Source::latency_summary(const Instance& inst, int64_t from, int64_t to) const {
  auto sketch = latency(inst, from, to);
  if (!sketch.ok()) return sketch.status();
  if (sketch->empty()) return std::optional<LatencySummary>();
  return std::optional<LatencySummary>(LatencySummary{sketch->count(), *sketch->quantile(0.5), *sketch->quantile(0.9),
                                                      *sketch->quantile(0.95), *sketch->quantile(0.99),
                                                      *sketch->quantile(0.999)});
}

Result<Traffic> Source::traffic(const TrafficQuery& q) const {
  return Status::InvalidArgument("this source does not read the traffic of " + q.service);
}

Result<std::vector<std::string>> Source::versions(const TrafficQuery& q) const {
  return Status::InvalidArgument("this source does not read the versions of " + q.service);
}

}  // namespace sloguard::slo
