// `sloguard backtest`: replay a JSONL events file through the SLO engine and the alert tiers
// in a temporary store and print when each tier fired and resolved. Sends nothing.
#include <stdlib.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "sloguard/alerting/backtest.h"
#include "sloguard/common/log.h"
#include "sloguard/common/units.h"
#include "sloguard/config/config.h"

namespace sloguard::cli {
namespace {

// A fresh directory under the system temp dir, removed with its content on destruction.
class ScratchDir {
 public:
  ScratchDir() {
    std::error_code ec;
    std::string tmpl = (std::filesystem::temp_directory_path(ec) / "sloguard-backtest-XXXXXX").string();
    if (!ec && mkdtemp(tmpl.data())) path_ = tmpl;
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }  // empty when it could not be created

 private:
  std::string path_;
};

bool parse_time_arg(const std::string& text, const char* name, std::optional<int64_t>& out) {
  if (text.empty()) return true;
  auto t = parse_timestamp(text);
  if (!t.ok()) {
    std::cerr << "--" << name << ": " << t.status().message() << "\n";
    return false;
  }
  out = static_cast<int64_t>(std::floor(*t));
  return true;
}

std::string rate(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2fx", v);
  return buf;
}

nlohmann::ordered_json to_json(const std::vector<alerting::TimelineEntry>& timeline) {
  nlohmann::ordered_json arr = nlohmann::ordered_json::array();
  for (const auto& e : timeline) {
    nlohmann::ordered_json burn = nlohmann::ordered_json::object();
    burn[e.long_window] = e.long_burn_rate;
    burn[e.short_window] = e.short_burn_rate;
    arr.push_back({{"slo", e.slo},
                   {"group", e.group},
                   {"tier", e.tier},
                   {"severity", e.severity},
                   {"fired_at", e.fired_at},
                   {"resolved_at", e.resolved_at ? nlohmann::ordered_json(*e.resolved_at) : nlohmann::ordered_json(nullptr)},
                   {"burn_rates", burn},
                   {"threshold", e.threshold}});
  }
  return arr;
}

void print_table(const alerting::BacktestResult& r) {
  std::cout << "Replayed " << r.events << " events: " << r.rounds << " rounds every "
            << format_duration_ms(r.interval_ms) << " from " << format_rfc3339(r.from) << " to "
            << format_rfc3339(r.to) << "\n";
  if (r.timeline.empty()) {
    std::cout << "No alert fired.\n";
    return;
  }
  std::vector<std::vector<std::string>> rows = {
      {"SLO", "TIER", "SEVERITY", "FIRED AT", "RESOLVED AT", "BURN RATES AT FIRING"}};
  for (const auto& e : r.timeline) {
    rows.push_back({e.slo + (e.group.empty() ? "" : " [" + e.group + "]"), e.tier, e.severity,
                    format_rfc3339(e.fired_at), e.resolved_at ? format_rfc3339(*e.resolved_at) : "still firing",
                    e.long_window + " " + rate(e.long_burn_rate) + ", " + e.short_window + " " +
                        rate(e.short_burn_rate) + " (threshold " + rate(e.threshold) + ")"});
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
    }
    std::cout << line << "\n";
  }
}

}  // namespace

int run_backtest(const BacktestArgs& args) {
  // The alert engine logs each transition; the timeline is the output here.
  log::set_level(log::Level::kWarn);
  auto loaded = config::load_config_file(args.config_path);
  if (!loaded.ok()) {
    for (const auto& e : loaded.errors) std::cerr << e.to_string() << "\n";
    return 1;
  }
  alerting::BacktestOptions opts;
  if (!parse_time_arg(args.from, "from", opts.from) || !parse_time_arg(args.to, "to", opts.to)) return 1;

  std::ifstream file;
  std::istream* in = &std::cin;
  if (args.events_path != "-") {
    file.open(args.events_path);
    if (!file) {
      std::cerr << "cannot read " << args.events_path << "\n";
      return 1;
    }
    in = &file;
  }

  ScratchDir scratch;
  if (scratch.path().empty()) {
    std::cerr << "cannot create a temporary directory for the replay store\n";
    return 1;
  }
  opts.store_path = scratch.path() + "/store";
  auto result = alerting::run_backtest(*loaded.config, *in, opts);
  if (!result.ok()) {
    std::cerr << args.events_path << ": " << result.status().message() << "\n";
    return 1;
  }
  if (args.json) {
    std::cout << to_json(result->timeline).dump(2) << "\n";
  } else {
    print_table(*result);
  }
  std::cout.flush();
  return std::cout.good() ? 0 : 1;
}

}  // namespace sloguard::cli
