// The RocksDB implementation of Store. Column families:
//   default    unused
//   rollup_1m  RollupKey -> Rollup wire form, minute buckets (merge operator, retention filter)
//   rollup_1h  the same, hour buckets
//   rollup_1d  the same, day buckets (UTC days), so long windows read few keys
//   raw        created for raw events, unused for now
//   state      series dictionary and the user's state table
#pragma once

#include <memory>
#include <vector>

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "series_dictionary.h"
#include "sloguard/store/store.h"

namespace sloguard::store {

class RocksDbStore final : public Store {
 public:
  static Result<std::unique_ptr<Store>> open(const StoreOptions& options);
  ~RocksDbStore() override;

  Result<SeriesId> ensure_series(const Labels& labels) override { return series_->ensure(labels); }
  std::vector<SeriesInfo> find_series(std::string_view key, std::string_view value) const override {
    return series_->find(key, value);
  }
  std::optional<SeriesId> lookup_series(const Labels& labels) const override { return series_->lookup(labels); }
  size_t series_count(std::string_view service) const override { return series_->count(service); }

  Status write_rollups(const std::vector<RollupDelta>& deltas) override;
  using Store::scan;
  Status scan(SeriesId series, Resolution res, int64_t from, int64_t to, RollupParts parts,
              const Visitor& visit) const override;

  Status put_state(std::string_view key, std::string_view value) override;
  Result<std::optional<std::string>> get_state(std::string_view key) const override;
  Status delete_state(std::string_view key) override;
  Status write_state(const std::vector<StateWrite>& writes) override;
  Status write(const std::vector<RollupDelta>& deltas, const std::vector<StateWrite>& state) override;
  Status scan_state(std::string_view prefix,
                    const std::function<void(std::string_view key, std::string_view value)>& visit) const override;
  Status scan_state_backward(std::string_view prefix, const StateVisitorWhile& visit) const override;

  Status flush() override;
  Status compact() override;

 private:
  explicit RocksDbStore(const StoreOptions& options) : options_(options) {}
  rocksdb::ColumnFamilyHandle* rollup_cf(Resolution res) const {
    return res == Resolution::kDay ? day_cf_ : res == Resolution::kHour ? hour_cf_ : minute_cf_;
  }

  // Adds the merges of deltas (checked) to batch.
  Status add_rollups(const std::vector<RollupDelta>& deltas, rocksdb::WriteBatch& batch) const;
  // Adds the state writes (keys checked) to batch.
  Status add_state(const std::vector<StateWrite>& writes, rocksdb::WriteBatch& batch) const;

  StoreOptions options_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // every opened column family
  rocksdb::ColumnFamilyHandle* minute_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* hour_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* day_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* state_cf_ = nullptr;
  std::unique_ptr<SeriesDictionary> series_;
};

}  // namespace sloguard::store
