// Writes an ExecutionTrace as the contract's JSON (event-format.md, section 2).
// Deterministic: the same trace gives the same bytes.
#pragma once

#include <string>

#include "extrace/trace.h"

namespace extrace {

std::string TraceToJson(const ExecutionTrace& trace);
void AppendTraceJson(std::string& out, const ExecutionTrace& trace);

}  // namespace extrace
