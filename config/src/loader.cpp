// load_config_file / load_config_text: YAML parsing, the top-level keys, storage and
// services. The larger sections live in server_section.cpp, probe_section.cpp,
// slo_section.cpp, policy_section.cpp, release_section.cpp, remote_write_section.cpp and
// datasource_section.cpp.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "alerting_section.h"
#include "release_fields.h"
#include "sections.h"

namespace sloguard::config {
namespace detail {

bool check_name(ErrorSink& errors, const Item& item, const std::string& name) {
  if (name.empty()) {
    errors.add(item.mark(), item.msg("must not be empty"));
    return false;
  }
  bool ok = std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
  if (!ok) {
    errors.add(item.mark(), item.msg("\"" + name + "\" may contain only letters, digits, '.', '_' and '-'"));
  }
  return ok;
}

}  // namespace detail

namespace {

using detail::ErrorSink;
using detail::Fields;
using detail::Item;

// Returns the retention when it is valid, so SLO windows can be checked against it.
std::optional<int64_t> parse_storage(ErrorSink& errors, const Item& item, StorageConfig& out) {
  if (!expect_map(errors, item, "a mapping with path, retention, max_series_per_service, audit_retention")) {
    return std::nullopt;
  }
  Fields f(errors, item, {"path", "retention", "max_series_per_service", "audit_retention"});
  if (const Item* audit = f.get("audit_retention")) {
    if (auto ms = detail::read_positive_duration(errors, *audit)) out.audit_retention_ms = *ms;
  }
  if (const Item* max = f.get("max_series_per_service")) {
    if (auto n = detail::read_count(errors, *max, 1, 100'000'000)) out.max_series_per_service = static_cast<size_t>(*n);
  }
  if (const Item* path = f.get("path")) {
    if (auto text = read_scalar(errors, *path, "a directory path")) {
      if (text->empty()) {
        errors.add(path->mark(), path->msg("must not be empty"));
      } else {
        out.path = *text;
      }
    }
  }
  if (const Item* retention = f.get("retention")) {
    auto ms = read_duration(errors, *retention);
    if (!ms) return std::nullopt;
    if (*ms <= 0) {
      errors.add(retention->mark(),
                 retention->msg("retention must be longer than 0, got \"" + retention->node.Scalar() + "\""));
      return std::nullopt;
    }
    out.retention_ms = *ms;
  }
  return out.retention_ms;
}

void parse_evaluation_interval(ErrorSink& errors, const Item& item, Config& out) {
  auto ms = read_duration(errors, item);
  if (!ms) return;
  if (*ms < 1000) {
    errors.add(item.mark(), item.msg("must be at least 1s, got \"" + item.node.Scalar() + "\""));
    return;
  }
  out.evaluation_interval_ms = *ms;
}

// Fills `out` with the valid services and their probes, `names` with every service name
// written, and `probes` with every probe written, valid or not.
void parse_services(ErrorSink& errors, const Item& item, std::vector<ServiceConfig>& out,
                    std::vector<std::string>& names, std::vector<detail::ProbeRef>& probes) {
  if (item.node.IsNull()) return;
  if (!expect_list(errors, item, "a list of services like {name: checkout}")) return;
  std::vector<int> lines;  // where each service in `out` starts
  for (size_t i = 0; i < item.node.size(); ++i) {
    Item s = item.element(i, item.node[i]);
    if (!expect_map(errors, s, "a service like {name: checkout}")) continue;
    const size_t errors_before = errors.size();
    Fields f(errors, s, {"name", "probes"});
    ServiceConfig service;
    std::string written;  // the name as written, valid or not: SLOs check their probes by it
    bool duplicate = false;
    if (const Item* name = f.require("name")) {
      if (auto text = read_scalar(errors, *name, "a service name")) {
        names.push_back(*text);
        written = *text;
        if (detail::check_name(errors, *name, *text)) {
          service.name = *text;
          auto dup =
              std::find_if(out.begin(), out.end(), [&](const ServiceConfig& o) { return o.name == *text; });
          if (dup != out.end()) {
            errors.add(s.mark(), s.msg("duplicate service name \"" + *text + "\" (first at line " +
                                       std::to_string(lines[dup - out.begin()]) + ")"));
            duplicate = true;
          }
        }
      }
    }
    // Read even when the name is not, so each probe's own mistakes are found in the same pass.
    if (const Item* p = f.get("probes")) detail::parse_probes(errors, *p, written, probes, service.probes);
    if (duplicate || errors.size() != errors_before) continue;
    lines.push_back(s.mark().line + 1);
    out.push_back(std::move(service));
  }
}

void parse_root(ErrorSink& errors, const YAML::Node& root, Config& config) {
  const Item item{"", root, YAML::Mark::null_mark()};
  if (root.IsNull()) {
    // An empty file is more likely a truncated write than a wish to run no SLOs at all.
    errors.add(YAML::Mark::null_mark(),
               "the config is empty: expected a mapping with server, storage, "
               "evaluation_interval, services, slos, budget_policy");
    return;
  }
  if (!expect_map(errors, item,
                  "a mapping with server, storage, evaluation_interval, services, slos, "
                  "budget_policy")) {
    return;
  }
  Fields f(errors, item,
           {"server", "storage", "evaluation_interval", "services", "slos", "budget_policy", "alerting", "notifiers",
            "release", "remote_write", "datasources"});
  if (const Item* server = f.get("server")) detail::parse_server(errors, *server, config.server);
  std::optional<int64_t> retention = config.storage.retention_ms;
  if (const Item* storage = f.get("storage")) retention = parse_storage(errors, *storage, config.storage);
  if (const Item* interval = f.get("evaluation_interval")) {
    parse_evaluation_interval(errors, *interval, config);
  }
  std::vector<std::string> service_names;
  std::vector<detail::ProbeRef> probes;
  if (const Item* services = f.get("services")) {
    parse_services(errors, *services, config.services, service_names, probes);
  }
  // alerting: first, wherever it is written: SLOs name its policies.
  detail::AlertingContext alerting;
  if (const Item* a = f.get("alerting")) detail::parse_alerting(errors, *a, config.alerting, alerting);
  // datasources: before slos, wherever it is written: SLOs name them in source.
  std::vector<std::string> datasource_names;
  if (const Item* ds = f.get("datasources")) {
    detail::parse_datasources(errors, *ds, datasource_names, config.datasources);
  }
  const Item* slos = f.get("slos");
  if (slos) {
    detail::parse_slos(errors, *slos, service_names, probes, datasource_names, retention, config.alerting, alerting,
                       config.slos);
  }
  // After slos: histogram buckets are checked against the latency SLOs they feed.
  if (const Item* rw = f.get("remote_write")) {
    detail::parse_remote_write(errors, *rw, service_names, slos, config.slos, config.remote_write);
  }
  if (const Item* notifiers = f.get("notifiers")) {
    detail::parse_notifiers(errors, *notifiers, config.alerting.send_resolved, config.notifiers);
    for (NotifierConfig& n : config.notifiers) n.repeat_interval_ms = config.alerting.repeat_interval_ms;
  }
  if (const Item* policy = f.get("budget_policy")) {
    detail::parse_budget_policy(errors, *policy, config.budget_policy);
  }
  if (const Item* release = f.get("release")) {
    detail::parse_release(errors, *release, service_names, alerting.notify_refs, config.release);
  }
  detail::check_alerting_refs(errors, alerting, config);
}

LoadResult load(const std::string& yaml, const std::string& file, const std::string& source_path) {
  ErrorSink errors(file);
  auto config = std::make_shared<Config>();
  config->source_path = source_path;
  try {
    YAML::Node root = YAML::Load(yaml);
    parse_root(errors, root, *config);
  } catch (const YAML::Exception& e) {
    // Syntax errors; yaml-cpp's message describes the construct, never the file's content.
    errors.add(e.mark, "YAML syntax error: " + e.msg);
  }
  LoadResult result;
  result.errors = errors.take_sorted();
  if (result.errors.empty()) {
    config->finalize();
    result.config = std::move(config);
  }
  return result;
}

}  // namespace

LoadResult load_config_file(const std::string& path) {
  auto fail = [&](const std::string& why) {
    LoadResult r;
    r.errors.push_back(ConfigError{path, 0, 0, "cannot read config file: " + why});
    return r;
  };
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return fail("it is a directory");
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(errno != 0 ? std::strerror(errno) : "cannot open");
  std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) return fail(errno != 0 ? std::strerror(errno) : "read failed");
  return load(text, path, path);
}

LoadResult load_config_text(const std::string& yaml, const std::string& file) {
  return load(yaml, file, "");
}

}  // namespace sloguard::config
