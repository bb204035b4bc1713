// `extrace list --json` (schema/README.md, "Other JSON"): the runs, as the
// summaries know them, one object each. Pure; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "format/json_text.h"
#include "storage/event_store.h"

namespace extrace {

// `[{executionId, rootNodeId, status, startTime, duration, eventCount,
// parentExecutionId}]` in the order given (list: newest first); unknown values null.
std::string RunListJson(const std::vector<RunSummary>& runs);
// One element of that array, into the container open in `w` (also the flows
// document's `lastRun`).
void WriteRunListItem(JsonWriter& w, const RunSummary& run);

}  // namespace extrace
