// HTTP handlers of the API (DESIGN.md, "HTTP API").
#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>

#include "http_json.h"
#include "server_impl.h"
#include "slo_json.h"
#include "sloguard/common/log.h"
#include "sloguard/collector/probe_ingest.h"
#include "sloguard/common/units.h"

namespace sloguard::server {
namespace {

using json = nlohmann::json;

// The evaluation instant from ?at= (default: now). False after replying 400.
bool read_at(const httplib::Request& req, httplib::Response& res, const Clock& clock, double& at) {
  at = static_cast<double>(clock.now_ms()) / 1000.0;
  if (!req.has_param("at")) return true;
  auto parsed = parse_timestamp(req.get_param_value("at"));
  if (!parsed.ok()) {
    reply_error(res, 400, "at: " + parsed.status().message(), {{"field", "at"}});
    return false;
  }
  if (*parsed < 0 || *parsed > 253370764799.0) {  // 1970 .. 9998-12-31, the calendar's range
    reply_error(res, 400, "at: must be between 1970-01-01T00:00:00Z and 9998-12-31T23:59:59Z", {{"field", "at"}});
    return false;
  }
  at = *parsed;
  return true;
}

}  // namespace

void Server::Impl::reject_batch(httplib::Response& res, const collector::IngestOutcome& out, const std::string& reason) {
  metrics.events_rejected(reason, out.event_objects);
  const collector::FieldError& first = out.errors.front();
  json body = {{"reason", reason}};
  if (first.index >= 0) body["index"] = first.index;
  if (!first.field.empty()) body["field"] = first.field;
  if (first.byte_offset >= 0) body["offset"] = first.byte_offset;
  json all = json::array();
  for (const auto& e : out.errors) {
    json item = {{"message", e.message}};
    if (e.index >= 0) item["index"] = e.index;
    if (!e.field.empty()) item["field"] = e.field;
    all.push_back(std::move(item));
  }
  body["errors"] = std::move(all);
  reply_error(res, out.reason == collector::RejectReason::kStorage ? 500 : 400, first.message, std::move(body));
}

// The SLO's pending and firing alerts (every group's when group is empty), for the SLO JSON.
nlohmann::json Server::Impl::slo_alerts_json(const std::string& slo, const std::string& group) const {
  json out = json::array();
  for (const auto& a : alerts.alerts()) {
    if (a.slo != slo || (!group.empty() && a.group != group)) continue;
    if (a.phase != alerting::AlertPhase::kFiring && a.phase != alerting::AlertPhase::kPending) continue;
    json j = {{"tier", a.tier}, {"severity", a.severity}, {"state", alerting::phase_name(a.phase)}};
    if (!a.group.empty()) j["group"] = a.group;
    j["since"] = (a.phase == alerting::AlertPhase::kFiring ? a.fired_at_ms : a.active_at_ms) / 1000;
    out.push_back(std::move(j));
  }
  return out;
}

void Server::Impl::install_routes() {
  // Wraps a handler with authorization, error containment and the request-duration metric.
  auto route = [this](const std::string& method, const std::string& pattern, const std::string& route_name,
                      std::optional<config::Role> role, httplib::Server::Handler fn) {
    metrics.route_installed(method, route_name, role ? std::string(config::role_name(*role)) : "none");
    httplib::Server::Handler h = [this, method, route_name, role, fn](const httplib::Request& req,
                                                                      httplib::Response& res) {
      const auto t0 = std::chrono::steady_clock::now();
      bool allowed = true;
      if (role) {
        AuthDecision d = authorizer()->check(req.get_header_value("Authorization"), *role);
        if (d.status != 200) {
          allowed = false;
          if (d.status == 401) res.set_header("WWW-Authenticate", "Bearer realm=\"sloguard\"");
          reply_error(res, d.status, d.message);
          log::info("request refused", {{"route", route_name}, {"status", std::to_string(d.status)},
                                        {"token", d.token_name}, {"remote", req.remote_addr}});
        }
      }
      if (allowed) {
        try {
          fn(req, res);
        } catch (const std::exception& e) {
          log::error("handler failed", {{"route", route_name}, {"error", e.what()}});
          reply_error(res, 500, "internal error");
        }
      }
      metrics.observe_request(method, route_name, res.status,
                              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    };
    if (method == "GET") {
      http.Get(pattern, h);
    } else if (method == "POST") {
      http.Post(pattern, h);
    } else if (method == "DELETE") {
      http.Delete(pattern, h);
    }
  };
  using config::Role;

  route("POST", "/api/v1/events", "/api/v1/events", Role::kIngest,
        [this](const httplib::Request& req, httplib::Response& res) {
          auto cfg = config();
          collector::IngestOutcome out = ingestor.ingest_json(*cfg, req.body);
          if (out.ok) {
            for (const auto& [service, n] : out.accepted_by_service) metrics.events_ingested(service, n);
            reply(res, 202, {{"accepted", out.accepted}});
            return;
          }
          if (out.reason == collector::RejectReason::kSeriesLimit) {
            metrics.series_limited(out.limited_service, "events", out.event_objects);
          }
          reject_batch(res, out, collector::reject_reason_name(out.reason));
        });

  // Prometheus remote_write 1.0 (docs/remote-write.md). 204 once stored; the sender retries 5xx
  // only, so everything that can never succeed is a 4xx.
  route("POST", "/api/v1/write", "/api/v1/write", Role::kIngest,
        [this](const httplib::Request& req, httplib::Response& res) {
          auto cfg = config();
          const std::string encoding = req.get_header_value("Content-Encoding");
          const std::string type = req.get_header_value("Content-Type");
          const std::string version = req.get_header_value("X-Prometheus-Remote-Write-Version");
          collector::RemoteWriteHeaders h{encoding, type, version};
          collector::RemoteWriteOutcome out = remote_write.ingest(cfg, req.body, h);
          metrics.remote_write_request(out.status);
          for (size_t i = 0; i < collector::kSampleResults; ++i) {
            if (out.samples[i] > 0) {
              metrics.remote_write_samples(collector::sample_result_name(static_cast<collector::SampleResult>(i)),
                                           out.samples[i]);
            }
          }
          if (out.status != 204) {
            if (out.status >= 500) log::error("remote_write: store failed", {{"error", out.error}});
            reply_error(res, out.status, out.error);
            return;
          }
          metrics.remote_write_series(out.series_kept, cfg->remote_write.max_series);
          for (const auto& [service, n] : out.events_by_service) metrics.events_ingested(service, n);
          for (const auto& [service, n] : out.series_limited_by_service) metrics.remote_write_series_limited(service, n);
          res.status = 204;
        });

  route("GET", "/api/v1/slos", "/api/v1/slos", Role::kRead,
        [this](const httplib::Request& req, httplib::Response& res) {
          double at;
          if (!read_at(req, res, clock, at)) return;
          auto cfg = config();
          const std::string service = req.get_param_value("service");
          if (!service.empty() && !cfg->find_service(service)) {
            reply_error(res, 404, "unknown service \"" + service + "\"", {{"field", "service"}});
            return;
          }
          // A service's few SLOs are evaluated here; all of them are spread over the cores.
          std::vector<Result<slo::SloStatus>> results;
          if (service.empty()) {
            results = engine.evaluate_all(*cfg, at);
          } else {
            for (const auto& s : cfg->slos) {
              if (s.service == service) results.push_back(engine.evaluate(*cfg, s, at));
            }
          }
          json list = json::array();
          for (const auto& r : results) {
            if (!r.ok()) {
              reply_error(res, 500, "evaluating SLOs: " + r.status().message());
              return;
            }
            json j = slo_status_json(*r);
            j["alerts"] = slo_alerts_json(r->name, "");
            list.push_back(std::move(j));
          }
          reply(res, 200, {{"at", slo::align_to_minute(at)}, {"slos", std::move(list)}});
        });

  route("GET", R"(/api/v1/slos/([^/]+))", "/api/v1/slos/{name}", Role::kRead,
        [this](const httplib::Request& req, httplib::Response& res) {
          double at;
          if (!read_at(req, res, clock, at)) return;
          auto cfg = config();
          const std::string name = req.matches[1];
          const config::SloConfig* s = cfg->find_slo(name);
          if (!s) {
            reply_error(res, 404, "unknown SLO \"" + name + "\"");
            return;
          }
          const std::string group = req.get_param_value("group");
          auto st = engine.evaluate(*cfg, *s, at, group);
          if (!group.empty() && (st.status().is_not_found() || st.status().is_invalid_argument())) {
            reply_error(res, st.status().is_not_found() ? 404 : 400, st.status().message(), {{"field", "group"}});
            return;
          }
          if (!st.ok()) {
            reply_error(res, 500, "evaluating " + name + ": " + st.status().message());
            return;
          }
          json j = slo_status_json(*st);
          j["alerts"] = slo_alerts_json(name, group);
          reply(res, 200, j);
        });

  route("POST", "/api/v1/probes", "/api/v1/probes", Role::kIngest,
        [this](const httplib::Request& req, httplib::Response& res) {
          auto cfg = config();
          std::vector<collector::ProbeResult> results;
          collector::IngestOutcome out = collector::decode_probe_results(*cfg, clock, req.body, results);
          if (out.ok) {
            if (Status s = record_probe_results(results); s.is_resource_exhausted()) {
              reply_error(res, 400, s.message(), {{"reason", "series_limit"}});
              return;
            } else if (!s.ok()) {
              reply_error(res, 500, "storage error: " + s.message(), {{"reason", "storage_error"}});
              return;
            }
            reply(res, 202, {{"accepted", out.accepted}});
            return;
          }
          reject_batch(res, out,
                       out.reason == collector::RejectReason::kUnknownService ? "unknown_probe"
                                                                              : collector::reject_reason_name(out.reason));
        });

  route("GET", "/api/v1/probes", "/api/v1/probes", Role::kRead,
        [this](const httplib::Request&, httplib::Response& res) {
          auto cfg = config();
          json list = json::array();
          std::lock_guard<std::mutex> lock(probes_mu);
          for (const config::ProbeConfig* p : all_probes(*cfg)) {
            json item = {{"name", p->name},
                         {"service", p->service},
                         {"kind", p->kind == config::ProbeKind::kHttp ? "http" : "tcp"},
                         {"interval", format_duration_ms(p->interval_ms)},
                         {"timeout", format_duration_ms(p->timeout_ms)}};
            if (p->kind == config::ProbeKind::kHttp) {
              // Query strings can carry tokens: never shown.
              item["target"] = p->http.method + " " + p->http.url.substr(0, p->http.url.find_first_of("?#"));
            } else {
              item["target"] = p->tcp.host + ":" + std::to_string(p->tcp.port);
            }
            auto last = last_probe.find(p->name);
            if (last == last_probe.end()) {
              item["last"] = nullptr;
            } else {
              const collector::ProbeResult& r = last->second;
              item["last"] = {{"ts", r.ts},
                              {"success", r.success()},
                              {"outcome", collector::probe_outcome_name(r.outcome)},
                              {"latency_ms", r.latency_ms >= 0 ? json(r.latency_ms) : json(nullptr)},
                              {"http_status", r.http_status},
                              {"detail", r.detail}};
            }
            list.push_back(std::move(item));
          }
          reply(res, 200, {{"probes", std::move(list)}});
        });

  route("GET", "/api/v1/latency", "/api/v1/latency", Role::kRead,
        [this](const httplib::Request& req, httplib::Response& res) {
          double at;
          if (!read_at(req, res, clock, at)) return;
          auto cfg = config();
          const std::string service = req.get_param_value("service");
          if (service.empty()) {
            reply_error(res, 400, "service: required, e.g. ?service=checkout&window=1h", {{"field", "service"}});
            return;
          }
          if (!cfg->find_service(service)) {
            reply_error(res, 404, "unknown service \"" + service + "\"", {{"field", "service"}});
            return;
          }
          const std::string window_text = req.has_param("window") ? req.get_param_value("window") : "1h";
          auto window_ms = parse_duration_ms(window_text);
          if (!window_ms.ok() || *window_ms <= 0 || *window_ms % 60000 != 0 ||
              *window_ms > cfg->storage.retention_ms) {
            reply_error(res, 400,
                        "window: expected whole minutes up to the retention of " +
                            format_duration_ms(cfg->storage.retention_ms) + ", e.g. 5m, 1h, 30d",
                        {{"field", "window"}});
            return;
          }
          config::SloConfig query;
          query.service = service;
          query.sli.endpoint = req.get_param_value("endpoint");
          const int64_t at_min = slo::align_to_minute(at);
          auto sketch = source.latency(slo::Instance{&query, ""}, at_min - *window_ms / 1000, at_min);
          if (!sketch.ok()) {
            reply_error(res, 500, "reading latency: " + sketch.status().message());
            return;
          }
          json body = {{"service", service},
                       {"window", format_duration_ms(*window_ms)},
                       {"at", at_min},
                       {"latency", latency_json(*sketch)}};
          if (!query.sli.endpoint.empty()) body["endpoint"] = query.sli.endpoint;
          reply(res, 200, body);
        });

  route("GET", "/healthz", "/healthz", std::nullopt,
        [](const httplib::Request&, httplib::Response& res) { reply(res, 200, {{"status", "ok"}}); });

  route("GET", "/readyz", "/readyz", std::nullopt, [this](const httplib::Request&, httplib::Response& res) {
    if (ready) {
      reply(res, 200, {{"status", "ready"}});
    } else {
      reply(res, 503, {{"status", "not ready"}});
    }
  });

  route("GET", "/metrics", "/metrics", Role::kRead, [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics.serialize(), "text/plain; version=0.0.4; charset=utf-8");
  });

  route("POST", "/-/reload", "/-/reload", Role::kAdmin, [this](const httplib::Request&, httplib::Response& res) {
    auto result = reload_from_file();
    if (!result.ok()) {
      reply_error(res, 400, result.status().message());
    } else if (!result->empty()) {
      reply_error(res, 400, "config is invalid; the running config stays", {{"errors", *result}});
    } else {
      reply(res, 200, {{"status", "reloaded"}, {"slos", config()->slos.size()}});
    }
  });

  install_release_routes(route);  // release_routes.cpp
  install_alert_routes(route);    // alert_routes.cpp

  // Errors httplib produces itself (no route, body too large) get a JSON body as well.
  httplib::Server::HandlerWithResponse on_error = [this](const httplib::Request& req,
                                                         httplib::Response& res) -> httplib::Server::HandlerResponse {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    try {
    if (res.status == 413) {
      if (req.path == "/api/v1/events") metrics.events_rejected("too_large", 0);
      if (req.path == "/api/v1/write") metrics.remote_write_request(413);
      reply_error(res, 413, "request body exceeds server.max_body_bytes (" +
                                std::to_string(config()->server.max_body_bytes) + " bytes)");
    } else if (res.status == 404) {
      reply_error(res, 404, "no route for " + req.method + " " + req.path);
    } else {
      reply_error(res, res.status, "HTTP error " + std::to_string(res.status));
    }
    } catch (const std::exception& e) {  // cpp-httplib does not guard its error handler
      log::error("error handler failed", {{"error", e.what()}});
      res.set_content("{\"error\":\"internal error\"}", "application/json");
    }
    return httplib::Server::HandlerResponse::Handled;
  };
  http.set_error_handler(std::move(on_error));
}

}  // namespace sloguard::server
