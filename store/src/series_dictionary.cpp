#include "series_dictionary.h"

#include <algorithm>
#include <memory>

#include <rocksdb/iterator.h>
#include <rocksdb/write_batch.h>

#include "key_codec.h"
#include "rocksdb_status.h"
#include "sloguard/common/log.h"

namespace sloguard::store {
namespace {

std::string label_index_key(std::string_view key, std::string_view value) {
  std::string k;
  k.reserve(key.size() + 1 + value.size());
  k.append(key);
  k += kLabelKeyValueSep;
  k.append(value);
  return k;
}

}  // namespace

Status SeriesDictionary::load() {
  std::unique_lock lock(mu_);
  SeriesId max_id = 0;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), state_cf_));
  rocksdb::Slice prefix(kSeriesKeyPrefix.data(), kSeriesKeyPrefix.size());
  Labels labels;
  std::string check;
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    std::string_view canonical(it->key().data() + prefix.size(), it->key().size() - prefix.size());
    if (it->value().size() != 8 || !parse_canonical_labels(canonical, labels) ||
        !canonical_labels(labels, check).ok() || check != canonical) {
      return Status::Corruption("series dictionary: malformed entry \"" + it->key().ToString(true) + "\"");
    }
    SeriesId id = get_fixed64_be(it->value().data());
    if (id == 0 || labels_.count(id)) {
      return Status::Corruption("series dictionary: id " + std::to_string(id) + " is invalid or used twice");
    }
    max_id = std::max(max_id, id);
    publish_locked(id, std::string(canonical), std::move(labels));
    labels = Labels();
  }
  if (!it->status().ok()) return from_rocksdb(it->status(), "loading the series dictionary");
  for (auto& [_, ids] : by_label_) std::sort(ids.begin(), ids.end());

  std::string next;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), state_cf_,
                               rocksdb::Slice(kNextSeriesIdKey.data(), kNextSeriesIdKey.size()), &next);
  if (s.ok()) {
    if (next.size() != 8) return Status::Corruption("series dictionary: malformed next_series_id");
    next_id_ = get_fixed64_be(next.data());
  } else if (!s.IsNotFound()) {
    return from_rocksdb(s, "loading the series dictionary");
  }
  // Never hand out an id that is already used, even if the counter lags behind.
  next_id_ = std::max<SeriesId>({next_id_, max_id + 1, 1});
  return Status::OK();
}

Result<SeriesId> SeriesDictionary::ensure(const Labels& labels) {
  std::string canonical;
  if (Status s = canonical_labels(labels, canonical); !s.ok()) return s;
  {
    std::shared_lock lock(mu_);
    if (auto it = ids_.find(canonical); it != ids_.end()) return it->second;
  }
  std::lock_guard create_lock(create_mu_);
  SeriesId id = 0;
  {
    // Another thread may have created it while this one waited for create_mu_.
    std::shared_lock lock(mu_);
    if (auto it = ids_.find(canonical); it != ids_.end()) return it->second;
    if (auto service = labels.find("service"); service != labels.end() && max_per_service_ > 0) {
      auto n = per_service_.find(service->second);
      if (n != per_service_.end() && n->second >= max_per_service_) {
        return Status::ResourceExhausted("service \"" + service->second + "\" has reached " +
                                         std::to_string(max_per_service_) +
                                         " series (storage.max_series_per_service); no new series is created");
      }
    }
    id = next_id_;
  }
  std::string key;
  key.reserve(kSeriesKeyPrefix.size() + canonical.size());
  key.append(kSeriesKeyPrefix).append(canonical);
  rocksdb::WriteBatch batch;
  batch.Put(state_cf_, key, fixed64_be_string(id));
  batch.Put(state_cf_, rocksdb::Slice(kNextSeriesIdKey.data(), kNextSeriesIdKey.size()), fixed64_be_string(id + 1));
  // No fsync: the WAL's order keeps the id safe (see the header).
  rocksdb::WriteOptions wo;
  if (rocksdb::Status s = db_->Write(wo, &batch); !s.ok()) return from_rocksdb(s, "creating a series");

  std::unique_lock lock(mu_);
  next_id_ = id + 1;
  publish_locked(id, std::move(canonical), labels);
  return id;
}

void SeriesDictionary::publish_locked(SeriesId id, std::string canonical, Labels labels) {
  for (const auto& [k, v] : labels) by_label_[label_index_key(k, v)].push_back(id);
  if (auto service = labels.find("service"); service != labels.end()) ++per_service_[service->second];
  ids_.emplace(std::move(canonical), id);
  labels_.emplace(id, std::move(labels));
}

std::optional<SeriesId> SeriesDictionary::lookup(const Labels& labels) const {
  std::string canonical;
  if (!canonical_labels(labels, canonical).ok()) return std::nullopt;
  std::shared_lock lock(mu_);
  if (auto it = ids_.find(canonical); it != ids_.end()) return it->second;
  return std::nullopt;
}

std::vector<SeriesInfo> SeriesDictionary::find(std::string_view key, std::string_view value) const {
  std::string index_key = label_index_key(key, value);
  std::vector<SeriesInfo> out;
  std::shared_lock lock(mu_);
  auto it = by_label_.find(index_key);
  if (it == by_label_.end()) return out;
  out.reserve(it->second.size());
  for (SeriesId id : it->second) out.push_back(SeriesInfo{id, labels_.at(id)});
  return out;
}

size_t SeriesDictionary::count(std::string_view service) const {
  std::shared_lock lock(mu_);
  auto it = per_service_.find(std::string(service));
  return it == per_service_.end() ? 0 : it->second;
}

size_t SeriesDictionary::size() const {
  std::shared_lock lock(mu_);
  return ids_.size();
}

}  // namespace sloguard::store
