// `extrace compare A B --json` (schema/README.md, "JSON of the cross-run
// commands"): what changed between two runs, node by node. Pure; thread-safe.
#pragma once

#include <string>

#include "query/compare.h"

namespace extrace {

// `{a, b, flowA, flowB, statusA, statusB, durationA, durationB, durationDelta,
// nodes, onlyInA, onlyInB, diagnostics}`, nodes in the comparison's order.
std::string ComparisonJson(const RunComparison& comparison);

}  // namespace extrace
