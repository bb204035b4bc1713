// A flow's history: how each of its nodes (scoped by the flow, derived groups
// included) behaved over the flow's latest runs, read from the summaries alone
// (ListRuns + NodeFacts + ComputeRunTimings, no projection). Also the duration
// statistics that `extrace history` and `extrace regressions` share.
//
// Choices (tools/cmd_history.cc says the same to users):
// - Percentiles interpolate linearly between the closest ranks (numpy's
//   default), so p50 is the usual median; results are rounded to the
//   microsecond.
// - Statistics of a node use the runs where the node completed (its own or
//   derived state); a node that ended in error counts as a failure and its
//   duration stays out of p50/p95/max, so fast failures do not hide slowness.
// - `latest` is the node's duration in the newest run of the window, whatever
//   its state (empty while it has none there); its place is its percentile rank
//   among the completed samples: 100 * (below + equal / 2) / samples, so 50 is
//   typical, 100 the slowest ever seen.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "extrace/event.h"
#include "extrace/status.h"
#include "extrace/trace.h"
#include "storage/event_store.h"

namespace extrace {

// p in [0, 1]; `sorted` ascending and not empty.
int64_t Percentile(const std::vector<int64_t>& sorted, double p);
// Median absolute deviation from `median`; `values` not empty.
int64_t MedianAbsoluteDeviation(const std::vector<int64_t>& values, int64_t median);
// 100 * (values below + values equal / 2) / count; `values` not empty.
double PercentileRank(const std::vector<int64_t>& values, int64_t value);

struct DurationSummary {
  int64_t samples = 0;  // durations behind the numbers below
  std::optional<int64_t> p50_us, p95_us, max_us;
};
DurationSummary Summarize(std::vector<int64_t> durations_us);

struct HistoryRun {
  std::string execution_id;
  std::optional<int64_t> start_us;
  std::optional<int64_t> duration_us;  // while the run has ended
  RunStatus status = RunStatus::kIncomplete;
};

// A node in one run of the window.
struct NodeSample {
  bool declared = false;  // false: this run did not have the node
  NodeState state = NodeState::kPending;
  std::optional<int64_t> duration_us;
};

struct NodeHistory {
  std::string node_id;
  std::string name;  // as the newest run that declares the node names it
  std::string parent_id;
  int depth = 0;
  bool group = false;                     // has children there
  int64_t runs = 0;                       // runs of the window that declare it
  int64_t failures = 0;                   // runs where its state is error
  DurationSummary stats;                  // over the runs where it completed
  std::optional<int64_t> latest_us;       // its duration in the newest run
  std::optional<NodeState> latest_state;  // empty when the newest run lacks it
  std::optional<double> latest_rank;      // percentile rank of latest_us among stats' samples
  std::vector<NodeSample> samples;        // one per run, oldest first (as FlowHistory::runs)
};

struct FlowHistory {
  std::string flow;
  std::vector<HistoryRun> runs;  // oldest first
  int64_t failed_runs = 0;
  int64_t incomplete_runs = 0;
  DurationSummary run_stats;  // over the completed runs
  // The newest run's hierarchy in pre-order, then nodes that only older runs
  // declare (newest first seen first).
  std::vector<NodeHistory> nodes;
};

// Pure. `runs`: the window, newest first (as ListRuns returns them); `facts`:
// the declared nodes of those runs (EventStore::NodeFacts of their ids).
FlowHistory BuildHistory(const std::string& flow, const std::vector<RunSummary>& runs,
                         const std::vector<NodeFact>& facts);

// The `last` newest runs of the flow (any status; `last` >= 1). kNotFound when
// the flow has no runs.
[[nodiscard]] Result<FlowHistory> LoadHistory(EventStore& store, const std::string& flow,
                                              size_t last);

}  // namespace extrace
