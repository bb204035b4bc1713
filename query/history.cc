// A flow's history and the shared duration statistics: see history.h.
#include "query/history.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string_view>
#include <unordered_map>

#include "query/run_timings.h"

namespace extrace {

int64_t Percentile(const std::vector<int64_t>& sorted, double p) {
  double at = p * static_cast<double>(sorted.size() - 1);
  size_t low = static_cast<size_t>(std::floor(at));
  if (low + 1 >= sorted.size()) return sorted.back();
  double fraction = at - static_cast<double>(low);
  double value = static_cast<double>(sorted[low]) +
                 fraction * static_cast<double>(sorted[low + 1] - sorted[low]);
  return std::llround(value);
}

int64_t MedianAbsoluteDeviation(const std::vector<int64_t>& values, int64_t median) {
  std::vector<int64_t> deviations;
  deviations.reserve(values.size());
  for (int64_t v : values) deviations.push_back(v > median ? v - median : median - v);
  std::sort(deviations.begin(), deviations.end());
  return Percentile(deviations, 0.5);
}

double PercentileRank(const std::vector<int64_t>& values, int64_t value) {
  double below = 0, equal = 0;
  for (int64_t v : values) {
    if (v < value) below += 1;
    if (v == value) equal += 1;
  }
  return 100.0 * (below + equal / 2) / static_cast<double>(values.size());
}

DurationSummary Summarize(std::vector<int64_t> durations_us) {
  DurationSummary summary;
  summary.samples = static_cast<int64_t>(durations_us.size());
  if (durations_us.empty()) return summary;
  std::sort(durations_us.begin(), durations_us.end());
  summary.p50_us = Percentile(durations_us, 0.5);
  summary.p95_us = Percentile(durations_us, 0.95);
  summary.max_us = durations_us.back();
  return summary;
}

FlowHistory BuildHistory(const std::string& flow, const std::vector<RunSummary>& runs,
                         const std::vector<NodeFact>& facts) {
  FlowHistory history;
  history.flow = flow;
  // Indexes, not copies: one run's facts are copied only while it is timed.
  std::unordered_map<std::string_view, std::vector<size_t>> facts_by_run;
  for (size_t i = 0; i < facts.size(); ++i) facts_by_run[facts[i].execution_id].push_back(i);

  const size_t count = runs.size();
  std::unordered_map<std::string, size_t> node_index;
  // Per node, the completed durations seen so far (in any order).
  std::vector<std::vector<int64_t>> completed;
  std::vector<int64_t> run_durations;
  // Newest first, so the newest run's hierarchy and names come first.
  for (size_t r = 0; r < count; ++r) {
    const RunSummary& run = runs[r];
    const size_t slot = count - 1 - r;  // oldest first in the output
    if (run.status == RunStatus::kError) ++history.failed_runs;
    if (run.status == RunStatus::kIncomplete) ++history.incomplete_runs;
    std::optional<int64_t> duration;
    if (run.start_us && run.end_us) duration = *run.end_us - *run.start_us;
    if (duration && run.status == RunStatus::kCompleted) run_durations.push_back(*duration);

    auto found = facts_by_run.find(run.execution_id);
    if (found == facts_by_run.end()) continue;
    std::vector<NodeFact> run_facts;
    run_facts.reserve(found->second.size());
    for (size_t i : found->second) run_facts.push_back(facts[i]);
    RunTimings timings = ComputeRunTimings(run_facts, run.root_node_id);
    for (const NodeTiming& timing : timings.nodes) {
      auto [it, added] = node_index.try_emplace(timing.node_id, history.nodes.size());
      if (added) {
        NodeHistory node;
        node.node_id = timing.node_id;
        node.name = timing.name;
        node.parent_id = timing.parent_id;
        node.depth = timing.depth;
        node.group = !timing.children.empty();
        node.samples.resize(count);
        history.nodes.push_back(std::move(node));
        completed.emplace_back();
      }
      NodeHistory& node = history.nodes[it->second];
      NodeSample& sample = node.samples[slot];
      sample.declared = true;
      sample.state = timing.state;
      sample.duration_us = timing.duration_us;
      ++node.runs;
      if (timing.state == NodeState::kError) ++node.failures;
      if (timing.state == NodeState::kCompleted && timing.duration_us)
        completed[it->second].push_back(*timing.duration_us);
    }
  }

  for (size_t r = count; r-- > 0;) {
    const RunSummary& run = runs[r];
    HistoryRun out;
    out.execution_id = run.execution_id;
    out.start_us = run.start_us;
    if (run.start_us && run.end_us) out.duration_us = *run.end_us - *run.start_us;
    out.status = run.status;
    history.runs.push_back(std::move(out));
  }
  history.run_stats = Summarize(run_durations);

  for (size_t i = 0; i < history.nodes.size(); ++i) {
    NodeHistory& node = history.nodes[i];
    node.stats = Summarize(completed[i]);
    if (count == 0) continue;
    const NodeSample& newest = node.samples.back();
    if (!newest.declared) continue;
    node.latest_state = newest.state;
    node.latest_us = newest.duration_us;
    if (node.latest_us && !completed[i].empty())
      node.latest_rank = PercentileRank(completed[i], *node.latest_us);
  }
  return history;
}

Result<FlowHistory> LoadHistory(EventStore& store, const std::string& flow, size_t last) {
  RunFilter filter;
  filter.flow = flow;
  filter.limit = last;
  auto runs = store.ListRuns(filter);
  if (!runs) return tl::unexpected(runs.error());
  if (runs->empty())
    return MakeError(StatusCode::kNotFound,
                     fmt::format("no runs of flow \"{}\" in {}", flow, store.path()));
  std::vector<std::string> ids;
  ids.reserve(runs->size());
  for (const auto& run : *runs) ids.push_back(run.execution_id);
  auto facts = store.NodeFacts(ids);
  if (!facts) return tl::unexpected(facts.error());
  return BuildHistory(flow, *runs, *facts);
}

}  // namespace extrace
