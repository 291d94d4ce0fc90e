// How the store configures RocksDB: names and options of its column families.
#pragma once

#include <string>
#include <vector>

#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include "sloguard/store/store.h"

namespace sloguard::store {

inline constexpr const char* kMinuteCf = "rollup_1m";
inline constexpr const char* kHourCf = "rollup_1h";
inline constexpr const char* kDayCf = "rollup_1d";
inline constexpr const char* kRawCf = "raw";
inline constexpr const char* kStateCf = "state";

struct DbLayout {
  rocksdb::DBOptions db;
  // default, rollup_1m, rollup_1h, rollup_1d, raw, state, in that order.
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  // Options for column families found on disk that this binary does not know (opened, unused).
  rocksdb::ColumnFamilyOptions unknown_family;
};

// options.clock must outlive the DB opened with the result.
DbLayout make_db_layout(const StoreOptions& options);

}  // namespace sloguard::store
