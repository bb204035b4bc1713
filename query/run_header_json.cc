// The run header's one writer: see run_header_json.h.
#include "query/run_header_json.h"

namespace extrace {
namespace {

void WriteId(JsonWriter& w, std::string_view key, std::string_view id, RunUnknowns unknowns) {
  w.Key(key);
  if (unknowns == RunUnknowns::kNull)
    w.StringOrNull(id);
  else
    w.String(id);
}

void WriteTime(JsonWriter& w, std::string_view key, const std::optional<int64_t>& micros,
               RunUnknowns unknowns) {
  if (!micros && unknowns == RunUnknowns::kLeftOut) return;
  w.Key(key);
  w.MillisOrNull(micros);
}

}  // namespace

RunHeader RunHeaderOf(const ExecutionTrace& trace) {
  RunHeader run;
  run.execution_id = trace.execution_id;
  run.root_node_id = trace.root_node_id;
  run.root_node_name = trace.root_node_name;
  run.status = trace.status;
  run.start_us = trace.start_us;
  run.end_us = trace.end_us;
  run.duration_us = trace.duration_us;
  run.progress = trace.overall_progress;
  run.parent_execution_id = trace.parent_execution_id;
  run.parent_node_id = trace.parent_node_id;
  return run;
}

RunHeader RunHeaderOf(const RunSummary& summary) {
  RunHeader run;
  run.execution_id = summary.execution_id;
  run.root_node_id = summary.root_node_id;
  run.status = summary.status;
  run.start_us = summary.start_us;
  run.end_us = summary.end_us;
  if (summary.start_us && summary.end_us) run.duration_us = *summary.end_us - *summary.start_us;
  run.event_count = summary.event_count;
  run.parent_execution_id = summary.parent_execution_id;
  run.parent_node_id = summary.parent_node_id;
  return run;
}

void WriteRunHeader(JsonWriter& w, const RunHeader& run, std::initializer_list<RunField> fields,
                    RunUnknowns unknowns) {
  // A run that is no child run has neither member of the parent pair.
  const bool left_out_parent = unknowns == RunUnknowns::kLeftOut && run.parent_execution_id.empty();
  for (RunField field : fields) {
    switch (field) {
      case RunField::kExecutionId:
        w.Key("executionId");
        w.String(run.execution_id);
        break;
      case RunField::kRootNodeId:
        WriteId(w, "rootNodeId", run.root_node_id, unknowns);
        break;
      case RunField::kRootNodeName:
        WriteId(w, "rootNodeName", run.root_node_name, unknowns);
        break;
      case RunField::kStatus:
        w.Key("status");
        w.String(RunStatusName(run.status));
        break;
      case RunField::kStartTime:
        WriteTime(w, "startTime", run.start_us, unknowns);
        break;
      case RunField::kEndTime:
        WriteTime(w, "endTime", run.end_us, unknowns);
        break;
      case RunField::kDuration:
        WriteTime(w, "duration", run.duration_us, unknowns);
        break;
      case RunField::kEventCount:
        w.Key("eventCount");
        w.Int(run.event_count);
        break;
      case RunField::kProgress:
        w.Key("progress");
        w.Int(run.progress);
        break;
      case RunField::kParentExecutionId:
        if (!left_out_parent) WriteId(w, "parentExecutionId", run.parent_execution_id, unknowns);
        break;
      case RunField::kParentNodeId:
        if (!left_out_parent) WriteId(w, "parentNodeId", run.parent_node_id, unknowns);
        break;
    }
  }
}

}  // namespace extrace
