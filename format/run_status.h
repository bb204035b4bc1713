// The run-status rule of the contract (event format v1, section 2), in one
// place: the projector computes a trace's status with it, and storage the same
// status from its summaries without projecting.
#pragma once

#include <optional>

#include "extrace/event.h"
#include "extrace/trace.h"

namespace extrace {

// `incomplete` while the run has no `completed`/`error` event (`end_type`
// empty); once it ended, `error` when it ended with `error` or `a_node_failed`
// (a declared node, the root's own state, or a failed child run standing for a
// node without a state of its own), else `completed`.
inline RunStatus RunStatusOf(std::optional<EventType> end_type, bool a_node_failed) {
  if (!end_type) return RunStatus::kIncomplete;
  if (*end_type == EventType::kError || a_node_failed) return RunStatus::kError;
  return RunStatus::kCompleted;
}

}  // namespace extrace
