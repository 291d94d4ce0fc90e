// RemoteWriteIngestor: mapping remote series to sloguard series, HA dedup, counter semantics,
// and the one atomic write per request.
#include "sloguard/collector/remote_write.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <atomic>
#include <mutex>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "remote_series.h"
#include "remote_write_decode.h"
#include "sloguard/common/log.h"

namespace sloguard::collector {
namespace {

using detail::Increase;
using detail::LabelView;
using detail::RemoteSeriesState;

// Persisted remote series state (state column family):
//   rw/l/<id>    the series' identity (its key), written once when the series is created
//   rw/j/<seq>   one record per stored request: the new state of every series it changed, in the
//                request's own WriteBatch (one key instead of one per series: RocksDB's cost is
//                per key)
//   rw/s/<page>  a snapshot of every series' state, 1,024 ids a page, written together with
//                the deletion of the records it covers once they hold kCheckpointBytes (and
//                twice the snapshot's size), or kCheckpointRecords of them
// Loading reads the snapshot, then the records in order (a later state wins).
constexpr std::string_view kLabelsPrefix = "rw/l/";
constexpr std::string_view kJournalPrefix = "rw/j/";
constexpr std::string_view kSnapshotPrefix = "rw/s/";
// The state of one series a key, as the first builds of the receiver kept it: read once,
// folded into a snapshot and deleted.
constexpr std::string_view kLegacyStatePrefix = "rw/v/";
constexpr uint64_t kCheckpointRecords = 1024;
constexpr size_t kCheckpointBytes = 16u * 1024 * 1024;
constexpr uint32_t kDeleted = 0xffffffffu;
constexpr int64_t kMaxFutureSkewMs = 300 * 1000;
constexpr size_t kMaxLabelBytes = 256;
constexpr size_t kMaxHaClusters = 1000;
constexpr int64_t kSweepEveryMs = 10 * 1000;
// A series' identity (its labels) is kept in memory and in the store: bounded.
constexpr size_t kMaxSeriesKeyBytes = 4096;

std::string id_hex(uint64_t id) {
  char b[17];
  std::snprintf(b, sizeof b, "%016llx", static_cast<unsigned long long>(id));
  return std::string(b, 16);
}

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};

// The value of label `name` in sorted labels, or null.
const std::string_view* find_label(const LabelView* begin, const LabelView* end, std::string_view name) {
  auto it = std::lower_bound(begin, end, name, [](const LabelView& l, std::string_view n) { return l.first < n; });
  return it != end && it->first == name ? &it->second : nullptr;
}

bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
    }
    i += n;
  }
  return true;
}

// A label value that may become a series label (endpoint, version): bounded, UTF-8, no
// control characters (it ends up in JSON, metric labels and header values).
bool usable_label_value(std::string_view s) {
  if (s.size() > kMaxLabelBytes || !valid_utf8(s)) return false;
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

// "503" -> 503, "5xx" / "5XX" -> 500; 0 when not a status 100..599.
uint32_t parse_status(std::string_view s) {
  if (s.size() != 3) return 0;
  if ((s[1] == 'x' || s[1] == 'X') && (s[2] == 'x' || s[2] == 'X')) {
    return s[0] >= '1' && s[0] <= '5' ? static_cast<uint32_t>(s[0] - '0') * 100 : 0;
  }
  uint32_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < 100 || v > 599) return 0;
  return v;
}

// `le` as Prometheus writes it ("0.5", "+Inf", "1e-3"); nullopt when not a number or <= 0.
std::optional<double> parse_le(std::string_view s) {
  if (s == "+Inf" || s == "Inf" || s == "inf" || s == "+inf") return std::numeric_limits<double>::infinity();
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || !(v >= 0) || !(v <= 1e9)) return std::nullopt;
  return v;
}

enum class Role : uint8_t { kCounter, kBucket, kCountOrSum };

struct Candidate {
  size_t mapping = 0;
  Role role = Role::kCounter;
};

// What a remote series feeds, resolved from its labels and the config.
struct Target {
  SampleResult drop = SampleResult::kAccepted;  // not kAccepted: every sample gets this result
  const std::string* service = nullptr;         // into the config
  uint32_t status = 200;
  store::SeriesId service_series = 0;
  store::SeriesId endpoint_series = 0;  // 0: none (or over the limit)
  store::SeriesId version_series = 0;
  bool limited = false;                 // an endpoint or version series was refused
  const std::vector<uint32_t>* thresholds_us = nullptr;
};

