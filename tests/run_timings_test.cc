// Node times from the summaries (query/run_timings.h) agree with the
// projection, and self time is a group's time not covered by its children.
#include "query/run_timings.h"

#include <catch2/catch.hpp>
#include <fstream>

#include "format/event_json.h"
#include "query/trace_loader.h"
#include "test_support.h"

namespace extrace {
namespace {

std::unique_ptr<EventStore> StoreWithCase(const testing::TempDir& dir, const std::string& name) {
  auto store = EventStore::Open(dir.Store("t.db"));
  REQUIRE(store.has_value());
  EventParser parser;
  std::vector<Event> events;
  std::ifstream in(std::string(EXTRACE_GOLDEN_DIR) + "/" + name + "/events.jsonl");
  std::string line;
  while (std::getline(in, line)) {
    auto event = parser.Parse(line);
    REQUIRE(event.has_value());
    events.push_back(*event);
  }
  REQUIRE((*store)->Append(events).status.has_value());
  return std::move(*store);
}

const NodeTiming& Find(const RunTimings& timings, const std::string& id) {
  for (const auto& node : timings.nodes)
    if (node.node_id == id) return node;
  FAIL("no node " << id);
  throw;
}

TEST_CASE("run timings: derived groups and self time of nested groups", "[timings]") {
  testing::TempDir dir;
  auto store = StoreWithCase(dir, "nested_groups");
  auto facts = store->NodeFacts({"nested"});
  REQUIRE(facts.has_value());
  RunTimings timings = ComputeRunTimings(*facts, "root");
  REQUIRE(timings.top.size() == 2);
  const NodeTiming& outer = Find(timings, "g1");
  CHECK(outer.derived);
  CHECK(outer.state == NodeState::kCompleted);
  CHECK(*outer.duration_us == 200000);
  // g1 spans 100..300; g2 covers 100..260 and leaf3 270..300: 10 ms of gaps.
  CHECK(outer.self_us == 10000);
  const NodeTiming& inner = Find(timings, "g2");
  CHECK(inner.depth == 1);
  CHECK(inner.self_us == 0);  // leaf1 100..200 and leaf2 150..260 cover it
  CHECK(Find(timings, "leaf1").self_us == 100000);
  CHECK(Find(timings, "tail").depth == 0);
}

TEST_CASE("run timings agree with the projection on every golden case", "[timings]") {
  for (const char* name : {"nested_groups", "skipped_nodes", "node_error_run_completed",
                           "crashed_run", "atomiton_hello_world_flow", "anomalies"}) {
    DYNAMIC_SECTION(name) {
      testing::TempDir dir;
      auto store = StoreWithCase(dir, name);
      auto runs = store->ListRuns();
      REQUIRE(runs.has_value());
      for (const auto& run : *runs) {
        auto trace = LoadTrace(*store, run.execution_id);
        REQUIRE(trace.has_value());
        auto facts = store->NodeFacts({run.execution_id});
        REQUIRE(facts.has_value());
        RunTimings timings = ComputeRunTimings(*facts, run.root_node_id);
        std::function<void(const NodeTrace&)> check = [&](const NodeTrace& node) {
          const NodeTiming& timing = Find(timings, node.node_id);
          INFO(node.node_id);
          CHECK(timing.state == node.state);
          CHECK(timing.start_us.value_or(0) == node.start_us);
          CHECK(timing.end_us == node.end_us);
          CHECK(timing.duration_us == node.duration_us);
          for (const auto& child : node.child_traces) check(child);
        };
        for (const auto& node : trace->nodes) check(node);
        CHECK(timings.top.size() == trace->nodes.size());
      }
    }
  }
}

}  // namespace
}  // namespace extrace
