// One event of a run, exactly as the event format v1 describes it
// (shared/event-format.md, section 1). The recorder produces these, ingest
// parses them from JSON Lines, and the event log stores them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace extrace {

// Codes are stored in the log: never renumber.
enum class EventType : uint8_t {
  kStarted = 1,
  kProgress = 2,
  kStateChange = 3,
  kCompleted = 4,
  kError = 5,
};

// Codes are stored in the log: never renumber.
enum class NodeState : uint8_t {
  kPending = 1,
  kExecuting = 2,
  kCompleted = 3,
  kError = 4,
  kSkipped = 5,
};

std::string_view EventTypeName(EventType type);
std::optional<EventType> ParseEventType(std::string_view name);
std::string_view NodeStateName(NodeState state);
std::optional<NodeState> ParseNodeState(std::string_view name);
inline bool IsTerminal(NodeState s) {
  return s == NodeState::kCompleted || s == NodeState::kError || s == NodeState::kSkipped;
}

struct Event {
  std::string execution_id;
  int64_t seq = 0;           // 0: absent, the store assigns the next number of the run
  int64_t timestamp_us = 0;  // microseconds since the Unix epoch
  EventType type = EventType::kStarted;
  std::string node_id;    // empty: the event names no node
  std::string data_json;  // the `data` object as canonical JSON; empty means {}

  friend bool operator==(const Event&, const Event&) = default;
};

}  // namespace extrace
