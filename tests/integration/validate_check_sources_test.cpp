// `sloguard validate --check-sources` (issue 12) against Debian's real VictoriaMetrics: each
// query of an SLO with `source` is sent once and judged by the datasource's own parser. A
// rejected query is an error at its place in the file (exit 1), a datasource that cannot be
// reached a warning (exit 2), and without the flag nothing is sent.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "child_process.h"
#include "polling.h"
#include "temp_dir.h"
#include "tsdb_fixture.h"

using namespace sloguard::testing;
using namespace std::chrono_literals;

namespace {

struct Run {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

Run run_validate(const std::string& config, bool check_sources) {
  std::vector<std::string> argv = {SLOGUARD_BINARY, "validate", "--config", config};
  if (check_sources) argv.emplace_back("--check-sources");
  ChildProcess p(argv);
  const int status = p.wait_exit(15s);
  INFO(p.output());
  REQUIRE(status != -1);
  REQUIRE(WIFEXITED(status));
  return Run{WEXITSTATUS(status), p.output()};
}

// "line:column" (1-based) of the first `needle` in `text`.
std::string position_of(const std::string& text, const std::string& needle) {
  const size_t at = text.find(needle);
  REQUIRE(at != std::string::npos);
  size_t line = 1, line_start = 0;
  for (size_t i = 0; i < at; ++i) {
    if (text[i] != '\n') continue;
    ++line;
    line_start = i + 1;
  }
  return std::to_string(line) + ":" + std::to_string(at - line_start + 1);
}

std::string datasource(const std::string& name, const std::string& url) {
  return "  - name: " + name + "\n    url: " + url + "\n    timeout: 5s\n";
}

// An availability SLO of checkout reading `bad` and `total` from `source`.
std::string slo(const std::string& name, const std::string& source, const std::string& bad, const std::string& total) {
  return "  - name: " + name + "\n    service: checkout\n    source: " + source +
         "\n    objective: 99%\n    window: 30d\n    sli:\n      prometheus:\n        bad: " + bad +
         "\n        total: " + total + "\n";
}

const std::string kGoodBad = R"(http_requests_total{job="checkout",code=~"5.."})";
const std::string kGoodTotal = R"(http_requests_total{job="checkout"})";
const std::string kBroken = R"(http_requests_total{job="x")";  // the closing brace is missing

std::string closed_port_url() { return "http://127.0.0.1:" + std::to_string(free_loopback_port()); }

bool victoria_metrics_missing() {
  if (access(kVictoriaMetricsBinary, X_OK) == 0) return false;
  WARN("skipped: " << kVictoriaMetricsBinary
                   << " missing (Debian package victoria-metrics; scripts/setup.sh installs it)");
  return true;
}

}  // namespace

TEST_CASE("validate --check-sources: a query VictoriaMetrics rejects is an error at its position, exit 1") {
  if (victoria_metrics_missing()) return;
  VictoriaMetricsTsdb vm;
  TempDir dir;
  const std::string file = (dir.path() / "sloguard.yaml").string();
  const std::string yaml = "services: [{name: checkout}]\ndatasources:\n" + datasource("vm", vm.url()) +
                           datasource("down", closed_port_url()) + "slos:\n" +
                           slo("valid", "vm", kGoodBad, kGoodTotal) + slo("broken", "vm", kBroken, kGoodTotal) +
                           slo("elsewhere", "down", kGoodBad, kGoodTotal);
  write_text_file(file, yaml);
  INFO(yaml);

  // What sloguard relies on: VictoriaMetrics refuses an unparsable query with HTTP 422 and an
  // error naming the parser's complaint (errorType "422", not Prometheus' 400 bad_data).
  {
    httplib::Client c("127.0.0.1", vm.port());
    auto res = c.Post("/api/v1/query", "query=" + httplib::detail::encode_query_param(kBroken),
                      "application/x-www-form-urlencoded");
    REQUIRE(res);
    INFO(res->body);
    CHECK(res->status == 422);
    const auto body = nlohmann::json::parse(res->body, nullptr, false);
    CHECK(body.value("status", "") == "error");
    CHECK(body.value("error", "").find("unexpected token") != std::string::npos);
  }

  // Offline by default: valid, nothing sent.
  const Run offline = run_validate(file, false);
  INFO(offline.output);
  CHECK(offline.exit_code == 0);
  CHECK(offline.output.find("warning") == std::string::npos);

  const Run r = run_validate(file, true);
  INFO(r.output);
  CHECK(r.exit_code == 1);
  // Where the value of slos[1].sli.prometheus.bad starts (its only occurrence in the file).
  const std::string expected = file + ":" + position_of(yaml, kBroken) + ": slos[1].sli.prometheus.bad: vm: ";
  CHECK(r.output.find(expected) != std::string::npos);
  CHECK(r.output.find("unexpected token") != std::string::npos);
  // Only that one: the valid SLO's queries and broken's total passed VictoriaMetrics' parser.
  CHECK(r.output.find("slos[0].") == std::string::npos);
  CHECK(r.output.find("slos[1].sli.prometheus.total") == std::string::npos);
  CHECK(r.output.find(file + ": 1 query rejected by its datasource") != std::string::npos);
  // The unreachable datasource is a warning; the rejected query decides the exit code.
  CHECK(r.output.find("warning: datasource down not reachable (reason: unreachable") != std::string::npos);
  CHECK(r.output.find("its queries were not checked") != std::string::npos);
  CHECK(r.output.find(": valid (") == std::string::npos);
}

TEST_CASE("validate --check-sources: queries VictoriaMetrics accepts, exit 0 with a summary") {
  if (victoria_metrics_missing()) return;
  VictoriaMetricsTsdb vm;
  TempDir dir;
  const std::string file = (dir.path() / "sloguard.yaml").string();
  // A plain selector and an expression with {{window}}, as sloguard wraps them.
  write_text_file(file, "services: [{name: checkout}]\ndatasources:\n" + datasource("vm", vm.url()) + "slos:\n" +
                            slo("a", "vm", kGoodBad, kGoodTotal) +
                            slo("b", "vm", R"(sum(rate(http_requests_total{code=~"5.."}[{{window}}])))",
                                R"(sum(rate(http_requests_total[{{window}}])))"));
  const Run r = run_validate(file, true);
  INFO(r.output << "\nvictoria-metrics log:\n" << vm.log());
  CHECK(r.exit_code == 0);
  CHECK(r.output.find(file + ": valid (1 service, 2 SLOs)") != std::string::npos);
  CHECK(r.output.find("checked 4 queries against 1 datasource\n") != std::string::npos);
}

TEST_CASE("validate --check-sources: a datasource on a closed port is a warning, exit 2") {
  TempDir dir;
  const std::string file = (dir.path() / "sloguard.yaml").string();
  write_text_file(file, "services: [{name: checkout}]\ndatasources:\n" + datasource("vm", closed_port_url()) +
                            "slos:\n" + slo("a", "vm", kGoodBad, kGoodTotal) + slo("b", "vm", kBroken, kGoodTotal));
  const Run offline = run_validate(file, false);
  CHECK(offline.exit_code == 0);

  const Run r = run_validate(file, true);
  INFO(r.output);
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("warning: datasource vm not reachable (reason: unreachable: ") != std::string::npos);
  CHECK(r.output.find("; its queries were not checked\n") != std::string::npos);
  CHECK(r.output.find("checked 0 queries against 0 datasources; 1 datasource not reachable") != std::string::npos);
  CHECK(r.output.find("slos[") == std::string::npos);  // nothing could be judged
}
