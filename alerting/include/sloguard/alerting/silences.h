// Silences: label matchers muting notifications for a time (Alertmanager's model). Persisted
// as "silence/<id>"; expired silences are kept for silence_retention for audit.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "sloguard/common/clock.h"
#include "sloguard/common/status.h"
#include "sloguard/store/store.h"

namespace re2 {
class RE2;
}

namespace sloguard::alerting {

struct Matcher {
  std::string name, value;
  // value is an RE2 regex matched against the whole label value (Alertmanager's ^(?:re)$),
  // in time linear in the value's length.
  bool is_regex = false;
  bool is_equal = true;   // false: the label must NOT match
  std::shared_ptr<const re2::RE2> re;  // compiled when is_regex
  bool matches(const std::map<std::string, std::string>& labels) const;
};

struct Silence {
  std::string id;
  std::vector<Matcher> matchers;  // all must match
  int64_t starts_at_ms = 0, ends_at_ms = 0;
  std::string created_by, comment;
  int64_t updated_at_ms = 0;
  std::string state(int64_t now_ms) const;  // "pending", "active", "expired"
  bool matches(const std::map<std::string, std::string>& labels) const;
};

// Parses a silence from the API's JSON ({"matchers": [{"name","value","isRegex","isEqual"} or
// "name=value" / "name!=value" / "name=~re" / "name!~re"], "startsAt", "endsAt", "createdBy" or
// "author", "comment"}); times are Unix seconds or RFC 3339, startsAt defaults to now. Errors
// name the field ("matchers[1].value: ...").
Result<Silence> parse_silence(const std::string& body, int64_t now_ms);
std::string to_json(const Silence& s, int64_t now_ms);  // includes "status": {"state": ...}
Result<Silence> silence_from_json(const std::string& stored);

// The silences, in memory and in the store's state table. Thread-safe.
class Silences {
 public:
  Silences(store::Store* store, const Clock& clock) : store_(store), clock_(clock) {}
  Status load();
  // Stores a new silence and returns it with its id.
  Result<Silence> create(Silence s);
  // Expires a silence now (kept for audit) and returns it. NotFound for unknown ids.
  Result<Silence> expire(const std::string& id);
  std::vector<Silence> list() const;  // newest first
  std::optional<Silence> get(const std::string& id) const;
  // Ids of the active silences matching these labels.
  std::vector<std::string> matching(const std::map<std::string, std::string>& labels, int64_t now_ms) const;
  // Drops silences that expired more than retention_ms ago.
  Status prune(int64_t now_ms, int64_t retention_ms);

 private:
  store::Store* store_;
  const Clock& clock_;
  mutable std::mutex mu_;
  std::map<std::string, Silence> by_id_;
};

}  // namespace sloguard::alerting
