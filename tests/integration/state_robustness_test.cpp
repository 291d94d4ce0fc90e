// A store holding one corrupt record of each kind, and a store that throws: the daemon's
// reads skip what does not decode, and its background rounds count what escapes and go on.
#include <atomic>
#include <cstdlib>
#include <sstream>

#include "forwarding_store.h"
#include "loopback_http.h"
#include "polling.h"
#include "server_fixture.h"
#include "sloguard/alerting/outbox.h"

using namespace sloguard;
using namespace sloguard::testing;
using nlohmann::json;

namespace {

constexpr int64_t kT0 = 1767225600;

std::string config_yaml(const std::string& hook_url) {
  return "evaluation_interval: 60s\n"
         "services: [{name: checkout}]\n"
         "notifiers:\n"
         "  - {name: hook, kind: webhook, url: \"" + hook_url + "\"}\n"
         "slos:\n"
         "  - name: checkout-availability\n"
         "    service: checkout\n"
         "    objective: 99%\n"
         "    window: 30d\n";
}

// An outbox entry for the "hook" notifier, as the outbox stores it.
std::string outbox_entry(uint64_t seq, const std::string& id) {
  alerting::OutboxEntry e;
  e.seq = seq;
  e.notifier = "hook";
  e.next_attempt_ms = kT0 * 1000;
  e.notification.id = id;
  e.notification.status = "firing";
  e.notification.created_at_ms = kT0 * 1000;
  return alerting::to_json(e);
}

// sloguard_internal_errors_total{component="<component>"} from /metrics; 0 when absent.
double internal_errors(httplib::Client& http, const std::string& component) {
  auto res = http.Get("/metrics");
  REQUIRE(res);
  const std::string want = "sloguard_internal_errors_total{component=\"" + component + "\"} ";
  std::istringstream lines(res->body);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(want, 0) == 0) return std::stod(line.substr(want.size()));
  }
  return 0;
}

// The real store, whose state writes and reads can be made to throw (a bug's stand-in).
class ThrowingStore final : public ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  std::atomic<bool> throw_writes{false};
  std::atomic<bool> throw_scans{false};
  Status put_state(std::string_view k, std::string_view v) override {
    maybe_throw(throw_writes);
    return ForwardingStore::put_state(k, v);
  }
  Status delete_state(std::string_view k) override {
    maybe_throw(throw_writes);
    return ForwardingStore::delete_state(k);
  }
  Status write_state(const std::vector<StateWrite>& w) override {
    maybe_throw(throw_writes);
    return ForwardingStore::write_state(w);
  }
  Status scan_state(std::string_view p,
                    const std::function<void(std::string_view, std::string_view)>& v) const override {
    maybe_throw(throw_scans);
    return ForwardingStore::scan_state(p, v);
  }

 private:
  static void maybe_throw(const std::atomic<bool>& flag) {
    if (flag) throw std::runtime_error("store broke (test)");
  }
};

// A receiver for the "hook" webhook notifier that counts what it gets.
struct CountingReceiver {
  CountingReceiver() {
    http.server().Post("/hook", [this](const httplib::Request&, httplib::Response& res) {
      ++received;
      res.status = 200;
    });
    http.start();
  }
  std::string url() const { return http.url("/hook"); }
  LoopbackHttpServer http;
  std::atomic<int> received{0};
};

// A daemon on a ThrowingStore: the store opens first (for records written before the
// daemon loads them), create() builds the daemon with or without its dispatcher thread.
struct ThrowingDaemon {
  explicit ThrowingDaemon(const std::string& yaml) {
    auto loaded = config::load_config_text(yaml + "storage: {path: \"" + (dir.path() / "data").string() +
                                           "\", retention: 35d}\nserver: {listen: \"127.0.0.1:0\"}\n");
    REQUIRE(loaded.ok());
    cfg = loaded.config;
    store::StoreOptions so;
    so.path = (dir.path() / "data").string();
    so.clock = &clock;
    auto real = store::open_rocksdb_store(so);
    REQUIRE(real.ok());
    owned = std::make_unique<ThrowingStore>(std::move(real).value());
    store = owned.get();
  }
  void create(bool dispatcher) {
    server::ServerOptions o;
    o.config = cfg;
    o.clock = &clock;
    o.store = std::move(owned);
    o.run_evaluator = false;
    o.run_prober = false;
    o.run_dispatcher = dispatcher;
    o.run_hook_workers = false;
    auto s = server::Server::create(std::move(o));
    REQUIRE(s.ok());
    server = std::move(s).value();
  }
  void start() {
    REQUIRE(server->start().ok());
    http = std::make_unique<httplib::Client>("127.0.0.1", server->port());
  }
  TempDir dir;
  ManualClock clock{kT0 * 1000};
  std::shared_ptr<const config::Config> cfg;
  std::unique_ptr<ThrowingStore> owned;
  ThrowingStore* store = nullptr;
  std::unique_ptr<server::Server> server;
  std::unique_ptr<httplib::Client> http;
};

}  // namespace

