// Per-node times of one run from the summaries alone (no projection): own
// facts for nodes that sent state-changes, derived facts for groups that did
// not (the contract's rule, group_derivation.h), and self time. The base of
// compare, bottlenecks, history and regressions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "extrace/event.h"
#include "storage/event_store.h"

namespace extrace {

struct NodeTiming {
  std::string node_id;
  std::string name;
  std::string type;
  std::string parent_id;
  int depth = 0;  // 0 for the top level of the hierarchy
  NodeState state = NodeState::kPending;
  bool derived = false;  // a group that sent no state-changes of its own
  std::optional<int64_t> start_us;
  std::optional<int64_t> end_us;
  std::optional<int64_t> duration_us;  // when it has both
  // Time not covered by its children's intervals (a group's orchestration
  // gaps); a leaf's self time is its duration. 0 without a duration.
  int64_t self_us = 0;
  std::optional<double> progress;
  std::string error_message;
  std::vector<size_t> children;  // indexes into RunTimings::nodes
};

struct RunTimings {
  std::vector<NodeTiming> nodes;  // the hierarchy in pre-order (declaration order among siblings)
  std::vector<size_t> top;        // the top level, as ExecutionTrace.nodes
};

// `facts` are the declared nodes of one run (EventStore::NodeFacts); the root is
// left out when it has children, as in the ExecutionTrace.
RunTimings ComputeRunTimings(const std::vector<NodeFact>& facts, const std::string& root_node_id);

}  // namespace extrace
