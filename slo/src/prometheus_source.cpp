#include "sloguard/slo/prometheus_source.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

#include "prometheus_api.h"
#include "time_grid.h"
#include "sloguard/net/http_sender.h"
#include "sloguard/slo/engine.h"

namespace sloguard::slo {
namespace {

using detail::PromApi;
using detail::PromSeries;

constexpr int64_t kMaxPointsPerRange = 10000;
// Prometheus refuses range queries of more than 11,000 points per series.
constexpr size_t kMaxQueryBytes = 12000;  // a merged edge query stays under this
constexpr int64_t kEvictUnusedMs = 6 * 3600 * 1000LL;

bool is_selector(const std::string& q) { return q.find("{{window}}") == std::string::npos; }

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
  for (size_t at = 0; (at = s.find(from, at)) != std::string::npos; at += to.size()) s.replace(at, from.size(), to);
  return s;
}

std::string by_clause(const std::vector<std::string>& by) {
  if (by.empty()) return "sum";
  std::string out = "sum by (";
  for (size_t i = 0; i < by.size(); ++i) out += (i ? ", " : "") + by[i];
  return out + ")";
}

// The events counted by `q` in the `range` seconds that end `offset` seconds before the
// evaluation time (offset only for selectors).
std::string increase_expr(const std::string& q, int64_t range, int64_t offset, const std::vector<std::string>& by) {
  const std::string r = std::to_string(range) + "s";
  if (is_selector(q)) {
    return by_clause(by) + " (increase(" + q + "[" + r + "]" + (offset > 0 ? " offset " + std::to_string(offset) + "s" : "") +
           "))";
  }
  return by_clause(by) + " ((" + replace_all(q, "{{window}}", r) + ") * " + std::to_string(range) + ")";
}

// The row a result series belongs to: the values of the `by` labels, joined.
std::string row_key(const PromSeries& s, const std::vector<std::string>& by) {
  std::string key;
  for (size_t i = 0; i < by.size(); ++i) {
    if (i) key.push_back('\x1f');
    auto it = s.labels.find(by[i]);
    if (it != s.labels.end()) key += it->second;
  }
  return key;
}

std::vector<std::string> split_key(const std::string& key) {
  std::vector<std::string> out(1);
  for (char c : key) {
    if (c == '\x1f') {
      out.emplace_back();
    } else {
      out.back().push_back(c);
    }
  }
  return out;
}

double finite_or_zero(double v) { return std::isfinite(v) ? v : 0.0; }

// Per-row values, row -> value.
using Rows = std::map<std::string, double>;

void add_rows(Rows& into, const Rows& from) {
  for (const auto& [k, v] : from) into[k] += v;
}

// Increases of one query in the blocks of a grid, [first, first + n * step), per row.
struct Blocks {
  int64_t step = 0;
  int64_t first = 0;
  size_t n = 0;
  std::map<std::string, std::vector<double>> rows;
  int64_t end() const { return first + static_cast<int64_t>(n) * step; }
  Rows sum(int64_t a, int64_t b) const {
    Rows out;
    a = std::max(a, first);
    b = std::min(b, end());
    if (a >= b) return out;
    const size_t i0 = static_cast<size_t>((a - first) / step), i1 = static_cast<size_t>((b - first) / step);
    for (const auto& [k, v] : rows) {
      double s = 0;
      for (size_t i = i0; i < i1; ++i) s += v[i];
      out[k] = s;
    }
    return out;
  }
  void append(Blocks&& more) {  // more starts at end()
    for (auto& [k, v] : rows) v.resize(n + more.n, 0.0);
    for (auto& [k, v] : more.rows) {
      auto& mine = rows[k];
      mine.resize(n, 0.0);
      mine.insert(mine.end(), v.begin(), v.end());
    }
    n += more.n;
  }
  void drop_front(size_t k) {
    k = std::min(k, n);
    for (auto& [key, v] : rows) v.erase(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k));
    first += static_cast<int64_t>(k) * step;
    n -= k;
  }
};

struct CacheEntry {
  std::mutex mu;
  Blocks blocks;
  bool filled = false;
  int64_t longest_span = 0;
  int64_t last_used_ms = 0;
};

// What an SLO's instance reads: its two counting queries, the histogram, the labels.
struct Plan {
  const config::SloConfig* slo = nullptr;
  std::string group;                 // the instance's group; "" = every row
  std::string group_label;           // the Prometheus label behind group_by; "" when ungrouped
  std::vector<std::string> queries;  // 2 counting queries: [0] and [1] as given in `roles`
  std::string roles;                 // "gt" (good, total), "bt" (bad, total), "gb" (good, bad)
  std::vector<std::string> by;       // sum by labels
};

Result<Plan> plan_for(const Instance& inst) {
  const config::SloConfig& slo = *inst.slo;
  const auto& p = slo.sli.prometheus;
  Plan plan;
  plan.slo = &slo;
  plan.group = inst.group;
  if (!slo.group_by.empty()) {
    plan.group_label = p.group_label.empty() ? slo.group_by.front() : p.group_label;
    plan.by.push_back(plan.group_label);
  }
  if (!p.good.empty() && !p.total.empty()) {
    plan.queries = {p.good, p.total};
    plan.roles = "gt";
  } else if (!p.bad.empty() && !p.total.empty()) {
    plan.queries = {p.bad, p.total};
    plan.roles = "bt";
  } else if (!p.good.empty() && !p.bad.empty()) {
    plan.queries = {p.good, p.bad};
    plan.roles = "gb";
  } else {
    return Status::InvalidArgument("SLO " + slo.name + " reads a datasource but has no sli.prometheus queries");
  }
  return plan;
}