struct Entry {
  uint64_t id = 0;
  uint64_t stamp = 0;  // the request that last changed it (to list each once)
  std::string key;
  RemoteSeriesState state;
  int64_t touched_ms = 0;
  uint64_t target_gen = 0;  // config generation the target was resolved for (0: never)
  Target target;
};

struct MinuteKey {
  store::SeriesId series;
  int64_t minute;
  bool operator==(const MinuteKey&) const = default;
};
struct MinuteKeyHash {
  size_t operator()(const MinuteKey& k) const {
    return std::hash<uint64_t>()(k.series * 0x9E3779B97F4A7C15ULL ^ static_cast<uint64_t>(k.minute));
  }
};

}  // namespace

const char* sample_result_name(SampleResult r) {
  switch (r) {
    case SampleResult::kAccepted: return "accepted";
    case SampleResult::kPending: return "pending";
    case SampleResult::kFirstSample: return "first_sample";
    case SampleResult::kDuplicate: return "duplicate";
    case SampleResult::kOutOfOrder: return "out_of_order";
    case SampleResult::kStale: return "stale";
    case SampleResult::kUnmapped: return "unmapped";
    case SampleResult::kUnknownService: return "unknown_service";
    case SampleResult::kInvalidStatus: return "invalid_status";
    case SampleResult::kInvalidValue: return "invalid_value";
    case SampleResult::kInvalidLabel: return "invalid_label";
    case SampleResult::kHaReplica: return "ha_replica";
    case SampleResult::kSeriesLimit: return "series_limit";
    case SampleResult::kTooOld: return "too_old";
    case SampleResult::kTooNew: return "too_new";
    case SampleResult::kIgnored: return "ignored";
    case SampleResult::kIncomplete: return "incomplete";
    case SampleResult::kNativeHistogram: return "native_histogram";
    case SampleResult::kExemplar: return "exemplar";
    case SampleResult::kCount_: break;
  }
  return "unknown";
}

struct RemoteWriteIngestor::Impl {
  Impl(store::Store& s, const Clock& c) : store(s), clock(c) {}

  store::Store& store;
  const Clock& clock;

  // Two locks pipeline requests: `mu` guards the in-memory state while a request is applied to
  // it; `write_mu` is taken before `mu` is let go and held for the store write, so writes happen
  // in the order the requests were applied while the next request is applied beside the write.
  // A failed write poisons what was applied after it: later writes are refused (500) until
  // the next request reloads the state from the store with both locks held.
  std::mutex write_mu;
  std::atomic<bool> poisoned{false};
  mutable std::mutex mu;  // guards everything below
  std::unordered_map<std::string, std::unique_ptr<Entry>, StringHash, std::equal_to<>> series;
  uint64_t next_id = 1;
  std::map<std::string, HaElection, std::less<>> ha;
  std::shared_ptr<const config::Config> cfg;
  uint64_t cfg_gen = 0;
  std::unordered_map<std::string, std::vector<Candidate>, StringHash, std::equal_to<>> index;  // metric name ->
  std::unordered_map<std::string, size_t, StringHash, std::equal_to<>> series_per_service;
  bool swept = false;
  int64_t last_sweep_ms = 0;
  uint64_t request_stamp = 0;
  uint64_t next_seq = 1;           // the next journal record
  uint64_t first_unchecked = 1;    // the oldest journal record not yet in the snapshot
  std::set<uint64_t> pages;        // snapshot pages stored
  size_t journal_bytes = 0;        // in the records since the snapshot
  size_t snapshot_bytes = 0;       // the last snapshot's size
  uint64_t checkpoint_not_before = 0;  // after a failed snapshot: not again before this record
  std::vector<std::string> legacy_keys;  // rw/v/ keys to delete with the next snapshot
  // A snapshot costs at most half of what the records it replaces cost to write.
  bool checkpoint_due() const {
    if (!legacy_keys.empty()) return true;
    if (next_seq < checkpoint_not_before || journal_bytes < 2 * snapshot_bytes) return false;
    return journal_bytes >= kCheckpointBytes || next_seq - first_unchecked >= kCheckpointRecords;
  }

