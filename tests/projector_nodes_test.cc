// The projection rules of the contract (event-format.md, section 2) for nodes:
// the hierarchy, nesting and its bound, and the state, times and progress of
// groups derived from their children.
#include <fmt/format.h>

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
using projector_test::Json;
using projector_test::Node;
using projector_test::Progress;
using projector_test::Project;
using projector_test::Started;
using projector_test::State;

TEST_CASE("projector: a single node run has one node", "[projector][no-store]") {
  auto trace = Project({Started("n", {Node("n")}), State("n", "executing", 1001),
                        Progress("n", 40, 1002), State("n", "completed", 1010), Completed(1011)});
  REQUIRE(trace.nodes.size() == 1);
  CHECK(trace.nodes[0].node_id == "n");
  CHECK(trace.nodes[0].progress == 100);  // 100 once completed, whatever the last progress said
  CHECK(trace.nodes[0].events.size() == 3);
  CHECK(trace.status == RunStatus::kCompleted);
  CHECK(*trace.duration_us == 11000);
  CHECK_FALSE(Json(trace)["nodes"].as_array()[0].as_object().contains("childTraces"));
}

TEST_CASE("projector: a group of three children gives three nodes", "[projector][no-store]") {
  auto trace = Project({Started("g", {Node("g"), Node("a", "g"), Node("b", "g"), Node("c", "g")})});
  REQUIRE(trace.nodes.size() == 3);
  CHECK(trace.nodes[0].node_id == "a");
  CHECK(trace.nodes[2].node_id == "c");
  CHECK(trace.status == RunStatus::kIncomplete);
}

TEST_CASE("projector: nested groups have childTraces at every level, 50 deep",
          "[projector][no-store]") {
  std::vector<std::string> nodes{Node("n0")};
  for (int i = 1; i <= 50; ++i)
    nodes.push_back(Node(fmt::format("n{}", i), fmt::format("n{}", i - 1)));
  auto trace = Project({Started("n0", nodes), State("n50", "executing", 1001),
                        State("n50", "completed", 1005), Completed(1006)});
  const NodeTrace* node = &trace.nodes.at(0);
  int depth = 1;
  while (!node->child_traces.empty()) {
    CHECK(node->has_child_traces);
    CHECK(node->state == NodeState::kCompleted);  // derived from the one leaf
    CHECK(node->start_us == 1001000);
    CHECK(*node->end_us == 1005000);
    node = &node->child_traces.at(0);
    ++depth;
  }
  CHECK(depth == 50);
  CHECK(node->node_id == "n50");
  CHECK(trace.diagnostics.empty());
}

TEST_CASE("projector: nesting past the depth bound is cut and reported, not a crash",
          "[projector][no-store]") {
  std::vector<std::string> nodes{Node("n0")};
  const size_t deep = kMaxNodeDepth + 50;
  for (size_t i = 1; i <= deep; ++i)
    nodes.push_back(Node(fmt::format("n{}", i), fmt::format("n{}", i - 1)));
  auto trace = Project({Started("n0", nodes)});
  REQUIRE(trace.diagnostics.size() == 1);
  CHECK(trace.diagnostics[0].find("deeper than") != std::string::npos);
}

TEST_CASE("projector: a derived group errors as soon as a child errors, ends when all are done",
          "[projector][no-store]") {
  auto trace =
      Project({Started("root", {Node("root"), Node("g", "root"), Node("a", "g"), Node("b", "g")}),
               State("a", "executing", 1001), State("a", "error", 1003, "bad"), Completed(1004)});
  const NodeTrace& group = trace.nodes.at(0);
  CHECK(group.state == NodeState::kError);
  CHECK(group.start_us == 1001000);
  CHECK_FALSE(group.end_us.has_value());  // b never ran: not all children are done
  CHECK(group.events.empty());
  CHECK(trace.status == RunStatus::kError);
}

TEST_CASE("projector: a derived group is executing while children are under way",
          "[projector][no-store]") {
  auto trace =
      Project({Started("root", {Node("root"), Node("g", "root"), Node("a", "g"), Node("b", "g")}),
               State("a", "executing", 1001), State("a", "completed", 1002)});
  CHECK(trace.nodes.at(0).state == NodeState::kExecuting);
  CHECK_FALSE(trace.nodes.at(0).duration_us.has_value());
  auto pending = Project({Started("root", {Node("root"), Node("g", "root"), Node("a", "g")})});
  CHECK(pending.nodes.at(0).state == NodeState::kPending);
  CHECK(pending.nodes.at(0).start_us == 0);
}

TEST_CASE("projector: a group with state-changes of its own is defined by them",
          "[projector][no-store]") {
  auto trace = Project({Started("root", {Node("root"), Node("g", "root"), Node("a", "g")}),
                        State("g", "executing", 1000.5), State("a", "executing", 1001),
                        State("a", "error", 1002), State("g", "completed", 1009)});
  const NodeTrace& group = trace.nodes.at(0);
  CHECK(group.state == NodeState::kCompleted);
  CHECK(group.start_us == 1000500);
  CHECK(*group.duration_us == 8500);
  CHECK(group.events.size() == 2);
}

TEST_CASE("projector: a node skipped while pending has an end but no start or duration",
          "[projector][no-store]") {
  auto trace = Project(
      {Started("g", {Node("g"), Node("a", "g")}), State("a", "skipped", 1003), Completed(1004)});
  const NodeTrace& node = trace.nodes.at(0);
  CHECK(node.state == NodeState::kSkipped);
  CHECK(node.start_us == 0);
  CHECK(*node.end_us == 1003000);
  CHECK_FALSE(node.duration_us.has_value());
  auto json = Json(trace)["nodes"].as_array()[0].as_object();
  CHECK(json["startTime"].as_int64() == 0);
  CHECK_FALSE(json.contains("duration"));
  CHECK(trace.status == RunStatus::kCompleted);
}

TEST_CASE("projector: a group without state-changes keeps its own progress events",
          "[projector][no-store]") {
  auto trace = Project({Started("root", {Node("root"), Node("g", "root"), Node("a", "g")}),
                        Progress("g", 40, 1001), State("a", "executing", 1002)});
  const NodeTrace& group = trace.nodes.at(0);
  // Its state and times come from its children; what it sent itself stays its own.
  CHECK(group.state == NodeState::kExecuting);
  CHECK(group.start_us == 1002000);
  REQUIRE(group.events.size() == 1);
  CHECK(group.events[0].type == EventType::kProgress);
  CHECK(group.events[0].timestamp_us == 1001000);
  CHECK(group.events[0].data_json == R"({"progress":40,"message":"m"})");
  CHECK(group.progress == 40);
  CHECK(trace.events.size() == 3);  // and the run's events still hold it
  CHECK(trace.diagnostics.empty());
  // Once its children are done it reads 100, as any completed node.
  auto done = Project({Started("root", {Node("root"), Node("g", "root"), Node("a", "g")}),
                       Progress("g", 40, 1001), State("a", "executing", 1002),
                       State("a", "completed", 1003), Completed(1004)});
  CHECK(done.nodes.at(0).state == NodeState::kCompleted);
  CHECK(done.nodes.at(0).progress == 100);
  CHECK(done.nodes.at(0).events.size() == 1);
}

}  // namespace
}  // namespace extrace
