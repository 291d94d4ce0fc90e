#include "prometheus_api.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>

namespace sloguard::slo::detail {
namespace {

using json = nlohmann::json;

Status failure(const std::string& reason, const std::string& ds, const std::string& what) {
  return Status::Unavailable(reason + ": datasource " + ds + ": " + what);
}

// x-www-form-urlencoded.
std::string form_escape(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3 / 2);
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::optional<double> parse_value(const json& v) {
  // Sample values are strings ("1.5", "NaN", "+Inf").
  if (!v.is_string()) return std::nullopt;
  const std::string& s = v.get_ref<const std::string&>();
  if (s == "NaN") return std::nan("");
  if (s == "+Inf" || s == "Inf") return HUGE_VAL;
  if (s == "-Inf") return -HUGE_VAL;
  char* end = nullptr;
  double d = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || *end != '\0') return std::nullopt;
  return d;
}

std::optional<std::pair<int64_t, double>> parse_point(const json& p) {
  if (!p.is_array() || p.size() != 2 || !p[0].is_number()) return std::nullopt;
  auto v = parse_value(p[1]);
  if (!v) return std::nullopt;
  return std::pair<int64_t, double>{static_cast<int64_t>(std::llround(p[0].get<double>())), *v};
}

}  // namespace

Result<std::vector<PromSeries>> parse_prom_response(int http_status, const std::string& body, bool matrix) {
  json j = json::parse(body, nullptr, false);
  auto bad = [](const std::string& why) { return Status::Unavailable("bad_response: " + why); };
  if (!j.is_object() || !j.contains("status") || !j["status"].is_string()) {
    if (http_status >= 400) return Status::Unavailable("http_status: HTTP " + std::to_string(http_status));
    return bad("the answer is not a query API response (HTTP " + std::to_string(http_status) + ")");
  }
  if (j["status"] != "success") {
    std::string type = j.value("errorType", "");
    std::string error = j.value("error", "");
    // VictoriaMetrics echoes the whole query before the reason: keep both ends.
    if (error.size() > 600) error = error.substr(0, 200) + " ... " + error.substr(error.size() - 400);
    if (type == "bad_data" || http_status == 400 || http_status == 422) {
      return Status::Unavailable("bad_query: " + error);
    }
    if (type == "timeout") return Status::Unavailable("timeout: the query timed out in the datasource: " + error);
    return Status::Unavailable("http_status: HTTP " + std::to_string(http_status) + " " + type + ": " + error);
  }
  if (j.contains("warnings") && j["warnings"].is_array()) {
    for (const json& w : j["warnings"]) {
      // "PromQL info: metric might not be a counter..." (Prometheus before the infos field,
      // Thanos) says nothing about missing data.
      const std::string text = w.is_string() ? w.get<std::string>() : "warning";
      if (text.rfind("PromQL info:", 0) == 0) continue;
      return Status::Unavailable("partial: the datasource answered with warnings (" + text + ")");
    }
  }
  if (j.value("isPartial", false)) return Status::Unavailable("partial: the datasource answered isPartial");
  if (!j.contains("data") || !j["data"].is_object()) return bad("no data");
  const json& data = j["data"];
  const std::string type = data.value("resultType", "");
  if (type != (matrix ? "matrix" : "vector") || !data.contains("result") || !data["result"].is_array()) {
    return bad("expected a " + std::string(matrix ? "matrix" : "vector") + " result, got \"" + type + "\"");
  }
  std::vector<PromSeries> out;
  for (const json& r : data["result"]) {
    if (!r.is_object()) return bad("a result is not an object");
    PromSeries s;
    if (r.contains("metric") && r["metric"].is_object()) {
      for (auto it = r["metric"].begin(); it != r["metric"].end(); ++it) {
        if (it.value().is_string()) s.labels[it.key()] = it.value().get<std::string>();
      }
    }
    if (matrix) {
      if (!r.contains("values") || !r["values"].is_array()) return bad("a series without values");
      for (const json& p : r["values"]) {
        auto pt = parse_point(p);
        if (!pt) return bad("an unreadable point");
        s.points.push_back(*pt);
      }
    } else {
      if (!r.contains("value")) return bad("a sample without value");
      auto pt = parse_point(r["value"]);
      if (!pt) return bad("an unreadable sample");
      s.points.push_back(*pt);
    }
    out.push_back(std::move(s));
  }
  return out;
}

PromApi::PromApi(config::DatasourceConfig ds, net::HttpSender& http, QueryObserver observer)
    : ds_(std::move(ds)), http_(http), observer_(std::move(observer)) {}

