// A store::Store that forwards every call to a real store: tests derive from it and override
// the calls they make fail or throw.
#pragma once

#include <memory>
#include <utility>
#include <vector>

#include "sloguard/store/store.h"

namespace sloguard::testing {

class ForwardingStore : public store::Store {
 public:
  explicit ForwardingStore(std::unique_ptr<store::Store> s) : s_(std::move(s)) {}
  Result<store::SeriesId> ensure_series(const store::Labels& l) override { return s_->ensure_series(l); }
  std::vector<store::SeriesInfo> find_series(std::string_view k, std::string_view v) const override {
    return s_->find_series(k, v);
  }
  std::optional<store::SeriesId> lookup_series(const store::Labels& l) const override { return s_->lookup_series(l); }
  Status write_rollups(const std::vector<store::RollupDelta>& d) override { return s_->write_rollups(d); }
  using Store::scan;
  Status scan(store::SeriesId id, store::Resolution r, int64_t from, int64_t to, store::RollupParts p,
              const Visitor& v) const override {
    return s_->scan(id, r, from, to, p, v);
  }
  Status put_state(std::string_view k, std::string_view v) override { return s_->put_state(k, v); }
  Result<std::optional<std::string>> get_state(std::string_view k) const override { return s_->get_state(k); }
  Status delete_state(std::string_view k) override { return s_->delete_state(k); }
  Status write_state(const std::vector<StateWrite>& w) override { return s_->write_state(w); }
  Status write(const std::vector<store::RollupDelta>& d, const std::vector<StateWrite>& w) override {
    return s_->write(d, w);
  }
  Status scan_state(std::string_view p,
                    const std::function<void(std::string_view, std::string_view)>& v) const override {
    return s_->scan_state(p, v);
  }
  Status flush() override { return s_->flush(); }
  Status compact() override { return s_->compact(); }

 private:
  std::unique_ptr<store::Store> s_;
};

}  // namespace sloguard::testing
