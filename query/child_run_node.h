// A child run as its parent's projection sees it: as a node view (for deriving
// the state of the group node that owns it) and as the node that stands for it
// in the parent's childTraces. Pure functions of the already projected run.
#pragma once

#include "extrace/trace.h"
#include "query/group_derivation.h"

namespace extrace {

// The run's state and times as one child of its parent node: completed or
// error once it ended so, else executing; its overall progress.
NodeView ViewOfChildRun(const ExecutionTrace& run);

// The node for the run: its root's id, name and type, the run's times and
// events, its nodes as childTraces, `child_execution_id` naming it.
NodeTrace ChildRunNode(ExecutionTrace run);

}  // namespace extrace
