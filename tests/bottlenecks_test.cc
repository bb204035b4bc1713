// `extrace bottlenecks` (query/bottlenecks.h): total and self times that add
// up, the critical path and slack, stalls, open nodes of an incomplete run;
// then the CLI as a real process. Logs: tests/golden_queries/<case>/events.jsonl,
// hand-made with known answers (nested_runs: see the times in the checks).
#include "query/bottlenecks.h"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <numeric>
#include <sstream>

#include "format/event_json.h"
#include "query/compare.h"
#include "query/run_timings.h"
#include "test_support.h"

namespace extrace {
namespace {

using Catch::Matchers::Contains;
using testing::ProcessResult;
using testing::RunCli;
using testing::TempDir;

constexpr int64_t kMs = 1000;

std::string CaseFile(const std::string& name) {
  return std::string(EXTRACE_GOLDEN_DIR) + "/../golden_queries/" + name + "/events.jsonl";
}

std::unique_ptr<EventStore> StoreWithText(const TempDir& dir, std::istream& in) {
  auto store = EventStore::Open(dir.Store("t.db"));
  REQUIRE(store.has_value());
  EventParser parser;
  std::vector<Event> events;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto event = parser.Parse(line);
    INFO(line);
    REQUIRE(event.has_value());
    events.push_back(*event);
  }
  REQUIRE((*store)->Append(events).status.has_value());
  return std::move(*store);
}

std::unique_ptr<EventStore> StoreWithCase(const TempDir& dir, const std::string& name) {
  std::ifstream in(CaseFile(name));
  REQUIRE(in.good());
  return StoreWithText(dir, in);
}

// A run's tree and its analysis, as the CLI computes them.
struct Analysis {
  RunTree tree;
  BottleneckReport report;
  std::map<std::string, const NodeCost*> by_path;

