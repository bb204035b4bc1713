// The HTML report's data: see report_json.h. What the page draws from it and
// how lives in render/report_assets/report.js.
#include "render/report_json.h"

#include <algorithm>
#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "format/event_json.h"
#include "format/json_text.h"
#include "query/run_header_json.h"

namespace extrace {
namespace {

// Bounds that keep the page small for runs with very chatty nodes: a node's
// tooltip and curve need its first and last events, not every one of them.
constexpr size_t kMaxEventsPerNode = 400;
constexpr size_t kMaxCurvePoints = 4000;

std::string StringMember(const boost::json::object& data, std::string_view key) {
  const auto* value = data.if_contains(key);
  return value && value->is_string() ? std::string(value->get_string()) : std::string();
}

std::optional<double> NumberMember(const boost::json::object& data, std::string_view key) {
  const auto* value = data.if_contains(key);
  if (!value || !value->is_number()) return std::nullopt;
  return value->to_number<double>();
}

std::optional<int64_t> Relative(const std::optional<int64_t>& at, int64_t base) {
  if (!at) return std::nullopt;
  return *at - base;
}

// One event as the page shows it: [time since the run's start, label,
// progress or null, message?]. Progress is the node's own for a node, the
// child run's overall progress for a node that stands for a child run, and
// 100 at a completion (so the node's curve ends at the top).
struct EventRow {
  int64_t at_us = 0;
  std::string label;
  std::optional<double> value;
  std::string message;
};

EventRow NodeEventRow(const TraceEvent& event) {
  boost::json::object data = ParseDataObject(event.data_json);
  EventRow row{event.timestamp_us, {}, {}, {}};
  if (event.type == EventType::kProgress) {
    row.label = "progress";
    row.value = NumberMember(data, "progress");
    row.message = StringMember(data, "message");
  } else {
    row.label = StringMember(data, "state");
    if (row.label == "completed") row.value = 100;
    row.message = StringMember(data, "errorMessage");
  }
  return row;
}

// The events of a child run (run-level data: they name the child's nodes).
EventRow RunEventRow(const TraceEvent& event) {
  boost::json::object data = ParseDataObject(event.data_json);
  EventRow row{event.timestamp_us, {}, {}, {}};
  std::string node = StringMember(data, "nodeId");
  switch (event.type) {
    case EventType::kStarted:
      row.label = "run started";
      row.value = 0;
      break;
    case EventType::kStateChange:
      row.label = node + ": " + StringMember(data, "state");
      row.message = StringMember(data, "errorMessage");
      break;
    case EventType::kProgress:
      row.label = "progress";
      row.value = NumberMember(data, "progress");
      row.message = StringMember(data, "message");
      if (!row.message.empty()) row.message = node + ": " + row.message;
      break;
    case EventType::kCompleted:
      row.label = "run completed";
      row.value = 100;
      break;
    case EventType::kError:
      row.label = "run error";
      row.message = StringMember(data, "message");
      break;
  }
  return row;
}

void WriteEventRow(JsonWriter& w, const EventRow& row, int64_t base) {
  w.BeginArray();
  w.Millis(row.at_us - base);
  w.String(row.label);
  w.DoubleOrNull(row.value);
  if (!row.message.empty()) w.String(row.message);
  w.EndArray();
}

// The projected node behind each row of a RunTree: the run holding a node plus
// its id, or the child run's id alone for the node that stands for a child run.
class TraceIndex {
 public:
  explicit TraceIndex(const ExecutionTrace& trace) { Add(trace.execution_id, trace.nodes); }

  const NodeTrace* Find(const TreeNode& node) const {
    auto it = nodes_.find(Key(node.execution_id, node.child_run ? "" : node.timing.node_id));
    return it == nodes_.end() ? nullptr : it->second;
  }

 private:
  static std::string Key(std::string_view execution_id, std::string_view node_id) {
    std::string key(execution_id);
    key.push_back('\0');
    key += node_id;
    return key;
  }

  void Add(const std::string& execution_id, const std::vector<NodeTrace>& nodes) {
    for (const NodeTrace& node : nodes) {
      if (node.child_execution_id.empty()) {
        nodes_.emplace(Key(execution_id, node.node_id), &node);
        Add(execution_id, node.child_traces);
      } else {
        nodes_.emplace(Key(node.child_execution_id, ""), &node);
        Add(node.child_execution_id, node.child_traces);
      }
    }
  }

