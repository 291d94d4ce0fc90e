// The keys of latency SLOs (issue 3): latency and percentile SLIs, budgeting by occurrences or
// time slices, calendar windows in a time zone, grouped SLOs; and Config::finalize().
#include "config_test_util.h"

namespace sloguard::config {
namespace {

using testing::all_errors;
using testing::has_error;
using testing::load;
using testing::require_error_at;
using testing::require_errors;

constexpr int64_t kDayMs = 86400LL * 1000;

// One SLO of service checkout. Lines 1-6 are fixed (window on line 6, its value at column
// 13); `tail` starts on line 7.
std::string slo_yaml(const std::string& tail, const std::string& window = "30d") {
  return "services: [{name: checkout}, {name: search}]\n"
         "slos:\n"
         "  - name: s\n"
         "    service: checkout\n"
         "    objective: 99%\n"
         "    window: " +
         window + "\n" + tail;
}

// sli on line 7, kind on line 8, `key: value` on line 9: the value at column 9 + len(key).
std::string sli_yaml(const std::string& kind, const std::string& key, const std::string& value) {
  return slo_yaml("    sli:\n      kind: " + kind + "\n      " + key + ": " + value + "\n");
}

// A percentile SLI (p99 <= 300ms, lines 7-10) followed by `tail` from line 11.
std::string percentile_yaml(const std::string& tail) {
  return slo_yaml("    sli:\n      kind: percentile\n      percentile: 99\n      target: 300ms\n" + tail);
}

// A copy: the LoadResult is often a temporary.
SloConfig only_slo(const LoadResult& r) {
  INFO(all_errors(r));
  REQUIRE(r.ok());
  REQUIRE(r.config->slos.size() == 1);
  return r.config->slos[0];
}

// ---- valid configs ------------------------------------------------------------------------

TEST_CASE("an availability SLO gets the defaults of the new keys", "[config]") {
  const SloConfig& s = only_slo(load(slo_yaml("")));
  CHECK(s.window_kind == WindowKind::kRolling);
  CHECK(s.time_zone == "UTC");
  CHECK(s.sli.kind == SliKind::kAvailability);
  CHECK(s.sli.threshold_ms == 0);
  CHECK(s.budgeting.method == BudgetingMethod::kOccurrences);
  CHECK(s.budgeting.slice_seconds == 60);
  CHECK(s.budgeting.slice_target == 0);  // unused with occurrences
  CHECK(s.group_by.empty());
  CHECK(s.max_groups == 100);
}

TEST_CASE("latency thresholds are durations kept to the microsecond", "[config]") {
  struct Case {
    const char* written;
    double ms;
  };
  for (const Case& c :
       {Case{"500ms", 500}, Case{"\"250ms\"", 250}, Case{"'250ms'", 250}, Case{"1.5s", 1500},
        Case{"1s500ms", 1500}, Case{"0.5ms", 0.5}, Case{"250us", 0.25}, Case{"250µs", 0.25},
        Case{"250μs", 0.25}, Case{"2m", 120000}, Case{"1h", 3600000}, Case{"59m59.5s", 3599500},
        // 123.4567us rounds to 123us; 0.6us to 1us: finer precision is not kept.
        Case{"0.1234567ms", 0.123}, Case{"0.0006ms", 0.001}}) {
    LoadResult r = load(sli_yaml("latency", "threshold", c.written));
    INFO(c.written);
    const SloConfig& s = only_slo(r);
    CHECK(s.sli.kind == SliKind::kLatency);
    CHECK(s.sli.threshold_ms == Approx(c.ms).epsilon(1e-12));
    CHECK(s.budgeting.method == BudgetingMethod::kOccurrences);
  }
}

TEST_CASE("a latency SLI may filter on endpoint", "[config]") {
  const SloConfig& s =
      only_slo(load(slo_yaml("    sli: {kind: latency, threshold: 500ms, endpoint: \"/api/*\"}\n")));
  CHECK(s.sli.threshold_ms == 500);
  CHECK(s.sli.endpoint == "/api/*");
}

TEST_CASE("percentiles as numbers or pNN strings", "[config]") {
  struct Case {
    const char* written;
    double p;
  };
  for (const Case& c : {Case{"99", 99}, Case{"99.9", 99.9}, Case{"\"p99\"", 99}, Case{"p99.9", 99.9},
                        Case{"P95", 95}, Case{"50", 50}, Case{"0.5", 0.5}, Case{"99.99", 99.99}}) {
    LoadResult r =
        load(sli_yaml("percentile", "percentile", std::string(c.written) + "\n      target: 1.5s"));
    INFO(c.written);
    const SloConfig& s = only_slo(r);
    CHECK(s.sli.kind == SliKind::kPercentile);
    CHECK(s.sli.percentile == Approx(c.p));
    CHECK(s.sli.target_ms == 1500);
  }
}

TEST_CASE("a percentile SLI is judged per one-minute slice by default", "[config]") {
  const SloConfig& s = only_slo(load(percentile_yaml("")));
  CHECK(s.sli.percentile == 99);
  CHECK(s.sli.target_ms == 300);
  CHECK(s.budgeting.method == BudgetingMethod::kTimeslices);
  CHECK(s.budgeting.slice_seconds == 60);
  CHECK(s.budgeting.slice_target == 0);  // a slice is good when its p99 <= target

  const SloConfig& five = only_slo(load(percentile_yaml("    budgeting: {slice: 5m}\n")));
  CHECK(five.budgeting.method == BudgetingMethod::kTimeslices);
  CHECK(five.budgeting.slice_seconds == 300);
}

TEST_CASE("time slices: every slice dividing an hour, slice_target defaults to the objective", "[config]") {
  struct Case {
    const char* written;
    int64_t seconds;
  };
  for (const Case& c :
       {Case{"1m", 60}, Case{"2m", 120}, Case{"3m", 180}, Case{"4m", 240}, Case{"5m", 300}, Case{"6m", 360},
        Case{"10m", 600}, Case{"12m", 720}, Case{"15m", 900}, Case{"20m", 1200}, Case{"30m", 1800},
        Case{"60m", 3600}, Case{"1h", 3600}, Case{"300s", 300}}) {
    INFO(c.written);
    const SloConfig& s = only_slo(
        load(slo_yaml(std::string("    budgeting: {method: timeslices, slice: ") + c.written + "}\n")));
    CHECK(s.budgeting.method == BudgetingMethod::kTimeslices);
    CHECK(s.budgeting.slice_seconds == c.seconds);
    CHECK(s.budgeting.slice_target == Approx(0.99));  // the objective
  }
  const SloConfig& t =
      only_slo(load(slo_yaml("    budgeting:\n      method: timeslices\n      slice_target: 95%\n")));
  CHECK(t.budgeting.slice_seconds == 60);
  CHECK(t.budgeting.slice_target == Approx(0.95));
  const SloConfig& all = only_slo(load(slo_yaml("    budgeting: {method: timeslices, slice_target: 1}\n")));
  CHECK(all.budgeting.slice_target == 1);
  const SloConfig& lat = only_slo(load(
      slo_yaml("    sli: {kind: latency, threshold: 200ms}\n    budgeting: {method: timeslices, slice: 5m, "
               "slice_target: 0.9}\n")));
  CHECK(lat.budgeting.method == BudgetingMethod::kTimeslices);
  CHECK(lat.budgeting.slice_seconds == 300);
  CHECK(lat.budgeting.slice_target == Approx(0.9));
  const SloConfig& occ = only_slo(load(slo_yaml("    budgeting: {method: occurrences}\n")));
  CHECK(occ.budgeting.method == BudgetingMethod::kOccurrences);
}

TEST_CASE("calendar windows: week, month, quarter in a time zone", "[config]") {
  struct Case {
    const char* window;
    CalendarUnit unit;
    int64_t longest_ms;
  };
  for (const Case& c :
       {Case{"week", CalendarUnit::kWeek, 7 * kDayMs}, Case{"month", CalendarUnit::kMonth, 31 * kDayMs},
        Case{"quarter", CalendarUnit::kQuarter, 92 * kDayMs}}) {
    INFO(c.window);
    LoadResult r = load("storage: {retention: 92d}\n" + slo_yaml("", c.window));
    const SloConfig& s = only_slo(r);
    CHECK(s.window_kind == WindowKind::kCalendar);
    CHECK(s.calendar == c.unit);
    CHECK(s.window_ms == c.longest_ms);
    CHECK(s.window_text == c.window);
    CHECK(s.time_zone == "UTC");
  }
  for (const char* tz :
       {"Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC", "Etc/UTC", "\"Europe/Berlin\""}) {
    INFO(tz);
    const SloConfig& s = only_slo(load(slo_yaml(std::string("    time_zone: ") + tz + "\n", "month")));
    CHECK(s.time_zone == (tz[0] == '"' ? "Europe/Berlin" : tz));
  }
  // A week fits a week of retention; "1w" stays a rolling duration.
  CHECK(only_slo(load("storage: {retention: 7d}\n" + slo_yaml("", "week"))).window_kind ==
        WindowKind::kCalendar);
  CHECK(only_slo(load(slo_yaml("", "1w"))).window_kind == WindowKind::kRolling);
}

TEST_CASE("grouped SLOs: one label, max_groups", "[config]") {
  const SloConfig& e = only_slo(load(slo_yaml("    group_by: [endpoint]\n")));
  CHECK(e.group_by == std::vector<std::string>{"endpoint"});
  CHECK(e.max_groups == 100);
  const SloConfig& v = only_slo(load(slo_yaml("    group_by:\n      - version\n    max_groups: 10000\n")));
  CHECK(v.group_by == std::vector<std::string>{"version"});
  CHECK(v.max_groups == 10000);
  CHECK(only_slo(load(slo_yaml("    group_by: [endpoint]\n    max_groups: 1\n"))).max_groups == 1);
}

TEST_CASE("latency thresholds per service: sorted, distinct, in microseconds", "[config]") {
  LoadResult r = load(R"(services: [{name: checkout}, {name: search}, {name: plain}]
slos:
  - {name: a, service: checkout, objective: 99%, window: 1d, sli: {kind: latency, threshold: 500ms}}
  - {name: b, service: checkout, objective: 95%, window: 7d, sli: {kind: latency, threshold: 250ms}}
  - {name: c, service: checkout, objective: 90%, window: 1d, sli: {kind: latency, threshold: 0.5s}}
  - {name: d, service: checkout, objective: 90%, window: 1d, sli: {kind: latency, threshold: 1h}}
  - {name: e, service: search, objective: 90%, window: 1d, sli: {kind: latency, threshold: 0.25ms}}
  - {name: f, service: search, objective: 90%, window: 1d, sli: {kind: percentile, percentile: 99, target: 1s}}
  - {name: g, service: plain, objective: 90%, window: 1d}
)");
  INFO(all_errors(r));
  REQUIRE(r.ok());
  const Config& c = *r.config;
  CHECK(c.latency_thresholds_us("checkout") == std::vector<uint32_t>{250000, 500000, 3600000000u});
  CHECK(c.latency_thresholds_us("search") == std::vector<uint32_t>{250});
  CHECK(c.latency_thresholds_us("plain").empty());
  CHECK(c.latency_thresholds_us("nope").empty());
  CHECK(c.latency_thresholds.size() == 2);
}

TEST_CASE("finalize() derives the thresholds of a config built in code", "[config]") {
  Config c;
  CHECK(c.latency_thresholds_us("checkout").empty());
  SloConfig s;
  s.service = "checkout";
  s.sli.kind = SliKind::kLatency;
  s.sli.threshold_ms = 100;
  c.slos.push_back(s);
  s.sli.threshold_ms = 0.001;  // 1us
  c.slos.push_back(s);
  s.sli.kind = SliKind::kAvailability;  // not counted
  s.sli.threshold_ms = 7;
  c.slos.push_back(s);
  c.finalize();
  CHECK(c.latency_thresholds_us("checkout") == std::vector<uint32_t>{1, 100000});
  // It recomputes from scratch.
  c.slos.clear();
  c.finalize();
  CHECK(c.latency_thresholds_us("checkout").empty());
  CHECK(c.latency_thresholds.empty());
}

// ---- errors -------------------------------------------------------------------------------

TEST_CASE("window: unknown calendar names and retention", "[config]") {
  require_error_at(
      load(slo_yaml("", "monthly")), 6, 13,
      "slos[0].window: unknown window \"monthly\"; did you mean \"month\"? (calendar windows: week, "
      "month, quarter; rolling windows are durations like 30d)");
  require_error_at(load(slo_yaml("", "Week")), 6, 13, "unknown window \"Week\"; did you mean \"week\"?");
  require_error_at(
      load(slo_yaml("", "fortnight")), 6, 13,
      "slos[0].window: invalid duration \"fortnight\": expected e.g. 30d, 6h, 1h30m, 15s (units ms, "
      "s, m, h, d, w); or a calendar window: week, month, quarter");
  // Retention: a calendar window counts as its longest period.
  LoadResult q = load(slo_yaml("", "quarter"));
  require_error_at(q, 6, 13,
                   "slos[0].window: window quarter (up to 92d) is longer than storage.retention 35d");
  CHECK(q.errors.size() == 1);
  require_error_at(load("storage: {retention: 30d}\n" + slo_yaml("", "month")), 7, 13,
                   "window month (up to 31d) is longer than storage.retention 30d");
  require_error_at(load("storage: {retention: 6d}\n" + slo_yaml("", "week")), 7, 13,
                   "window week (up to 7d) is longer than storage.retention 6d");
  require_error_at(load(slo_yaml("", "[month]")), 6, 13,
                   "slos[0].window: expected a duration like 30d, or week, month or quarter, got a list");
}

TEST_CASE("time_zone: only with calendar windows, and a known IANA name", "[config]") {
  LoadResult rolling = load(slo_yaml("    time_zone: Europe/Berlin\n"));
  require_error_at(
      rolling, 7, 5,
      "slos[0].time_zone: applies only to calendar windows (week, month, quarter); window 30d is "
      "rolling");
  CHECK(rolling.errors.size() == 1);
  // Only that error, even when the name is wrong too.
  CHECK(load(slo_yaml("    time_zone: Nowhere\n")).errors.size() == 1);

  require_error_at(load(slo_yaml("    time_zone: Europe/Berln\n", "month")), 7, 16,
                   "slos[0].time_zone: unknown time zone \"Europe/Berln\"; did you mean \"Europe/Berlin\"?");
  require_error_at(load(slo_yaml("    time_zone: europe/berlin\n", "month")), 7, 16,
                   "unknown time zone \"europe/berlin\"; did you mean \"Europe/Berlin\"?");
  require_error_at(load(slo_yaml("    time_zone: Mars/Olympus_Mons\n", "week")), 7, 16,
                   "slos[0].time_zone: unknown time zone \"Mars/Olympus_Mons\"; expected an IANA name like "
                   "Europe/Berlin, America/New_York or UTC");
  require_error_at(load(slo_yaml("    time_zone: \"\"\n", "month")), 7, 16,
                   "slos[0].time_zone: must not be empty (leave time_zone out for UTC)");
  require_error_at(load(slo_yaml("    time_zone: localtime\n", "month")), 7, 16,
                   "time zone \"localtime\" depends on the machine; name the zone, e.g. Europe/Berlin");
  require_error_at(load(slo_yaml("    time_zone: right/UTC\n", "month")), 7, 16,
                   "unknown time zone \"right/UTC\"");
  require_error_at(load(slo_yaml("    time_zone: [UTC]\n", "month")), 7, 16,
                   "slos[0].time_zone: expected an IANA time zone name like Europe/Berlin, got a list");
  // With a broken window the name is still checked.
  LoadResult both = load(slo_yaml("    time_zone: Europe/Berln\n", "monthy"));
  CHECK(has_error(both, 6, 13, "did you mean \"month\"?"));
  CHECK(has_error(both, 7, 16, "did you mean \"Europe/Berlin\"?"));
  CHECK(both.errors.size() == 2);
  // A misspelt key gets a suggestion.
  require_error_at(load(slo_yaml("    timezone: UTC\n", "month")), 7, 5,
                   "slos[0]: unknown key \"timezone\"; did you mean \"time_zone\"?");
}

TEST_CASE("latency threshold errors", "[config]") {
  // threshold's value is on line 9, column 18.
  struct Case {
    const char* written;
    const char* error;
  };
  for (const Case& c : {
           Case{"0ms", "slos[0].sli.threshold: must be longer than 0, got \"0ms\""},
           Case{"0s", "must be longer than 0"},
           Case{"2h", "slos[0].sli.threshold: must be at most 1h, got \"2h\""},
           Case{"1h1ms", "must be at most 1h"},
           Case{"0.0004ms",
                "slos[0].sli.threshold: must be at least 1us (finer precision is not kept), got "
                "\"0.0004ms\""},
           Case{"500",
                "slos[0].sli.threshold: invalid latency \"500\": expected e.g. 500ms, 1.5s or 250us (units "
                "us, ms, s, m, h); a bare number has no unit: did you mean \"500ms\"?"},
           Case{"0.5", "did you mean \"0.5ms\"?"},
           Case{"fast", "invalid latency \"fast\""},
           Case{"-5ms", "invalid latency \"-5ms\""},
           Case{"\"5 ms\"", "invalid latency \"5 ms\""},
           Case{"1.5.0s", "invalid latency \"1.5.0s\""},
           Case{"ms", "invalid latency \"ms\""},
           Case{"500ms1s", "invalid latency \"500ms1s\""},  // units largest first
           Case{"5d", "invalid latency \"5d\""},
           Case{"1e3ms", "invalid latency \"1e3ms\""},
           Case{"\"\"", "invalid latency \"\""},
       }) {
    INFO(c.written);
    LoadResult r = load(sli_yaml("latency", "threshold", c.written));
    require_error_at(r, 9, 18, c.error);
    CHECK(r.errors.size() == 1);
  }
  require_error_at(load(sli_yaml("latency", "threshold", "[1s]")), 9, 18,
                   "slos[0].sli.threshold: expected a latency like 500ms, 1.5s or 250us, got a list");
}

TEST_CASE("percentile and target errors", "[config]") {
  // percentile's value is on line 9, column 19 (target on line 10 is valid).
  for (const char* v : {"0", "100", "150", "p100", "p0"}) {
    INFO(v);
    LoadResult r = load(sli_yaml("percentile", "percentile", std::string(v) + "\n      target: 1s"));
    require_error_at(
        r, 9, 19,
        std::string("slos[0].sli.percentile: percentile must be strictly between 0 and 100, got \"") + v +
            "\"");
    CHECK(r.errors.size() == 1);
  }
  for (const char* v : {"-1", "p", "p99x", "99%", "inf", ".inf", "1e2", "pp99", "\"p 99\"", "\"\"", "q99"}) {
    INFO(v);
    LoadResult r = load(sli_yaml("percentile", "percentile", std::string(v) + "\n      target: 1s"));
    require_error_at(r, 9, 19, "slos[0].sli.percentile: expected a percentile like 99, 99.9 or \"p99\", got");
    CHECK(r.errors.size() == 1);
  }
  // target: a latency, like threshold. Its value is on line 10, column 15.
  for (const char* v : {"0ms", "300", "2h", "soon"}) {
    INFO(v);
    LoadResult r = load(slo_yaml(
        "    sli:\n      kind: percentile\n      percentile: 99\n      target: " + std::string(v) + "\n"));
    require_error_at(r, 10, 15, "slos[0].sli.target: ");
    CHECK(r.errors.size() == 1);
  }
}

TEST_CASE("each SLI kind requires its keys", "[config]") {
  // The sli mapping starts on line 8, column 7.
  LoadResult lat = load(slo_yaml("    sli:\n      kind: latency\n"));
  require_error_at(lat, 8, 7, "slos[0].sli: missing required key \"threshold\" (kind latency)");
  CHECK(lat.errors.size() == 1);

  LoadResult pct = load(slo_yaml("    sli:\n      kind: percentile\n      endpoint: /api/*\n"));
  require_error_at(pct, 8, 7, "slos[0].sli: missing required key \"percentile\" (kind percentile)");
  require_error_at(pct, 8, 7, "slos[0].sli: missing required key \"target\" (kind percentile)");
  CHECK(pct.errors.size() == 2);
}

TEST_CASE("keys of another SLI kind are errors at the key", "[config]") {
  struct Case {
    const char* kind;
    const char* key;
    const char* value;
    const char* error;
  };
  for (const Case& c : {
           Case{
               "latency", "bad_status", "[5xx]",
               "slos[0].sli: bad_status applies only to kind availability, not latency; a latency SLI counts "
               "events slower than its threshold as bad"},
           Case{"percentile", "bad_status", "[5xx]",
                "slos[0].sli: bad_status applies only to kind availability, not percentile; a percentile SLI "
                "judges pNN per time slice"},
           Case{"availability", "threshold", "500ms",
                "slos[0].sli: threshold applies only to kind latency, not availability; set kind: latency"},
           Case{"percentile", "threshold", "500ms",
                "slos[0].sli: threshold applies only to kind latency, not percentile; a percentile SLI takes "
                "target"},
           Case{"latency", "percentile", "99",
                "slos[0].sli: percentile applies only to kind percentile, not latency; set kind: percentile"},
           Case{"latency", "target", "300ms",
                "slos[0].sli: target applies only to kind percentile, not latency; a latency SLI takes "
                "threshold"},
           Case{"availability", "target", "300ms",
                "target applies only to kind percentile, not availability"},
       }) {
    INFO(c.kind << " " << c.key);
    // The valid keys of the kind come first (line 9); the foreign key is on line 10, column 7.
    std::string own = std::string(c.kind) == "latency"      ? "      threshold: 500ms\n"
                      : std::string(c.kind) == "percentile" ? "      percentile: 99\n      target: 1s\n"
                                                            : "      endpoint: /x\n";
    int line = std::string(c.kind) == "percentile" ? 11 : 10;
    LoadResult r = load(slo_yaml("    sli:\n      kind: " + std::string(c.kind) + "\n" + own + "      " +
                                 c.key + ": " + c.value + "\n"));
    require_error_at(r, line, 7, c.error);
    CHECK(r.errors.size() == 1);
  }
  // With kind left out the SLI is availability.
  require_error_at(load(slo_yaml("    sli: {threshold: 500ms}\n")), 7, 11,
                   "threshold applies only to kind latency, not availability; set kind: latency");
  // With an unknown kind nothing is required and every key is read for its own mistakes.
  LoadResult unknown = load(slo_yaml("    sli: {kind: latncy, threshold: 0ms}\n"));
  require_error_at(unknown, 7, 17,
                   "slos[0].sli.kind: unknown SLI kind \"latncy\"; did you mean \"latency\"?");
  require_error_at(unknown, 7, 36, "slos[0].sli.threshold: must be longer than 0");
  CHECK(unknown.errors.size() == 2);
  require_error_at(load(slo_yaml("    sli: {kind: p99}\n")), 7, 17,
                   "unknown SLI kind \"p99\"; expected one of: availability, latency, percentile");
  require_error_at(load(slo_yaml("    sli: {kind: latency, treshold: 1s}\n")), 7, 26,
                   "slos[0].sli: unknown key \"treshold\"; did you mean \"threshold\"?");
}

TEST_CASE("budgeting errors", "[config]") {
  // method's value: line 8, column 15.
  require_error_at(load(slo_yaml("    budgeting:\n      method: occurences\n")), 8, 15,
                   "slos[0].budgeting.method: unknown budgeting method \"occurences\"; did you mean "
                   "\"occurrences\"?");
  require_error_at(load(slo_yaml("    budgeting:\n      method: slices\n")), 8, 15,
                   "unknown budgeting method \"slices\"; expected one of: occurrences, timeslices");
  LoadResult occ = load(percentile_yaml("    budgeting:\n      method: occurrences\n"));
  require_error_at(occ, 12, 15,
                   "slos[0].budgeting.method: percentile SLIs are judged per time slice: method must be "
                   "timeslices (their default)");
  CHECK(occ.errors.size() == 1);

  // slice's value: line 9, column 14.
  for (const char* v : {"7m", "90s", "2h", "0m", "45s", "25m", "1m30s", "120m"}) {
    INFO(v);
    require_error_at(
        load(slo_yaml("    budgeting:\n      method: timeslices\n      slice: " + std::string(v) + "\n")), 9,
        14,
        std::string("slos[0].budgeting.slice: slice must be whole minutes dividing an hour: 1m, 2m, "
                    "3m, 4m, 5m, 6m, 10m, 12m, 15m, 20m, 30m or 60m, got \"") +
            v + "\"");
  }
  require_error_at(load(slo_yaml("    budgeting:\n      method: timeslices\n      slice: five\n")), 9, 14,
                   "slos[0].budgeting.slice: invalid duration \"five\"");
  require_error_at(load(slo_yaml("    budgeting:\n      method: timeslices\n      slice: 1h\n", "1h30m")), 9,
                   14, "slos[0].budgeting.slice: slice 1h does not divide the window 1h30m");

  // slice and slice_target need timeslices; slice_target is not for percentile SLIs.
  require_error_at(load(slo_yaml("    budgeting:\n      slice: 5m\n")), 8, 7,
                   "slos[0].budgeting: slice applies only to method timeslices");
  require_error_at(load(slo_yaml("    budgeting:\n      method: occurrences\n      slice_target: 99%\n")), 9,
                   7, "slos[0].budgeting: slice_target applies only to method timeslices");
  require_error_at(
      load(percentile_yaml("    budgeting:\n      slice_target: 99%\n")), 12, 7,
      "slos[0].budgeting: slice_target does not apply to percentile SLIs: a slice is good when its "
      "percentile is at most the SLI's target");
  // slice_target's value: line 9, column 21.
  for (const char* v : {"0", "0%", "150%", "1.01", "-0.5"}) {
    INFO(v);
    require_error_at(
        load(slo_yaml("    budgeting:\n      method: timeslices\n      slice_target: " + std::string(v) +
                      "\n")),
        9, 21,
        std::string(
            "slos[0].budgeting.slice_target: slice_target must be above 0 and at most 1 (100%), got \"") +
            v + "\"");
  }
  require_error_at(load(slo_yaml("    budgeting:\n      method: timeslices\n      slice_target: most\n")), 9,
                   21, "slos[0].budgeting.slice_target: invalid ratio \"most\"");

  require_error_at(
      load(slo_yaml("    budgeting: timeslices\n")), 7, 16,
      "slos[0].budgeting: expected a mapping with method, slice, slice_target, got \"timeslices\"");
  require_error_at(load(slo_yaml("    budgeting: {metod: timeslices}\n")), 7, 17,
                   "slos[0].budgeting: unknown key \"metod\"; did you mean \"method\"?");
  // An unknown method leaves slice and slice_target to be checked on their own.
  LoadResult unknown = load(slo_yaml("    budgeting: {method: x, slice: 7m, slice_target: 99%}\n"));
  CHECK(has_error(unknown, 7, 25, "unknown budgeting method \"x\""));
  CHECK(has_error(unknown, 7, 35, "slice must be whole minutes dividing an hour"));
  CHECK(unknown.errors.size() == 2);
}

TEST_CASE("group_by and max_groups errors", "[config]") {
  // The key group_by is on line 9 after a two-line sli block.
  require_error_at(load(slo_yaml("    sli: {kind: availability, endpoint: \"/api/*\"}\n    group_by: [version]\n")),
                   8, 5,
                   "slos[0]: group_by: [version] cannot be combined with sli.endpoint (versions are counted per "
                   "service); drop the endpoint filter or group by endpoint");
  // group_by's value: line 7, column 15.
  require_error_at(
      load(slo_yaml("    group_by: endpoint\n")), 7, 15,
      "slos[0].group_by: expected a list with one label: [endpoint] or [version], got \"endpoint\"");
  require_error_at(load(slo_yaml("    group_by: []\n")), 7, 15,
                   "slos[0].group_by: must list one label: endpoint or version (or leave group_by out)");
  require_error_at(
      load(slo_yaml("    group_by: [region]\n")), 7, 16,
      "slos[0].group_by[0]: unknown label \"region\" (group_by takes one of: endpoint, version)");
  require_error_at(
      load(slo_yaml("    group_by: [endpont]\n")), 7, 16,
      "slos[0].group_by[0]: unknown label \"endpont\"; did you mean \"endpoint\"? (group_by takes one "
      "of: endpoint, version)");
  require_error_at(load(slo_yaml("    group_by: [[endpoint]]\n")), 7, 16,
                   "slos[0].group_by[0]: expected a label: endpoint or version, got a list");
  LoadResult two = load(slo_yaml("    group_by: [endpoint, version]\n"));
  require_error_at(two, 7, 15, "slos[0].group_by: group by one label only, got 2");
  CHECK(two.errors.size() == 1);

  // max_groups' value: line 8, column 17.
  for (const char* v : {"0", "10001", "-1", "1.5", "many", "\"\"", "1e3"}) {
    INFO(v);
    LoadResult r = load(slo_yaml("    group_by: [endpoint]\n    max_groups: " + std::string(v) + "\n"));
    require_error_at(r, 8, 17,
                     std::string("slos[0].max_groups: expected a whole number 1..10000, got \"") +
                         (std::string(v) == "\"\"" ? "" : v) + "\"");
    CHECK(r.errors.size() == 1);
  }
  require_error_at(load(slo_yaml("    max_groups: 50\n")), 7, 5,
                   "slos[0]: max_groups applies only with group_by");
  // With a broken group_by only that is reported.
  CHECK(load(slo_yaml("    group_by: [region]\n    max_groups: 0\n")).errors.size() == 1);
}

TEST_CASE("every latency-SLO error is reported at once", "[config]") {
  LoadResult r = load(R"(services: [{name: checkout}]
slos:
  - name: a
    service: checkout
    objective: 95%
    window: monthly
    time_zone: Europe/Berln
    sli: {kind: latency, threshold: 500, bad_status: [5xx]}
  - name: b
    service: checkout
    objective: 99%
    window: 30d
    time_zone: UTC
    sli: {kind: percentile, percentile: p100, target: 300ms}
    budgeting: {method: occurrences, slice: 5m}
    group_by: [region]
    max_groups: 0
)");
  INFO(all_errors(r));
  require_errors(r, {
      {6, 13, "slos[0].window: unknown window \"monthly\"; did you mean \"month\"?"},
      {7, 16, "slos[0].time_zone: unknown time zone \"Europe/Berln\"; did you mean \"Europe/Berlin\"?"},
      {8, 37, "slos[0].sli.threshold: invalid latency \"500\""},
      {8, 42, "slos[0].sli: bad_status applies only to kind availability, not latency"},
      {13, 5, "slos[1].time_zone: applies only to calendar windows"},
      {14, 41, "slos[1].sli.percentile: percentile must be strictly between 0 and 100, got \"p100\""},
      {15, 25, "slos[1].budgeting.method: percentile SLIs are judged per time slice"},
      {16, 16, "slos[1].group_by[0]: unknown label \"region\""},
  });
}

}  // namespace
}  // namespace sloguard::config
