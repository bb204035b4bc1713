// ExecutionTrace -> JSON: see trace_json.h. Times are written by JsonWriter::Millis,
// plain decimal milliseconds exact to the microsecond.
#include "query/trace_json.h"

#include "format/json_text.h"
#include "query/run_header_json.h"

namespace extrace {
namespace {

// Hands the text written so far to the sink once it is large, so a big run is
// written out piece by piece instead of as one string.
class Spill {
 public:
  Spill(std::string& out, const TraceJsonSink* sink) : out_(out), sink_(sink) {}
  void MaybeFlush() {
    if (sink_ != nullptr && out_.size() >= kChunk) Flush();
  }
  void Flush() {
    if (sink_ == nullptr || out_.empty()) return;
    (*sink_)(out_);
    out_.clear();
  }

 private:
  static constexpr size_t kChunk = 1 << 20;
  std::string& out_;
  const TraceJsonSink* sink_;
};

void WriteEvents(JsonWriter& w, Spill& spill, const std::vector<TraceEvent>& events) {
  w.BeginArray();
  for (const TraceEvent& event : events) {
    spill.MaybeFlush();
    w.BeginObject();
    w.Key("timestamp");
    w.Millis(event.timestamp_us);
    w.Key("type");
    w.String(EventTypeName(event.type));
    w.Key("data");
    w.Raw(event.data_json.empty() ? std::string_view("{}") : std::string_view(event.data_json));
    w.EndObject();
  }
  w.EndArray();
}

void WriteNode(JsonWriter& w, Spill& spill, const NodeTrace& node) {
  w.BeginObject();
  w.Key("nodeId");
  w.String(node.node_id);
  w.Key("nodeName");
  w.String(node.node_name);
  w.Key("nodeType");
  w.String(node.node_type);
  w.Key("startTime");
  w.Millis(node.start_us);
  if (node.end_us) {
    w.Key("endTime");
    w.Millis(*node.end_us);
  }
  if (node.duration_us) {
    w.Key("duration");
    w.Millis(*node.duration_us);
  }
  w.Key("state");
  w.String(NodeStateName(node.state));
  w.Key("progress");
  w.Double(node.progress);
  w.Key("events");
  WriteEvents(w, spill, node.events);
  if (node.has_child_traces) {
    w.Key("childTraces");
    w.BeginArray();
    for (const NodeTrace& child : node.child_traces) WriteNode(w, spill, child);
    w.EndArray();
  }
  if (!node.child_execution_id.empty()) {
    w.Key("executionId");
    w.String(node.child_execution_id);
  }
  w.EndObject();
}

void WriteTrace(std::string& out, const ExecutionTrace& trace, const TraceJsonSink* sink) {
  Spill spill(out, sink);
  JsonWriter w(out);
  w.BeginObject();
  WriteRunHeader(w, RunHeaderOf(trace),
                 {RunField::kExecutionId, RunField::kRootNodeId, RunField::kStatus,
                  RunField::kStartTime, RunField::kEndTime, RunField::kDuration,
                  RunField::kProgress, RunField::kParentExecutionId, RunField::kParentNodeId},
                 RunUnknowns::kLeftOut);
  w.Key("config");
  w.Raw(trace.config_json);
  w.Key("events");
  WriteEvents(w, spill, trace.events);
  w.Key("nodes");
  w.BeginArray();
  for (const NodeTrace& node : trace.nodes) WriteNode(w, spill, node);
  w.EndArray();
  if (!trace.diagnostics.empty()) {
    w.Key("diagnostics");
    w.BeginArray();
    for (const std::string& text : trace.diagnostics) w.String(text);
    w.EndArray();
    w.Key("diagnosticCounts");
    w.BeginArray();
    for (const DiagnosticCount& row : trace.diagnostic_counts) {
      w.BeginObject();
      w.Key("kind");
      w.String(DiagnosticKindName(row.kind));
      w.Key("count");
      w.Int(row.count);
      w.Key("example");
      w.String(row.example);
      w.EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
}

}  // namespace

void AppendTraceJson(std::string& out, const ExecutionTrace& trace) {
  WriteTrace(out, trace, nullptr);
}

std::string TraceToJson(const ExecutionTrace& trace) {
  std::string out;
  AppendTraceJson(out, trace);
  return out;
}

void StreamTraceJson(const ExecutionTrace& trace, const TraceJsonSink& sink) {
  std::string out;
  WriteTrace(out, trace, &sink);
  out.push_back('\n');
  sink(out);
}

}  // namespace extrace