// good/total from the two counting queries' values.
Counts to_counts(const std::string& roles, double a, double b) {
  double good = 0, total = 0;
  if (roles == "gt") {
    good = a;
    total = b;
  } else if (roles == "bt") {
    good = b - a;
    total = b;
  } else {
    good = a;
    total = a + b;
  }
  const double t = std::max(0.0, std::round(finite_or_zero(total)));
  const double g = std::clamp(std::round(finite_or_zero(good)), 0.0, t);
  return Counts{static_cast<uint64_t>(g), static_cast<uint64_t>(t)};
}

double rows_value(const Rows& rows, const std::string& group, bool grouped, size_t group_pos = 0) {
  double s = 0;
  for (const auto& [k, v] : rows) {
    if (grouped && !group.empty()) {
      if (split_key(k)[group_pos] != group) continue;
    }
    s += finite_or_zero(v);
  }
  return s;
}

// Rows read during the current ReadScope of this thread: key -> window -> rows per query.
struct ReadMemo {
  std::map<std::string, std::map<int64_t, std::vector<Rows>>> windows;
};
// The open ReadScopes of this thread, and their memo (made on the first datasource read, so
// an SLO of the embedded store costs no allocation).
thread_local int t_scopes = 0;
thread_local ReadMemo* t_memo = nullptr;

std::string read_key(const std::string& ds, int64_t at, int64_t step, const std::vector<std::string>& by,
                     const std::vector<std::string>& queries) {
  std::string key = ds + "|" + std::to_string(at) + "|" + std::to_string(step) + "|" + by_clause(by);
  for (const auto& q : queries) key += "|" + q;
  return key;
}

// A datasource's reads ahead for one round (PrometheusSource::prepare_round).
struct ShapeReads final : RoundReads {
  std::string datasource;
  ReadMemo memo;
};
// The router's: one per datasource.
struct RouterReads final : RoundReads {
  std::vector<std::shared_ptr<const RoundReads>> parts;
};

const ReadMemo* round_reads_for(const std::string& ds) {
  const RoundReads* r = RoundScope::current();
  if (!r) return nullptr;
  if (auto* one = dynamic_cast<const ShapeReads*>(r)) return one->datasource == ds ? &one->memo : nullptr;
  if (auto* all = dynamic_cast<const RouterReads*>(r)) {
    for (const auto& p : all->parts) {
      if (auto* one = dynamic_cast<const ShapeReads*>(p.get()); one && one->datasource == ds) return &one->memo;
    }
  }
  return nullptr;
}

// A plain selector: metric{label op "value", ...}, values kept as written (quoted).
struct Selector {
  struct Matcher {
    std::string label, op, quoted;
  };
  std::string metric;
  std::vector<Matcher> matchers;
  std::string render(const Matcher* extra = nullptr) const {
    std::string out = metric + "{";
    bool first = true;
    for (const auto& m : matchers) {
      out += (first ? "" : ",") + m.label + m.op + m.quoted;
      first = false;
    }
    if (extra) out += (first ? "" : ",") + extra->label + extra->op + extra->quoted;
    return out + "}";
  }
};

std::optional<Selector> parse_selector(std::string_view q) {
  auto ident = [](char c, bool first) {
    return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':' ||
           (!first && std::isdigit(static_cast<unsigned char>(c)));
  };
  auto skip = [&](size_t& i) {
    while (i < q.size() && std::isspace(static_cast<unsigned char>(q[i]))) ++i;
  };
  Selector sel;
  size_t i = 0;
  skip(i);
  while (i < q.size() && ident(q[i], sel.metric.empty())) sel.metric.push_back(q[i++]);
  if (sel.metric.empty()) return std::nullopt;
  skip(i);
  if (i == q.size()) return sel;
  if (q[i] != '{') return std::nullopt;
  ++i;
  while (true) {
    skip(i);
    if (i < q.size() && q[i] == '}') {
      ++i;
      break;
    }
    Selector::Matcher m;
    while (i < q.size() && ident(q[i], m.label.empty())) m.label.push_back(q[i++]);
    if (m.label.empty() || m.label == "__name__") return std::nullopt;
    skip(i);
    for (std::string_view op : {"=~", "!~", "!=", "="}) {
      if (q.substr(i, op.size()) == op) {
        m.op = op;
        i += op.size();
        break;
      }
    }
    if (m.op.empty()) return std::nullopt;
    skip(i);
    if (i >= q.size() || q[i] != '"') return std::nullopt;
    const size_t start = i++;
    while (i < q.size() && q[i] != '"') i += q[i] == '\\' ? 2 : 1;
    if (i >= q.size()) return std::nullopt;
    m.quoted = std::string(q.substr(start, ++i - start));
    sel.matchers.push_back(std::move(m));
    skip(i);
    if (i < q.size() && q[i] == ',') ++i;
  }
  skip(i);
  if (i != q.size()) return std::nullopt;
  return sel;
}

// A label value that can go into a regex alternation as it is written: no escapes, no
// regex metacharacters but '.', which is escaped.
std::optional<std::string> alternative_of(const std::string& quoted) {
  std::string v = quoted.substr(1, quoted.size() - 2), out;
  for (char c : v) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == ':' || c == '/') {
      out.push_back(c);
    } else if (c == '.') {
      out += "\\\\.";  // \\. in the PromQL string is \. in the regex
    } else {
      return std::nullopt;
    }
  }
  return out;
}

}  // namespace

ReadScope::ReadScope() { outermost_ = t_scopes++ == 0; }

