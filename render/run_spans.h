// Internal to render/: a projected run flattened into the intervals that the
// Chrome trace (chrome_trace.cc) and OTLP (otlp_trace.cc) exports draw: the
// run, every node, every child run, in pre-order with their parents, each
// closed where the log never closed it. Header-only so that it needs no entry
// in render/CMakeLists.txt. Pure functions; any thread.
#pragma once

#include <algorithm>
#include <boost/json/object.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "extrace/trace.h"
#include "format/event_json.h"

namespace extrace::render_internal {

inline constexpr size_t kNoParent = static_cast<size_t>(-1);

enum class SpanKind { kRun, kNode, kChildRun };

struct RunSpan {
  SpanKind kind = SpanKind::kNode;
  size_t parent = kNoParent;  // index into FlatRun::spans
  std::string execution_id;   // the run whose log holds it; a child run: its own id
  std::string node_id;        // a run: its root node id
  std::string name;           // the node's name, else its id
  // The slice's or span's name: the node's name, "run NAME" for the run, so the
  // run is never taken for its root node (a span of its own when it has times).
  std::string DisplayName() const { return kind == SpanKind::kRun ? "run " + name : name; }
  std::string type;
  std::string state;  // the node's state; a run: its status
  double progress = 0;
  // None: the node never started. Whenever it started, it has an end: an open
  // span (no end in the log) ends at the horizon. Never before the start.
  std::optional<int64_t> start_us;
  std::optional<int64_t> end_us;
  bool open = false;
  std::string error_message;  // never empty while state is "error"
  // The node's own events; for a run or a child run, the run-level events.
  const std::vector<TraceEvent>* events = nullptr;
};

struct FlatRun {
  std::vector<RunSpan> spans;  // pre-order: spans[0] is the run
  // The latest time the export knows of: the run's end, or any later event
  // (its own, its nodes', its child runs'). Open spans end here.
  int64_t horizon_us = 0;
};

namespace detail {

inline std::string StringField(const boost::json::object& data, std::string_view key) {
  const auto* value = data.if_contains(key);
  return value && value->is_string() ? std::string(value->get_string()) : std::string();
}

inline void Widen(const std::vector<TraceEvent>& events, int64_t& horizon) {
  for (const TraceEvent& event : events) horizon = std::max(horizon, event.timestamp_us);
}

inline void Widen(const NodeTrace& node, int64_t& horizon) {
  horizon = std::max(horizon, node.start_us);
  if (node.end_us) horizon = std::max(horizon, *node.end_us);
  Widen(node.events, horizon);
  for (const NodeTrace& child : node.child_traces) Widen(child, horizon);
}

// A node's error: the message of its last `error` state-change; a child run's:
// the message of its first `error` event (the one that ended it).
inline std::string OwnError(const NodeTrace& node) {
  std::string message;
  for (const TraceEvent& event : node.events) {
    if (!node.child_execution_id.empty()) {
      if (event.type == EventType::kError)
        return StringField(ParseDataObject(event.data_json), "message");
    } else if (event.type == EventType::kStateChange) {
      auto data = ParseDataObject(event.data_json);
      if (StringField(data, "state") == "error") message = StringField(data, "errorMessage");
    }
  }
  return message;
}

inline std::string RunError(const ExecutionTrace& trace) {
  for (const TraceEvent& event : trace.events)
    if (event.type == EventType::kError)
      return StringField(ParseDataObject(event.data_json), "message");
  return {};
}

// Times of a span that started: an end before the start (timestamps going
// backwards) is moved to the start; no end at all is the horizon, and open.
inline void CloseInterval(RunSpan& span, std::optional<int64_t> end_us, int64_t horizon) {
  span.open = !end_us;
  span.end_us = std::max(*span.start_us, end_us.value_or(horizon));
}

inline void AddNode(const NodeTrace& node, const std::string& execution_id, size_t parent,
                    int64_t horizon, std::vector<RunSpan>& spans) {
  RunSpan span;
  bool child_run = !node.child_execution_id.empty();
  span.kind = child_run ? SpanKind::kChildRun : SpanKind::kNode;
  span.parent = parent;
  span.execution_id = child_run ? node.child_execution_id : execution_id;
  span.node_id = node.node_id;
  span.name = node.node_name.empty() ? node.node_id : node.node_name;
  span.type = node.node_type;
  span.state = std::string(NodeStateName(node.state));
  span.progress = node.progress;
  if (node.start_us != 0) {
    span.start_us = node.start_us;
    CloseInterval(span, node.end_us, horizon);
  } else {
    span.end_us = node.end_us;
  }
  if (node.state == NodeState::kError) span.error_message = OwnError(node);
  span.events = &node.events;
  size_t index = spans.size();
  spans.push_back(std::move(span));
  for (const NodeTrace& child : node.child_traces)
    AddNode(child, spans[index].execution_id, index, horizon, spans);
}

// A span in error without a message of its own (a derived group, a run that
// ended `completed` with a failed node) borrows the first failure below it.
inline void FillErrorMessages(std::vector<RunSpan>& spans) {
  std::vector<size_t> first_below(spans.size(), kNoParent);
  // Reverse pre-order meets children last to first, so the earliest child's
  // candidate is the one left standing.
  for (size_t i = spans.size(); i-- > 1;) {
    size_t candidate = !spans[i].error_message.empty() ? i : first_below[i];
    if (candidate != kNoParent) first_below[spans[i].parent] = candidate;
  }
  for (size_t i = 0; i < spans.size(); ++i) {
    RunSpan& span = spans[i];
    if (span.state != "error" || !span.error_message.empty()) continue;
    size_t cause = first_below[i];
    span.error_message = cause == kNoParent ? "ended in error"
                                            : "node " + spans[cause].node_id +
                                                  " failed: " + spans[cause].error_message;
  }
}

}  // namespace detail

inline FlatRun FlattenRun(const ExecutionTrace& trace) {
  FlatRun flat;
  int64_t horizon = std::max(trace.start_us, trace.end_us.value_or(trace.start_us));
  detail::Widen(trace.events, horizon);
  for (const NodeTrace& node : trace.nodes) detail::Widen(node, horizon);
  flat.horizon_us = horizon;

  RunSpan run;
  run.kind = SpanKind::kRun;
  run.execution_id = trace.execution_id;
  run.node_id = trace.root_node_id;
  run.name = !trace.root_node_name.empty() ? trace.root_node_name
             : !trace.root_node_id.empty() ? trace.root_node_id
                                           : trace.execution_id;
  run.type = trace.root_node_type;
  run.state = std::string(RunStatusName(trace.status));
  run.progress = trace.overall_progress;
  run.start_us = trace.start_us;
  detail::CloseInterval(run, trace.end_us, horizon);
  if (trace.status == RunStatus::kError) run.error_message = detail::RunError(trace);
  run.events = &trace.events;
  flat.spans.push_back(std::move(run));
  for (const NodeTrace& node : trace.nodes)
    detail::AddNode(node, trace.execution_id, 0, horizon, flat.spans);
  detail::FillErrorMessages(flat.spans);
  return flat;
}

}  // namespace extrace::render_internal
