// Silences: parsing, matching, persistence.
#include "sloguard/alerting/silences.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <openssl/rand.h>
#include <re2/re2.h>

#include "sloguard/common/json_record.h"
#include "sloguard/common/log.h"
#include "sloguard/common/units.h"

namespace sloguard::alerting {

using nlohmann::json;

namespace {

constexpr const char* kPrefix = "silence/";

std::string new_id() {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) {
    for (auto& c : b) c = static_cast<unsigned char>(std::rand());
  }
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  static const char* kHex = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s += '-';
    s += kHex[b[i] >> 4];
    s += kHex[b[i] & 15];
  }
  return s;
}

Status bad(const std::string& field, const std::string& why) { return Status::InvalidArgument(field + ": " + why); }

// A time field: Unix seconds (fractions allowed) or RFC 3339.
Result<int64_t> read_time(const json& v, const std::string& field) {
  if (v.is_number()) {
    double s = v.get<double>();
    if (!(s >= 0) || s > 1e11) return bad(field, "must be a Unix time in seconds or RFC 3339");
    return static_cast<int64_t>(std::llround(s * 1000));
  }
  if (v.is_string()) {
    Result<double> t = parse_timestamp(v.get<std::string>());
    if (!t.ok() || !(*t >= 0) || *t > 1e11) {
      return bad(field, "must be a Unix time in seconds or RFC 3339, got \"" + v.get<std::string>() + "\"");
    }
    return static_cast<int64_t>(std::llround(*t * 1000));
  }
  return bad(field, "must be a Unix time in seconds or RFC 3339");
}

// Patterns are stored and shown back; a bound keeps a silence a readable record.
constexpr size_t kMaxMatcherBytes = 256;

Result<Matcher> finish_matcher(Matcher m, const std::string& field) {
  if (m.name.empty()) return bad(field + ".name", "must not be empty");
  if (m.value.size() > kMaxMatcherBytes) {
    return bad(field + ".value", "must be at most " + std::to_string(kMaxMatcherBytes) + " bytes");
  }
  if (m.is_regex) {
    RE2::Options options;
    options.set_log_errors(false);  // RE2 would print every bad pattern to stderr
    // Checked alone first, so the error speaks of the pattern the user wrote.
    if (RE2 alone(m.value, options); !alone.ok()) {
      return bad(field + ".value", "is not a valid RE2 regular expression: " + alone.error());
    }
    // Anchored as Alertmanager does, so "checkout" does not match "checkout-eu".
    auto re = std::make_shared<const RE2>("^(?:" + m.value + ")$", options);
    if (!re->ok()) return bad(field + ".value", "is not a valid RE2 regular expression: " + re->error());
    m.re = std::move(re);
  }
  return m;
}

Result<Matcher> parse_matcher(const json& j, const std::string& field) {
  Matcher m;
  if (j.is_string()) {
    // "name=value", "name!=value", "name=~re", "name!~re" (Prometheus selector syntax).
    const std::string s = j.get<std::string>();
    size_t pos = s.find_first_of("=!");
    if (pos == std::string::npos || pos == 0) {
      return bad(field, "expected name=value, name!=value, name=~regex or name!~regex, got \"" + s + "\"");
    }
    m.name = s.substr(0, pos);
    std::string op;
    if (s.compare(pos, 2, "=~") == 0 || s.compare(pos, 2, "!~") == 0 || s.compare(pos, 2, "!=") == 0) {
      op = s.substr(pos, 2);
    } else if (s[pos] == '=') {
      op = "=";
    } else {
      return bad(field, "expected name=value, name!=value, name=~regex or name!~regex, got \"" + s + "\"");
    }
    m.value = s.substr(pos + op.size());
    if (m.value.size() >= 2 && m.value.front() == '"' && m.value.back() == '"') m.value = m.value.substr(1, m.value.size() - 2);
    m.is_equal = op[0] == '=';
    m.is_regex = op.back() == '~';
    return finish_matcher(std::move(m), field);
  }
  if (!j.is_object()) return bad(field, "expected {\"name\", \"value\", \"isRegex\", \"isEqual\"} or \"name=value\"");
  for (const auto& [k, v] : j.items()) {
    if (k != "name" && k != "value" && k != "isRegex" && k != "isEqual") {
      return bad(field + "." + k, "unknown field (expected name, value, isRegex, isEqual)");
    }
  }
  auto name = j.find("name");
  if (name == j.end() || !name->is_string()) return bad(field + ".name", "required, a label name");
  auto value = j.find("value");
  if (value == j.end() || !value->is_string()) return bad(field + ".value", "required, a string");
  m.name = name->get<std::string>();
  m.value = value->get<std::string>();
  if (auto r = j.find("isRegex"); r != j.end()) {
    if (!r->is_boolean()) return bad(field + ".isRegex", "must be true or false");
    m.is_regex = r->get<bool>();
  }
  if (auto e = j.find("isEqual"); e != j.end()) {
    if (!e->is_boolean()) return bad(field + ".isEqual", "must be true or false");
    m.is_equal = e->get<bool>();
  }
  return finish_matcher(std::move(m), field);
}

