// The recorder API as an engine records a run with it: NodeScope, the graph
// checks of StartRun, child runs, and the projection through Recorder::Trace().

#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "extrace/extrace.h"
#include "recorder_test_support.h"
#include "storage/event_store.h"
#include "test_support.h"

namespace extrace {
namespace {

using recorder_test::FlatRun;
using recorder_test::NodeOf;
using recorder_test::Open;
using recorder_test::OpenStore;
using recorder_test::ReadRun;
using recorder_test::Start;
using recorder_test::StatesOf;
using recorder_test::TraceOf;
using testing::TempDir;

TEST_CASE("NodeScope marks a node executing on entry and completed on exit", "[recorder]") {
  TempDir dir;
  auto recorder = Open(dir.File("scope.db"));
  const std::string id = Start(*recorder, FlatRun("scope"));
  {
    NodeScope scope(*recorder, id, "a");
    ExecutionTrace inside = TraceOf(*recorder, id);
    const NodeTrace& a = NodeOf(inside, "a");
    CHECK(a.state == NodeState::kExecuting);
    CHECK(a.start_us > 0);
    CHECK_FALSE(a.end_us);
    CHECK(StatesOf(a) == std::vector<std::string>{"executing"});
    scope.Progress(40, "almost");
  }
  ExecutionTrace after = TraceOf(*recorder, id);
  const NodeTrace& a = NodeOf(after, "a");
  CHECK(a.state == NodeState::kCompleted);
  CHECK(a.progress == 100);
  REQUIRE(a.end_us);
  REQUIRE(a.duration_us);
  CHECK(*a.duration_us == *a.end_us - a.start_us);
  CHECK(StatesOf(a) == std::vector<std::string>{"executing", "completed"});
  REQUIRE(a.events.size() == 3);
  CHECK(a.events[1].type == EventType::kProgress);
  // The other nodes never ran.
  CHECK(NodeOf(after, "b").state == NodeState::kPending);
  CHECK(after.status == RunStatus::kIncomplete);
}

TEST_CASE("NodeScope::Run records a thrown exception's message and rethrows it", "[recorder]") {
  TempDir dir;
  auto recorder = Open(dir.File("throw.db"));
  const std::string id = Start(*recorder, FlatRun("throw"));

  bool ran = false;
  REQUIRE_THROWS_WITH(NodeScope::Run(*recorder, id, "a",
                                     [&](NodeScope& scope) {
                                       ran = true;
                                       scope.Progress(10, "started work");
                                       throw std::runtime_error("disk on fire");
                                     }),
                      "disk on fire");
  CHECK(ran);
  // Something that is not a std::exception is rethrown as it was.
  REQUIRE_THROWS_AS(NodeScope::Run(*recorder, id, "b", [](NodeScope&) { throw 42; }), int);
  // A scope that returns normally completes its node.
  NodeScope::Run(*recorder, id, "c", [](NodeScope& scope) { scope.Progress(70); });

  ExecutionTrace trace = TraceOf(*recorder, id);
  const NodeTrace& a = NodeOf(trace, "a");
  CHECK(a.state == NodeState::kError);
  // One terminal state only: the scope does not add "completed" or a second error.
  CHECK(StatesOf(a) == std::vector<std::string>{"executing", "error: disk on fire"});
  CHECK(a.end_us);
  const NodeTrace& b = NodeOf(trace, "b");
  CHECK(StatesOf(b) == std::vector<std::string>{"executing", "error: unknown exception"});
  const NodeTrace& c = NodeOf(trace, "c");
  CHECK(StatesOf(c) == std::vector<std::string>{"executing", "completed"});

  recorder->CompleteRun(id);
  CHECK(TraceOf(*recorder, id).status == RunStatus::kError);
}

TEST_CASE("a NodeScope left by an exception without Run marks its node error", "[recorder]") {
  TempDir dir;
  auto recorder = Open(dir.File("unwind.db"));
  const std::string id = Start(*recorder, FlatRun("unwind"));
  try {
    NodeScope scope(*recorder, id, "a");
    throw std::logic_error("left early");
  } catch (const std::logic_error&) {
    // Expected: the scope's destructor ran during unwinding.
  }
  {
    NodeScope scope(*recorder, id, "b");
    scope.Fail("gave up");
  }
  ExecutionTrace trace = TraceOf(*recorder, id);
  CHECK(StatesOf(NodeOf(trace, "a")) ==
        std::vector<std::string>{"executing", "error: unwound by an exception"});
  CHECK(StatesOf(NodeOf(trace, "b")) == std::vector<std::string>{"executing", "error: gave up"});
}

TEST_CASE("StartRun refuses an invalid graph and records nothing", "[recorder]") {
  TempDir dir;
  const std::string db = dir.File("invalid.db");
  auto recorder = Open(db);
  auto refused = [&](RunStart run, const std::string& mention) {
    INFO("expecting an error that mentions " << mention);
    auto id = recorder->StartRun(run);
    REQUIRE_FALSE(id);
    CHECK(id.error().code == StatusCode::kInvalidInput);
    CHECK_THAT(id.error().message, Catch::Contains(mention));
  };

  RunStart root_missing = FlatRun("bad-root");
  root_missing.root_node_id = "nowhere";
  refused(root_missing, "rootNodeId");

  RunStart duplicate = FlatRun("bad-duplicate");
  duplicate.nodes.push_back({"b", "B again", "code", "flow", 1});
  refused(duplicate, "duplicate node id");

  RunStart unknown_parent = FlatRun("bad-parent");
  unknown_parent.nodes[2].parent_id = "ghost";
  refused(unknown_parent, "ghost");

  RunStart cycle = FlatRun("bad-cycle");
  cycle.nodes[1].parent_id = "b";
  cycle.nodes[2].parent_id = "a";
  refused(cycle, "its own ancestor");

  RunStart no_nodes = FlatRun("bad-empty");
  no_nodes.nodes.clear();
  refused(no_nodes, "rootNodeId");

  RunStart bad_config = FlatRun("bad-config");
  bad_config.config_json = "[1, 2]";
  refused(bad_config, "config");

  RunStart half_parent = FlatRun("bad-half-parent");
  half_parent.parent_execution_id = "somewhere";
  refused(half_parent, "parent");

  RunStart long_id = FlatRun(std::string(300, 'x'));
  refused(long_id, "executionId");

  REQUIRE(recorder->Flush());
  CHECK(recorder->DurableCount() == 0);
  auto store = OpenStore(db);
  auto runs = store->ListRuns();
  REQUIRE(runs);
  CHECK(runs->empty());
}

TEST_CASE("a message longer than a line is refused, the events around it stored", "[recorder]") {
  TempDir dir;
  const std::string db = dir.File("long.db");
  auto recorder = Open(db);
  const std::string id = Start(*recorder, FlatRun("long"));
  recorder->SetNodeState(id, "a", NodeState::kError, std::string(size_t{17} << 20, 'x'));
  recorder->SetNodeState(id, "b", NodeState::kExecuting);
  auto flushed = recorder->Flush();
  REQUIRE_FALSE(flushed);
  CHECK(flushed.error().code == StatusCode::kInvalidInput);
  // Where in the writer's batch it was depends on timing: not checked.
  CHECK_THAT(flushed.error().message,
             Catch::StartsWith("data: longer than 16 MiB (executionId \"long\", event "));
  // Not retried forever: the writer went on.
  CHECK(recorder->Flush());
  auto events = ReadRun(*OpenStore(db), id);
  REQUIRE(events.size() == 2);
  CHECK(events[1].node_id == "b");
}

TEST_CASE("a child run appears in its parent node's childTraces", "[recorder]") {
  TempDir dir;
  auto recorder = Open(dir.File("child.db"));
  RunStart parent_run;
  parent_run.execution_id = "parent";
  parent_run.root_node_id = "flow";
  parent_run.nodes = {{"flow", "Flow", "group", "", 1},
                      {"sub", "Sub flow", "subflow", "flow", 1},
                      {"after", "After", "code", "flow", 1}};
  const std::string parent = Start(*recorder, parent_run);

  RunStart child_run;
  child_run.execution_id = "child";
  child_run.root_node_id = "inner";
  child_run.parent_execution_id = parent;
  child_run.parent_node_id = "sub";
  child_run.nodes = {{"inner", "Inner", "group", "", 1},
                     {"x", "X", "code", "inner", 1},
                     {"y", "Y", "code", "inner", 1}};
  const std::string child = Start(*recorder, child_run);
  NodeScope::Run(*recorder, child, "x", [](NodeScope&) {});
  NodeScope::Run(*recorder, child, "y", [](NodeScope&) {});
  recorder->CompleteRun(child);

  ExecutionTrace trace = TraceOf(*recorder, parent);
  REQUIRE(trace.nodes.size() == 2);
  const NodeTrace& sub = trace.nodes[0];
  REQUIRE(sub.node_id == "sub");
  REQUIRE(sub.child_traces.size() == 1);
  const NodeTrace& stitched = sub.child_traces[0];
  CHECK(stitched.node_id == "inner");
  CHECK(stitched.node_name == "Inner");
  CHECK(stitched.child_execution_id == child);
  CHECK(stitched.state == NodeState::kCompleted);
  CHECK(stitched.end_us);
  REQUIRE(stitched.child_traces.size() == 2);
  CHECK(stitched.child_traces[0].node_id == "x");
  CHECK(stitched.child_traces[1].node_id == "y");
  CHECK(stitched.child_traces[0].state == NodeState::kCompleted);
  // "sub" sent no state of its own: it takes the finished child run's.
  CHECK(sub.state == NodeState::kCompleted);
  // The parent itself never ended.
  CHECK(trace.status == RunStatus::kIncomplete);

  ExecutionTrace child_trace = TraceOf(*recorder, child);
  CHECK(child_trace.parent_execution_id == parent);
  CHECK(child_trace.parent_node_id == "sub");
  CHECK(child_trace.status == RunStatus::kCompleted);
}

TEST_CASE("Trace reports how a run ended", "[recorder]") {
  TempDir dir;
  auto recorder = Open(dir.File("ended.db"));

  const std::string ok = Start(*recorder, FlatRun("ok"));
  for (const char* node : {"a", "b", "c"}) NodeScope::Run(*recorder, ok, node, [](NodeScope&) {});
  recorder->CompleteRun(ok);

  const std::string failed = Start(*recorder, FlatRun("failed"));
  NodeScope::Run(*recorder, failed, "a", [](NodeScope&) {});
  recorder->FailRun(failed, "engine stopped");

  const std::string node_error = Start(*recorder, FlatRun("node-error"));
  recorder->SetNodeState(node_error, "a", NodeState::kExecuting);
  recorder->SetNodeState(node_error, "a", NodeState::kError, "bad input");
  recorder->CompleteRun(node_error);

  const std::string running = Start(*recorder, FlatRun("running"));
  recorder->SetNodeState(running, "a", NodeState::kExecuting);

  ExecutionTrace ok_trace = TraceOf(*recorder, ok);
  CHECK(ok_trace.status == RunStatus::kCompleted);
  REQUIRE(ok_trace.end_us);
  REQUIRE(ok_trace.duration_us);
  CHECK(*ok_trace.duration_us == *ok_trace.end_us - ok_trace.start_us);
  CHECK(*ok_trace.duration_us >= 0);
  CHECK(ok_trace.overall_progress == 100);
  CHECK(ok_trace.events.back().type == EventType::kCompleted);

  ExecutionTrace failed_trace = TraceOf(*recorder, failed);
  CHECK(failed_trace.status == RunStatus::kError);
  CHECK(failed_trace.end_us);
  REQUIRE(failed_trace.events.back().type == EventType::kError);
  CHECK_THAT(failed_trace.events.back().data_json, Catch::Contains("engine stopped"));

  ExecutionTrace node_error_trace = TraceOf(*recorder, node_error);
  CHECK(node_error_trace.status == RunStatus::kError);
  CHECK(node_error_trace.end_us);

  ExecutionTrace running_trace = TraceOf(*recorder, running);
  CHECK(running_trace.status == RunStatus::kIncomplete);
  CHECK_FALSE(running_trace.end_us);
  CHECK_FALSE(running_trace.duration_us);

  auto missing = recorder->Trace("no-such-run");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == StatusCode::kNotFound);
}

TEST_CASE("Trace without a trace reader says how to get one", "[recorder]") {
  TempDir dir;
  auto recorder = Recorder::Open(dir.File("plain.db"));  // not OpenRecorder: no reader
  REQUIRE(recorder);
  const std::string id = Start(**recorder, FlatRun("plain"));
  auto trace = (*recorder)->Trace(id);
  REQUIRE_FALSE(trace);
  CHECK(trace.error().code == StatusCode::kInternal);
  CHECK_THAT(trace.error().message, Catch::Contains("OpenRecorder"));
}

}  // namespace
}  // namespace extrace