TEST_CASE("one corrupt record of each kind is skipped and every read still answers", "[integration][state]") {
  CountingReceiver rx;
  ServerFixture fx(config_yaml(rx.url()), kT0);
  auto [ds, deployment] = fx.post("/api/v1/deployments", R"({"service":"checkout","version":"v2"})");
  INFO(deployment.dump());
  REQUIRE(ds == 201);
  auto [ss, silence] = fx.post("/api/v1/silences", json{{"matchers", {"service=checkout"}},
                                                         {"endsAt", kT0 + 3600},
                                                         {"createdBy", "a"},
                                                         {"comment", "c"}}
                                                        .dump());
  REQUIRE(ss == 201);
  store::Store& st = fx.server().store();
  REQUIRE(st.put_state("alert/bad", "{not json").ok());
  REQUIRE(st.put_state("silence/bad", R"({"id":5,"matchers":["a=b"]})").ok());
  REQUIRE(st.put_state("outbox/00000000000000000050", R"({"seq":"x"})").ok());
  REQUIRE(st.put_state("outbox/00000000000000000051", outbox_entry(51, "good")).ok());
  REQUIRE(st.put_state("deploy/bad", R"({"id":"bad","service":7})").ok());
  REQUIRE(st.put_state("verify/bad", "[]").ok());
  REQUIRE(st.put_state("vprog/" + deployment["id"].get<std::string>(), R"({"checked_at":"noon"})").ok());
  REQUIRE(st.put_state("audit/bad", R"({"at":"x"})").ok());
  REQUIRE(st.put_state("rbjob/k/h", R"({"hook":1})").ok());
  REQUIRE(st.put_state("rbdue/k/h", "1").ok());
  REQUIRE(st.put_state("amalert/bad", R"({"service":"checkout"})").ok());
  fx.reopen();  // the loads at startup meet every corrupt record

  auto [as, alerts] = fx.get("/api/v1/alerts");
  CHECK(as == 200);
  auto [ls, silences] = fx.get("/api/v1/silences");
  REQUIRE(ls == 200);
  CHECK(silences.dump().find(silence["id"].get<std::string>()) != std::string::npos);
  auto [dls, deployments] = fx.get("/api/v1/deployments");
  REQUIRE(dls == 200);
  CHECK(deployments.dump().find(deployment["id"].get<std::string>()) != std::string::npos);
  CHECK(deployments.dump().find("\"bad\"") == std::string::npos);
  CHECK(fx.get("/api/v1/hooks/history").first == 200);
  CHECK(fx.get("/api/v1/hooks/jobs").first == 200);
  auto [gs, gate] = fx.get("/api/v1/gate?service=checkout");
  CHECK(gs == 200);
  // The good outbox entry goes out; the corrupt one was skipped at load.
  CHECK(fx.server().deliver_now() == 1);
  CHECK(rx.received.load() == 1);
  fx.server().evaluate_now();  // verification reads the deployment with its corrupt progress
  CHECK(fx.server().run_hooks_now() == 0);
}

TEST_CASE("an evaluation round whose state reads throw is counted and the next round runs", "[integration][state]") {
  ThrowingDaemon d(config_yaml("http://127.0.0.1:9/hook"));
  d.create(false);
  d.start();
  d.store->throw_scans = true;
  d.server->evaluate_now();  // the verification round reads the deployments: it throws
  CHECK(internal_errors(*d.http, "verification") == 1);
  d.store->throw_scans = false;
  d.server->evaluate_now();
  CHECK(internal_errors(*d.http, "verification") == 1);
  auto res = d.http->Get("/api/v1/slos");
  REQUIRE(res);
  CHECK(res->status == 200);
}

TEST_CASE("the dispatcher thread survives a store that throws and delivers once it is back",
          "[integration][state]") {
  CountingReceiver rx;
  ThrowingDaemon d(config_yaml(rx.url()));
  REQUIRE(d.store->put_state("outbox/00000000000000000001", outbox_entry(1, "n1")).ok());
  d.create(true);
  // Removing the delivered entry throws: the round ends in an exception.
  d.store->throw_writes = true;
  d.start();
  // The dispatcher is a real thread (rounds every second): poll with a deadline.
  REQUIRE(poll_until([&] { return internal_errors(*d.http, "outbox") >= 1; }, std::chrono::seconds(20)));
  d.store->throw_writes = false;
  REQUIRE(poll_until(
      [&] {
        auto res = d.http->Get("/api/v1/notifications?state=pending");
        return res && res->status == 200 && json::parse(res->body)["pending"].empty();
      },
      std::chrono::seconds(20)));
  CHECK(rx.received.load() >= 2);  // delivered again: its removal had failed
}
