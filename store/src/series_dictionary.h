// The series dictionary: labels <-> series id, persisted in the state column family
// ("series/<canonical labels>" -> id, "meta/next_series_id" -> next id) and mirrored in
// memory, so lookups never touch RocksDB. Thread-safe.
//
// A new entry is written to the WAL without an fsync of its own. That is safe because every
// column family shares the one WAL, which is replayed in order: data that uses a new id is
// written after the id's entry, so a crash (or power loss) that loses the entry loses that
// data too, and the id handed out again is not used by anything that survived. (With more
// than one column family RocksDB syncs the WAL before a flush makes any of it an SST.)
//
// The number of series per service (label "service") is capped, so a sender that invents a
// new endpoint per event cannot grow this dictionary, or memory, without bound.
#pragma once

#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <rocksdb/db.h>

#include "sloguard/store/store.h"

namespace sloguard::store {

class SeriesDictionary {
 public:
  // db and state_cf must outlive the dictionary. max_per_service 0: no limit.
  SeriesDictionary(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* state_cf, size_t max_per_service)
      : db_(db), state_cf_(state_cf), max_per_service_(max_per_service) {}

  // Reads the persisted dictionary into memory. Called once, before any other method.
  Status load();

  // Existing id, or a new one written to the WAL before it is returned. ResourceExhausted,
  // nothing created, when the series is new and its service is at max_per_service.
  Result<SeriesId> ensure(const Labels& labels);
  std::optional<SeriesId> lookup(const Labels& labels) const;
  // Ascending by id.
  std::vector<SeriesInfo> find(std::string_view key, std::string_view value) const;
  size_t size() const;
  // Series of the service (label "service"); O(1).
  size_t count(std::string_view service) const;

 private:
  void publish_locked(SeriesId id, std::string canonical, Labels labels);

  rocksdb::DB* db_;
  rocksdb::ColumnFamilyHandle* state_cf_;
  const size_t max_per_service_;

  std::mutex create_mu_;  // serializes the creation of new series (held while writing)
  mutable std::shared_mutex mu_;  // guards the maps below and next_id_
  std::unordered_map<std::string, SeriesId> ids_;  // canonical labels -> id
  std::unordered_map<SeriesId, Labels> labels_;
  std::unordered_map<std::string, std::vector<SeriesId>> by_label_;  // "key\x1fvalue" -> ids, ascending
  std::unordered_map<std::string, size_t> per_service_;  // service -> number of its series
  SeriesId next_id_ = 1;  // ids start at 1; 0 means "no series"
};

}  // namespace sloguard::store
