#include "rocksdb_store.h"

#include <algorithm>
#include <filesystem>
#include <string>
#include <system_error>

#include "rocksdb_options.h"
#include "rocksdb_status.h"
#include "sloguard/common/log.h"

namespace sloguard::store {

Result<std::unique_ptr<Store>> open_rocksdb_store(const StoreOptions& options) { return RocksDbStore::open(options); }

Result<std::unique_ptr<Store>> RocksDbStore::open(const StoreOptions& options) {
  if (options.path.empty()) return Status::InvalidArgument("store path must not be empty");
  if (options.retention_ms <= 0) return Status::InvalidArgument("store retention must be positive");
  if (options.clock == nullptr) return Status::InvalidArgument("store clock must not be null");
  for (const auto& r : options.state_retention) {
    if (r.prefix.empty() || r.retention_ms <= 0) {
      return Status::InvalidArgument("state retention needs a prefix and a positive retention (prefix \"" + r.prefix + "\")");
    }
  }

  std::error_code ec;
  std::filesystem::create_directories(options.path, ec);
  if (ec) return Status::IOError("open store at " + options.path + ": " + ec.message());

  DbLayout layout = make_db_layout(options);
  // Column families created by a newer binary are opened too (RocksDB refuses otherwise).
  std::vector<std::string> existing;
  if (rocksdb::DB::ListColumnFamilies(layout.db, options.path, &existing).ok()) {
    for (const std::string& name : existing) {
      auto known = std::find_if(layout.families.begin(), layout.families.end(),
                                [&](const auto& f) { return f.name == name; });
      if (known == layout.families.end()) layout.families.emplace_back(name, layout.unknown_family);
    }
  }

  std::unique_ptr<RocksDbStore> store(new RocksDbStore(options));
  rocksdb::DB* raw_db = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(layout.db, options.path, layout.families, &store->handles_, &raw_db);
  if (!s.ok()) {
    std::string msg = "open store at " + options.path + ": " + s.ToString();
    return s.IsCorruption() ? Status::Corruption(std::move(msg)) : Status::IOError(std::move(msg));
  }
  store->db_.reset(raw_db);
  store->minute_cf_ = store->handles_[1];
  store->hour_cf_ = store->handles_[2];
  store->day_cf_ = store->handles_[3];
  store->state_cf_ = store->handles_[5];

  store->series_ = std::make_unique<SeriesDictionary>(raw_db, store->state_cf_, options.max_series_per_service);
  if (Status st = store->series_->load(); !st.ok()) return st;
  log::info("store opened", {{"path", options.path}, {"series", std::to_string(store->series_->size())}});
  return std::unique_ptr<Store>(std::move(store));
}

RocksDbStore::~RocksDbStore() {
  series_.reset();
  if (!db_) return;
  for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
  handles_.clear();
  // Waits for background flushes and compactions; unflushed data is safe in the WAL.
  if (rocksdb::Status s = db_->Close(); !s.ok()) {
    log::warn("store close failed", {{"path", options_.path}, {"error", s.ToString()}});
  }
  db_.reset();
}

Status RocksDbStore::flush() {
  rocksdb::FlushOptions fo;
  fo.wait = true;
  return from_rocksdb(db_->Flush(fo, handles_), "flush store at " + options_.path);
}

Status RocksDbStore::compact() {
  rocksdb::CompactRangeOptions co;
  // Rewrite the last level too, so the retention filter sees every key.
  co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  for (auto* h : handles_) {
    rocksdb::Status s = db_->CompactRange(co, h, nullptr, nullptr);
    if (!s.ok()) return from_rocksdb(s, "compact " + h->GetName() + " at " + options_.path);
  }
  return Status::OK();
}

}  // namespace sloguard::store