namespace {
std::string seconds_text(int64_t ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld.%03lld", static_cast<long long>(ms / 1000), static_cast<long long>(ms % 1000));
  return ms < 0 ? std::to_string(static_cast<double>(ms) / 1000.0) : std::string(buf);
}
}  // namespace

Result<std::vector<PromSeries>> PromApi::query(const std::string& expr, int64_t time_ms) const {
  return call("/api/v1/query", "query=" + form_escape(expr) + "&time=" + seconds_text(time_ms), false);
}

Result<std::vector<PromSeries>> PromApi::query_range(const std::string& expr, int64_t start_ms, int64_t end_ms,
                                                     int64_t step) const {
  return call("/api/v1/query_range",
              "query=" + form_escape(expr) + "&start=" + seconds_text(start_ms) + "&end=" + seconds_text(end_ms) +
                  "&step=" + std::to_string(step) +
                  // VictoriaMetrics: keep start and end as given (its cache would align them to
                  // the step); sloguard caches the blocks itself.
                  "&nocache=1",
              true);
}

Result<std::vector<PromSeries>> PromApi::call(const std::string& path, const std::string& form, bool matrix) const {
  bool probe = false;
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (open_ && probing_) return open_failure_;
    if (open_) probing_ = probe = true;
    cv_.wait(lock, [&] { return in_flight_ < ds_.max_concurrent_queries; });
    ++in_flight_;
  }
  auto result = attempt_all(path, form, matrix);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (probe) probing_ = false;
    const std::string_view reason = result.ok() ? std::string_view() : source_failure_reason(result.status());
    if (result.ok()) {
      open_ = false;
    } else if (reason == "timeout" || reason == "unreachable") {
      open_ = true;
      open_failure_ = result.status();
    }
  }
  return result;
}

Result<std::vector<PromSeries>> PromApi::attempt_all(const std::string& path, const std::string& form,
                                                     bool matrix) const {
  using clock = std::chrono::steady_clock;
  struct Release {
    const PromApi* api;
    ~Release() {
      {
        std::lock_guard<std::mutex> lock(api->mu_);
        --api->in_flight_;
      }
      api->cv_.notify_one();
    }
  } release{this};

  // One deadline for the query and its retries.
  const auto deadline = clock::now() + std::chrono::milliseconds(ds_.timeout_ms);
  net::HttpRequest req;
  req.method = "POST";
  req.url = ds_.url + path;
  req.headers = ds_.headers;
  req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  req.headers.emplace_back("Accept", "application/json");
  // Thanos: fail instead of answering from the stores that are up.
  req.body = form + "&partial_response=false";
  req.tls_verify = ds_.tls_verify;
  req.max_body_bytes = 256u << 20;
  req.accept_compressed = true;
  Status last;
  for (int attempt = 1;; ++attempt) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
    if (left <= 0) {
      if (last.ok()) last = failure("timeout", ds_.name, "no time left for the query");
      break;
    }
    req.timeout_ms = left;
    const auto started = clock::now();
    auto res = http_.send(req);
    const double seconds = std::chrono::duration<double>(clock::now() - started).count();
    Result<std::vector<PromSeries>> out = Status::OK();
    bool retry = false;
    if (!res.ok()) {
      const bool timed_out = res.status().message().find("imeout") != std::string::npos ||
                             res.status().message().find("timed out") != std::string::npos;
      out = failure(timed_out ? "timeout" : "unreachable", ds_.name, res.status().message());
      retry = !timed_out;
    } else if (res->truncated) {
      out = failure("bad_response", ds_.name, "the answer is larger than 256 MiB");
    } else {
      out = parse_prom_response(res->status, res->body, matrix);
      if (!out.ok()) {
        // Name the datasource after the reason.
        std::string m = out.status().message();
        const size_t colon = m.find(':');
        out = Status::Unavailable(m.substr(0, colon) + ": datasource " + ds_.name + ":" + m.substr(colon + 1));
        retry = res->status == 429 || res->status >= 500;
      }
    }
    if (observer_) {
      QueryEvent ev{ds_.name, seconds, out.ok() ? "" : std::string(source_failure_reason(out.status()))};
      observer_(ev);
    }
    if (out.ok() || !retry || attempt > ds_.max_retries) return out;
    last = out.status();
    const auto wait = std::chrono::milliseconds(net::backoff_ms(attempt, 100, 2000));
    if (clock::now() + wait >= deadline) break;
    // The slot goes to other queries while this one waits.
    {
      std::lock_guard<std::mutex> lock(mu_);
      --in_flight_;
    }
    cv_.notify_one();
    std::this_thread::sleep_for(wait);
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return in_flight_ < ds_.max_concurrent_queries; });
      ++in_flight_;
    }
  }
  return last;
}

}  // namespace sloguard::slo::detail
