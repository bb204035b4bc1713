// Child runs as nodes of their parent's projection: see child_run_node.h.
#include "query/child_run_node.h"

#include <utility>

namespace extrace {

NodeView ViewOfChildRun(const ExecutionTrace& run) {
  NodeView view;
  view.executed = true;
  view.start_us = run.start_us;
  view.end_us = run.end_us;
  view.state = run.status == RunStatus::kCompleted ? NodeState::kCompleted
               : run.status == RunStatus::kError   ? NodeState::kError
                                                   : NodeState::kExecuting;
  view.progress = view.state == NodeState::kCompleted ? 100 : run.overall_progress;
  return view;
}

NodeTrace ChildRunNode(ExecutionTrace run) {
  NodeView view = ViewOfChildRun(run);
  NodeTrace out;
  out.node_id = run.root_node_id;
  out.node_name = run.root_node_name;
  out.node_type = run.root_node_type;
  out.state = view.state;
  out.progress = view.progress;
  out.start_us = run.start_us;
  out.end_us = run.end_us;
  out.duration_us = run.duration_us;
  out.events = std::move(run.events);
  out.child_traces = std::move(run.nodes);
  out.has_child_traces = true;
  out.child_execution_id = run.execution_id;
  return out;
}

}  // namespace extrace
