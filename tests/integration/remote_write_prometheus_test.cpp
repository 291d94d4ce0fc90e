// Prometheus remote_write end to end: Debian's real Prometheus scrapes a target that this test
// serves on loopback (two counters and a classic histogram whose values are set by hand) and
// remote-writes every sample to the real sloguard binary. The SLO counts must equal the
// increases exactly: the first scrape gives none, a counter reset counts its new value, and a
// kill -9 of sloguard while Prometheus keeps scraping and retrying loses nothing and counts
// nothing twice.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <thread>

#include "child_process.h"
#include "polling.h"
#include "loopback_http.h"
#include "temp_dir.h"

using namespace sloguard;
using nlohmann::json;
using namespace std::chrono_literals;

using sloguard::testing::free_loopback_port;
using sloguard::testing::poll_until;

namespace {

namespace fs = std::filesystem;

constexpr const char* kPrometheus = "/usr/bin/prometheus";
// Each wait in this test; the whole stream takes well under a minute when all is well.
constexpr auto kWait = 60s;

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The lines of `text` that contain `needle`.
std::string grep(const std::string& text, const std::string& needle) {
  std::istringstream in(text);
  std::string out;
  for (std::string line; std::getline(in, line);) {
    if (line.find(needle) != std::string::npos) out += line + "\n";
  }
  return out;
}

// The value of one sample line ("name{labels} value") of a Prometheus text exposition, 0 when
// absent.
double sample_value(const std::string& text, const std::string& series) {
  for (size_t pos = 0; (pos = text.find(series + " ", pos)) != std::string::npos; ++pos) {
    if (pos == 0 || text[pos - 1] == '\n') return std::stod(text.substr(pos + series.size() + 1));
  }
  return 0;
}

// Runs `argv` with its output appended to `log` (a pipe nobody reads could fill up); the shell
// execs it, so the child is the program itself.
std::unique_ptr<testing::ChildProcess> spawn_logged(std::vector<std::string> argv, const fs::path& log) {
  std::vector<std::string> sh = {"/bin/sh", "-c", "exec \"$0\" \"$@\" >>'" + log.string() + "' 2>&1"};
  sh.insert(sh.end(), argv.begin(), argv.end());
  return std::make_unique<testing::ChildProcess>(sh);
}

// --- the scrape target ------------------------------------------------------------------------

// Cumulative bucket counts for le 0.1, 0.5, 1 and +Inf.
using Buckets = std::array<double, 4>;
constexpr std::array<const char*, 4> kLe = {"0.1", "0.5", "1", "+Inf"};

struct Values {
  double ok = 0;   // http_requests_total{code="200"}
  double err = 0;  // http_requests_total{code="500"}
  Buckets hist{};  // http_request_duration_seconds_bucket
};

// What the target exposes, set by the test. Each set() is a generation; wait_scraped() waits
// until a scrape has served it, so every value the test sets is a sample in Prometheus.
class Target {
 public:
  Target() {
    http_.server().Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      res.set_content(exposition(values_), "text/plain; version=0.0.4");
      served_ = generation_;
      ++scrapes_;
      cv_.notify_all();
    });
    http_.start();
  }
  int port() const { return http_.port(); }

  void set(const Values& v) {
    std::lock_guard<std::mutex> lock(mu_);
    values_ = v;
    ++generation_;
  }
  // True once a scrape that started after the last set() has been answered.
  bool wait_scraped(std::chrono::milliseconds timeout = kWait) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [this] { return served_ == generation_; });
  }
  // True once `n` more scrapes have been answered.
  bool wait_scrapes(int n, std::chrono::milliseconds timeout = kWait) {
    std::unique_lock<std::mutex> lock(mu_);
    const uint64_t until = scrapes_ + static_cast<uint64_t>(n);
    return cv_.wait_for(lock, timeout, [&] { return scrapes_ >= until; });
  }

 private:
  static std::string exposition(const Values& v) {
    std::ostringstream o;
    o.precision(17);
    o << "# HELP http_requests_total Requests by status code.\n"
         "# TYPE http_requests_total counter\n"
      << "http_requests_total{code=\"200\"} " << v.ok << "\n"
      << "http_requests_total{code=\"500\"} " << v.err << "\n"
      << "# HELP http_request_duration_seconds Request latency.\n"
         "# TYPE http_request_duration_seconds histogram\n";
    for (size_t i = 0; i < kLe.size(); ++i) {
      o << "http_request_duration_seconds_bucket{le=\"" << kLe[i] << "\"} " << v.hist[i] << "\n";
    }
    o << "http_request_duration_seconds_sum " << v.hist[3] * 0.3 << "\n"
      << "http_request_duration_seconds_count " << v.hist[3] << "\n";
    return o.str();
  }

  testing::LoopbackHttpServer http_;
  std::mutex mu_;
  std::condition_variable cv_;
  Values values_;
  uint64_t generation_ = 0, served_ = 0, scrapes_ = 0;
};

