// The merge operator of the rollup column families: decodes the base value and every
// operand, adds the counts (Rollup::merge, oldest to newest) and encodes the sum. A value or
// operand that does not decode is logged and skipped, never fatal: a merge that returned
// false would put RocksDB into a background-error state and stop all writes.
#pragma once

#include <memory>

#include <rocksdb/merge_operator.h>

namespace sloguard::store {

std::shared_ptr<rocksdb::MergeOperator> make_rollup_merge_operator();

}  // namespace sloguard::store