  // Replaces the in-memory series with what the store holds.
  Status load_locked();
  // Writes the snapshot and drops the journal records it covers, when enough have built up.
  void maybe_checkpoint();

  void use_config(const std::shared_ptr<const config::Config>& next);
  Target resolve(const config::RemoteWriteMapping& m, const LabelView* lb, const LabelView* le);
  store::SeriesId ensure_labelled(const std::string& service, const char* label, std::string_view value, bool& limited);
  bool ha_accept(std::string_view cluster, std::string_view replica, int64_t now_ms, int64_t timeout_ms);
  // Takes series idle for idle_timeout out of the map (into `evicted`, with their deletes in
  // `writes`), at most every kSweepEveryMs. The caller puts them back if the write fails.
  void sweep(int64_t now_ms, std::vector<store::Store::StateWrite>& writes, std::vector<std::unique_ptr<Entry>>& evicted,
             std::string& journal);
};

RemoteWriteIngestor::RemoteWriteIngestor(store::Store& store, const Clock& clock)
    : impl_(std::make_unique<Impl>(store, clock)) {}
RemoteWriteIngestor::~RemoteWriteIngestor() = default;

namespace {

using detail::get_le;
using detail::put_le;

// Appends one (id, state) item of a journal record or snapshot page.
void put_item(std::string& out, uint64_t id, const RemoteSeriesState* state) {
  put_le(out, id, 8);
  if (!state) {
    put_le(out, kDeleted, 4);
    return;
  }
  const size_t len_at = out.size();
  put_le(out, 0, 4);
  state->encode(out);
  const uint32_t len = static_cast<uint32_t>(out.size() - len_at - 4);
  for (int i = 0; i < 4; ++i) out[len_at + static_cast<size_t>(i)] = static_cast<char>(len >> (8 * i));
}

// Calls visit(id, state bytes or nullopt for a deletion) for each item; false when malformed.
template <typename Fn>
bool for_each_item(std::string_view in, Fn&& visit) {
  while (!in.empty()) {
    if (in.size() < 12) return false;
    uint64_t id = get_le(in, 8);
    uint32_t len = static_cast<uint32_t>(get_le(in.substr(8), 4));
    in.remove_prefix(12);
    if (len == kDeleted) {
      visit(id, std::optional<std::string_view>());
      continue;
    }
    if (in.size() < len) return false;
    visit(id, std::optional<std::string_view>(in.substr(0, len)));
    in.remove_prefix(len);
  }
  return true;
}

}  // namespace

Status RemoteWriteIngestor::load() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::lock_guard<std::mutex> no_write_in_flight(impl_->write_mu);
  Status s = impl_->load_locked();
  if (s.ok()) impl_->maybe_checkpoint();
  return s;
}