ReadScope::~ReadScope() {
  --t_scopes;
  if (outermost_) {
    delete t_memo;
    t_memo = nullptr;
  }
}

std::optional<double> histogram_quantile(double q, const std::vector<std::pair<double, double>>& in) {
  if (in.empty()) return std::nullopt;
  std::vector<std::pair<double, double>> b = in;
  std::sort(b.begin(), b.end());
  if (!std::isinf(b.back().first)) return std::nullopt;  // no +Inf bucket: as Prometheus, no answer
  // Cumulative counts must not decrease (they may, a little, from extrapolated increases).
  for (size_t i = 1; i < b.size(); ++i) b[i].second = std::max(b[i].second, b[i - 1].second);
  const double total = b.back().second;
  if (!(total > 0)) return std::nullopt;
  if (q <= 0) return b.front().first > 0 ? 0.0 : b.front().first;
  if (q >= 1) return b.size() >= 2 ? std::optional<double>(b[b.size() - 2].first) : std::nullopt;
  const double rank = q * total;
  size_t i = 0;
  while (i < b.size() && b[i].second < rank) ++i;
  if (i >= b.size() - 1) return b.size() >= 2 ? std::optional<double>(b[b.size() - 2].first) : std::nullopt;
  double lower = 0, below = 0;
  if (i > 0) {
    lower = b[i - 1].first;
    below = b[i - 1].second;
  } else if (b[0].first <= 0) {
    return b[0].first;
  }
  const double upper = b[i].first;
  const double in_bucket = b[i].second - below;
  if (in_bucket <= 0) return upper;
  return lower + (upper - lower) * (rank - below) / in_bucket;
}

struct PrometheusSource::Impl {
  Impl(const config::DatasourceConfig& ds, net::HttpSender& http, const Clock& clock, QueryObserver observer)
      : api(ds, http,
            [this, observer = std::move(observer)](const QueryEvent& e) {
              requests.fetch_add(1);
              if (observer) observer(e);
            }),
        clock(clock) {}

  PromApi api;
  const Clock& clock;
  std::atomic<uint64_t> requests{0};
  std::mutex mu;
  std::map<std::string, std::shared_ptr<CacheEntry>> cache;
  std::map<std::string, std::vector<std::string>> group_order;  // SLO -> evaluated groups, in place order

  int64_t now() const { return clock.now_ms() / 1000; }

  // Increases of `q` by `by` in the blocks of `step` covering [lo, hi) (both on the grid).
  Result<Blocks> fetch(const std::string& q, const std::vector<std::string>& by, int64_t step, int64_t lo,
                       int64_t hi) const {
    Blocks out;
    out.step = step;
    out.first = lo;
    out.n = static_cast<size_t>(std::max<int64_t>(0, (hi - lo) / step));
    const std::string expr = increase_expr(q, step, 0, by);
    for (int64_t a = lo; a < hi; a += kMaxPointsPerRange * step) {
      const int64_t b = std::min(hi, a + kMaxPointsPerRange * step);
      // The point at t is the block [t - step, t), read as PromQL reads increase(x[step]) at t:
      // the increase up to the sample at t. With scrapes on the grid that is exact on
      // Prometheus (both edge samples in the range, nothing extrapolated) and on
      // VictoriaMetrics (the sample at t - step is the base).
      auto res = api.query_range(expr, (a + step) * 1000, b * 1000, step);
      if (!res.ok()) return res.status();
      for (const PromSeries& s : *res) {
        auto& v = out.rows[row_key(s, by)];
        v.resize(out.n, 0.0);
        for (const auto& [t, val] : s.points) {
          const int64_t i = (t - step - lo) / step;
          if (t % step != 0 || i < 0 || i >= static_cast<int64_t>(out.n)) continue;
          v[static_cast<size_t>(i)] += finite_or_zero(val);
        }
      }
    }
    return out;
  }

  // Sums of `q` by row over [a, b) for each range, read from settled blocks in [lo, hi): cached
  // when [lo, hi) reaches the newest settled block, else read for this call only.
  Result<std::vector<Rows>> block_sums(const std::string& q, const std::vector<std::string>& by, int64_t step,
                                       int64_t lo, int64_t hi, const std::vector<std::pair<int64_t, int64_t>>& ranges) {
    std::vector<Rows> out(ranges.size());
    if (lo >= hi) return out;
    const std::string key = std::to_string(step) + "|" + by_clause(by) + "|" + q;
    std::shared_ptr<CacheEntry> e;
    {
      std::lock_guard<std::mutex> lock(mu);
      const int64_t now_ms = clock.now_ms();
      auto it = cache.find(key);
      if (it == cache.end()) {
        for (auto i = cache.begin(); i != cache.end();) {
          i = now_ms - i->second->last_used_ms > kEvictUnusedMs ? cache.erase(i) : std::next(i);
        }
        it = cache.emplace(key, std::make_shared<CacheEntry>()).first;
      }
      e = it->second;
      e->last_used_ms = now_ms;
    }
    std::lock_guard<std::mutex> lock(e->mu);
    Blocks& bl = e->blocks;
    const bool newest = hi >= floor_to(now() - PrometheusSource::kSettleSeconds, step) - step;
    if (!newest && e->filled && lo >= bl.first && hi <= bl.end()) {
      // A past instant inside the cache: read it, change nothing.
      for (size_t i = 0; i < ranges.size(); ++i) out[i] = bl.sum(ranges[i].first, ranges[i].second);
      return out;
    }
    if (!newest) {
      auto tmp = fetch(q, by, step, lo, hi);
      if (!tmp.ok()) return tmp.status();
      for (size_t i = 0; i < ranges.size(); ++i) out[i] = tmp->sum(ranges[i].first, ranges[i].second);
      return out;
    }
    e->longest_span = std::max(e->longest_span, hi - lo);
    if (!e->filled || hi < bl.first || lo > bl.end() || hi < bl.end() - e->longest_span) {
      auto fresh = fetch(q, by, step, lo, hi);
      if (!fresh.ok()) return fresh.status();
      bl = std::move(fresh).value();
      e->filled = true;
    } else {
      if (lo < bl.first) {
        auto older = fetch(q, by, step, lo, bl.first);
        if (!older.ok()) return older.status();
        older->append(std::move(bl));
        bl = std::move(older).value();
      }
      if (hi > bl.end()) {
        auto newer = fetch(q, by, step, bl.end(), hi);
        if (!newer.ok()) return newer.status();
        bl.append(std::move(newer).value());
      }
    }
    const int64_t keep = e->longest_span / step + PrometheusSource::kCacheSlackBlocks;
    if (static_cast<int64_t>(bl.n) > keep) bl.drop_front(bl.n - static_cast<size_t>(keep));
    for (size_t i = 0; i < ranges.size(); ++i) out[i] = bl.sum(ranges[i].first, ranges[i].second);
    return out;
  }

