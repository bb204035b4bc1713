// `extrace regressions FLOW --json` (schema/README.md, "JSON of the cross-run
// commands"): the nodes of a run that got slower than in the completed runs
// before it. Pure; thread-safe.
//
// Times in plain decimal ms:
//   {"flow", "run", "runStatus", "status": "regressed" | "ok" | "not-enough-runs",
//    "basis": "ratio" | "median+mad" | null (not-enough-runs),
//    "spread": null (unknown: basis "ratio" or null) | "measured" (per finding),
//    "threshold", "k", "minBaselineRuns" (1), "minSpreadRuns" (3),
//    "baselineRuns": [ids, newest first], "judgedNodes", "unjudgedNodes",
//    "regressions": [{"nodeId", "nodeName", "parentId", "group", "basis", "baseline" (median),
//                     "latest", "ratio" (null when the median is 0), "added",
//                     "mad" (null on "ratio"), "spread" (the noise cleared k times; null on
//                     "ratio": unknown), "samples", "explains": [group ids it accounts for]}]}
//   worst first
#pragma once

#include <string>

#include "query/regressions.h"

namespace extrace {

std::string RegressionsJson(const RegressionReport& report);

}  // namespace extrace
