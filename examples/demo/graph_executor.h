// A small topological executor: runs the leaf tasks of a declared graph in
// dependency order on a few threads, each inside an extrace::NodeScope, so the
// recorder sees `executing`, then `completed` or `error` (with the exception's
// message). After the first failure no new task starts; the tasks that never
// started are marked `skipped`. Group nodes send nothing: the projector derives
// them from their children.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "extrace/recorder.h"

namespace extrace::demo {

struct Task {
  std::string node_id;
  std::vector<std::string> after;  // node ids of tasks that must complete first
  std::function<void(NodeScope&)> work;
};

struct GraphOutcome {
  bool ok = true;
  std::string failed_node;  // the first task that failed
  std::string message;      // its exception's message
  size_t completed = 0;
  size_t skipped = 0;
};

// Called (from a worker thread) each time a task completes: done of total.
using TaskDoneFn = std::function<void(size_t done, size_t total)>;

// Throws std::invalid_argument, before running anything, on a duplicate id,
// an unknown dependency, or a cycle.
GraphOutcome RunGraph(Recorder& recorder, const std::string& execution_id,
                      const std::vector<Task>& tasks, int threads, const TaskDoneFn& on_done = {});

}  // namespace extrace::demo