  // Sums by row of each query over each piece [start, end) (end <= at), in as few instant
  // queries as possible: one at `at` with offsets when every query is a selector.
  Result<std::vector<std::vector<Rows>>> piece_sums(const std::vector<std::string>& queries,
                                                     const std::vector<std::string>& by, int64_t at,
                                                     const std::vector<std::pair<int64_t, int64_t>>& pieces) {
    std::vector<std::vector<Rows>> out(queries.size(), std::vector<Rows>(pieces.size()));
    if (pieces.empty()) return out;
    const bool selectors = std::all_of(queries.begin(), queries.end(), is_selector);
    // Pieces grouped by the time each query is evaluated at.
    std::map<int64_t, std::vector<size_t>> by_time;
    for (size_t i = 0; i < pieces.size(); ++i) by_time[selectors ? at : pieces[i].second].push_back(i);
    for (const auto& [time, idx] : by_time) {
      std::string expr;
      for (size_t qi = 0; qi < queries.size(); ++qi) {
        for (size_t pi : idx) {
          const auto [a, b] = pieces[pi];
          if (!expr.empty()) expr += " or ";
          expr += "label_replace(" + increase_expr(queries[qi], b - a, time - b, by) + ", \"sloguard_piece\", \"" +
                  std::to_string(qi) + "_" + std::to_string(pi) + "\", \"\", \"\")";
        }
      }
      auto res = api.query(expr, time * 1000);
      if (!res.ok()) return res.status();
      for (const PromSeries& s : *res) {
        auto it = s.labels.find("sloguard_piece");
        if (it == s.labels.end() || s.points.empty()) continue;
        const size_t us = it->second.find('_');
        if (us == std::string::npos) continue;
        const size_t qi = std::stoul(it->second.substr(0, us)), pi = std::stoul(it->second.substr(us + 1));
        if (qi >= queries.size() || pi >= pieces.size()) continue;
        out[qi][pi][row_key(s, by)] += finite_or_zero(s.points.front().second);
      }
    }
    return out;
  }

  // Sums by row of each query over each window [at - w, at): settled blocks plus pieces.
  Result<std::vector<std::vector<Rows>>> window_sums(const std::vector<std::string>& queries,
                                                      const std::vector<std::string>& by, int64_t step, int64_t at,
                                                      std::span<const int64_t> windows) {
    const std::string memo_key = read_key(api.config().name, at, step, by, queries);
    for (const ReadMemo* memo : {round_reads_for(api.config().name), static_cast<const ReadMemo*>(t_memo)}) {
      if (!memo) continue;
      auto it = memo->windows.find(memo_key);
      if (it == memo->windows.end() ||
          !std::all_of(windows.begin(), windows.end(), [&](int64_t w) { return it->second.count(w) > 0; })) {
        continue;
      }
      std::vector<std::vector<Rows>> out(queries.size(), std::vector<Rows>(windows.size()));
      for (size_t i = 0; i < windows.size(); ++i) {
        const auto& per_query = it->second.at(windows[i]);
        for (size_t qi = 0; qi < queries.size(); ++qi) out[qi][i] = per_query[qi];
      }
      return out;
    }
    auto read = read_window_sums(queries, by, step, at, windows);
    if (read.ok() && t_scopes > 0) {
      if (!t_memo) t_memo = new ReadMemo();
      auto& slot = t_memo->windows[memo_key];
      for (size_t i = 0; i < windows.size(); ++i) {
        std::vector<Rows> per_query;
        for (size_t qi = 0; qi < queries.size(); ++qi) per_query.push_back((*read)[qi][i]);
        slot[windows[i]] = std::move(per_query);
      }
    }
    return read;
  }

