// The series dictionary: labels <-> series id, persisted in the state column family
// ("series/<canonical labels>" -> id, "meta/next_series_id" -> next id) and mirrored in
// memory, so lookups never touch RocksDB. Thread-safe.
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
  // db and state_cf must outlive the dictionary.
  SeriesDictionary(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* state_cf) : db_(db), state_cf_(state_cf) {}

  // Reads the persisted dictionary into memory. Called once, before any other method.
  Status load();

  // Existing id, or a new one written synchronously before it is returned.
  Result<SeriesId> ensure(const Labels& labels);
  std::optional<SeriesId> lookup(const Labels& labels) const;
  // Ascending by id.
  std::vector<SeriesInfo> find(std::string_view key, std::string_view value) const;
  size_t size() const;

 private:
  void publish_locked(SeriesId id, std::string canonical, Labels labels);

  rocksdb::DB* db_;
  rocksdb::ColumnFamilyHandle* state_cf_;

  std::mutex create_mu_;  // serializes the creation of new series (held while writing)
  mutable std::shared_mutex mu_;  // guards the maps below and next_id_
  std::unordered_map<std::string, SeriesId> ids_;  // canonical labels -> id
  std::unordered_map<SeriesId, Labels> labels_;
  std::unordered_map<std::string, std::vector<SeriesId>> by_label_;  // "key\x1fvalue" -> ids, ascending
  SeriesId next_id_ = 1;  // ids start at 1; 0 means "no series"
};

}  // namespace sloguard::store
