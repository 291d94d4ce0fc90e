// White-box tests of the store's RocksDB pieces: the merge operator and the retention filter
// directly, and what the store does with bytes it did not write.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include <rocksdb/db.h>

#include "../../../store/src/key_codec.h"
#include "../../../store/src/retention_filter.h"
#include "../../../store/src/rollup_merge_operator.h"
#include "store_fixture.h"

using namespace sloguard;
using namespace sloguard::store;
using sloguard::store::testing::counts;
using sloguard::store::testing::kT0;
using sloguard::store::testing::StoreFixture;

namespace {

std::string wire(const Rollup& r) {
  std::string s;
  encode_rollup(r, s);
  return s;
}

Rollup full_merge(const rocksdb::MergeOperator& op, const std::string* existing, const std::vector<std::string>& operands) {
  RollupKey key(1, kT0);
  rocksdb::Slice k(key.bytes, kRollupKeySize);
  rocksdb::Slice base = existing ? rocksdb::Slice(*existing) : rocksdb::Slice();
  std::vector<rocksdb::Slice> ops(operands.begin(), operands.end());
  std::string out;
  rocksdb::Slice existing_operand(nullptr, 0);  // as RocksDB's MergeHelper passes it
  rocksdb::MergeOperator::MergeOperationOutput merge_out(out, existing_operand);
  REQUIRE(op.FullMergeV2(rocksdb::MergeOperator::MergeOperationInput(k, existing ? &base : nullptr, ops, nullptr),
                         &merge_out));
  // The operator may answer with one of its inputs instead of a new value.
  std::string_view result = existing_operand.data() ? std::string_view(existing_operand.data(), existing_operand.size())
                                                    : std::string_view(out);
  Rollup r;
  REQUIRE(decode_rollup(result, r));
  return r;
}

}  // namespace

TEST_CASE("merge operator adds counts and skips undecodable operands", "[store][merge]") {
  auto op = make_rollup_merge_operator();
  std::string base = wire(counts({{200, 5}}));
  std::string garbage("\x01\x01\x09\xff", 4);

  REQUIRE(full_merge(*op, &base, {wire(counts({{500, 1}})), wire(counts({{200, 2}}))}) ==
          counts({{200, 7}, {500, 1}}));
  REQUIRE(full_merge(*op, nullptr, {wire(counts({{404, 1}}))}) == counts({{404, 1}}));
  // A corrupt operand is dropped; the base value and the other operands are kept.
  REQUIRE(full_merge(*op, &base, {garbage, wire(counts({{200, 1}}))}) == counts({{200, 6}}));
  // A corrupt base value is dropped; the operands are kept.
  REQUIRE(full_merge(*op, &garbage, {wire(counts({{503, 2}}))}) == counts({{503, 2}}));
  REQUIRE(full_merge(*op, &garbage, {std::string()}) == Rollup{});

  std::string partial;
  RollupKey key(1, kT0);
  REQUIRE(op->PartialMergeMulti(rocksdb::Slice(key.bytes, kRollupKeySize),
                                {wire(counts({{200, 1}})), garbage, wire(counts({{200, 2}, {500, 1}}))}, &partial,
                                nullptr));
  Rollup r;
  REQUIRE(decode_rollup(partial, r));
  REQUIRE(r == counts({{200, 3}, {500, 1}}));
}

