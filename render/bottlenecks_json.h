// `extrace bottlenecks ID --json` (schema/README.md, "JSON of the cross-run
// commands"): where one run's time went. Pure; thread-safe.
#pragma once

#include <cstddef>
#include <string>

#include "query/bottlenecks.h"
#include "query/compare.h"

namespace extrace {

// `{executionId, rootNodeId, status, startTime, endTime, runDuration,
// coveredTime, runSelfTime, nodes, criticalPath, stalls, openNodes,
// diagnostics}` of `report` (the analysis of `tree`); `top` cuts nodes and stalls.
std::string BottlenecksJson(const RunTree& tree, const BottleneckReport& report, size_t top);

}  // namespace extrace
