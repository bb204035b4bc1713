// `extrace list --json` (schema/README.md, "Other JSON"): the runs, as the
// summaries know them, one object each. Pure; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "storage/event_store.h"

namespace extrace {

// `[{executionId, rootNodeId, status, startTime, duration, eventCount,
// parentExecutionId}]` in the order given (list: newest first); unknown values null.
std::string RunListJson(const std::vector<RunSummary>& runs);

}  // namespace extrace
