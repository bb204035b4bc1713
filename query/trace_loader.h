// Loads a run's ExecutionTrace from the event log: reads its events and those
// of its child runs (to any depth), then projects.
#pragma once

#include <string>

#include "extrace/status.h"
#include "extrace/trace.h"
#include "query/projector.h"
#include "storage/event_store.h"

namespace extrace {

// Child runs nested deeper than this are not stitched (a diagnostic says so).
inline constexpr int kMaxChildRunDepth = 256;

// kNotFound when the log has no event of the run.
[[nodiscard]] Result<ExecutionTrace> LoadTrace(EventStore& store, const std::string& execution_id,
                                               const ProjectOptions& options = {});

}  // namespace extrace
