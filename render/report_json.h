// The HTML report's data (schema/README.md, "HTML report (`extrace report`)"):
// the JSON blob, version 1, that the page's script reads: one run, or two runs
// and their comparison. render/html_report.h puts it into the page; anything
// else that serves the page's script serves these bytes. Pure; thread-safe.
#pragma once

#include <string>

#include "extrace/trace.h"
#include "query/bottlenecks.h"
#include "query/compare.h"

namespace extrace {

// One run as the report sees it. `tree` gives the rows (its paths are the ones
// bottlenecks and compare use), `trace` the events and the progress curve.
struct ReportRun {
  const ExecutionTrace& trace;
  const RunTree& tree;
  const BottleneckReport& bottlenecks;
};

// The page's title, also the data's `title`.
std::string RunReportTitle(const ExecutionTrace& trace);
std::string CompareReportTitle(const ExecutionTrace& a, const ExecutionTrace& b);

// `{version, mode: "run", title, runs: [run]}`.
std::string RunReportJson(const ReportRun& run);
// `{version, mode: "compare", title, runs: [a, b], comparison}`.
std::string CompareReportJson(const ReportRun& a, const ReportRun& b,
                              const RunComparison& comparison);

}  // namespace extrace
