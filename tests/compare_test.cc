// `extrace compare` (query/compare.h): nodes matched across runs through nested
// groups and child runs, deltas sorted, failed and incomplete runs. Logs:
// tests/golden_queries/<case>/events.jsonl, hand-made with known answers.
#include "query/compare.h"

#include <catch2/catch.hpp>

#include "compare_test_support.h"
#include "format/event_json.h"
#include "query/trace_loader.h"
#include "test_support.h"

namespace extrace {
namespace {

using compare_test::Compare;
using compare_test::Row;
using compare_test::StoreWithCase;
using testing::TempDir;

std::vector<std::string> Paths(const RunComparison& c) {
  std::vector<std::string> paths;
  for (const auto& row : c.nodes) paths.push_back(row.path);
  return paths;
}

TEST_CASE("compare: the node made 3x slower in the latest run comes first", "[compare]") {
  TempDir dir;
  auto store = StoreWithCase(dir, "repeated_flow");
  RunFilter filter;
  filter.flow = "etl";
  filter.limit = 2;
  auto latest = store->ListRuns(filter);
  REQUIRE(latest.has_value());
  REQUIRE(latest->size() == 2);
  // Newest first: compare the one before the latest (A) with the latest (B).
  RunComparison c = Compare(*store, (*latest)[1].execution_id, (*latest)[0].execution_id);
  CHECK(c.a.execution_id == "etl-2");
  CHECK(c.b.execution_id == "etl-3");
  REQUIRE(!c.nodes.empty());
  CHECK(c.nodes[0].path == "transform");
  CHECK(*c.nodes[0].duration_a_us == 30000);
  CHECK(*c.nodes[0].duration_b_us == 90000);
  CHECK(*c.nodes[0].delta_us == 60000);
  CHECK(*c.nodes[0].ratio == Approx(3.0));
  CHECK(*c.duration_a_us == 71000);
  CHECK(*c.duration_b_us == 133000);
  CHECK(*c.duration_delta_us == 62000);
  // Leaves by |delta|, then groups by |delta|: the group `work` (+61 ms) has
  // the larger delta, but only because transform, inside it, got slower.
  CHECK(Paths(c) ==
        std::vector<std::string>{"transform", "upload", "extract", "enrich", "work", "publish"});
  CHECK(*Row(c, "work").delta_us == 61000);
  CHECK(Row(c, "work").group);
  CHECK(*Row(c, "extract").delta_us == -1000);
  CHECK(c.only_in_a.empty());
  CHECK(c.only_in_b.empty());
  CHECK(c.SameFlow());
}

TEST_CASE("compare: a failed run shows its state changes and the nodes only in one run",
          "[compare]") {
  TempDir dir;
  auto store = StoreWithCase(dir, "failed_flow");
  RunComparison c = Compare(*store, "ship-a", "ship-b");
  CHECK(c.a.status == RunStatus::kCompleted);
  CHECK(c.b.status == RunStatus::kError);
  CHECK(*c.duration_delta_us == 21000 - 36000);
  const NodeDelta& load = Row(c, "load");
  CHECK(*load.state_a == NodeState::kCompleted);
  CHECK(*load.state_b == NodeState::kError);
  CHECK(load.error_b == "disk full");
  CHECK(*load.delta_us == -13000);
  CHECK(c.nodes[0].path == "load");
  CHECK(c.only_in_a == std::vector<std::string>{"cleanup"});
  CHECK(c.only_in_b == std::vector<std::string>{"notify"});
  const NodeDelta& notify = Row(c, "notify");
  CHECK_FALSE(notify.state_a.has_value());
  CHECK(*notify.state_b == NodeState::kPending);
  CHECK_FALSE(notify.delta_us.has_value());
  CHECK_FALSE(notify.ratio.has_value());
  // Rows without a delta come last.
  CHECK(c.nodes.back().path == "notify");
  CHECK_FALSE(Row(c, "cleanup").duration_b_us.has_value());
}

TEST_CASE("compare: child-run nodes are matched under the node that owns the child run",
          "[compare]") {
  TempDir dir;
  auto store = StoreWithCase(dir, "nested_runs");
  RunComparison c = Compare(*store, "nest-1", "nest-3");
  REQUIRE(!c.nodes.empty());
  CHECK(c.nodes[0].path == "validate/c-hash");
  CHECK(c.nodes[0].node_id == "c-hash");
  CHECK(*c.nodes[0].delta_us == 30000);
  CHECK(*c.nodes[0].ratio == Approx(2.0));
  // The child run's own root node is a node too, a group under `validate`.
  const NodeDelta& check = Row(c, "validate/check");
  CHECK(check.group);
  CHECK(*check.duration_a_us == 45000);
  CHECK(*check.duration_b_us == 75000);
  CHECK(*Row(c, "validate").delta_us == 30000);
  CHECK(*Row(c, "sort").delta_us == 0);
  CHECK(*c.duration_delta_us == 30000);
  CHECK(c.only_in_a.empty());
  CHECK(c.only_in_b.empty());
}

TEST_CASE("compare: an incomplete run has no run delta and no delta for unfinished nodes",
          "[compare]") {
  TempDir dir;
  auto store = StoreWithCase(dir, "nested_runs");
  RunComparison c = Compare(*store, "nest-1", "nest-2");
  CHECK(c.b.status == RunStatus::kIncomplete);
  CHECK_FALSE(c.duration_delta_us.has_value());
  CHECK(*c.duration_a_us == 485000);
  const NodeDelta& sort = Row(c, "sort");
  CHECK(*sort.state_b == NodeState::kExecuting);
  CHECK_FALSE(sort.delta_us.has_value());
  CHECK(*Row(c, "gen").delta_us == 0);
  CHECK(c.only_in_a ==
        std::vector<std::string>{"validate/check", "validate/c-order", "validate/c-hash"});
  CHECK(c.only_in_b.empty());
}

}  // namespace
}  // namespace extrace