Status RemoteWriteIngestor::Impl::load_locked() {
  series.clear();
  pages.clear();
  next_id = 1;
  journal_bytes = 0;
  snapshot_bytes = 0;
  std::unordered_map<uint64_t, std::string> keys;  // id -> key
  Status s = store.scan_state(kLabelsPrefix, [&](std::string_view k, std::string_view v) {
    uint64_t id = std::strtoull(std::string(k.substr(kLabelsPrefix.size())).c_str(), nullptr, 16);
    if (id != 0) keys.emplace(id, std::string(v));
    next_id = std::max<uint64_t>(next_id, id + 1);
  });
  if (!s.ok()) return s;
  std::unordered_map<uint64_t, std::string> states;  // id -> encoded state
  size_t bad = 0;
  auto take = [&](uint64_t id, std::optional<std::string_view> v) {
    if (v) {
      states[id] = std::string(*v);
    } else {
      states.erase(id);
    }
  };
  legacy_keys.clear();
  s = store.scan_state(kLegacyStatePrefix, [&](std::string_view k, std::string_view v) {
    uint64_t id = std::strtoull(std::string(k.substr(kLegacyStatePrefix.size())).c_str(), nullptr, 16);
    states[id] = std::string(v);
    legacy_keys.emplace_back(k);
  });
  if (!s.ok()) return s;
  s = store.scan_state(kSnapshotPrefix, [&](std::string_view k, std::string_view v) {
    pages.insert(std::strtoull(std::string(k.substr(kSnapshotPrefix.size())).c_str(), nullptr, 16));
    snapshot_bytes += v.size();
    if (!for_each_item(v, take)) ++bad;
  });
  if (!s.ok()) return s;
  uint64_t first = 0, last = 0;
  s = store.scan_state(kJournalPrefix, [&](std::string_view k, std::string_view v) {
    uint64_t seq = std::strtoull(std::string(k.substr(kJournalPrefix.size())).c_str(), nullptr, 16);
    if (first == 0) first = seq;
    last = std::max(last, seq);
    journal_bytes += v.size();
    if (!for_each_item(v, take)) ++bad;
  });
  if (!s.ok()) return s;
  next_seq = last + 1;
  first_unchecked = first == 0 ? next_seq : first;
  std::vector<uint64_t> stale_ids;  // a key stored under two ids, or without a state: dropped
  for (auto& [id, key] : keys) {
    auto st = states.find(id);
    auto e = std::make_unique<Entry>();
    if (st == states.end() || !e->state.decode(st->second)) {
      if (st != states.end()) ++bad;
      stale_ids.push_back(id);
      continue;
    }
    e->id = id;
    e->key = key;
    e->touched_ms = clock.now_ms();
    auto [pos, inserted] = series.try_emplace(e->key, nullptr);
    if (inserted || pos->second->state.base_ts < e->state.base_ts) {
      if (!inserted) stale_ids.push_back(pos->second->id);
      pos->second = std::move(e);
    } else {
      stale_ids.push_back(e->id);
    }
  }
  if (!stale_ids.empty()) {
    std::vector<store::Store::StateWrite> writes;
    for (uint64_t id : stale_ids) writes.push_back({std::string(kLabelsPrefix) + id_hex(id), std::nullopt});
    if (Status ws = store.write_state(writes); !ws.ok()) return ws;
  }
  if (bad > 0) log::warn("remote_write: undecodable series state skipped", {{"records", std::to_string(bad)}});
  return Status::OK();
}

void RemoteWriteIngestor::Impl::maybe_checkpoint() {
  if (!checkpoint_due()) return;
  std::map<uint64_t, std::string> page_data;
  for (const auto& [key, e] : series) put_item(page_data[e->id >> 10], e->id, &e->state);
  std::vector<store::Store::StateWrite> writes;
  for (uint64_t page : pages) {
    if (!page_data.count(page)) writes.push_back({std::string(kSnapshotPrefix) + id_hex(page), std::nullopt});
  }
  std::set<uint64_t> next_pages;
  size_t bytes = 0;
  for (auto& [page, data] : page_data) {
    next_pages.insert(page);
    bytes += data.size();
    writes.push_back({std::string(kSnapshotPrefix) + id_hex(page), std::move(data)});
  }
  for (uint64_t seq = first_unchecked; seq < next_seq; ++seq) {
    writes.push_back({std::string(kJournalPrefix) + id_hex(seq), std::nullopt});
  }
  for (const auto& k : legacy_keys) writes.push_back({k, std::nullopt});
  if (Status st = store.write_state(writes); !st.ok()) {
    log::warn("remote_write: snapshot not written; the journal keeps growing until it is",
              {{"error", st.message()}});
    checkpoint_not_before = next_seq + 256;
    return;
  }
  legacy_keys.clear();
  pages = std::move(next_pages);
  first_unchecked = next_seq;
  journal_bytes = 0;
  snapshot_bytes = bytes;
}

void RemoteWriteIngestor::Impl::use_config(const std::shared_ptr<const config::Config>& next) {
  if (cfg == next) return;
  cfg = next;
  ++cfg_gen;
  index.clear();
  const auto& maps = cfg->remote_write.mappings;
  for (size_t i = 0; i < maps.size(); ++i) {
    const auto& m = maps[i];
    if (m.kind == config::RemoteWriteMapping::Kind::kCounter) {
      index[m.metric].push_back({i, Role::kCounter});
    } else {
      index[m.metric + "_bucket"].push_back({i, Role::kBucket});
      index[m.metric + "_count"].push_back({i, Role::kCountOrSum});
      index[m.metric + "_sum"].push_back({i, Role::kCountOrSum});
    }
  }
  series_per_service.clear();  // recounted on demand
}

