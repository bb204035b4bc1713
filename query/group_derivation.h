// The contract's rule for a group node that sends no state-changes of its own:
// it takes them from its children. One place, shared by the projector (from
// events) and by the cross-run queries (from the per-node summaries).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "extrace/event.h"

namespace extrace {

// A node at some point: its own state, or derived from its children.
struct NodeView {
  NodeState state = NodeState::kPending;
  double progress = 0;
  bool executed = false;  // has a start time
  int64_t start_us = 0;
  std::optional<int64_t> end_us;
  bool derived = false;  // a group without state-changes of its own
};

// Start of the first child (by time), end of the last once all are done, error
// as soon as any child errored, skipped when all were skipped.
NodeView DeriveGroup(const std::vector<NodeView>& children);

}  // namespace extrace
