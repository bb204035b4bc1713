// The recorder's handle API: Node() and the hot-path calls through a
// NodeHandle, stored and projected as the string API's calls, and handles
// the recorder did not make.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "extrace/extrace.h"
#include "recorder_test_support.h"
#include "storage/event_store.h"
#include "test_support.h"

namespace extrace {
namespace {

using recorder_test::FirstSeqGap;
using recorder_test::FlatRun;
using recorder_test::HandleOf;
using recorder_test::NodeOf;
using recorder_test::Open;
using recorder_test::OpenStore;
using recorder_test::ReadRun;
using recorder_test::Start;
using recorder_test::StatesOf;
using recorder_test::TraceOf;
using testing::TempDir;

// What a stored event says, without its run and time.
std::string Shape(const Event& event) {
  return fmt::format("{} {} {} {}", event.seq, EventTypeName(event.type), event.node_id,
                     event.data_json);
}

TEST_CASE("handle API events are stored and projected as the string API's", "[recorder]") {
  TempDir dir;
  const std::string db = dir.File("handles.db");
  auto recorder = Open(db);
  const std::string by_string = Start(*recorder, FlatRun("by-string"));
  const std::string by_handle = Start(*recorder, FlatRun("by-handle"));

  recorder->SetNodeState(by_string, "a", NodeState::kExecuting);
  recorder->ReportProgress(by_string, "a", 12.5);
  recorder->ReportProgress(by_string, "a", 250);  // clamped
  recorder->ReportProgress(by_string, "a", 60, "sixty \"quoted\"");
  recorder->SetNodeState(by_string, "a", NodeState::kCompleted);
  recorder->SetNodeState(by_string, "b", NodeState::kExecuting);
  recorder->SetNodeState(by_string, "b", NodeState::kError, "b broke");
  recorder->SetNodeState(by_string, "c", NodeState::kSkipped);
  recorder->CompleteRun(by_string);

  const NodeHandle a = HandleOf(*recorder, by_handle, "a");
  const NodeHandle b = HandleOf(*recorder, by_handle, "b");
  const NodeHandle c = HandleOf(*recorder, by_handle, "c");
  recorder->SetNodeState(a, NodeState::kExecuting);
  recorder->ReportProgress(a, 12.5);
  recorder->ReportProgress(a, 250);
  recorder->ReportProgress(a, 60, "sixty \"quoted\"");
  recorder->SetNodeState(a, NodeState::kCompleted);
  recorder->SetNodeState(b, NodeState::kExecuting);
  recorder->SetNodeState(b, NodeState::kError, "b broke");
  recorder->SetNodeState(c, NodeState::kSkipped);
  recorder->CompleteRun(by_handle);
  REQUIRE(recorder->Flush());

  auto store = OpenStore(db);
  auto string_events = ReadRun(*store, by_string);
  auto handle_events = ReadRun(*store, by_handle);
  REQUIRE(string_events.size() == 10);
  REQUIRE(handle_events.size() == string_events.size());
  for (size_t i = 0; i < string_events.size(); ++i) {
    INFO("event " << i);
    CHECK(Shape(handle_events[i]) == Shape(string_events[i]));
  }
  CHECK(handle_events[3].data_json == R"({"progress":100})");

  ExecutionTrace string_trace = TraceOf(*recorder, by_string);
  ExecutionTrace handle_trace = TraceOf(*recorder, by_handle);
  CHECK(handle_trace.status == string_trace.status);
  CHECK(handle_trace.status == RunStatus::kError);
  CHECK(handle_trace.overall_progress == string_trace.overall_progress);
  for (const char* node : {"a", "b", "c"}) {
    INFO("node " << node);
    const NodeTrace& from_string = NodeOf(string_trace, node);
    const NodeTrace& from_handle = NodeOf(handle_trace, node);
    CHECK(from_handle.state == from_string.state);
    CHECK(from_handle.progress == from_string.progress);
    CHECK(StatesOf(from_handle) == StatesOf(from_string));
    REQUIRE(from_handle.events.size() == from_string.events.size());
    for (size_t i = 0; i < from_handle.events.size(); ++i)
      CHECK(from_handle.events[i].data_json == from_string.events[i].data_json);
  }
  // Run-level node events carry the same snapshots (`completed` has durations).
  REQUIRE(handle_trace.events.size() == string_trace.events.size());
  for (size_t i = 0; i < handle_trace.events.size(); ++i) {
    if (handle_trace.events[i].type != EventType::kProgress &&
        handle_trace.events[i].type != EventType::kStateChange)
      continue;
    CHECK(handle_trace.events[i].data_json == string_trace.events[i].data_json);
  }
}

TEST_CASE("Node() resolves once per pair and checks its ids", "[recorder]") {
  TempDir dir;
  const std::string db = dir.File("node.db");
  auto recorder = Open(db);
  const std::string id = Start(*recorder, FlatRun("node"));
  const NodeHandle a = HandleOf(*recorder, id, "a");
  const NodeHandle again = HandleOf(*recorder, id, "a");
  const NodeHandle b = HandleOf(*recorder, id, "b");
  CHECK(a.run == again.run);
  CHECK(a.node == again.node);
  CHECK(a.run == b.run);
  CHECK(a.node != b.node);
  // The string API and the handle API share one table.
  recorder->SetNodeState(id, "c", NodeState::kExecuting);
  const NodeHandle c = HandleOf(*recorder, id, "c");
  CHECK(c.node != a.node);
  CHECK(c.node != b.node);

  auto refused = [&](const std::string& run, const std::string& node, const std::string& field) {
    auto handle = recorder->Node(run, node);
    REQUIRE_FALSE(handle);
    CHECK(handle.error().code == StatusCode::kInvalidInput);
    CHECK_THAT(handle.error().message, Catch::Contains(field));
  };
  refused("", "a", "executionId");
  refused(std::string(257, 'x'), "a", "executionId");
  refused(id, "", "nodeId");
  // 256 characters of two bytes each are still 256 characters.
  std::string wide;
  for (int i = 0; i < 256; ++i) wide += "\xc3\xa9";
  CHECK(recorder->Node(wide, "a"));

  // A node `started` did not declare, and a run this recorder did not start,
  // are accepted: the log keeps their events, the projection reports them.
  const NodeHandle ghost = HandleOf(*recorder, id, "ghost");
  recorder->SetNodeState(ghost, NodeState::kExecuting);
  const NodeHandle elsewhere = HandleOf(*recorder, "elsewhere", "x");
  recorder->ReportProgress(elsewhere, 5);
  REQUIRE(recorder->Flush());
  auto store = OpenStore(db);
  auto events = ReadRun(*store, id);
  REQUIRE(events.size() == 3);
  CHECK(events[2].node_id == "ghost");
  auto other = ReadRun(*store, "elsewhere");
  REQUIRE(other.size() == 1);
  CHECK(other[0].seq == 1);
  CHECK(other[0].data_json == R"({"progress":5})");
}

TEST_CASE("a run another recorder began continues its seqs through handles", "[recorder]") {
  TempDir dir;
  const std::string db = dir.File("continue.db");
  {
    auto first = Open(db);
    Start(*first, FlatRun("shared-run"));
    first->SetNodeState("shared-run", "a", NodeState::kExecuting);
  }
  auto second = Open(db);
  const NodeHandle a = HandleOf(*second, "shared-run", "a");
  second->ReportProgress(a, 50);
  second->SetNodeState(a, NodeState::kCompleted);
  REQUIRE(second->Flush());
  auto events = ReadRun(*OpenStore(db), "shared-run");
  for (const Event& event : events)
    UNSCOPED_INFO(event.seq << " " << static_cast<int>(event.type) << " " << event.node_id << " "
                            << event.data_json << " " << event.timestamp_us);
  REQUIRE(events.size() == 4);
  CHECK(FirstSeqGap(events) == 4);
  CHECK(events[3].data_json == R"({"state":"completed"})");
}

TEST_CASE("a handle the recorder did not make is refused and reported", "[recorder]") {
  TempDir dir;
  const std::string db = dir.File("forged.db");
  auto recorder = Open(db);
  const std::string id = Start(*recorder, FlatRun("forged"));
  const NodeHandle a = HandleOf(*recorder, id, "a");
  recorder->SetNodeState(NodeHandle{}, NodeState::kExecuting);
  recorder->ReportProgress(NodeHandle{a.run, a.node + 1000}, 1);
  recorder->ReportProgress(NodeHandle{a.run + 1000, a.node}, 1);
  recorder->SetNodeState(a, NodeState::kExecuting);
  auto flushed = recorder->Flush();
  REQUIRE_FALSE(flushed);
  CHECK(flushed.error().code == StatusCode::kInvalidInput);
  CHECK_THAT(flushed.error().message, Catch::Contains("Node()"));
  // Reported once; the events around it are stored.
  CHECK(recorder->Flush());
  CHECK(recorder->DurableCount() == 2);
  auto events = ReadRun(*OpenStore(db), id);
  REQUIRE(events.size() == 2);
  CHECK(events[1].node_id == "a");
}

}  // namespace
}  // namespace extrace
