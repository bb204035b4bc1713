// The data of a projected event as the contract shapes it (event-format.md,
// section 2), rewritten from the data that came in: node events, run-level
// state-changes, the completed summary. Pure functions of their arguments.
// The run-level progress event, which needs the projection's state, stays in
// the projector.
#pragma once

#include <cstdint>
#include <string>

#include "extrace/event.h"
#include "query/data_members.h"

namespace extrace {

// A node event's data as it came in; "{}" when it had none.
std::string NodeEventData(const Event& event);

// Whether a progress event has a message: not when it came without one or with null.
bool HasMessage(const DataMembers& data);

// The contract's node event data `{ progress, message }`: `message` is always
// there, "" when none came in. With a message the data stays as it came;
// without, `progress` and `message` lead and the other fields follow in order.
std::string NodeProgressData(const Event& event, const DataMembers& data);

// A run-level state-change's data: `nodeId` first, then what came in.
std::string WithNodeId(const std::string& node_id, const DataMembers& data);

// The completed event's data: the computed summary (`totalDuration`,
// `nodesCompleted`, `nodesErrored`) merged with what came in.
std::string CompletedData(int64_t total_duration_us, int64_t nodes_completed, int64_t nodes_errored,
                          const DataMembers& data);

}  // namespace extrace
