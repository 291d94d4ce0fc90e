// Retention for the rollup column families, enforced by compaction: a bucket whose end
// (bucket_start + bucket length) is at or before now - retention is dropped, whether it is
// a value or a merge operand. "now" is read from the clock once per compaction.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <rocksdb/compaction_filter.h>

#include "sloguard/common/clock.h"
#include "sloguard/store/store.h"

namespace sloguard::store {

// clock must outlive every DB that uses the factory.
std::shared_ptr<rocksdb::CompactionFilterFactory> make_retention_filter_factory(const Clock& clock,
                                                                                int64_t retention_ms,
                                                                                int64_t bucket_seconds);

// Retention for the state column family: entries of each rule's prefix whose key time is
// at or before now - retention are dropped; every other entry is kept.
std::shared_ptr<rocksdb::CompactionFilterFactory> make_state_retention_filter_factory(
    const Clock& clock, std::vector<StateRetention> rules);

}  // namespace sloguard::store
