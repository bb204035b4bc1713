// The rules of the summaries kept at append time, for every backend: what a
// stored event changes in its node's facts (state, first start, end, last
// progress, error message), with "first" and "last" going by seq so events may
// arrive in any order, and how the common payloads are read without parsing.
// The backends keep the rows (storage/sqlite/node_summary.h, storage/postgres/);
// the rules live here once. Plain functions: thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "extrace/event.h"
#include "storage/payload_layout.h"

namespace extrace::summary_rules {

// One node of one run as the summaries know it (run_nodes, minus the declared
// graph position, name, type and parent, whose storage is the backend's).
struct NodeRunFacts {
  bool declared = false;             // the run's first `started` declares the node
  std::optional<int64_t> state;      // code of the node's last own state (by seq)
  std::optional<int64_t> state_seq;  // seq of that state-change
  std::optional<int64_t> start_seq;  // the first `executing` (lowest seq)
  std::optional<int64_t> start_us;   // its time
  std::optional<int64_t> end_us;     // the last state-change's time, while it is terminal
  std::optional<double> progress;    // the last progress event's value (by seq)
  std::optional<int64_t> progress_seq;
  std::optional<std::string> error_message;  // of the last state, when it is error
};

// Each returns the change in the run's count of declared nodes whose last own
// state is error (executions.error_nodes).
int Declare(NodeRunFacts& node);
int ApplyState(NodeRunFacts& node, int64_t seq, int64_t timestamp_us, NodeState state,
               std::string_view error_message);
int ApplyProgress(NodeRunFacts& node, int64_t seq, double progress);

// What a state-change event says, when it names a valid state.
struct StateChange {
  NodeState state;
  std::string error_message;
};
// The common shapes ({"state":"completed"}) need no parsing.
std::optional<StateChange> ReadStateChange(const Event& event,
                                           const payload_layout::Pieces& pieces);
// {"progress":N...} is read where it stands instead of parsing the object.
std::optional<double> ReadProgress(const Event& event, const payload_layout::Pieces& pieces);

}  // namespace extrace::summary_rules