  Result<std::vector<std::vector<Rows>>> read_window_sums(const std::vector<std::string>& queries,
                                                           const std::vector<std::string>& by, int64_t step,
                                                           int64_t at, std::span<const int64_t> windows) {
    const int64_t settled = std::min(floor_to(at, step), floor_to(now() - PrometheusSource::kSettleSeconds, step));
    std::vector<std::pair<int64_t, int64_t>> pieces, ranges;
    struct Parts {
      int64_t block_from = 0, block_to = 0;
      std::vector<size_t> pieces;
    };
    std::vector<Parts> parts(windows.size());
    auto piece = [&](int64_t a, int64_t b) {
      auto it = std::find(pieces.begin(), pieces.end(), std::pair{a, b});
      if (it != pieces.end()) return static_cast<size_t>(it - pieces.begin());
      pieces.emplace_back(a, b);
      return pieces.size() - 1;
    };
    int64_t lo = settled, hi = settled;
    for (size_t i = 0; i < windows.size(); ++i) {
      const int64_t s = at - windows[i];
      const int64_t c = ceil_to(s, step);
      if (c >= settled) {
        parts[i].pieces.push_back(piece(s, at));
        continue;
      }
      parts[i].block_from = c;
      parts[i].block_to = settled;
      lo = std::min(lo, c);
      if (c > s) parts[i].pieces.push_back(piece(s, c));
      if (at > settled) parts[i].pieces.push_back(piece(settled, at));
    }
    for (const auto& p : parts) ranges.emplace_back(p.block_from, p.block_to);
    auto ps = piece_sums(queries, by, at, pieces);
    if (!ps.ok()) return ps.status();
    std::vector<std::vector<Rows>> out(queries.size(), std::vector<Rows>(windows.size()));
    for (size_t qi = 0; qi < queries.size(); ++qi) {
      auto bs = block_sums(queries[qi], by, step, lo, hi, ranges);
      if (!bs.ok()) return bs.status();
      for (size_t i = 0; i < windows.size(); ++i) {
        out[qi][i] = (*bs)[i];
        for (size_t pi : parts[i].pieces) add_rows(out[qi][i], (*ps)[qi][pi]);
      }
    }
    return out;
  }
};

PrometheusSource::PrometheusSource(const config::DatasourceConfig& ds, net::HttpSender& http, const Clock& clock,
                                   QueryObserver observer)
    : impl_(std::make_unique<Impl>(ds, http, clock, std::move(observer))) {}
PrometheusSource::~PrometheusSource() = default;

std::string PrometheusSource::name_of(const config::SloConfig&) const { return impl_->api.config().name; }

std::shared_ptr<const RoundReads> PrometheusSource::prepare_round(const config::Config& cfg, int64_t at) const {
  const std::string& ds = impl_->api.config().name;
  struct Member {
    const config::SloConfig* slo;
    std::vector<std::string> queries;
    std::string value;  // the merge label's value, quoted
  };
  struct Shape {
    std::string label;
    std::vector<Selector> selectors;  // without the merge label
    std::vector<Member> members;
    int64_t window = 0;
  };
  std::map<std::string, Shape> shapes;
  for (const auto& slo : cfg.slos) {
    if (slo.source != ds || !slo.group_by.empty() || slo.window_kind != config::WindowKind::kRolling ||
        slo.budgeting.method != config::BudgetingMethod::kOccurrences || slo.sli.kind == config::SliKind::kPercentile) {
      continue;
    }
    auto plan = plan_for(Instance{&slo, ""});
    if (!plan.ok()) continue;
    std::vector<Selector> sels;
    for (const auto& q : plan->queries) {
      if (!is_selector(q)) break;
      auto sel = parse_selector(q);
      if (!sel) break;
      sels.push_back(std::move(*sel));
    }
    if (sels.size() != plan->queries.size()) continue;
    // The merge label: an equality matcher with the same value in every query.
    std::string label, value;
    for (const auto& m : sels[0].matchers) {
      if (m.op != "=" || !alternative_of(m.quoted)) continue;
      bool everywhere = std::all_of(sels.begin() + 1, sels.end(), [&](const Selector& o) {
        return std::any_of(o.matchers.begin(), o.matchers.end(), [&](const Selector::Matcher& x) {
          return x.label == m.label && x.op == "=" && x.quoted == m.quoted;
        });
      });
      if (everywhere) {
        label = m.label;
        value = m.quoted;
        break;
      }
    }
    if (label.empty()) continue;
    std::string key = label + "|" + plan->roles + "|" + std::to_string(slo.window_ms);
    for (auto& sel : sels) {
      std::erase_if(sel.matchers, [&](const Selector::Matcher& m) { return m.label == label; });
      key += "|" + sel.render();
    }
    Shape& sh = shapes[key];
    sh.label = label;
    sh.selectors = sels;
    sh.window = slo.window_ms / 1000;
    sh.members.push_back(Member{&slo, plan->queries, value});
  }
  auto reads = std::make_shared<ShapeReads>();
  reads->datasource = ds;
  for (auto& [key, sh] : shapes) {
    if (sh.members.size() < 2) continue;
    const std::vector<int64_t> windows = burn_rate_windows(sh.window);
    const std::vector<std::string> by = {sh.label};
    // The edge query repeats each selector once per piece (up to two per window). A shape whose
    // values fit keeps its alternation under kMaxQueryBytes (VictoriaMetrics refuses queries over
    // 16 KiB by default); a larger one drops the label's matcher and reads the whole metric
    // grouped by the label: still one request per round, whatever the number of SLOs.
    size_t selector_bytes = 0;
    for (const auto& sel : sh.selectors) selector_bytes += sel.render().size() + 120;
    const size_t pieces = 2 * windows.size() + 1;
    const size_t per_value_room = kMaxQueryBytes > pieces * selector_bytes
                                      ? (kMaxQueryBytes - pieces * selector_bytes) / (pieces * sh.selectors.size())
                                      : 0;
    std::string alternation;
    std::set<std::string> values;
    for (const auto& m : sh.members) {
      if (values.insert(m.value).second) alternation += (alternation.empty() ? "" : "|") + *alternative_of(m.value);
    }
    const bool whole_metric = alternation.size() > per_value_room;
    Selector::Matcher any{sh.label, "=~", "\"" + alternation + "\""};
    std::vector<std::string> merged;
    for (const auto& sel : sh.selectors) merged.push_back(whole_metric ? sel.render() : sel.render(&any));
    auto sums = impl_->window_sums(merged, by, kBlockSeconds, at, windows);
    if (!sums.ok()) continue;  // each SLO then reads (and reports) on its own
    for (const Member& m : sh.members) {
      const std::string v = m.value.substr(1, m.value.size() - 2);
      auto& slot = reads->memo.windows[read_key(ds, at, kBlockSeconds, {}, m.queries)];
      for (size_t i = 0; i < windows.size(); ++i) {
        std::vector<Rows> per_query;
        for (size_t qi = 0; qi < merged.size(); ++qi) {
          Rows r;
          auto it = (*sums)[qi][i].find(v);
          if (it != (*sums)[qi][i].end()) r[""] = it->second;
          per_query.push_back(std::move(r));
        }
        slot[windows[i]] = std::move(per_query);
      }
    }
  }
  return reads;
}

