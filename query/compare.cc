// RunTree and CompareRuns: see compare.h.
#include "query/compare.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <set>
#include <unordered_map>

#include "query/group_derivation.h"
#include "query/trace_loader.h"

namespace extrace {
namespace {

std::optional<int64_t> RunDuration(const RunSummary& run) {
  if (run.start_us && run.end_us) return *run.end_us - *run.start_us;
  return std::nullopt;
}

// As the projection shows a child run's node: by the child run's status.
NodeState ChildRunState(RunStatus status) {
  switch (status) {
    case RunStatus::kCompleted:
      return NodeState::kCompleted;
    case RunStatus::kError:
      return NodeState::kError;
    case RunStatus::kIncomplete:
      break;
  }
  return NodeState::kExecuting;
}

class TreeLoader {
 public:
  explicit TreeLoader(EventStore& store) : store_(store) {}

  Result<RunTree> Load(const RunSummary& run) {
    tree_.run = run;
    ancestors_.insert(run.execution_id);
    auto context = Prepare(run, "", 0);
    if (!context) return tl::unexpected(context.error());
    for (size_t top : context->timings.top) {
      auto index = AddNode(*context, top, 0);
      if (!index) return tl::unexpected(index.error());
      tree_.top.push_back(*index);
    }
    // The top level stands for the root's children when it has any: the
    // root's child runs stand there too, after the declared nodes (as in the
    // ExecutionTrace's `nodes`), rather than vanish with the root.
    if (!RootInTop(*context)) {
      auto added = AddChildRunsOf(*context, run.root_node_id, run.root_node_id, 0, tree_.top);
      if (!added) return tl::unexpected(added.error());
    }
    return std::move(tree_);
  }

 private:
  // What one run of the tree contributes, read once.
  struct RunContext {
    RunSummary run;
    std::string prefix;  // prepended to the run's node ids to make paths
    int run_depth = 0;   // 0 for the tree's run, 1 for its child runs, ...
    RunTimings timings;
    std::unordered_map<std::string, bool> own_state;  // node id -> sent state-changes
    std::unordered_map<std::string, std::optional<double>> own_progress;  // its last progress
    std::unordered_map<std::string, std::vector<RunSummary>>
        child_runs;  // by owning node, oldest first
    std::string root_name, root_type;
  };

  Result<RunContext> Prepare(const RunSummary& run, const std::string& prefix, int run_depth) {
    RunContext context;
    context.run = run;
    context.prefix = prefix;
    context.run_depth = run_depth;
    auto facts = store_.NodeFacts({run.execution_id});
    if (!facts) return tl::unexpected(facts.error());
    context.timings = ComputeRunTimings(*facts, run.root_node_id);
    for (const NodeFact& fact : *facts) {
      context.own_state[fact.node_id] = fact.state.has_value();
      context.own_progress[fact.node_id] = fact.progress;
      if (fact.node_id == run.root_node_id) {
        context.root_name = fact.name;
        context.root_type = fact.type;
      }
    }
    auto children = store_.ChildRuns(run.execution_id);
    if (!children) return tl::unexpected(children.error());
    for (const std::string& child : *children) {
      // The same limits as LoadTrace, so both show the same child runs.
      if (ancestors_.contains(child)) {
        Note(fmt::format("child run \"{}\" is also an ancestor of run \"{}\": left out", child,
                         run.execution_id));
        continue;
      }
      if (run_depth >= kMaxChildRunDepth) {
        Note(fmt::format("child run \"{}\" is nested deeper than {} runs: left out", child,
                         kMaxChildRunDepth));
        continue;
      }
      auto summary = store_.GetRun(child);
      if (!summary) return tl::unexpected(summary.error());
      if (!*summary) continue;
      if (!context.own_state.contains((*summary)->parent_node_id)) {
        Note(fmt::format("child run \"{}\" names undeclared parent node \"{}\": left out", child,
                         (*summary)->parent_node_id));
        continue;
      }
      context.child_runs[(*summary)->parent_node_id].push_back(**summary);
    }
    return context;
  }

  void Note(std::string text) { tree_.diagnostics.push_back(std::move(text)); }

  [[nodiscard]] bool RootInTop(const RunContext& context) const {
    return std::any_of(context.timings.top.begin(), context.timings.top.end(), [&](size_t top) {
      return context.timings.nodes[top].node_id == context.run.root_node_id;
    });
  }