// The events a stream of scraped values stands for, by remote_write's counter semantics: the
// first sample gives nothing, an increase is that many events, a decrease is a reset whose new
// value is the increase. Histograms: a scrape with any bucket lower is a reset.
struct Expected {
  int64_t total = 0, good = 0;                  // checkout-availability (good: code 200)
  int64_t latency_total = 0, latency_good = 0;  // checkout-latency-500ms (good: le <= 0.5)
  std::optional<Values> last;

  static int64_t increase(double prev, double now) {
    return static_cast<int64_t>(now < prev ? std::floor(now) : std::floor(now) - std::floor(prev));
  }
  void scraped(const Values& v) {
    if (last) {
      const int64_t ok = increase(last->ok, v.ok), err = increase(last->err, v.err);
      total += ok + err;
      good += ok;
      bool reset = false;
      for (size_t i = 0; i < 4; ++i) reset = reset || v.hist[i] < last->hist[i];
      auto inc = [&](size_t i) { return reset ? static_cast<int64_t>(v.hist[i]) : increase(last->hist[i], v.hist[i]); };
      latency_total += inc(3);
      latency_good += inc(1);
    }
    last = v;
  }
};

// --- sloguard, the real binary ------------------------------------------------------------------

class Sloguard {
 public:
  Sloguard() : port_(free_loopback_port()) {
    config_ = dir_.path() / "sloguard.yaml";
    log_ = dir_.path() / "sloguard.log";
    std::ofstream(config_) << "server: {listen: \"127.0.0.1:" << port_ << "\"}\n"
                           << "storage: {path: \"" << (dir_.path() / "data").string() << "\", retention: 35d}\n"
                           << R"(services:
  - name: checkout
  # The histogram counts the same requests as the counter: it feeds a service of its own, so
  # that no request is counted twice in checkout's availability.
  - name: checkout-latency
remote_write:
  - {metric: http_requests_total, service: checkout, status_label: code}
  - {histogram: http_request_duration_seconds, service: checkout-latency, buckets: [0.1, 0.5, 1]}
slos:
  - name: checkout-availability
    service: checkout
    objective: 99%
    window: 1h
    sli: {kind: availability}
  - name: checkout-latency-500ms
    service: checkout-latency
    objective: 95%
    window: 1h
    sli: {kind: latency, threshold: 500ms}
)";
  }

  int port() const { return port_; }
  std::string write_url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/api/v1/write"; }

  // Starts `sloguard serve` and waits until /healthz answers 200.
  void start() {
    process_ = spawn_logged({SLOGUARD_BINARY, "serve", "--config", config_.string()}, log_);
    const bool up = poll_until([&] {
      auto res = client().Get("/healthz");
      return res && res->status == 200;
    });
    if (!up) FAIL("sloguard did not answer /healthz within 60s; its log:\n" << log());
  }

  // kill -9, and waits until it is gone.
  void kill9() {
    process_->signal(SIGKILL);
    const int status = process_->wait_exit(kWait);
    REQUIRE(status != -1);
    CHECK(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGKILL);
    process_.reset();
  }

  void stop() {
    if (!process_) return;
    process_->signal(SIGTERM);
    const int status = process_->wait_exit(30s);
    CHECK(status != -1);
    CHECK(WIFEXITED(status));
    process_.reset();
  }

  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_connection_timeout(2s);
    c.set_read_timeout(10s);
    return c;
  }

  std::string metrics() const {
    auto res = client().Get("/metrics");
    return res && res->status == 200 ? res->body : "";
  }
  double metric(const std::string& series) const { return sample_value(metrics(), series); }

  // The SLO's sli {good, total} over its 1h window ending after the minute now is in: every
  // sample sent so far is inside it. Null when sloguard does not answer.
  json sli(const std::string& slo) const {
    const int64_t now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    const int64_t at = (now / 60 + 1) * 60 + 60;
    auto res = client().Get("/api/v1/slos/" + slo + "?at=" + std::to_string(at));
    if (!res || res->status != 200) return nullptr;
    return json::parse(res->body, nullptr, false)["sli"];
  }

  std::string log() const { return read_file(log_); }

 private:
  testing::TempDir dir_;
  int port_;
  fs::path config_, log_;
  std::unique_ptr<testing::ChildProcess> process_;
};