uint64_t PrometheusSource::requests() const { return impl_->requests.load(); }

Result<std::vector<Counts>> PrometheusSource::window_counts(const Instance& inst, int64_t at,
                                                            std::span<const int64_t> windows) const {
  auto plan = plan_for(inst);
  if (!plan.ok()) return plan.status();
  auto sums = impl_->window_sums(plan->queries, plan->by, kBlockSeconds, at, windows);
  if (!sums.ok()) return sums.status();
  const bool grouped = !plan->group_label.empty();
  std::vector<Counts> out;
  for (size_t i = 0; i < windows.size(); ++i) {
    out.push_back(to_counts(plan->roles, rows_value((*sums)[0][i], plan->group, grouped),
                            rows_value((*sums)[1][i], plan->group, grouped)));
  }
  return out;
}

Result<store::LatencySketch> PrometheusSource::latency(const Instance& inst, int64_t, int64_t) const {
  return Status::InvalidArgument("SLO " + inst.slo->name + ": latency sketches exist in the embedded store only");
}

namespace {

// Cumulative buckets of one row set (rows keyed le[\x1f group]) for histogram_quantile.
std::vector<std::pair<double, double>> buckets_of(const Rows& rows, const std::string& group, bool grouped) {
  std::map<double, double> by_le;
  for (const auto& [k, v] : rows) {
    auto parts = split_key(k);
    if (grouped && !group.empty() && (parts.size() < 2 || parts[1] != group)) continue;
    char* end = nullptr;
    const std::string& le = parts[0];
    double bound = le == "+Inf" ? HUGE_VAL : std::strtod(le.c_str(), &end);
    if (le != "+Inf" && (end == le.c_str() || *end != '\0')) continue;
    by_le[bound] += finite_or_zero(v);
  }
  return {by_le.begin(), by_le.end()};
}

std::optional<LatencySummary> summary_of(const std::vector<std::pair<double, double>>& b) {
  if (b.empty() || !std::isinf(b.back().first) || !(b.back().second > 0)) return std::nullopt;
  LatencySummary s;
  s.count = static_cast<uint64_t>(std::llround(b.back().second));
  double* out[] = {&s.p50, &s.p90, &s.p95, &s.p99, &s.p999};
  const double qs[] = {0.5, 0.9, 0.95, 0.99, 0.999};
  for (int i = 0; i < 5; ++i) {
    auto v = histogram_quantile(qs[i], b);
    if (!v) return std::nullopt;
    *out[i] = *v * 1000.0;  // seconds -> ms
  }
  return s;
}

}  // namespace

Result<std::optional<LatencySummary>> PrometheusSource::latency_summary(const Instance& inst, int64_t from,
                                                                        int64_t to) const {
  const config::SloConfig& slo = *inst.slo;
  if (slo.sli.prometheus.histogram.empty() || to <= from) return std::optional<LatencySummary>();
  std::vector<std::string> by = {"le"};
  std::string glabel;
  if (!slo.group_by.empty()) {
    glabel = slo.sli.prometheus.group_label.empty() ? slo.group_by.front() : slo.sli.prometheus.group_label;
    by.push_back(glabel);
  }
  const int64_t w = to - from;
  auto sums = impl_->window_sums({slo.sli.prometheus.histogram}, by, kBlockSeconds, to, std::span<const int64_t>(&w, 1));
  if (!sums.ok()) return sums.status();
  return summary_of(buckets_of((*sums)[0][0], inst.group, !glabel.empty()));
}