store::SeriesId RemoteWriteIngestor::Impl::ensure_labelled(const std::string& service, const char* label,
                                                           std::string_view value, bool& limited) {
  store::Labels labels{{"service", service}, {label, std::string(value)}};
  if (auto id = store.lookup_series(labels)) return *id;
  auto [it, inserted] = series_per_service.try_emplace(service, 0);
  if (inserted) it->second = store.find_series("service", service).size();
  if (it->second >= cfg->remote_write.max_series_per_service) {
    limited = true;
    return 0;
  }
  auto id = store.ensure_series(labels);
  if (!id.ok()) {
    // The store's per-service cap is counted per sample (series_limited), not logged per sample.
    if (!id.status().is_resource_exhausted()) {
      log::warn("remote_write: series not created", {{"service", service}, {"error", id.status().message()}});
    }
    limited = true;
    return 0;
  }
  ++it->second;
  return *id;
}

Target RemoteWriteIngestor::Impl::resolve(const config::RemoteWriteMapping& m, const LabelView* lb,
                                          const LabelView* le) {
  Target t;
  const config::ServiceConfig* sc = nullptr;
  if (!m.service.empty()) {
    sc = cfg->find_service(m.service);
  } else if (const std::string_view* v = find_label(lb, le, m.service_label)) {
    sc = cfg->find_service(*v);
  }
  if (!sc) {
    t.drop = SampleResult::kUnknownService;
    return t;
  }
  t.service = &sc->name;
  t.thresholds_us = &cfg->latency_thresholds_us(sc->name);
  if (!m.status_label.empty()) {
    const std::string_view* v = find_label(lb, le, m.status_label);
    t.status = v ? parse_status(*v) : 0;
    if (t.status == 0) {
      t.drop = SampleResult::kInvalidStatus;
      return t;
    }
  } else {
    t.status = static_cast<uint32_t>(m.status);
  }
  auto id = store.ensure_series({{"service", sc->name}});
  if (!id.ok()) {
    t.drop = SampleResult::kUnknownService;
    log::warn("remote_write: service series not created", {{"service", sc->name}, {"error", id.status().message()}});
    return t;
  }
  t.service_series = *id;
  auto dim = [&](const std::string& label_name, const char* as, store::SeriesId& out) {
    if (label_name.empty()) return;
    const std::string_view* v = find_label(lb, le, label_name);
    if (!v) return;
    if (!usable_label_value(*v)) {
      t.limited = true;
      return;
    }
    out = ensure_labelled(sc->name, as, *v, t.limited);
  };
  dim(m.endpoint_label, "endpoint", t.endpoint_series);
  dim(m.version_label, "version", t.version_series);
  return t;
}

bool RemoteWriteIngestor::Impl::ha_accept(std::string_view cluster, std::string_view replica, int64_t now_ms,
                                          int64_t timeout_ms) {
  auto it = ha.find(cluster);
  if (it == ha.end()) {
    if (ha.size() >= kMaxHaClusters) {
      // Forget the cluster heard from least recently to make room.
      auto oldest = ha.begin();
      for (auto i = ha.begin(); i != ha.end(); ++i) {
        if (i->second.last_seen_ms < oldest->second.last_seen_ms) oldest = i;
      }
      ha.erase(oldest);
    }
    ha.emplace(std::string(cluster), HaElection{std::string(cluster), std::string(replica), now_ms});
    return true;
  }
  HaElection& e = it->second;
  if (e.replica == replica) {
    e.last_seen_ms = now_ms;
    return true;
  }
  if (now_ms - e.last_seen_ms > timeout_ms) {
    log::info("remote_write: HA failover", {{"cluster", e.cluster}, {"from", e.replica}, {"to", std::string(replica)}});
    e.replica = std::string(replica);
    e.last_seen_ms = now_ms;
    return true;
  }
  return false;
}

void RemoteWriteIngestor::Impl::sweep(int64_t now_ms, std::vector<store::Store::StateWrite>& writes,
                                      std::vector<std::unique_ptr<Entry>>& evicted, std::string& journal) {
  if (swept && now_ms - last_sweep_ms < kSweepEveryMs) return;
  swept = true;
  last_sweep_ms = now_ms;
  const int64_t idle = cfg->remote_write.idle_timeout_ms;
  for (auto it = series.begin(); it != series.end();) {
    if (now_ms - it->second->touched_ms > idle) {
      writes.push_back({std::string(kLabelsPrefix) + id_hex(it->second->id), std::nullopt});
      put_item(journal, it->second->id, nullptr);
      evicted.push_back(std::move(it->second));
      it = series.erase(it);
    } else {
      ++it;
    }
  }
}

