// RocksDbStore: the state table.
#include <memory>
#include <string>

#include <rocksdb/iterator.h>
#include <rocksdb/write_batch.h>

#include "key_codec.h"
#include "rocksdb_status.h"
#include "rocksdb_store.h"

namespace sloguard::store {
namespace {

bool is_internal(std::string_view key) { return key.starts_with(kSeriesKeyPrefix) || key.starts_with(kMetaKeyPrefix); }

Status check_key(std::string_view key) {
  if (key.empty()) return Status::InvalidArgument("state key must not be empty");
  if (is_internal(key)) {
    return Status::InvalidArgument("state key \"" + std::string(key) +
                                   "\" is reserved (keys starting with series/ and meta/ are internal)");
  }
  return Status::OK();
}

rocksdb::Slice slice(std::string_view s) { return {s.data(), s.size()}; }

}  // namespace

Status RocksDbStore::put_state(std::string_view key, std::string_view value) {
  if (Status s = check_key(key); !s.ok()) return s;
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync_writes;
  rocksdb::Status s = db_->Put(wo, state_cf_, slice(key), slice(value));
  return s.ok() ? Status::OK() : from_rocksdb(s, "put state " + std::string(key));
}

Result<std::optional<std::string>> RocksDbStore::get_state(std::string_view key) const {
  if (Status s = check_key(key); !s.ok()) return s;
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), state_cf_, slice(key), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return from_rocksdb(s, "get state " + std::string(key));
  return std::optional<std::string>(std::move(value));
}

Status RocksDbStore::delete_state(std::string_view key) {
  if (Status s = check_key(key); !s.ok()) return s;
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync_writes;
  rocksdb::Status s = db_->Delete(wo, state_cf_, slice(key));
  return s.ok() ? Status::OK() : from_rocksdb(s, "delete state " + std::string(key));
}

Status RocksDbStore::add_state(const std::vector<StateWrite>& writes, rocksdb::WriteBatch& batch) const {
  for (const auto& w : writes) {
    if (Status s = check_key(w.key); !s.ok()) return s;
    rocksdb::Status s = w.value ? batch.Put(state_cf_, slice(w.key), slice(*w.value)) : batch.Delete(state_cf_, slice(w.key));
    if (!s.ok()) return from_rocksdb(s, "state batch");
  }
  return Status::OK();
}

Status RocksDbStore::write_state(const std::vector<StateWrite>& writes) {
  rocksdb::WriteBatch batch;
  if (Status s = add_state(writes, batch); !s.ok()) return s;
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync_writes;
  rocksdb::Status s = db_->Write(wo, &batch);
  return s.ok() ? Status::OK() : from_rocksdb(s, "write state batch");
}

Status RocksDbStore::scan_state(std::string_view prefix,
                                const std::function<void(std::string_view key, std::string_view value)>& visit) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), state_cf_));
  it->Seek(slice(prefix));
  while (it->Valid()) {
    std::string_view key(it->key().data(), it->key().size());
    if (!key.starts_with(prefix)) break;
    if (is_internal(key)) {
      // Jump over the whole internal namespace ("series/..." < "series0").
      std::string past(key.starts_with(kSeriesKeyPrefix) ? kSeriesKeyPrefix : kMetaKeyPrefix);
      past.back() = '/' + 1;
      it->Seek(past);
      continue;
    }
    visit(key, std::string_view(it->value().data(), it->value().size()));
    it->Next();
  }
  return it->status().ok() ? Status::OK() : from_rocksdb(it->status(), "scan state " + std::string(prefix));
}

Status RocksDbStore::scan_state_backward(std::string_view prefix, const StateVisitorWhile& visit) const {
  if (prefix.empty()) return Status::InvalidArgument("scan_state_backward needs a prefix");
  // The first key past the prefix is the prefix with its last byte incremented (no 0xff
  // prefixes here: every prefix is a name ending in '/').
  std::string upper(prefix);
  upper.back() = static_cast<char>(static_cast<unsigned char>(upper.back()) + 1);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, state_cf_));
  for (it->SeekToLast(); it->Valid(); it->Prev()) {
    std::string_view key(it->key().data(), it->key().size());
    if (!key.starts_with(prefix)) break;
    if (is_internal(key)) continue;
    if (!visit(key, std::string_view(it->value().data(), it->value().size()))) break;
  }
  return it->status().ok() ? Status::OK() : from_rocksdb(it->status(), "scan state backward " + std::string(prefix));
}

}  // namespace sloguard::store
