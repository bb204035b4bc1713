// Loading what one analysis of runs needs: see run_loaders.h.
#include "query/run_loaders.h"

#include <fmt/format.h>

#include <utility>

#include "query/run_resolution.h"

namespace extrace {

Result<RunBottlenecks> LoadBottlenecks(EventStore& store, const RunSummary& run,
                                       size_t keep_stalls) {
  auto tree = LoadRunTree(store, run);
  if (!tree) return tl::unexpected(tree.error());
  StallScanner scanner(keep_stalls);
  auto scanned = store.ForEachEvent(run.execution_id, [&](Event&& event) { scanner.Add(event); });
  if (!scanned) return tl::unexpected(scanned.error());
  RunBottlenecks loaded{std::move(*tree), {}};
  loaded.report = AnalyzeBottlenecks(loaded.tree, scanner.Finish());
  return loaded;
}

Result<RunComparison> LoadComparison(EventStore& store, const std::string& a,
                                     const std::string& b) {
  auto run_a = ResolveRun(store, a);
  if (!run_a) return tl::unexpected(run_a.error());
  auto run_b = ResolveRun(store, b);
  if (!run_b) return tl::unexpected(run_b.error());
  auto tree_a = LoadRunTree(store, *run_a);
  if (!tree_a) return tl::unexpected(tree_a.error());
  auto tree_b = LoadRunTree(store, *run_b);
  if (!tree_b) return tl::unexpected(tree_b.error());
  return CompareRuns(*tree_a, *tree_b);
}

std::string FlowMismatchWarning(const RunComparison& comparison) {
  if (comparison.SameFlow()) return "";
  return fmt::format(
      "A is a run of flow \"{}\", B of flow \"{}\": node ids are matched across different flows",
      comparison.a.root_node_id, comparison.b.root_node_id);
}

Result<RegressionReport> LoadRegressions(EventStore& store, const std::string& flow,
                                         const std::string& run_spec, size_t baseline_runs,
                                         const RegressionRule& rule) {
  auto run = ResolveRun(store, run_spec.empty() ? "latest" : run_spec, flow);
  if (!run) return tl::unexpected(run.error());
  return FindRegressions(store, *run, baseline_runs, rule);
}

}  // namespace extrace
