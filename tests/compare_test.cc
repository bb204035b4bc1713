// `extrace compare` and the run tree under it (query/compare.h): nodes matched
// across runs through nested groups and child runs, deltas sorted, failed and
// incomplete runs; then the CLI as a real process (text, --json, errors).
// Logs: tests/golden_queries/<case>/events.jsonl, hand-made with known answers.
#include "query/compare.h"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <sstream>

#include "format/event_json.h"
#include "query/trace_loader.h"
#include "test_support.h"

namespace extrace {
namespace {

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using testing::ProcessResult;
using testing::RunCli;
using testing::TempDir;

std::string CaseFile(const std::string& name) {
  return std::string(EXTRACE_GOLDEN_DIR) + "/../golden_queries/" + name + "/events.jsonl";
}

void Append(EventStore& store, std::istream& in) {
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
  AppendResult result = store.Append(events);
  INFO((result.status ? std::string() : result.status.error().message));
  REQUIRE(result.status.has_value());
}

std::unique_ptr<EventStore> StoreWithCase(const TempDir& dir, const std::string& name) {
  auto store = EventStore::Open(dir.File("t.db"));
  REQUIRE(store.has_value());
  std::ifstream in(CaseFile(name));
  REQUIRE(in.good());
  Append(**store, in);
  return std::move(*store);
}

RunTree Tree(EventStore& store, const std::string& id) {
  auto run = store.GetRun(id);
  REQUIRE(run.has_value());
  REQUIRE(run->has_value());
  auto tree = LoadRunTree(store, **run);
  REQUIRE(tree.has_value());
  return std::move(*tree);
}

RunComparison Compare(EventStore& store, const std::string& a, const std::string& b) {
  return CompareRuns(Tree(store, a), Tree(store, b));
}

const NodeDelta& Row(const RunComparison& c, const std::string& path) {
  for (const auto& row : c.nodes)
    if (row.path == path) return row;
  FAIL("no row " << path);
  throw;
}

const TreeNode& Node(const RunTree& tree, const std::string& path) {
  for (const auto& node : tree.nodes)
    if (node.path == path) return node;
  FAIL("no node " << path);
  throw;
}

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

TEST_CASE("run tree: a group without state of its own derives from its child run", "[compare]") {
  TempDir dir;
  auto store = StoreWithCase(dir, "nested_runs");
  RunTree tree = Tree(*store, "nest-1");
  CHECK(tree.diagnostics.empty());
  const TreeNode& validate = Node(tree, "validate");
  CHECK(validate.timing.derived);
  CHECK(validate.timing.state == NodeState::kCompleted);
  CHECK(*validate.timing.start_us == 1800000010420000);
  CHECK(*validate.timing.duration_us == 45000);
  CHECK(validate.timing.self_us == 0);
  const TreeNode& check = Node(tree, "validate/check");
  CHECK(check.child_run);
  CHECK(check.execution_id == "nest-1-val");
  CHECK(check.timing.depth == 1);
  CHECK(check.timing.self_us == 5000);  // 420..465 minus 421..431 and 432..462
  CHECK(Node(tree, "validate/c-hash").timing.depth == 2);
  CHECK(Node(tree, "validate/c-hash").execution_id == "nest-1-val");
  // Pre-order: parents before their children.
  for (size_t i = 0; i < tree.nodes.size(); ++i)
    for (size_t child : tree.nodes[i].timing.children) CHECK(child > i);
  CHECK(tree.top.size() == 4);
}

// A parent run "p" (flow pf: group g, task t) with child runs written inline.
std::string ParentRun(bool with_end) {
  std::string text =
      R"({"executionId":"p","seq":1,"timestamp":1000,"type":"started","data":{"rootNodeId":"pf","nodes":[{"id":"pf","name":"PF","type":"group"},{"id":"g","name":"G","type":"group","parentId":"pf"},{"id":"t","name":"T","type":"task","parentId":"pf"}]}})"
      "\n"
      R"({"executionId":"p","seq":2,"timestamp":1001,"type":"state-change","nodeId":"t","data":{"state":"executing"}})"
      "\n"
      R"({"executionId":"p","seq":3,"timestamp":1002,"type":"state-change","nodeId":"t","data":{"state":"completed"}})"
      "\n";
  if (with_end)
    text += R"({"executionId":"p","seq":4,"timestamp":1050,"type":"completed"})"
            "\n";
  return text;
}

// Child run `id` of node `parent` in run p, flow cf with one task c.
std::string ChildRun(const std::string& id, const std::string& parent, int start,
                     const std::string& end_type) {
  auto ts = [&](int offset) { return std::to_string(start + offset); };
  return R"({"executionId":")" + id + R"(","seq":1,"timestamp":)" + ts(0) +
         R"(,"type":"started","data":{"rootNodeId":"cf","parentExecutionId":"p","parentNodeId":")" +
         parent +
         R"(","nodes":[{"id":"cf","name":"CF","type":"group"},{"id":"c","name":"C","type":"task","parentId":"cf"}]}})"
         "\n"
         R"({"executionId":")" +
         id + R"(","seq":2,"timestamp":)" + ts(1) +
         R"(,"type":"state-change","nodeId":"c","data":{"state":"executing"}})"
         "\n"
         R"({"executionId":")" +
         id + R"(","seq":3,"timestamp":)" + ts(5) +
         R"(,"type":"state-change","nodeId":"c","data":{"state":")" +
         (end_type == "error" ? "error" : "completed") +
         "\"}}\n"
         R"({"executionId":")" +
         id + R"(","seq":4,"timestamp":)" + ts(6) + R"(,"type":")" + end_type +
         R"(","data":{"message":"m"}})"
         "\n";
}

