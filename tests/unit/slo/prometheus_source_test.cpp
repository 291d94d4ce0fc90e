// slo::PrometheusSource against a loopback query API: answers classified by reason, bounded
// retries, the request shape; and the pure parts (answer parser, histogram_quantile).
#include "sloguard/slo/prometheus_source.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <atomic>
#include <mutex>
#include <thread>

#include "prometheus_api.h"
#include "receiver.h"
#include "sloguard/common/clock.h"
#include "sloguard/config/config.h"
#include "sloguard/net/http_sender.h"
#include "sloguard/slo/engine.h"

using namespace sloguard;
using testing::Answer;
using testing::Receiver;

namespace {

std::string vector_answer(double bad, double total) {
  return R"({"status":"success","data":{"resultType":"vector","result":[)"
         R"({"metric":{"sloguard_piece":"0_0"},"value":[1,")" + std::to_string(bad) + R"("]},)"
         R"({"metric":{"sloguard_piece":"1_0"},"value":[1,")" + std::to_string(total) + R"("]}]}})";
}

std::shared_ptr<const config::Config> config_for(const std::string& url, const std::string& extra = "") {
  auto loaded = config::load_config_text(R"(
datasources:
  - {name: prom, url: ")" + url + R"(",
     headers: [{name: X-Scope-OrgID, value: team-a}])" + (extra.empty() ? std::string(", timeout: 2s, max_retries: 1") : extra) + R"(}
services: [{name: checkout}]
slos:
  - name: checkout-availability
    service: checkout
    source: prom
    objective: 99%
    window: 5m
    sli:
      kind: availability
      prometheus:
        bad: 'http_requests_total{job="checkout",code=~"5.."}'
        total: 'http_requests_total{job="checkout"}'
)");
  INFO((loaded.errors.empty() ? "" : loaded.errors[0].to_string()));
  REQUIRE(loaded.ok());
  return loaded.config;
}

}  // namespace

TEST_CASE("query API answers are classified by reason") {
  using slo::detail::parse_prom_response;
  auto reason = [](const Result<std::vector<slo::detail::PromSeries>>& r) {
    return std::string(slo::source_failure_reason(r.status()));
  };
  CHECK(reason(parse_prom_response(400, R"({"status":"error","errorType":"bad_data","error":"parse error at char 5"})",
                                   false)) == "bad_query");
  CHECK(reason(parse_prom_response(
            200, R"({"status":"success","warnings":["store down"],"data":{"resultType":"vector","result":[]}})",
            false)) == "partial");
  CHECK(reason(parse_prom_response(
            200, R"({"status":"success","isPartial":true,"data":{"resultType":"vector","result":[]}})", false)) ==
        "partial");
  // An info note is not missing data.
  CHECK(parse_prom_response(
            200, R"({"status":"success","warnings":["PromQL info: metric might not be a counter"],"data":{"resultType":"vector","result":[]}})",
            false)
            .ok());
  CHECK(reason(parse_prom_response(502, "<html>bad gateway</html>", false)) == "http_status");
  CHECK(reason(parse_prom_response(200, "not json", false)) == "bad_response");
  CHECK(reason(parse_prom_response(200, R"({"status":"success","data":{"resultType":"scalar","result":[1,"2"]}})",
                                   false)) == "bad_response");
  auto ok = parse_prom_response(
      200, R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{"job":"a"},"values":[[299.999,"4"],[599.999,"NaN"]]}]}})",
      true);
  REQUIRE(ok.ok());
  REQUIRE(ok->size() == 1);
  CHECK((*ok)[0].labels.at("job") == "a");
  REQUIRE((*ok)[0].points.size() == 2);
  CHECK((*ok)[0].points[0] == std::pair<int64_t, double>{300, 4.0});
  CHECK(std::isnan((*ok)[0].points[1].second));
}

