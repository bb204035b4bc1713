// Regressions: which nodes of one run of a flow got slower than the same nodes
// (scoped by the flow) in the completed runs before it, beyond the noise of
// those runs. From the summaries alone (ListRuns + NodeFacts +
// ComputeRunTimings, no projection).
//
// The rule (RegressionRule's defaults):
// - Baseline: the previous N runs of the flow that started strictly before the
//   judged run and completed. Failed runs are left out (a run that failed may
//   have stopped early or been slowed by what broke it: it is not "normal"),
//   and so are incomplete ones. Fewer than 3 such runs: nothing is judged.
// - A node is judged when it completed in the judged run and completed in at
//   least 3 baseline runs. It is slower when both hold:
//     latest >= threshold x median                        (the size that matters)
//     latest >  median + k x noise, k = 3                 (beyond the spread)
//   noise = max(1.4826 x MAD, 1% of median, 1 ms): MAD is the median absolute
//   deviation of the baseline (x 1.4826 estimates a standard deviation); the
//   floors keep identical baseline runs (MAD 0) from flagging microseconds of
//   jitter.
// - A slower group stands as a finding only when its own self time (time not
//   covered by its children) is slower by the same rule, or when no node inside
//   it is slower (the slowdown is spread thin over its children). Otherwise the
//   slower nodes inside it are the findings and name it in `explains`.
// - Findings come worst first: by time added (latest - median), descending.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "extrace/status.h"
#include "storage/event_store.h"

namespace extrace {

struct RegressionRule {
  double threshold = 1.5;  // latest >= threshold x baseline median
  double k = 3;            // latest > median + k x noise
  double mad_scale = 1.4826;
  double relative_noise_floor = 0.01;  // of the median
  int64_t noise_floor_us = 1000;
  size_t min_samples = 3;  // baseline runs, and baseline samples per node
};

// The test of one duration against baseline samples (at least one).
struct SlowdownTest {
  int64_t median_us = 0;
  int64_t mad_us = 0;
  int64_t noise_us = 0;
  bool slower = false;
};
SlowdownTest TestSlowdown(int64_t latest_us, std::vector<int64_t> baseline_us,
                          const RegressionRule& rule);

struct Regression {
  std::string node_id;
  std::string name;
  std::string parent_id;
  bool group = false;
  int64_t baseline_us = 0;  // baseline median
  int64_t latest_us = 0;
  int64_t mad_us = 0;
  size_t samples = 0;           // baseline runs where it completed
  std::optional<double> ratio;  // latest / median; empty when the median is 0
  // Slower groups around this node whose slowdown it accounts for, innermost first.
  std::vector<std::string> explains;
};

struct RegressionReport {
  std::string flow;
  RunSummary run;                          // the judged run
  std::vector<std::string> baseline_runs;  // newest first
  RegressionRule rule;
  bool enough_runs = false;  // baseline_runs.size() >= rule.min_samples
  size_t judged_nodes = 0;
  size_t unjudged_nodes = 0;            // not completed in the run, or too few baseline samples
  std::vector<Regression> regressions;  // worst first
};

// Pure. `run_facts`: the judged run's declared nodes; `baseline`: newest
// first; `baseline_facts`: their declared nodes (NodeFacts of their ids).
RegressionReport JudgeRun(const RunSummary& run, const std::vector<NodeFact>& run_facts,
                          const std::vector<RunSummary>& baseline,
                          const std::vector<NodeFact>& baseline_facts, const RegressionRule& rule);

// Reads the baseline (up to `baseline_runs` runs) and judges `run`.
// kInvalidInput when the run has no start (no `started` event stored).
[[nodiscard]] Result<RegressionReport> FindRegressions(EventStore& store, const RunSummary& run,
                                                       size_t baseline_runs,
                                                       const RegressionRule& rule);

}  // namespace extrace