  std::unordered_map<std::string, const NodeTrace*> nodes_;
};

void WriteEvents(JsonWriter& w, const std::vector<EventRow>& rows, int64_t base) {
  size_t keep_head = rows.size() <= kMaxEventsPerNode ? rows.size() : kMaxEventsPerNode / 2;
  size_t tail_from = rows.size() <= kMaxEventsPerNode ? rows.size() : rows.size() - keep_head;
  w.Key("ev");
  w.BeginArray();
  for (size_t i = 0; i < keep_head; ++i) WriteEventRow(w, rows[i], base);
  for (size_t i = tail_from; i < rows.size(); ++i) WriteEventRow(w, rows[i], base);
  w.EndArray();
  if (tail_from > keep_head) {
    w.Key("evOmitted");
    w.Int(static_cast<int64_t>(tail_from - keep_head));
  }
}

// Fields of a row from the bottleneck analysis (matched by tree index).
void WriteCost(JsonWriter& w, const NodeCost& cost) {
  w.Key("total");
  w.MillisOrNull(cost.total_us);
  w.Key("self");
  w.MillisOrNull(cost.total_us ? std::optional<int64_t>(cost.self_us) : std::nullopt);
  w.Key("share");
  w.DoubleOrNull(cost.total_us ? std::optional<double>(cost.share) : std::nullopt);
  w.Key("slack");
  w.MillisOrNull(cost.slack_us);
  w.Key("crit");
  w.Bool(cost.on_critical_path);
  w.Key("open");
  w.Bool(cost.open);
}

void WriteRow(JsonWriter& w, const TreeNode& node, size_t parent, const NodeTrace* projected,
              const NodeCost* cost, int64_t base) {
  const NodeTiming& t = node.timing;
  w.BeginObject();
  w.Key("id");
  w.String(t.node_id);
  w.Key("name");
  w.String(t.name);
  w.Key("type");
  w.String(t.type);
  w.Key("path");
  w.String(node.path);
  w.Key("depth");
  w.Int(t.depth);
  w.Key("parent");
  w.Int(parent == SIZE_MAX ? -1 : static_cast<int64_t>(parent));
  w.Key("group");
  w.Bool(node.IsGroup());
  w.Key("state");
  w.String(NodeStateName(t.state));
  w.Key("start");
  w.MillisOrNull(Relative(t.start_us, base));
  w.Key("end");
  w.MillisOrNull(Relative(t.end_us, base));
  w.Key("progress");
  w.DoubleOrNull(t.progress);
  std::vector<EventRow> events;
  if (projected)
    for (const TraceEvent& e : projected->events)
      events.push_back(node.child_run ? RunEventRow(e) : NodeEventRow(e));
  std::string error = t.error_message;
  if (error.empty() && t.state == NodeState::kError)
    for (const EventRow& e : events)
      if (!e.message.empty() && (e.label == "error" || e.label == "run error")) error = e.message;
  w.Key("error");
  w.String(error);
  if (node.child_run) {
    w.Key("childRun");
    w.String(node.execution_id);
  }
  if (cost) WriteCost(w, *cost);
  WriteEvents(w, events, base);
  w.EndObject();
}

// The run's overall progress after each of its progress events, from 0 at
// its start (thinned evenly past kMaxCurvePoints, the last point kept).
std::vector<std::pair<int64_t, double>> ProgressCurve(const ExecutionTrace& trace) {
  std::vector<std::pair<int64_t, double>> points{{trace.start_us, 0.0}};
  for (const TraceEvent& event : trace.events) {
    if (event.type != EventType::kProgress) continue;
    if (auto value = NumberMember(ParseDataObject(event.data_json), "progress"))
      points.emplace_back(event.timestamp_us, *value);
  }
  // State-changes after the last progress event move the overall progress
  // too: the curve ends at the run's final value, at its end (or last event).
  int64_t last = trace.end_us.value_or(trace.events.empty() ? trace.start_us
                                                            : trace.events.back().timestamp_us);
  if (points.back().second != trace.overall_progress)
    points.emplace_back(std::max(last, points.back().first), trace.overall_progress);
  if (points.size() <= kMaxCurvePoints) return points;
  std::vector<std::pair<int64_t, double>> thinned;
  size_t stride = (points.size() + kMaxCurvePoints - 1) / kMaxCurvePoints;
  for (size_t i = 0; i < points.size(); i += stride) thinned.push_back(points[i]);
  if (thinned.back() != points.back()) thinned.push_back(points.back());
  return thinned;
}

void WriteRun(JsonWriter& w, const ReportRun& run) {
  const ExecutionTrace& trace = run.trace;
  const BottleneckReport& report = run.bottlenecks;
  const int64_t base = trace.start_us;
  RunHeader header = RunHeaderOf(trace);
  header.event_count = static_cast<int64_t>(trace.events.size());
  w.BeginObject();
  WriteRunHeader(w, header,
                 {RunField::kExecutionId, RunField::kRootNodeId, RunField::kRootNodeName,
                  RunField::kStatus, RunField::kStartTime, RunField::kEndTime, RunField::kDuration},
                 RunUnknowns::kNullTimes);
  w.Key("horizon");
  w.Millis(report.horizon_us - base);
  WriteRunHeader(w, header,
                 {RunField::kEventCount, RunField::kProgress, RunField::kParentExecutionId},
                 RunUnknowns::kNullTimes);
  w.Key("runDuration");
  w.Millis(report.run_duration_us);
  w.Key("covered");
  w.Millis(report.covered_us);
  w.Key("runSelf");
  w.Millis(report.run_self_us);

  w.Key("curve");
  w.BeginArray();
  for (const auto& [at, value] : ProgressCurve(trace)) {
    w.BeginArray();
    w.Millis(at - base);
    w.Double(value);
    w.EndArray();
  }
  w.EndArray();

  const RunTree& tree = run.tree;
  std::vector<size_t> parent(tree.nodes.size(), SIZE_MAX);
  for (size_t i = 0; i < tree.nodes.size(); ++i)
    for (size_t child : tree.nodes[i].timing.children) parent[child] = i;
  std::vector<const NodeCost*> costs(tree.nodes.size(), nullptr);
  for (const NodeCost& cost : report.nodes)
    if (cost.node < costs.size()) costs[cost.node] = &cost;
  TraceIndex index(trace);
  w.Key("rows");
  w.BeginArray();
  for (size_t i = 0; i < tree.nodes.size(); ++i)
    WriteRow(w, tree.nodes[i], parent[i], index.Find(tree.nodes[i]), costs[i], base);
  w.EndArray();

  w.Key("bottleneckOrder");
  w.BeginArray();
  for (const NodeCost& cost : report.nodes) w.Int(static_cast<int64_t>(cost.node));
  w.EndArray();
  w.Key("criticalPath");
  w.BeginArray();
  for (size_t node : report.critical_path) w.Int(static_cast<int64_t>(node));
  w.EndArray();
  w.Key("stalls");
  w.BeginArray();
  for (const Stall& stall : report.stalls) {
    w.BeginObject();
    w.Key("nodeId");
    w.String(stall.node_id);
    w.Key("start");
    w.Millis(stall.start_us - base);
    w.Key("gap");
    w.Millis(stall.gap_us);
    w.Key("between");
    w.String(stall.from + " -> " + stall.to);
    w.EndObject();
  }
  w.EndArray();
  std::vector<std::string> diagnostics = trace.diagnostics;
  diagnostics.insert(diagnostics.end(), report.diagnostics.begin(), report.diagnostics.end());
  w.Key("diagnostics");
  w.Strings(diagnostics);
  w.EndObject();
}

void WriteComparison(JsonWriter& w, const RunComparison& c) {
  w.BeginObject();
  w.Key("durationA");
  w.MillisOrNull(c.duration_a_us);
  w.Key("durationB");
  w.MillisOrNull(c.duration_b_us);
  w.Key("delta");
  w.MillisOrNull(c.duration_delta_us);
  w.Key("sameFlow");
  w.Bool(c.SameFlow());
  w.Key("nodes");
  w.BeginArray();
  for (const NodeDelta& node : c.nodes) {
    w.BeginObject();
    w.Key("path");
    w.String(node.path);
    w.Key("name");
    w.String(node.name);
    w.Key("group");
    w.Bool(node.group);
    w.Key("a");
    w.MillisOrNull(node.duration_a_us);
    w.Key("b");
    w.MillisOrNull(node.duration_b_us);
    w.Key("delta");
    w.MillisOrNull(node.delta_us);
    w.Key("ratio");
    w.DoubleOrNull(node.ratio);
    w.Key("stateA");
    w.StringOrNull(node.state_a ? NodeStateName(*node.state_a) : "");
    w.Key("stateB");
    w.StringOrNull(node.state_b ? NodeStateName(*node.state_b) : "");
    w.EndObject();
  }
  w.EndArray();
  w.Key("diagnostics");
  w.Strings(c.diagnostics);
  w.EndObject();
}

}  // namespace

std::string RunReportTitle(const ExecutionTrace& trace) {
  std::string flow = trace.root_node_name.empty() ? trace.root_node_id : trace.root_node_name;
  return "extrace report: " + (flow.empty() ? std::string("run") : flow) + " " + trace.execution_id;
}

std::string CompareReportTitle(const ExecutionTrace& a, const ExecutionTrace& b) {
  return "extrace compare: " + a.execution_id + " vs " + b.execution_id;
}

std::string RunReportJson(const ReportRun& run) {
  std::string data;
  JsonWriter w(data);
  w.BeginObject();
  w.Key("version");
  w.Int(1);
  w.Key("mode");
  w.String("run");
  w.Key("title");
  w.String(RunReportTitle(run.trace));
  w.Key("runs");
  w.BeginArray();
  WriteRun(w, run);
  w.EndArray();
  w.EndObject();
  return data;
}

std::string CompareReportJson(const ReportRun& a, const ReportRun& b,
                              const RunComparison& comparison) {
  std::string data;
  JsonWriter w(data);
  w.BeginObject();
  w.Key("version");
  w.Int(1);
  w.Key("mode");
  w.String("compare");
  w.Key("title");
  w.String(CompareReportTitle(a.trace, b.trace));
  w.Key("runs");
  w.BeginArray();
  WriteRun(w, a);
  WriteRun(w, b);
  w.EndArray();
  w.Key("comparison");
  WriteComparison(w, comparison);
  w.EndObject();
  return data;
}

}  // namespace extrace
