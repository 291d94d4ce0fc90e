// run_backtest: JSONL events -> temporary store -> engine rounds -> alert timeline.
#include "sloguard/alerting/backtest.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>

#include <nlohmann/json.hpp>

#include "sloguard/alerting/alert_engine.h"
#include "sloguard/collector/event_ingest.h"
#include "sloguard/common/clock.h"
#include "sloguard/common/units.h"
#include "sloguard/slo/engine.h"
#include "sloguard/slo/source.h"
#include "sloguard/store/store.h"

namespace sloguard::alerting {
namespace {

// Retention for the replay's store and ingest: long enough that no event of any file is "old".
constexpr int64_t kLiftedRetentionMs = 100LL * 365 * 86400 * 1000;

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// "events[3].status: must be ..." -> "status: must be ..." (the index is the batch's, not the line's).
std::string strip_event_index(const std::string& msg) {
  if (msg.rfind("events[", 0) != 0) return msg;
  const size_t close = msg.find(']');
  if (close == std::string::npos) return msg;
  std::string rest = msg.substr(close + 1);
  if (!rest.empty() && rest[0] == '.') return rest.substr(1);
  if (rest.rfind(": ", 0) == 0) return rest.substr(2);
  return rest;
}

// The event's time when it is readable (ingest reports the others).
std::optional<double> event_time(const nlohmann::json& e) {
  if (!e.is_object()) return std::nullopt;
  auto it = e.find("ts");
  if (it == e.end()) return std::nullopt;
  if (it->is_number()) return it->get<double>();
  if (it->is_string()) {
    auto t = parse_rfc3339(it->get<std::string>());
    if (t.ok()) return *t;
  }
  return std::nullopt;
}

// Ingests the events of `events` in batches; fills min/max event time and the weighted count.
class Loader {
 public:
  Loader(const config::Config& cfg, store::Store& store, ManualClock& clock, size_t batch_lines)
      : cfg_(cfg), clock_(clock), ingestor_(store, clock), batch_lines_(std::max<size_t>(1, batch_lines)) {}

  Status load(std::istream& in) {
    std::string line;
    int64_t line_no = 0;
    while (std::getline(in, line)) {
      ++line_no;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.find_first_not_of(" \t") == std::string::npos) continue;
      nlohmann::json e = nlohmann::json::parse(line, nullptr, false);
      if (e.is_discarded()) return Status::InvalidArgument("line " + std::to_string(line_no) + ": not valid JSON");
      if (auto t = event_time(e)) {
        min_ts_ = std::min(min_ts_.value_or(*t), *t);
        max_ts_ = std::max(max_ts_.value_or(*t), *t);
        batch_max_ts_ = std::max(batch_max_ts_.value_or(*t), *t);
      }
      body_ += body_.empty() ? "{\"events\":[" : ",";
      body_ += line;
      lines_.push_back(line_no);
      if (lines_.size() >= batch_lines_) {
        if (Status s = flush(); !s.ok()) return s;
      }
    }
    if (in.bad()) return Status::IOError("reading the events failed");
    return flush();
  }

  std::optional<double> min_ts() const { return min_ts_; }
  std::optional<double> max_ts() const { return max_ts_; }
  uint64_t events() const { return events_; }

 private:
  Status flush() {
    if (lines_.empty()) return Status::OK();
    body_ += "]}";
    // "Now" is the batch's newest event, so none is in the future; retention is lifted.
    if (batch_max_ts_) clock_.set_ms(static_cast<int64_t>(std::ceil(*batch_max_ts_ * 1000.0)));
    const collector::IngestOutcome out = ingestor_.ingest_json(cfg_, body_);
    if (!out.ok) {
      const collector::FieldError* err = out.errors.empty() ? nullptr : &out.errors.front();
      std::string where;
      if (err && err->index >= 0 && static_cast<size_t>(err->index) < lines_.size()) {
        where = "line " + std::to_string(lines_[static_cast<size_t>(err->index)]) + ": ";
      } else {
        where = "lines " + std::to_string(lines_.front()) + "-" + std::to_string(lines_.back()) + ": ";
      }
      const std::string msg = err ? strip_event_index(err->message) : collector::reject_reason_name(out.reason);
      if (out.reason == collector::RejectReason::kStorage) return Status::IOError(where + msg);
      return Status::InvalidArgument(where + msg);
    }
    events_ += out.accepted;
    body_.clear();
    lines_.clear();
    batch_max_ts_.reset();
    return Status::OK();
  }

