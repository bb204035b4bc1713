// Writing events as JSON Lines in the input format (event format v1, section 1):
// what `extrace events` prints and `extrace ingest` takes back as duplicates.
#pragma once

#include <string>

#include "extrace/event.h"

namespace extrace {

// Appends `event` as one line: {executionId, seq, timestamp, type, nodeId?, data}
// and a line break. `data_json` must be canonical JSON object text (empty: {}).
void AppendEventLine(std::string& out, const Event& event);

}  // namespace extrace