TEST_CASE("histogram_quantile interpolates inside the bucket, as Prometheus does") {
  const double inf = HUGE_VAL;
  // 100 observations: 50 <= 0.1, 90 <= 0.5, 100 <= 1.
  std::vector<std::pair<double, double>> b = {{0.1, 50}, {0.5, 90}, {1, 100}, {inf, 100}};
  CHECK(*slo::histogram_quantile(0.5, b) == Approx(0.1));
  CHECK(*slo::histogram_quantile(0.7, b) == Approx(0.1 + 0.4 * 20 / 40));
  CHECK(*slo::histogram_quantile(0.95, b) == Approx(0.5 + 0.5 * 5 / 10));
  // The rank in +Inf: the highest finite bound.
  std::vector<std::pair<double, double>> tail = {{0.1, 50}, {inf, 100}};
  CHECK(*slo::histogram_quantile(0.99, tail) == Approx(0.1));
  CHECK_FALSE(slo::histogram_quantile(0.5, {{0.1, 0}, {inf, 0}}).has_value());
  CHECK_FALSE(slo::histogram_quantile(0.5, {{0.1, 5}}).has_value());  // no +Inf bucket
}

TEST_CASE("a datasource SLO reads its windows in one instant query with the configured headers") {
  Receiver rx(Answer{200, vector_answer(3, 1000), {}, false});
  auto cfg = config_for(rx.url());
  ManualClock clock(1'800'000'000'000);
  auto http = net::make_curl_sender();
  slo::PrometheusSource src(cfg->datasources[0], *http, clock);
  const config::SloConfig& slo = cfg->slos[0];
  const int64_t at = 1'800'000'000 / 60 * 60;  // now: no block has settled, the window is one piece
  const int64_t w = 300;
  auto counts = src.window_counts(slo::Instance{&slo, ""}, at, std::span<const int64_t>(&w, 1));
  REQUIRE(counts.ok());
  CHECK((*counts)[0] == slo::Counts{997, 1000});
  REQUIRE(rx.seen().size() == 1);
  const auto req = rx.last();
  CHECK(req.path == "/api/v1/query");
  CHECK(req.header("X-Scope-OrgID") == "team-a");
  CHECK(req.body.find("increase") != std::string::npos);
  CHECK(req.body.find("time=" + std::to_string(at) + ".000") != std::string::npos);
}

TEST_CASE("a 5xx is retried within the query's deadline, a bad query is not") {
  Receiver rx(Answer{200, vector_answer(0, 10), {}, false});
  rx.then(Answer{503, "overloaded", {}, false});
  auto cfg = config_for(rx.url());
  ManualClock clock(1'800'000'000'000);
  auto http = net::make_curl_sender();
  std::vector<slo::QueryEvent> events;
  std::mutex mu;
  slo::PrometheusSource src(cfg->datasources[0], *http, clock, [&](const slo::QueryEvent& e) {
    std::lock_guard<std::mutex> lock(mu);
    events.push_back(e);
  });
  const config::SloConfig& slo = cfg->slos[0];
  const int64_t at = 1'800'000'000 / 60 * 60, w = 300;
  auto counts = src.window_counts(slo::Instance{&slo, ""}, at, std::span<const int64_t>(&w, 1));
  REQUIRE(counts.ok());
  CHECK((*counts)[0] == slo::Counts{10, 10});
  REQUIRE(events.size() == 2);
  CHECK(events[0].reason == "http_status");
  CHECK(events[1].reason.empty());
  CHECK(events[0].datasource == "prom");

  rx.then(Answer{400, R"({"status":"error","errorType":"bad_data","error":"1:5: parse error: unexpected"})", {}, false});
  auto bad = src.window_counts(slo::Instance{&slo, ""}, at, std::span<const int64_t>(&w, 1));
  REQUIRE_FALSE(bad.ok());
  CHECK(slo::source_failure_reason(bad.status()) == "bad_query");
  CHECK(bad.status().message().find("datasource prom") != std::string::npos);
  CHECK(rx.seen().size() == 3);  // not retried
}