  // Appends to `out` the tree indexes of the child runs of node `node_id` of
  // the context's run, oldest first; `owner_path` is that node's path.
  Status AddChildRunsOf(const RunContext& context, const std::string& node_id,
                        const std::string& owner_path, int depth, std::vector<size_t>& out) {
    auto runs = context.child_runs.find(node_id);
    if (runs == context.child_runs.end()) return {};
    for (size_t k = 0; k < runs->second.size(); ++k) {
      std::string prefix = owner_path + (k == 0 ? "" : fmt::format("[{}]", k + 1)) + "/";
      auto added = AddChildRun(runs->second[k], prefix, depth, context.run_depth + 1);
      if (!added) return tl::unexpected(added.error());
      out.push_back(*added);
    }
    return {};
  }

  // Adds timing `index` of the context's run with its subtree; returns its
  // index in the tree. Indexes only: the recursion grows tree_.nodes.
  Result<size_t> AddNode(RunContext& context, size_t index, int depth) {
    size_t at = tree_.nodes.size();
    {
      TreeNode node;
      node.timing = context.timings.nodes[index];
      node.timing.children.clear();
      node.timing.depth = depth;
      node.path = context.prefix + node.timing.node_id;
      node.execution_id = context.run.execution_id;
      tree_.nodes.push_back(std::move(node));
    }
    std::vector<size_t> children;
    for (size_t child : context.timings.nodes[index].children) {
      auto added = AddNode(context, child, depth + 1);
      if (!added) return added;
      children.push_back(*added);
    }
    const std::string node_id = context.timings.nodes[index].node_id;
    const std::string path = tree_.nodes[at].path;
    if (auto added = AddChildRunsOf(context, node_id, path, depth + 1, children); !added)
      return tl::unexpected(added.error());
    tree_.nodes[at].timing.children = std::move(children);
    auto own = context.own_state.find(node_id);
    auto progress = context.own_progress.find(node_id);
    Settle(at, own != context.own_state.end() && own->second,
           progress != context.own_progress.end() ? progress->second : std::nullopt);
    return at;
  }

  Result<size_t> AddChildRun(const RunSummary& run, const std::string& prefix, int depth,
                             int run_depth) {
    ancestors_.insert(run.execution_id);
    auto context = Prepare(run, prefix, run_depth);
    if (!context) return tl::unexpected(context.error());
    size_t at = tree_.nodes.size();
    {
      TreeNode node;
      NodeTiming& timing = node.timing;
      timing.node_id = run.root_node_id;
      timing.name = context->root_name;
      timing.type = context->root_type;
      timing.parent_id = run.parent_node_id;
      timing.depth = depth;
      timing.state = ChildRunState(run.status);
      timing.start_us = run.start_us;
      timing.end_us = run.end_us;
      if (timing.state == NodeState::kCompleted) timing.progress = 100;
      node.path = prefix + run.root_node_id;
      node.execution_id = run.execution_id;
      node.child_run = true;
      tree_.nodes.push_back(std::move(node));
    }
    std::vector<size_t> children;
    for (size_t top : context->timings.top) {
      // A root without children stands alone at the top: the child-run node is it.
      if (context->timings.nodes[top].node_id == run.root_node_id) continue;
      auto added = AddNode(*context, top, depth + 1);
      if (!added) return added;
      children.push_back(*added);
    }
    // The root is never a node of its own here (the child-run node stands for
    // it, or its children do), so the runs it owns go under the child-run node.
    const std::string path = tree_.nodes[at].path;
    if (auto added = AddChildRunsOf(*context, run.root_node_id, path, depth + 1, children); !added)
      return tl::unexpected(added.error());
    tree_.nodes[at].timing.children = std::move(children);
    Settle(at, /*own_state=*/true, tree_.nodes[at].timing.progress);
    ancestors_.erase(run.execution_id);
    return at;
  }

  // Once its children are in: derives the state and times of a group that sent
  // no state of its own (its child runs count now, which ComputeRunTimings
  // could not know), then duration and self time. The progress stays what the
  // node itself last sent (`own_progress`), 100 once completed.
  void Settle(size_t at, bool own_state, std::optional<double> own_progress) {
    NodeTiming& node = tree_.nodes[at].timing;
    if (!own_state && !node.children.empty()) {
      std::vector<NodeView> views;
      for (size_t child : node.children) {
        const NodeTiming& c = tree_.nodes[child].timing;
        NodeView view;
        view.state = c.state;
        view.executed = c.start_us.has_value();
        view.start_us = c.start_us.value_or(0);
        view.end_us = c.end_us;
        view.derived = c.derived;
        views.push_back(view);
      }
      NodeView derived = DeriveGroup(views);
      node.state = derived.state;
      node.derived = true;
      node.start_us = derived.executed ? std::optional<int64_t>(derived.start_us) : std::nullopt;
      node.end_us = derived.end_us;
      node.progress =
          derived.state == NodeState::kCompleted ? std::optional<double>(100) : own_progress;
    }
    node.duration_us.reset();
    node.self_us = 0;
    if (!node.start_us || !node.end_us) return;
    node.duration_us = *node.end_us - *node.start_us;
    std::vector<std::pair<int64_t, int64_t>> spans;
    for (size_t child : node.children) {
      const NodeTiming& c = tree_.nodes[child].timing;
      if (c.start_us && c.end_us) spans.emplace_back(*c.start_us, *c.end_us);
    }
    node.self_us = std::max<int64_t>(
        0, *node.duration_us - UnionLength(std::move(spans), *node.start_us, *node.end_us));
  }