  const config::Config& cfg_;
  ManualClock& clock_;
  collector::EventIngestor ingestor_;
  size_t batch_lines_;
  std::string body_;
  std::vector<int64_t> lines_;  // line number of each event in body_
  std::optional<double> min_ts_, max_ts_, batch_max_ts_;
  uint64_t events_ = 0;
};

}  // namespace

Result<BacktestResult> run_backtest(const config::Config& cfg_in, std::istream& events,
                                    const BacktestOptions& options) {
  if (options.store_path.empty()) return Status::InvalidArgument("backtest needs a store path");
  if (cfg_in.evaluation_interval_ms <= 0) return Status::InvalidArgument("evaluation_interval must be positive");
  config::Config cfg = cfg_in;
  cfg.storage.retention_ms = kLiftedRetentionMs;

  ManualClock clock(0);
  store::StoreOptions so;
  so.path = options.store_path;
  so.retention_ms = kLiftedRetentionMs;
  so.clock = &clock;
  auto opened = store::open_rocksdb_store(so);
  if (!opened.ok()) return opened.status();
  std::unique_ptr<store::Store> store = std::move(opened).value();

  Loader loader(cfg, *store, clock, options.batch_lines);
  if (Status s = loader.load(events); !s.ok()) return s;

  BacktestResult result;
  result.events = loader.events();
  result.interval_ms = cfg.evaluation_interval_ms;
  if (options.from) {
    result.from = *options.from;
  } else if (loader.min_ts()) {
    result.from = floor_div(static_cast<int64_t>(std::floor(*loader.min_ts())), 60) * 60;
  } else {
    return Status::InvalidArgument("no events in the input and no --from");
  }
  if (options.to) {
    result.to = *options.to;
  } else if (loader.max_ts()) {
    int64_t longest_short = 0;
    for (const auto& slo : cfg.slos) {
      for (const auto& t : slo.alerting.tiers) longest_short = std::max(longest_short, t.short_window_ms / 1000);
    }
    result.to = floor_div(static_cast<int64_t>(std::floor(*loader.max_ts())), 60) * 60 + longest_short + 60;
  } else {
    return Status::InvalidArgument("no events in the input and no --to");
  }
  if (result.from > result.to) return Status::InvalidArgument("from is after to");

  const slo::StoreSource source(*store);
  const slo::Engine engine(source);
  AlertEngine alerts(nullptr, clock);
  std::map<std::string, size_t> open;  // alert key -> its firing entry in the timeline
  std::vector<slo::SloStatus> statuses;
  int64_t statuses_minute = INT64_MIN;
  const int64_t to_ms = result.to * 1000;
  for (int64_t at_ms = result.from * 1000; at_ms <= to_ms; at_ms += cfg.evaluation_interval_ms) {
    clock.set_ms(at_ms);
    // The engine rounds `at` down to the minute: rounds within one minute share its statuses.
    const int64_t minute = floor_div(at_ms, 60000);
    if (minute != statuses_minute) {
      statuses.clear();
      for (auto& r : engine.evaluate_all(cfg, static_cast<double>(minute * 60), 1)) {
        if (!r.ok()) return r.status();
        statuses.push_back(std::move(r).value());
      }
      statuses_minute = minute;
    }
    auto round = alerts.evaluate(cfg, statuses, &source, nullptr, nullptr, at_ms);
    if (!round.ok()) return round.status();
    ++result.rounds;
    for (const Transition& t : round.value()) {
      const AlertState& a = t.alert;
      if (a.phase == AlertPhase::kFiring && t.from != AlertPhase::kFiring) {
        TimelineEntry e;
        e.slo = a.slo;
        e.group = a.group;
        e.tier = a.tier;
        e.severity = a.severity;
        e.fired_at = floor_div(at_ms, 1000);
        e.long_window = a.long_window;
        e.short_window = a.short_window;
        e.long_burn_rate = a.long_burn_rate.value_or(0);
        e.short_burn_rate = a.short_burn_rate.value_or(0);
        e.threshold = a.threshold;
        open[a.key()] = result.timeline.size();
        result.timeline.push_back(std::move(e));
      } else if (t.from == AlertPhase::kFiring && a.phase != AlertPhase::kFiring) {
        auto it = open.find(a.key());
        if (it != open.end()) {
          result.timeline[it->second].resolved_at = floor_div(at_ms, 1000);
          open.erase(it);
        }
      }
    }
  }
  return result;
}

}  // namespace sloguard::alerting
