// The server's small pure parts on their own: request targets (percent
// escapes, segments, parameters), the token check, and the request body read
// as events (JSON Lines or an array).
#include <catch2/catch.hpp>

#include "server/auth.h"
#include "server/event_body.h"
#include "server/query_string.h"

namespace extrace::server {

TEST_CASE("request targets decode each segment and parameter on its own", "[no-store]") {
  auto target = ParseTarget("/v1/runs/a%2Fb/events?afterSeq=3&node=n+1&node=n%202&flag");
  REQUIRE(target);
  CHECK(target->segments == std::vector<std::string>{"v1", "runs", "a/b", "events"});
  CHECK(target->Param("afterSeq") == std::optional<std::string>("3"));
  CHECK(target->Param("node") == std::optional<std::string>("n 2"));  // the last one
  CHECK(target->Param("flag") == std::optional<std::string>(""));
  CHECK(!target->Param("missing"));
  CHECK(ParseTarget("/")->segments.empty());
  CHECK(ParseTarget("/v1/runs/")->segments == std::vector<std::string>{"v1", "runs"});
  for (const char* bad : {"", "v1/runs", "http://host/v1", "/a%2", "/a%zz", "/a%00b", "/?x=%0"})
    CHECK(!ParseTarget(bad));
}

TEST_CASE("the token check takes the bearer header or the cookie, nothing else", "[no-store]") {
  const std::string token = "0123456789abcdef";
  CHECK(Authorized("", "", ""));
  CHECK(Authorized(token, "Bearer 0123456789abcdef", ""));
  CHECK(Authorized(token, "  Bearer 0123456789abcdef  ", ""));
  CHECK(Authorized(token, "bearer 0123456789abcdef", ""));
  CHECK(Authorized(token, "", "x=1; extrace_token=0123456789abcdef; y=2"));
  CHECK(!Authorized(token, "", ""));
  CHECK(!Authorized(token, "Bearer 0123456789abcde", ""));
  CHECK(!Authorized(token, "Bearer 0123456789abcdefg", ""));
  CHECK(!Authorized(token, "Basic 0123456789abcdef", ""));
  CHECK(!Authorized(token, "0123456789abcdef", ""));
  CHECK(!Authorized(token, "", "extrace_token=nope; other=0123456789abcdef"));
  CHECK(ConstantTimeEquals("abc", "abc"));
  CHECK(!ConstantTimeEquals("abc", "abd"));
  CHECK(!ConstantTimeEquals("abc", "abcd"));
  CHECK(!ConstantTimeEquals("", "a"));
}

TEST_CASE("a request body is JSON Lines or one array, read up to its first bad line",
          "[no-store]") {
  std::string good = R"({"executionId":"r","seq":1,"timestamp":5,"type":"completed"})";
  auto lines = ReadEventBody("\n" + good + "\r\n  \n" + good + "\n{bad\n" + good);
  CHECK(lines.events.size() == 2);
  CHECK(lines.lines == std::vector<int64_t>{2, 4});
  REQUIRE(lines.stop);
  CHECK(lines.stop->message.starts_with("line 5: (json): "));
  auto array = ReadEventBody("  [" + good + ", " + good + "]");
  CHECK(array.events.size() == 2);
  CHECK(!array.stop);
  auto bad_element = ReadEventBody("[" + good + ", 3]");
  CHECK(bad_element.events.size() == 1);
  REQUIRE(bad_element.stop);
  CHECK(bad_element.stop->message.starts_with("line 2: (json): an event must be a JSON object"));
  auto deep = ReadEventBody("[" + std::string(2000, '[') + std::string(2000, ']') + "]");
  REQUIRE(deep.stop);
  CHECK(deep.stop->message.starts_with("line 1: (json): not valid JSON"));
  // A syntax error belongs to its element; the elements before it are kept.
  auto broken = ReadEventBody("[" + good + ",\n" + good + ", {\"executionId\":\"r\",}]");
  CHECK(broken.events.size() == 2);
  REQUIRE(broken.stop);
  CHECK(broken.stop->message.starts_with("line 3: (json): not valid JSON"));
  // Brackets and commas inside strings do not split elements.
  std::string tricky =
      R"({"executionId":"r,]\"[{","seq":1,"timestamp":5,"type":"completed","data":{"a":[1,{"b":"]"}]}})";
  auto strings = ReadEventBody("[" + tricky + "," + good + "]");
  CHECK(!strings.stop);
  REQUIRE(strings.events.size() == 2);
  CHECK(strings.events[0].execution_id == "r,]\"[{");
  for (const char* bad : {"[", "[1", "[{}", "[]x"}) CHECK(ReadEventBody(bad).stop);
  CHECK(ReadEventBody(" [ ] ").events.empty());
  CHECK(!ReadEventBody(" [ ] ").stop);
  CHECK(ReadEventBody("").events.empty());
  CHECK(!ReadEventBody("").stop);
}

}  // namespace extrace::server
