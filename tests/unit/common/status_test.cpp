// Status and Result<T>: errors as values across component boundaries.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "sloguard/common/status.h"

namespace sloguard {
namespace {

TEST_CASE("a default Status is OK and carries nothing", "[common][status]") {
  Status s;
  CHECK(s.ok());
  CHECK(s.code() == Status::Code::kOk);
  CHECK(s.message().empty());
  CHECK(s.to_string() == "OK");
  CHECK_FALSE(s.is_invalid_argument());
  CHECK_FALSE(s.is_not_found());

  Status ok = Status::OK();
  CHECK(ok.ok());
  CHECK(ok.code() == Status::Code::kOk);
  CHECK(ok.to_string() == "OK");
}

TEST_CASE("named constructors set code, message and to_string", "[common][status]") {
  struct Case {
    Status status;
    Status::Code code;
    const char* text;
  };
  std::vector<Case> cases = {
      {Status::InvalidArgument("bad"), Status::Code::kInvalidArgument, "Invalid argument: bad"},
      {Status::NotFound("bad"), Status::Code::kNotFound, "Not found: bad"},
      {Status::AlreadyExists("bad"), Status::Code::kAlreadyExists, "Already exists: bad"},
      {Status::IOError("bad"), Status::Code::kIOError, "IO error: bad"},
      {Status::Corruption("bad"), Status::Code::kCorruption, "Corruption: bad"},
      {Status::Unavailable("bad"), Status::Code::kUnavailable, "Unavailable: bad"},
      {Status::Internal("bad"), Status::Code::kInternal, "Internal: bad"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    CHECK_FALSE(c.status.ok());
    CHECK(c.status.code() == c.code);
    CHECK(c.status.message() == "bad");
    CHECK(c.status.to_string() == c.text);
    CHECK(c.status.is_invalid_argument() == (c.code == Status::Code::kInvalidArgument));
    CHECK(c.status.is_not_found() == (c.code == Status::Code::kNotFound));
  }
}

TEST_CASE("an error Status may have an empty message", "[common][status]") {
  Status s = Status::Internal("");
  CHECK_FALSE(s.ok());
  CHECK(s.message().empty());
  CHECK(s.to_string() == "Internal: ");
}

TEST_CASE("Status copies and moves keep code and message", "[common][status]") {
  Status original = Status::NotFound("series 42");
  Status copy = original;
  CHECK(copy.code() == Status::Code::kNotFound);
  CHECK(copy.message() == "series 42");
  CHECK(original.message() == "series 42");

  Status moved = std::move(copy);
  CHECK(moved.is_not_found());
  CHECK(moved.message() == "series 42");

  Status assigned;
  assigned = original;
  CHECK(assigned.is_not_found());
  assigned = Status::OK();
  CHECK(assigned.ok());
  CHECK(original.is_not_found());  // unaffected by what happened to its copies
}

TEST_CASE("Result holds a value", "[common][status]") {
  Result<int> r = 42;
  REQUIRE(r.ok());
  CHECK(r.status().ok());
  CHECK(r.value() == 42);
  CHECK(*r == 42);
  r.value() = 7;
  CHECK(*r == 7);

  const Result<std::string> s = std::string("checkout");
  REQUIRE(s.ok());
  CHECK(s.value() == "checkout");
  CHECK(s->size() == 8);
  CHECK(*s == "checkout");
}

TEST_CASE("Result holds an error Status", "[common][status]") {
  Result<int> r = Status::InvalidArgument("not a number");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().is_invalid_argument());
  CHECK(r.status().message() == "not a number");
  CHECK_THROWS(r.value());  // a programming error; std::variant reports it as bad_variant_access
}

Result<int> half(int n) {
  if (n % 2 != 0) return Status::InvalidArgument(std::to_string(n) + " is odd");
  return n / 2;
}

TEST_CASE("Result is returned from functions by value or by Status", "[common][status]") {
  CHECK(half(10).value() == 5);
  auto odd = half(3);
  REQUIRE_FALSE(odd.ok());
  CHECK(odd.status().to_string() == "Invalid argument: 3 is odd");
}

TEST_CASE("Result works with move-only values", "[common][status]") {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(5);
  REQUIRE(r.ok());
  CHECK(**r == 5);
  std::unique_ptr<int> owned = std::move(r).value();
  REQUIRE(owned);
  CHECK(*owned == 5);
}

TEST_CASE("Result's operator-> reaches the value's members", "[common][status]") {
  struct Point {
    int x;
    int y;
  };
  Result<Point> p = Point{1, 2};
  p->x = 10;
  CHECK(p->x == 10);
  CHECK(p->y == 2);
}

}  // namespace
}  // namespace sloguard
