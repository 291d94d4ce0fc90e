// Fills a store with a long rollback hook audit log, as RollbackJobs writes it ("audit/<ms>-<seq>"),
// for tests and benchmarks of reads that must not depend on its length.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "sloguard/hooks/rollback.h"
#include "sloguard/store/store.h"

namespace sloguard::testing {

// n entries one second apart, the last at last_ms, alternating "search" (odd) and "checkout".
inline Status write_audit_log(store::Store& store, int n, int64_t last_ms) {
  std::vector<store::Store::StateWrite> batch;
  for (int i = 0; i < n; ++i) {
    hooks::AuditEntry e;
    e.at_ms = last_ms - (n - 1 - i) * 1000LL;
    char id[48];
    std::snprintf(id, sizeof id, "%016lld-%06d", static_cast<long long>(e.at_ms), i % 1000000);
    e.id = id;
    e.service = i % 2 ? "search" : "checkout";
    e.hook = "notify";
    e.result = "succeeded";
    batch.push_back({"audit/" + e.id, hooks::to_json(e)});
    if (batch.size() == 5000 || i + 1 == n) {
      if (Status s = store.write_state(batch); !s.ok()) return s;
      batch.clear();
    }
  }
  return Status::OK();
}

}  // namespace sloguard::testing
