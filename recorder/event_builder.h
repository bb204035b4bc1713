// Builds the Events the recorder enqueues, with their data in canonical JSON:
// the same events the JSON Lines format describes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "extrace/event.h"
#include "extrace/recorder.h"
#include "extrace/status.h"

namespace extrace::recorder {

int64_t NowMicros();
std::string NewExecutionId();

// Validates the graph and config exactly as ingest would.
Result<Event> StartedEvent(const RunStart& run, const std::string& execution_id);
Event StateChangeEvent(const std::string& execution_id, const std::string& node_id, NodeState state,
                       std::string_view error_message);
Event ProgressEvent(const std::string& execution_id, const std::string& node_id, double progress,
                    std::string_view message);
Event CompletedEvent(const std::string& execution_id);
Event ErrorEvent(const std::string& execution_id, std::string_view message);

}  // namespace extrace::recorder
