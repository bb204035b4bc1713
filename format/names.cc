// Names of the enum values in the event format and of status codes.
#include <array>
#include <utility>

#include "extrace/event.h"
#include "extrace/status.h"
#include "extrace/trace.h"

namespace extrace {
namespace {

constexpr std::array<std::pair<EventType, std::string_view>, 5> kEventTypes = {{
    {EventType::kStarted, "started"},
    {EventType::kProgress, "progress"},
    {EventType::kStateChange, "state-change"},
    {EventType::kCompleted, "completed"},
    {EventType::kError, "error"},
}};

constexpr std::array<std::pair<NodeState, std::string_view>, 5> kNodeStates = {{
    {NodeState::kPending, "pending"},
    {NodeState::kExecuting, "executing"},
    {NodeState::kCompleted, "completed"},
    {NodeState::kError, "error"},
    {NodeState::kSkipped, "skipped"},
}};

}  // namespace

std::string_view EventTypeName(EventType type) {
  for (const auto& [value, name] : kEventTypes)
    if (value == type) return name;
  return "unknown";
}

std::optional<EventType> ParseEventType(std::string_view name) {
  for (const auto& [value, text] : kEventTypes)
    if (text == name) return value;
  return std::nullopt;
}

std::string_view NodeStateName(NodeState state) {
  for (const auto& [value, name] : kNodeStates)
    if (value == state) return name;
  return "unknown";
}

std::optional<NodeState> ParseNodeState(std::string_view name) {
  for (const auto& [value, text] : kNodeStates)
    if (text == name) return value;
  return std::nullopt;
}

std::string_view RunStatusName(RunStatus status) {
  switch (status) {
    case RunStatus::kIncomplete:
      return "incomplete";
    case RunStatus::kCompleted:
      return "completed";
    case RunStatus::kError:
      return "error";
  }
  return "unknown";
}

std::string_view DiagnosticKindName(DiagnosticKind kind) {
  switch (kind) {
    case DiagnosticKind::kStartedWithoutGraph:
      return "started_without_graph";
    case DiagnosticKind::kMissingStarted:
      return "missing_started";
    case DiagnosticKind::kSecondStarted:
      return "second_started";
    case DiagnosticKind::kUndeclaredNode:
      return "undeclared_node";
    case DiagnosticKind::kInvalidState:
      return "invalid_state";
    case DiagnosticKind::kTimestampBackwards:
      return "timestamp_backwards";
    case DiagnosticKind::kEventAfterEnd:
      return "event_after_end";
    case DiagnosticKind::kEventBeforeStarted:
      return "event_before_started";
    case DiagnosticKind::kUndeclaredParentNode:
      return "undeclared_parent_node";
    case DiagnosticKind::kNestingTooDeep:
      return "nesting_too_deep";
    case DiagnosticKind::kChildRunCycle:
      return "child_run_cycle";
    case DiagnosticKind::kChildRunTooDeep:
      return "child_run_too_deep";
  }
  return "unknown";
}

std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "ok";
    case StatusCode::kInvalidInput:
      return "invalid input";
    case StatusCode::kConflict:
      return "conflict";
    case StatusCode::kNotFound:
      return "not found";
    case StatusCode::kBusy:
      return "busy";
    case StatusCode::kReadOnly:
      return "read-only";
    case StatusCode::kDiskFull:
      return "disk full";
    case StatusCode::kCorrupt:
      return "corrupt";
    case StatusCode::kSchemaTooNew:
      return "schema too new";
    case StatusCode::kIoError:
      return "I/O error";
    case StatusCode::kUnavailable:
      return "store unreachable";
    case StatusCode::kAccessDenied:
      return "access denied";
    case StatusCode::kTimedOut:
      return "timed out";
    case StatusCode::kOutOfMemory:
      return "out of memory";
    case StatusCode::kInternal:
      return "internal error";
  }
  return "unknown";
}

}  // namespace extrace
