// The projector: see projector.h. It replays the run's events in seq order
// over a table of the declared nodes, then builds the hierarchy, deriving the
// state and times of group nodes that send no state-changes of their own from
// their children (what such a node sent itself, its progress, stays its own).
// Beside it: reading an event's data (data_members.h), the contract's shape of
// each projected event's data (projected_event_data.h), and child runs as
// nodes (child_run_node.h).
#include "query/projector.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <unordered_map>

#include "format/event_json.h"
#include "format/json_text.h"
#include "format/run_status.h"
#include "query/child_run_node.h"
#include "query/data_members.h"
#include "query/group_derivation.h"
#include "query/projected_event_data.h"

namespace extrace {
namespace {

constexpr size_t kNone = static_cast<size_t>(-1);

struct NodeRecord {
  DeclaredNode decl;
  std::vector<size_t> children;  // declared children, declaration order
  bool has_own_state = false;
  NodeState state = NodeState::kPending;
  double last_progress = 0;
  bool executed = false;
  int64_t start_us = 0;
  int64_t last_terminal_us = 0;
  std::vector<TraceEvent> events;
};

class Projection {
 public:
  Projection(const std::string& execution_id, std::span<const Event> events,
             std::vector<ExecutionTrace> child_runs, const ProjectOptions& options)
      : events_(events), child_runs_(std::move(child_runs)), options_(options) {
    trace_.execution_id = execution_id;
  }

  ExecutionTrace Run() {
    DeclareGraph();
    trace_.events.reserve(events_.size());
    for (const Event& event : events_) Replay(event);
    StitchChildRuns();
    for (size_t index : top_level_) trace_.nodes.push_back(BuildNode(index, 1));
    AddRootChildRuns();
    trace_.status = ComputeStatus();
    trace_.overall_progress = OverallProgress();
    return std::move(trace_);
  }

 private:
  void Diagnose(DiagnosticKind kind, std::string text) {
    AddDiagnostic(trace_, kind, std::move(text));
  }

  void DeclareGraph() {
    for (const Event& event : events_) {
      if (event.type != EventType::kStarted) continue;
      started_seq_ = event.seq;
      trace_.start_us = event.timestamp_us;
      auto data = ParseDataObject(event.data_json);
      if (const auto* config = data.if_contains("config"); config && config->is_object())
        trace_.config_json = ToCanonicalJson(*config);
      auto info = ReadStartedInfo(data);
      if (!info) {
        Diagnose(DiagnosticKind::kStartedWithoutGraph,
                 fmt::format("seq {}: the started event declares no usable graph: {}", event.seq,
                             info.error().message));
        return;
      }
      trace_.root_node_id = info->root_node_id;
      trace_.parent_execution_id = info->parent_execution_id;
      trace_.parent_node_id = info->parent_node_id;
      for (auto& decl : info->nodes) {
        index_.emplace(decl.id, nodes_.size());
        NodeRecord record;
        record.decl = std::move(decl);
        nodes_.push_back(std::move(record));
      }
      // Child runs are stitched after the replay: snapshots during the replay
      // show this run's own log only.
      child_runs_of_.resize(nodes_.size());
      break;
    }
    if (started_seq_ == 0) {
      Diagnose(DiagnosticKind::kMissingStarted, "no started event: the run's graph is unknown");
      if (!events_.empty()) trace_.start_us = events_.front().timestamp_us;
      return;
    }
    root_ = index_.at(trace_.root_node_id);
    trace_.root_node_name = nodes_[root_].decl.name;
    trace_.root_node_type = nodes_[root_].decl.type;
    std::vector<size_t> parentless;
    for (size_t i = 0; i < nodes_.size(); ++i) {
      const auto& parent = nodes_[i].decl.parent_id;
      if (!parent.empty())
        nodes_[index_.at(parent)].children.push_back(i);
      else if (i != root_)
        parentless.push_back(i);
    }
    // The root's children when it has any, else the root alone; nodes declared
    // without a parent stand beside them.
    if (nodes_[root_].children.empty()) {
      top_level_.push_back(root_);
    } else {
      top_level_ = nodes_[root_].children;
    }
    top_level_.insert(top_level_.end(), parentless.begin(), parentless.end());
    // allNodes: every node of the hierarchy, in declaration order.
    for (size_t i = 0; i < nodes_.size(); ++i)
      if (i != root_ || nodes_[root_].children.empty()) all_nodes_.push_back(i);
    for (size_t i = 0; i < nodes_.size(); ++i)
      if (nodes_[i].children.empty()) leaves_.push_back(i);
  }

