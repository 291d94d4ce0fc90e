// The durable outbox: "outbox/<seq>" entries until delivered, "deadletter/<seq>" after.
#include "sloguard/alerting/outbox.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "sloguard/common/json_record.h"
#include "sloguard/common/log.h"

namespace sloguard::alerting {

using nlohmann::json;

namespace {

constexpr const char* kQueuePrefix = "outbox/";
constexpr const char* kDeadPrefix = "deadletter/";

std::string seq_key(const char* prefix, uint64_t seq) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%020llu", static_cast<unsigned long long>(seq));
  return prefix + std::string(buf);
}

}  // namespace

std::string to_json(const OutboxEntry& e) {
  json j = {{"seq", e.seq},
            {"notifier", e.notifier},
            {"attempts", e.attempts},
            {"next_attempt_ms", e.next_attempt_ms},
            {"last_error", e.last_error},
            {"last_status", e.last_status},
            {"dead_at_ms", e.dead_at_ms},
            {"notification", json::parse(to_json(e.notification))}};
  return j.dump();
}

Result<OutboxEntry> outbox_entry_from_json(const std::string& text) {
  return decode_record<OutboxEntry>(text, "stored outbox entry", [](const json& j) -> Result<OutboxEntry> {
    OutboxEntry e;
    e.seq = j.at("seq").get<uint64_t>();
    e.notifier = j.at("notifier").get<std::string>();
    e.attempts = j.at("attempts").get<int>();
    e.next_attempt_ms = j.at("next_attempt_ms").get<int64_t>();
    e.last_error = j.at("last_error").get<std::string>();
    e.last_status = j.at("last_status").get<int>();
    e.dead_at_ms = j.at("dead_at_ms").get<int64_t>();
    auto n = notification_from_json(j.at("notification").dump());
    if (!n.ok()) return n.status();
    e.notification = std::move(n).value();
    return e;
  });
}

