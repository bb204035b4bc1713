// Group derivation: see group_derivation.h.
#include "query/group_derivation.h"

#include <algorithm>

namespace extrace {

NodeView DeriveGroup(const std::vector<NodeView>& children) {
  NodeView view;
  view.derived = true;
  bool all_done = !children.empty(), any_error = false, all_skipped = true, any_moved = false;
  std::optional<int64_t> end;
  for (const NodeView& child : children) {
    if (child.executed && (!view.executed || child.start_us < view.start_us)) {
      view.executed = true;
      view.start_us = child.start_us;
    }
    bool done = IsTerminal(child.state);
    all_done = all_done && done;
    any_error = any_error || child.state == NodeState::kError;
    all_skipped = all_skipped && child.state == NodeState::kSkipped;
    any_moved = any_moved || child.state != NodeState::kPending;
    if (done && child.end_us) end = end ? std::max(*end, *child.end_us) : *child.end_us;
  }
  if (any_error)
    view.state = NodeState::kError;
  else if (all_done)
    view.state = all_skipped ? NodeState::kSkipped : NodeState::kCompleted;
  else
    view.state = any_moved ? NodeState::kExecuting : NodeState::kPending;
  if (all_done) view.end_us = end;
  return view;
}

}  // namespace extrace