json matcher_json(const Matcher& m) {
  return {{"name", m.name}, {"value", m.value}, {"isRegex", m.is_regex}, {"isEqual", m.is_equal}};
}

Result<Silence> from_object(const json& j, int64_t now_ms, bool stored) {
  if (!j.is_object()) return Status::InvalidArgument("the body must be a JSON object with matchers, startsAt, endsAt");
  static const char* kKnown[] = {"id", "matchers", "startsAt", "endsAt", "createdBy", "author", "comment",
                                 "updatedAt", "status", "starts_at", "ends_at"};
  for (const auto& [k, v] : j.items()) {
    if (std::find(std::begin(kKnown), std::end(kKnown), k) == std::end(kKnown)) {
      return bad(k, "unknown field (expected matchers, startsAt, endsAt, createdBy, comment)");
    }
  }
  Silence s;
  if (stored) s.id = j.at("id").get<std::string>();
  auto matchers = j.find("matchers");
  if (matchers == j.end() || !matchers->is_array() || matchers->empty()) {
    return bad("matchers", "required, a non-empty list of label matchers");
  }
  for (size_t i = 0; i < matchers->size(); ++i) {
    auto m = parse_matcher((*matchers)[i], "matchers[" + std::to_string(i) + "]");
    if (!m.ok()) return m.status();
    s.matchers.push_back(std::move(m).value());
  }
  // Like Alertmanager: a silence whose matchers all match an empty label would mute every alert.
  if (!stored && std::all_of(s.matchers.begin(), s.matchers.end(), [](const Matcher& m) { return m.matches({}); })) {
    return bad("matchers", "would match every alert (each matcher matches an empty label); name a label value");
  }
  const json* starts = j.contains("startsAt") ? &j["startsAt"] : (j.contains("starts_at") ? &j["starts_at"] : nullptr);
  const json* ends = j.contains("endsAt") ? &j["endsAt"] : (j.contains("ends_at") ? &j["ends_at"] : nullptr);
  if (starts && !starts->is_null()) {
    auto t = read_time(*starts, "startsAt");
    if (!t.ok()) return t.status();
    s.starts_at_ms = *t;
  } else {
    s.starts_at_ms = now_ms;
  }
  if (!ends || ends->is_null()) return bad("endsAt", "required, when the silence ends (Unix seconds or RFC 3339)");
  auto e = read_time(*ends, "endsAt");
  if (!e.ok()) return e.status();
  s.ends_at_ms = *e;
  if (stored ? s.ends_at_ms < s.starts_at_ms : s.ends_at_ms <= s.starts_at_ms) return bad("endsAt", "must be after startsAt");
  if (!stored && s.ends_at_ms <= now_ms) return bad("endsAt", "is in the past; the silence would never be active");
  const json* author = j.contains("createdBy") ? &j["createdBy"] : (j.contains("author") ? &j["author"] : nullptr);
  if (!author || !author->is_string() || author->get<std::string>().empty()) {
    return bad("createdBy", "required, who created the silence (also accepted as author)");
  }
  s.created_by = author->get<std::string>();
  auto comment = j.find("comment");
  if (comment == j.end() || !comment->is_string() || comment->get<std::string>().empty()) {
    return bad("comment", "required, why the alerts are silenced");
  }
  s.comment = comment->get<std::string>();
  s.updated_at_ms = stored ? j.value("updatedAtMs", now_ms) : now_ms;
  return s;
}

}  // namespace

bool Matcher::matches(const std::map<std::string, std::string>& labels) const {
  auto it = labels.find(name);
  const std::string v = it == labels.end() ? std::string() : it->second;
  bool m = is_regex ? RE2::FullMatch(v, *re) : v == value;
  return m == is_equal;
}

std::string Silence::state(int64_t now_ms) const {
  if (now_ms < starts_at_ms) return "pending";
  if (now_ms < ends_at_ms) return "active";
  return "expired";
}

bool Silence::matches(const std::map<std::string, std::string>& labels) const {
  for (const auto& m : matchers) {
    if (!m.matches(labels)) return false;
  }
  return true;
}