std::unique_ptr<EventStore> StoreWithText(const TempDir& dir, const std::string& text) {
  auto store = EventStore::Open(dir.File("t.db"));
  REQUIRE(store.has_value());
  std::istringstream in(text);
  Append(**store, in);
  return std::move(*store);
}

TEST_CASE("run tree: two child runs of one node get distinct paths, a failed one fails the node",
          "[compare]") {
  TempDir dir;
  auto store = StoreWithText(dir, ParentRun(true) + ChildRun("k1", "g", 1010, "completed") +
                                      ChildRun("k2", "g", 1020, "error"));
  RunTree tree = Tree(*store, "p");
  const TreeNode& g = Node(tree, "g");
  CHECK(g.timing.derived);
  CHECK(g.timing.state == NodeState::kError);
  REQUIRE(g.timing.children.size() == 2);
  CHECK(Node(tree, "g/cf").execution_id == "k1");
  CHECK(Node(tree, "g/c").execution_id == "k1");
  CHECK(Node(tree, "g[2]/cf").execution_id == "k2");
  CHECK(Node(tree, "g[2]/cf").timing.state == NodeState::kError);
  CHECK(Node(tree, "g[2]/c").timing.state == NodeState::kError);
  // g spans both child runs: 1010..1016 and 1020..1026 (error counts as done).
  CHECK(*g.timing.start_us == 1010000);
  CHECK(*g.timing.end_us == 1026000);
  CHECK(g.timing.self_us == 4000);
}

TEST_CASE("run tree: child runs of a root with children stand at the top level after its nodes",
          "[compare]") {
  TempDir dir;
  auto store = StoreWithText(dir, ParentRun(true) + ChildRun("k1", "pf", 1010, "completed") +
                                      ChildRun("k2", "pf", 1020, "error"));
  RunTree tree = Tree(*store, "p");
  CHECK(tree.diagnostics.empty());
  std::vector<std::string> top;
  for (size_t i : tree.top) top.push_back(tree.nodes[i].path);
  CHECK(top == std::vector<std::string>{"g", "t", "pf/cf", "pf[2]/cf"});
  const TreeNode& first = Node(tree, "pf/cf");
  CHECK(first.child_run);
  CHECK(first.execution_id == "k1");
  CHECK(first.timing.depth == 0);
  CHECK(*first.timing.start_us == 1010000);
  CHECK(Node(tree, "pf/c").timing.depth == 1);
  CHECK(Node(tree, "pf[2]/cf").timing.state == NodeState::kError);
  // The root sends no state of its own: the failed child run fails the run.
  CHECK(tree.run.status == RunStatus::kError);
  // compare matches them like any node.
  RunComparison c = CompareRuns(tree, tree);
  CHECK(*Row(c, "pf/cf").delta_us == 0);
  CHECK(*Row(c, "pf[2]/c").duration_a_us == 4000);
  CHECK(c.only_in_a.empty());
}

