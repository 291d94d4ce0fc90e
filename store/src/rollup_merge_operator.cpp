#include "rollup_merge_operator.h"

#include <string>

#include "key_codec.h"
#include "sloguard/common/log.h"
#include "sloguard/store/rollup.h"

namespace sloguard::store {
namespace {

std::string describe_key(const rocksdb::Slice& key) {
  if (key.size() != kRollupKeySize) return "key of " + std::to_string(key.size()) + " bytes";
  std::string_view k(key.data(), key.size());
  return "series " + std::to_string(rollup_key_series(k)) + " bucket " + std::to_string(rollup_key_bucket(k));
}

// Per-thread scratch objects: merges run on RocksDB's background and reader threads, and
// after warm-up a merge allocates nothing but its result.
struct Scratch {
  Rollup sum;
  Rollup operand;
};

Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

void add_operand(const rocksdb::Slice& key, const rocksdb::Slice& value, const char* what, Scratch& s) {
  if (decode_rollup(std::string_view(value.data(), value.size()), s.operand)) {
    s.sum.merge(s.operand);
  } else {
    log::error("dropping undecodable rollup during merge",
               {{"what", what}, {"key", describe_key(key)}, {"bytes", std::to_string(value.size())}});
  }
}

class RollupMergeOperator final : public rocksdb::MergeOperator {
 public:
  const char* Name() const override { return "sloguard.RollupMerge.v1"; }

  bool FullMergeV2(const MergeOperationInput& in, MergeOperationOutput* out) const override {
    Scratch& s = scratch();
    // A lone operand without a base (every key read from above the bottommost level) is
    // its own result: hand it back as is instead of re-encoding it.
    if (!in.existing_value && in.operand_list.size() == 1) {
      const rocksdb::Slice& only = in.operand_list.front();
      if (decode_rollup(std::string_view(only.data(), only.size()), s.operand)) {
        out->existing_operand = only;
        return true;
      }
    }
    s.sum.clear();
    if (in.existing_value) add_operand(in.key, *in.existing_value, "value", s);
    for (const rocksdb::Slice& op : in.operand_list) add_operand(in.key, op, "operand", s);
    out->new_value.clear();
    encode_rollup(s.sum, out->new_value);
    return true;
  }

  bool PartialMergeMulti(const rocksdb::Slice& key, const std::deque<rocksdb::Slice>& operands,
                         std::string* new_value, rocksdb::Logger* /*logger*/) const override {
    Scratch& s = scratch();
    s.sum.clear();
    for (const rocksdb::Slice& op : operands) add_operand(key, op, "operand", s);
    new_value->clear();
    encode_rollup(s.sum, *new_value);
    return true;
  }

  bool PartialMerge(const rocksdb::Slice& key, const rocksdb::Slice& left, const rocksdb::Slice& right,
                    std::string* new_value, rocksdb::Logger* logger) const override {
    return PartialMergeMulti(key, std::deque<rocksdb::Slice>{left, right}, new_value, logger);
  }
};

}  // namespace

std::shared_ptr<rocksdb::MergeOperator> make_rollup_merge_operator() {
  return std::make_shared<RollupMergeOperator>();
}

}  // namespace sloguard::store