Result<Silence> parse_silence(const std::string& body, int64_t now_ms) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded()) return Status::InvalidArgument("body: is not valid JSON");
  return from_object(j, now_ms, false);
}

std::string to_json(const Silence& s, int64_t now_ms) {
  json m = json::array();
  for (const auto& x : s.matchers) m.push_back(matcher_json(x));
  json j = {{"id", s.id},
            {"matchers", m},
            {"startsAt", format_rfc3339(s.starts_at_ms / 1000)},
            {"endsAt", format_rfc3339(s.ends_at_ms / 1000)},
            {"updatedAt", format_rfc3339(s.updated_at_ms / 1000)},
            {"createdBy", s.created_by},
            {"comment", s.comment},
            {"status", {{"state", s.state(now_ms)}}}};
  return j.dump();
}

namespace {
std::string stored_json(const Silence& s) {
  json j = json::parse(to_json(s, 0));
  j.erase("status");
  j.erase("updatedAt");
  // Exact milliseconds, so a restart changes nothing.
  j["startsAt"] = static_cast<double>(s.starts_at_ms) / 1000;
  j["endsAt"] = static_cast<double>(s.ends_at_ms) / 1000;
  j["updatedAtMs"] = s.updated_at_ms;
  return j.dump();
}
}  // namespace

Result<Silence> silence_from_json(const std::string& stored) {
  return decode_record<Silence>(stored, "stored silence", [](const json& stored_j) -> Result<Silence> {
    json j = stored_j;
    int64_t updated = j.value("updatedAtMs", int64_t{0});
    j.erase("updatedAtMs");
    auto s = from_object(j, updated, true);
    if (s.ok()) s.value().updated_at_ms = updated;
    return s;
  });
}

Status Silences::load() {
  if (!store_) return Status::OK();
  std::map<std::string, Silence> loaded;
  Status bad_entry;
  Status s = store_->scan_state(kPrefix, [&](std::string_view key, std::string_view v) {
    auto sil = silence_from_json(std::string(v));
    if (sil.ok()) {
      loaded[sil.value().id] = std::move(sil).value();
    } else {
      // Skipped: one bad record must not hide the other silences.
      bad_entry = Status::Corruption(std::string(key) + ": " + sil.status().message());
      log::error("skipping an unreadable silence", {{"key", std::string(key)}, {"error", sil.status().message()}});
    }
  });
  if (!s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  by_id_ = std::move(loaded);
  return bad_entry;
}

Result<Silence> Silences::create(Silence s) {
  s.id = new_id();
  s.updated_at_ms = clock_.now_ms();
  if (store_) {
    if (Status st = store_->put_state(kPrefix + s.id, stored_json(s)); !st.ok()) return st;
  }
  std::lock_guard<std::mutex> lock(mu_);
  by_id_[s.id] = s;
  return s;
}

Result<Silence> Silences::expire(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return Status::NotFound("no silence with id \"" + id + "\"");
  const int64_t now = clock_.now_ms();
  Silence s = it->second;
  if (s.ends_at_ms <= now) return s;  // already expired
  s.ends_at_ms = now;
  if (s.starts_at_ms > now) s.starts_at_ms = now;  // a pending silence never starts
  s.updated_at_ms = now;
  if (store_) {
    if (Status st = store_->put_state(kPrefix + s.id, stored_json(s)); !st.ok()) return st;
  }
  it->second = s;
  return s;
}

std::vector<Silence> Silences::list() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Silence> out;
  for (const auto& [id, s] : by_id_) out.push_back(s);
  std::sort(out.begin(), out.end(), [](const Silence& a, const Silence& b) {
    return a.updated_at_ms != b.updated_at_ms ? a.updated_at_ms > b.updated_at_ms : a.id < b.id;
  });
  return out;
}

std::optional<Silence> Silences::get(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> Silences::matching(const std::map<std::string, std::string>& labels, int64_t now_ms) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& [id, s] : by_id_) {
    if (s.state(now_ms) == "active" && s.matches(labels)) out.push_back(id);
  }
  return out;
}

Status Silences::prune(int64_t now_ms, int64_t retention_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = by_id_.begin(); it != by_id_.end();) {
    if (it->second.ends_at_ms + retention_ms < now_ms) {
      if (store_) {
        if (Status s = store_->delete_state(kPrefix + it->first); !s.ok()) return s;
      }
      it = by_id_.erase(it);
    } else {
      ++it;
    }
  }
  return Status::OK();
}

}  // namespace sloguard::alerting
