// `extrace history`: per-node statistics of a flow's runs (query/history.h)
// on a hand-made log with known answers (tests/golden_queries/history_flow.jsonl:
// five runs of flow "hf" with nested groups, one failed and one incomplete,
// plus a run of another flow that shares a node id), directly and via the CLI.
#include "query/history.h"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <catch2/catch.hpp>
#include <fstream>

#include "format/event_json.h"
#include "storage/event_store.h"
#include "test_support.h"

namespace extrace {
namespace {

using Catch::Matchers::Contains;
using testing::RunCli;
using testing::TempDir;

constexpr int64_t kMs = 1000;

// The store of history_flow.jsonl, written then closed (the CLI reads it next).
std::string StoreWithHistoryFlow(const TempDir& dir) {
  std::string path = dir.Store("h.db");
  auto store = EventStore::Open(path);
  REQUIRE(store.has_value());
  EventParser parser;
  std::vector<Event> events;
  std::ifstream in(std::string(EXTRACE_QUERY_INPUTS) + "/history_flow.jsonl");
  std::string line;
  while (std::getline(in, line)) {
    auto event = parser.Parse(line);
    REQUIRE(event.has_value());
    events.push_back(*event);
  }
  REQUIRE(events.size() == 52);
  REQUIRE((*store)->Append(events).status.has_value());
  return path;
}

FlowHistory Load(const std::string& path, size_t last) {
  auto store = EventStore::Open(path);
  REQUIRE(store.has_value());
  auto history = LoadHistory(**store, "hf", last);
  REQUIRE(history.has_value());
  return *history;
}

const NodeHistory& Node(const FlowHistory& history, const std::string& id) {
  for (const auto& node : history.nodes)
    if (node.node_id == id) return node;
  FAIL("no node " << id);
  throw;
}

TEST_CASE("history statistics: percentiles, MAD and percentile rank", "[history][no-store]") {
  std::vector<int64_t> five{10, 20, 30, 40, 50};
  CHECK(Percentile(five, 0.5) == 30);
  CHECK(Percentile(five, 0.95) == 48);  // 40 + 0.8 x 10
  CHECK(Percentile(five, 1.0) == 50);
  CHECK(Percentile({7}, 0.95) == 7);
  CHECK(Percentile({10, 20, 30, 40}, 0.5) == 25);  // the usual median
  CHECK(MedianAbsoluteDeviation({1, 1, 2, 2, 4, 6, 9}, 2) == 1);
  CHECK(PercentileRank(five, 50) == Approx(90));
  CHECK(PercentileRank(five, 10) == Approx(10));
  CHECK(PercentileRank({5, 5, 5, 5}, 5) == Approx(50));  // ties: typical, not the slowest
  DurationSummary empty = Summarize({});
  CHECK(empty.samples == 0);
  CHECK_FALSE(empty.p50_us.has_value());
}

TEST_CASE("history of a flow with nested groups, a failed and an incomplete run", "[history]") {
  TempDir dir;
  FlowHistory history = Load(StoreWithHistoryFlow(dir), 50);
  REQUIRE(history.runs.size() == 5);
  CHECK(history.runs.front().execution_id == "hist-r1");  // oldest first
  CHECK(history.runs.back().execution_id == "hist-r5");
  CHECK(history.runs[2].status == RunStatus::kError);
  CHECK(*history.runs[2].duration_us == 61 * kMs);
  CHECK_FALSE(history.runs[4].duration_us.has_value());
  CHECK(history.failed_runs == 1);
  CHECK(history.incomplete_runs == 1);
  // Over the completed runs 60, 80, 90 ms.
  CHECK(history.run_stats.samples == 3);
  CHECK(*history.run_stats.p50_us == 80 * kMs);
  CHECK(*history.run_stats.p95_us == 89 * kMs);
  CHECK(*history.run_stats.max_us == 90 * kMs);

  // The newest run's tree in pre-order; the root stands out as in the trace.
  std::vector<std::string> ids;
  for (const auto& node : history.nodes) ids.push_back(node.node_id);
  CHECK(ids == std::vector<std::string>{"load", "work", "inner", "a", "b", "c", "save"});

  SECTION("a leaf that ran in every run, the incomplete one included") {
    const NodeHistory& load = Node(history, "load");
    CHECK(load.runs == 5);  // the other flow's `load` (1 s) stays out
    CHECK(load.failures == 0);
    CHECK(load.stats.samples == 5);
    CHECK(*load.stats.p50_us == 30 * kMs);
    CHECK(*load.stats.p95_us == 48 * kMs);
    CHECK(*load.stats.max_us == 50 * kMs);
    CHECK(*load.latest_us == 50 * kMs);
    CHECK(*load.latest_rank == Approx(90));
  }
  SECTION("a failed leaf: counted as a failure, its duration out of the statistics") {
    const NodeHistory& a = Node(history, "a");
    CHECK(a.failures == 1);
    CHECK(a.stats.samples == 3);  // 20, 20, 25
    CHECK(*a.stats.p50_us == 20 * kMs);
    CHECK(*a.stats.p95_us == 24500);
    CHECK(*a.stats.max_us == 25 * kMs);
    CHECK(*a.samples[2].duration_us == 15 * kMs);  // the failure's own duration is kept
    CHECK(a.samples[2].state == NodeState::kError);
    CHECK(*a.latest_state == NodeState::kExecuting);  // still running in the newest run
    CHECK_FALSE(a.latest_us.has_value());
    CHECK_FALSE(a.latest_rank.has_value());
  }
  SECTION("nested derived groups fail with their child and time over their children") {
    const NodeHistory& inner = Node(history, "inner");
    CHECK(inner.group);
    CHECK(inner.depth == 1);
    CHECK(inner.failures == 1);
    CHECK(*inner.stats.p50_us == 30 * kMs);  // 30, 40, 30
    CHECK(*inner.stats.p95_us == 39 * kMs);
    CHECK(*inner.stats.max_us == 40 * kMs);
    const NodeHistory& work = Node(history, "work");
    CHECK(work.depth == 0);
    CHECK(work.failures == 1);
    CHECK(*work.stats.p50_us == 40 * kMs);  // 40, 50, 40
    CHECK(*work.stats.p95_us == 49 * kMs);
    CHECK(*work.stats.max_us == 50 * kMs);
  }
  SECTION("nodes that never ran in the failed and incomplete runs") {
    const NodeHistory& save = Node(history, "save");
    CHECK(save.runs == 5);
    CHECK(save.failures == 0);
    CHECK(save.stats.samples == 3);
    CHECK(*save.stats.p95_us == 5 * kMs);
    CHECK(*save.latest_state == NodeState::kPending);
    CHECK_FALSE(save.samples[2].duration_us.has_value());
  }
}

TEST_CASE("history --last keeps only the newest runs", "[history]") {
  TempDir dir;
  FlowHistory history = Load(StoreWithHistoryFlow(dir), 3);
  REQUIRE(history.runs.size() == 3);
  CHECK(history.runs.front().execution_id == "hist-r3");
  const NodeHistory& load = Node(history, "load");
  CHECK(load.runs == 3);
  CHECK(*load.stats.p50_us == 40 * kMs);  // 30, 40, 50
  CHECK(*load.stats.p95_us == 49 * kMs);
  const NodeHistory& a = Node(history, "a");
  CHECK(a.stats.samples == 1);
  CHECK(*a.stats.p50_us == 25 * kMs);
  CHECK(*a.stats.max_us == 25 * kMs);
}

TEST_CASE("history of an unknown flow is not found", "[history]") {
  TempDir dir;
  std::string path = StoreWithHistoryFlow(dir);
  auto store = EventStore::Open(path);
  REQUIRE(store.has_value());
  auto history = LoadHistory(**store, "nope", 50);
  REQUIRE_FALSE(history.has_value());
  CHECK(history.error().code == StatusCode::kNotFound);
}

TEST_CASE("extrace history --json", "[history][cli]") {
  TempDir dir;
  std::string db = StoreWithHistoryFlow(dir);
  auto result = RunCli({"--db", db, "history", "hf", "--json"});
  INFO("stderr: " << result.err);
  REQUIRE(result.exit_code == 0);
  boost::json::value json = boost::json::parse(result.out);
  const auto& root = json.as_object();
  CHECK(root.at("flow").as_string() == "hf");
  CHECK(root.at("last").to_number<int64_t>() == 50);
  const auto& summary = root.at("summary").as_object();
  CHECK(summary.at("failed").to_number<int64_t>() == 1);
  CHECK(summary.at("incomplete").to_number<int64_t>() == 1);
  CHECK(summary.at("p95").to_number<double>() == 89);
  const auto& runs = root.at("runs").as_array();
  REQUIRE(runs.size() == 5);
  CHECK(runs[0].at("executionId").as_string() == "hist-r1");
  CHECK(runs[0].at("startTime").to_number<double>() == 1800000000000.0);
  CHECK(runs[2].at("status").as_string() == "error");
  CHECK(runs[4].at("duration").is_null());
  CHECK(runs[4].at("status").as_string() == "incomplete");
  const auto& nodes = root.at("nodes").as_array();
  REQUIRE(nodes.size() == 7);
  const auto& a = nodes[3].as_object();
  CHECK(a.at("nodeId").as_string() == "a");
  CHECK(a.at("nodeName").as_string() == "A");
  CHECK(a.at("parentId").as_string() == "inner");
  CHECK(a.at("runs").to_number<int64_t>() == 5);
  CHECK(a.at("failures").to_number<int64_t>() == 1);
  CHECK(a.at("p50").to_number<double>() == 20);
  CHECK(a.at("p95").to_number<double>() == 24.5);
  CHECK(a.at("max").to_number<double>() == 25);
  CHECK(a.at("latest").is_null());
  CHECK(a.at("latestState").as_string() == "executing");
  CHECK(a.at("latestRank").is_null());
  const auto& durations = a.at("durations").as_array();
  REQUIRE(durations.size() == 5);
  CHECK(durations[2].to_number<double>() == 15);
  CHECK(durations[4].is_null());
  const auto& load = nodes[0].as_object();
  CHECK(load.at("latest").to_number<double>() == 50);
  CHECK(load.at("latestRank").to_number<double>() == 90);
  CHECK(nodes[2].at("group").as_bool());
}

TEST_CASE("extrace history prints a sparkline and the worst nodes first", "[history][cli]") {
  TempDir dir;
  std::string db = StoreWithHistoryFlow(dir);
  auto result = RunCli({"--db", db, "history", "hf"});
  INFO("stderr: " << result.err);
  REQUIRE(result.exit_code == 0);
  INFO(result.out);
  // Runs of 60, 80, (failed), 90 ms, (no end), scaled from 45 (half of 90) to 90 ms.
  CHECK_THAT(result.out, Contains("▃▇✗█·"));
  // Load's trend, 10 to 50 ms; A's failure and its run still going.
  CHECK_THAT(result.out, Contains("▁▂▄▆█"));
  CHECK_THAT(result.out, Contains("✗"));
  CHECK_THAT(result.out, Contains("p50 80 ms  p95 89 ms  max 90 ms"));
  // Failing nodes first, by p95: the two groups, then the leaf.
  auto work = result.out.find("Work (work)");
  auto inner = result.out.find("Inner (inner)");
  auto a = result.out.find("A (a)");
  auto load = result.out.find("Load (load)");
  REQUIRE(work != std::string::npos);
  CHECK(work < inner);
  CHECK(inner < a);
  CHECK(a < load);
  CHECK_THAT(result.out, Contains("24.5 ms"));
  CHECK_THAT(result.out, Contains("90%"));
}

TEST_CASE("extrace history of an unknown flow exits 5 with one line", "[history][cli]") {
  TempDir dir;
  std::string db = StoreWithHistoryFlow(dir);
  auto result = RunCli({"--db", db, "history", "nope"});
  CHECK(result.exit_code == 5);
  CHECK(result.out.empty());
  CHECK(result.err == "extrace history: no runs of flow \"nope\" in " + db + "\n");
  auto bad = RunCli({"--db", db, "history", "hf", "--last", "0"});
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.err, Contains("--last"));
}

}  // namespace
}  // namespace extrace