Result<std::vector<Slice>> PrometheusSource::slices(const Instance& inst, int64_t from, int64_t to,
                                                    int64_t slice_seconds) const {
  const config::SloConfig& slo = *inst.slo;
  const int64_t step = std::gcd(slice_seconds, kBlockSeconds);
  const bool percentile = slo.sli.kind == config::SliKind::kPercentile;
  std::vector<std::string> queries, by;
  Plan plan;
  std::string glabel;
  if (!slo.group_by.empty()) {
    glabel = slo.sli.prometheus.group_label.empty() ? slo.group_by.front() : slo.sli.prometheus.group_label;
  }
  if (percentile) {
    if (slo.sli.prometheus.histogram.empty()) {
      return Status::InvalidArgument("SLO " + slo.name + ": a percentile SLI from a datasource needs sli.prometheus.histogram");
    }
    queries = {slo.sli.prometheus.histogram};
    by = {"le"};
    if (!glabel.empty()) by.push_back(glabel);
  } else {
    auto p = plan_for(inst);
    if (!p.ok()) return p.status();
    plan = *p;
    queries = plan.queries;
    by = plan.by;
  }
  // Slices that have settled; the newest ones are judged once their data is in.
  const int64_t settled = std::min(floor_to(to, step), floor_to(impl_->now() - kSettleSeconds, step));
  const int64_t first = ceil_to(from, slice_seconds);
  std::vector<std::pair<int64_t, int64_t>> ranges;
  for (int64_t s = first; s + slice_seconds <= settled && s < to; s += slice_seconds) ranges.emplace_back(s, s + slice_seconds);
  std::vector<Slice> out;
  if (ranges.empty()) return out;
  std::vector<std::vector<Rows>> sums;
  for (const auto& q : queries) {
    auto bs = impl_->block_sums(q, by, step, ranges.front().first, ranges.back().second, ranges);
    if (!bs.ok()) return bs.status();
    sums.push_back(std::move(bs).value());
  }
  for (size_t i = 0; i < ranges.size(); ++i) {
    Slice sl;
    sl.start = ranges[i].first;
    if (percentile) {
      auto b = buckets_of(sums[0][i], inst.group, !glabel.empty());
      if (b.empty() || !(b.back().second > 0)) continue;
      sl.counts = Counts{0, static_cast<uint64_t>(std::llround(b.back().second))};
      if (auto v = histogram_quantile(slo.sli.percentile / 100.0, b)) sl.percentile_ms = *v * 1000.0;
    } else {
      const bool grouped = !plan.group_label.empty();
      sl.counts = to_counts(plan.roles, rows_value(sums[0][i], inst.group, grouped), rows_value(sums[1][i], inst.group, grouped));
      if (sl.counts.total == 0) continue;
    }
    out.push_back(std::move(sl));
  }
  return out;
}

GroupList PrometheusSource::groups(const config::SloConfig& slo) const {
  GroupList out;
  if (slo.group_by.empty()) return out;
  auto plan = plan_for(Instance{&slo, ""});
  if (!plan.ok()) return out;
  const int64_t at = floor_to(impl_->now(), 60);
  const int64_t w = std::max<int64_t>(slo.window_ms / 1000, 60);
  auto sums = impl_->window_sums(plan->queries, plan->by, kBlockSeconds, at, std::span<const int64_t>(&w, 1));
  if (!sums.ok()) {
    out.error = sums.status();
    return out;
  }
  // Traffic per group: total, or good + bad.
  Rows traffic = (*sums)[1][0];
  if (plan->roles == "gb") add_rows(traffic, (*sums)[0][0]);
  std::vector<std::pair<double, std::string>> seen;
  for (const auto& [k, v] : traffic) {
    if (v > 0 && !k.empty()) seen.emplace_back(-v, k);
  }
  std::sort(seen.begin(), seen.end());
  // Groups keep their place once evaluated (as the embedded store's first-seen order), so a
  // group whose traffic drops is not pushed into the overflow while its alert fires; new
  // groups take free places busiest first.
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::vector<std::string>& kept = impl_->group_order[slo.name];
  std::set<std::string> now_seen;
  for (const auto& [v, k] : seen) now_seen.insert(k);
  std::vector<std::string> next;
  for (const auto& g : kept) {
    if (now_seen.count(g)) next.push_back(g);
  }
  std::set<std::string> placed(next.begin(), next.end());
  for (const auto& [v, k] : seen) {
    if (placed.count(k)) continue;
    if (next.size() < static_cast<size_t>(slo.max_groups)) {
      next.push_back(k);
      placed.insert(k);
    } else {
      out.overflow.push_back(k);
    }
  }
  kept = next;
  out.groups = std::move(next);
  return out;
}

Result<Traffic> PrometheusSource::traffic(const TrafficQuery& q) const {
  Traffic t;
  if (!q.slo) return Status::InvalidArgument("service " + q.service + " has no availability SLO to read traffic from");
  auto plan = plan_for(Instance{q.slo, ""});
  if (!plan.ok()) return plan.status();
  const std::string& vlabel = q.slo->sli.prometheus.version_label;
  std::vector<std::string> by = {vlabel};
  std::vector<std::pair<int64_t, int64_t>> piece = {{q.from, q.to}};
  auto ps = impl_->piece_sums(plan->queries, by, q.to, piece);
  if (!ps.ok()) return ps.status();
  const std::string version = q.version.value_or("");
  const bool filter = q.version.has_value();
  Counts c = to_counts(plan->roles, rows_value((*ps)[0][0], version, filter), rows_value((*ps)[1][0], version, filter));
  t.requests = c.total;
  t.errors = c.bad();
  if (!q.slo->sli.prometheus.histogram.empty()) {
    auto hs = impl_->piece_sums({q.slo->sli.prometheus.histogram}, {"le", vlabel}, q.to, piece);
    if (!hs.ok()) return hs.status();
    auto b = buckets_of((*hs)[0][0], version, filter);
    if (!b.empty() && b.back().second > 0) {
      if (auto v = histogram_quantile(0.95, b)) t.p95_ms = *v * 1000.0;
    }
  }
  return t;
}

Result<std::vector<std::string>> PrometheusSource::versions(const TrafficQuery& q) const {
  std::vector<std::string> out;
  if (!q.slo) return out;
  auto plan = plan_for(Instance{q.slo, ""});
  if (!plan.ok()) return plan.status();
  std::vector<std::pair<int64_t, int64_t>> piece = {{q.from, q.to}};
  auto ps = impl_->piece_sums(plan->queries, {q.slo->sli.prometheus.version_label}, q.to, piece);
  if (!ps.ok()) return ps.status();
  Rows traffic = (*ps)[1][0];
  if (plan->roles == "gb") add_rows(traffic, (*ps)[0][0]);
  for (const auto& [k, v] : traffic) {
    if (v > 0 && !k.empty()) out.push_back(k);
  }
  return out;
}

