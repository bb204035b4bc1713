// Tests of EventParser::Parse and ReadStartedInfo (storage/event_json.h): every
// rule of section 1 of shared/event-format.md, one at a time, and that data
// the format does not name comes back verbatim in data_json.
#include "format/event_json.h"

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>
#include <string>

namespace extrace {
namespace {

constexpr const char* kGraph =
    R"({"rootNodeId":"flow","nodes":[{"id":"flow","name":"Flow","type":"group"},)"
    R"({"id":"a","name":"A","type":"edit-fields","parentId":"flow"}]})";

// An event line with the given fields spliced into the object as raw JSON text.
std::string Line(const std::string& fields) { return "{" + fields + "}"; }

// A valid line of each type, built from its variable part.
std::string StateChange(const std::string& data) {
  return Line(
      R"("executionId":"run","seq":2,"timestamp":1000,"type":"state-change","nodeId":"a","data":)" +
      data);
}
std::string Progress(const std::string& data) {
  return Line(
      R"("executionId":"run","seq":2,"timestamp":1000,"type":"progress","nodeId":"a","data":)" +
      data);
}
std::string Started(const std::string& data) {
  return Line(R"("executionId":"run","seq":1,"timestamp":1000,"type":"started","data":)" + data);
}

Result<Event> ParseLine(const std::string& line) {
  EventParser parser;
  return parser.Parse(line);
}

// The message of a refused line; fails the test when the line was accepted.
std::string ErrorOf(const std::string& line) {
  auto event = ParseLine(line);
  INFO("line: " << line);
  REQUIRE_FALSE(event.has_value());
  CHECK(event.error().code == StatusCode::kInvalidInput);
  return event.error().message;
}

Event Accepted(const std::string& line) {
  auto event = ParseLine(line);
  INFO("line: " << line);
  if (!event) FAIL("refused: " << event.error().message);
  return *event;
}

Result<StartedInfo> ReadGraph(const std::string& data_json) {
  return ReadStartedInfo(boost::json::parse(data_json).as_object());
}

std::string GraphError(const std::string& data_json) {
  auto info = ReadGraph(data_json);
  INFO("data: " << data_json);
  REQUIRE_FALSE(info.has_value());
  CHECK(info.error().code == StatusCode::kInvalidInput);
  // Parse must refuse the same graph with the same message.
  CHECK(ErrorOf(Started(data_json)) == info.error().message);
  return info.error().message;
}

std::string RepeatUtf8(const std::string& unit, size_t count) {
  std::string text;
  for (size_t i = 0; i < count; ++i) text += unit;
  return text;
}

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

TEST_CASE("event_json a complete event parses into every field", "[event_json][no-store]") {
  Event event = Accepted(StateChange(R"({"state":"executing"})"));
  CHECK(event.execution_id == "run");
  CHECK(event.seq == 2);
  CHECK(event.timestamp_us == 1'000'000);
  CHECK(event.type == EventType::kStateChange);
  CHECK(event.node_id == "a");
  CHECK(event.data_json == R"({"state":"executing"})");
}

TEST_CASE("event_json executionId is required and not empty", "[event_json][no-store]") {
  CHECK_THAT(ErrorOf(Line(R"("timestamp":1,"type":"completed")")), StartsWith("executionId: "));
  CHECK_THAT(ErrorOf(Line(R"("executionId":"","timestamp":1,"type":"completed")")),
             StartsWith("executionId: "));
  CHECK_THAT(ErrorOf(Line(R"("executionId":null,"timestamp":1,"type":"completed")")),
             StartsWith("executionId: "));
  CHECK_THAT(ErrorOf(Line(R"("executionId":7,"timestamp":1,"type":"completed")")),
             StartsWith("executionId: "));
}

TEST_CASE("event_json executionId is at most 256 characters counted as characters",
          "[event_json][no-store]") {
  auto line = [](const std::string& id) {
    return Line(R"("executionId":")" + id + R"(","timestamp":1,"type":"completed")");
  };
  CHECK(Accepted(line(std::string(256, 'x'))).execution_id == std::string(256, 'x'));
  CHECK_THAT(ErrorOf(line(std::string(257, 'x'))), StartsWith("executionId: "));

  // 256 two-byte characters are 512 bytes: still 256 characters.
  std::string two_byte = RepeatUtf8("\xC3\xA9", 256);
  CHECK(Accepted(line(two_byte)).execution_id == two_byte);
  CHECK_THAT(ErrorOf(line(RepeatUtf8("\xC3\xA9", 257))), StartsWith("executionId: "));
  // Four-byte characters (outside the BMP) count once each as well.
  CHECK(Accepted(line(RepeatUtf8("\xF0\x9F\x98\x80", 256))).execution_id.size() == 1024);
  CHECK_THAT(ErrorOf(line(RepeatUtf8("\xF0\x9F\x98\x80", 257))), StartsWith("executionId: "));
  // An escaped character in the JSON text is one character once decoded.
  CHECK(Accepted(line(std::string(255, 'x') + "\\u00e9")).execution_id.size() == 257);
}

TEST_CASE("event_json seq is optional and else an integer of at least 1",
          "[event_json][no-store]") {
  auto line = [](const std::string& seq) {
    return Line(R"("executionId":"run",)" + seq + R"("timestamp":1,"type":"completed")");
  };
  SECTION("absent or null means the store assigns it") {
    CHECK(Accepted(line("")).seq == 0);
    CHECK(Accepted(line(R"("seq":null,)")).seq == 0);
  }
  SECTION("a positive integer is kept") {
    CHECK(Accepted(line(R"("seq":1,)")).seq == 1);
    CHECK(Accepted(line(R"("seq":9007199254740991,)")).seq == 9007199254740991);  // 2^53 - 1
  }
  SECTION("an integral double is that integer") {
    CHECK(Accepted(line(R"("seq":3.0,)")).seq == 3);
    CHECK(Accepted(line(R"("seq":3e0,)")).seq == 3);
  }
  SECTION("zero, negatives, fractions and non-numbers are refused") {
    for (const char* bad : {R"("seq":0,)", R"("seq":-1,)", R"("seq":1.5,)", R"("seq":0.0,)",
                            R"("seq":"3",)", R"("seq":true,)", R"("seq":[1],)",
                            R"("seq":18446744073709551615,)", R"("seq":9007199254740992,)"}) {
      INFO(bad);
      CHECK_THAT(ErrorOf(line(bad)), StartsWith("seq: "));
    }
  }
}

TEST_CASE("event_json timestamp is a required number of milliseconds", "[event_json][no-store]") {
  auto line = [](const std::string& ts) {
    return Line(R"("executionId":"run",)" + ts + R"("type":"completed")");
  };
  SECTION("missing or null") {
    CHECK_THAT(ErrorOf(line("")), StartsWith("timestamp: "));
    CHECK_THAT(ErrorOf(line(R"("timestamp":null,)")), StartsWith("timestamp: "));
  }
  SECTION("not a number") {
    CHECK_THAT(ErrorOf(line(R"("timestamp":"1759900000123",)")), StartsWith("timestamp: "));
    CHECK_THAT(ErrorOf(line(R"("timestamp":true,)")), StartsWith("timestamp: "));
    CHECK_THAT(ErrorOf(line(R"("timestamp":{},)")), StartsWith("timestamp: "));
  }
  SECTION("an integer is whole milliseconds") {
    CHECK(Accepted(line(R"("timestamp":1759900000123,)")).timestamp_us == 1759900000123000);
    CHECK(Accepted(line(R"("timestamp":0,)")).timestamp_us == 0);
  }
  SECTION("a fraction is kept to the microsecond") {
    CHECK(Accepted(line(R"("timestamp":1759900000123.456,)")).timestamp_us == 1759900000123456);
    CHECK(Accepted(line(R"("timestamp":1759900000123.001,)")).timestamp_us == 1759900000123001);
    CHECK(Accepted(line(R"("timestamp":1759900000123.5,)")).timestamp_us == 1759900000123500);
    CHECK(Accepted(line(R"("timestamp":1.7599000001234E12,)")).timestamp_us == 1759900000123400);
  }
  SECTION("too large for microseconds") {
    CHECK_THAT(ErrorOf(line(R"("timestamp":1e300,)")), StartsWith("timestamp: "));
    CHECK_THAT(ErrorOf(line(R"("timestamp":9223372036854775807,)")), StartsWith("timestamp: "));
    CHECK_THAT(ErrorOf(line(R"("timestamp":18446744073709551615,)")), StartsWith("timestamp: "));
  }
}

TEST_CASE("event_json type is required and one of the five", "[event_json][no-store]") {
  auto line = [](const std::string& type) {
    return Line(R"("executionId":"run","timestamp":1)" + type);
  };
  CHECK_THAT(ErrorOf(line("")), StartsWith("type: "));
  CHECK_THAT(ErrorOf(line(R"(,"type":"finished")")), StartsWith("type: "));
  CHECK_THAT(ErrorOf(line(R"(,"type":"finished")")), Contains("finished"));
  CHECK_THAT(ErrorOf(line(R"(,"type":"Completed")")), StartsWith("type: "));
  CHECK_THAT(ErrorOf(line(R"(,"type":5)")), StartsWith("type: "));
  CHECK(Accepted(line(R"(,"type":"completed")")).type == EventType::kCompleted);
  CHECK(Accepted(line(R"(,"type":"error","data":{"message":"boom"})")).type == EventType::kError);
}

TEST_CASE("event_json nodeId is required for progress and state-change only",
          "[event_json][no-store]") {
  CHECK_THAT(
      ErrorOf(Line(R"("executionId":"run","timestamp":1,"type":"progress","data":{"progress":5})")),
      StartsWith("nodeId: "));
  CHECK_THAT(ErrorOf(Line(R"("executionId":"run","timestamp":1,"type":"state-change",)"
                          R"("data":{"state":"executing"})")),
             StartsWith("nodeId: "));
  CHECK_THAT(ErrorOf(Line(R"("executionId":"run","timestamp":1,"type":"state-change","nodeId":"",)"
                          R"("data":{"state":"executing"})")),
             StartsWith("nodeId: "));
  CHECK_THAT(ErrorOf(Line(R"("executionId":"run","timestamp":1,"type":"progress","nodeId":3,)"
                          R"("data":{"progress":5})")),
             StartsWith("nodeId: "));
  // The run-level types need none.
  CHECK(Accepted(Line(R"("executionId":"run","timestamp":1,"type":"completed")")).node_id.empty());
}

TEST_CASE("event_json state-change needs a known state", "[event_json][no-store]") {
  CHECK_THAT(ErrorOf(StateChange("{}")), StartsWith("data.state: "));
  CHECK_THAT(ErrorOf(StateChange(R"({"errorMessage":"x"})")), StartsWith("data.state: "));
  CHECK_THAT(ErrorOf(StateChange(R"({"state":"running"})")), StartsWith("data.state: "));
  CHECK_THAT(ErrorOf(StateChange(R"({"state":"running"})")), Contains("running"));
  CHECK_THAT(ErrorOf(StateChange(R"({"state":3})")), StartsWith("data.state: "));
  CHECK_THAT(ErrorOf(StateChange(R"({"state":"error","errorMessage":42})")),
             StartsWith("data.errorMessage: "));
  // Without data at all, the state is what is missing.
  CHECK_THAT(
      ErrorOf(Line(R"("executionId":"run","timestamp":1,"type":"state-change","nodeId":"a")")),
      StartsWith("data.state: "));
  for (const char* state : {"pending", "executing", "completed", "error", "skipped"}) {
    INFO(state);
    Accepted(StateChange(std::string(R"({"state":")") + state + "\"}"));
  }
}

TEST_CASE("event_json progress needs a number from 0 to 100", "[event_json][no-store]") {
  CHECK_THAT(ErrorOf(Progress("{}")), StartsWith("data.progress: "));
  CHECK_THAT(ErrorOf(Progress(R"({"progress":null})")), StartsWith("data.progress: "));
  CHECK_THAT(ErrorOf(Progress(R"({"progress":-1})")), StartsWith("data.progress: "));
  CHECK_THAT(ErrorOf(Progress(R"({"progress":-0.5})")), StartsWith("data.progress: "));
  CHECK_THAT(ErrorOf(Progress(R"({"progress":101})")), StartsWith("data.progress: "));
  CHECK_THAT(ErrorOf(Progress(R"({"progress":100.01})")), StartsWith("data.progress: "));
  CHECK_THAT(ErrorOf(Progress(R"({"progress":"50"})")), StartsWith("data.progress: "));
  CHECK_THAT(ErrorOf(Progress(R"({"progress":true})")), StartsWith("data.progress: "));
  CHECK_THAT(ErrorOf(Progress(R"({"progress":50,"message":7})")), StartsWith("data.message: "));
  Accepted(Progress(R"({"progress":0})"));
  Accepted(Progress(R"({"progress":100})"));
  Accepted(Progress(R"({"progress":33.5,"message":"working"})"));
}

TEST_CASE("event_json error needs data.message", "[event_json][no-store]") {
  auto line = [](const std::string& rest) {
    return Line(R"("executionId":"run","timestamp":1,"type":"error")" + rest);
  };
  CHECK_THAT(ErrorOf(line("")), StartsWith("data.message: "));
  CHECK_THAT(ErrorOf(line(R"(,"data":{})")), StartsWith("data.message: "));
  CHECK_THAT(ErrorOf(line(R"(,"data":{"error":"boom"})")), StartsWith("data.message: "));
  CHECK_THAT(ErrorOf(line(R"(,"data":{"message":1})")), StartsWith("data.message: "));
  CHECK(Accepted(line(R"(,"data":{"message":"boom","code":7})")).data_json ==
        R"({"message":"boom","code":7})");
}

TEST_CASE("event_json started needs rootNodeId and nodes", "[event_json][no-store]") {
  CHECK_THAT(ErrorOf(Line(R"("executionId":"run","timestamp":1,"type":"started")")),
             StartsWith("data"));
  CHECK_THAT(GraphError(R"({"nodes":[{"id":"flow","name":"F","type":"group"}]})"),
             StartsWith("data.rootNodeId: "));
  CHECK_THAT(GraphError(R"({"rootNodeId":"","nodes":[{"id":"flow","name":"F","type":"group"}]})"),
             StartsWith("data.rootNodeId: "));
  CHECK_THAT(GraphError(R"({"rootNodeId":"flow"})"), StartsWith("data.nodes: "));
  CHECK_THAT(GraphError(R"({"rootNodeId":"flow","nodes":{}})"), StartsWith("data.nodes: "));
  CHECK_THAT(GraphError(R"({"rootNodeId":"flow","nodes":["flow"]})"),
             StartsWith("data.nodes[0]: "));
  CHECK_THAT(GraphError(R"({"rootNodeId":"flow","nodes":[{"name":"F","type":"group"}]})"),
             StartsWith("data.nodes[0].id: "));
  CHECK_THAT(GraphError(R"({"rootNodeId":"flow","nodes":[{"id":"flow","type":"group"}]})"),
             StartsWith("data.nodes[0].name: "));
  CHECK_THAT(GraphError(R"({"rootNodeId":"flow","nodes":[{"id":"flow","name":"F"}]})"),
             StartsWith("data.nodes[0].type: "));
}

TEST_CASE("event_json started root must be among the nodes", "[event_json][no-store]") {
  std::string message =
      GraphError(R"({"rootNodeId":"flow","nodes":[{"id":"a","name":"A","type":"t"}]})");
  CHECK_THAT(message, StartsWith("data.rootNodeId: "));
  CHECK_THAT(message, Contains("flow"));
  CHECK_THAT(GraphError(R"({"rootNodeId":"flow","nodes":[]})"), StartsWith("data.rootNodeId: "));
}

TEST_CASE("event_json started node ids are unique", "[event_json][no-store]") {
  std::string message = GraphError(
      R"({"rootNodeId":"flow","nodes":[{"id":"flow","name":"F","type":"group"},)"
      R"({"id":"a","name":"A","type":"t","parentId":"flow"},{"id":"a","name":"A2","type":"t","parentId":"flow"}]})");
  CHECK_THAT(message, StartsWith("data.nodes[2].id: "));
  CHECK_THAT(message, Contains("\"a\""));
}

TEST_CASE("event_json started parentId must name a declared node", "[event_json][no-store]") {
  std::string message =
      GraphError(R"({"rootNodeId":"flow","nodes":[{"id":"flow","name":"F","type":"group"},)"
                 R"({"id":"a","name":"A","type":"t","parentId":"nowhere"}]})");
  CHECK_THAT(message, StartsWith("data.nodes[1].parentId: "));
  CHECK_THAT(message, Contains("nowhere"));
  CHECK_THAT(GraphError(R"({"rootNodeId":"flow","nodes":[{"id":"flow","name":"F","type":"group"},)"
                        R"({"id":"a","name":"A","type":"t","parentId":7}]})"),
             StartsWith("data.nodes[1].parentId: "));
  // The root is the top of the tree.
  CHECK_THAT(
      GraphError(
          R"({"rootNodeId":"flow","nodes":[{"id":"flow","name":"F","type":"group","parentId":"a"},)"
          R"({"id":"a","name":"A","type":"t","parentId":"flow"}]})"),
      StartsWith("data.nodes[0].parentId: "));
}

// The ancestor walk of node 1 reaches node 2, whose own parent is undeclared:
// that must be reported (for node 2), not thrown.
TEST_CASE("event_json started undeclared parent of a later ancestor is an error not an exception",
          "[event_json][no-store]") {
  std::string data =
      R"({"rootNodeId":"flow","nodes":[{"id":"flow","name":"F","type":"group"},)"
      R"({"id":"a","name":"A","type":"t","parentId":"g"},{"id":"g","name":"G","type":"group","parentId":"nowhere"}]})";
  Result<StartedInfo> info = MakeError(StatusCode::kInternal, "not run");
  REQUIRE_NOTHROW(info = ReadGraph(data));
  REQUIRE_FALSE(info.has_value());
  CHECK_THAT(info.error().message, StartsWith("data.nodes[2].parentId: "));
  Result<Event> event = MakeError(StatusCode::kInternal, "not run");
  REQUIRE_NOTHROW(event = ParseLine(Started(data)));
  REQUIRE_FALSE(event.has_value());
  CHECK(event.error().code == StatusCode::kInvalidInput);
}

TEST_CASE("event_json started parent cycles are refused", "[event_json][no-store]") {
  SECTION("two nodes parenting each other") {
    CHECK_THAT(
        GraphError(R"({"rootNodeId":"flow","nodes":[{"id":"flow","name":"F","type":"group"},)"
                   R"({"id":"a","name":"A","type":"group","parentId":"b"},)"
                   R"({"id":"b","name":"B","type":"group","parentId":"a"}]})"),
        StartsWith("data.nodes[1].parentId: "));
  }
  SECTION("a node that is its own parent") {
    CHECK_THAT(
        GraphError(R"({"rootNodeId":"flow","nodes":[{"id":"flow","name":"F","type":"group"},)"
                   R"({"id":"a","name":"A","type":"group","parentId":"a"}]})"),
        StartsWith("data.nodes[1].parentId: "));
  }
  SECTION("a longer loop below the root") {
    CHECK_THAT(
        GraphError(R"({"rootNodeId":"flow","nodes":[{"id":"flow","name":"F","type":"group"},)"
                   R"({"id":"a","name":"A","type":"group","parentId":"c"},)"
                   R"({"id":"b","name":"B","type":"group","parentId":"a"},)"
                   R"({"id":"c","name":"C","type":"group","parentId":"b"}]})"),
        StartsWith("data.nodes[1].parentId: "));
  }
}

TEST_CASE("event_json started weight defaults to 1 and must not be negative",
          "[event_json][no-store]") {
  auto graph = [](const std::string& weight) {
    return R"({"rootNodeId":"flow","nodes":[{"id":"flow","name":"F","type":"group"},)"
           R"({"id":"a","name":"A","type":"t","parentId":"flow")" +
           weight + "}]}";
  };
  CHECK_THAT(GraphError(graph(R"(,"weight":-1)")), StartsWith("data.nodes[1].weight: "));
  CHECK_THAT(GraphError(graph(R"(,"weight":-0.5)")), StartsWith("data.nodes[1].weight: "));
  CHECK_THAT(GraphError(graph(R"(,"weight":"2")")), StartsWith("data.nodes[1].weight: "));
  auto info = ReadGraph(graph(""));
  REQUIRE(info);
  CHECK(info->nodes[1].weight == 1);
  info = ReadGraph(graph(R"(,"weight":0)"));
  REQUIRE(info);
  CHECK(info->nodes[1].weight == 0);
  info = ReadGraph(graph(R"(,"weight":80.5)"));
  REQUIRE(info);
  CHECK(info->nodes[1].weight == 80.5);
}

TEST_CASE("event_json started graph is read in declaration order", "[event_json][no-store]") {
  auto info = ReadGraph(
      R"({"rootNodeId":"flow","parentExecutionId":"outer","parentNodeId":"g","config":{"k":1},)"
      R"("nodes":[{"id":"flow","name":"Flow","type":"group"},{"id":"b","name":"B","type":"t","parentId":"flow"},)"
      R"({"id":"a","name":"A","type":"u","parentId":"flow","weight":3}]})");
  REQUIRE(info);
  CHECK(info->root_node_id == "flow");
  CHECK(info->parent_execution_id == "outer");
  CHECK(info->parent_node_id == "g");
  REQUIRE(info->nodes.size() == 3);
  CHECK(info->nodes[0].id == "flow");
  CHECK(info->nodes[0].parent_id.empty());
  CHECK(info->nodes[1].id == "b");
  CHECK(info->nodes[1].name == "B");
  CHECK(info->nodes[1].type == "t");
  CHECK(info->nodes[1].parent_id == "flow");
  CHECK(info->nodes[2].id == "a");
  CHECK(info->nodes[2].weight == 3);
  CHECK(Accepted(Started(kGraph)).type == EventType::kStarted);
}

TEST_CASE("event_json data must be an object", "[event_json][no-store]") {
  for (const char* data : {"[]", "\"x\"", "1", "true"}) {
    INFO(data);
    CHECK_THAT(
        ErrorOf(Line(
            std::string(R"("executionId":"run","timestamp":1,"type":"completed","data":)") + data)),
        StartsWith("data: "));
  }
  // null is the same as no data.
  CHECK(Accepted(Line(R"("executionId":"run","timestamp":1,"type":"completed","data":null)"))
            .data_json.empty());
  CHECK(Accepted(Line(R"("executionId":"run","timestamp":1,"type":"completed","data":{})"))
            .data_json.empty());
}

TEST_CASE("event_json a line that is not a JSON object is refused", "[event_json][no-store]") {
  for (const char* line :
       {"not json", "{\"executionId\":", "{\"executionId\":\"run\"} trailing", "", "[]",
        "[{\"executionId\":\"run\",\"timestamp\":1,\"type\":\"completed\"}]", "\"event\"", "42",
        "null"}) {
    INFO(line);
    auto event = ParseLine(line);
    REQUIRE_FALSE(event);
    CHECK(event.error().code == StatusCode::kInvalidInput);
    CHECK_FALSE(event.error().message.empty());
  }
}

TEST_CASE("event_json one parser parses many lines independently", "[event_json][no-store]") {
  EventParser parser;
  REQUIRE_FALSE(parser.Parse("{\"executionId\":"));
  auto good = parser.Parse(R"({"executionId":"run","timestamp":1,"type":"completed"})");
  REQUIRE(good);
  CHECK(good->execution_id == "run");
  REQUIRE_FALSE(parser.Parse("[]"));
  good = parser.Parse(R"({"executionId":"other","timestamp":2,"type":"completed"})");
  REQUIRE(good);
  CHECK(good->execution_id == "other");
}

TEST_CASE("event_json unknown data fields are kept verbatim", "[event_json][no-store]") {
  SECTION("nested objects and arrays in their order") {
    std::string data =
        R"({"state":"completed","extra":{"z":1,"a":[true,null,"s",{"deep":{"x":-2}}]},"note":"h\u00e9"})";
    CHECK(Accepted(StateChange(data)).data_json ==
          "{\"state\":\"completed\",\"extra\":{\"z\":1,\"a\":[true,null,\"s\",{\"deep\":{\"x\":-2}}"
          "]},"
          "\"note\":\"h\xC3\xA9\"}");
  }
  SECTION("numbers in their shortest plain form") {
    CHECK(Accepted(Progress(R"({"progress":1.5E0,"w":1.5,"t":1759900000123.456,"n":-0.25})"))
              .data_json == R"({"progress":1.5,"w":1.5,"t":1759900000123.456,"n":-0.25})");
  }
  SECTION("big integers exactly") {
    CHECK(Accepted(Progress(R"({"progress":1,"a":9007199254740993,"b":9223372036854775807,)"
                            R"("c":18446744073709551615,"d":-9223372036854775808})"))
              .data_json == R"({"progress":1,"a":9007199254740993,"b":9223372036854775807,)"
                            R"("c":18446744073709551615,"d":-9223372036854775808})");
  }
  SECTION("started keeps totalWeight, criticalPath and config") {
    std::string data =
        R"({"rootNodeId":"flow","config":{"retries":2},"nodes":[{"id":"flow","name":"F","type":"group","extra":1}],)"
        R"("totalWeight":80,"criticalPath":["flow"]})";
    CHECK(Accepted(Started(data)).data_json == data);
  }
  SECTION("strings with escapes round-trip") {
    std::string data = R"({"message":"tab\there \"quoted\" back\\slash\nnew\u0001","x":"\/"})";
    CHECK(Accepted(Line(R"("executionId":"run","timestamp":1,"type":"error","data":)" + data))
              .data_json == R"({"message":"tab\there \"quoted\" back\\slash\nnew\u0001","x":"/"})");
  }
}

}  // namespace
}  // namespace extrace
