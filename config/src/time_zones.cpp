#include "time_zones.h"

#include <date/tz.h>

#include <exception>
#include <string_view>
#include <vector>

#include "yaml_fields.h"

namespace sloguard::config::detail {

std::string check_time_zone(const std::string& name) {
  if (name == "UTC") return {};
  if (name == "localtime") {
    // The OS database lists /usr/share/zoneinfo/localtime, the machine's own zone: a config
    // that means different things on different machines.
    return "time zone \"localtime\" depends on the machine; name the zone, e.g. Europe/Berlin";
  }
  const date::tzdb* db = nullptr;
  try {
    db = &date::get_tzdb();
  } catch (const std::exception& e) {
    return "cannot check time zone \"" + name + "\": the time zone database is not available (" + e.what() +
           "; install tzdata)";
  }
  try {
    date::locate_zone(name);
    return {};
  } catch (const std::exception&) {
    // Not found: fall through to the suggestion.
  }
  std::vector<std::string_view> names;
  names.reserve(db->zones.size());
  for (const auto& z : db->zones) {
    if (z.name() != "localtime") names.push_back(z.name());
  }
  std::string m = "unknown time zone \"" + name + "\"";
  std::string_view suggestion = closest_match(name, names);
  if (!suggestion.empty()) {
    m += "; did you mean \"" + std::string(suggestion) + "\"?";
  } else {
    m += "; expected an IANA name like Europe/Berlin, America/New_York or UTC";
  }
  return m;
}

}  // namespace sloguard::config::detail
