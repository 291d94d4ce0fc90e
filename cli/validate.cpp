// `sloguard validate`: the config check of serve and reload, and with --check-sources each
// datasource SLO's queries sent once to its datasource, whose own parser judges them.
#include <iostream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "commands.h"
#include "sloguard/common/clock.h"
#include "sloguard/config/config.h"
#include "sloguard/net/http_sender.h"
#include "sloguard/slo/prometheus_source.h"
#include "sloguard/slo/source.h"

namespace sloguard::cli {
namespace {

// The window the checked queries cover: one block, as in a warm evaluation round.
constexpr int64_t kCheckRangeSeconds = 300;

std::string plural(size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// One query of one SLO, and what its datasource said about it.
struct QueryCheck {
  size_t slo_index = 0;
  std::string key;   // good, bad, total or histogram
  std::string expr;  // as sloguard sends it
  config::TextPos pos;
  bool sent = false;
  Status result;
};

// The queries of one datasource, checked in config order on one thread. The first failure
// that is not the query's fault (unreachable, timeout, ...) stops the rest: they would fail
// the same way, each after up to the datasource's timeout.
struct DatasourceCheck {
  const config::DatasourceConfig* ds = nullptr;
  std::vector<QueryCheck*> queries;
  Status failure;  // OK unless the datasource could not be asked
};

const config::TextPos& pos_of(const config::PrometheusSliQueries& q, std::string_view key) {
  if (key == "good") return q.good_pos;
  if (key == "bad") return q.bad_pos;
  if (key == "total") return q.total_pos;
  return q.histogram_pos;
}

// "bad_query: datasource vm: unexpected token" -> "unexpected token": the text after the
// reason and the datasource's name, which the caller prints in its own words.
std::string detail_of(const Status& s, const std::string& ds_name) {
  std::string_view m = s.message();
  const std::string_view reason = slo::source_failure_reason(s);
  if (!reason.empty()) m.remove_prefix(reason.size() + 1);
  while (!m.empty() && m.front() == ' ') m.remove_prefix(1);
  const std::string named = "datasource " + ds_name + ":";
  if (m.substr(0, named.size()) == named) m.remove_prefix(named.size());
  while (!m.empty() && m.front() == ' ') m.remove_prefix(1);
  return std::string(m);
}

// The datasource answered on the query itself: accepted, or rejected by its parser.
bool answered(const QueryCheck& q) {
  return q.sent && (q.result.ok() || slo::source_failure_reason(q.result) == "bad_query");
}

void check_datasource(DatasourceCheck& dc, net::HttpSender& http, int64_t now) {
  for (QueryCheck* q : dc.queries) {
    q->result = slo::check_query(*dc.ds, http, q->expr, now);
    q->sent = true;
    if (!q->result.ok() && slo::source_failure_reason(q->result) != "bad_query") {
      dc.failure = q->result;
      return;
    }
  }
}

struct SourcesChecked {
  size_t checked = 0;      // queries the datasources answered on (accepted or rejected)
  size_t rejected = 0;     // queries their datasource's parser refused
  size_t datasources = 0;  // datasources that answered every query sent to them
  size_t unreachable = 0;  // datasources that could not be asked (some queries not checked)
};

// Sends each query of every SLO with `source` to its datasource once; prints the rejected
// ones as errors and the datasources that could not be asked as warnings, on stderr.
SourcesChecked check_sources(const config::Config& cfg, const std::string& config_path) {
  std::vector<QueryCheck> queries;
  for (size_t i = 0; i < cfg.slos.size(); ++i) {
    const auto& slo = cfg.slos[i];
    if (slo.source.empty()) continue;
    for (auto& [key, expr] : slo::datasource_queries(slo, kCheckRangeSeconds)) {
      queries.push_back(QueryCheck{i, key, expr, pos_of(slo.sli.prometheus, key), false, Status::OK()});
    }
  }
  // One check per datasource that some SLO reads, in the order of `datasources:`.
  std::vector<DatasourceCheck> sources;
  for (const auto& ds : cfg.datasources) {
    DatasourceCheck dc{&ds, {}, Status::OK()};
    for (auto& q : queries) {
      if (cfg.slos[q.slo_index].source == ds.name) dc.queries.push_back(&q);
    }
    if (!dc.queries.empty()) sources.push_back(std::move(dc));
  }

  auto http = net::make_curl_sender();
  const int64_t now = SystemClock::instance().now_seconds();
  {
    // Datasources in parallel, each one's queries in turn: a slow source delays only itself.
    std::vector<std::jthread> workers;
    for (auto& dc : sources) workers.emplace_back([&dc, &http, now] { check_datasource(dc, *http, now); });
  }

  size_t rejected = 0, checked = 0;
  for (const auto& q : queries) {
    if (!answered(q)) continue;
    ++checked;
    if (q.result.ok()) continue;
    const auto& slo = cfg.slos[q.slo_index];
    config::ConfigError e{q.pos.file.empty() ? config_path : q.pos.file, q.pos.line, q.pos.column,
                          "slos[" + std::to_string(q.slo_index) + "].sli.prometheus." + q.key + ": " + slo.source +
                              ": " + detail_of(q.result, slo.source)};
    std::cerr << e.to_string() << "\n";
    ++rejected;
  }
  size_t unreachable = 0;
  for (const auto& dc : sources) {
    if (dc.failure.ok()) continue;
    ++unreachable;
    size_t unchecked = 0;
    for (const QueryCheck* q : dc.queries) unchecked += answered(*q) ? 0 : 1;
    std::string reason(slo::source_failure_reason(dc.failure));
    if (reason.empty()) reason = "error";
    std::cerr << "warning: datasource " << dc.ds->name << " not reachable (reason: " << reason << ": "
              << detail_of(dc.failure, dc.ds->name) << "); "
              << (unchecked == dc.queries.size() ? std::string("its queries were")
                                                 : plural(unchecked, "of its queries was", "of its queries were"))
              << " not checked\n";
  }
  if (rejected > 0) {
    std::cerr << config_path << ": " << plural(rejected, "query", "queries") << " rejected by "
              << (rejected == 1 ? "its datasource" : "their datasources") << "\n";
  }
  return SourcesChecked{checked, rejected, sources.size() - unreachable, unreachable};
}

}  // namespace

int run_validate(const ValidateArgs& args) {
  auto r = config::load_config_file(args.config_path);
  if (!r.ok()) {
    for (const auto& e : r.errors) std::cerr << e.to_string() << "\n";
    std::cerr << args.config_path << ": " << plural(r.errors.size(), "error", "errors") << "\n";
    return 1;
  }
  const size_t services = r.config->services.size(), slos = r.config->slos.size();
  const std::string valid = args.config_path + ": valid (" + plural(services, "service", "services") + ", " +
                            plural(slos, "SLO", "SLOs") + ")";
  if (!args.check_sources) {
    if (!args.quiet) std::cout << valid << "\n";
    return 0;
  }
  SourcesChecked c = check_sources(*r.config, args.config_path);
  if (c.rejected > 0) return 1;
  if (!args.quiet) {
    std::cout << valid << "\n"
              << "checked " << plural(c.checked, "query", "queries") << " against "
              << plural(c.datasources, "datasource", "datasources");
    if (c.unreachable > 0) std::cout << "; " << plural(c.unreachable, "datasource", "datasources") << " not reachable";
    std::cout << "\n";
  }
  return c.unreachable > 0 ? 2 : 0;
}

}  // namespace sloguard::cli
