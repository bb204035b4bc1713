// Writes an ExecutionTrace as the contract's JSON (event-format.md, section 2).
// Deterministic: the same trace gives the same bytes.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "extrace/trace.h"

namespace extrace {

std::string TraceToJson(const ExecutionTrace& trace);
void AppendTraceJson(std::string& out, const ExecutionTrace& trace);

// Receives the JSON text piece by piece, in order.
using TraceJsonSink = std::function<void(std::string_view)>;
// Writes the trace and a final newline through `sink` in pieces of about a
// megabyte, so a large run never sits in memory twice (trace and text).
void StreamTraceJson(const ExecutionTrace& trace, const TraceJsonSink& sink);

}  // namespace extrace