Status check_query(const config::DatasourceConfig& ds, net::HttpSender& http, const std::string& expr, int64_t time) {
  config::DatasourceConfig once = ds;
  once.max_retries = 0;
  PromApi api(once, http, nullptr);
  auto res = api.query(expr, time * 1000);
  return res.ok() ? Status::OK() : res.status();
}

std::vector<std::pair<std::string, std::string>> datasource_queries(const config::SloConfig& slo, int64_t range) {
  std::vector<std::pair<std::string, std::string>> out;
  const auto& p = slo.sli.prometheus;
  std::vector<std::string> by;
  if (!slo.group_by.empty()) by.push_back(p.group_label.empty() ? slo.group_by.front() : p.group_label);
  for (auto [key, q] : {std::pair{"good", &p.good}, std::pair{"bad", &p.bad}, std::pair{"total", &p.total}}) {
    if (!q->empty()) out.emplace_back(key, increase_expr(*q, range, 0, by));
  }
  if (!p.histogram.empty()) {
    std::vector<std::string> hby = by;
    hby.insert(hby.begin(), "le");
    out.emplace_back("histogram", increase_expr(p.histogram, range, 0, hby));
  }
  return out;
}

// --- SourceRouter

SourceRouter::SourceRouter(const Source& embedded, net::HttpSender& http, const Clock& clock, QueryObserver observer)
    : embedded_(embedded), http_(http), clock_(clock), observer_(std::move(observer)) {}

namespace {
bool same(const config::DatasourceConfig& a, const config::DatasourceConfig& b) {
  return a.name == b.name && a.url == b.url && a.headers == b.headers && a.timeout_ms == b.timeout_ms &&
         a.tls_verify == b.tls_verify && a.max_concurrent_queries == b.max_concurrent_queries &&
         a.max_retries == b.max_retries;
}
}  // namespace

void SourceRouter::update(const config::Config& cfg) {
  std::lock_guard<std::mutex> lock(mu_);
  std::map<std::string, std::pair<config::DatasourceConfig, std::shared_ptr<const PrometheusSource>>> next;
  for (const auto& ds : cfg.datasources) {
    auto it = sources_.find(ds.name);
    if (it != sources_.end() && same(it->second.first, ds)) {
      next.emplace(ds.name, it->second);
    } else {
      next.emplace(ds.name, std::pair{ds, std::make_shared<const PrometheusSource>(ds, http_, clock_, observer_)});
    }
  }
  sources_ = std::move(next);
}

std::shared_ptr<const PrometheusSource> SourceRouter::datasource(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sources_.find(name);
  return it == sources_.end() ? nullptr : it->second.second;
}

Result<const Source*> SourceRouter::route(const config::SloConfig* slo,
                                          std::shared_ptr<const PrometheusSource>& hold) const {
  if (!slo || slo->source.empty()) return &embedded_;
  hold = datasource(slo->source);
  if (!hold) return Status::Unavailable("unreachable: datasource " + slo->source + " is not configured");
  return static_cast<const Source*>(hold.get());
}

std::shared_ptr<const RoundReads> SourceRouter::prepare_round(const config::Config& cfg, int64_t at) const {
  std::vector<std::shared_ptr<const PrometheusSource>> all;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [name, entry] : sources_) all.push_back(entry.second);
  }
  auto reads = std::make_shared<RouterReads>();
  for (const auto& src : all) {
    if (auto r = src->prepare_round(cfg, at)) reads->parts.push_back(std::move(r));
  }
  return reads;
}

std::string SourceRouter::name_of(const config::SloConfig& slo) const {
  return slo.source.empty() ? embedded_.name_of(slo) : slo.source;
}

#define SLOGUARD_ROUTE(slo_ptr, call)                      \
  std::shared_ptr<const PrometheusSource> hold;            \
  auto src = route(slo_ptr, hold);                         \
  if (!src.ok()) return src.status();                      \
  return (*src)->call

Result<std::vector<Counts>> SourceRouter::window_counts(const Instance& inst, int64_t at,
                                                        std::span<const int64_t> windows) const {
  SLOGUARD_ROUTE(inst.slo, window_counts(inst, at, windows));
}
Result<store::LatencySketch> SourceRouter::latency(const Instance& inst, int64_t from, int64_t to) const {
  SLOGUARD_ROUTE(inst.slo, latency(inst, from, to));
}
Result<std::optional<LatencySummary>> SourceRouter::latency_summary(const Instance& inst, int64_t from,
                                                                    int64_t to) const {
  SLOGUARD_ROUTE(inst.slo, latency_summary(inst, from, to));
}
Result<std::vector<Slice>> SourceRouter::slices(const Instance& inst, int64_t from, int64_t to,
                                                int64_t slice_seconds) const {
  SLOGUARD_ROUTE(inst.slo, slices(inst, from, to, slice_seconds));
}
Result<Traffic> SourceRouter::traffic(const TrafficQuery& q) const { SLOGUARD_ROUTE(q.slo, traffic(q)); }
Result<std::vector<std::string>> SourceRouter::versions(const TrafficQuery& q) const {
  SLOGUARD_ROUTE(q.slo, versions(q));
}
#undef SLOGUARD_ROUTE

GroupList SourceRouter::groups(const config::SloConfig& slo) const {
  std::shared_ptr<const PrometheusSource> hold;
  auto src = route(&slo, hold);
  if (!src.ok()) return {};
  return (*src)->groups(slo);
}

}  // namespace sloguard::slo
