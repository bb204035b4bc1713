// Per-node times of one run: see run_timings.h.
#include "query/run_timings.h"

#include <algorithm>
#include <unordered_map>

#include "query/group_derivation.h"

namespace extrace {
namespace {

// Nested deeper than this, a group's children are left out (as in the projector).
constexpr int kMaxDepth = 2000;

class TimingBuilder {
 public:
  TimingBuilder(const std::vector<NodeFact>& facts, const std::string& root)
      : facts_(facts), root_(root) {
    for (size_t i = 0; i < facts_.size(); ++i) index_.emplace(facts_[i].node_id, i);
    children_.resize(facts_.size());
    for (size_t i = 0; i < facts_.size(); ++i) {
      auto parent = index_.find(facts_[i].parent_id);
      if (!facts_[i].parent_id.empty() && parent != index_.end())
        children_[parent->second].push_back(i);
    }
  }

  RunTimings Build() {
    std::vector<size_t> top;
    auto root = index_.find(root_);
    bool root_has_children = root != index_.end() && !children_[root->second].empty();
    if (root != index_.end()) {
      if (root_has_children)
        top = children_[root->second];
      else
        top.push_back(root->second);
    }
    for (size_t i = 0; i < facts_.size(); ++i)
      if (facts_[i].parent_id.empty() && facts_[i].node_id != root_) top.push_back(i);
    for (size_t fact : top) out_.top.push_back(Add(fact, 0).first);
    return std::move(out_);
  }

 private:
  // Adds the node and its subtree; returns its index and its view.
  std::pair<size_t, NodeView> Add(size_t fact_index, int depth) {
    const NodeFact& fact = facts_[fact_index];
    size_t at = out_.nodes.size();
    out_.nodes.push_back({});
    std::vector<NodeView> child_views;
    std::vector<size_t> child_indexes;
    if (depth < kMaxDepth) {
      for (size_t child : children_[fact_index]) {
        auto [index, view] = Add(child, depth + 1);
        child_indexes.push_back(index);
        child_views.push_back(view);
      }
    }
    NodeView view;
    if (!fact.state && !child_views.empty()) {
      view = DeriveGroup(child_views);
    } else {
      view.state = fact.state.value_or(NodeState::kPending);
      view.executed = fact.start_us.has_value();
      view.start_us = fact.start_us.value_or(0);
      view.end_us = fact.end_us;
    }
    NodeTiming& node = out_.nodes[at];
    node.node_id = fact.node_id;
    node.name = fact.name;
    node.type = fact.type;
    node.parent_id = fact.parent_id;
    node.depth = depth;
    node.state = view.state;
    node.derived = view.derived;
    if (view.executed) node.start_us = view.start_us;
    node.end_us = view.end_us;
    if (node.start_us && node.end_us) node.duration_us = *node.end_us - *node.start_us;
    node.progress =
        view.state == NodeState::kCompleted ? std::optional<double>(100) : fact.progress;
    node.error_message = fact.error_message;
    node.children = child_indexes;
    node.self_us = SelfTime(node);
    return {at, view};
  }

  // The node's interval minus the union of its children's intervals.
  int64_t SelfTime(const NodeTiming& node) const {
    if (!node.duration_us) return 0;
    std::vector<std::pair<int64_t, int64_t>> spans;
    for (size_t child : node.children) {
      const NodeTiming& c = out_.nodes[child];
      if (!c.start_us || !c.end_us) continue;
      int64_t from = std::max(*c.start_us, *node.start_us), to = std::min(*c.end_us, *node.end_us);
      if (from < to) spans.emplace_back(from, to);
    }
    std::sort(spans.begin(), spans.end());
    int64_t covered = 0, reach = *node.start_us;
    for (auto [from, to] : spans) {
      from = std::max(from, reach);
      if (to > from) {
        covered += to - from;
        reach = to;
      }
    }
    return std::max<int64_t>(0, *node.duration_us - covered);
  }

  const std::vector<NodeFact>& facts_;
  const std::string& root_;
  std::unordered_map<std::string, size_t> index_;
  std::vector<std::vector<size_t>> children_;
  RunTimings out_;
};

}  // namespace

RunTimings ComputeRunTimings(const std::vector<NodeFact>& facts, const std::string& root_node_id) {
  return TimingBuilder(facts, root_node_id).Build();
}

}  // namespace extrace
