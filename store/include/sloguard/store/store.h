// The time-series store: rollups per series per minute, hour and day bucket, a persisted series
// dictionary, and a small key-value state table. The RocksDB implementation is the only one
// shipped; the interface exists so every other component is testable and stays free of
// RocksDB headers.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sloguard/common/clock.h"
#include "sloguard/common/status.h"
#include "sloguard/store/rollup.h"

namespace sloguard::store {

using SeriesId = uint64_t;
// A series is identified by its labels, e.g. {service=checkout, endpoint=/api/v1/pay}.
using Labels = std::map<std::string, std::string>;

enum class Resolution : int64_t { kMinute = 60, kHour = 3600, kDay = 86400 };
inline int64_t seconds(Resolution r) { return static_cast<int64_t>(r); }

struct SeriesInfo {
  SeriesId id = 0;
  Labels labels;
};

// One minute bucket's worth of data for one series, to be merged into the store.
struct RollupDelta {
  SeriesId series = 0;
  int64_t minute_start = 0;  // Unix seconds, a multiple of 60
  Rollup value;
};

class Store {
 public:
  virtual ~Store() = default;

  // Id of the series with exactly these labels; a new series is given the next id (ids start
  // at 1 and are never reused) and written to the WAL before returning, ahead of any data that
  // uses it (no fsync of its own: see series_dictionary.h).
  // InvalidArgument for an empty label set, an empty label name, or a name or value holding
  // the bytes 0x1e or 0x1f. ResourceExhausted, nothing created, when the series would be new
  // and its service (label "service") already has max_series_per_service series; the message
  // names the service and the limit. Thread-safe. Never reads the rollups.
  virtual Result<SeriesId> ensure_series(const Labels& labels) = 0;
  // Series whose label `key` equals `value` (e.g. every series of service "checkout"), from
  // the in-memory dictionary. Thread-safe.
  virtual std::vector<SeriesInfo> find_series(std::string_view key, std::string_view value) const = 0;
  // Id of the series with exactly these labels, if it exists. Thread-safe.
  virtual std::optional<SeriesId> lookup_series(const Labels& labels) const = 0;
  // How many series have label "service" equal to service (what max_series_per_service caps).
  // Thread-safe.
  virtual size_t series_count(std::string_view service) const { return find_series("service", service).size(); }

  // Merges every delta into its minute, hour and day buckets, all in one atomic write:
  // either all of it is stored or none. Returns only after the write is in the WAL.
  // InvalidArgument (nothing written) when a delta has series 0, a minute_start that is
  // negative or not a multiple of 60, or a value that is not is_well_formed().
  // Thread-safe. Never reads.
  virtual Status write_rollups(const std::vector<RollupDelta>& deltas) = 0;

  // Calls visit(bucket_start, rollup) for each stored bucket of the series with
  // from <= bucket_start < to, in time order. The Rollup reference is only valid during the
  // call. Corruption (naming the series and bucket) when a stored value does not decode;
  // buckets before it have been visited. Thread-safe.
  // `parts` says what the visitor needs: RollupParts::kStatusCounts skips decoding the
  // latency sketches, which is most of the cost of a scan over values that carry them.
  using Visitor = std::function<void(int64_t bucket_start, const Rollup& value)>;
  virtual Status scan(SeriesId series, Resolution res, int64_t from, int64_t to, RollupParts parts,
                      const Visitor& visit) const = 0;
  Status scan(SeriesId series, Resolution res, int64_t from, int64_t to, const Visitor& visit) const {
    return scan(series, res, from, to, RollupParts::kAll, visit);
  }

  // State table (alerts, silences, deployments, outbox...): plain keys and values. Keys
  // starting with "series/" or "meta/" are internal: InvalidArgument from put, get and
  // delete, and scan_state skips them. Thread-safe.
  virtual Status put_state(std::string_view key, std::string_view value) = 0;
  virtual Result<std::optional<std::string>> get_state(std::string_view key) const = 0;
  virtual Status delete_state(std::string_view key) = 0;
  // Puts (value set) and deletes (value empty) several state keys in one atomic write:
  // all of it or none. InvalidArgument (nothing written) for a reserved or empty key.
  struct StateWrite {
    std::string key;
    std::optional<std::string> value;  // nullopt: delete the key
  };
  virtual Status write_state(const std::vector<StateWrite>& writes) = 0;
  // Rollup deltas (as write_rollups) and state writes (as write_state) in one atomic write:
  // all of it or none, in the WAL before it returns. Used where derived state must move with
  // the data (remote_write's last value per remote series). InvalidArgument, nothing written,
  // for what either of the two would reject. Thread-safe.
  virtual Status write(const std::vector<RollupDelta>& deltas, const std::vector<StateWrite>& state) = 0;
  // Visits state entries whose key starts with prefix, in key order.
  virtual Status scan_state(std::string_view prefix,
                            const std::function<void(std::string_view key, std::string_view value)>& visit) const = 0;

  // Visits state entries whose key starts with prefix in descending key order, until visit
  // returns false: "the newest n" of a prefix whose keys sort by time reads n entries, not
  // the prefix. Internal keys are skipped as in scan_state. Thread-safe. The default reads
  // the whole prefix first (for test doubles); the RocksDB store iterates backwards.
  using StateVisitorWhile = std::function<bool(std::string_view key, std::string_view value)>;
  virtual Status scan_state_backward(std::string_view prefix, const StateVisitorWhile& visit) const {
    std::vector<std::pair<std::string, std::string>> all;
    Status s = scan_state(prefix, [&](std::string_view k, std::string_view v) { all.emplace_back(k, v); });
    if (!s.ok()) return s;
    for (auto it = all.rbegin(); it != all.rend(); ++it) {
      if (!visit(it->first, it->second)) break;
    }
    return Status::OK();
  }

  // Flushes memtables to disk (used at shutdown and by tests).
  virtual Status flush() = 0;
  // Compacts every column family now, which drops data older than retention (tests, admin).
  virtual Status compact() = 0;
};

// A state prefix whose keys hold their time: "<prefix><Unix ms, decimal>..." (audit/ is
// "audit/<ms>-<seq>"). Compaction drops its entries older than retention_ms; the key must
// say it, since a compaction sees one entry at a time. Keys that do not start with digits
// after the prefix are kept.
struct StateRetention {
  std::string prefix;
  int64_t retention_ms = 0;
};

struct StoreOptions {
  std::string path;                              // directory; created if missing
  int64_t retention_ms = 35LL * 86400 * 1000;    // Default: 35d. Buckets older are dropped by compaction.
  const Clock* clock = &SystemClock::instance(); // Default: the system clock. Decides "older";
                                                 // must outlive the store.
  // Default: 10000. The most series one service (label "service") may have: its own, and one
  // per endpoint, version or probe. 0: no limit. Series stored before a lower limit stay.
  size_t max_series_per_service = 10000;
  std::vector<StateRetention> state_retention;  // Default: none (state is kept until deleted).
  bool sync_writes = false;  // Default: false. The WAL is written before a write returns, so
                             // acknowledged data survives kill -9; true also survives power loss.
};

// Opens (creating if needed) the RocksDB store at options.path. Fails with IOError when the
// directory cannot be used or is locked by another process or another open store,
// InvalidArgument for unusable options, Corruption when the stored dictionary is damaged.
// Closing (destroying) the store waits for background work; it does not need flush().
Result<std::unique_ptr<Store>> open_rocksdb_store(const StoreOptions& options);

}  // namespace sloguard::store
