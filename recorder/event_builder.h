// Builds the Events the recorder stores, with their data in canonical JSON:
// the same events the JSON Lines format describes. The Append*Data functions
// write into a caller's string so that the writer thread can reuse its buffers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "extrace/event.h"
#include "extrace/recorder.h"
#include "extrace/status.h"

namespace extrace::recorder {

// Microseconds since the Unix epoch (CLOCK_REALTIME): what events carry.
int64_t NowMicros();
std::string NewExecutionId();

// NaN -> 0, then clamped to [0, 100].
double ClampProgress(double progress);

// Checks an execution id as the format does: 1 to 256 characters (UTF-8).
[[nodiscard]] Status CheckExecutionId(std::string_view execution_id);

// Each replaces `out` with the event type's `data` object.
void StateChangeData(NodeState state, std::string_view error_message, std::string& out);
void ProgressData(double progress, std::string_view message, std::string& out);
void ErrorData(std::string_view message, std::string& out);

// Validates the graph and config exactly as ingest would.
[[nodiscard]] Result<Event> StartedEvent(const RunStart& run, const std::string& execution_id);
Event ProgressEvent(const std::string& execution_id, const std::string& node_id, double progress,
                    std::string_view message);

}  // namespace extrace::recorder