// Child run "lk" of g, whose root lr is its only node, and a child run "gk" of
// that root (leaf roots: the child-run nodes stand for them in RunTree).
std::string LeafRootChildRuns() {
  return R"({"executionId":"lk","seq":1,"timestamp":1010,"type":"started","data":{"rootNodeId":"lr","parentExecutionId":"p","parentNodeId":"g","nodes":[{"id":"lr","name":"LR","type":"task"}]}})"
         "\n"
         R"({"executionId":"gk","seq":1,"timestamp":1012,"type":"started","data":{"rootNodeId":"gr","parentExecutionId":"lk","parentNodeId":"lr","nodes":[{"id":"gr","name":"GR","type":"task"}]}})"
         "\n"
         R"({"executionId":"gk","seq":2,"timestamp":1013,"type":"state-change","nodeId":"gr","data":{"state":"executing"}})"
         "\n"
         R"({"executionId":"gk","seq":3,"timestamp":1015,"type":"state-change","nodeId":"gr","data":{"state":"completed"}})"
         "\n"
         R"({"executionId":"gk","seq":4,"timestamp":1016,"type":"completed"})"
         "\n"
         R"({"executionId":"lk","seq":2,"timestamp":1020,"type":"completed"})"
         "\n";
}

TEST_CASE("run tree: a child run of a child run's leaf root stays, under the child-run node",
          "[compare]") {
  TempDir dir;
  auto store = StoreWithText(dir, ParentRun(true) + LeafRootChildRuns());
  RunTree tree = Tree(*store, "p");
  CHECK(tree.diagnostics.empty());
  const TreeNode& leaf_run = Node(tree, "g/lr");
  CHECK(leaf_run.child_run);
  REQUIRE(leaf_run.timing.children.size() == 1);
  const TreeNode& grandchild = tree.nodes[leaf_run.timing.children[0]];
  CHECK(grandchild.path == "g/lr/gr");
  CHECK(grandchild.child_run);
  CHECK(grandchild.execution_id == "gk");
  CHECK(*grandchild.timing.duration_us == 4000);
}

TEST_CASE("run tree: a derived group keeps the progress it sent itself", "[compare]") {
  TempDir dir;
  auto store = StoreWithText(
      dir,
      R"({"executionId":"q","seq":1,"timestamp":1000,"type":"started","data":{"rootNodeId":"pf","nodes":[{"id":"pf","name":"PF","type":"group"},{"id":"g","name":"G","type":"group","parentId":"pf"},{"id":"x","name":"X","type":"task","parentId":"g"}]}})"
      "\n"
      R"({"executionId":"q","seq":2,"timestamp":1001,"type":"state-change","nodeId":"x","data":{"state":"executing"}})"
      "\n"
      R"({"executionId":"q","seq":3,"timestamp":1002,"type":"progress","nodeId":"g","data":{"progress":40}})"
      "\n");
  RunTree tree = Tree(*store, "q");
  const TreeNode& g = Node(tree, "g");
  CHECK(g.timing.derived);
  CHECK(g.timing.state == NodeState::kExecuting);
  REQUIRE(g.timing.progress.has_value());
  CHECK(*g.timing.progress == 40);
}

TEST_CASE("run tree: a child run naming an undeclared node is left out with a diagnostic",
          "[compare]") {
  TempDir dir;
  auto store = StoreWithText(dir, ParentRun(true) + ChildRun("k1", "ghost", 1010, "completed"));
  RunTree tree = Tree(*store, "p");
  REQUIRE(tree.diagnostics.size() == 1);
  CHECK_THAT(tree.diagnostics[0], Contains("ghost"));
  for (const auto& node : tree.nodes) CHECK(node.execution_id == "p");
}