  size_t FindNode(const Event& event) {
    auto it = index_.find(event.node_id);
    if (it != index_.end()) return it->second;
    Diagnose(DiagnosticKind::kUndeclaredNode,
             fmt::format("seq {}: {} for undeclared node \"{}\"", event.seq,
                         EventTypeName(event.type), event.node_id));
    return kNone;
  }

  void Replay(const Event& event) {
    if (have_previous_ && event.timestamp_us < previous_us_)
      Diagnose(
          DiagnosticKind::kTimestampBackwards,
          fmt::format("seq {}: timestamp {} is earlier than the previous event's ({})", event.seq,
                      FormatMillis(event.timestamp_us), FormatMillis(previous_us_)));
    have_previous_ = true;
    previous_us_ = event.timestamp_us;
    if (end_seq_ != 0)
      Diagnose(DiagnosticKind::kEventAfterEnd,
               fmt::format("seq {}: {} event after the run ended (seq {})", event.seq,
                           EventTypeName(event.type), end_seq_));
    else if (started_seq_ != 0 && event.seq < started_seq_)
      Diagnose(DiagnosticKind::kEventBeforeStarted,
               fmt::format("seq {}: {} event before the run's started event (seq {})", event.seq,
                           EventTypeName(event.type), started_seq_));

    data_.Read(event.data_json);
    const DataMembers& data = data_;
    TraceEvent run_event{event.timestamp_us, event.type, {}};
    switch (event.type) {
      case EventType::kStarted:
        if (event.seq != started_seq_)
          Diagnose(
              DiagnosticKind::kSecondStarted,
              fmt::format("seq {}: second started event (the first is seq {}): it restarts nothing",
                          event.seq, started_seq_));
        run_event.data_json = event.data_json.empty() ? "{}" : event.data_json;
        break;
      case EventType::kStateChange: {
        size_t node = FindNode(event);
        if (node != kNone) ApplyState(nodes_[node], event, data);
        run_event.data_json = WithNodeId(event.node_id, data);
        break;
      }
      case EventType::kProgress: {
        size_t node = FindNode(event);
        if (node != kNone) ApplyProgress(nodes_[node], event, data);
        run_event.data_json = RunLevelProgress(event.node_id, data);
        break;
      }
      case EventType::kCompleted:
        if (end_seq_ == 0) End(event);
        run_event.data_json = CompletedSummary(event, data);
        break;
      case EventType::kError:
        if (end_seq_ == 0) End(event);
        run_event.data_json = event.data_json.empty() ? "{}" : event.data_json;
        break;
    }
    trace_.events.push_back(std::move(run_event));
  }

  void End(const Event& event) {
    end_seq_ = event.seq;
    end_type_ = event.type;
    trace_.end_us = event.timestamp_us;
    trace_.duration_us = event.timestamp_us - trace_.start_us;
  }

  void ApplyState(NodeRecord& node, const Event& event, const DataMembers& data) {
    std::optional<NodeState> state;
    if (auto name = data.String("state")) state = ParseNodeState(*name);
    if (!state) {
      Diagnose(DiagnosticKind::kInvalidState,
               fmt::format("seq {}: state-change without a valid state", event.seq));
      return;
    }
    node.has_own_state = true;
    node.state = *state;
    if (*state == NodeState::kExecuting && !node.executed) {
      node.executed = true;
      node.start_us = event.timestamp_us;
    }
    if (IsTerminal(*state)) node.last_terminal_us = event.timestamp_us;
    node.events.push_back({event.timestamp_us, event.type, NodeEventData(event)});
  }

  void ApplyProgress(NodeRecord& node, const Event& event, const DataMembers& data) {
    if (auto value = data.Number("progress")) node.last_progress = *value;
    node.events.push_back({event.timestamp_us, event.type, NodeProgressData(event, data)});
  }

