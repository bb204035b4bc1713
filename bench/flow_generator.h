// Benchmark data: realistic runs of a flow with nested groups (the graph in
// every `started`, state-changes and progress events per leaf), as a stream of
// neutral events that the JSON Lines writer, the recorder driver and the raw
// SQLite baselines all consume, so every side of a comparison sees the same
// data. Deterministic for a given seed. Not thread-safe: one generator per thread.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "extrace/recorder.h"

namespace extrace::bench {

// root -> `groups` groups -> `parts` sub-groups each -> `steps` leaves each.
// parts == 0 puts the leaves straight under the groups.
struct FlowShape {
  int groups = 4;
  int parts = 3;
  int steps = 4;
};
inline constexpr FlowShape kFlow65{4, 3, 4};  // 1 + 4 + 12 + 48 = 65 nodes
inline constexpr FlowShape kFlow50{7, 0, 6};  // 1 + 7 + 42 = 50 nodes

std::vector<GraphNode> FlowGraph(FlowShape shape = kFlow65);
// Leaves of FlowGraph(shape), in execution order.
std::vector<std::string> FlowLeaves(FlowShape shape = kFlow65);

struct GenOptions {
  // Default: kFlow65.
  FlowShape shape = kFlow65;
  // Default: 42.
  uint64_t seed = 42;
  // Progress events between a leaf's `executing` and `completed`. Default: 3.
  int64_t progress_per_leaf = 3;
};

// One event of the stream. `data_json` is the event's data object as JSON text.
struct GenEvent {
  int64_t run = 0;  // index of the run in the stream
  int64_t seq = 0;
  int64_t timestamp_us = 0;
  EventType type = EventType::kStarted;
  int node = -1;  // index into the graph; -1: names no node
  NodeState state = NodeState::kPending;
  double progress = 0;
  std::string message;
  std::string data_json;
};

class EventGenerator {
 public:
  // `total_events` events of consecutive runs; the last run is cut short.
  EventGenerator(const GenOptions& options, int64_t total_events);

  // false once the stream is exhausted.
  bool Next(GenEvent& event);
  // Appends the event as one JSON Lines record with its line break.
  void AppendJsonLine(const GenEvent& event, std::string& out) const;

  std::string ExecutionId(int64_t run) const;
  const std::vector<GraphNode>& graph() const { return graph_; }
  const std::string& root_node_id() const { return graph_.front().id; }
  const std::string& config_json() const { return config_json_; }
  int64_t events_per_run() const;

 private:
  GenOptions options_;
  int64_t total_;
  int64_t emitted_ = 0;
  std::vector<GraphNode> graph_;
  std::vector<int> leaves_;  // graph indexes
  std::string started_data_;
  std::string config_json_;
  uint64_t random_state_;
  double now_ms_ = 1795628243350.0;
  // Position inside the current run.
  int64_t run_ = -1;
  int64_t seq_ = 0;
  size_t leaf_ = 0;
  int64_t step_ = 0;  // 0: executing next; 1..n: progress; n+1: completed
  bool run_started_ = false;
};

// Writes `events` events as JSON Lines to `out`; returns the bytes written.
int64_t WriteJsonLines(std::FILE* out, const GenOptions& options, int64_t events);
// Same, to a file (created or truncated).
int64_t WriteJsonLines(const std::string& path, const GenOptions& options, int64_t events);
// The first generator's interface: the 65-node flow with this seed.
void WriteJsonLines(const std::string& path, int64_t events, uint64_t seed);

}  // namespace extrace::bench
