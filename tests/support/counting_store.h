// A Store that forwards to another and counts the state entries it hands out, so a test can
// check that a read is bounded (how many entries it looked at) without timing anything.
#pragma once

#include <atomic>
#include <cstdint>

#include "sloguard/store/store.h"

namespace sloguard::testing {

class CountingStore final : public store::Store {
 public:
  explicit CountingStore(store::Store& inner) : s_(inner) {}

  // State entries visited by scans (forward and backward) and get_state calls since reset().
  uint64_t visited() const { return visited_; }
  uint64_t gets() const { return gets_; }
  void reset() { visited_ = 0, gets_ = 0; }

  Result<store::SeriesId> ensure_series(const store::Labels& l) override { return s_.ensure_series(l); }
  std::vector<store::SeriesInfo> find_series(std::string_view k, std::string_view v) const override {
    return s_.find_series(k, v);
  }
  std::optional<store::SeriesId> lookup_series(const store::Labels& l) const override { return s_.lookup_series(l); }
  size_t series_count(std::string_view service) const override { return s_.series_count(service); }
  Status write_rollups(const std::vector<store::RollupDelta>& d) override { return s_.write_rollups(d); }
  using store::Store::scan;
  Status scan(store::SeriesId id, store::Resolution r, int64_t from, int64_t to, store::RollupParts p,
              const Visitor& v) const override {
    return s_.scan(id, r, from, to, p, v);
  }
  Status put_state(std::string_view k, std::string_view v) override { return s_.put_state(k, v); }
  Result<std::optional<std::string>> get_state(std::string_view k) const override {
    ++gets_;
    return s_.get_state(k);
  }
  Status delete_state(std::string_view k) override { return s_.delete_state(k); }
  Status write_state(const std::vector<StateWrite>& w) override { return s_.write_state(w); }
  Status write(const std::vector<store::RollupDelta>& d, const std::vector<StateWrite>& w) override {
    return s_.write(d, w);
  }
  Status scan_state(std::string_view prefix,
                    const std::function<void(std::string_view, std::string_view)>& visit) const override {
    return s_.scan_state(prefix, [&](std::string_view k, std::string_view v) {
      ++visited_;
      visit(k, v);
    });
  }
  Status scan_state_backward(std::string_view prefix, const StateVisitorWhile& visit) const override {
    return s_.scan_state_backward(prefix, [&](std::string_view k, std::string_view v) {
      ++visited_;
      return visit(k, v);
    });
  }
  Status flush() override { return s_.flush(); }
  Status compact() override { return s_.compact(); }

 private:
  store::Store& s_;
  mutable std::atomic<uint64_t> visited_{0};
  mutable std::atomic<uint64_t> gets_{0};
};

}  // namespace sloguard::testing
