// ParseTimeText, the times of --since/--until and of the API's since/until:
// the forms it takes, and the texts it must refuse (found by the filters fuzz
// target, fuzz/filters_fuzz.cc), some of which once overflowed.
#include "query/run_filter_text.h"

#include <catch2/catch.hpp>
#include <optional>

using extrace::ParseTimeText;

namespace {
// 2026-11-25T18:07:23Z in microseconds since the epoch.
constexpr int64_t kT = int64_t{1795630043} * 1'000'000;
}  // namespace

TEST_CASE("times read as ISO 8601 or epoch milliseconds", "[query][filter][no-store]") {
  CHECK(ParseTimeText("2026-11-25T18:07:23Z") == kT);
  CHECK(ParseTimeText("2026-11-25t18:07:23z") == kT);
  CHECK(ParseTimeText("2026-11-25 18:07:23") == kT);
  CHECK(ParseTimeText("2026-11-25T18:07:23.350Z") == kT + 350'000);
  CHECK(ParseTimeText("2026-11-25T18:07:23.1234567Z") == kT + 123'456);
  CHECK(ParseTimeText("2026-11-25T19:07:23+01:00") == kT);
  CHECK(ParseTimeText("2026-11-25T19:37:23+0130") == kT);
  CHECK(ParseTimeText("2026-11-25T17:07:23-01") == kT);
  CHECK(ParseTimeText("2026-11-25T18:07Z") == kT - 23'000'000);
  CHECK(ParseTimeText("2026-11-25") == kT - (18 * 3600 + 7 * 60 + 23) * int64_t{1'000'000});
  CHECK(ParseTimeText("1795630043000") == kT);
  CHECK(ParseTimeText("1795630043000.5") == kT + 500);
  CHECK(ParseTimeText("0") == 0);
}

TEST_CASE("times that are not times are refused, not read as something else",
          "[query][filter][no-store]") {
  // Once signed overflow (a huge negative second before 1970) and accepted NaN.
  for (const char* text : {"1900-01-01T00:00:-1e300",
                           "2026-01-01T00:00:nan",
                           "2026-01-01T00:00:inf",
                           "2026-11-25T18:-5",
                           "2026-11-25T-1:07",
                           "+202-11-25",
                           " 202-11-25",
                           "2026-1-25",
                           "2026-11-25T18:07:23+1",
                           "2026-11-25T18:07:23+25:00",
                           "2026-11-25T18:07:23.Z",
                           "2026-11-25T18:07:61",
                           "2026-11-25Z",
                           "2026-11-25T18",
                           "2026-11-25T18:07:23 Z",
                           "99999999999999999999999",
                           "1e3",
                           "",
                           "yesterday",
                           "2026-13-01",
                           "2026-11-00"})
    CHECK(ParseTimeText(text) == std::nullopt);
}

TEST_CASE("a slower-than beyond any duration is refused, not overflowed",
          "[query][filter][no-store]") {
  using extrace::FilterNames;
  extrace::RunFilterText text;
  text.slower_than_ms = 200;
  auto filter = extrace::ParseRunFilter(text, FilterNames::kCliFlags);
  REQUIRE(filter);
  CHECK(filter->slower_than_us == 200'000);
  // 2.4e98 once overflowed the conversion to microseconds (UBSan, found by the
  // filters fuzz target): the API took it as "a number, 0 or more".
  for (double ms : {2.4e98, 1e300, 9.3e15, -1.0}) {
    text.slower_than_ms = ms;
    auto refused = extrace::ParseRunFilter(text, FilterNames::kQueryParams);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == extrace::StatusCode::kInvalidInput);
    CHECK_THAT(refused.error().message, Catch::Matchers::StartsWith("slowerThan "));
  }
}
