// The flows document (schema/README.md, "Other JSON"): every flow (the root
// node id of top-level runs) with its run counts, its newest run and the
// durations of its last ended runs, for an overview of the whole store.
// Pure; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "storage/event_store.h"

namespace extrace {

// Ended runs whose durations a flow lists, at most.
inline constexpr size_t kFlowRecentDurations = 20;

// `{"flows": [{flow, runs, completed, error, incomplete, lastRun, recentDurationsMs}]}`
// from `top_level_runs`, newest first (ListRuns with top_level_only): flows in
// the order of their newest run, `lastRun` written as an element of
// `list --json`, `recentDurationsMs` the durations of the flow's last
// kFlowRecentDurations ended runs, oldest first. Runs without a `started`
// (no root node id yet) belong to no flow and are left out.
std::string FlowsJson(const std::vector<RunSummary>& top_level_runs);

}  // namespace extrace