RemoteWriteOutcome RemoteWriteIngestor::ingest(std::shared_ptr<const config::Config> cfg_ptr, std::string_view body,
                                               const RemoteWriteHeaders& headers) {
  RemoteWriteOutcome out;
  const config::Config& cfg = *cfg_ptr;
  thread_local detail::DecodedRequest req;
  struct Release {
    ~Release() { detail::release_decoded(); }
  } release;
  detail::decode_write_request(body, headers, cfg.remote_write.max_decoded_bytes, req);
  if (req.status != 204) {
    out.status = req.status;
    out.error = std::move(req.error);
    return out;
  }
  out.samples[static_cast<size_t>(SampleResult::kNativeHistogram)] = req.native_histograms;
  out.samples[static_cast<size_t>(SampleResult::kExemplar)] = req.exemplars;
  auto count = [&](SampleResult r, uint64_t n = 1) { out.samples[static_cast<size_t>(r)] += n; };

  Impl& im = *impl_;
  std::unique_lock<std::mutex> lock(im.mu);
  // Anything that escapes between changing the state and writing it leaves the state ahead of
  // the store: poisoned, so the next request reloads it.
  struct PoisonUnlessDone {
    std::atomic<bool>& poisoned;
    bool done = false;
    ~PoisonUnlessDone() {
      if (!done) poisoned = true;
    }
  } guard{im.poisoned};
  if (im.poisoned.load() || im.checkpoint_due()) {
    std::lock_guard<std::mutex> no_write_in_flight(im.write_mu);
    if (im.poisoned.load()) {
      if (Status ls = im.load_locked(); !ls.ok()) {
        log::error("remote_write: state not reloaded after a failed write", {{"error", ls.message()}});
        out.status = 500;
        out.error = "storage error: " + ls.message();
        return out;  // still poisoned: the guard leaves it so
      }
      im.poisoned = false;
    }
    im.maybe_checkpoint();
  }
  im.use_config(cfg_ptr);
  const config::RemoteWriteConfig& rw = cfg.remote_write;
  const int64_t now_ms = im.clock.now_ms();
  const int64_t newest_ms = now_ms + kMaxFutureSkewMs;
  const int64_t oldest_ms = std::max<int64_t>(0, now_ms - cfg.storage.retention_ms);

  // The series this request changes, each once; their new states go into one journal record.
  // A failed write is undone by reloading the state from the store (rare, and exact).
  const uint64_t stamp = ++im.request_stamp;
  std::vector<Entry*> touched;
  std::vector<store::Store::StateWrite> writes;
  std::vector<std::unique_ptr<Entry>> evicted;
  std::string journal;
  if (im.series.size() >= rw.max_series) im.sweep(now_ms, writes, evicted, journal);

  std::vector<store::RollupDelta> deltas;
  std::unordered_map<MinuteKey, size_t, MinuteKeyHash> slot;
  std::map<const std::string*, uint64_t> events_by_service, limited_by_service;
  std::vector<Increase> incs;
  std::string key;

  auto add_events = [&](const Target& t, const Increase& inc, bool histogram, double largest_finite_le) {
    if (inc.ts_ms < oldest_ms) return;
    const int64_t minute = (inc.ts_ms >= 0 ? inc.ts_ms / 60000 : (inc.ts_ms - 59999) / 60000) * 60;
    double latency_ms = -1;
    if (histogram) {
      if (std::isfinite(inc.le)) {
        latency_ms = static_cast<double>(std::llround(inc.le * 1e6)) / 1000.0;
      } else {
        // Above the top bound: just above it and above every latency threshold, so these
        // requests are bad for every threshold and a percentile reads at least the bound.
        int64_t us = std::llround(largest_finite_le * 1e6);
        if (!t.thresholds_us->empty()) us = std::max<int64_t>(us, t.thresholds_us->back());
        latency_ms = static_cast<double>(us + 1) / 1000.0;
      }
    }
    for (store::SeriesId sid : {t.service_series, t.endpoint_series, t.version_series}) {
      if (sid == 0) continue;
      auto [pos, inserted] = slot.try_emplace(MinuteKey{sid, minute}, deltas.size());
      if (inserted) deltas.push_back(store::RollupDelta{sid, minute, {}});
      store::Rollup& r = deltas[pos->second].value;
      r.add(t.status, inc.count);
      if (latency_ms >= 0) r.add_latency(latency_ms, inc.count, *t.thresholds_us);
    }
    events_by_service[t.service] += inc.count;
  };

  for (const detail::SeriesView& sv : req.series) {
    const uint64_t n_samples = sv.sample_end - sv.sample_begin;
    if (n_samples == 0) continue;
    const LabelView* lb = req.labels.data() + sv.label_begin;
    const LabelView* le = req.labels.data() + sv.label_end;
    auto idx = im.index.find(sv.name);
    if (idx == im.index.end()) {
      count(SampleResult::kUnmapped, n_samples);
      continue;
    }
    const Candidate* cand = nullptr;
    for (const Candidate& c : idx->second) {
      const auto& m = rw.mappings[c.mapping];
      bool ok = true;
      for (const auto& matcher : m.match) {
        const std::string_view* v = find_label(lb, le, matcher.name);
        using Op = config::RemoteLabelMatcher::Op;
        bool hit;
        if (matcher.op == Op::kEqual || matcher.op == Op::kNotEqual) {  // no copy on the common path
          hit = (v ? *v : std::string_view()) == matcher.value;
          if (matcher.op == Op::kNotEqual) hit = !hit;
        } else {
          std::string value = v ? std::string(*v) : std::string();
          hit = matcher.matches(v ? &value : nullptr);
        }
        if (!hit) {
          ok = false;
          break;
        }
      }
      if (ok) {
        cand = &c;
        break;
      }
    }
    if (!cand) {
      count(SampleResult::kUnmapped, n_samples);
      continue;
    }
    if (cand->role == Role::kCountOrSum) {
      count(SampleResult::kIgnored, n_samples);
      continue;
    }
    const config::RemoteWriteMapping& m = rw.mappings[cand->mapping];
    if (rw.ha.enabled()) {
      const std::string_view* cluster = find_label(lb, le, rw.ha.cluster_label);
      const std::string_view* replica = find_label(lb, le, rw.ha.replica_label);
      if (cluster && replica && !im.ha_accept(*cluster, *replica, now_ms, rw.ha.failover_timeout_ms)) {
        count(SampleResult::kHaReplica, n_samples);
        continue;
      }
    }
    double le_value = 0;
    if (cand->role == Role::kBucket) {
      const std::string_view* lev = find_label(lb, le, "le");
      std::optional<double> parsed = lev ? parse_le(*lev) : std::nullopt;
      if (!parsed) {
        count(SampleResult::kInvalidLabel, n_samples);
        continue;
      }
      le_value = *parsed;
    }
    // The series' identity: its labels without the HA replica label and, for buckets, `le`.
    // Length-prefixed, so no label value can make two label sets one key.
    key.clear();
    key += cand->role == Role::kBucket ? 'h' : 'c';
    auto put = [&](std::string_view v) {
      const size_t n = std::min<size_t>(v.size(), 0xffff);
      key += static_cast<char>(n >> 8);
      key += static_cast<char>(n & 0xff);
      key.append(v.data(), n);
    };
    for (const LabelView* l = lb; l != le; ++l) {
      if (rw.ha.enabled() && l->first == rw.ha.replica_label) continue;
      if (cand->role == Role::kBucket && l->first == "le") continue;
      put(l->first);
      put(l->second);
    }
    if (key.size() > kMaxSeriesKeyBytes) {
      count(SampleResult::kInvalidLabel, n_samples);
      continue;
    }
    Entry* e = nullptr;
    bool created = false;
    if (auto f = im.series.find(std::string_view(key)); f != im.series.end()) {
      e = f->second.get();
    }
    if (e && e->target_gen != im.cfg_gen) {
      e->target = im.resolve(m, lb, le);
      e->target_gen = im.cfg_gen;
    }
    Target fresh;
    const Target* t = e ? &e->target : nullptr;
    if (!e) {
      if (im.series.size() >= rw.max_series) im.sweep(now_ms, writes, evicted, journal);
      if (im.series.size() >= rw.max_series) {
        count(SampleResult::kSeriesLimit, n_samples);
        continue;
      }
      fresh = im.resolve(m, lb, le);
      t = &fresh;
    }
    if (t->drop != SampleResult::kAccepted) {
      count(t->drop, n_samples);
      continue;
    }
    if (!e) {
      auto ne = std::make_unique<Entry>();
      ne->id = im.next_id++;
      ne->key = key;
      ne->target = fresh;
      ne->target_gen = im.cfg_gen;
      e = ne.get();
      im.series.emplace(ne->key, std::move(ne));
      created = true;
      t = &e->target;
    }
    if (e->stamp != stamp) {
      e->stamp = stamp;
      touched.push_back(e);
    }
    if (created) writes.push_back({std::string(kLabelsPrefix) + id_hex(e->id), e->key});
    e->touched_ms = now_ms;
    if (t->limited) limited_by_service[t->service] += n_samples;

    double largest_finite = 0;
    for (const auto& b : e->state.buckets) {
      if (std::isfinite(b.le)) largest_finite = b.le;
    }
    for (size_t si = sv.sample_begin; si < sv.sample_end; ++si) {
      const detail::SampleView& s = req.samples[si];
      if (detail::is_stale_marker(s.value)) {
        uint64_t incomplete = 0;
        count(e->state.mark_stale(s.ts_ms, incomplete));  // the series ends; a later sample starts it again
        if (incomplete) count(SampleResult::kIncomplete, incomplete);
        continue;
      }
      if (!std::isfinite(s.value) || s.value < 0) {
        count(SampleResult::kInvalidValue);
        continue;
      }
      if (s.ts_ms > newest_ms) {
        count(SampleResult::kTooNew);
        continue;
      }
      incs.clear();
      uint64_t incomplete = 0;
      SampleResult r = cand->role == Role::kBucket ? e->state.add_bucket(le_value, s.ts_ms, s.value, incs, incomplete)
                                                    : e->state.add_counter(s.ts_ms, s.value, incs);
      if (incomplete) count(SampleResult::kIncomplete, incomplete);
      if (s.ts_ms < oldest_ms && (r == SampleResult::kAccepted || r == SampleResult::kPending)) {
        count(SampleResult::kTooOld);  // moves the series on, but its increase is past retention
        continue;
      }
      count(r);
      if (cand->role == Role::kBucket) {
        for (const auto& b : e->state.buckets) {
          if (std::isfinite(b.le)) largest_finite = b.le;
        }
      }
      for (const Increase& inc : incs) add_events(*t, inc, cand->role == Role::kBucket, largest_finite);
    }
  }

  // The new last values go in the same batch as the increases they produced.
  for (const Entry* e : touched) put_item(journal, e->id, &e->state);
  im.journal_bytes += journal.size();
  if (!journal.empty()) writes.push_back({std::string(kJournalPrefix) + id_hex(im.next_seq++), std::move(journal)});
  const size_t series_kept = im.series.size();
  std::unique_lock<std::mutex> write_lock(im.write_mu);
  guard.done = true;  // from here every outcome is explicit
  lock.unlock();
  Status st = im.poisoned.load() ? Status::IOError("an earlier write failed; the request was not stored")
                                 : im.store.write(deltas, writes);
  if (!st.ok()) {
    im.poisoned = true;  // the state in memory moved past what is stored: reloaded before the next request
    out = RemoteWriteOutcome{};
    // A store that refuses the data as invalid will refuse a retry too: that is not for the
    // sender to retry.
    out.status = st.is_invalid_argument() ? 400 : 500;
    out.error = (st.is_invalid_argument() ? "cannot store: " : "storage error: ") + st.message();
    return out;
  }
  write_lock.unlock();
  out.series_kept = series_kept;
  for (const auto& [svc, n] : events_by_service) out.events_by_service.emplace_back(*svc, n);
  for (const auto& [svc, n] : limited_by_service) out.series_limited_by_service.emplace_back(*svc, n);
  return out;
}

RemoteWriteStats RemoteWriteIngestor::stats() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  RemoteWriteStats s;
  s.series = impl_->series.size();
  for (const auto& [c, e] : impl_->ha) s.ha.push_back(e);
  return s;
}

}  // namespace sloguard::collector
