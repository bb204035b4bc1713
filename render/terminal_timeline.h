// The terminal timeline (`extrace show ID --timeline`): a Gantt chart of one
// run as text, one row per node in tree order (groups indented, child runs
// inside their group node), bars on a time axis scaled to a given width.
// A pure function of the trace, so it can be tested without a terminal;
// thread-safe.
#pragma once

#include <string>

#include "extrace/trace.h"

namespace extrace {

// Narrower widths are drawn at this width: below it the bars have no room.
inline constexpr int kMinTimelineWidth = 40;

// Every line of the result (each ends with '\n') is at most `width` terminal
// cells wide, counting UTF-8 code points. With `use_colour` the bars and state
// markers carry ANSI colours; without it there is no escape sequence at all
// and the state reads from the marker after each bar (✗ error, ~ skipped,
// … open, · pending). An open node (executing when the log stops) extends to
// the end of the axis: the run's end, or its last event while it has none.
std::string RenderTerminalTimeline(const ExecutionTrace& trace, int width, bool use_colour);

}  // namespace extrace
