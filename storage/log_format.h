// The event log's stored format in one place: schema version and the codes the
// rows hold. The grammar is written down in schema/README.md.
#pragma once

#include <cstdint>

#include "extrace/event.h"
#include "storage/schema_sql.h"

namespace extrace::log_format {

// Event types and node states are stored as their enum codes (event.h).
inline int64_t Code(EventType type) { return static_cast<int64_t>(type); }
inline int64_t Code(NodeState state) { return static_cast<int64_t>(state); }
inline bool IsEventTypeCode(int64_t code) { return code >= 1 && code <= 5; }

}  // namespace extrace::log_format