TEST_CASE("retention filter drops exactly the buckets that end at or before now - retention", "[store][retention]") {
  ManualClock clock;
  auto filter_at = [&](int64_t now_ms, int64_t retention_ms, int64_t bucket_seconds) {
    clock.set_ms(now_ms);
    return make_retention_filter_factory(clock, retention_ms, bucket_seconds)
        ->CreateCompactionFilter(rocksdb::CompactionFilter::Context{});
  };
  auto removed = [](const rocksdb::CompactionFilter& f, int64_t bucket,
                    rocksdb::CompactionFilter::ValueType type = rocksdb::CompactionFilter::ValueType::kValue) {
    RollupKey key(7, bucket);
    std::string new_value, skip_until;
    return f.FilterV2(1, rocksdb::Slice(key.bytes, kRollupKeySize), type, rocksdb::Slice(), &new_value,
                      &skip_until) == rocksdb::CompactionFilter::Decision::kRemove;
  };
  // now - retention = kT0 + 0.5 s: the minute [kT0 - 60, kT0) ended before it, [kT0 - 59..) did not.
  auto minute = filter_at((kT0 + 86400) * 1000 + 500, 86400 * 1000, 60);
  REQUIRE(removed(*minute, kT0 - 120));
  REQUIRE(removed(*minute, kT0 - 60));
  REQUIRE(removed(*minute, kT0 - 60, rocksdb::CompactionFilter::ValueType::kMergeOperand));
  REQUIRE_FALSE(removed(*minute, kT0));
  REQUIRE_FALSE(removed(*minute, kT0, rocksdb::CompactionFilter::ValueType::kMergeOperand));

  auto hour = filter_at((kT0 + 86400) * 1000, 86400 * 1000, 3600);
  REQUIRE(removed(*hour, kT0 - 3600));
  REQUIRE_FALSE(removed(*hour, kT0 - 3540));
  REQUIRE_FALSE(removed(*hour, kT0));

  // A clock before the epoch + retention removes nothing.
  auto early = filter_at(1000, 86400 * 1000, 60);
  REQUIRE_FALSE(removed(*early, 0));
}

TEST_CASE_METHOD(StoreFixture, "the store survives bytes it did not write", "[store][corruption]") {
  SeriesId s = store().ensure_series({{"service", "checkout"}}).value();
  REQUIRE(store().write_rollups({{s, kT0, counts({{200, 1}})}}).ok());
  store_.reset();

  {  // Write a corrupt merge operand and a corrupt value behind the store's back.
    rocksdb::ColumnFamilyOptions rollup_cf;
    rollup_cf.merge_operator = make_rollup_merge_operator();
    std::vector<rocksdb::ColumnFamilyDescriptor> families = {{rocksdb::kDefaultColumnFamilyName, {}},
                                                             {"rollup_1m", rollup_cf},
                                                             {"rollup_1h", rollup_cf},
                                                             {"rollup_1d", rollup_cf},
                                                             {"raw", {}},
                                                             {"state", {}}};
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    REQUIRE(rocksdb::DB::Open(rocksdb::DBOptions(), dir_.str(), families, &handles, &db).ok());
    RollupKey merged(s, kT0);
    RollupKey broken(s, kT0 + 60);
    REQUIRE(db->Merge({}, handles[1], rocksdb::Slice(merged.bytes, 16), "\x01\x01\x7f").ok());
    REQUIRE(db->Merge({}, handles[1], rocksdb::Slice(merged.bytes, 16), wire(counts({{500, 2}}))).ok());
    REQUIRE(db->Put({}, handles[1], rocksdb::Slice(broken.bytes, 16), "garbage").ok());
    for (auto* h : handles) REQUIRE(db->DestroyColumnFamilyHandle(h).ok());
    delete db;
  }
  reopen();

  REQUIRE(read(s, Resolution::kMinute, kT0, kT0 + 60) ==
          std::map<int64_t, Rollup>{{kT0, counts({{200, 1}, {500, 2}})}});
  Status st = store().scan(s, Resolution::kMinute, kT0, kT0 + 3600, [](int64_t, const Rollup&) {});
  REQUIRE(st.code() == Status::Code::kCorruption);
  INFO(st.to_string());
  REQUIRE(st.message().find("series " + std::to_string(s) + " bucket " + std::to_string(kT0 + 60)) !=
          std::string::npos);
  // Compaction merges around the corrupt operand instead of failing.
  REQUIRE(store().compact().ok());
  REQUIRE(store().write_rollups({{s, kT0, counts({{200, 1}})}}).ok());
  REQUIRE(read(s, Resolution::kMinute, kT0, kT0 + 60)[kT0] == counts({{200, 2}, {500, 2}}));
}
