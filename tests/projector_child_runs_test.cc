// Child runs in the projection (event-format.md, section 2): stitched into
// their parent node, beside a leaf's own progress, and those of a root with
// children standing in nodes after them.
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
using projector_test::Events;
using projector_test::Node;
using projector_test::Progress;
using projector_test::Started;
using projector_test::State;

TEST_CASE("projector: a child run is stitched into its parent node", "[projector][no-store]") {
  auto child_events = Events({
      R"({"executionId":"c","timestamp":2000,"type":"started","data":{"rootNodeId":"cr","parentExecutionId":"r","parentNodeId":"g","nodes":[{"id":"cr","name":"Child","type":"flow"},{"id":"x","name":"X","type":"t","parentId":"cr"}]}})",
      R"({"executionId":"c","timestamp":2001,"type":"state-change","nodeId":"x","data":{"state":"executing"}})",
      R"({"executionId":"c","timestamp":2002,"type":"state-change","nodeId":"x","data":{"state":"error","errorMessage":"child failed"}})",
      R"({"executionId":"c","timestamp":2003,"type":"error","data":{"message":"child failed"}})",
  });
  ExecutionTrace child = ProjectRun("c", child_events);
  CHECK(child.status == RunStatus::kError);
  auto parent_events = Events(
      {Started("root", {Node("root"), Node("g", "root"), Node("z", "root")}), Completed(3000)});
  ExecutionTrace parent = ProjectRun("r", parent_events, {child});
  const NodeTrace& group = parent.nodes.at(0);
  REQUIRE(group.child_traces.size() == 1);
  const NodeTrace& stitched = group.child_traces[0];
  CHECK(stitched.node_id == "cr");
  CHECK(stitched.node_name == "Child");
  CHECK(stitched.state == NodeState::kError);
  CHECK(stitched.start_us == 2000000);
  CHECK(stitched.events.size() == 4);
  REQUIRE(stitched.child_traces.size() == 1);
  CHECK(stitched.child_traces[0].node_id == "x");
  CHECK(group.state == NodeState::kError);  // derived from the child run
  CHECK(parent.status == RunStatus::kError);
}

TEST_CASE("projector: a leaf with a child run keeps its own progress events",
          "[projector][no-store]") {
  auto child_events = Events({
      R"({"executionId":"c","timestamp":2000,"type":"started","data":{"rootNodeId":"cr","parentExecutionId":"r","parentNodeId":"leaf","nodes":[{"id":"cr","name":"Child","type":"t"}]}})",
      R"({"executionId":"c","timestamp":2001,"type":"state-change","nodeId":"cr","data":{"state":"executing"}})",
  });
  ExecutionTrace child = ProjectRun("c", child_events);
  auto parent_events = Events({Started("root", {Node("root"), Node("leaf", "root")}),
                               Progress("leaf", 30, 1500), Progress("leaf", 60, 2500)});
  ExecutionTrace parent = ProjectRun("r", parent_events, {child});
  const NodeTrace& leaf = parent.nodes.at(0);
  CHECK(leaf.state == NodeState::kExecuting);  // derived from the child run
  CHECK(leaf.start_us == 2000000);
  CHECK(leaf.progress == 60);
  REQUIRE(leaf.events.size() == 2);
  CHECK(leaf.events[1].data_json == R"({"progress":60,"message":"m"})");
  REQUIRE(leaf.child_traces.size() == 1);
  CHECK(leaf.child_traces[0].child_execution_id == "c");
  // The leaf is executing at 60%: so is the run.
  CHECK(parent.overall_progress == 60);
}

// A child run "c<n>" of node `parent` in run "r", from `start` ms, ending in `end`.
ExecutionTrace ChildOf(const std::string& parent, int n, int start, const std::string& end) {
  std::string id = fmt::format("c{}", n);
  auto line = [&](int offset, const std::string& rest) {
    return fmt::format(R"({{"executionId":"{}","timestamp":{},{}}})", id, start + offset, rest);
  };
  auto events = Events({
      line(
          0,
          fmt::format(
              R"("type":"started","data":{{"rootNodeId":"k{}","parentExecutionId":"r","parentNodeId":"{}","nodes":[{{"id":"k{}","name":"K{}","type":"t"}}]}})",
              n, parent, n, n)),
      line(1, fmt::format(R"("type":"state-change","nodeId":"k{}","data":{{"state":"executing"}})",
                          n)),
      line(2, fmt::format(R"("type":"state-change","nodeId":"k{}","data":{{"state":"{}"}})", n,
                          end == "error" ? "error" : "completed")),
      line(3, fmt::format(R"("type":"{}","data":{{"message":"m"}})", end)),
  });
  return ProjectRun(id, events);
}

TEST_CASE("projector: a child run of a root with children stands in nodes after them",
          "[projector][no-store]") {
  std::vector<std::string> lines = {
      Started("root", {Node("root"), Node("a", "root"), Node("loose")}),
      State("a", "executing", 1001), State("a", "completed", 1002), Completed(1100)};
  ExecutionTrace trace =
      ProjectRun("r", Events(lines),
                 {ChildOf("root", 1, 1010, "completed"), ChildOf("root", 2, 1020, "error")});
  // The root's children, the nodes declared without a parent, then the root's
  // child runs in the order given (by start time).
  REQUIRE(trace.nodes.size() == 4);
  CHECK(trace.nodes[0].node_id == "a");
  CHECK(trace.nodes[1].node_id == "loose");
  CHECK(trace.nodes[2].child_execution_id == "c1");
  CHECK(trace.nodes[2].node_id == "k1");
  CHECK(trace.nodes[2].start_us == 1010000);
  CHECK(trace.nodes[3].child_execution_id == "c2");
  CHECK(trace.nodes[3].state == NodeState::kError);
  CHECK(trace.diagnostics.empty());
  // The root sends no state of its own: its failed child run fails the run, as
  // it would through any node it stands for.
  CHECK(trace.status == RunStatus::kError);

  // A root with state of its own is defined by it.
  lines.insert(lines.begin() + 1, State("root", "executing", 1000.5));
  lines.insert(lines.end() - 1, State("root", "completed", 1099));
  ExecutionTrace own = ProjectRun("r", Events(lines), {ChildOf("root", 2, 1020, "error")});
  REQUIRE(own.nodes.size() == 3);
  CHECK(own.nodes[2].child_execution_id == "c2");
  CHECK(own.status == RunStatus::kCompleted);
}

}  // namespace
}  // namespace extrace
