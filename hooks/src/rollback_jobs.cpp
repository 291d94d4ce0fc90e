#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <thread>

#include "hook_call.h"
#include "json_codec.h"
#include "sloguard/common/json_record.h"
#include "sloguard/common/log.h"
#include "sloguard/common/units.h"
#include "sloguard/hooks/exec.h"
#include "sloguard/hooks/rollback.h"

namespace sloguard::hooks {
namespace {

using json = nlohmann::json;
using Writes = std::vector<store::Store::StateWrite>;

constexpr std::string_view kJobPrefix = "rbjob/";      // every job, finished or not
constexpr std::string_view kDuePrefix = "rbdue/";      // the unfinished ones: what workers scan
constexpr std::string_view kServicePrefix = "rbsvc/";  // a service's recent rollbacks (cooldown, limit)
constexpr std::string_view kAuditPrefix = "audit/";
constexpr std::string_view kFirstWavePrefix = "hookrun/";  // the first wave's at-most-once records
constexpr size_t kMaxServiceEntries = 1024;  // >= the largest max_per_period the loader takes
// Attempts cut off by a crash are run again beyond the hook's max_attempts, up to this many.
constexpr int kRunsAfterCrash = 3;

bool is_final(const std::string& state) { return state != "pending" && state != "running" && state != "retrying"; }

json job_json(const RollbackJob& j) {
  return {{"hook", j.hook},
          {"service", j.request.service},
          {"state", j.state},
          {"attempts", j.attempts},
          {"created_at_ms", j.created_at_ms},
          {"next_at_ms", j.next_at_ms},
          {"started_at_ms", j.started_at_ms},
          {"message_id", j.message_id},
          {"pgid", j.pgid},
          {"request", detail::request_json(j.request)}};
}

// nullopt (logged) for a record that does not decode: the job is skipped, never run half-read.
std::optional<RollbackJob> parse_job(std::string_view key, std::string_view text) {
  auto job = decode_record<RollbackJob>(text, "rollback job", [&](const json& j) -> Result<RollbackJob> {
    auto num = [&](const char* k) {
      auto it = j.find(k);
      return it != j.end() && it->is_number_integer() ? it->get<int64_t>() : int64_t{0};
    };
    auto str = [&](const char* k) {
      auto it = j.find(k);
      return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    RollbackJob job;
    job.key = std::string(key);
    job.hook = j.at("hook").get<std::string>();
    job.state = j.at("state").get<std::string>();
    job.attempts = static_cast<int>(num("attempts"));
    job.created_at_ms = num("created_at_ms");
    job.next_at_ms = num("next_at_ms");
    job.started_at_ms = num("started_at_ms");
    job.message_id = str("message_id");
    job.pgid = static_cast<int>(num("pgid"));
    job.request = detail::request_from_json(j.at("request"));
    if (job.hook.empty() || job.request.idempotency_key.empty()) {
      return Status::Corruption("no hook or no idempotency key");
    }
    return job;
  });
  if (!job.ok()) {
    log::error("skipping an unreadable rollback job", {{"key", std::string(key)}, {"error", job.status().message()}});
    return std::nullopt;
  }
  return std::move(job).value();
}

std::string job_key(const std::string& idempotency_key, const std::string& hook) {
  return std::string(kJobPrefix) + idempotency_key + "/" + hook;
}
std::string due_key(const std::string& idempotency_key, const std::string& hook) {
  return std::string(kDuePrefix) + idempotency_key + "/" + hook;
}

// A service's rollbacks that called something, oldest first.
struct ServiceRollback {
  std::string key;
  int64_t at_ms = 0;
  std::string reason;
};

std::vector<ServiceRollback> parse_service(std::string_view text) {
  std::vector<ServiceRollback> out;
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("rollbacks") || !j["rollbacks"].is_array()) return out;
  for (const json& e : j["rollbacks"]) {
    if (!e.is_object()) continue;
    ServiceRollback r;
    r.key = e.contains("key") && e["key"].is_string() ? e["key"].get<std::string>() : "";
    r.at_ms = e.contains("at_ms") && e["at_ms"].is_number_integer() ? e["at_ms"].get<int64_t>() : 0;
    r.reason = e.contains("reason") && e["reason"].is_string() ? e["reason"].get<std::string>() : "";
    if (r.key.empty()) continue;
    out.push_back(std::move(r));
  }
  return out;
}

std::string service_record(const std::vector<ServiceRollback>& list) {
  json items = json::array();
  for (const auto& r : list) items.push_back({{"key", r.key}, {"at_ms", r.at_ms}, {"reason", r.reason}});
  return json{{"rollbacks", items}}.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

struct RollbackJobs::Impl {
  Impl(store::Store& s, const Clock& c, net::HttpSender& h) : store(s), clock(c), sender(h) {
    std::random_device rd;
    audit_seq = rd() % 1000000;  // audit ids stay unique across restarts within one millisecond
  }

  enum class Step { kNone, kRan, kStuck };

  store::Store& store;
  const Clock& clock;
  net::HttpSender& sender;

  mutable std::mutex mu;  // claims, the safety decisions and every record write
  std::set<std::string> claimed;                      // job keys being run
  std::multimap<std::string, std::string> in_flight;  // service -> idempotency key being run
  uint64_t audit_seq = 0;

  std::mutex enqueue_mu;
  std::mutex listener_mu;
  HookResultListener listener;
  InternalErrorReporter error_report;  // set before start()

  std::mutex wake_mu;
  std::condition_variable wake_cv;
  bool stopping = false;
  uint64_t wakes = 0;  // wake() calls so far
  std::vector<std::thread> workers;
  std::function<std::shared_ptr<const config::Config>()> config;

  AuditEntry audit_for(const RollbackJob& job, const config::HookConfig* hook) const {
    AuditEntry a;
    a.at_ms = clock.now_ms();
    a.service = job.request.service;
    a.hook = job.hook;
    a.kind = hook ? config::hook_kind_name(hook->kind) : "";
    a.trigger = job.request.trigger;
    a.reason = job.request.reason;
    a.idempotency_key = job.request.idempotency_key;
    a.deployment_id = job.request.deployment_id;
    a.attempts = job.attempts;
    a.message_id = job.message_id;
    if (hook) a.action = detail::hook_action(*hook, job.request);
    return a;
  }

  // Under mu.
  store::Store::StateWrite audit_write(AuditEntry& e) {
    char id[48];
    std::snprintf(id, sizeof id, "%016lld-%06llu", static_cast<long long>(e.at_ms),
                  static_cast<unsigned long long>(++audit_seq % 1000000));
    e.id = id;
    return {std::string(kAuditPrefix) + e.id, to_json(e)};
  }

  void report(const RollbackRequest& req, const AuditEntry& e) {
    log::info("rollback hook", {{"service", e.service}, {"hook", e.hook}, {"result", e.result}, {"detail", e.detail}});
    if (e.result == "retrying" || e.result == "interrupted") return;
    HookResultListener l;
    {
      std::lock_guard<std::mutex> lock(listener_mu);
      l = listener;
    }
    // The result is recorded already: a listener that throws must not make the job run again.
    if (l) run_guarded("hook_worker", error_report, [&] { l(req, e); });
  }

  // Under mu: the next due job no one runs, whose service has no other rollback in flight.
  std::optional<RollbackJob> claim(int64_t now) {
    std::vector<std::string> due;
    Status s = store.scan_state(kDuePrefix, [&](std::string_view key, std::string_view) {
      due.push_back(std::string(kJobPrefix) + std::string(key.substr(kDuePrefix.size())));
    });
    if (!s.ok()) {
      log::error("reading rollback jobs failed", {{"error", s.to_string()}});
      return std::nullopt;
    }
    for (const std::string& key : due) {
      if (claimed.count(key)) continue;
      auto raw = store.get_state(key);
      if (!raw.ok() || !raw->has_value()) continue;
      auto job = parse_job(key, **raw);
      if (!job || is_final(job->state)) continue;
      if (job->state == "retrying" && job->next_at_ms > now) continue;
      auto [b, e] = in_flight.equal_range(job->request.service);
      if (std::any_of(b, e, [&](const auto& kv) { return kv.second != job->request.idempotency_key; })) continue;
      claimed.insert(key);
      in_flight.emplace(job->request.service, job->request.idempotency_key);
      return job;
    }
    return std::nullopt;
  }

  void release(const RollbackJob& job) {
    claimed.erase(job.key);
    auto [b, e] = in_flight.equal_range(job.request.service);
    for (auto it = b; it != e; ++it) {
      if (it->second == job.request.idempotency_key) {
        in_flight.erase(it);
        break;
      }
    }
  }

  // Under mu: why the job's first run must not call anything ("" = go), from the service's
  // rollbacks by other keys.
  std::string safety_skip(const config::RollbackConfig& rb, const RollbackJob& job,
                          const std::vector<ServiceRollback>& recent, int64_t now, std::string& detail) const {
    int64_t last_at = -1;
    std::set<std::string> keys_in_period;
    for (const auto& r : recent) {
      if (r.key == job.request.idempotency_key) continue;
      last_at = std::max(last_at, r.at_ms);
      if (r.at_ms >= now - rb.period_ms) keys_in_period.insert(r.key);
    }
    const std::string& service = job.request.service;
    if (last_at >= 0 && rb.cooldown_ms > 0 && now < last_at + rb.cooldown_ms) {
      detail = "last rollback of " + service + " at " + format_rfc3339(last_at / 1000) + "; cooldown " +
               format_duration_ms(rb.cooldown_ms);
      return "skipped_cooldown";
    }
    if (static_cast<int>(keys_in_period.size()) >= rb.max_per_period) {
      detail = std::to_string(keys_in_period.size()) + " rollbacks of " + service + " in the last " +
               format_duration_ms(rb.period_ms) + " (max_per_period " + std::to_string(rb.max_per_period) + ")";
      return "skipped_limit";
    }
    return {};
  }

  // Ends a job without calling it (unknown hook, safety skip, dry run). Under mu.
  Status finish_without_call(RollbackJob& job, const config::HookConfig* hook, const std::string& result,
                             const std::string& why, Writes writes, AuditEntry& audit) {
    job.state = result;
    audit = audit_for(job, hook);
    audit.result = result;
    audit.detail = why;
    writes.push_back({job.key, job_json(job).dump(-1, ' ', false, json::error_handler_t::replace)});
    writes.push_back({due_key(job.request.idempotency_key, job.hook), std::nullopt});
    writes.push_back(audit_write(audit));
    return store.write_state(writes);
  }

  // One due job, if any. Whatever escapes (a stored record of an unexpected shape, an
  // allocation failure) is logged and the job let go, to be tried again: a worker never dies.
  Step run_one(const config::Config& cfg) {
    std::optional<RollbackJob> current;
    Step step = Step::kStuck;
    if (run_guarded("hook_worker", error_report, [&] { step = run_claimed(cfg, current); })) return step;
    std::lock_guard<std::mutex> lock(mu);
    if (current) release(*current);
    return Step::kStuck;
  }

  Step run_claimed(const config::Config& cfg, std::optional<RollbackJob>& current) {
    std::unique_lock<std::mutex> lock(mu);
    const int64_t now = clock.now_ms();
    auto claimed_job = claim(now);
    if (!claimed_job) return Step::kNone;
    current = *claimed_job;
    RollbackJob job = std::move(*claimed_job);
    const config::HookConfig* hook = cfg.release.find_hook(job.hook);
    Writes writes;
    // A job found "running" was cut off by a crash or a failed write: its call may or may not
    // have happened. It runs again with the same webhook-id.
    const int interrupted_pgid = job.state == "running" ? job.pgid : 0;
    if (job.state == "running") {
      AuditEntry interrupted = audit_for(job, hook);
      interrupted.result = "interrupted";
      interrupted.detail = "attempt " + std::to_string(job.attempts) +
                           " was cut off (sloguard stopped during it); running it again with the same webhook-id";
      writes.push_back(audit_write(interrupted));
      log::warn("rollback hook interrupted", {{"service", job.request.service}, {"hook", job.hook}});
    }
    const std::string svc_key = std::string(kServicePrefix) + job.request.service;
    auto svc_raw = store.get_state(svc_key);
    if (!svc_raw.ok()) {
      release(job);
      current.reset();
      log::error("reading rollback history failed", {{"error", svc_raw.status().to_string()}});
      return Step::kStuck;
    }
    std::vector<ServiceRollback> recent = svc_raw->has_value() ? parse_service(**svc_raw) : std::vector<ServiceRollback>{};
    const bool key_started = std::any_of(recent.begin(), recent.end(), [&](const ServiceRollback& r) {
      return r.key == job.request.idempotency_key;
    });
    std::string result, why;
    if (!hook) {
      result = "failed";
      why = "no hook named \"" + job.hook + "\" in release.hooks";
    } else {
      // Cooldown and limit are decided once per key, by its first job to run.
      if (!key_started && job.attempts == 0) result = safety_skip(cfg.release.rollback, job, recent, now, why);
      if (result.empty() && (cfg.release.rollback.dry_run || hook->dry_run)) {
        // Checked on every attempt: dry run turned on while a job retries stops it calling.
        result = "dry_run";
        why = "dry run: nothing was called";
      } else if (result.empty() && job.state == "running" &&
                 job.attempts >= (hook->kind == config::HookKind::kExec ? 1 : hook->max_attempts) + kRunsAfterCrash) {
        // Cut off again and again (a hook that takes sloguard down?): given up.
        result = "failed";
        why = "interrupted " + std::to_string(job.attempts) + " times; not called again";
      }
    }
    if (!result.empty()) {
      AuditEntry audit;
      Status s = finish_without_call(job, hook, result, why, std::move(writes), audit);
      release(job);
      current.reset();
      lock.unlock();
      if (!s.ok()) {
        log::error("recording a rollback job failed", {{"error", s.to_string()}});
        return Step::kStuck;
      }
      report(job.request, audit);
      return Step::kRan;
    }

    // The attempt is recorded before the call: a crash from here on runs it again.
    ++job.attempts;
    job.state = "running";
    job.pgid = 0;
    if (job.started_at_ms == 0) job.started_at_ms = now;
    writes.push_back({job.key, job_json(job).dump(-1, ' ', false, json::error_handler_t::replace)});
    if (!key_started) {
      recent.push_back({job.request.idempotency_key, now, job.request.reason});
      const int64_t keep_ms = std::max(cfg.release.rollback.period_ms, cfg.release.rollback.cooldown_ms);
      recent.erase(std::remove_if(recent.begin(), recent.end(),
                                  [&](const ServiceRollback& r) { return r.at_ms < now - keep_ms; }),
                   recent.end());
      if (recent.size() > kMaxServiceEntries) recent.erase(recent.begin(), recent.end() - kMaxServiceEntries);
      writes.push_back({svc_key, service_record(recent)});
    }
    if (Status s = store.write_state(writes); !s.ok()) {
      release(job);
      current.reset();
      log::error("recording a rollback attempt failed; not called", {{"error", s.to_string()}});
      return Step::kStuck;
    }
    const config::HookConfig hook_copy = *hook;  // the config may be swapped during the call
    const int stale_pgid = interrupted_pgid;
    lock.unlock();

    // An exec run that the crash left behind is stopped before the job runs again, so two runs
    // of one rollback never overlap.
    if (hook_copy.kind == config::HookKind::kExec && stale_pgid > 0 &&
        stop_stale_exec(stale_pgid, "SLOGUARD_WEBHOOK_ID=" + job.message_id, 5000)) {
      log::warn("stopped an exec hook run left behind by a restart", {{"hook", job.hook}, {"pgid", std::to_string(stale_pgid)}});
    }
    auto record_pgid = [&](int pgid) {
      std::lock_guard<std::mutex> relock(mu);
      job.pgid = pgid;
      if (Status s = store.put_state(job.key, job_json(job).dump(-1, ' ', false, json::error_handler_t::replace));
          !s.ok()) {
        log::warn("recording an exec hook's process group failed", {{"error", s.to_string()}});
      }
    };
    detail::CallOutcome outcome = detail::call_hook(hook_copy, job, clock, sender, record_pgid);

    lock.lock();
    job.state = outcome.state;
    job.next_at_ms = outcome.next_at_ms;
    AuditEntry audit = audit_for(job, &hook_copy);
    audit.result = outcome.state;
    audit.detail = outcome.detail;
    audit.output = outcome.output;
    Writes done{{job.key, job_json(job).dump(-1, ' ', false, json::error_handler_t::replace)}};
    if (is_final(job.state)) done.push_back({due_key(job.request.idempotency_key, job.hook), std::nullopt});
    done.push_back(audit_write(audit));
    Status s = store.write_state(done);
    release(job);
    current.reset();
    lock.unlock();
    if (!s.ok()) {
      // The record still says "running": the job runs again (same webhook-id) once the store
      // takes writes again.
      log::error("recording a rollback result failed", {{"error", s.to_string()}});
      return Step::kStuck;
    }
    report(job.request, audit);
    return Step::kRan;
  }

  void worker_loop() {
    uint64_t seen = 0;  // the wake() generation this worker has looked at
    for (;;) {
      {
        std::lock_guard<std::mutex> lock(wake_mu);
        if (stopping) return;
        seen = wakes;
      }
      std::shared_ptr<const config::Config> cfg;
      run_guarded("hook_worker", error_report, [&] { cfg = config ? config() : nullptr; });
      Step step = cfg ? run_one(*cfg) : Step::kNone;
      if (step == Step::kRan) continue;
      std::unique_lock<std::mutex> lock(wake_mu);
      // Real time: retries are due by the injected clock, and wake() follows every round.
      // A generation rather than a flag, so one wake() reaches every idle worker.
      wake_cv.wait_for(lock, std::chrono::seconds(1), [&] { return stopping || wakes != seen; });
    }
  }
};

RollbackJobs::RollbackJobs(store::Store& store, const Clock& clock, net::HttpSender& sender)
    : impl_(std::make_unique<Impl>(store, clock, sender)) {}

RollbackJobs::~RollbackJobs() { stop(); }

void RollbackJobs::set_error_reporter(InternalErrorReporter report) { impl_->error_report = std::move(report); }

void RollbackJobs::set_result_listener(HookResultListener listener) {
  std::lock_guard<std::mutex> lock(impl_->listener_mu);
  impl_->listener = std::move(listener);
}

Result<JobPlan> RollbackJobs::plan(const RollbackRequest& req) const {
  if (req.idempotency_key.empty()) return Status::InvalidArgument("a rollback needs an idempotency key");
  if (req.service.empty()) return Status::InvalidArgument("a rollback needs a service");
  JobPlan out;
  std::set<std::string> seen;
  for (const std::string& hook : req.hooks) {
    if (!seen.insert(hook).second) continue;
    const std::string key = job_key(req.idempotency_key, hook);
    auto existing = impl_->store.get_state(key);
    if (!existing.ok()) return existing.status();
    // A first-wave run ("hookrun/") of the same key counts too: an upgrade repeats nothing.
    auto first_wave = impl_->store.get_state(std::string(kFirstWavePrefix) + req.idempotency_key + "/" + hook);
    if (!first_wave.ok()) return first_wave.status();
    if (existing->has_value() || first_wave->has_value()) {
      out.runs.push_back({hook, "duplicate", "a job exists for " + req.idempotency_key});
      continue;
    }
    RollbackJob job;
    job.key = key;
    job.hook = hook;
    job.state = "pending";
    job.created_at_ms = impl_->clock.now_ms();
    job.next_at_ms = job.created_at_ms;
    job.message_id = detail::message_id_for(req.idempotency_key, hook);
    job.request = req;
    job.request.hooks.clear();
    out.writes.push_back({key, job_json(job).dump(-1, ' ', false, json::error_handler_t::replace)});
    out.writes.push_back({due_key(req.idempotency_key, hook), "1"});
    out.runs.push_back({hook, "queued", ""});
  }
  return out;
}

Status RollbackJobs::migrate() {
  // First-wave runs still retrying become jobs (same attempts, same webhook-id), so their
  // rollbacks are not lost; the old record stays, marked, for plan()'s duplicate check.
  std::vector<std::pair<std::string, std::string>> retrying;
  Status s = impl_->store.scan_state(kFirstWavePrefix, [&](std::string_view key, std::string_view value) {
    json j = json::parse(value, nullptr, false);
    if (j.is_object() && j.contains("state") && j["state"] == "retrying") retrying.emplace_back(key, value);
  });
  if (!s.ok()) return s;
  for (const auto& [key, value] : retrying) {
    json j = json::parse(value, nullptr, false);
    RollbackJob job;
    job.hook = key.substr(key.rfind('/') + 1);
    job.request = detail::request_from_json(j.contains("request") ? j["request"] : json::object());
    if (job.request.idempotency_key.empty() || job.hook.empty()) continue;
    job.key = job_key(job.request.idempotency_key, job.hook);
    job.state = "retrying";
    job.attempts = j.contains("attempts") && j["attempts"].is_number_integer() ? j["attempts"].get<int>() : 0;
    job.created_at_ms = impl_->clock.now_ms();
    job.next_at_ms = job.created_at_ms;
    job.started_at_ms = j.contains("started_at_ms") && j["started_at_ms"].is_number_integer()
                            ? j["started_at_ms"].get<int64_t>()
                            : job.created_at_ms;
    job.message_id = j.contains("message_id") && j["message_id"].is_string()
                         ? j["message_id"].get<std::string>()
                         : detail::message_id_for(job.request.idempotency_key, job.hook);
    j["state"] = "migrated";
    Status w = impl_->store.write_state({{job.key, job_json(job).dump(-1, ' ', false, json::error_handler_t::replace)},
                                         {due_key(job.request.idempotency_key, job.hook), "1"},
                                         {key, j.dump(-1, ' ', false, json::error_handler_t::replace)}});
    if (!w.ok()) return w;
    log::info("first-wave hook retry moved to a rollback job", {{"service", job.request.service}, {"hook", job.hook}});
  }
  return Status::OK();
}

Result<std::vector<HookRun>> RollbackJobs::enqueue(const RollbackRequest& req) {
  std::lock_guard<std::mutex> lock(impl_->enqueue_mu);
  auto p = plan(req);
  if (!p.ok()) return p.status();
  if (!p->writes.empty()) {
    if (Status s = impl_->store.write_state(p->writes); !s.ok()) return s;
    wake();
  }
  return p->runs;
}

void RollbackJobs::start(int workers, std::function<std::shared_ptr<const config::Config>()> config) {
  std::lock_guard<std::mutex> lock(impl_->wake_mu);
  if (!impl_->workers.empty()) return;
  impl_->stopping = false;
  impl_->config = std::move(config);
  for (int i = 0; i < std::max(1, workers); ++i) impl_->workers.emplace_back([this] { impl_->worker_loop(); });
}

void RollbackJobs::stop() {
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(impl_->wake_mu);
    impl_->stopping = true;
    threads.swap(impl_->workers);
  }
  impl_->wake_cv.notify_all();
  for (auto& t : threads) t.join();
}

void RollbackJobs::wake() {
  {
    std::lock_guard<std::mutex> lock(impl_->wake_mu);
    ++impl_->wakes;
  }
  impl_->wake_cv.notify_all();
}

size_t RollbackJobs::run_due(const config::Config& cfg) {
  size_t n = 0;
  while (impl_->run_one(cfg) == Impl::Step::kRan) ++n;
  return n;
}

store::StateRetention audit_retention(int64_t retention_ms) { return {std::string(kAuditPrefix), retention_ms}; }

Result<std::vector<AuditEntry>> RollbackJobs::history(size_t limit, std::string_view service) const {
  // Audit keys sort by time ("audit/<ms>-<seq>"): newest first, stopping at the limit.
  std::vector<AuditEntry> all;
  if (limit == 0) return all;
  Status s = impl_->store.scan_state_backward(kAuditPrefix, [&](std::string_view, std::string_view value) {
    auto e = detail::parse_audit_record(value);
    if (e.ok() && (service.empty() || e->service == service)) all.push_back(std::move(e).value());
    return all.size() < limit;
  });
  if (!s.ok()) return s;
  return all;
}

Result<std::vector<RollbackJob>> RollbackJobs::unfinished() const {
  std::vector<std::string> keys;
  Status s = impl_->store.scan_state(kDuePrefix, [&](std::string_view key, std::string_view) {
    keys.push_back(std::string(kJobPrefix) + std::string(key.substr(kDuePrefix.size())));
  });
  if (!s.ok()) return s;
  std::vector<RollbackJob> out;
  for (const auto& key : keys) {
    auto raw = impl_->store.get_state(key);
    if (!raw.ok()) return raw.status();
    if (!raw->has_value()) continue;
    if (auto job = parse_job(key, **raw)) out.push_back(std::move(*job));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const RollbackJob& a, const RollbackJob& b) { return a.created_at_ms < b.created_at_ms; });
  return out;
}

Result<std::optional<RollbackJobs::LastRollback>> RollbackJobs::last_rollback(std::string_view service) const {
  auto raw = impl_->store.get_state(std::string(kServicePrefix) + std::string(service));
  if (!raw.ok()) return raw.status();
  std::optional<LastRollback> last;
  if (!raw->has_value()) return last;
  for (const auto& r : parse_service(**raw)) {
    if (!last || r.at_ms / 1000 >= last->at) last = LastRollback{r.at_ms / 1000, r.reason};
  }
  return last;
}

std::string render_placeholders(const std::string& text, const RollbackRequest& req) {
  const std::pair<const char*, std::string> values[] = {
      {"{service}", req.service},
      {"{version}", req.version},
      {"{previous_version}", req.previous_version},
      {"{deployment_id}", req.deployment_id},
      {"{environment}", req.environment},
      {"{reason}", req.reason},
      {"{trigger}", req.trigger},
      {"{alert}", req.alert ? req.alert->name : std::string()},
  };
  std::string out;
  for (size_t i = 0; i < text.size();) {
    bool replaced = false;
    if (text[i] == '{') {
      for (const auto& [name, value] : values) {
        const size_t len = std::char_traits<char>::length(name);
        if (text.compare(i, len, name) == 0) {
          out += value;
          i += len;
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) out += text[i++];
  }
  return out;
}

}  // namespace sloguard::hooks