TEST_CASE("a datasource that hangs fails by timeout, and the SLO shows no figures instead of a budget") {
  Receiver rx(Answer{200, "", {}, true});
  auto cfg = config_for(rx.url(), ", timeout: 300ms, max_retries: 1");
  ManualClock clock(1'800'000'000'000);
  auto http = net::make_curl_sender();
  slo::PrometheusSource src(cfg->datasources[0], *http, clock);
  slo::Engine engine(src);
  auto st = engine.evaluate(*cfg, cfg->slos[0], 1'800'000'000);
  REQUIRE(st.ok());
  REQUIRE(st->source_error.has_value());
  CHECK(st->source_error->reason == "timeout");
  CHECK(st->source == "prom");
  CHECK(st->policy == "unknown");
  CHECK_FALSE(st->budget.remaining_ratio.has_value());
  CHECK_FALSE(st->ratio.has_value());
  CHECK_FALSE(st->block_releases);
}

TEST_CASE("a grouped SLO and all its groups cost one datasource query per evaluation") {
  const std::string answer =
      R"({"status":"success","data":{"resultType":"vector","result":[)"
      R"({"metric":{"sloguard_piece":"0_0","handler":"/a"},"value":[1,"2"]},)"
      R"({"metric":{"sloguard_piece":"1_0","handler":"/a"},"value":[1,"100"]},)"
      R"({"metric":{"sloguard_piece":"0_0","handler":"/b"},"value":[1,"0"]},)"
      R"({"metric":{"sloguard_piece":"1_0","handler":"/b"},"value":[1,"50"]},)"
      R"({"metric":{"sloguard_piece":"1_0","handler":"/c"},"value":[1,"10"]}]}})";
  // Instant queries get the edges above; range queries (the settled blocks of the longer
  // windows) an empty matrix.
  testing::LoopbackHttpServer http_server;
  std::atomic<int> instant{0}, range{0};
  http_server.server().Post("/api/v1/query", [&](const httplib::Request&, httplib::Response& res) {
    ++instant;
    res.set_content(answer, "application/json");
  });
  http_server.server().Post("/api/v1/query_range", [&](const httplib::Request&, httplib::Response& res) {
    ++range;
    res.set_content(R"({"status":"success","data":{"resultType":"matrix","result":[]}})", "application/json");
  });
  http_server.start();
  auto loaded = config::load_config_text(R"(
datasources: [{name: prom, url: ")" + http_server.url("") + R"(", timeout: 2s}]
services: [{name: checkout}]
slos:
  - name: by-handler
    service: checkout
    source: prom
    objective: 99%
    window: 5m
    group_by: [endpoint]
    max_groups: 2
    sli:
      kind: availability
      prometheus:
        group_label: handler
        bad: 'http_requests_total{job="checkout",code=~"5.."}'
        total: 'http_requests_total{job="checkout"}'
)");
  INFO((loaded.errors.empty() ? "" : loaded.errors[0].to_string()));
  REQUIRE(loaded.ok());
  const int64_t at = 1'800'000'000;
  ManualClock clock(at * 1000);
  auto http = net::make_curl_sender();
  slo::PrometheusSource src(loaded.config->datasources[0], *http, clock);
  slo::Engine engine(src);
  auto st = engine.evaluate(*loaded.config, loaded.config->slos[0], static_cast<double>(at));
  REQUIRE(st.ok());
  INFO((st->source_error ? st->source_error->reason + ": " + st->source_error->message : ""));
  REQUIRE_FALSE(st->source_error.has_value());
  CHECK(st->sli == slo::Counts{158, 160});
  REQUIRE(st->groups.size() == 2);  // the two busiest; /c overflows
  CHECK(st->groups[0].group == "/a");
  CHECK(st->groups[0].sli == slo::Counts{98, 100});
  CHECK(st->groups[1].group == "/b");
  CHECK(st->overflow_groups == std::vector<std::string>{"/c"});
  CHECK(st->overflow_events == 10);
  // One instant query for the edges of every window of the SLO and its groups, and one range
  // query per counting query for the blocks: none per group.
  CHECK(instant == 1);
  CHECK(range == 2);
  CHECK(src.requests() == 3);
  // The next evaluation reads the cached blocks: only the edges again.
  auto again = engine.evaluate(*loaded.config, loaded.config->slos[0], static_cast<double>(at));
  REQUIRE(again.ok());
  CHECK(instant == 2);
  CHECK(range == 2);
}

TEST_CASE("after a timeout, other queries fail at once until one gets through") {
  Receiver rx(Answer{200, vector_answer(0, 10), {}, false});
  rx.then(Answer{200, "", {}, true});  // the first request hangs past the timeout
  auto cfg = config_for(rx.url(), ", timeout: 300ms, max_retries: 0");
  ManualClock clock(1'800'000'000'000);
  auto http = net::make_curl_sender();
  slo::PrometheusSource src(cfg->datasources[0], *http, clock);
  const config::SloConfig& slo = cfg->slos[0];
  const int64_t at = 1'800'000'000, w = 300;
  auto first = src.window_counts(slo::Instance{&slo, ""}, at, std::span<const int64_t>(&w, 1));
  REQUIRE_FALSE(first.ok());
  CHECK(slo::source_failure_reason(first.status()) == "timeout");
  // The next query is the one that tries again (the datasource answers now), and closes it.
  auto second = src.window_counts(slo::Instance{&slo, ""}, at, std::span<const int64_t>(&w, 1));
  REQUIRE(second.ok());
  CHECK((*second)[0] == slo::Counts{10, 10});
  CHECK(rx.seen().size() == 2);
}

TEST_CASE("SLOs read through the router while reloads swap its datasources") {
  Receiver rx(Answer{200, vector_answer(1, 100), {}, false});
  auto with_ds = config_for(rx.url());
  auto without_ds = config::load_config_text(R"(
services: [{name: checkout}]
slos: [{name: checkout-availability, service: checkout, objective: 99%, window: 5m}]
)");
  REQUIRE(without_ds.ok());
  ManualClock clock(1'800'000'000'000);
  auto http = net::make_curl_sender();
  // The embedded side is never asked here: the SLO below always names the datasource.
  class NoStore final : public slo::Source {
   public:
    Result<std::vector<slo::Counts>> window_counts(const slo::Instance&, int64_t, std::span<const int64_t>) const override {
      return Status::Internal("not used");
    }
    Result<store::LatencySketch> latency(const slo::Instance&, int64_t, int64_t) const override { return store::LatencySketch(); }
    Result<std::vector<slo::Slice>> slices(const slo::Instance&, int64_t, int64_t, int64_t) const override {
      return std::vector<slo::Slice>();
    }
    slo::GroupList groups(const config::SloConfig&) const override { return {}; }
  } embedded;
  slo::SourceRouter router(embedded, *http, clock);
  router.update(*with_ds);
  const config::SloConfig& slo = with_ds->slos[0];
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, unconfigured{0}, other{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      const int64_t at = 1'800'000'000, w = 300;
      while (!stop) {
        auto c = router.window_counts(slo::Instance{&slo, ""}, at, std::span<const int64_t>(&w, 1));
        if (c.ok() && (*c)[0] == slo::Counts{99, 100}) {
          ++ok;
        } else if (!c.ok() && c.status().message().find("not configured") != std::string::npos) {
          ++unconfigured;
        } else {
          ++other;
        }
      }
    });
  }
  for (int i = 0; i < 200; ++i) router.update(i % 2 ? *with_ds : *without_ds.config);
  router.update(*with_ds);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (ok < 30 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  stop = true;
  for (auto& t : readers) t.join();
  CHECK(ok >= 30);
  CHECK(other == 0);  // every answer is the data or "not configured", nothing torn
  CHECK(router.name_of(slo) == "prom");
}