  EventStore& store_;
  RunTree tree_;
  std::set<std::string> ancestors_;  // child runs on the way down: a cycle is left out
};

NodeDelta SideOf(const TreeNode& node) {
  NodeDelta delta;
  delta.path = node.path;
  delta.node_id = node.timing.node_id;
  delta.name = node.timing.name;
  delta.group = node.IsGroup();
  return delta;
}

}  // namespace

Result<RunTree> LoadRunTree(EventStore& store, const RunSummary& run) {
  return TreeLoader(store).Load(run);
}

int64_t UnionLength(std::vector<std::pair<int64_t, int64_t>> spans, int64_t from, int64_t to) {
  std::sort(spans.begin(), spans.end());
  int64_t covered = 0, reach = from;
  for (auto [start, end] : spans) {
    start = std::max(start, reach);
    end = std::min(end, to);
    if (end > start) {
      covered += end - start;
      reach = end;
    }
  }
  return covered;
}

RunComparison CompareRuns(const RunTree& a, const RunTree& b) {
  RunComparison out;
  out.a = a.run;
  out.b = b.run;
  out.duration_a_us = RunDuration(a.run);
  out.duration_b_us = RunDuration(b.run);
  if (out.duration_a_us && out.duration_b_us)
    out.duration_delta_us = *out.duration_b_us - *out.duration_a_us;
  for (const auto& text : a.diagnostics) out.diagnostics.push_back("A: " + text);
  for (const auto& text : b.diagnostics) out.diagnostics.push_back("B: " + text);

  std::unordered_map<std::string, size_t> in_b;
  for (size_t i = 0; i < b.nodes.size(); ++i) in_b.emplace(b.nodes[i].path, i);
  std::vector<bool> matched(b.nodes.size());
  std::vector<NodeDelta> rows;
  for (const TreeNode& node : a.nodes) {
    NodeDelta row = SideOf(node);
    row.duration_a_us = node.timing.duration_us;
    row.state_a = node.timing.state;
    row.error_a = node.timing.error_message;
    if (auto it = in_b.find(node.path); it != in_b.end()) {
      const TreeNode& other = b.nodes[it->second];
      matched[it->second] = true;
      row.name = other.timing.name;
      row.group = row.group || other.IsGroup();
      row.duration_b_us = other.timing.duration_us;
      row.state_b = other.timing.state;
      row.error_b = other.timing.error_message;
    } else {
      out.only_in_a.push_back(node.path);
    }
    rows.push_back(std::move(row));
  }
  for (size_t i = 0; i < b.nodes.size(); ++i) {
    if (matched[i]) continue;
    const TreeNode& node = b.nodes[i];
    NodeDelta row = SideOf(node);
    row.duration_b_us = node.timing.duration_us;
    row.state_b = node.timing.state;
    row.error_b = node.timing.error_message;
    out.only_in_b.push_back(node.path);
    rows.push_back(std::move(row));
  }
  for (NodeDelta& row : rows) {
    if (!row.duration_a_us || !row.duration_b_us) continue;
    row.delta_us = *row.duration_b_us - *row.duration_a_us;
    if (*row.duration_a_us != 0)
      row.ratio = static_cast<double>(*row.duration_b_us) / static_cast<double>(*row.duration_a_us);
  }
  auto without_delta = std::stable_partition(
      rows.begin(), rows.end(), [](const NodeDelta& row) { return row.delta_us.has_value(); });
  std::stable_sort(rows.begin(), without_delta, [](const NodeDelta& x, const NodeDelta& y) {
    if (x.group != y.group) return !x.group;
    return std::llabs(*x.delta_us) > std::llabs(*y.delta_us);
  });
  out.nodes = std::move(rows);
  return out;
}

}  // namespace extrace
