// RocksDbStore: writing and scanning rollups.
#include <algorithm>
#include <string>

#include <rocksdb/iterator.h>
#include <rocksdb/write_batch.h>

#include "key_codec.h"
#include "rocksdb_status.h"
#include "rocksdb_store.h"

namespace sloguard::store {
namespace {

constexpr int64_t kHour = 3600;
constexpr int64_t kDay = 86400;

Status check_delta(const RollupDelta& d, size_t index) {
  auto where = [&] { return "rollup delta " + std::to_string(index) + " (series " + std::to_string(d.series) + ")"; };
  if (d.series == 0) return Status::InvalidArgument(where() + ": series id 0 is not a series");
  if (d.minute_start < 0 || d.minute_start % 60 != 0) {
    return Status::InvalidArgument(where() + ": minute_start " + std::to_string(d.minute_start) +
                                   " is not a non-negative multiple of 60");
  }
  if (!is_well_formed(d.value)) {
    return Status::InvalidArgument(where() + ": by_status must ascend without zero counts, latency_le must "
                                   "ascend with counts within the sketch's, and unknown_fields must hold whole "
                                   "fields of unknown tags");
  }
  return Status::OK();
}

bool carries_data(const Rollup& r) {
  return r.total != 0 || !r.by_status.empty() || !r.latency.empty() || !r.unknown_fields.empty();
}

// Adds one Merge of acc at (series, bucket) to the batch. encoded is scratch space.
rocksdb::Status add_merge(rocksdb::WriteBatch& batch, rocksdb::ColumnFamilyHandle* cf, SeriesId series,
                          int64_t bucket, const Rollup& acc, std::string& encoded) {
  if (!carries_data(acc)) return rocksdb::Status::OK();
  encoded.clear();
  encode_rollup(acc, encoded);
  RollupKey key(series, bucket);
  return batch.Merge(cf, rocksdb::Slice(key.bytes, kRollupKeySize), encoded);
}

}  // namespace

Status RocksDbStore::write_rollups(const std::vector<RollupDelta>& deltas) {
  if (deltas.empty()) return Status::OK();
  rocksdb::WriteBatch batch;
  if (Status st = add_rollups(deltas, batch); !st.ok()) return st;
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync_writes;
  return from_rocksdb(db_->Write(wo, &batch), "write rollups");
}

Status RocksDbStore::write(const std::vector<RollupDelta>& deltas, const std::vector<StateWrite>& state) {
  if (deltas.empty() && state.empty()) return Status::OK();
  rocksdb::WriteBatch batch;
  if (Status st = add_rollups(deltas, batch); !st.ok()) return st;
  if (Status st = add_state(state, batch); !st.ok()) return st;
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync_writes;
  return from_rocksdb(db_->Write(wo, &batch), "write rollups and state");
}

Status RocksDbStore::add_rollups(const std::vector<RollupDelta>& deltas, rocksdb::WriteBatch& batch) const {
  for (size_t i = 0; i < deltas.size(); ++i) {
    if (Status s = check_delta(deltas[i], i); !s.ok()) return s;
  }

  // Sorted by (series, minute): deltas for the same minute, hour and day are adjacent, so each
  // bucket key gets exactly one Merge in the batch, and the batch is in key order.
  std::vector<const RollupDelta*> order;
  order.reserve(deltas.size());
  for (const auto& d : deltas) order.push_back(&d);
  std::stable_sort(order.begin(), order.end(), [](const RollupDelta* a, const RollupDelta* b) {
    return a->series != b->series ? a->series < b->series : a->minute_start < b->minute_start;
  });

  std::string encoded;
  Rollup minute_acc;
  Rollup hour_acc;
  Rollup day_acc;
  rocksdb::Status s;
  for (size_t i = 0; i < order.size() && s.ok(); ++i) {
    const RollupDelta& d = *order[i];
    minute_acc.merge(d.value);
    hour_acc.merge(d.value);
    day_acc.merge(d.value);
    const RollupDelta* next = i + 1 < order.size() ? order[i + 1] : nullptr;
    int64_t hour = d.minute_start - d.minute_start % kHour;
    bool same_series = next && next->series == d.series;
    if (!same_series || next->minute_start != d.minute_start) {
      s = add_merge(batch, minute_cf_, d.series, d.minute_start, minute_acc, encoded);
      minute_acc.clear();
    }
    if (s.ok() && (!same_series || next->minute_start - next->minute_start % kHour != hour)) {
      s = add_merge(batch, hour_cf_, d.series, hour, hour_acc, encoded);
      hour_acc.clear();
    }
    const int64_t day = d.minute_start - d.minute_start % kDay;
    if (s.ok() && (!same_series || next->minute_start - next->minute_start % kDay != day)) {
      s = add_merge(batch, day_cf_, d.series, day, day_acc, encoded);
      day_acc.clear();
    }
  }
  if (!s.ok()) return from_rocksdb(s, "build rollup batch");
  return Status::OK();
}

Status RocksDbStore::scan(SeriesId series, Resolution res, int64_t from, int64_t to, RollupParts parts,
                          const Visitor& visit) const {
  from = std::max<int64_t>(from, 0);
  if (to <= from) return Status::OK();
  RollupKey start(series, from);
  RollupKey end(series, to);
  rocksdb::Slice upper(end.bytes, kRollupKeySize);

  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper;
  ro.prefix_same_as_start = true;
  rocksdb::ColumnFamilyHandle* cf = rollup_cf(res);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf));

  Rollup value;  // reused for every bucket: decoding allocates only while it grows
  for (it->Seek(rocksdb::Slice(start.bytes, kRollupKeySize)); it->Valid(); it->Next()) {
    rocksdb::Slice k = it->key();
    std::string_view key(k.data(), k.size());
    if (key.size() != kRollupKeySize) {
      return Status::Corruption(cf->GetName() + ": series " + std::to_string(series) + ": key of " +
                                std::to_string(key.size()) + " bytes");
    }
    int64_t bucket = rollup_key_bucket(key);
    rocksdb::Slice v = it->value();
    if (!decode_rollup(std::string_view(v.data(), v.size()), value, parts)) {
      return Status::Corruption(cf->GetName() + ": series " + std::to_string(series) + " bucket " +
                                std::to_string(bucket) + ": undecodable rollup of " + std::to_string(v.size()) +
                                " bytes");
    }
    visit(bucket, value);
  }
  if (it->status().ok()) return Status::OK();
  return from_rocksdb(it->status(), cf->GetName() + ": scan series " + std::to_string(series));
}

}  // namespace sloguard::store
