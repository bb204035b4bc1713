// The per-run summaries of the SQLite event log behind GetRun/ListRuns
// (storage/event_store.h): status as the projection has it, child runs
// included, and runs listed newest first.

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "event_store_test_support.h"
#include "format/event_json.h"
#include "query/trace_loader.h"
#include "storage/event_store.h"
#include "test_support.h"

namespace extrace {
namespace {

using event_store_test::EndEvent;
using event_store_test::kT0;
using event_store_test::OpenStore;
using event_store_test::RequireAppended;
using event_store_test::StartedEvent;
using event_store_test::StateEvent;
using event_store_test::Summary;
using testing::TempDir;

TEST_CASE("event_store run summary of an incomplete run", "[event_store]") {
  TempDir dir;
  auto store = OpenStore(dir.Store("trace.db"));
  RequireAppended(*store,
                  {StartedEvent("r", 1, kT0), StateEvent("r", 2, kT0 + 10, "a", "executing"),
                   StateEvent("r", 3, kT0 + 20, "a", "error")});
  RunSummary run = Summary(*store, "r");
  CHECK(run.execution_id == "r");
  CHECK(run.root_node_id == "flow");
  CHECK(run.status == RunStatus::kIncomplete);
  REQUIRE(run.start_us);
  CHECK(*run.start_us == kT0 * 1000);
  CHECK_FALSE(run.end_us);
  CHECK_FALSE(run.end_type);
  CHECK(run.event_count == 3);
  CHECK(run.max_seq == 3);
  REQUIRE(run.last_us);
  CHECK(*run.last_us == (kT0 + 20) * 1000);
  CHECK(run.parent_execution_id.empty());
  CHECK(run.parent_node_id.empty());
}

// The summary's status must agree with the projection's (event-format.md, section 2).
void CheckStatus(EventStore& store, const std::string& run, RunStatus expected) {
  INFO("run " << run);
  CHECK(RunStatusName(Summary(store, run).status) == RunStatusName(expected));
  auto trace = LoadTrace(store, run);
  REQUIRE(trace);
  CHECK(RunStatusName(trace->status) == RunStatusName(expected));
}

TEST_CASE("event_store run summary status completed and error", "[event_store]") {
  TempDir dir;
  auto store = OpenStore(dir.Store("trace.db"));
  SECTION("completed") {
    RequireAppended(*store,
                    {StartedEvent("r", 1, kT0), StateEvent("r", 2, kT0 + 1, "a", "completed"),
                     EndEvent("r", 3, kT0 + 1500)});
    RunSummary run = Summary(*store, "r");
    REQUIRE(run.end_us);
    CHECK(*run.end_us == (kT0 + 1500) * 1000);
    CHECK(run.end_type == EventType::kCompleted);
    CHECK(run.event_count == 3);
    CheckStatus(*store, "r", RunStatus::kCompleted);
  }
  SECTION("ended with error") {
    RequireAppended(*store, {StartedEvent("r", 1, kT0), EndEvent("r", 2, kT0 + 7, true)});
    CHECK(Summary(*store, "r").end_type == EventType::kError);
    CheckStatus(*store, "r", RunStatus::kError);
  }
  SECTION("a node whose last state is error makes a completed run an error") {
    RequireAppended(*store,
                    {StartedEvent("r", 1, kT0), StateEvent("r", 2, kT0 + 1, "a", "executing"),
                     StateEvent("r", 3, kT0 + 2, "a", "error"), EndEvent("r", 4, kT0 + 3)});
    CHECK(Summary(*store, "r").error_nodes == 1);
    CheckStatus(*store, "r", RunStatus::kError);
  }
  SECTION("a node that errored then completed leaves the run completed") {
    RequireAppended(*store,
                    {StartedEvent("r", 1, kT0), StateEvent("r", 2, kT0 + 1, "a", "error"),
                     StateEvent("r", 3, kT0 + 2, "a", "completed"), EndEvent("r", 4, kT0 + 3)});
    CHECK(Summary(*store, "r").error_nodes == 0);
    CheckStatus(*store, "r", RunStatus::kCompleted);
  }
  SECTION("the error and the recovery in separate batches") {
    RequireAppended(*store, {StartedEvent("r", 1, kT0), StateEvent("r", 2, kT0 + 1, "a", "error")});
    RequireAppended(*store, {StateEvent("r", 3, kT0 + 2, "a", "completed")});
    RequireAppended(*store, {EndEvent("r", 4, kT0 + 3)});
    CheckStatus(*store, "r", RunStatus::kCompleted);
  }
  SECTION("a node error after the end still counts") {
    RequireAppended(*store, {StartedEvent("r", 1, kT0), EndEvent("r", 2, kT0 + 1),
                             StateEvent("r", 3, kT0 + 2, "b", "error")});
    CHECK(*Summary(*store, "r").end_us == (kT0 + 1) * 1000);
    CheckStatus(*store, "r", RunStatus::kError);
  }
  SECTION("a second end does not move the end") {
    RequireAppended(*store, {StartedEvent("r", 1, kT0), EndEvent("r", 2, kT0 + 1),
                             EndEvent("r", 3, kT0 + 9, true)});
    RunSummary run = Summary(*store, "r");
    CHECK(*run.end_us == (kT0 + 1) * 1000);
    CHECK(run.end_type == EventType::kCompleted);
    CheckStatus(*store, "r", RunStatus::kCompleted);
  }
  SECTION("events stored out of seq order give the same status") {
    // The recovery (seq 3) arrives before the error it overrides (seq 2).
    RequireAppended(*store,
                    {StartedEvent("r", 1, kT0), StateEvent("r", 3, kT0 + 2, "a", "completed")});
    RequireAppended(*store, {StateEvent("r", 2, kT0 + 1, "a", "error"), EndEvent("r", 4, kT0 + 3)});
    CheckStatus(*store, "r", RunStatus::kCompleted);
  }
}

// A state-change stored before its run's `started` (a producer that retries
// an early batch late) must still count once the graph is known.
TEST_CASE("event_store run summary counts a node error stored before the started event",
          "[event_store]") {
  TempDir dir;
  auto store = OpenStore(dir.Store("trace.db"));
  RequireAppended(*store, {StateEvent("r", 2, kT0 + 1, "a", "error"), EndEvent("r", 3, kT0 + 2)});
  RequireAppended(*store, {StartedEvent("r", 1, kT0)});
  CheckStatus(*store, "r", RunStatus::kError);
}

TEST_CASE("event_store run summary of a child run names its parent", "[event_store]") {
  TempDir dir;
  auto store = OpenStore(dir.Store("trace.db"));
  RequireAppended(*store,
                  {StartedEvent("parent", 1, kT0), StartedEvent("child", 1, kT0 + 5, "parent", "a"),
                   EndEvent("child", 2, kT0 + 6)});
  RunSummary child = Summary(*store, "child");
  CHECK(child.parent_execution_id == "parent");
  CHECK(child.parent_node_id == "a");
  CHECK(child.status == RunStatus::kCompleted);
  CHECK(Summary(*store, "parent").parent_execution_id.empty());
  auto children = store->ChildRuns("parent");
  REQUIRE(children);
  CHECK(*children == std::vector<std::string>{"child"});
}

// A child run stands for its parent's group node when that node sends no state
// of its own (event-format.md, section 2, Hierarchy); its failure fails the node.
TEST_CASE("event_store run summary status follows failed child runs", "[event_store]") {
  TempDir dir;
  auto store = OpenStore(dir.Store("trace.db"));
  RequireAppended(
      *store, {StartedEvent("parent", 1, kT0), StartedEvent("child", 1, kT0 + 1, "parent", "a")});
  SECTION("a child run that ended with error") {
    RequireAppended(*store, {EndEvent("child", 2, kT0 + 2, true), EndEvent("parent", 2, kT0 + 3)});
    CheckStatus(*store, "child", RunStatus::kError);
    CheckStatus(*store, "parent", RunStatus::kError);
  }
  SECTION("a completed child run with a failed node") {
    RequireAppended(*store, {StateEvent("child", 2, kT0 + 2, "b", "error"),
                             EndEvent("child", 3, kT0 + 3), EndEvent("parent", 2, kT0 + 4)});
    CheckStatus(*store, "child", RunStatus::kError);
    CheckStatus(*store, "parent", RunStatus::kError);
  }
  SECTION("the group node's own state wins over its child run") {
    RequireAppended(*store, {EndEvent("child", 2, kT0 + 2, true),
                             StateEvent("parent", 2, kT0 + 3, "a", "completed"),
                             EndEvent("parent", 3, kT0 + 4)});
    CheckStatus(*store, "parent", RunStatus::kCompleted);
  }
  SECTION("a child run that completed") {
    RequireAppended(*store, {EndEvent("child", 2, kT0 + 2), EndEvent("parent", 2, kT0 + 3)});
    CheckStatus(*store, "parent", RunStatus::kCompleted);
  }
}

// The failure of a grandchild run fails its parent's node, so the child run,
// so the grandparent's node: status must follow it up every level.
TEST_CASE("event_store run summary status follows a failed grandchild run", "[event_store]") {
  TempDir dir;
  auto store = OpenStore(dir.Store("trace.db"));
  RequireAppended(
      *store, {StartedEvent("top", 1, kT0), StartedEvent("middle", 1, kT0 + 1, "top", "a"),
               StartedEvent("leaf", 1, kT0 + 2, "middle", "a"), EndEvent("leaf", 2, kT0 + 3, true),
               EndEvent("middle", 2, kT0 + 4), EndEvent("top", 2, kT0 + 5)});
  CheckStatus(*store, "leaf", RunStatus::kError);
  CheckStatus(*store, "middle", RunStatus::kError);
  CheckStatus(*store, "top", RunStatus::kError);
}

TEST_CASE("event_store run summary status with a node that started did not declare",
          "[event_store]") {
  TempDir dir;
  auto store = OpenStore(dir.Store("trace.db"));
  RequireAppended(*store,
                  {StartedEvent("r", 1, kT0), StateEvent("r", 2, kT0 + 1, "stranger", "error"),
                   EndEvent("r", 3, kT0 + 2)});
  auto trace = LoadTrace(*store, "r");
  REQUIRE(trace);
  // Whatever the projection decides, the summary must say the same.
  CHECK(RunStatusName(Summary(*store, "r").status) == RunStatusName(trace->status));
}

TEST_CASE("event_store list runs newest first", "[event_store]") {
  TempDir dir;
  auto store = OpenStore(dir.Store("trace.db"));
  // Appended in an order that differs from their start times.
  RequireAppended(*store, {StartedEvent("middle", 1, kT0 + 2000)});
  RequireAppended(*store,
                  {StartedEvent("newest", 1, kT0 + 3000), StartedEvent("oldest", 1, kT0 + 1000)});
  // No `started` yet: placed by its last event's time.
  RequireAppended(*store, {StateEvent("headless", 4, kT0 + 2500, "a", "executing")});
  auto runs = store->ListRuns();
  REQUIRE(runs);
  std::vector<std::string> ids;
  for (const auto& run : *runs) ids.push_back(run.execution_id);
  CHECK(ids == std::vector<std::string>{"newest", "headless", "middle", "oldest"});
  CHECK((*runs)[1].root_node_id.empty());
  CHECK_FALSE((*runs)[1].start_us);
  CHECK((*runs)[1].event_count == 1);
}

// A limited list reads only its page and the page's child runs: each page must
// be the unlimited list's first runs, statuses (decided by grandchild runs) included.
TEST_CASE("event_store list runs with a limit is the first runs of the whole list",
          "[event_store]") {
  TempDir dir;
  auto store = OpenStore(dir.Store("trace.db"));
  for (int i = 0; i < 6; ++i) {
    std::string top = "top" + std::to_string(i);
    int64_t t = kT0 + i * 100;
    RequireAppended(
        *store, {StartedEvent(top, 1, t), StartedEvent(top + "-mid", 1, t + 1, top, "a"),
                 StartedEvent(top + "-leaf", 1, t + 2, top + "-mid", "a"),
                 EndEvent(top + "-leaf", 2, t + 3, i % 2 == 0), EndEvent(top + "-mid", 2, t + 4),
                 EndEvent(top, 2, t + 5)});
  }
  for (bool top_level : {false, true}) {
    RunFilter all;
    all.top_level_only = top_level;
    auto whole = store->ListRuns(all);
    REQUIRE(whole);
    REQUIRE(whole->size() == (top_level ? 6u : 18u));
    for (size_t limit = 1; limit <= whole->size() + 1; ++limit) {
      RunFilter page = all;
      page.limit = limit;
      auto first = store->ListRuns(page);
      REQUIRE(first);
      REQUIRE(first->size() == std::min(limit, whole->size()));
      for (size_t i = 0; i < first->size(); ++i) {
        INFO("limit " << limit << ", run " << i);
        CHECK((*first)[i].execution_id == (*whole)[i].execution_id);
        CHECK(RunStatusName((*first)[i].status) == RunStatusName((*whole)[i].status));
      }
    }
  }
  RunFilter errors;
  errors.top_level_only = true;
  errors.status = RunStatus::kError;
  errors.limit = 2;
  auto failed = store->ListRuns(errors);
  REQUIRE(failed);
  CHECK(failed->size() == 2);
  for (const auto& run : *failed) CHECK(run.status == RunStatus::kError);
}

}  // namespace
}  // namespace extrace