  const NodeCost& Cost(const std::string& path) const {
    auto it = by_path.find(path);
    if (it == by_path.end()) FAIL("no node " << path);
    return *it->second;
  }
  std::vector<std::string> Paths(const std::vector<size_t>& indexes) const {
    std::vector<std::string> out;
    for (size_t i : indexes) out.push_back(tree.nodes[i].path);
    return out;
  }
};

std::unique_ptr<Analysis> Analyze(EventStore& store, const std::string& id,
                                  size_t keep_stalls = 0) {
  auto run = store.GetRun(id);
  REQUIRE(run.has_value());
  REQUIRE(run->has_value());
  auto tree = LoadRunTree(store, **run);
  REQUIRE(tree.has_value());
  StallScanner scanner(keep_stalls);
  REQUIRE(store.ForEachEvent(id, [&](Event&& event) { scanner.Add(event); }).has_value());
  auto analysis = std::make_unique<Analysis>();
  analysis->tree = std::move(*tree);
  analysis->report = AnalyzeBottlenecks(analysis->tree, scanner.Finish());
  for (const auto& cost : analysis->report.nodes)
    analysis->by_path[analysis->tree.nodes[cost.node].path] = &cost;
  return analysis;
}

// The union of intervals, computed here independently of the code under test.
int64_t UnionOf(std::vector<std::pair<int64_t, int64_t>> spans) {
  std::sort(spans.begin(), spans.end());
  int64_t total = 0, reach = std::numeric_limits<int64_t>::min();
  for (auto [from, to] : spans) {
    from = std::max(from, reach);
    if (to > from) {
      total += to - from;
      reach = to;
    }
  }
  return total;
}

TEST_CASE("bottlenecks: total and self times of a nested run add up", "[bottlenecks]") {
  TempDir dir;
  auto store = StoreWithCase(dir, "nested_runs");
  auto a = Analyze(*store, "nest-1");
  const BottleneckReport& r = a->report;
  CHECK(r.status == RunStatus::kCompleted);
  CHECK(r.run_duration_us == 485 * kMs);
  CHECK(r.covered_us == 460 * kMs);  // gen 100 + proc 305 + validate 45 + report 10
  CHECK(r.run_self_us == 25 * kMs);  // 0..5, 105..110, 415..420, 465..470, 480..485
  CHECK(r.covered_us + r.run_self_us == r.run_duration_us);

  // Known answers: (total, self) in ms.
  std::map<std::string, std::pair<int64_t, int64_t>> expected{
      {"gen", {100, 100}},           {"proc", {305, 5}},
      {"parse", {100, 100}},         {"lint", {38, 38}},
      {"analyze", {200, 0}},         {"sort", {200, 200}},
      {"stats", {80, 80}},           {"validate", {45, 0}},
      {"validate/check", {45, 5}},   {"validate/c-order", {10, 10}},
      {"validate/c-hash", {30, 30}}, {"report", {10, 10}}};
  REQUIRE(r.nodes.size() == expected.size());
  for (const auto& [path, times] : expected) {
    INFO(path);
    const NodeCost& cost = a->Cost(path);
    CHECK(*cost.total_us == times.first * kMs);
    CHECK(cost.self_us == times.second * kMs);
  }

  // For every group: self + the union of its children's intervals = total.
  int64_t overlap = 0;  // time counted more than once because siblings ran in parallel
  for (const auto& cost : r.nodes) {
    const TreeNode& node = a->tree.nodes[cost.node];
    if (!node.IsGroup()) {
      CHECK_FALSE(cost.children_us.has_value());
      CHECK(cost.self_us == *cost.total_us);
      continue;
    }
    INFO(node.path);
    std::vector<std::pair<int64_t, int64_t>> spans;
    int64_t sum = 0;
    for (size_t child : node.timing.children) {
      const NodeCost& c = a->Cost(a->tree.nodes[child].path);
      spans.emplace_back(*c.start_us, *c.end_us);
      sum += *c.total_us;
    }
    CHECK(*cost.children_us == UnionOf(spans));
    CHECK(cost.self_us + UnionOf(spans) == *cost.total_us);
    overlap += sum - UnionOf(spans);
  }
  // Over the whole run: the self times of every leaf and group plus the time
  // outside the top-level nodes is the run's duration, plus the time that
  // parallel siblings counted twice (lint beside parse 38 ms, stats beside sort 80 ms).
  int64_t selfs = 0;
  for (const auto& cost : r.nodes) selfs += cost.self_us;
  CHECK(overlap == 118 * kMs);
  CHECK(selfs + r.run_self_us == r.run_duration_us + overlap);

  // Where no child run changes a node, the self time is ComputeRunTimings'.
  auto facts = store->NodeFacts({"nest-1"});
  REQUIRE(facts.has_value());
  RunTimings timings = ComputeRunTimings(*facts, "pipe");
  for (const auto& timing : timings.nodes) {
    if (!timing.duration_us) continue;  // validate: only its child run gives it times
    INFO(timing.node_id);
    CHECK(a->Cost(timing.node_id).self_us == timing.self_us);
    CHECK(*a->Cost(timing.node_id).total_us == *timing.duration_us);
  }
  const NodeCost& sort = a->Cost("sort");
  CHECK(sort.share == Approx(200.0 / 485.0));
}

TEST_CASE("bottlenecks: nodes are listed leaves first, then groups, each by total time",
          "[bottlenecks]") {
  TempDir dir;
  auto store = StoreWithCase(dir, "nested_runs");
  auto a = Analyze(*store, "nest-1");
  std::vector<std::string> order;
  for (const auto& cost : a->report.nodes) order.push_back(a->tree.nodes[cost.node].path);
  CHECK(order == std::vector<std::string>{"sort", "gen", "parse", "stats", "lint",
                                          "validate/c-hash", "validate/c-order", "report", "proc",
                                          "analyze", "validate", "validate/check"});
}

TEST_CASE("bottlenecks: the critical path of a nested run with a child run, and slack",
          "[bottlenecks]") {
  TempDir dir;
  auto store = StoreWithCase(dir, "nested_runs");
  auto a = Analyze(*store, "nest-1");
  // report ended last; it waited for validate, validate for proc, proc for gen.
  // Inside proc: analyze ended last, it waited for parse (lint ended earlier);
  // inside analyze sort ended last; inside the child run c-hash waited for c-order.
  CHECK(a->Paths(a->report.critical_path) ==
        std::vector<std::string>{"gen", "proc", "parse", "analyze", "sort", "validate",
                                 "validate/check", "validate/c-order", "validate/c-hash",
                                 "report"});
  for (size_t i : a->report.critical_path) {
    const NodeCost& cost = a->Cost(a->tree.nodes[i].path);
    CHECK(cost.on_critical_path);
    CHECK(*cost.slack_us == 0);
  }
  // lint ends at 150; analyze (on the path) starts at 215.
  CHECK(*a->Cost("lint").slack_us == 65 * kMs);
  CHECK_FALSE(a->Cost("lint").on_critical_path);
  // stats ends at 300; its group ends with sort at 415.
  CHECK(*a->Cost("stats").slack_us == 115 * kMs);
}

TEST_CASE("bottlenecks: slack follows the siblings that start after a node ends", "[bottlenecks]") {
  // Top level: a 0..10, b 0..4, c 5..8 (after b), d 10..20 (after a, b and c).
  // Path: d, then a (ended at 10 = d's start). c must end by d's start: slack 2;
  // b must end before c starts (c's latest start is 5 + 2): slack 3.
  std::string text =
      R"({"executionId":"s","seq":1,"timestamp":1000,"type":"started","data":{"rootNodeId":"f","nodes":[{"id":"f","name":"F","type":"group"},{"id":"a","name":"A","type":"t","parentId":"f"},{"id":"b","name":"B","type":"t","parentId":"f"},{"id":"c","name":"C","type":"t","parentId":"f"},{"id":"d","name":"D","type":"t","parentId":"f"}]}})"
      "\n";
  int seq = 2;
  auto state = [&](const std::string& node, int ts, const std::string& s) {
    text += R"({"executionId":"s","seq":)" + std::to_string(seq++) + R"(,"timestamp":)" +
            std::to_string(1000 + ts) + R"(,"type":"state-change","nodeId":")" + node +
            R"(","data":{"state":")" + s + "\"}}\n";
  };
  state("a", 0, "executing");
  state("b", 0, "executing");
  state("b", 4, "completed");
  state("c", 5, "executing");
  state("c", 8, "completed");
  state("a", 10, "completed");
  state("d", 10, "executing");
  state("d", 20, "completed");
  text += R"({"executionId":"s","seq":)" + std::to_string(seq) +
          R"(,"timestamp":1021,"type":"completed"})"
          "\n";
  TempDir dir;
  std::istringstream in(text);
  auto store = StoreWithText(dir, in);
  auto a = Analyze(*store, "s");
  CHECK(a->Paths(a->report.critical_path) == std::vector<std::string>{"a", "d"});
  CHECK(*a->Cost("a").slack_us == 0);
  CHECK(*a->Cost("d").slack_us == 0);
  CHECK(*a->Cost("c").slack_us == 2 * kMs);
  CHECK(*a->Cost("b").slack_us == 3 * kMs);
  CHECK(a->report.covered_us == 20 * kMs);
  CHECK(a->report.run_self_us == 1 * kMs);
}

TEST_CASE("bottlenecks: zero-length siblings at one instant end the path walk", "[bottlenecks]") {
  std::string text =
      R"({"executionId":"z","seq":1,"timestamp":1000,"type":"started","data":{"rootNodeId":"f","nodes":[{"id":"f","name":"F","type":"group"},{"id":"a","name":"A","type":"t","parentId":"f"},{"id":"b","name":"B","type":"t","parentId":"f"}]}})"
      "\n"
      R"({"executionId":"z","seq":2,"timestamp":1005,"type":"state-change","nodeId":"a","data":{"state":"executing"}})"
      "\n"
      R"({"executionId":"z","seq":3,"timestamp":1005,"type":"state-change","nodeId":"b","data":{"state":"executing"}})"
      "\n"
      R"({"executionId":"z","seq":4,"timestamp":1005,"type":"state-change","nodeId":"a","data":{"state":"completed"}})"
      "\n"
      R"({"executionId":"z","seq":5,"timestamp":1005,"type":"state-change","nodeId":"b","data":{"state":"completed"}})"
      "\n";
  TempDir dir;
  std::istringstream in(text);
  auto store = StoreWithText(dir, in);
  auto a = Analyze(*store, "z");
  CHECK(a->report.critical_path.size() == 2);
  CHECK(*a->Cost("a").total_us == 0);
  CHECK(a->report.stalls.empty());  // no time passed between any node's events
}

TEST_CASE("bottlenecks: stalls are the longest gaps between one node's events", "[bottlenecks]") {
  TempDir dir;
  auto store = StoreWithCase(dir, "nested_runs");
  auto all = Analyze(*store, "nest-1");
  CHECK(all->report.stalls.size() == 9);  // gen 3, parse, lint, sort 2, stats, report
  auto a = Analyze(*store, "nest-1", 3);
  const auto& stalls = a->report.stalls;
  REQUIRE(stalls.size() == 3);
  CHECK(stalls[0].node_id == "sort");
  CHECK(stalls[0].gap_us == 180 * kMs);
  CHECK(stalls[0].start_us == 1800000010235 * kMs);
  CHECK(stalls[0].from == "progress 50%");
  CHECK(stalls[0].to == "completed");
  CHECK(stalls[1].node_id == "parse");
  CHECK(stalls[1].gap_us == 100 * kMs);
  CHECK(stalls[1].from == "executing");
  // gen and stats both waited 80 ms: the earlier gap first.
  CHECK(stalls[2].node_id == "gen");
  CHECK(stalls[2].gap_us == 80 * kMs);
  CHECK(stalls[2].from == "progress 10%");
  CHECK(stalls[2].to == "progress 90%");
  CHECK(stalls[2].from_seq + 1 == stalls[2].to_seq);
  // The kept ones are the first of the full list.
  for (size_t i = 0; i < 3; ++i) CHECK(all->report.stalls[i].start_us == stalls[i].start_us);
}

TEST_CASE("bottlenecks: an incomplete run counts its open nodes until its last event",
          "[bottlenecks]") {
  TempDir dir;
  auto store = StoreWithCase(dir, "nested_runs");
  auto a = Analyze(*store, "nest-2");
  const BottleneckReport& r = a->report;
  CHECK(r.status == RunStatus::kIncomplete);
  CHECK_FALSE(r.end_us.has_value());
  CHECK(r.run_duration_us == 300 * kMs);
  const NodeCost& sort = a->Cost("sort");
  CHECK(sort.open);
  CHECK(*sort.total_us == 85 * kMs);
  CHECK(a->Cost("analyze").open);
  CHECK(*a->Cost("proc").total_us == 190 * kMs);
  CHECK_FALSE(a->Cost("stats").open);
  CHECK_FALSE(a->Cost("report").total_us.has_value());
  CHECK_FALSE(a->Cost("report").slack_us.has_value());
  CHECK_FALSE(a->Cost("validate").total_us.has_value());
  // Nodes that never started come last.
  CHECK_FALSE(r.nodes.back().total_us.has_value());
  CHECK(a->Paths(r.critical_path) ==
        std::vector<std::string>{"gen", "proc", "parse", "analyze", "sort"});
  REQUIRE(r.open_nodes.size() == 1);
  const OpenNode& open = r.open_nodes[0];
  CHECK(a->tree.nodes[open.node].path == "sort");
  CHECK(*a->tree.nodes[open.node].timing.progress == 40);
  CHECK(*open.last_event_us == 1800000020260 * kMs);
  CHECK(open.silent_us == 40 * kMs);
}

TEST_CASE("bottlenecks: a failed run", "[bottlenecks]") {
  TempDir dir;
  auto store = StoreWithCase(dir, "failed_flow");
  auto a = Analyze(*store, "ship-b");
  CHECK(a->report.status == RunStatus::kError);
  CHECK(a->Paths(a->report.critical_path) == std::vector<std::string>{"pack", "load"});
  CHECK(*a->Cost("load").total_us == 7 * kMs);
  CHECK(a->Cost("pack").share == Approx(11.0 / 21.0));
  CHECK_FALSE(a->Cost("notify").total_us.has_value());
  CHECK(a->report.open_nodes.empty());
}

TEST_CASE("bottlenecks: a child run of a root with children counts at the top level",
          "[bottlenecks]") {
  TempDir dir;
  // Run p: root pf with one task t (1..3 ms); child run k of pf itself (5..11
  // ms) with task c (6..10 ms); the run ends at 20 ms.
  std::istringstream in(
      R"({"executionId":"p","seq":1,"timestamp":1000,"type":"started","data":{"rootNodeId":"pf","nodes":[{"id":"pf","name":"PF","type":"group"},{"id":"t","name":"T","type":"task","parentId":"pf"}]}})"
      "\n"
      R"({"executionId":"p","seq":2,"timestamp":1001,"type":"state-change","nodeId":"t","data":{"state":"executing"}})"
      "\n"
      R"({"executionId":"p","seq":3,"timestamp":1003,"type":"state-change","nodeId":"t","data":{"state":"completed"}})"
      "\n"
      R"({"executionId":"k","seq":1,"timestamp":1005,"type":"started","data":{"rootNodeId":"cf","parentExecutionId":"p","parentNodeId":"pf","nodes":[{"id":"cf","name":"CF","type":"group"},{"id":"c","name":"C","type":"task","parentId":"cf"}]}})"
      "\n"
      R"({"executionId":"k","seq":2,"timestamp":1006,"type":"state-change","nodeId":"c","data":{"state":"executing"}})"
      "\n"
      R"({"executionId":"k","seq":3,"timestamp":1010,"type":"state-change","nodeId":"c","data":{"state":"completed"}})"
      "\n"
      R"({"executionId":"k","seq":4,"timestamp":1011,"type":"completed"})"
      "\n"
      R"({"executionId":"p","seq":4,"timestamp":1020,"type":"completed"})"
      "\n");
  auto store = StoreWithText(dir, in);
  auto a = Analyze(*store, "p");
  CHECK(a->report.nodes.size() == 3);
  CHECK(*a->Cost("pf/cf").total_us == 6 * kMs);
  CHECK(*a->Cost("pf/c").total_us == 4 * kMs);
  CHECK(a->report.covered_us == 8 * kMs);  // t and the child run
  CHECK(a->report.run_self_us == 12 * kMs);
  CHECK(a->Paths(a->report.critical_path) == std::vector<std::string>{"t", "pf/cf", "pf/c"});
}

// --- the CLI ---

ProcessResult Cli(const std::string& db, std::vector<std::string> args) {
  args.insert(args.begin(), {"--db", db});
  return RunCli(args);
}

std::string NestedDb(const TempDir& dir) {
  std::string db = dir.Store("cli.db");
  ProcessResult ingest = Cli(db, {"ingest", CaseFile("nested_runs")});
  INFO(ingest.err);
  REQUIRE(ingest.exit_code == 0);
  return db;
}

boost::json::object JsonOk(const std::string& db, const std::vector<std::string>& args) {
  ProcessResult result = Cli(db, args);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  CHECK_THAT(result.out, !Contains("e+") && !Contains("e-0"));
  return boost::json::parse(result.out).as_object();
}

TEST_CASE("cli bottlenecks --json of a nested run", "[bottlenecks][cli]") {
  TempDir dir;
  std::string db = NestedDb(dir);
  auto json = JsonOk(db, {"bottlenecks", "nest-1", "--json", "--top", "50"});
  CHECK(json.at("executionId").as_string() == "nest-1");
  CHECK(json.at("status").as_string() == "completed");
  CHECK(json.at("runDuration").to_number<double>() == 485);
  CHECK(json.at("coveredTime").to_number<double>() == 460);
  CHECK(json.at("runSelfTime").to_number<double>() == 25);
  CHECK(json.at("openNodes").as_array().empty());
  const auto& nodes = json.at("nodes").as_array();
  REQUIRE(nodes.size() == 12);
  const auto& sort = nodes[0].as_object();
  CHECK(sort.at("nodeId").as_string() == "sort");
  CHECK(sort.at("nodeName").as_string() == "Sort");
  CHECK(sort.at("totalTime").to_number<double>() == 200);
  CHECK(sort.at("selfTime").to_number<double>() == 200);
  CHECK(sort.at("share").to_number<double>() == Approx(0.4124));
  CHECK(sort.at("kind").as_string() == "leaf");
  const auto& proc = nodes[8].as_object();
  CHECK(proc.at("nodeId").as_string() == "proc");
  CHECK(proc.at("totalTime").to_number<double>() == 305);
  CHECK(proc.at("selfTime").to_number<double>() == 5);
  CHECK(proc.at("childrenTime").to_number<double>() == 300);
  std::vector<std::string> path;
  for (const auto& id : json.at("criticalPath").as_array()) path.emplace_back(id.as_string());
  CHECK(path == std::vector<std::string>{"gen", "proc", "parse", "analyze", "sort", "validate",
                                         "validate/check", "validate/c-order", "validate/c-hash",
                                         "report"});
  const auto& stall = json.at("stalls").as_array().at(0).as_object();
  CHECK(stall.at("nodeId").as_string() == "sort");
  CHECK(stall.at("start").to_number<double>() == 1800000010235.0);
  CHECK(stall.at("gap").to_number<double>() == 180);
}

TEST_CASE("cli bottlenecks --top limits the node and stall lists", "[bottlenecks][cli]") {
  TempDir dir;
  std::string db = NestedDb(dir);
  auto json = JsonOk(db, {"bottlenecks", "nest-1", "--json", "--top", "2"});
  CHECK(json.at("nodes").as_array().size() == 2);
  CHECK(json.at("stalls").as_array().size() == 2);
  CHECK(json.at("criticalPath").as_array().size() == 10);
  ProcessResult text = Cli(db, {"bottlenecks", "nest-1", "--top", "2"});
  REQUIRE(text.exit_code == 0);
  CHECK_THAT(text.out,
             Contains("critical path") && Contains("10 more nodes") && Contains("longest stalls"));
  ProcessResult zero = Cli(db, {"bottlenecks", "nest-1", "--top", "0"});
  CHECK(zero.exit_code == 2);
}

TEST_CASE("cli bottlenecks of an incomplete run lists its open nodes", "[bottlenecks][cli]") {
  TempDir dir;
  std::string db = NestedDb(dir);
  auto json = JsonOk(db, {"bottlenecks", "nest-2", "--json"});
  CHECK(json.at("status").as_string() == "incomplete");
  CHECK(json.at("endTime").is_null());
  CHECK(json.at("runDuration").to_number<double>() == 300);
  const auto& open = json.at("openNodes").as_array();
  REQUIRE(open.size() == 1);
  CHECK(open[0].at("nodeId").as_string() == "sort");
  CHECK(open[0].at("state").as_string() == "executing");
  CHECK(open[0].at("progress").to_number<double>() == 40);
  CHECK(open[0].at("lastEvent").to_number<double>() == 1800000020260.0);
  CHECK(open[0].at("silentFor").to_number<double>() == 40);
  ProcessResult text = Cli(db, {"bottlenecks", "nest-2"});
  REQUIRE(text.exit_code == 0);
  CHECK_THAT(text.out,
             Contains("open nodes") && Contains("(open)") && Contains("no end in the log"));
}

TEST_CASE("cli bottlenecks: unknown id exits 5, ambiguous prefix exits 3", "[bottlenecks][cli]") {
  TempDir dir;
  std::string db = NestedDb(dir);
  ProcessResult unknown = Cli(db, {"bottlenecks", "nope"});
  CHECK(unknown.exit_code == 5);
  CHECK(std::count(unknown.err.begin(), unknown.err.end(), '\n') == 1);
  CHECK(unknown.out.empty());
  ProcessResult ambiguous = Cli(db, {"bottlenecks", "nest-"});
  CHECK(ambiguous.exit_code == 3);
  CHECK_THAT(ambiguous.err, Contains("ambiguous"));
  ProcessResult latest = Cli(db, {"bottlenecks", "latest", "--json"});
  REQUIRE(latest.exit_code == 0);
  // `latest` passes over child runs (nest-3-val started last) unless a flow is named.
  CHECK(boost::json::parse(latest.out).at("executionId").as_string() == "nest-3");
}

}  // namespace
}  // namespace extrace
