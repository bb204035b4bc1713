// The run tree under `extrace compare` (query/compare.h): derived groups,
// child runs (of a node, of a root, of a child run's leaf root, of an
// undeclared node), and agreement with the projection.
#include <catch2/catch.hpp>
#include <map>
#include <sstream>

#include "compare_test_support.h"
#include "format/event_json.h"
#include "query/compare.h"
#include "query/trace_loader.h"
#include "test_support.h"

namespace extrace {
namespace {

using Catch::Matchers::Contains;
using compare_test::Append;
using compare_test::Node;
using compare_test::Row;
using compare_test::StoreWithCase;
using compare_test::Tree;
using testing::TempDir;

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
  auto store = EventStore::Open(dir.Store("t.db"));
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

}  // namespace
}  // namespace extrace
