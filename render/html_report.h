// The HTML report (`extrace report`): one self-contained page per run, or per
// comparison of two runs, with the CSS, the JavaScript (render/report_assets/,
// embedded at build time) and the data (one JSON blob) inline, so it opens
// from a file with no network. The page draws a Gantt timeline on a canvas
// (virtualised rows, so 10,000 nodes stay fast), the progress curves, and the
// bottleneck or delta table. Pure functions of the query results; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "query/compare.h"
#include "render/report_json.h"  // ReportRun

namespace extrace {

std::string RenderRunReport(const ReportRun& run);
// A and B on one time axis (each relative to its own start), with the deltas.
std::string RenderCompareReport(const ReportRun& a, const ReportRun& b,
                                const RunComparison& comparison);

// JSON text made safe inside <script type="application/json">: every '<'
// becomes \u003c, so neither "</script>" nor "<!--" can end or bend the element.
std::string EscapeJsonForScript(std::string_view json);

}  // namespace extrace