  std::string RunLevelProgress(const std::string& node_id, const DataMembers& data) {
    std::string out;
    JsonWriter w(out);
    w.BeginObject();
    w.Key("nodeId");
    w.String(node_id);
    w.Key("progress");
    w.Int(OverallProgress());
    // Always present (the contract's shape), "" when the event had none.
    w.Key("message");
    if (HasMessage(data))
      w.Raw(data.Find("message"));
    else
      w.String("");
    if (options_.all_nodes_snapshots) WriteAllNodes(w);
    for (const auto& [key, value] : data.all()) {
      if (key == "nodeId" || key == "progress" || key == "message" || key == "allNodes") continue;
      w.Key(key);
      w.Raw(value);
    }
    w.EndObject();
    return out;
  }

  void WriteAllNodes(JsonWriter& w) {
    w.Key("allNodes");
    w.BeginArray();
    for (size_t index : all_nodes_) {
      NodeView view = View(index, 0);
      w.BeginObject();
      w.Key("id");
      w.String(nodes_[index].decl.id);
      w.Key("name");
      w.String(nodes_[index].decl.name);
      w.Key("state");
      w.String(NodeStateName(view.state));
      w.Key("progress");
      w.Double(view.progress);
      w.EndObject();
    }
    w.EndArray();
  }

  std::string CompletedSummary(const Event& event, const DataMembers& data) {
    int64_t completed = 0, errored = 0;
    for (size_t index : all_nodes_) {
      NodeState state = View(index, 0).state;
      completed += state == NodeState::kCompleted;
      errored += state == NodeState::kError;
    }
    return CompletedData(event.timestamp_us - trace_.start_us, completed, errored, data);
  }

  // Weighted over the leaves; JavaScript's Math.round (halves up). A leaf that
  // stands for child runs counts by the state derived from them once stitched.
  int OverallProgress() {
    double weighted = 0, total = 0;
    for (size_t index : leaves_) {
      const NodeRecord& leaf = nodes_[index];
      double w = leaf.decl.weight;
      total += w;
      // A leaf without child runs is what it sent (View's answer, without its cost:
      // this runs for every progress event).
      NodeState state = leaf.state;
      double progress = leaf.last_progress;
      if (!child_runs_of_[index].empty()) {
        NodeView view = View(index, 0);
        state = view.state;
        progress = view.progress;
      }
      switch (state) {
        case NodeState::kCompleted:
        case NodeState::kSkipped:
          weighted += w * 100;
          break;
        case NodeState::kExecuting:
          weighted += w * progress;
          break;
        case NodeState::kPending:
        case NodeState::kError:
          break;
      }
    }
    if (total <= 0) return 0;
    // Weights and progress are the engine's numbers: huge or infinite ones
    // must not overflow the int (undefined behaviour; found by fuzz_projector).
    const double rounded = std::floor(weighted / total + 0.5);
    if (!std::isfinite(rounded)) return 0;
    return static_cast<int>(std::clamp(rounded, -1e9, 1e9));
  }

  NodeView View(size_t index, size_t depth) {
    const NodeRecord& node = nodes_[index];
    NodeView view;
    const auto& runs = child_runs_of_[index];
    bool derived =
        !node.has_own_state && (!node.children.empty() || !runs.empty()) && depth < kMaxNodeDepth;
    if (derived) {
      std::vector<NodeView> children;
      for (size_t child : node.children) children.push_back(View(child, depth + 1));
      for (size_t run : runs) children.push_back(ViewOfChildRun(child_runs_[run]));
      view = DeriveGroup(children);
    } else {
      view.state = node.state;
      view.executed = node.executed;
      view.start_us = node.start_us;
      if (IsTerminal(node.state)) view.end_us = node.last_terminal_us;
    }
    view.derived = derived;
    // Only state and times are derived: the progress is what the node itself
    // last sent, also for a group (0 without any).
    view.progress = view.state == NodeState::kCompleted ? 100 : node.last_progress;
    return view;
  }

