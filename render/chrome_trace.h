// The Chrome trace export of a projected run (`extrace export --format
// chrome`): the JSON object form {"traceEvents": [...]} that Perfetto and
// chrome://tracing load. What goes in and the choices made where the format
// leaves room: schema/README.md, "Exports". Pure function; any thread.
#pragma once

#include <string>

#include "extrace/trace.h"

namespace extrace {

// One complete event ("X") for the run and for every node and child run that
// started, parents first; nested groups stack on one track (tid) and nodes
// that overlap without being nested go onto further tracks, so that the X
// events of every track nest properly. Also: process and thread names ("M"),
// the run's overall progress as a counter ("C"), and instants ("i") for the
// run's start and end and every error. Times are integer microseconds since
// the epoch. Ends with a line break.
std::string RenderChromeTrace(const ExecutionTrace& trace);

}  // namespace extrace
