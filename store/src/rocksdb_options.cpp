#include "rocksdb_options.h"

#include <algorithm>
#include <memory>

#include <rocksdb/cache.h>
#include <rocksdb/convenience.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>

#include "key_codec.h"
#include "retention_filter.h"
#include "rollup_merge_operator.h"

namespace sloguard::store {
namespace {

constexpr size_t kMaxSuccessiveMerges = 64;
constexpr size_t kMiB = 1024 * 1024;
constexpr size_t kBlockCacheBytes = 64 * kMiB;
constexpr size_t kRollupWriteBufferBytes = 32 * kMiB;
// The state family takes remote_write's journal (about 50 bytes per remote series per request):
// a memtable big enough that its records are deleted by the next snapshot before they are
// flushed, so they are never written to an SST and compacted.
constexpr size_t kStateWriteBufferBytes = 64 * kMiB;
constexpr uint64_t kPeriodicCompactionSeconds = 86400;  // old files pass the retention filter daily

rocksdb::CompressionType fast_compression() {
  auto supported = rocksdb::GetSupportedCompressions();
  for (auto c : {rocksdb::kLZ4Compression, rocksdb::kSnappyCompression}) {
    if (std::find(supported.begin(), supported.end(), c) != supported.end()) return c;
  }
  return rocksdb::kNoCompression;
}

rocksdb::ColumnFamilyOptions base_family(const std::shared_ptr<rocksdb::Cache>& cache, bool prefix_bloom) {
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  // Rollups are only ever range-scanned within one series: the bloom filter is on the
  // series prefix, and whole keys are not worth filter space.
  table.whole_key_filtering = !prefix_bloom;
  // Larger blocks mean fewer block switches per scan; a block still holds one to a few series.
  table.block_size = 16 * 1024;
  table.format_version = 5;

  rocksdb::ColumnFamilyOptions cf;
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  cf.compression = fast_compression();
  cf.level_compaction_dynamic_level_bytes = true;
  return cf;
}

rocksdb::ColumnFamilyOptions rollup_family(const StoreOptions& options, const std::shared_ptr<rocksdb::Cache>& cache,
                                           Resolution res) {
  rocksdb::ColumnFamilyOptions cf = base_family(cache, /*prefix_bloom=*/true);
  cf.prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(kSeriesPrefixSize));
  cf.memtable_prefix_bloom_size_ratio = 0.02;
  cf.merge_operator = make_rollup_merge_operator();
  cf.compaction_filter_factory = make_retention_filter_factory(*options.clock, options.retention_ms, seconds(res));
  cf.periodic_compaction_seconds = kPeriodicCompactionSeconds;
  cf.write_buffer_size = kRollupWriteBufferBytes;
  // The current minute, hour and day of a busy series get a Merge from every ingest batch.
  // Without a bound, a read of such a key folds every operand since the last flush (tens of
  // thousands at full ingest rate: ~25 ms per evaluation). RocksDB folds them itself once
  // this many pile up in the memtable; the application still only calls Merge.
  cf.max_successive_merges = kMaxSuccessiveMerges;
  return cf;
}

}  // namespace

DbLayout make_db_layout(const StoreOptions& options) {
  auto cache = rocksdb::NewLRUCache(kBlockCacheBytes);

  DbLayout layout;
  layout.db.create_if_missing = true;
  layout.db.create_missing_column_families = true;
  layout.db.max_background_jobs = 4;
  layout.db.bytes_per_sync = 1 * kMiB;
  // All families share the WAL: bound it so a rarely written family cannot pin old logs.
  layout.db.max_total_wal_size = 256 * kMiB;
  layout.db.keep_log_file_num = 5;
  layout.db.max_log_file_size = 16 * kMiB;

  rocksdb::ColumnFamilyOptions state = base_family(cache, /*prefix_bloom=*/false);
  state.write_buffer_size = kStateWriteBufferBytes;
  if (!options.state_retention.empty()) {
    state.compaction_filter_factory = make_state_retention_filter_factory(*options.clock, options.state_retention);
    state.periodic_compaction_seconds = kPeriodicCompactionSeconds;
  }
  rocksdb::ColumnFamilyOptions plain = base_family(cache, /*prefix_bloom=*/false);
  plain.write_buffer_size = kStateWriteBufferBytes;

  layout.families = {
      {rocksdb::kDefaultColumnFamilyName, plain},
      {kMinuteCf, rollup_family(options, cache, Resolution::kMinute)},
      {kHourCf, rollup_family(options, cache, Resolution::kHour)},
      {kDayCf, rollup_family(options, cache, Resolution::kDay)},
      {kRawCf, plain},
      {kStateCf, state},
  };
  layout.unknown_family = plain;
  return layout;
}

}  // namespace sloguard::store
