#include "retention_filter.h"

#include <string>
#include <utility>
#include <vector>

#include <rocksdb/slice.h>

#include "key_codec.h"

namespace sloguard::store {
namespace {

class RetentionFilter final : public rocksdb::CompactionFilter {
 public:
  // Buckets with bucket_start < first_kept are dropped.
  explicit RetentionFilter(int64_t first_kept) : first_kept_(first_kept) {}

  const char* Name() const override { return "sloguard.RetentionFilter"; }

  Decision FilterV2(int /*level*/, const rocksdb::Slice& key, ValueType type, const rocksdb::Slice& /*value*/,
                    std::string* /*new_value*/, std::string* /*skip_until*/) const override {
    if (type == ValueType::kBlobIndex || key.size() != kRollupKeySize) return Decision::kKeep;
    return rollup_key_bucket(std::string_view(key.data(), key.size())) < first_kept_ ? Decision::kRemove
                                                                                        : Decision::kKeep;
  }

 private:
  int64_t first_kept_;
};

class RetentionFilterFactory final : public rocksdb::CompactionFilterFactory {
 public:
  RetentionFilterFactory(const Clock& clock, int64_t retention_ms, int64_t bucket_seconds)
      : clock_(clock), retention_ms_(retention_ms), bucket_seconds_(bucket_seconds) {}

  const char* Name() const override { return "sloguard.RetentionFilterFactory"; }

  std::unique_ptr<rocksdb::CompactionFilter> CreateCompactionFilter(
      const rocksdb::CompactionFilter::Context& /*context*/) override {
    // Dropped when bucket_start + bucket_seconds <= cutoff, i.e. bucket_start < cutoff - bucket + 1.
    // Keys hold non-negative times, so a cutoff before the epoch keeps everything.
    int64_t cutoff_s = floor_div(clock_.now_ms() - retention_ms_, 1000);
    return std::make_unique<RetentionFilter>(cutoff_s - bucket_seconds_ + 1);
  }

 private:
  static int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

  const Clock& clock_;
  int64_t retention_ms_;
  int64_t bucket_seconds_;
};

class StateRetentionFilter final : public rocksdb::CompactionFilter {
 public:
  // cutoffs: (prefix, first kept ms) per rule.
  explicit StateRetentionFilter(std::vector<std::pair<std::string, int64_t>> cutoffs) : cutoffs_(std::move(cutoffs)) {}

  const char* Name() const override { return "sloguard.StateRetentionFilter"; }

  Decision FilterV2(int /*level*/, const rocksdb::Slice& key, ValueType type, const rocksdb::Slice& /*value*/,
                    std::string* /*new_value*/, std::string* /*skip_until*/) const override {
    if (type != ValueType::kValue) return Decision::kKeep;
    std::string_view k(key.data(), key.size());
    for (const auto& [prefix, first_kept] : cutoffs_) {
      if (!k.starts_with(prefix)) continue;
      int64_t ms = 0;
      size_t digits = 0;
      for (size_t i = prefix.size(); i < k.size() && digits < 18 && k[i] >= '0' && k[i] <= '9'; ++i, ++digits) {
        ms = ms * 10 + (k[i] - '0');
      }
      return digits > 0 && ms < first_kept ? Decision::kRemove : Decision::kKeep;
    }
    return Decision::kKeep;
  }

 private:
  std::vector<std::pair<std::string, int64_t>> cutoffs_;
};

class StateRetentionFilterFactory final : public rocksdb::CompactionFilterFactory {
 public:
  StateRetentionFilterFactory(const Clock& clock, std::vector<StateRetention> rules)
      : clock_(clock), rules_(std::move(rules)) {}

  const char* Name() const override { return "sloguard.StateRetentionFilterFactory"; }

  std::unique_ptr<rocksdb::CompactionFilter> CreateCompactionFilter(
      const rocksdb::CompactionFilter::Context& /*context*/) override {
    std::vector<std::pair<std::string, int64_t>> cutoffs;
    const int64_t now = clock_.now_ms();
    for (const auto& r : rules_) cutoffs.emplace_back(r.prefix, now - r.retention_ms + 1);
    return std::make_unique<StateRetentionFilter>(std::move(cutoffs));
  }

 private:
  const Clock& clock_;
  std::vector<StateRetention> rules_;
};

}  // namespace

std::shared_ptr<rocksdb::CompactionFilterFactory> make_state_retention_filter_factory(
    const Clock& clock, std::vector<StateRetention> rules) {
  return std::make_shared<StateRetentionFilterFactory>(clock, std::move(rules));
}

std::shared_ptr<rocksdb::CompactionFilterFactory> make_retention_filter_factory(const Clock& clock,
                                                                                int64_t retention_ms,
                                                                                int64_t bucket_seconds) {
  return std::make_shared<RetentionFilterFactory>(clock, retention_ms, bucket_seconds);
}

}  // namespace sloguard::store
