// The projection rules of the contract (event-format.md, section 2), one by
// one, on hand-made event lists projected in memory (no store).
#include "query/projector.h"

#include <fmt/format.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "format/event_json.h"
#include "query/trace_json.h"

namespace extrace {
namespace {

// Builds events from JSON Lines; seqs are given in order when absent.
std::vector<Event> Events(const std::vector<std::string>& lines) {
  EventParser parser;
  std::vector<Event> events;
  for (const auto& line : lines) {
    auto event = parser.Parse(line);
    INFO(line);
    REQUIRE(event.has_value());
    if (event->seq == 0) event->seq = static_cast<int64_t>(events.size()) + 1;
    events.push_back(std::move(*event));
  }
  return events;
}

std::string Node(const std::string& id, const std::string& parent = "", double weight = 1) {
  std::string text = fmt::format(R"({{"id":"{}","name":"{} name","type":"t")", id, id);
  if (!parent.empty()) text += fmt::format(R"(,"parentId":"{}")", parent);
  if (weight != 1) text += fmt::format(R"(,"weight":{})", weight);
  return text + "}";
}

std::string Started(const std::string& root, const std::vector<std::string>& nodes,
                    double ts = 1000) {
  std::string list;
  for (const auto& n : nodes) list += (list.empty() ? "" : ",") + n;
  return fmt::format(
      R"({{"executionId":"r","timestamp":{},"type":"started","data":{{"rootNodeId":"{}","nodes":[{}]}}}})",
      ts, root, list);
}

std::string State(const std::string& node, const std::string& state, double ts,
                  const std::string& error = "") {
  std::string extra = error.empty() ? "" : fmt::format(R"(,"errorMessage":"{}")", error);
  return fmt::format(
      R"({{"executionId":"r","timestamp":{},"type":"state-change","nodeId":"{}","data":{{"state":"{}"{}}}}})",
      ts, node, state, extra);
}

std::string Progress(const std::string& node, double progress, double ts) {
  return fmt::format(
      R"({{"executionId":"r","timestamp":{},"type":"progress","nodeId":"{}","data":{{"progress":{},"message":"m"}}}})",
      ts, node, progress);
}

std::string Completed(double ts, const std::string& data = "{}") {
  return fmt::format(R"({{"executionId":"r","timestamp":{},"type":"completed","data":{}}})", ts,
                     data);
}

ExecutionTrace Project(const std::vector<std::string>& lines) {
  auto events = Events(lines);
  return ProjectRun("r", events);
}

boost::json::object Json(const ExecutionTrace& trace) {
  return boost::json::parse(TraceToJson(trace)).as_object();
}

TEST_CASE("projector: a single node run has one node", "[projector]") {
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

TEST_CASE("projector: a group of three children gives three nodes", "[projector]") {
  auto trace = Project({Started("g", {Node("g"), Node("a", "g"), Node("b", "g"), Node("c", "g")})});
  REQUIRE(trace.nodes.size() == 3);
  CHECK(trace.nodes[0].node_id == "a");
  CHECK(trace.nodes[2].node_id == "c");
  CHECK(trace.status == RunStatus::kIncomplete);
}

TEST_CASE("projector: nested groups have childTraces at every level, 50 deep", "[projector]") {
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
          "[projector]") {
  std::vector<std::string> nodes{Node("n0")};
  const size_t deep = kMaxNodeDepth + 50;
  for (size_t i = 1; i <= deep; ++i)
    nodes.push_back(Node(fmt::format("n{}", i), fmt::format("n{}", i - 1)));
  auto trace = Project({Started("n0", nodes)});
  REQUIRE(trace.diagnostics.size() == 1);
  CHECK(trace.diagnostics[0].find("deeper than") != std::string::npos);
}

TEST_CASE("projector: overall progress is weighted over leaves and rounds halves up",
          "[projector]") {
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

TEST_CASE("projector: a derived group errors as soon as a child errors, ends when all are done",
          "[projector]") {
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

TEST_CASE("projector: a derived group is executing while children are under way", "[projector]") {
  auto trace =
      Project({Started("root", {Node("root"), Node("g", "root"), Node("a", "g"), Node("b", "g")}),
               State("a", "executing", 1001), State("a", "completed", 1002)});
  CHECK(trace.nodes.at(0).state == NodeState::kExecuting);
  CHECK_FALSE(trace.nodes.at(0).duration_us.has_value());
  auto pending = Project({Started("root", {Node("root"), Node("g", "root"), Node("a", "g")})});
  CHECK(pending.nodes.at(0).state == NodeState::kPending);
  CHECK(pending.nodes.at(0).start_us == 0);
}

TEST_CASE("projector: a group with state-changes of its own is defined by them", "[projector]") {
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
          "[projector]") {
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

TEST_CASE("projector: status is incomplete without an end, whatever the nodes did", "[projector]") {
  auto trace = Project(
      {Started("n", {Node("n")}), State("n", "executing", 1001), State("n", "error", 1002)});
  CHECK(trace.status == RunStatus::kIncomplete);
  auto json = Json(trace);
  CHECK_FALSE(json.contains("endTime"));
  CHECK_FALSE(json.contains("duration"));
  CHECK(json["status"].as_string() == "incomplete");
}

TEST_CASE("projector: completed data is the computed summary merged with what came in",
          "[projector]") {
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
          "[projector]") {
  auto trace = Project({Started("n", {Node("n")}, 1759900000123.456),
                        State("n", "executing", 1759900000123.457), Completed(1759900000200)});
  std::string json = TraceToJson(trace);
  CHECK(json.find("\"startTime\":1759900000123.456") != std::string::npos);
  CHECK(json.find("\"duration\":76.544") != std::string::npos);
  CHECK(json.find("E1") == std::string::npos);
  CHECK(json.find("e+") == std::string::npos);
}

TEST_CASE("projector: an event for an undeclared node stays in events only", "[projector]") {
  auto trace = Project(
      {Started("n", {Node("n")}), State("ghost", "executing", 1001), Progress("ghost", 10, 1002)});
  CHECK(trace.events.size() == 3);
  CHECK(trace.nodes.size() == 1);
  auto data = boost::json::parse(trace.events.back().data_json).as_object();
  CHECK(data["allNodes"].as_array().size() == 1);
  CHECK(trace.diagnostics.size() == 2);
}

TEST_CASE("projector: a run without a started event is reported, not thrown", "[projector]") {
  auto trace = Project({State("n", "executing", 1001), Completed(1002)});
  CHECK(trace.nodes.empty());
  CHECK(trace.events.size() == 2);
  REQUIRE_FALSE(trace.diagnostics.empty());
  CHECK(trace.diagnostics[0].find("no started event") != std::string::npos);
}

TEST_CASE("projector: an event after the end counts for its node but does not move the end",
          "[projector]") {
  auto trace = Project({Started("g", {Node("g"), Node("a", "g")}), Completed(1001),
                        State("a", "executing", 1002), State("a", "error", 1003)});
  CHECK(*trace.end_us == 1001000);
  CHECK(trace.status == RunStatus::kError);
  CHECK(trace.nodes[0].state == NodeState::kError);
  CHECK(trace.diagnostics.size() == 2);
}

// Issue 10 item 7: each anomaly has a named kind, counted, the first of a kind
// its example; the texts stay as they were.
TEST_CASE("projector: diagnostics are counted by kind with an example", "[projector]") {
  auto trace =
      Project({Started("g", {Node("g"), Node("a", "g")}), State("ghost", "executing", 1001),
               Progress("ghost", 10, 1002), Completed(1003), State("a", "executing", 1004),
               State("a", "completed", 1005), State("a", "completed", 1000)});
  REQUIRE(trace.diagnostic_counts.size() == 3);
  CHECK(DiagnosticKindName(trace.diagnostic_counts[0].kind) == "undeclared_node");
  CHECK(trace.diagnostic_counts[0].count == 2);
  CHECK(trace.diagnostic_counts[0].example == trace.diagnostics[0]);
  CHECK(DiagnosticKindName(trace.diagnostic_counts[1].kind) == "event_after_end");
  CHECK(trace.diagnostic_counts[1].count == 3);
  CHECK(DiagnosticKindName(trace.diagnostic_counts[2].kind) == "timestamp_backwards");
  CHECK(trace.diagnostic_counts[2].count == 1);
  int64_t total = 0;
  for (const auto& row : trace.diagnostic_counts) total += row.count;
  CHECK(total == static_cast<int64_t>(trace.diagnostics.size()));
  auto json = boost::json::parse(TraceToJson(trace)).as_object();
  const auto& counts = json.at("diagnosticCounts").as_array();
  REQUIRE(counts.size() == 3);
  CHECK(counts[1].at("kind") == "event_after_end");
  CHECK(counts[1].at("count") == 3);
}

TEST_CASE("projector: order stays by seq when timestamps go backwards", "[projector]") {
  auto trace =
      Project({Started("n", {Node("n")}, 1000), State("n", "executing", 999), Completed(1001)});
  CHECK(trace.events[1].timestamp_us == 999000);
  REQUIRE(trace.diagnostics.size() == 1);
  CHECK(trace.diagnostics[0].find("earlier") != std::string::npos);
}

TEST_CASE("projector: a child run is stitched into its parent node", "[projector]") {
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

}  // namespace
}  // namespace extrace

namespace extrace {
namespace {

TEST_CASE("projector: a group without state-changes keeps its own progress events", "[projector]") {
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

TEST_CASE("projector: a leaf with a child run keeps its own progress events", "[projector]") {
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

std::string ProgressData(const std::string& node, const std::string& data, double ts) {
  return fmt::format(
      R"({{"executionId":"r","timestamp":{},"type":"progress","nodeId":"{}","data":{}}})", ts, node,
      data);
}

TEST_CASE("projector: progress data always has a message, empty when none came in", "[projector]") {
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
          "[projector]") {
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

namespace extrace {
namespace {

TEST_CASE("projector: without allNodes snapshots only the snapshots are left out", "[projector]") {
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

TEST_CASE("projector: streamed JSON is the same text as the whole string", "[projector]") {
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
