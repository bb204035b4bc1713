// The OpenTelemetry export of a projected run (`extrace export --format
// otlp`): one OTLP/JSON ExportTraceServiceRequest object per run, on one line,
// as the OpenTelemetry Collector's file receiver reads them. The mapping
// (ids, times, status, events, attributes): schema/README.md, "Exports".
// Pure functions; any thread.
#pragma once

#include <string>
#include <string_view>

#include "extrace/trace.h"

namespace extrace {

// The run with its child runs: one span per run and per node, all in the
// trace of the run's execution id. One line without a line break.
std::string RenderOtlpTrace(const ExecutionTrace& trace);

// The ids the export gives out, stable across exports: 32 and 16 lowercase hex
// digits, never all zero.
std::string OtlpTraceId(std::string_view execution_id);
// The span of a run (also the span of a child run inside its parent's trace).
std::string OtlpRunSpanId(std::string_view execution_id);
std::string OtlpNodeSpanId(std::string_view execution_id, std::string_view node_id);

// The instrumentation scope's version: the project's (CMakeLists.txt passes it).
inline constexpr std::string_view kOtlpScopeVersion = EXTRACE_VERSION;

}  // namespace extrace
