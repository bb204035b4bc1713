// The projection rules of the contract (event-format.md, section 2) for the
// run: overall progress, status, the completed summary, times, the data of
// progress events, allNodes snapshots, streamed JSON.
#include <fmt/format.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "format/event_json.h"
#include "projector_test_support.h"
#include "query/projector.h"
#include "query/trace_json.h"

namespace extrace {
namespace {

using projector_test::Completed;
using projector_test::Events;
using projector_test::Json;
using projector_test::Node;
using projector_test::Progress;
using projector_test::Project;
using projector_test::Started;
using projector_test::State;

TEST_CASE("projector: overall progress is weighted over leaves and rounds halves up",
          "[projector][no-store]") {
  auto trace = Project({Started("g", {Node("g"), Node("a", "g"), Node("b", "g")}),
                        State("a", "executing", 1001), Progress("a", 25, 1002)});
  // (1 * 25 + 1 * 0) / 2 = 12.5 -> 13, as JavaScript's Math.round.
  auto data = boost::json::parse(trace.events.back().data_json).as_object();
  CHECK(data["progress"].as_int64() == 13);
  CHECK(data["nodeId"].as_string() == "a");
  CHECK(data["message"].as_string() == "m");
  auto all = data["allNodes"].as_array();
  REQUIRE(all.size() == 2);
  CHECK(all[0].as_object().at("state").as_string() == "executing");
  CHECK(all[0].as_object().at("progress").to_number<double>() == 25);
  CHECK(all[1].as_object().at("state").as_string() == "pending");

  auto weighted =
      Project({Started("g", {Node("g"), Node("a", "g", 3), Node("b", "g", 1)}),
               State("b", "skipped", 1001), State("a", "executing", 1002), Progress("a", 50, 1003),
               State("a", "error", 1004), Progress("a", 60, 1005)});
  // b skipped counts 1, a in error counts 0: 100 * 1 / 4 = 25.
  CHECK(boost::json::parse(weighted.events.back().data_json).as_object()["progress"].as_int64() ==
        25);
}

TEST_CASE("projector: status is incomplete without an end, whatever the nodes did",
          "[projector][no-store]") {
  auto trace = Project(
      {Started("n", {Node("n")}), State("n", "executing", 1001), State("n", "error", 1002)});
  CHECK(trace.status == RunStatus::kIncomplete);
  auto json = Json(trace);
  CHECK_FALSE(json.contains("endTime"));
  CHECK_FALSE(json.contains("duration"));
  CHECK(json["status"].as_string() == "incomplete");
}

TEST_CASE("projector: completed data is the computed summary merged with what came in",
          "[projector][no-store]") {
  auto trace = Project({Started("g", {Node("g"), Node("a", "g"), Node("b", "g")}),
                        State("a", "executing", 1001), State("a", "completed", 1002),
                        State("b", "executing", 1003), State("b", "error", 1004),
                        Completed(1250.25, R"({"totalDuration":1,"engine":{"x":[1,2.5]}})")});
  auto data = boost::json::parse(trace.events.back().data_json).as_object();
  CHECK(data["nodesCompleted"].as_int64() == 1);
  CHECK(data["nodesErrored"].as_int64() == 1);
  CHECK(data["totalDuration"].as_double() == 250.25);
  CHECK(data["engine"].as_object()["x"].as_array()[1].as_double() == 2.5);
  CHECK(trace.events.back().data_json.find("2.5E0") == std::string::npos);
}

TEST_CASE("projector: times are plain decimal milliseconds exact to the microsecond",
          "[projector][no-store]") {
  auto trace = Project({Started("n", {Node("n")}, 1759900000123.456),
                        State("n", "executing", 1759900000123.457), Completed(1759900000200)});
  std::string json = TraceToJson(trace);
  CHECK(json.find("\"startTime\":1759900000123.456") != std::string::npos);
  CHECK(json.find("\"duration\":76.544") != std::string::npos);
  CHECK(json.find("E1") == std::string::npos);
  CHECK(json.find("e+") == std::string::npos);
}

std::string ProgressData(const std::string& node, const std::string& data, double ts) {
  return fmt::format(
      R"({{"executionId":"r","timestamp":{},"type":"progress","nodeId":"{}","data":{}}})", ts, node,
      data);
}

TEST_CASE("projector: progress data always has a message, empty when none came in",
          "[projector][no-store]") {
  auto trace = Project({Started("n", {Node("n")}), State("n", "executing", 1001),
                        ProgressData("n", R"({"progress":10})", 1002),
                        ProgressData("n", R"({"progress":20,"message":null})", 1003),
                        ProgressData("n", R"({"step":3,"progress":30})", 1004),
                        ProgressData("n", R"({"progress":40,"message":"m","step":4})", 1005)});
  const NodeTrace& node = trace.nodes.at(0);
  REQUIRE(node.events.size() == 5);
  CHECK(node.events[1].data_json == R"({"progress":10,"message":""})");
  CHECK(node.events[2].data_json == R"({"progress":20,"message":""})");
  CHECK(node.events[3].data_json == R"({"progress":30,"message":"","step":3})");
  CHECK(node.events[4].data_json == R"({"progress":40,"message":"m","step":4})");
  auto json = Json(trace);
  const auto& events = json["events"].as_array();
  REQUIRE(events.size() == 6);
  for (size_t i = 2; i < 6; ++i) {
    const auto& data = events[i].at("data").as_object();
    INFO(boost::json::serialize(data));
    CHECK(data.at("nodeId") == "n");
    CHECK(data.at("progress").is_int64());
    CHECK(data.at("allNodes").is_array());
    CHECK(data.at("message") == (i == 5 ? "m" : ""));
  }
  CHECK(events[4].at("data").at("step") == 3);
}

TEST_CASE("projector: without allNodes snapshots only the snapshots are left out",
          "[projector][no-store]") {
  auto events = Events({Started("g", {Node("g"), Node("a", "g"), Node("b", "g")}),
                        State("a", "executing", 1001), Progress("a", 25, 1002),
                        State("a", "completed", 1003), Completed(1004)});
  ExecutionTrace full = ProjectRun("r", events);
  ExecutionTrace lean = ProjectRun("r", events, {}, ProjectOptions{.all_nodes_snapshots = false});
  auto full_json = Json(full);
  auto lean_json = Json(lean);
  auto snapshot = full_json["events"].as_array()[2].as_object()["data"].as_object();
  auto without = lean_json["events"].as_array()[2].as_object()["data"].as_object();
  CHECK(snapshot.contains("allNodes"));
  CHECK_FALSE(without.contains("allNodes"));
  snapshot.erase("allNodes");
  CHECK(snapshot == without);
  full_json["events"].as_array()[2] = nullptr;
  lean_json["events"].as_array()[2] = nullptr;
  CHECK(full_json == lean_json);
}

TEST_CASE("projector: streamed JSON is the same text as the whole string",
          "[projector][no-store]") {
  std::vector<std::string> lines = {Started("g", {Node("g"), Node("a", "g")})};
  lines.push_back(State("a", "executing", 1001));
  for (int i = 0; i < 30000; ++i) lines.push_back(Progress("a", i % 100, 1002 + i * 0.001));
  auto trace = ProjectRun("r", Events(lines));
  std::string streamed;
  int pieces = 0;
  StreamTraceJson(trace, [&](std::string_view piece) {
    streamed += piece;
    ++pieces;
  });
  CHECK(streamed == TraceToJson(trace) + "\n");
  CHECK(pieces > 2);  // written in pieces, not as one string
}

}  // namespace
}  // namespace extrace
