// Regressions of one run against the runs before it: see regressions.h.
#include "query/regressions.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <string_view>
#include <unordered_map>

#include "query/history.h"
#include "query/run_timings.h"

namespace extrace {
namespace {

// A node's completed durations and self times over the baseline runs.
struct BaselineSamples {
  std::vector<int64_t> total_us;
  std::vector<int64_t> self_us;
};

std::unordered_map<std::string, BaselineSamples> CollectBaseline(
    const std::vector<RunSummary>& baseline, const std::vector<NodeFact>& facts) {
  // Indexes, not copies: one run's facts are copied only while it is timed.
  std::unordered_map<std::string_view, std::vector<size_t>> facts_by_run;
  for (size_t i = 0; i < facts.size(); ++i) facts_by_run[facts[i].execution_id].push_back(i);
  std::unordered_map<std::string, BaselineSamples> samples;
  for (const auto& run : baseline) {
    auto found = facts_by_run.find(run.execution_id);
    if (found == facts_by_run.end()) continue;
    std::vector<NodeFact> run_facts;
    run_facts.reserve(found->second.size());
    for (size_t i : found->second) run_facts.push_back(facts[i]);
    for (const NodeTiming& node : ComputeRunTimings(run_facts, run.root_node_id).nodes) {
      if (node.state != NodeState::kCompleted || !node.duration_us) continue;
      BaselineSamples& s = samples[node.node_id];
      s.total_us.push_back(*node.duration_us);
      s.self_us.push_back(node.self_us);
    }
  }
  return samples;
}

}  // namespace

std::string_view JudgementBasisName(JudgementBasis basis) {
  switch (basis) {
    case JudgementBasis::kRatio:
      return "ratio";
    case JudgementBasis::kMedianMad:
      return "median+mad";
  }
  return "median+mad";
}

SlowdownTest TestSlowdown(int64_t latest_us, std::vector<int64_t> baseline_us,
                          const RegressionRule& rule) {
  SlowdownTest test;
  test.basis = baseline_us.size() >= rule.min_spread_samples ? JudgementBasis::kMedianMad
                                                             : JudgementBasis::kRatio;
  std::sort(baseline_us.begin(), baseline_us.end());
  test.median_us = Percentile(baseline_us, 0.5);
  double median = static_cast<double>(test.median_us);
  // The floors apply on both bases: without them a ratio alone would flag a
  // microsecond node whose time merely doubled.
  double noise =
      std::max(rule.relative_noise_floor * median, static_cast<double>(rule.noise_floor_us));
  if (test.basis == JudgementBasis::kMedianMad) {
    test.mad_us = MedianAbsoluteDeviation(baseline_us, test.median_us);
    noise = std::max(noise, rule.mad_scale * static_cast<double>(*test.mad_us));
    test.spread_us = std::llround(noise);
  }
  double latest = static_cast<double>(latest_us);
  test.slower = latest >= rule.threshold * median && latest > median + rule.k * noise;
  return test;
}

RegressionReport JudgeRun(const RunSummary& run, const std::vector<NodeFact>& run_facts,
                          const std::vector<RunSummary>& baseline,
                          const std::vector<NodeFact>& baseline_facts, const RegressionRule& rule) {
  RegressionReport report;
  report.flow = run.root_node_id;
  report.run = run;
  report.rule = rule;
  for (const auto& b : baseline) report.baseline_runs.push_back(b.execution_id);
  report.enough_runs = !baseline.empty();
  RunTimings timings = ComputeRunTimings(run_facts, run.root_node_id);
  if (!report.enough_runs) {
    report.unjudged_nodes = timings.nodes.size();
    return report;
  }
  report.basis = baseline.size() >= rule.min_spread_samples ? JudgementBasis::kMedianMad
                                                            : JudgementBasis::kRatio;
  // On kMedianMad a node with fewer samples stays unjudged rather than falling
  // back to the ratio: every node of one report is judged on one basis.
  const size_t min_samples =
      *report.basis == JudgementBasis::kMedianMad ? rule.min_spread_samples : 1;
  auto samples = CollectBaseline(baseline, baseline_facts);

  const size_t n = timings.nodes.size();
  std::vector<bool> slower(n, false), self_slower(n, false);
  std::vector<SlowdownTest> tests(n);
  std::vector<size_t> sample_counts(n, 0);
  for (size_t i = 0; i < n; ++i) {
    const NodeTiming& node = timings.nodes[i];
    auto found = samples.find(node.node_id);
    if (node.state != NodeState::kCompleted || !node.duration_us || found == samples.end() ||
        found->second.total_us.size() < min_samples) {
      ++report.unjudged_nodes;
      continue;
    }
    ++report.judged_nodes;
    sample_counts[i] = found->second.total_us.size();
    tests[i] = TestSlowdown(*node.duration_us, found->second.total_us, rule);
    slower[i] = tests[i].slower;
    if (!node.children.empty())
      self_slower[i] = TestSlowdown(node.self_us, found->second.self_us, rule).slower;
  }

  // A slower group stands only when its own time got slower or nothing inside
  // it explains the slowdown.
  std::vector<bool> slower_inside(n, false), reported(n, false);
  std::function<bool(size_t)> visit = [&](size_t i) {
    bool inside = false;
    for (size_t child : timings.nodes[i].children) inside = visit(child) || inside;
    slower_inside[i] = inside;
    return inside || slower[i];
  };
  for (size_t top : timings.top) visit(top);
  for (size_t i = 0; i < n; ++i)
    reported[i] =
        slower[i] && (timings.nodes[i].children.empty() || self_slower[i] || !slower_inside[i]);

  std::vector<Regression> findings(n);
  std::function<void(size_t, const std::string&)> credit = [&](size_t i, const std::string& group) {
    if (reported[i]) findings[i].explains.push_back(group);
    for (size_t child : timings.nodes[i].children) credit(child, group);
  };
  // Reverse pre-order meets a node's ancestors innermost first.
  for (size_t i = n; i-- > 0;)
    if (slower[i] && !reported[i])
      for (size_t child : timings.nodes[i].children) credit(child, timings.nodes[i].node_id);

  for (size_t i = 0; i < n; ++i) {
    if (!reported[i]) continue;
    const NodeTiming& node = timings.nodes[i];
    Regression& r = findings[i];
    r.node_id = node.node_id;
    r.name = node.name;
    r.parent_id = node.parent_id;
    r.group = !node.children.empty();
    r.baseline_us = tests[i].median_us;
    r.latest_us = *node.duration_us;
    r.basis = tests[i].basis;
    r.mad_us = tests[i].mad_us;
    r.spread_us = tests[i].spread_us;
    r.samples = sample_counts[i];
    if (r.baseline_us > 0)
      r.ratio = static_cast<double>(r.latest_us) / static_cast<double>(r.baseline_us);
    report.regressions.push_back(std::move(r));
  }
  std::stable_sort(report.regressions.begin(), report.regressions.end(),
                   [](const Regression& a, const Regression& b) {
                     return a.latest_us - a.baseline_us > b.latest_us - b.baseline_us;
                   });
  return report;
}

Result<RegressionReport> FindRegressions(EventStore& store, const RunSummary& run,
                                         size_t baseline_runs, const RegressionRule& rule) {
  if (!run.start_us)
    return MakeError(
        StatusCode::kInvalidInput,
        fmt::format("run \"{}\" has no `started` event: nothing to judge", run.execution_id));
  RunFilter filter;
  filter.flow = run.root_node_id;
  filter.status = RunStatus::kCompleted;
  filter.until_us = *run.start_us - 1;  // strictly before the judged run
  filter.limit = baseline_runs;
  auto baseline = store.ListRuns(filter);
  if (!baseline) return tl::unexpected(baseline.error());
  std::vector<std::string> ids{run.execution_id};
  for (const auto& b : *baseline) ids.push_back(b.execution_id);
  auto facts = store.NodeFacts(ids);
  if (!facts) return tl::unexpected(facts.error());
  // NodeFacts returns the runs in the order asked: the judged run's come first.
  auto split = std::find_if(facts->begin(), facts->end(), [&](const NodeFact& fact) {
    return fact.execution_id != run.execution_id;
  });
  std::vector<NodeFact> run_facts(std::make_move_iterator(facts->begin()),
                                  std::make_move_iterator(split));
  std::vector<NodeFact> baseline_facts(std::make_move_iterator(split),
                                       std::make_move_iterator(facts->end()));
  return JudgeRun(run, run_facts, *baseline, baseline_facts, rule);
}

}  // namespace extrace
