// Queries across runs: a run's node tree with its child runs grafted in
// (RunTree, read from the summaries only: GetRun, NodeFacts, ChildRuns,
// ComputeRunTimings; never a projection of the run), and the node-by-node
// comparison of two runs (CompareRuns, behind `extrace compare`).
// query/bottlenecks.h builds on RunTree too.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "extrace/event.h"
#include "extrace/status.h"
#include "query/run_timings.h"
#include "storage/event_store.h"

namespace extrace {

// One node of a RunTree.
struct TreeNode {
  // Its times and state; `children` index RunTree::nodes, `depth` counts from
  // the top level of the tree's run (a child run's nodes sit deeper), and
  // `derived` is re-evaluated with the child runs counted as children.
  NodeTiming timing;
  // Unique in the tree, stable across runs of a flow (what CompareRuns
  // matches): the node id for the run's own nodes; inside a child run,
  // "<path of the node that owns the child run>/<node id>" ("validate/check-hash"),
  // and for the k-th child run (k >= 2, oldest first) of one node
  // "<path>[k]/<node id>". The child run's root node gets such a path too.
  std::string path;
  std::string execution_id;  // the run whose log holds the node
  // Stands for a child run: the child run's root node, with the child run's
  // times and status (completed, error, else executing), as in the ExecutionTrace.
  bool child_run = false;

  bool IsGroup() const { return !timing.children.empty(); }
};

struct RunTree {
  RunSummary run;
  // Pre-order; among siblings declared children first, then child runs.
  std::vector<TreeNode> nodes;
  // The top level, as ExecutionTrace.nodes: when the root has children, they
  // and the root's child runs (after them; paths "<root id>/<id>").
  std::vector<size_t> top;
  std::vector<std::string> diagnostics;  // child runs left out, and why
};

// The run's nodes from the summaries, with its child runs (to any depth, at
// most kMaxChildRunDepth) under the node that owns them. A group without
// state-changes of its own derives from its children and child runs, as the
// projection does. A child run whose root has no children contributes its root
// node only (the child-run node stands for both); the child runs of a child
// run's root sit under the child-run node, after its nodes.
[[nodiscard]] Result<RunTree> LoadRunTree(EventStore& store, const RunSummary& run);

// The length of the union of `spans` ([start, end) pairs) clipped to [from, to).
int64_t UnionLength(std::vector<std::pair<int64_t, int64_t>> spans, int64_t from, int64_t to);

// One node of a comparison, matched by TreeNode::path.
struct NodeDelta {
  std::string path;
  std::string node_id;
  std::string name;    // B's when the node is in B, else A's
  bool group = false;  // has children in A or in B
  std::optional<int64_t> duration_a_us, duration_b_us;
  std::optional<int64_t> delta_us;            // B - A, when both have a duration
  std::optional<double> ratio;                // B / A, when both have a duration and A's is not 0
  std::optional<NodeState> state_a, state_b;  // none: the node is not in that run
  std::string error_a, error_b;               // the node's error message, if any
};

struct RunComparison {
  RunSummary a, b;
  std::optional<int64_t> duration_a_us, duration_b_us;  // only for runs that ended
  std::optional<int64_t> duration_delta_us;             // B - A
  // Nodes with a delta first: leaves by |delta| (largest first), then groups
  // by |delta| (a group's delta mostly repeats its children's, so the leaf that
  // changed comes first); equal deltas keep tree order. Then the nodes without
  // a delta (in one run only, or unfinished in one), in tree order (A's, then
  // B's own).
  std::vector<NodeDelta> nodes;
  std::vector<std::string> only_in_a, only_in_b;  // paths, in tree order
  std::vector<std::string> diagnostics;           // both trees', prefixed "A: " / "B: "

  bool SameFlow() const { return a.root_node_id == b.root_node_id; }
};

RunComparison CompareRuns(const RunTree& a, const RunTree& b);

}  // namespace extrace