// --- Prometheus, Debian's package -----------------------------------------------------------

// Scrapes `target_port` every second (job "checkout") and remote-writes to `write_url`, with
// retries at most a second apart. Own config and storage in a temp dir; killed on destruction.
class Prometheus {
 public:
  Prometheus(int target_port, const std::string& write_url) : port_(free_loopback_port()) {
    const fs::path config = dir_.path() / "prometheus.yml";
    std::ofstream(config) << "global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}\n"
                             "scrape_configs:\n"
                             "  - job_name: checkout\n"
                             "    scrape_interval: 1s\n"
                             "    static_configs: [{targets: ['127.0.0.1:"
                          << target_port << "']}]\n"
                          << "remote_write:\n"
                             "  - url: " << write_url << "\n"
                             "    remote_timeout: 5s\n"
                             "    queue_config: {batch_send_deadline: 1s, min_backoff: 100ms, max_backoff: 1s}\n"
                             "    metadata_config: {send: false}\n";
    log_ = dir_.path() / "prometheus.log";
    process_ = spawn_logged({kPrometheus, "--config.file=" + config.string(),
                             "--storage.tsdb.path=" + (dir_.path() / "data").string(),
                             "--web.listen-address=127.0.0.1:" + std::to_string(port_), "--log.level=info"},
                            log_);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
    client_->set_connection_timeout(2s);
    client_->set_read_timeout(10s);
    const bool ready = poll_until([&] {
      auto res = client_->Get("/-/ready");
      return res && res->status == 200;
    });
    if (!ready) FAIL("prometheus did not become ready within 60s; its log:\n" << log());
  }
  // SIGKILL: on SIGTERM Prometheus waits up to a minute to flush its remote_write queue, and
  // the test is done with it (its storage is a temp dir).
  ~Prometheus() {
    process_->signal(SIGKILL);
    process_->wait_exit(15s);
  }

  std::string metrics() const {
    auto res = client_->Get("/metrics");
    return res && res->status == 200 ? res->body : "";
  }
  // The sum of a metric's samples in Prometheus' own /metrics (over its label sets).
  double own_metric_sum(const std::string& name) const {
    double sum = 0;
    std::istringstream in(metrics());
    for (std::string line; std::getline(in, line);) {
      if (line.rfind(name, 0) != 0) continue;
      const char next = line.size() > name.size() ? line[name.size()] : '\0';
      if (next != '{' && next != ' ') continue;
      sum += std::stod(line.substr(line.rfind(' ') + 1));
    }
    return sum;
  }
  std::string log() const { return read_file(log_); }

 private:
  testing::TempDir dir_;
  int port_;
  fs::path log_;
  std::unique_ptr<testing::ChildProcess> process_;
  std::unique_ptr<httplib::Client> client_;
};

// Everything a failed expectation needs to be diagnosed.
std::string diagnostics(const Sloguard& sg, const Prometheus& prom) {
  return "sloguard /metrics (remote_write):\n" + grep(sg.metrics(), "sloguard_remote_write") +
         "prometheus /metrics (remote storage):\n" + grep(prom.metrics(), "prometheus_remote_storage_samples") +
         "prometheus log (remote):\n" + grep(prom.log(), "remote") + "sloguard log:\n" + sg.log();
}

// Polls until both SLOs count exactly what `want` expects; on a timeout, says what they count.
void require_counts(const Sloguard& sg, const Prometheus& prom, const Expected& want, const char* when) {
  json avail, latency;
  const bool equal = poll_until([&] {
    avail = sg.sli("checkout-availability");
    latency = sg.sli("checkout-latency-500ms");
    return avail.is_object() && latency.is_object() && avail["total"] == want.total && avail["good"] == want.good &&
           latency["total"] == want.latency_total && latency["good"] == want.latency_good;
  });
  INFO(when << ": expected checkout-availability good/total " << want.good << "/" << want.total
            << ", checkout-latency-500ms " << want.latency_good << "/" << want.latency_total << "; sloguard says "
            << avail.dump() << " and " << latency.dump());
  INFO(diagnostics(sg, prom));
  REQUIRE(equal);
}

}  // namespace

