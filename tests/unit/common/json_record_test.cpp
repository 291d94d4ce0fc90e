// decode_record: every way a stored record can be wrong is a Corruption naming the record.
#include "sloguard/common/json_record.h"

#include <catch2/catch.hpp>
#include <new>

using namespace sloguard;
using nlohmann::json;

namespace {

struct Lease {
  std::string holder;
  int64_t until = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Lease, holder, until)

void require_corrupt(const Status& s, const std::string& why) {
  INFO(s.to_string());
  CHECK(s.code() == Status::Code::kCorruption);
  CHECK(s.message() == "lease/1: " + why);
}

}  // namespace

TEST_CASE("decode_record through from_json: fields, defaults, and each kind of bad record", "[common][json]") {
  auto ok = decode_record<Lease>(R"({"holder":"a","until":7})", "lease/1");
  REQUIRE(ok.ok());
  CHECK(ok->holder == "a");
  CHECK(ok->until == 7);
  auto defaults = decode_record<Lease>(R"({"holder":"b"})", "lease/1");  // WITH_DEFAULT: until keeps 0
  REQUIRE(defaults.ok());
  CHECK(defaults->until == 0);
  require_corrupt(decode_record<Lease>("{", "lease/1").status(), "is not JSON");
  require_corrupt(decode_record<Lease>("", "lease/1").status(), "is not JSON");
  require_corrupt(decode_record<Lease>("[1]", "lease/1").status(), "is not a JSON object but array");
  require_corrupt(decode_record<Lease>(R"({"holder":1})", "lease/1").status(), "type must be string, but is number");
}

TEST_CASE("decode_record with a decoder: thrown and returned errors both become values", "[common][json]") {
  auto missing = decode_record<Lease>(R"({"until":1})", "lease/1", [](const json& j) {
    return Lease{j.at("holder").get<std::string>(), j.at("until").get<int64_t>()};
  });
  require_corrupt(missing.status(), "key 'holder' not found");
  auto refused = decode_record<Lease>(R"({"holder":""})", "lease/1", [](const json& j) -> Result<Lease> {
    if (j.at("holder").get<std::string>().empty()) return Status::InvalidArgument("no holder");
    return Lease{};
  });
  require_corrupt(refused.status(), "no holder");
  auto out_of_range = decode_record<Lease>(R"({"holder":"x"})", "lease/1", [](const json& j) {
    return Lease{j.at("holder").get<std::string>(), std::stoll("not a number")};
  });
  CHECK(out_of_range.status().code() == Status::Code::kCorruption);
  // Out of memory is not a corrupt record: it goes to the thread's guard.
  CHECK_THROWS_AS(decode_record<Lease>("{}", "lease/1", [](const json&) -> Lease { throw std::bad_alloc(); }),
                  std::bad_alloc);
}
