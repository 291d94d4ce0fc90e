// `sloguard deploy start` registers a release; `sloguard deploy wait` follows its continuous
// verification until it passes (exit 0), fails (1) or cannot be judged (2). Both talk to the
// HTTP API the way `sloguard gate` does (cpp-httplib, bearer token from an env variable).
#include <httplib.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "commands.h"
#include "sloguard/common/clock.h"
#include "sloguard/common/units.h"

namespace sloguard::cli {
namespace {

using json = nlohmann::json;

constexpr std::chrono::seconds kConnectTimeout{10};
constexpr std::chrono::seconds kPollReadTimeout{30};

// One HTTP exchange: either no answer (transport_error says why) or a status and its body.
struct Answer {
  std::string transport_error;
  int status = 0;
  json body;  // discarded (is_discarded()) when the body is not JSON
};

Answer send(const std::string& server, const std::string& method, const std::string& path,
            const httplib::Headers& headers, const std::string& body, std::chrono::seconds read_timeout) {
  Answer a;
  httplib::Client client(server);
  if (!client.is_valid()) {
    a.transport_error = "invalid server URL \"" + server + "\"";
    return a;
  }
  client.set_connection_timeout(kConnectTimeout);
  client.set_read_timeout(read_timeout);
  auto res = method == "POST" ? client.Post(path, headers, body, "application/json") : client.Get(path, headers);
  if (!res) {
    a.transport_error = "cannot reach " + server + " (" + httplib::to_string(res.error()) + ")";
    return a;
  }
  a.status = res->status;
  a.body = json::parse(res->body, nullptr, false);
  return a;
}

std::string str_field(const json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

// The server's {"error": "..."} or, without one, the bare status.
std::string server_error(const Answer& a) {
  std::string e = str_field(a.body, "error");
  return e.empty() ? "HTTP " + std::to_string(a.status) : e;
}

// "disk full (HTTP 500)", or "HTTP 502" when the body has no error (a proxy's page).
std::string status_error(const Answer& a) {
  const std::string e = str_field(a.body, "error");
  const std::string status = "HTTP " + std::to_string(a.status);
  return e.empty() ? status : e + " (" + status + ")";
}

// Why a 401 or 403 happened, with what to change.
std::string auth_failure(const Answer& a, const std::string& token_env, const char* role) {
  std::string why = "the server refused the token: " + status_error(a) + "; ";
  if (a.status == 403) return why + "the token needs the " + role + " role";
  if (token_env.empty()) return why + "pass --token-env VAR with VAR holding a token with the " + role + " role";
  return why + "check the token in " + token_env;
}

// Adds the bearer token from `token_env` (when set) to `headers`. False when the variable is
// empty or missing, with the message in `why`.
bool add_token(const std::string& token_env, httplib::Headers& headers, std::string& why) {
  if (token_env.empty()) return true;
  const char* token = std::getenv(token_env.c_str());
  if (!token || !*token) {
    why = "environment variable " + token_env + " is not set";
    return false;
  }
  headers.emplace("Authorization", std::string("Bearer ") + token);
  return true;
}

// "5:5m" (or "5%:5m") -> {"weight": 5, "duration": "5m"}. The server judges the sequence.
std::optional<json> parse_stage(const std::string& text, std::string& why) {
  const size_t colon = text.find(':');
  std::string weight = text.substr(0, colon);
  if (!weight.empty() && weight.back() == '%') weight.pop_back();
  char* end = nullptr;
  errno = 0;
  const long w = weight.empty() ? 0 : std::strtol(weight.c_str(), &end, 10);
  if (colon == std::string::npos || weight.empty() || *end != '\0' || errno != 0 || w < 1 || w > 100) {
    why = "--stage \"" + text + "\": expected WEIGHT:DURATION with WEIGHT a percentage 1..100, e.g. 5:5m";
    return std::nullopt;
  }
  auto d = parse_duration_ms(text.substr(colon + 1));
  if (!d.ok() || *d <= 0) {
    why = "--stage \"" + text + "\": the duration " + (d.ok() ? "must be more than 0" : d.status().message());
    return std::nullopt;
  }
  return json{{"weight", w}, {"duration", format_duration_ms(*d)}};
}

// --started-at as the API takes it: a JSON number for Unix seconds, the text for RFC 3339.
std::optional<json> parse_started_at(const std::string& text, std::string& why) {
  if (!parse_timestamp(text).ok()) {
    why = "--started-at \"" + text + "\": expected Unix seconds or RFC 3339 (2026-01-01T00:00:00Z)";
    return std::nullopt;
  }
  if (parse_rfc3339(text).ok()) return json(text);
  return json(std::strtod(text.c_str(), nullptr));
}

// What a client of the wait loop sees: elapsed time from a monotonic clock (its epoch is
// arbitrary; only differences are used), so a wall-clock step does not move the deadline.
class MonotonicClock final : public Clock {
 public:
  UnixMillis now_ms() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
};

// "14m" for 840 s; minutes are rounded up so that the line changes once a minute, not each poll.
std::string time_left(const json& seconds) {
  if (!seconds.is_number()) return "";
  const double s = seconds.get<double>();
  if (s <= 0) return "";
  if (s < 60) return "under 1m left";
  const int64_t minutes = static_cast<int64_t>((s + 59) / 60);
  return format_duration_ms(minutes * 60000) + " left";
}

std::string number(const json& v) { return v.is_number() ? v.dump() : "null"; }

bool positive(const json& r, const char* key) {
  return r.contains(key) && r[key].is_number() && r[key].get<double>() > 0;
}

// What a rule measured: "error_ratio 0.15 over 1m, max 0.1, 1200 requests" (a probe rule:
// "5 failures, 4 allowed"). A max of 0 is no limit any rule can have: left out.
std::string measured(const json& r) {
  const std::string metric = str_field(r, "metric");
  const bool has_value = r.contains("value") && r["value"].is_number();
  std::string text;
  if (has_value) {
    text = (metric.empty() ? std::string("value") : metric) + " " + number(r["value"]);
  } else if (r.contains("failures") && r["failures"].is_number()) {
    text = number(r["failures"]) + " failures";
  } else {
    text = "no value";
  }
  const std::string window = str_field(r, "window");
  if (!window.empty()) text += " over " + window;
  if (positive(r, "max")) text += ", max " + number(r["max"]);
  if (!has_value && r.contains("failures") && r["failures"].is_number() && r.contains("failures_allowed") &&
      r["failures_allowed"].is_number()) {
    text += ", " + number(r["failures_allowed"]) + " allowed";
  }
  if (r.contains("requests") && r["requests"].is_number()) text += ", " + number(r["requests"]) + " requests";
  return text;
}

// "error-ratio-1m breached: <the server's detail>", or what it measured when there is none.
std::string describe_rule(const json& r) {
  const std::string detail = str_field(r, "detail");
  return str_field(r, "name") + " " + str_field(r, "state") + ": " + (detail.empty() ? measured(r) : detail);
}

bool rule_is_bad(const json& r) {
  const std::string state = str_field(r, "state");
  return state == "breached" || state == "failed";
}

std::vector<std::string> reasons_of(const json& a) {
  std::vector<std::string> out;
  if (a.contains("reasons") && a["reasons"].is_array()) {
    for (const auto& r : a["reasons"]) {
      if (r.is_string()) out.push_back(r.get<std::string>());
    }
  }
  return out;
}

// The progress block of one answer: a status line, then one line per breached or failed rule.
// Printed only when it differs from the previous one.
std::string progress(const json& a) {
  std::string line = str_field(a, "service") + " " + str_field(a, "version") + " [" + str_field(a, "phase") +
                     "] decision " + str_field(a, "decision");
  const json stage = a.value("stage", json());
  if (stage.is_object() && stage.contains("index") && stage["index"].is_number_integer()) {
    line += ", stage " + std::to_string(stage["index"].get<int64_t>() + 1);
    if (a.contains("stages") && a["stages"].is_array()) line += "/" + std::to_string(a["stages"].size());
    if (stage.contains("weight") && stage["weight"].is_number()) line += " at " + number(stage["weight"]) + "%";
  }
  const std::string left = time_left(a.value("time_left_s", json()));
  if (!left.empty()) line += ", " + left;
  if (str_field(a, "decision") == "undecided") {
    for (const auto& r : reasons_of(a)) line += "\n  ? " + r;
  }
  if (a.contains("rules") && a["rules"].is_array()) {
    for (const auto& r : a["rules"]) {
      if (r.is_object() && rule_is_bad(r)) line += "\n  ! " + describe_rule(r);
    }
  }
  return line;
}

// The failed rule of a failed verification with what it measured ("error-ratio-1m
// (error_ratio 0.15 over 1m, max 0.1, 1200 requests)"), or its name when the list lacks it.
std::string failed_rule(const json& a) {
  const std::string name = str_field(a, "failed_rule");
  if (name.empty()) return "";
  if (a.contains("rules") && a["rules"].is_array()) {
    for (const auto& r : a["rules"]) {
      if (str_field(r, "name") == name) return name + " (" + measured(r) + ")";
    }
  }
  return name;
}

// "checkout v2 (deployment d-42)".
std::string release_of(const json& a) {
  return str_field(a, "service") + " " + str_field(a, "version") + " (deployment " + str_field(a, "deployment_id") +
         ")";
}

// The end of a verification: the verdict, the failed rule, the reasons.
void report_verdict(const json& a, std::ostream& out) {
  const std::string phase = str_field(a, "phase");
  if (phase == "passed") {
    out << "PASSED: " << release_of(a) << " passed verification\n";
  } else if (phase == "failed") {
    out << "FAILED: " << release_of(a) << " failed verification\n";
    const std::string rule = failed_rule(a);
    if (!rule.empty()) out << "  failed rule: " << rule << "\n";
  } else {
    out << "INCONCLUSIVE: " << release_of(a) << " could not be judged\n";
  }
  for (const auto& r : reasons_of(a)) out << "  - " << r << "\n";
}

std::chrono::milliseconds backoff_after(int failures) {
  auto d = kDeployWaitFirstBackoff;
  for (int i = 1; i < failures && d < kDeployWaitMaxBackoff; ++i) d *= 2;
  return std::min(d, kDeployWaitMaxBackoff);
}

}  // namespace

int run_deploy_start(const DeployStartArgs& args, std::ostream& out, std::ostream& err) {
  auto cannot = [&](const std::string& why) {
    err << "sloguard deploy start: could not register the deployment: " << why << "\n";
    return 2;
  };
  json body = {{"service", args.service}, {"version", args.version}};
  if (!args.previous_version.empty()) body["previous_version"] = args.previous_version;
  if (!args.environment.empty()) body["environment"] = args.environment;
  if (!args.url.empty()) body["url"] = args.url;
  std::string why;
  if (!args.started_at.empty()) {
    auto t = parse_started_at(args.started_at, why);
    if (!t) return cannot(why);
    body["started_at"] = *t;
  }
  if (!args.stages.empty()) {
    json stages = json::array();
    for (const auto& s : args.stages) {
      auto st = parse_stage(s, why);
      if (!st) return cannot(why);
      stages.push_back(*st);
    }
    body["stages"] = stages;
  }
  httplib::Headers headers;
  if (!add_token(args.token_env, headers, why)) return cannot(why);

  const Answer a = send(args.server, "POST", "/api/v1/deployments", headers, body.dump(-1, ' ', false, json::error_handler_t::replace),
                        std::chrono::seconds(args.timeout_seconds));
  if (!a.transport_error.empty()) return cannot(a.transport_error);
  if (a.status == 401 || a.status == 403) return cannot(auth_failure(a, args.token_env, "ingest"));
  if (a.status == 400 || a.status == 404 || a.status == 409 || a.status == 422) {
    err << "sloguard deploy start: refused: " << server_error(a);
    const std::string field = str_field(a.body, "field");
    if (!field.empty()) err << " (field " << field << ")";
    err << " (HTTP " << a.status << ")\n";
    return 1;
  }
  if (a.status != 201 && a.status != 200) return cannot(status_error(a));
  const std::string id = str_field(a.body, "id");
  if (id.empty()) return cannot("the server's answer has no id");
  if (args.json) {
    out << a.body.dump(2) << "\n";
  } else {
    out << id << "\n";
  }
  return 0;
}

int wait_deployment(const DeployWaitArgs& args, const DeployWaitTime& time, std::ostream& out, std::ostream& err) {
  std::ostream& human = args.json ? err : out;  // with --json, stdout carries only the JSON
  json last;
  auto give_up = [&](const std::string& why) {
    err << "sloguard deploy wait: " << why << "\n";
    if (args.json && last.is_object()) out << last.dump(2) << "\n";
    return 2;
  };
  auto timeout = parse_duration_ms(args.timeout);
  if (!timeout.ok() || *timeout <= 0) {
    return give_up("--timeout \"" + args.timeout + "\": expected a duration such as 35m" +
                   (timeout.ok() ? "" : " (" + timeout.status().message() + ")"));
  }
  auto interval = parse_duration_ms(args.interval);
  if (!interval.ok() || *interval <= 0) {
    return give_up("--interval \"" + args.interval + "\": expected a duration such as 10s" +
                   (interval.ok() ? "" : " (" + interval.status().message() + ")"));
  }
  const bool latest = args.id == "latest";
  if (args.id.empty()) return give_up("a deployment id (or latest with --service) is required");
  if (latest && args.service.empty()) return give_up("ID latest needs --service: whose newest deployment?");
  httplib::Headers headers;
  std::string why;
  if (!add_token(args.token_env, headers, why)) return give_up(why);

  std::string id = args.id;
  auto path_of = [&]() {
    std::string p = "/api/v1/deployments/" + httplib::detail::encode_query_param(id) + "/analysis";
    if (id == "latest") p += "?service=" + httplib::detail::encode_query_param(args.service);
    return p;
  };
  const Clock& clock = *time.clock;
  const int64_t deadline = clock.now_ms() + *timeout;
  const std::string subject = latest ? "the latest deployment of " + args.service : "deployment " + args.id;
  std::string shown;
  int failures = 0;
  std::string last_failure;
  for (;;) {
    const Answer a = send(args.server, "GET", path_of(), headers, "", kPollReadTimeout);
    const bool transient = !a.transport_error.empty() || a.status >= 500 || a.status == 429 || a.status == 408;
    if (transient) {
      last_failure = a.transport_error.empty() ? status_error(a) : a.transport_error;
      if (++failures >= kDeployWaitMaxFailures) {
        return give_up("gave up on " + subject + " after " + std::to_string(failures) +
                       " failed requests in a row: " + last_failure);
      }
      const int64_t left = deadline - clock.now_ms();
      if (left <= 0) return give_up("timed out after " + args.timeout + " waiting for " + subject + ": " + last_failure);
      const auto pause = std::min(backoff_after(failures), std::chrono::milliseconds(left));
      err << "sloguard deploy wait: " << last_failure << "; retrying in " << format_duration_ms(pause.count())
          << " (retry " << failures << " of " << kDeployWaitMaxFailures - 1 << ")\n";
      time.sleep(pause);
      continue;
    }
    if (a.status == 401 || a.status == 403) return give_up(auth_failure(a, args.token_env, "read"));
    if (a.status == 404) {
      return give_up(str_field(a.body, "error").empty() ? "unknown " + subject + " (HTTP 404)" : status_error(a));
    }
    if (a.status != 200) return give_up(subject + ": " + status_error(a));
    if (!a.body.is_object() || str_field(a.body, "phase").empty()) {
      return give_up("the server's answer for " + subject + " has no phase (is it an older sloguard?)");
    }
    if (failures > 0) err << "sloguard deploy wait: the server answers again\n";
    failures = 0;
    last = a.body;
    if (latest && id == "latest" && !str_field(a.body, "deployment_id").empty()) {
      id = str_field(a.body, "deployment_id");  // a newer deployment must not take over this wait
      human << "waiting for deployment " << id << " (" << str_field(a.body, "service") << " "
            << str_field(a.body, "version") << ")\n";
    }
    const std::string block = progress(a.body);
    if (block != shown) {
      human << block << "\n" << std::flush;
      shown = block;
    }
    const std::string phase = str_field(a.body, "phase");
    if (phase == "passed" || phase == "failed" || phase == "inconclusive") {
      report_verdict(a.body, human);
      if (args.json) out << a.body.dump(2) << "\n";
      return phase == "passed" ? 0 : phase == "failed" ? 1 : 2;
    }
    if (phase != "verifying") return give_up("unknown phase \"" + phase + "\" in the answer for " + subject);
    const int64_t left = deadline - clock.now_ms();
    if (left <= 0) {
      return give_up("timed out after " + args.timeout + ": " + release_of(a.body) + " is still verifying (decision " +
                     str_field(a.body, "decision") + ")");
    }
    time.sleep(std::min(std::chrono::milliseconds(*interval), std::chrono::milliseconds(left)));
  }
}

int run_deploy_wait(const DeployWaitArgs& args, std::ostream& out, std::ostream& err) {
  static const MonotonicClock clock;
  DeployWaitTime time{&clock, [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); }};
  return wait_deployment(args, time, out, err);
}

}  // namespace sloguard::cli