TEST_CASE(
    "remote_write_prometheus: samples from a real Prometheus count exactly across a counter reset and a kill -9 of "
    "sloguard") {
  if (access(kPrometheus, X_OK) != 0) {
    WARN("skipped: " << kPrometheus << " is missing (install Debian's prometheus package; scripts/setup.sh does)");
    return;
  }
  const auto started = std::chrono::steady_clock::now();
  Target target;
  Expected want;
  // Sets the target's values and waits until Prometheus has scraped them.
  auto step = [&](const Values& v) {
    target.set(v);
    REQUIRE(target.wait_scraped());
    want.scraped(v);
  };

  Values v{1000, 10, {10, 20, 25, 30}};
  target.set(v);
  want.scraped(v);
  Sloguard sg;
  sg.start();
  auto prom_ptr = std::make_unique<Prometheus>(target.port(), sg.write_url());
  Prometheus& prom = *prom_ptr;

  // The first samples of the six remote series (two counters, four buckets) give no events.
  {
    const bool seen =
        poll_until([&] { return sg.metric("sloguard_remote_write_samples_total{result=\"first_sample\"}") >= 6; });
    INFO(diagnostics(sg, prom));
    REQUIRE(seen);
    CHECK(sg.metric("sloguard_remote_write_samples_total{result=\"first_sample\"}") == 6);
  }
  require_counts(sg, prom, want, "after the first scrapes");
  CHECK(want.total == 0);

  // Increases in two steps. Histogram: of 80 new requests 60 are <= 0.5s, then 10 of 15.
  step(v = {1100, 12, {50, 80, 100, 110}});
  step(v = {1250, 15, {55, 90, 112, 125}});
  require_counts(sg, prom, want, "after two increases");
  CHECK(want.total == 255);
  CHECK(want.latency_good == 70);
  CHECK(want.latency_total == 95);

  // The target restarts: every counter drops to a small value, then grows again.
  step(v = {5, 1, {2, 3, 4, 4}});
  step(v = {45, 4, {12, 20, 24, 26}});
  require_counts(sg, prom, want, "after a counter reset");
  CHECK(want.total == 304);
  CHECK(want.good == 295);
  CHECK(want.latency_good == 90);
  CHECK(want.latency_total == 121);

  // kill -9 sloguard while Prometheus keeps scraping: right after a scrape, so that its samples
  // are most likely still queued or in flight (batch_send_deadline 1s). The counters move while
  // it is down, and Prometheus retries its sends until sloguard is back on the same port and
  // data dir.
  step(v = {95, 6, {22, 30, 34, 36}});
  sg.kill9();
  const double retried_before = prom.own_metric_sum("prometheus_remote_storage_samples_retried_total");
  step(v = {145, 9, {32, 60, 70, 76}});
  step(v = {170, 9, {33, 61, 71, 77}});
  {
    const bool retried = poll_until(
        [&] { return prom.own_metric_sum("prometheus_remote_storage_samples_retried_total") > retried_before; });
    INFO("prometheus log (remote):\n" << grep(prom.log(), "remote"));
    REQUIRE(retried);
  }
  sg.start();
  require_counts(sg, prom, want, "after sloguard's kill -9 and restart");
  CHECK(want.total == 434);
  CHECK(want.good == 420);
  CHECK(want.latency_good == 131);
  CHECK(want.latency_total == 172);

  // Nothing arrives late to be counted twice: after more scrapes have been shipped (same
  // values, no increase), the counts are unchanged.
  const double requests = sg.metric("sloguard_remote_write_requests_total{code=\"204\"}");
  REQUIRE(target.wait_scrapes(3));
  {
    const bool shipped =
        poll_until([&] { return sg.metric("sloguard_remote_write_requests_total{code=\"204\"}") >= requests + 2; });
    INFO(diagnostics(sg, prom));
    REQUIRE(shipped);
  }
  require_counts(sg, prom, want, "a few scrapes later");
  {
    const std::string m = sg.metrics();
    INFO(diagnostics(sg, prom));
    // Every request was stored or failed to connect: none was refused as malformed.
    CHECK(grep(m, "sloguard_remote_write_requests_total{code=\"4").empty());
    CHECK(sample_value(m, "sloguard_remote_write_samples_total{result=\"stale\"}") == 0);
    CHECK(sample_value(m, "sloguard_remote_write_samples_total{result=\"first_sample\"}") == 0);  // since the restart
  }

  // The daemon stayed up throughout.
  auto health = sg.client().Get("/healthz");
  REQUIRE(health);
  CHECK(health->status == 200);
  prom_ptr.reset();
  sg.stop();
  const auto took = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started);
  CHECK(took < 120s);
}
