// `extrace history --json`: see history_json.h.
#include "render/history_json.h"

#include <cmath>
#include <cstdint>
#include <optional>

#include "format/json_text.h"
#include "query/run_header_json.h"

namespace extrace {
namespace {

void WriteSummary(JsonWriter& w, const FlowHistory& history) {
  const int64_t runs = static_cast<int64_t>(history.runs.size());
  w.BeginObject();
  w.Key("runs");
  w.Int(runs);
  w.Key("completed");
  w.Int(runs - history.failed_runs - history.incomplete_runs);
  w.Key("failed");
  w.Int(history.failed_runs);
  w.Key("incomplete");
  w.Int(history.incomplete_runs);
  w.Key("p50");
  w.MillisOrNull(history.run_stats.p50_us);
  w.Key("p95");
  w.MillisOrNull(history.run_stats.p95_us);
  w.Key("max");
  w.MillisOrNull(history.run_stats.max_us);
  w.EndObject();
}

void WriteNode(JsonWriter& w, const NodeHistory& node) {
  w.BeginObject();
  w.Key("nodeId");
  w.String(node.node_id);
  w.Key("nodeName");
  w.String(node.name);
  w.Key("parentId");
  w.StringOrNull(node.parent_id);
  w.Key("depth");
  w.Int(node.depth);
  w.Key("group");
  w.Bool(node.group);
  w.Key("runs");
  w.Int(node.runs);
  w.Key("failures");
  w.Int(node.failures);
  w.Key("samples");
  w.Int(node.stats.samples);
  w.Key("p50");
  w.MillisOrNull(node.stats.p50_us);
  w.Key("p95");
  w.MillisOrNull(node.stats.p95_us);
  w.Key("max");
  w.MillisOrNull(node.stats.max_us);
  w.Key("latest");
  w.MillisOrNull(node.latest_us);
  w.Key("latestState");
  w.StringOrNull(node.latest_state ? NodeStateName(*node.latest_state) : "");
  w.Key("latestRank");
  std::optional<double> rank;
  if (node.latest_rank) rank = std::round(*node.latest_rank * 10) / 10;  // 0.1 is precise enough
  w.DoubleOrNull(rank);
  w.Key("durations");
  w.BeginArray();
  for (const NodeSample& sample : node.samples) w.MillisOrNull(sample.duration_us);
  w.EndArray();
  w.EndObject();
}

}  // namespace

std::string HistoryJson(const FlowHistory& history, int last) {
  std::string out;
  JsonWriter w(out);
  w.BeginObject();
  w.Key("flow");
  w.String(history.flow);
  w.Key("last");
  w.Int(last);
  w.Key("summary");
  WriteSummary(w, history);
  w.Key("runs");
  w.BeginArray();
  for (const HistoryRun& run : history.runs) {
    RunHeader header;
    header.execution_id = run.execution_id;
    header.status = run.status;
    header.start_us = run.start_us;
    header.duration_us = run.duration_us;
    w.BeginObject();
    WriteRunHeader(
        w, header,
        {RunField::kExecutionId, RunField::kStartTime, RunField::kDuration, RunField::kStatus},
        RunUnknowns::kNull);
    w.EndObject();
  }
  w.EndArray();
  w.Key("nodes");
  w.BeginArray();
  for (const NodeHistory& node : history.nodes) WriteNode(w, node);
  w.EndArray();
  w.EndObject();
  return out;
}

}  // namespace extrace
