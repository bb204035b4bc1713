// The recorder: the API an engine calls while it runs a graph. It writes the
// events of the event format v1 into the event log.
//
// Threads: every method may be called from any thread at once. The calling
// thread only stamps the event and puts it into a preallocated ring; one
// background writer builds the stored events and appends them in batches
// (group commit). A full ring blocks the caller until the writer catches up:
// events are never dropped. Flush() and the destructor return once everything
// enqueued before them is durable.
//
// Hot path: resolve a node once with Node(), then SetNodeState(NodeHandle, ...)
// and ReportProgress(NodeHandle, ...) without a message neither allocate nor
// touch a string: they read the clock and write one fixed-size slot into the
// ring. The calls that carry strings (messages, StartRun, FailRun, and the
// string API's lookup of its handle) allocate.
//
// Order and time: a run's events get seqs in the order they entered the ring,
// so one thread's events keep the order it sent them. Timestamps are epoch
// microseconds read when the event enters the ring; the writer raises a
// timestamp that would be earlier than the previous event's of the same run
// (two threads can read the clock in one order and enter the ring in the
// other), so within a run timestamps never go backwards in seq order.
//
// Latency to disk: a busy writer takes the next batch at once; an idle one
// looks at the ring every millisecond for a while (so that callers never pay
// for waking it), then sleeps until the next event wakes it. Flush() wakes it
// at once.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "extrace/durability.h"
#include "extrace/event.h"
#include "extrace/status.h"
#include "extrace/trace.h"

namespace extrace {

// Projects a run from the store file (the query layer provides it; see extrace.h).
using TraceReader = std::function<Result<ExecutionTrace>(const std::string& db_path,
                                                         const std::string& execution_id)>;

struct RecorderOptions {
  // Default: Durability::kFull.
  Durability durability = Durability::kFull;
  // Events the ring holds before callers block, rounded up to a power of two
  // (at least 2); each slot takes 64 bytes, allocated once. Default: 65536.
  size_t queue_capacity = 65536;
  // Most events appended in one transaction. Default: 8192.
  size_t max_batch = 8192;
  // Used by Trace(); OpenRecorder() in extrace.h sets it. Default: none.
  TraceReader trace_reader;
};

struct GraphNode {
  GraphNode() = default;
  GraphNode(std::string node_id, std::string node_name, std::string node_type,
            std::string parent = {}, double node_weight = 1)
      : id(std::move(node_id)),
        name(std::move(node_name)),
        type(std::move(node_type)),
        parent_id(std::move(parent)),
        weight(node_weight) {}

  std::string id;
  std::string name;
  std::string type;
  std::string parent_id;  // empty: none (the root has none)
  double weight = 1;
};

struct RunStart {
  RunStart() = default;
  RunStart(std::string root, std::vector<GraphNode> graph)
      : root_node_id(std::move(root)), nodes(std::move(graph)) {}

  std::string execution_id;  // empty: the recorder makes a unique one
  std::string root_node_id;
  std::vector<GraphNode> nodes;     // declaration order; must include the root
  std::string config_json = "{}";   // a JSON object
  std::string parent_execution_id;  // set both to record a child run of a group node
  std::string parent_node_id;
};

// A node of a run, resolved once by Recorder::Node(): two indexes into the
// recorder's tables, cheap to copy and to pass to the hot-path calls. Only
// meaningful to the recorder that made it.
struct NodeHandle {
  uint32_t run = 0;
  uint32_t node = 0;
};

class Recorder {
 public:
  // Opens (or creates) the store and starts the writer thread.
  [[nodiscard]] static Result<std::unique_ptr<Recorder>> Open(const std::string& db_path,
                                                              const RecorderOptions& options = {});
  virtual ~Recorder() = default;

