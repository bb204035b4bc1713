// Generates realistic runs for benchmarks: a 65-node flow (root, 4 groups of 3
// sub-groups, leaves inside) with state-changes and progress events, the graph
// in every `started`. Deterministic for a given seed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "extrace/recorder.h"

namespace extrace::bench {

// The flow's graph: 1 root + 4 groups + 12 sub-groups + 48 leaves = 65 nodes.
std::vector<GraphNode> FlowGraph();
// Leaves of FlowGraph(), in execution order.
std::vector<std::string> FlowLeaves();

// Writes `events` events of consecutive runs as JSON Lines to `path`.
void WriteJsonLines(const std::string& path, int64_t events, uint64_t seed);

}  // namespace extrace::bench
