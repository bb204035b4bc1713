// Loading a run for the HTML report: see report_loader.h.
#include "render/report_loader.h"

#include <utility>

#include "query/run_loaders.h"
#include "query/run_resolution.h"
#include "query/trace_loader.h"

namespace extrace {

Result<LoadedReportRun> LoadReportRun(EventStore& store, const std::string& spec) {
  auto run = ResolveRun(store, spec);
  if (!run) return tl::unexpected(run.error());
  // Without allNodes snapshots a long run projects in linear time.
  auto trace = LoadTrace(store, run->execution_id, ProjectOptions{.all_nodes_snapshots = false});
  if (!trace) return tl::unexpected(trace.error());
  auto bottlenecks = LoadBottlenecks(store, *run, kReportStalls);
  if (!bottlenecks) return tl::unexpected(bottlenecks.error());
  return LoadedReportRun{std::move(*trace), std::move(bottlenecks->tree),
                         std::move(bottlenecks->report)};
}

}  // namespace extrace
