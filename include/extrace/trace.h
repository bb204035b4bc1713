// The ExecutionTrace an engine gets back: the projection of a run's event log
// (shared/event-format.md, section 2). Plain values, no behaviour; times are
// integer microseconds so they stay exact, and print as decimal milliseconds.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "extrace/event.h"

namespace extrace {

struct TraceEvent {
  int64_t timestamp_us = 0;
  EventType type = EventType::kStarted;
  std::string data_json;  // canonical JSON object text, never empty
};

struct NodeTrace {
  std::string node_id;
  std::string node_name;
  std::string node_type;
  int64_t start_us = 0;  // 0 while the node never executed
  std::optional<int64_t> end_us;
  std::optional<int64_t> duration_us;
  NodeState state = NodeState::kPending;
  double progress = 0;
  std::vector<TraceEvent> events;
  std::vector<NodeTrace> child_traces;
  bool has_child_traces = false;   // a group node: childTraces is written even when empty
  std::string child_execution_id;  // set when this node stands for a child run
};

enum class RunStatus { kIncomplete, kCompleted, kError };
std::string_view RunStatusName(RunStatus status);

// The kinds of anomaly the projection finds in a log (schema/README.md,
// "Diagnostics"), as perfetto's stats table names its own.
enum class DiagnosticKind {
  kStartedWithoutGraph,   // a `started` whose data declares no usable graph
  kMissingStarted,        // no `started` event at all
  kSecondStarted,         // a `started` after the first
  kUndeclaredNode,        // state-change or progress for a node `started` did not declare
  kInvalidState,          // a state-change without a valid state
  kTimestampBackwards,    // earlier than the previous event's of the run
  kEventAfterEnd,         // any event after the run's `completed`/`error`
  kEventBeforeStarted,    // a lower seq than the run's `started`
  kUndeclaredParentNode,  // a child run names a node its parent did not declare
  kNestingTooDeep,        // nested groups deeper than the projection shows
  kChildRunCycle,         // a child run that is also an ancestor: not stitched
  kChildRunTooDeep,       // child runs nested deeper than the projection stitches
};
// "event_after_end", ...: the names in JSON and in `show`.
std::string_view DiagnosticKindName(DiagnosticKind kind);

// One row of a trace's diagnostics table: a kind, how many times it was found,
// and the first of them as an example (its text in `diagnostics`).
struct DiagnosticCount {
  DiagnosticKind kind = DiagnosticKind::kUndeclaredNode;
  int64_t count = 0;
  std::string example;
};

struct ExecutionTrace {
  std::string execution_id;
  std::string root_node_id;
  std::string root_node_name;  // from the graph: a child run's node in its parent shows these
  std::string root_node_type;
  int64_t start_us = 0;
  std::optional<int64_t> end_us;
  std::optional<int64_t> duration_us;
  RunStatus status = RunStatus::kIncomplete;
  std::string config_json = "{}";
  std::string parent_execution_id;
  std::string parent_node_id;
  std::vector<TraceEvent> events;
  std::vector<NodeTrace> nodes;
  // Each anomaly as text, in the order found (the contract's `diagnostics`)...
  std::vector<std::string> diagnostics;
  // ...and counted by kind, in the order each kind was first found.
  std::vector<DiagnosticCount> diagnostic_counts;
  int overall_progress = 0;  // the run's overall progress after its last event
};

}  // namespace extrace
