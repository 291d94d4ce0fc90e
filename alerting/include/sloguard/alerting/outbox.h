// The durable outbox: every notification is stored before it is sent, retried with
// exponential backoff and jitter on network errors, 429 and 5xx (honouring Retry-After),
// removed once delivered, and kept as a dead letter when a provider refuses it or it is
// older than max_age. Per notifier, notifications are sent in the order they were queued.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sloguard/alerting/notification.h"
#include "sloguard/common/background.h"
#include "sloguard/common/clock.h"
#include "sloguard/config/alerting.h"
#include "sloguard/store/store.h"

namespace sloguard::alerting {

struct OutboxEntry {
  uint64_t seq = 0;          // queue order
  std::string notifier;
  Notification notification;
  int attempts = 0;
  int64_t next_attempt_ms = 0;
  std::string last_error;    // why the last attempt did not deliver (never a secret)
  int last_status = 0;       // HTTP status of the last attempt; 0 for network errors
  int64_t dead_at_ms = 0;    // dead letters: when it was given up
};

std::string to_json(const OutboxEntry& e);
Result<OutboxEntry> outbox_entry_from_json(const std::string& json);

// Thread-safe; deliver_due() calls are serialized.
class Outbox {
 public:
  Outbox(store::Store* store, const Clock& clock) : store_(store), clock_(clock) {}
  // Reads the stored queue and dead letters (after a restart).
  Status load();
  // A new entry for `notifier` and the state write that stores it; the caller writes it (in
  // one batch with the alert state that caused it) and then calls added().
  store::Store::StateWrite prepare(const std::string& notifier, Notification n);
  // After the caller's write: written = true makes the prepared entries visible to
  // deliver_due(); false drops them.
  void commit_prepared(bool written);
  // prepare(), write and commit_prepared() in one call for notifications that are not written
  // together with other state (release verdicts, rollback hook results), independent of
  // entries another thread has prepared meanwhile. Items whose (notifier, id) is already
  // queued or a dead letter are skipped, so a repeated call never sends twice. On a store
  // error nothing is queued.
  Status enqueue(const std::vector<std::pair<std::string, Notification>>& items);
  // Tries every due entry, oldest first per notifier, stopping at a notifier's first entry
  // that is not delivered. Returns how many were delivered.
  size_t deliver_due(const std::map<std::string, Notifier*>& notifiers, const config::AlertingConfig& cfg);
  std::vector<OutboxEntry> pending() const;
  std::vector<OutboxEntry> dead_letters() const;
  std::map<std::string, size_t> dead_letter_counts() const;  // by notifier
  // Called once per attempt with the notifier's name and "delivered", "retried" or "failed".
  void set_observer(std::function<void(const std::string&, const char*)> observer);
  // Told of an exception escaping a notifier's deliver(); that attempt counts as one to retry
  // with backoff, and the round goes on with the next notifier. Set before deliveries start.
  void set_error_reporter(InternalErrorReporter report) { report_ = std::move(report); }
  Status prune_dead_letters(int64_t now_ms, int64_t retention_ms);

 private:
  Status persist(const std::vector<store::Store::StateWrite>& writes);

  store::Store* store_;
  const Clock& clock_;
  mutable std::mutex mu_;
  std::mutex deliver_mu_;
  uint64_t next_seq_ = 1;
  std::map<uint64_t, OutboxEntry> prepared_;
  std::map<uint64_t, OutboxEntry> queue_;  // by seq
  std::map<uint64_t, OutboxEntry> dead_;
  std::function<void(const std::string&, const char*)> observer_;
  InternalErrorReporter report_;
};

}  // namespace sloguard::alerting