// The projection's nodes by the path RunTree gives them. A child run whose
// root has no children is one node in RunTree: the child-run node keeps the
// path, its root node under it adds none.
void ByPath(const NodeTrace& node, const std::string& prefix,
            std::map<std::string, const NodeTrace*>& out) {
  std::string path = prefix + node.node_id;
  out.emplace(path, &node);
  int child_runs = 0;
  for (const auto& child : node.child_traces) {
    if (child.child_execution_id.empty()) {
      ByPath(child, prefix, out);
    } else {
      ++child_runs;
      ByPath(child, path + (child_runs > 1 ? "[" + std::to_string(child_runs) + "]" : "") + "/",
             out);
    }
  }
}

TEST_CASE("run tree agrees with the projection, child runs included", "[compare]") {
  struct Case {
    std::string name;
    std::string text;  // inline events, when not a file case
  };
  auto c = GENERATE(values<Case>(
      {{"nested_runs", ""},
       {"failed_flow", ""},
       {"repeated_flow", ""},
       {"inline child runs", ParentRun(true) + ChildRun("k1", "g", 1010, "completed") +
                                 ChildRun("k2", "g", 1020, "error")},
       {"inline incomplete parent", ParentRun(false) + ChildRun("k1", "g", 1010, "error")},
       {"inline child runs of the root", ParentRun(true) + ChildRun("k1", "pf", 1010, "completed") +
                                             ChildRun("k2", "pf", 1020, "error")},
       {"inline child run of a child run's root", ParentRun(true) + LeafRootChildRuns()}}));
  INFO(c.name);
  TempDir dir;
  auto store = c.text.empty() ? StoreWithCase(dir, c.name) : StoreWithText(dir, c.text);
  auto runs = store->ListRuns();
  REQUIRE(runs.has_value());
  for (const auto& run : *runs) {
    INFO(run.execution_id);
    auto trace = LoadTrace(*store, run.execution_id);
    REQUIRE(trace.has_value());
    std::map<std::string, const NodeTrace*> projected;
    int root_runs = 0;  // child runs of a root with children stand in `nodes`
    for (const auto& node : trace->nodes) {
      if (node.child_execution_id.empty()) {
        ByPath(node, "", projected);
      } else {
        ++root_runs;
        ByPath(node,
               trace->root_node_id + (root_runs > 1 ? "[" + std::to_string(root_runs) + "]" : "") +
                   "/",
               projected);
      }
    }
    RunTree tree = Tree(*store, run.execution_id);
    CHECK(tree.nodes.size() == projected.size());
    for (const auto& node : tree.nodes) {
      INFO(node.path);
      auto it = projected.find(node.path);
      REQUIRE(it != projected.end());
      CHECK(node.timing.state == it->second->state);
      CHECK(node.timing.start_us.value_or(0) == it->second->start_us);
      CHECK(node.timing.end_us == it->second->end_us);
      CHECK(node.timing.duration_us == it->second->duration_us);
      CHECK(node.child_run == !it->second->child_execution_id.empty());
    }
  }
}

// --- the CLI ---

ProcessResult Cli(const std::string& db, std::vector<std::string> args) {
  args.insert(args.begin(), {"--db", db});
  return RunCli(args);
}

std::string DbWith(const TempDir& dir, const std::vector<std::string>& cases) {
  std::string db = dir.File("cli.db");
  std::vector<std::string> args{"ingest"};
  for (const auto& name : cases) args.push_back(CaseFile(name));
  ProcessResult ingest = Cli(db, args);
  INFO(ingest.err);
  REQUIRE(ingest.exit_code == 0);
  return db;
}

