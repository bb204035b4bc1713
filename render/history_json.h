// `extrace history FLOW --json` (schema/README.md, "JSON of the cross-run
// commands"): how a flow's runs and each of its nodes behaved over its latest
// runs. Pure; thread-safe.
//
// Times in plain decimal ms, null when unknown:
//   {"flow", "last",
//    "summary": {"runs", "completed", "failed", "incomplete", "p50", "p95", "max"},
//    "runs": [{"executionId", "startTime", "duration", "status"}],   oldest first
//    "nodes": [{"nodeId", "nodeName", "parentId", "depth", "group", "runs", "failures",
//               "samples", "p50", "p95", "max", "latest", "latestState", "latestRank",
//               "durations": [ms | null, one per run, as "runs"]}]}   newest run's tree order
// summary p50/p95/max are over completed runs; a node's over the runs where it
// completed ("samples" of them). latestRank: percentile rank (0-100) of the
// node's duration in the newest run among those samples (50 typical, 100 the
// slowest seen). parentId is as declared (the flow's root id for top-level
// nodes, though the root itself is not listed, as in the ExecutionTrace).
#pragma once

#include <string>

#include "query/history.h"

namespace extrace {

// `last`: the window asked for (history may hold fewer runs).
std::string HistoryJson(const FlowHistory& history, int last);

}  // namespace extrace
