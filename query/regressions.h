// Regressions: which nodes of one run of a flow got slower than the same nodes
// (scoped by the flow) in the completed runs before it, beyond the noise of
// those runs. From the summaries alone (ListRuns + NodeFacts +
// ComputeRunTimings, no projection).
//
// The rule (RegressionRule's defaults):
// - Baseline: the previous N runs of the flow that started strictly before the
//   judged run and completed. Failed runs are left out (a run that failed may
//   have stopped early or been slowed by what broke it: it is not "normal"),
//   and so are incomplete ones. No such run: nothing is judged.
// - The basis of the judgement follows from the number of baseline runs:
//   - 3 or more: "median+mad". A node is judged when it completed in the judged
//     run and in at least 3 baseline runs. It is slower when both hold:
//       latest >= threshold x median                      (the size that matters)
//       latest >  median + k x noise, k = 3               (beyond the spread)
//     noise = max(1.4826 x MAD, 1% of median, 1 ms): MAD is the median absolute
//     deviation of the baseline (x 1.4826 estimates a standard deviation); the
//     floors keep identical baseline runs (MAD 0) from flagging microseconds of
//     jitter.
//   - 1 or 2: "ratio". A MAD of one or two samples says nothing about the
//     spread, yet a new flow is exactly when a 3x slowdown must not pass
//     silently. A node is judged when it completed in the judged run and in at
//     least one baseline run; it is slower by the same two tests with the MAD
//     term left out (noise = max(1% of median, 1 ms)): the ratio decides, and
//     the floors still keep a 40 us node that took 70 us from failing a build.
//     So two identical baseline runs judge exactly as three identical ones do.
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
#include <string_view>
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
  // Baseline runs (and a node's baseline samples) from which the spread is
  // measured (basis kMedianMad); with fewer, but at least one, kRatio.
  size_t min_spread_samples = 3;
};

// How slowness was judged (see the rule above).
enum class JudgementBasis {
  kRatio,      // 1 to min_spread_samples - 1 baseline samples: the spread is unknown
  kMedianMad,  // min_spread_samples or more: beyond the baseline's MAD too
};
// "ratio", "median+mad": the names in the CLI's output and JSON.
std::string_view JudgementBasisName(JudgementBasis basis);

// The test of one duration against baseline samples (at least one). The basis
// follows from their number.
struct SlowdownTest {
  JudgementBasis basis = JudgementBasis::kMedianMad;
  int64_t median_us = 0;
  std::optional<int64_t> mad_us;  // empty on kRatio
  // The noise `latest` had to clear k times, max(mad_scale x MAD, floors);
  // empty on kRatio, where only the floors stand in for it.
  std::optional<int64_t> spread_us;
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
  JudgementBasis basis = JudgementBasis::kMedianMad;
  std::optional<int64_t> mad_us;     // empty on kRatio: the spread is unknown
  std::optional<int64_t> spread_us;  // SlowdownTest::spread_us
  size_t samples = 0;                // baseline runs where it completed
  std::optional<double> ratio;       // latest / median; empty when the median is 0
  // Slower groups around this node whose slowdown it accounts for, innermost first.
  std::vector<std::string> explains;
};

struct RegressionReport {
  std::string flow;
  RunSummary run;                          // the judged run
  std::vector<std::string> baseline_runs;  // newest first
  RegressionRule rule;
  bool enough_runs = false;             // at least one baseline run
  std::optional<JudgementBasis> basis;  // by the number of baseline runs; empty without any
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
