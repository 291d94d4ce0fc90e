// `sloguard rules export`: Prometheus rules or Sloth specs from a config file.
#include <fstream>
#include <iostream>

#include "commands.h"
#include "sloguard/config/config.h"
#include "sloguard/slo/rules_export.h"

namespace sloguard::cli {

int run_rules_export(const RulesExportArgs& args) {
  auto loaded = config::load_config_file(args.config_path);
  if (!loaded.ok()) {
    for (const auto& e : loaded.errors) std::cerr << e.to_string() << "\n";
    return 1;
  }
  const auto format = args.format == "sloth" ? slo::RulesFormat::kSloth : slo::RulesFormat::kPrometheus;
  const slo::RulesExport result = slo::export_rules(*loaded.config, format);
  for (const auto& note : result.notes) std::cerr << "note: " << note << "\n";
  if (args.output.empty() || args.output == "-") {
    std::cout << result.yaml;
    return std::cout.good() ? 0 : 1;
  }
  std::ofstream f(args.output, std::ios::trunc);
  f << result.yaml;
  f.close();
  if (!f) {
    std::cerr << "cannot write " << args.output << "\n";
    return 1;
  }
  return 0;
}

}  // namespace sloguard::cli