TEST_CASE("cli compare --json: the slower node first, times in plain milliseconds",
          "[compare][cli]") {
  TempDir dir;
  std::string db = DbWith(dir, {"repeated_flow"});
  ProcessResult result = Cli(db, {"compare", "etl-2", "latest", "--json"});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  CHECK(result.err.empty());
  boost::json::object json = boost::json::parse(result.out).as_object();
  CHECK(json.at("a").as_string() == "etl-2");
  CHECK(json.at("b").as_string() == "etl-3");
  CHECK(json.at("flowA").as_string() == "etl");
  CHECK(json.at("flowB").as_string() == "etl");
  CHECK(json.at("durationA").to_number<double>() == 71);
  CHECK(json.at("durationB").to_number<double>() == 133);
  CHECK(json.at("durationDelta").to_number<double>() == 62);
  CHECK(json.at("onlyInA").as_array().empty());
  CHECK(json.at("onlyInB").as_array().empty());
  const auto& nodes = json.at("nodes").as_array();
  REQUIRE(nodes.size() == 6);
  const auto& first = nodes[0].as_object();
  CHECK(first.at("nodeId").as_string() == "transform");
  CHECK(first.at("nodeName").as_string() == "Transform");
  CHECK(first.at("durationA").to_number<double>() == 30);
  CHECK(first.at("durationB").to_number<double>() == 90);
  CHECK(first.at("delta").to_number<double>() == 60);
  CHECK(first.at("ratio").to_number<double>() == 3);
  CHECK(first.at("stateA").as_string() == "completed");
  CHECK(first.at("stateB").as_string() == "completed");
  CHECK_THAT(result.out, !Contains("e+") && !Contains("E+") && !Contains("e-0"));
}

TEST_CASE("cli compare: the first lines say what changed most", "[compare][cli]") {
  TempDir dir;
  std::string db = DbWith(dir, {"repeated_flow", "failed_flow"});
  ProcessResult slower = Cli(db, {"compare", "etl-2", "etl-3"});
  INFO(slower.err);
  REQUIRE(slower.exit_code == 0);
  CHECK_THAT(slower.out,
             StartsWith("B took 62 ms longer than A (+87%). Biggest change: node 'transform' "
                        "+60 ms (3.0x).\n"));
  ProcessResult failed = Cli(db, {"compare", "ship-a", "ship-b"});
  REQUIRE(failed.exit_code == 0);
  CHECK_THAT(
      failed.out,
      StartsWith("B took 15 ms less than A (-42%). Biggest change: node 'load' -13 ms (0.35x).\n"
                 "A completed, B ended in error.\n"
                 "State changes: 'load' completed -> error (disk full).\n"
                 "Only in A: 'cleanup'. Only in B: 'notify'.\n"));
  CHECK_THAT(failed.out, Contains("NODE") && Contains("STATE B"));
}

TEST_CASE("cli compare of runs of different flows warns on stderr", "[compare][cli]") {
  TempDir dir;
  std::string db = DbWith(dir, {"repeated_flow", "failed_flow"});
  ProcessResult result = Cli(db, {"compare", "etl-3", "ship-b", "--json"});
  REQUIRE(result.exit_code == 0);
  CHECK_THAT(result.err, Contains("warning") && Contains("different flows"));
  auto json = boost::json::parse(result.out).as_object();
  CHECK(json.at("flowA").as_string() == "etl");
  CHECK(json.at("flowB").as_string() == "ship");
  CHECK(json.at("onlyInA").as_array().size() == 6);
}

TEST_CASE("cli compare: unknown id exits 5, ambiguous prefix exits 3, one line on stderr",
          "[compare][cli]") {
  TempDir dir;
  std::string db = DbWith(dir, {"repeated_flow"});
  ProcessResult unknown = Cli(db, {"compare", "etl-1", "nope"});
  CHECK(unknown.exit_code == 5);
  CHECK_THAT(unknown.err, Contains("nope"));
  CHECK(std::count(unknown.err.begin(), unknown.err.end(), '\n') == 1);
  CHECK(unknown.out.empty());
  ProcessResult ambiguous = Cli(db, {"compare", "etl-", "etl-1"});
  CHECK(ambiguous.exit_code == 3);
  CHECK_THAT(ambiguous.err, Contains("ambiguous"));
  CHECK(std::count(ambiguous.err.begin(), ambiguous.err.end(), '\n') == 1);
  ProcessResult prefix = Cli(db, {"compare", "etl-1", "etl-3", "--json"});
  CHECK(prefix.exit_code == 0);
  ProcessResult no_db = Cli(dir.File("missing.db"), {"compare", "a", "b"});
  CHECK(no_db.exit_code == 5);
}

}  // namespace
}  // namespace extrace
