// What one analysis of runs needs, loaded from the store by what a user types
// for its runs (query/run_resolution.h): a run's bottlenecks, the comparison of
// two runs, a flow's regressions. The CLI's text and JSON, and the documents of
// render/documents.h, load through these alike. Threads: as the EventStore.
#pragma once

#include <cstddef>
#include <string>

#include "extrace/status.h"
#include "query/bottlenecks.h"
#include "query/compare.h"
#include "query/regressions.h"
#include "storage/event_store.h"

namespace extrace {

struct RunBottlenecks {
  RunTree tree;
  BottleneckReport report;  // of `tree`
};

// The run's tree and where its time went, with the `keep_stalls` longest
// stalls (0: all), from one pass over the run's own events (child runs' events
// are not read).
[[nodiscard]] Result<RunBottlenecks> LoadBottlenecks(EventStore& store, const RunSummary& run,
                                                     size_t keep_stalls);

// Resolves `a` then `b` (an id, `latest` or an id prefix), loads both trees and
// compares them.
[[nodiscard]] Result<RunComparison> LoadComparison(EventStore& store, const std::string& a,
                                                   const std::string& b);
// Empty, or the warning that A and B are runs of different flows, whose node
// ids are then matched across flows: `A is a run of flow "x", B of flow "y": ...`.
std::string FlowMismatchWarning(const RunComparison& comparison);

// Judges run `run_spec` of `flow` (empty: the flow's latest run) against up to
// `baseline_runs` completed runs before it (FindRegressions).
[[nodiscard]] Result<RegressionReport> LoadRegressions(EventStore& store, const std::string& flow,
                                                       const std::string& run_spec,
                                                       size_t baseline_runs,
                                                       const RegressionRule& rule);

}  // namespace extrace
