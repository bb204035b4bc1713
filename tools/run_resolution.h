// Turns what a user types for a run into its execution id, first match wins: an exact id,
// `latest` (the newest top-level run, or the newest run of one flow), or an
// unambiguous id prefix.
#pragma once

#include <string>

#include "extrace/status.h"
#include "storage/event_store.h"

namespace extrace::cli {

// kNotFound for no match or an unknown flow; kInvalidInput for an ambiguous
// prefix (the message lists a few candidates).
[[nodiscard]] Result<RunSummary> ResolveRun(EventStore& store, const std::string& spec,
                                            const std::string& flow = "");

}  // namespace extrace::cli
