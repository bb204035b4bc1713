// Where one run's time went (`extrace bottlenecks`): per-node total and self
// time and share of the run, the critical path with every node's slack, the
// longest silences between a node's events (stalls) and, when the log stops
// before the end, the nodes still open. Pure functions over a RunTree
// (query/compare.h) and one pass over the run's own events (StallScanner).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "extrace/event.h"
#include "extrace/trace.h"
#include "query/compare.h"

namespace extrace {

// The longest time between two consecutive events (by seq) of one node.
struct Stall {
  std::string node_id;
  int64_t start_us = 0;  // the earlier event's timestamp
  int64_t gap_us = 0;
  int64_t from_seq = 0, to_seq = 0;
  std::string from, to;  // the two events in words: "executing", "progress 40%", ...
};

// What one pass over a run's events tells.
struct EventScan {
  std::unordered_map<std::string, int64_t>
      last_event_us;          // per node id: its last event's timestamp
  std::vector<Stall> stalls;  // largest gap first (then earlier start, then node id)
};

// Feeds on a run's events in seq order (EventStore::ForEachEvent) and keeps
// the `keep` longest stalls (0: all), so memory stays bounded by the nodes.
class StallScanner {
 public:
  explicit StallScanner(size_t keep) : keep_(keep) {}
  void Add(const Event& event);
  EventScan Finish();

 private:
  struct LastEvent {
    int64_t timestamp_us = 0;
    int64_t seq = 0;
    EventType type = EventType::kProgress;
    std::string data_json;
  };

  size_t keep_;
  std::unordered_map<std::string, LastEvent> last_;
  std::vector<Stall> heap_;  // the worst kept stall on top
};

struct NodeCost {
  size_t node = 0;  // index into RunTree::nodes
  // Its interval; a node that started and never ended (open) counts until
  // the horizon. None for a node that never started.
  std::optional<int64_t> start_us, end_us, total_us;
  int64_t self_us = 0;                 // total minus children_us
  std::optional<int64_t> children_us;  // groups: the union of the children's intervals inside it
  double share = 0;                    // total / run duration (0 to 1)
  std::optional<int64_t> slack_us;     // none for a node that never started
  bool open = false;
  bool on_critical_path = false;
};

struct OpenNode {
  size_t node = 0;                       // index into RunTree::nodes
  std::optional<int64_t> last_event_us;  // its last event in the run's log
  int64_t silent_us = 0;                 // from then to the log's last event
};

struct BottleneckReport {
  std::string execution_id;
  RunStatus status = RunStatus::kIncomplete;
  int64_t start_us = 0;
  std::optional<int64_t> end_us;
  // The run's end, or for an incomplete run its last event: open nodes count until then.
  int64_t horizon_us = 0;
  int64_t run_duration_us = 0;  // horizon - start
  int64_t covered_us = 0;       // the union of the top-level nodes' intervals
  int64_t run_self_us = 0;  // run_duration - covered: before, between and after the top-level nodes
  // One per node of the tree: the leaves that ran by total time (largest
  // first), then the groups that ran by total time, then the nodes that never
  // started (tree order).
  std::vector<NodeCost> nodes;
  // Indexes into RunTree::nodes, in time order, each group followed by the
  // path through its children. The rule, at the top level and then inside
  // every group on the path: take the node that ended last (ties: the one that
  // started first), then walk backwards to the sibling whose end is the latest
  // at or before that node's start (the one it waited for), and so on.
  std::vector<size_t> critical_path;
  std::vector<Stall> stalls;         // the scan's
  std::vector<OpenNode> open_nodes;  // the run's own nodes that started and never ended, tree order
  std::vector<std::string> diagnostics;
};

// Slack: how much later a node could have ended without moving the end of
// the last top-level node, assuming every sibling that started at or after its
// end waited for it: min over such siblings of (their start + their slack),
// capped by the parent's deadline (its children's last end + the parent's
// slack; at the top level the last top-level end), minus the node's end.
// Nodes on the critical path have slack 0 (a gap before the next path node is
// orchestration time, not slack).
BottleneckReport AnalyzeBottlenecks(const RunTree& tree, const EventScan& scan);

}  // namespace extrace
