// The JSON documents of a store: see documents.h. Each loads through the query
// layer's helpers (query/run_resolution.h, query/run_loaders.h, ...) and writes
// with render/'s serializers; the CLI's commands print these results.
#include "render/documents.h"

#include <fmt/format.h>

#include <cmath>
#include <utility>

#include "format/event_line.h"
#include "query/compare.h"
#include "query/history.h"
#include "query/run_loaders.h"
#include "query/run_resolution.h"
#include "query/trace_json.h"
#include "query/trace_loader.h"
#include "render/bottlenecks_json.h"
#include "render/compare_json.h"
#include "render/flows_json.h"
#include "render/history_json.h"
#include "render/list_json.h"
#include "render/regressions_json.h"
#include "render/report_json.h"
#include "render/report_loader.h"

namespace extrace {
namespace {

tl::unexpected<Error> BadArgument(std::string message) {
  return MakeError(StatusCode::kInvalidInput, std::move(message));
}

}  // namespace

Result<std::string> RunListDocument(EventStore& store, const RunFilter& filter) {
  auto runs = FindRuns(store, filter);
  if (!runs) return tl::unexpected(runs.error());
  return RunListJson(*runs);
}

Result<std::string> TraceDocument(EventStore& store, const std::string& run_spec,
                                  const std::string& flow) {
  auto run = ResolveRun(store, run_spec, flow);
  if (!run) return tl::unexpected(run.error());
  auto trace = LoadTrace(store, run->execution_id);
  if (!trace) return tl::unexpected(trace.error());
  return TraceToJson(*trace);
}

Result<std::string> BottlenecksDocument(EventStore& store, const std::string& run_spec,
                                        size_t top) {
  if (top < 1) return BadArgument(fmt::format("top must be at least 1, got {}", top));
  auto run = ResolveRun(store, run_spec);
  if (!run) return tl::unexpected(run.error());
  auto loaded = LoadBottlenecks(store, *run, top);
  if (!loaded) return tl::unexpected(loaded.error());
  return BottlenecksJson(loaded->tree, loaded->report, top);
}

Result<CompareDocumentResult> CompareDocumentWithWarning(EventStore& store, const std::string& a,
                                                         const std::string& b) {
  auto comparison = LoadComparison(store, a, b);
  if (!comparison) return tl::unexpected(comparison.error());
  return CompareDocumentResult{ComparisonJson(*comparison), FlowMismatchWarning(*comparison)};
}

Result<std::string> CompareDocument(EventStore& store, const std::string& a, const std::string& b) {
  auto document = CompareDocumentWithWarning(store, a, b);
  if (!document) return tl::unexpected(document.error());
  return std::move(document->json);
}

Result<std::string> HistoryDocument(EventStore& store, const std::string& flow, size_t last) {
  // HistoryJson writes `last` as an int; 0 would mean no limit to ListRuns.
  if (last < 1 || last > static_cast<size_t>(INT32_MAX))
    return BadArgument(fmt::format("last must be from 1 to {}, got {}", INT32_MAX, last));
  auto history = LoadHistory(store, flow, last);
  if (!history) return tl::unexpected(history.error());
  return HistoryJson(*history, static_cast<int>(last));
}

Result<RegressionsDocumentResult> RegressionsDocument(EventStore& store, const std::string& flow,
                                                      const std::string& run_spec, size_t baseline,
                                                      const RegressionRule& rule) {
  // A shorter baseline would give up the spread test for good (query/regressions.h).
  if (baseline < rule.min_spread_samples)
    return BadArgument(
        fmt::format("baseline must be at least {}, got {}", rule.min_spread_samples, baseline));
  if (!std::isfinite(rule.threshold) || rule.threshold <= 0)
    return BadArgument(fmt::format("threshold must be a ratio above 0, got {}", rule.threshold));
  auto report = LoadRegressions(store, flow, run_spec, baseline, rule);
  if (!report) return tl::unexpected(report.error());
  return RegressionsDocumentResult{RegressionsJson(*report), !report->regressions.empty()};
}

Result<std::string> FlowsDocument(EventStore& store) {
  // Every top-level run's summary, once: linear in the store's runs (summaries
  // only, no events). A store of very many runs would want a per-flow summary.
  RunFilter filter;
  filter.top_level_only = true;
  auto runs = store.ListRuns(filter);
  if (!runs) return tl::unexpected(runs.error());
  return FlowsJson(*runs);
}

Status StreamEventLines(EventStore& store, const std::string& run_spec, int64_t after_seq,
                        const std::string& node,
                        const std::function<void(std::string_view)>& write) {
  if (after_seq < 0)
    return BadArgument(fmt::format("after_seq must be 0 or more, got {}", after_seq));
  auto run = ResolveRun(store, run_spec);
  if (!run) return tl::unexpected(run.error());
  std::string line;
  return store.ForEachEventAfter(run->execution_id, after_seq, 0, [&](Event&& event) {
    if (!node.empty() && event.node_id != node) return;
    line.clear();
    AppendEventLine(line, event);
    write(line);
  });
}

Result<std::string> EventLinesDocument(EventStore& store, const std::string& run_spec,
                                       int64_t after_seq, const std::string& node) {
  std::string out;
  auto status = StreamEventLines(store, run_spec, after_seq, node,
                                 [&](std::string_view line) { out += line; });
  if (!status) return tl::unexpected(status.error());
  return out;
}

Result<std::string> RunReportDocument(EventStore& store, const std::string& run_spec) {
  auto run = LoadReportRun(store, run_spec);
  if (!run) return tl::unexpected(run.error());
  return RunReportJson(run->View());
}

Result<std::string> CompareReportDocument(EventStore& store, const std::string& a,
                                          const std::string& b) {
  auto run_a = LoadReportRun(store, a);
  if (!run_a) return tl::unexpected(run_a.error());
  auto run_b = LoadReportRun(store, b);
  if (!run_b) return tl::unexpected(run_b.error());
  return CompareReportJson(run_a->View(), run_b->View(), CompareRuns(run_a->tree, run_b->tree));
}

}  // namespace extrace
