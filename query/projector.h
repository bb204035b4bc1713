// The projector: rebuilds a run's ExecutionTrace from its stored events alone
// (shared/event-format.md, section 2). A pure function over plain events, with
// no SQL in it: the same events give the same trace, byte for byte once written.
// Anomalies in the log become diagnostics on the trace; nothing is thrown or dropped.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "extrace/event.h"
#include "extrace/trace.h"

namespace extrace {

// Nested groups deeper than this are cut there (and reported), so a hostile
// graph cannot exhaust the stack.
inline constexpr size_t kMaxNodeDepth = 2000;

struct ProjectOptions {
  // Each run-level `progress` event carries `allNodes`, the state of every node
  // at that point, as the contract says. A run with many progress events and
  // many nodes makes that quadratic; false leaves the snapshots out (nothing
  // else changes). Default: true.
  bool all_nodes_snapshots = true;
};

// `events` in seq order, all of one run. `child_runs` are the already projected
// runs whose `started` names this run as parent; each is stitched into the
// childTraces of the node it names, or, when that is the root and the root has
// children (so `nodes` stands for it), into `nodes` after the declared nodes.
// Records one anomaly on `trace`: its text in `diagnostics`, its kind counted
// in `diagnostic_counts` (the first of a kind is its example).
void AddDiagnostic(ExecutionTrace& trace, DiagnosticKind kind, std::string text);

ExecutionTrace ProjectRun(const std::string& execution_id, std::span<const Event> events,
                          std::vector<ExecutionTrace> child_runs = {},
                          const ProjectOptions& options = {});

}  // namespace extrace
