// `extrace bottlenecks --json`: see bottlenecks_json.h.
#include "render/bottlenecks_json.h"

#include <cstdint>
#include <optional>

#include "format/json_text.h"
#include "query/run_header_json.h"

namespace extrace {
namespace {

void WriteNodeCost(JsonWriter& w, const TreeNode& node, const NodeCost& cost) {
  w.BeginObject();
  w.Key("nodeId");
  w.String(node.timing.node_id);
  w.Key("path");
  w.String(node.path);
  w.Key("nodeName");
  w.String(node.timing.name);
  w.Key("executionId");
  w.String(node.execution_id);
  w.Key("kind");
  w.String(node.IsGroup() ? "group" : "leaf");
  w.Key("state");
  w.String(NodeStateName(node.timing.state));
  w.Key("startTime");
  w.MillisOrNull(cost.start_us);
  w.Key("endTime");
  w.MillisOrNull(cost.end_us);
  w.Key("totalTime");
  w.MillisOrNull(cost.total_us);
  // Self time and share mean nothing for a node that never started.
  w.Key("selfTime");
  w.MillisOrNull(cost.total_us ? std::optional<int64_t>(cost.self_us) : std::nullopt);
  w.Key("childrenTime");
  w.MillisOrNull(cost.children_us);
  w.Key("share");
  w.DecimalOrNull(cost.total_us ? std::optional<double>(cost.share) : std::nullopt, 4);
  w.Key("slack");
  w.MillisOrNull(cost.slack_us);
  w.Key("onCriticalPath");
  w.Bool(cost.on_critical_path);
  w.Key("open");
  w.Bool(cost.open);
  w.EndObject();
}

void WriteStall(JsonWriter& w, const Stall& s) {
  w.BeginObject();
  w.Key("nodeId");
  w.String(s.node_id);
  w.Key("start");
  w.Millis(s.start_us);
  w.Key("gap");
  w.Millis(s.gap_us);
  w.Key("from");
  w.String(s.from);
  w.Key("to");
  w.String(s.to);
  w.Key("fromSeq");
  w.Int(s.from_seq);
  w.Key("toSeq");
  w.Int(s.to_seq);
  w.EndObject();
}

void WriteOpenNode(JsonWriter& w, const TreeNode& node, const OpenNode& open) {
  w.BeginObject();
  w.Key("nodeId");
  w.String(node.timing.node_id);
  w.Key("nodeName");
  w.String(node.timing.name);
  w.Key("state");
  w.String(NodeStateName(node.timing.state));
  w.Key("progress");
  w.DecimalOrNull(node.timing.progress, 6);
  w.Key("lastEvent");
  w.MillisOrNull(open.last_event_us);
  w.Key("silentFor");
  w.MillisOrNull(open.last_event_us ? std::optional<int64_t>(open.silent_us) : std::nullopt);
  w.EndObject();
}

}  // namespace

std::string BottlenecksJson(const RunTree& tree, const BottleneckReport& r, size_t top) {
  std::string out;
  JsonWriter w(out);
  w.BeginObject();
  RunHeader run;
  run.execution_id = r.execution_id;
  run.root_node_id = tree.run.root_node_id;
  run.status = r.status;
  run.start_us = r.start_us;
  run.end_us = r.end_us;
  WriteRunHeader(w, run,
                 {RunField::kExecutionId, RunField::kRootNodeId, RunField::kStatus,
                  RunField::kStartTime, RunField::kEndTime},
                 RunUnknowns::kNull);
  w.Key("runDuration");
  w.Millis(r.run_duration_us);
  w.Key("coveredTime");
  w.Millis(r.covered_us);
  w.Key("runSelfTime");
  w.Millis(r.run_self_us);
  w.Key("nodes");
  w.BeginArray();
  for (size_t i = 0; i < r.nodes.size() && i < top; ++i)
    WriteNodeCost(w, tree.nodes[r.nodes[i].node], r.nodes[i]);
  w.EndArray();
  w.Key("criticalPath");
  w.BeginArray();
  for (size_t index : r.critical_path) w.String(tree.nodes[index].path);
  w.EndArray();
  w.Key("stalls");
  w.BeginArray();
  for (size_t i = 0; i < r.stalls.size() && i < top; ++i) WriteStall(w, r.stalls[i]);
  w.EndArray();
  w.Key("openNodes");
  w.BeginArray();
  for (const OpenNode& open : r.open_nodes) WriteOpenNode(w, tree.nodes[open.node], open);
  w.EndArray();
  w.Key("diagnostics");
  w.Strings(r.diagnostics);
  w.EndObject();
  return out;
}

}  // namespace extrace