  void StitchChildRuns() {
    for (size_t i = 0; i < child_runs_.size(); ++i) {
      const auto& run = child_runs_[i];
      auto it = index_.find(run.parent_node_id);
      if (it == index_.end()) {
        Diagnose(DiagnosticKind::kUndeclaredParentNode,
                 fmt::format("child run \"{}\" names undeclared parent node \"{}\"",
                             run.execution_id, run.parent_node_id));
        continue;
      }
      child_runs_of_[it->second].push_back(i);
    }
  }

  NodeTrace BuildNode(size_t index, size_t depth) {
    NodeRecord& node = nodes_[index];
    NodeView view = View(index, depth);
    NodeTrace out;
    out.node_id = node.decl.id;
    out.node_name = node.decl.name;
    out.node_type = node.decl.type;
    out.state = view.state;
    out.progress = view.progress;
    out.start_us = view.executed ? view.start_us : 0;
    out.end_us = view.end_us;
    if (view.executed && view.end_us) out.duration_us = *view.end_us - view.start_us;
    // Its own events, derived or not: a derived group sent no state-changes,
    // but any progress it sent is its own.
    out.events = std::move(node.events);
    const auto& runs = child_runs_of_[index];
    out.has_child_traces = !node.children.empty() || !runs.empty();
    if (!node.children.empty() && depth >= kMaxNodeDepth) {
      Diagnose(DiagnosticKind::kNestingTooDeep,
               fmt::format("node \"{}\": nesting deeper than {} levels is not shown", node.decl.id,
                           kMaxNodeDepth));
    } else {
      for (size_t child : node.children) out.child_traces.push_back(BuildNode(child, depth + 1));
    }
    for (size_t run : runs) out.child_traces.push_back(ChildRunNode(std::move(child_runs_[run])));
    if (view.state == NodeState::kError) any_node_error_ = true;
    return out;
  }

  // `nodes` stands for the root's children when the root has any; child runs
  // of the root then stand there too, after the declared nodes, so that they
  // do not vanish with the root. (A root without children is in `nodes`
  // itself, its child runs in its childTraces.) A failed one fails the run
  // when the root sends no state of its own, as it would fail a node.
  void AddRootChildRuns() {
    if (root_ == kNone || nodes_[root_].children.empty()) return;
    for (size_t run : child_runs_of_[root_]) {
      NodeTrace node = ChildRunNode(std::move(child_runs_[run]));
      if (!nodes_[root_].has_own_state && node.state == NodeState::kError) any_node_error_ = true;
      trace_.nodes.push_back(std::move(node));
    }
  }

  RunStatus ComputeStatus() {
    // The root stands outside `nodes` when it has children; its own state counts too.
    bool root_failed =
        root_ != kNone && nodes_[root_].has_own_state && nodes_[root_].state == NodeState::kError;
    return RunStatusOf(end_seq_ == 0 ? std::nullopt : std::optional<EventType>(end_type_),
                       any_node_error_ || root_failed);
  }

  std::span<const Event> events_;
  std::vector<ExecutionTrace> child_runs_;
  ExecutionTrace trace_;
  std::vector<NodeRecord> nodes_;
  std::unordered_map<std::string, size_t> index_;
  std::vector<std::vector<size_t>> child_runs_of_;
  std::vector<size_t> top_level_, all_nodes_, leaves_;
  size_t root_ = kNone;
  int64_t started_seq_ = 0, end_seq_ = 0;
  EventType end_type_ = EventType::kCompleted;
  bool have_previous_ = false;
  int64_t previous_us_ = 0;
  bool any_node_error_ = false;
  ProjectOptions options_;
  DataMembers data_;  // the event being replayed
};

}  // namespace

void AddDiagnostic(ExecutionTrace& trace, DiagnosticKind kind, std::string text) {
  auto& counts = trace.diagnostic_counts;
  auto it = std::find_if(counts.begin(), counts.end(),
                         [&](const DiagnosticCount& row) { return row.kind == kind; });
  if (it == counts.end())
    counts.push_back({kind, 1, text});
  else
    ++it->count;
  trace.diagnostics.push_back(std::move(text));
}

ExecutionTrace ProjectRun(const std::string& execution_id, std::span<const Event> events,
                          std::vector<ExecutionTrace> child_runs, const ProjectOptions& options) {
  return Projection(execution_id, events, std::move(child_runs), options).Run();
}

}  // namespace extrace
