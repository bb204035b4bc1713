// The run header: the members that describe one run (executionId, rootNodeId,
// status, startTime, endTime, duration, eventCount, progress, parent) in every
// JSON document that has them: the ExecutionTrace (query/trace_json.cc), and in
// render/ the list, bottlenecks and history documents and the HTML report's
// data. One writer owns the members' names and how their values are written;
// each document names the members it has, in its order, and how it writes what
// is unknown, since each document's shape is published (schema/README.md).
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string_view>

#include "extrace/trace.h"
#include "format/json_text.h"
#include "storage/event_store.h"

namespace extrace {

// What is known of a run. Views into the trace or summary it was made from.
struct RunHeader {
  std::string_view execution_id;
  std::string_view root_node_id;  // empty: no `started` seen
  std::string_view root_node_name;
  RunStatus status = RunStatus::kIncomplete;
  std::optional<int64_t> start_us;
  std::optional<int64_t> end_us;
  std::optional<int64_t> duration_us;
  int64_t event_count = 0;
  int progress = 0;                      // overall, 0-100
  std::string_view parent_execution_id;  // empty: not a child run
  std::string_view parent_node_id;
};

// Every member but event_count, which a trace does not count.
RunHeader RunHeaderOf(const ExecutionTrace& trace);
// Every member but root_node_name and progress, which the summaries do not hold;
// the duration is known once both ends are.
RunHeader RunHeaderOf(const RunSummary& run);

// The members, each written under one name: executionId, rootNodeId,
// rootNodeName, status, startTime, endTime, duration, eventCount, progress,
// parentExecutionId, parentNodeId.
enum class RunField {
  kExecutionId,
  kRootNodeId,
  kRootNodeName,
  kStatus,
  kStartTime,
  kEndTime,
  kDuration,
  kEventCount,
  kProgress,
  kParentExecutionId,
  kParentNodeId,
};

// How a document writes the members it does not know (an unknown time, an
// empty id).
enum class RunUnknowns {
  // null (list, bottlenecks, history).
  kNull,
  // Times and the parent pair left out, rootNodeId "" (the contract's
  // ExecutionTrace, where rootNodeId is required and the rest optional).
  kLeftOut,
  // Times null, ids as they are ("") (the HTML report's data).
  kNullTimes,
};

// Writes `fields` of `run` as members of the object open in `w`, in that order.
void WriteRunHeader(JsonWriter& w, const RunHeader& run, std::initializer_list<RunField> fields,
                    RunUnknowns unknowns);

}  // namespace extrace