  // Checks the graph, then enqueues `started`. Returns the execution id.
  [[nodiscard]] virtual Result<std::string> StartRun(const RunStart& run) = 0;
  virtual void SetNodeState(const std::string& execution_id, const std::string& node_id,
                            NodeState state, std::string_view error_message = {}) = 0;
  // `progress` from 0 to 100 (clamped): the node's own progress.
  virtual void ReportProgress(const std::string& execution_id, const std::string& node_id,
                              double progress, std::string_view message = {}) = 0;

  // Resolves a node of a run once, for the hot-path calls below. Any run and
  // node are accepted: a run this recorder did not start (its events continue
  // the run's seqs in the log) and a node its `started` did not declare (the
  // projection reports it as a diagnostic), as the string API does. Fails
  // (kInvalidInput) on an empty or over-long (> 256) execution id or an empty
  // node id. The same pair always gives the same handle. Handles stay valid
  // for the recorder's lifetime: it keeps every run and node id it resolved
  // (for the string API too), a few dozen bytes each, until it is destroyed.
  [[nodiscard]] virtual Result<NodeHandle> Node(const std::string& execution_id,
                                                const std::string& node_id) = 0;
  // The hot path: no allocation, no string work (see the top of this file).
  // A handle that this recorder's Node() did not make (say NodeHandle{}) is
  // refused when the writer meets it: the event is skipped and the next
  // Flush() reports kInvalidInput.
  virtual void SetNodeState(NodeHandle node, NodeState state) = 0;
  virtual void ReportProgress(NodeHandle node, double progress) = 0;
  // With a message: the message is copied (allocates), the rest as above.
  virtual void SetNodeState(NodeHandle node, NodeState state, std::string_view error_message) = 0;
  virtual void ReportProgress(NodeHandle node, double progress, std::string_view message) = 0;
  virtual void CompleteRun(const std::string& execution_id) = 0;
  virtual void FailRun(const std::string& execution_id, std::string_view message) = 0;

  // Blocks until every event enqueued before the call is durable, then returns
  // the first error the writer met since the last Flush (an event refused as a
  // conflict is skipped, the rest stored). While the store fails (full disk,
  // locked past every retry) it returns that error at once; the writer keeps
  // retrying and nothing queued is dropped.
  // Only the first Flush after an error reports it; LastError() keeps the first
  // error for good. Events of an existing run (another recorder's, or one begun
  // before a restart) continue its seqs.
  [[nodiscard]] virtual Status Flush() = 0;
  // Flushes, then projects the run from the log (needs options.trace_reader).
  [[nodiscard]] virtual Result<ExecutionTrace> Trace(const std::string& execution_id) = 0;
  // Events made durable so far, and the first error the writer met (if any).
  virtual size_t DurableCount() const = 0;
  [[nodiscard]] virtual Status LastError() const = 0;
};

// RAII node scope: `executing` on entry, `completed` on exit, `error` when the
// scope unwinds by an exception (Run() records the exception's message).
class NodeScope {
 public:
  NodeScope(Recorder& recorder, std::string execution_id, std::string node_id);
  ~NodeScope();
  NodeScope(const NodeScope&) = delete;
  NodeScope& operator=(const NodeScope&) = delete;

  void Progress(double progress, std::string_view message = {});
  // Ends the node as failed now, with this message.
  void Fail(std::string_view message);

  // Runs `work` inside a scope; an exception that escapes is recorded with its
  // message, then rethrown.
  template <typename Work>
  static void Run(Recorder& recorder, const std::string& execution_id, const std::string& node_id,
                  Work&& work) {
    NodeScope scope(recorder, execution_id, node_id);
    try {
      work(scope);
    } catch (const std::exception& e) {
      scope.Fail(e.what());
      throw;
    } catch (...) {
      scope.Fail("unknown exception");
      throw;
    }
  }

 private:
  void SetState(NodeState state, std::string_view message = {});

  Recorder& recorder_;
  std::string execution_id_;
  std::string node_id_;
  // Resolved once on entry; unset when Node() refused the ids (the string API
  // then records them as they are, and the store reports the fault).
  std::optional<NodeHandle> handle_;
  int uncaught_at_entry_;
  bool ended_ = false;
};

}  // namespace extrace