TEST_CASE("SLOs of one shape are read in one query per round, each its own label value") {
  const std::string answer =
      R"({"status":"success","data":{"resultType":"vector","result":[)"
      R"({"metric":{"sloguard_piece":"0_0","job":"a"},"value":[1,"2"]},)"
      R"({"metric":{"sloguard_piece":"1_0","job":"a"},"value":[1,"100"]},)"
      R"({"metric":{"sloguard_piece":"0_0","job":"b.v2"},"value":[1,"5"]},)"
      R"({"metric":{"sloguard_piece":"1_0","job":"b.v2"},"value":[1,"50"]}]}})";
  testing::LoopbackHttpServer http_server;
  std::atomic<int> instant{0}, range{0};
  std::mutex mu;
  std::vector<std::string> bodies;
  http_server.server().Post("/api/v1/query", [&](const httplib::Request& req, httplib::Response& res) {
    ++instant;
    {
      std::lock_guard<std::mutex> lock(mu);
      bodies.push_back(req.get_param_value("query"));
    }
    res.set_content(answer, "application/json");
  });
  http_server.server().Post("/api/v1/query_range", [&](const httplib::Request&, httplib::Response& res) {
    ++range;
    res.set_content(R"({"status":"success","data":{"resultType":"matrix","result":[]}})", "application/json");
  });
  http_server.start();
  auto loaded = config::load_config_text(R"(
datasources: [{name: prom, url: ")" + http_server.url("") + R"(", timeout: 2s}]
services: [{name: a}, {name: b}, {name: c}]
slos:
  - {name: a-availability, service: a, source: prom, objective: 99%, window: 1d,
     sli: {kind: availability, prometheus: {bad: 'http_requests_total{job="a", code=~"5.."}', total: 'http_requests_total{job="a"}'}}}
  - {name: b-availability, service: b, source: prom, objective: 99%, window: 1d,
     sli: {kind: availability, prometheus: {bad: 'http_requests_total{code=~"5..",job="b.v2"}', total: 'http_requests_total{job="b.v2"}'}}}
  - {name: c-availability, service: c, source: prom, objective: 99%, window: 7d,
     sli: {kind: availability, prometheus: {bad: 'http_requests_total{job="c",code=~"5.."}', total: 'http_requests_total{job="c"}'}}}
)");
  INFO((loaded.errors.empty() ? "" : loaded.errors[0].to_string()));
  REQUIRE(loaded.ok());
  const int64_t at = 1'800'000'000;
  ManualClock clock(at * 1000);
  auto http = net::make_curl_sender();
  slo::PrometheusSource src(loaded.config->datasources[0], *http, clock);
  slo::Engine engine(src);
  auto all = engine.evaluate_all(*loaded.config, static_cast<double>(at));
  REQUIRE(all.size() == 3);
  for (const auto& r : all) REQUIRE(r.ok());
  // a and b (same shape, 1d) share one instant query and one range query per counting query;
  // c (a 7d window: another shape, alone) reads on its own (this fake answers its `sum`
  // with every row above, which it adds up).
  CHECK(instant == 2);
  CHECK(range == 4);
  CHECK(all[0]->sli == slo::Counts{98, 100});
  CHECK(all[1]->sli == slo::Counts{45, 50});
  CHECK(all[2]->sli == slo::Counts{143, 150});
  std::lock_guard<std::mutex> lock(mu);
  CHECK(std::any_of(bodies.begin(), bodies.end(), [](const std::string& b) {
    return b.find(R"(job=~"a|b\\.v2")") != std::string::npos;
  }));
}

