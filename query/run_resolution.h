// Turns what a user types for a run into its execution id, first match wins: an exact id,
// `latest` (the newest top-level run, or the newest run of one flow), or an
// unambiguous id prefix; and a filter into its runs, telling an unknown flow
// from one whose runs the filter leaves out. Threads: as the EventStore.
#pragma once

#include <string>
#include <vector>

#include "extrace/status.h"
#include "storage/event_store.h"

namespace extrace {

// kNotFound for no match or an unknown flow; kInvalidInput for an ambiguous
// prefix (the message lists a few candidates).
[[nodiscard]] Result<RunSummary> ResolveRun(EventStore& store, const std::string& spec,
                                            const std::string& flow = "");

// ListRuns(filter), newest first; kNotFound when no run matches and filter.flow
// is set and names no run at all ("no runs of flow ..."), so that a typo in a
// flow name is not mistaken for an empty result.
[[nodiscard]] Result<std::vector<RunSummary>> FindRuns(EventStore& store, const RunFilter& filter);

}  // namespace extrace