Status Outbox::load() {
  if (!store_) return Status::OK();
  std::map<uint64_t, OutboxEntry> queue, dead;
  Status bad;
  auto reader = [&](std::map<uint64_t, OutboxEntry>& into) {
    return [&](std::string_view key, std::string_view v) {
      auto e = outbox_entry_from_json(std::string(v));
      if (e.ok()) {
        into[e.value().seq] = std::move(e).value();
      } else {
        bad = Status::Corruption(std::string(key) + ": " + e.status().message());
        log::error("skipping an unreadable outbox entry", {{"key", std::string(key)}, {"error", e.status().message()}});
      }
    };
  };
  if (Status s = store_->scan_state(kQueuePrefix, reader(queue)); !s.ok()) return s;
  if (Status s = store_->scan_state(kDeadPrefix, reader(dead)); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  queue_ = std::move(queue);
  dead_ = std::move(dead);
  uint64_t max_seq = 0;
  if (!queue_.empty()) max_seq = std::max(max_seq, queue_.rbegin()->first);
  if (!dead_.empty()) max_seq = std::max(max_seq, dead_.rbegin()->first);
  next_seq_ = std::max(next_seq_, max_seq + 1);
  return bad;
}

store::Store::StateWrite Outbox::prepare(const std::string& notifier, Notification n) {
  std::lock_guard<std::mutex> lock(mu_);
  OutboxEntry e;
  e.seq = next_seq_++;
  e.notifier = notifier;
  e.next_attempt_ms = n.created_at_ms;
  e.notification = std::move(n);
  store::Store::StateWrite w{seq_key(kQueuePrefix, e.seq), to_json(e)};
  prepared_[e.seq] = std::move(e);
  return w;
}

void Outbox::commit_prepared(bool written) {
  std::lock_guard<std::mutex> lock(mu_);
  if (written) queue_.merge(prepared_);
  prepared_.clear();
}

Status Outbox::enqueue(const std::vector<std::pair<std::string, Notification>>& items) {
  std::vector<store::Store::StateWrite> writes;
  std::map<uint64_t, OutboxEntry> entries;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto known = [&](const std::string& notifier, const std::string& id) {
      for (const auto* m : {&queue_, &prepared_, &dead_, &entries}) {
        for (const auto& [seq, e] : *m) {
          if (e.notifier == notifier && e.notification.id == id) return true;
        }
      }
      return false;
    };
    for (const auto& [notifier, n] : items) {
      if (known(notifier, n.id)) continue;
      OutboxEntry e;
      e.seq = next_seq_++;
      e.notifier = notifier;
      e.next_attempt_ms = n.created_at_ms;
      e.notification = n;
      writes.push_back({seq_key(kQueuePrefix, e.seq), to_json(e)});
      entries[e.seq] = std::move(e);
    }
  }
  if (writes.empty()) return Status::OK();
  if (Status s = persist(writes); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  queue_.merge(entries);
  return Status::OK();
}

void Outbox::set_observer(std::function<void(const std::string&, const char*)> observer) {
  std::lock_guard<std::mutex> lock(mu_);
  observer_ = std::move(observer);
}

Status Outbox::persist(const std::vector<store::Store::StateWrite>& writes) {
  return store_ ? store_->write_state(writes) : Status::OK();
}

size_t Outbox::deliver_due(const std::map<std::string, Notifier*>& notifiers, const config::AlertingConfig& cfg) {
  std::lock_guard<std::mutex> round(deliver_mu_);
  // Per notifier, the queued sequence numbers in order.
  std::map<std::string, std::vector<uint64_t>> order;
  std::function<void(const std::string&, const char*)> observer;
  uint64_t barrier = UINT64_MAX;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [seq, e] : queue_) order[e.notifier].push_back(seq);
    observer = observer_;
    // Entries prepared but not yet written (an alert round in progress) come first in their
    // notifier's order: nothing queued after them goes out before they do.
    if (!prepared_.empty()) barrier = prepared_.begin()->first;
  }
  auto observe = [&](const std::string& n, const char* what) {
    if (observer) observer(n, what);
  };
  size_t delivered = 0;
  for (const auto& [name, seqs] : order) {
    auto nit = notifiers.find(name);
    Notifier* notifier = nit == notifiers.end() ? nullptr : nit->second;
    for (uint64_t seq : seqs) {
      if (seq > barrier) break;
      OutboxEntry e;
      {
        std::lock_guard<std::mutex> lock(mu_);
        auto it = queue_.find(seq);
        if (it == queue_.end()) continue;
        e = it->second;
      }
      const int64_t now = clock_.now_ms();
      auto give_up = [&](const std::string& why) {
        e.dead_at_ms = now;
        e.last_error = why;
        Status s = persist({{seq_key(kQueuePrefix, seq), std::nullopt}, {seq_key(kDeadPrefix, seq), to_json(e)}});
        if (!s.ok()) {
          log::error("outbox: cannot store a dead letter", {{"notifier", name}, {"error", s.to_string()}});
          return false;
        }
        log::warn("notification given up (dead letter)",
                  {{"notifier", name}, {"id", e.notification.id}, {"attempts", std::to_string(e.attempts)}, {"why", why}});
        std::lock_guard<std::mutex> lock(mu_);
        queue_.erase(seq);
        dead_[seq] = e;
        return true;
      };
      const bool too_old = now - e.notification.created_at_ms > cfg.max_age_ms;
      if (!notifier) {
        // Its notifier was removed by a reload: kept until max_age in case it comes back.
        if (too_old && give_up("notifier \"" + name + "\" is not configured")) continue;
        break;
      }
      if (too_old) {
        if (give_up("not delivered within alerting.max_age; last error: " + e.last_error)) continue;
        break;
      }
      if (e.next_attempt_ms > now) break;
      net::Verdict v;
      // A notifier that throws (a bug, an allocation failure) costs one attempt, not the thread.
      if (!run_guarded("outbox", report_, [&] { v = notifier->deliver(e.notification, e.attempts + 1); })) {
        v = net::Verdict{net::Outcome::kRetry, std::nullopt, 0, "internal error while sending (see the log)"};
      }
      ++e.attempts;
      e.last_status = v.http_status;
      if (v.outcome == net::Outcome::kDelivered) {
        if (Status s = persist({{seq_key(kQueuePrefix, seq), std::nullopt}}); !s.ok()) {
          log::error("outbox: cannot remove a delivered notification", {{"notifier", name}, {"error", s.to_string()}});
        }
        {
          std::lock_guard<std::mutex> lock(mu_);
          queue_.erase(seq);
        }
        ++delivered;
        observe(name, "delivered");
        continue;
      }
      if (v.outcome == net::Outcome::kFailed) {
        observe(name, "failed");
        if (give_up("refused: " + v.detail)) continue;
        break;
      }
      // Retry later; later notifications for this notifier wait behind it (order).
      int64_t delay = net::backoff_ms(e.attempts, cfg.retry_initial_ms, cfg.retry_max_ms);
      // Retry-After is honoured, but never past max_age (when the entry is given up anyway).
      if (v.retry_after_ms) delay = std::max(delay, std::min(*v.retry_after_ms, cfg.max_age_ms));
      e.next_attempt_ms = now + delay;
      e.last_error = v.detail;
      observe(name, "retried");
      log::info("notification will be retried", {{"notifier", name},
                                                 {"id", e.notification.id},
                                                 {"attempt", std::to_string(e.attempts)},
                                                 {"in_ms", std::to_string(delay)},
                                                 {"why", v.detail}});
      if (Status s = persist({{seq_key(kQueuePrefix, seq), to_json(e)}}); !s.ok()) {
        log::error("outbox: cannot store a retry", {{"notifier", name}, {"error", s.to_string()}});
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (auto it = queue_.find(seq); it != queue_.end()) it->second = e;
      }
      break;
    }
  }
  return delivered;
}

std::vector<OutboxEntry> Outbox::pending() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<OutboxEntry> out;
  for (const auto& [seq, e] : queue_) out.push_back(e);
  return out;
}

std::vector<OutboxEntry> Outbox::dead_letters() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<OutboxEntry> out;
  for (const auto& [seq, e] : dead_) out.push_back(e);
  return out;
}

std::map<std::string, size_t> Outbox::dead_letter_counts() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::map<std::string, size_t> out;
  for (const auto& [seq, e] : dead_) ++out[e.notifier];
  return out;
}

Status Outbox::prune_dead_letters(int64_t now_ms, int64_t retention_ms) {
  std::vector<store::Store::StateWrite> writes;
  std::vector<uint64_t> drop;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [seq, e] : dead_) {
      if (e.dead_at_ms + retention_ms < now_ms) {
        writes.push_back({seq_key(kDeadPrefix, seq), std::nullopt});
        drop.push_back(seq);
      }
    }
  }
  if (drop.empty()) return Status::OK();
  if (Status s = persist(writes); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  for (uint64_t seq : drop) dead_.erase(seq);
  return Status::OK();
}

}  // namespace sloguard::alerting
