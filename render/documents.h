// The JSON documents of a store, one function each: what the CLI's --json
// prints and what `extrace serve` answers, so both share one serializer.
// Errors: kNotFound (unknown run or flow), kInvalidInput (ambiguous prefix, bad
// argument), or the store's own. Threads: as the EventStore passed in.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "extrace/status.h"
#include "query/regressions.h"    // RegressionRule
#include "storage/event_store.h"  // EventStore, RunFilter

namespace extrace {

// `extrace list --json`. kNotFound when filter.flow is set and names no run at all.
[[nodiscard]] Result<std::string> RunListDocument(EventStore& store, const RunFilter& filter);

// `extrace show --json`: the ExecutionTrace. run_spec: id, `latest` or an id prefix (within
// `flow` when given).
[[nodiscard]] Result<std::string> TraceDocument(EventStore& store, const std::string& run_spec,
                                                const std::string& flow = "");

// `extrace bottlenecks --json --top N`
[[nodiscard]] Result<std::string> BottlenecksDocument(EventStore& store,
                                                      const std::string& run_spec, size_t top);

// `extrace compare A B --json`
[[nodiscard]] Result<std::string> CompareDocument(EventStore& store, const std::string& a,
                                                  const std::string& b);
// CompareDocument and what the CLI says beside it on stderr: `warning` is empty, or says that
// A and B are runs of different flows (their node ids are matched across flows).
struct CompareDocumentResult {
  std::string json;
  std::string warning;
};
[[nodiscard]] Result<CompareDocumentResult> CompareDocumentWithWarning(EventStore& store,
                                                                       const std::string& a,
                                                                       const std::string& b);

// `extrace history FLOW --last N --json`; kNotFound for a flow with no runs (as the CLI today)
[[nodiscard]] Result<std::string> HistoryDocument(EventStore& store, const std::string& flow,
                                                  size_t last);

struct RegressionsDocumentResult {
  std::string json;
  bool regressed = false;
};
// `extrace regressions FLOW [--run R] --baseline N --json`; run_spec empty: the flow's latest
// run.
[[nodiscard]] Result<RegressionsDocumentResult> RegressionsDocument(EventStore& store,
                                                                    const std::string& flow,
                                                                    const std::string& run_spec,
                                                                    size_t baseline,
                                                                    const RegressionRule& rule);

// Every flow (root node id of top-level runs): render/flows_json.h. Reads every top-level
// run's summary (one ListRuns): linear in the runs of the store.
[[nodiscard]] Result<std::string> FlowsDocument(EventStore& store);

// `extrace events ID [--node N]`: JSON Lines, one event per line (exactly the CLI's bytes),
// only events with seq > after_seq.
[[nodiscard]] Result<std::string> EventLinesDocument(EventStore& store, const std::string& run_spec,
                                                     int64_t after_seq = 0,
                                                     const std::string& node = "");
// EventLinesDocument in pieces: `write` gets each line (with its line break) as it is read,
// so a long run is never held whole (the CLI streams them to standard output). On an error
// after the first lines, the lines before it have been written.
[[nodiscard]] Status StreamEventLines(EventStore& store, const std::string& run_spec,
                                      int64_t after_seq, const std::string& node,
                                      const std::function<void(std::string_view)>& write);

// The HTML report's data blob (render/report_json.h RunReportJson / CompareReportJson), for a
// server that serves the page's script separately.
[[nodiscard]] Result<std::string> RunReportDocument(EventStore& store, const std::string& run_spec);
[[nodiscard]] Result<std::string> CompareReportDocument(EventStore& store, const std::string& a,
                                                        const std::string& b);

}  // namespace extrace
