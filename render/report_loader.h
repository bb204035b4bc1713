// Everything the HTML report shows of one run, loaded from the store by what a
// user types for it: `extrace report` renders the page from it, and
// render/documents.h serves its data blob. Threads: as the EventStore.
#pragma once

#include <cstddef>
#include <string>

#include "extrace/status.h"
#include "extrace/trace.h"
#include "query/bottlenecks.h"
#include "query/compare.h"
#include "render/report_json.h"  // ReportRun
#include "storage/event_store.h"

namespace extrace {

// The stalls listed in the report's table.
inline constexpr size_t kReportStalls = 10;

// The projection gives the events and the progress curve (without allNodes
// snapshots, which the page does not read); the tree (summaries) the rows,
// with the same paths as `bottlenecks` and `compare`.
struct LoadedReportRun {
  ExecutionTrace trace;
  RunTree tree;
  BottleneckReport bottlenecks;

  [[nodiscard]] ReportRun View() const { return ReportRun{trace, tree, bottlenecks}; }
};

// `spec`: an id, `latest` or an id prefix (query/run_resolution.h).
[[nodiscard]] Result<LoadedReportRun> LoadReportRun(EventStore& store, const std::string& spec);

}  // namespace extrace