TEST_CASE("a large shape is read as the whole metric by its label in one query under VictoriaMetrics' 16 KiB limit") {
  testing::LoopbackHttpServer http_server;
  std::atomic<int> instant{0};
  std::atomic<size_t> longest{0};
  std::mutex mu;
  std::string edge_query;
  http_server.server().Post("/api/v1/query", [&](const httplib::Request& req, httplib::Response& res) {
    ++instant;
    const std::string q = req.get_param_value("query");
    for (size_t cur = longest; q.size() > cur && !longest.compare_exchange_weak(cur, q.size());) {
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      edge_query = q;
    }
    res.set_content(R"({"status":"success","data":{"resultType":"vector","result":[]}})", "application/json");
  });
  http_server.server().Post("/api/v1/query_range", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"status":"success","data":{"resultType":"matrix","result":[]}})", "application/json");
  });
  http_server.start();
  std::string yaml = "datasources: [{name: prom, url: \"" + http_server.url("") + "\", timeout: 2s}]\nservices:\n";
  std::string slos = "slos:\n";
  for (int i = 0; i < 120; ++i) {
    const std::string s = "service-number-" + std::to_string(i);
    yaml += "  - {name: " + s + "}\n";
    slos += "  - {name: " + s + "-availability, service: " + s + ", source: prom, objective: 99%, window: 30d, "
            "sli: {kind: availability, prometheus: {bad: 'http_requests_total{job=\"" + s +
            "\",code=~\"5..\"}', total: 'http_requests_total{job=\"" + s + "\"}'}}}\n";
  }
  auto loaded = config::load_config_text(yaml + slos);
  INFO((loaded.errors.empty() ? "" : loaded.errors[0].to_string()));
  REQUIRE(loaded.ok());
  const int64_t at = 1'800'000'000 + 120;  // off the 5m grid: every window has a head piece
  ManualClock clock(at * 1000);
  auto http = net::make_curl_sender();
  slo::PrometheusSource src(loaded.config->datasources[0], *http, clock);
  slo::Engine engine(src);
  auto all = engine.evaluate_all(*loaded.config, static_cast<double>(at));
  for (const auto& r : all) REQUIRE(r.ok());
  CHECK(longest < 16384);
  CHECK(instant == 1);  // one edge query for the 120 SLOs of the shape
  std::lock_guard<std::mutex> lock(mu);
  CHECK(edge_query.find("job=~") == std::string::npos);
  CHECK(edge_query.find("by (job)") != std::string::npos);
}
