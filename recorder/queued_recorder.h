// QueuedRecorder: the Recorder that Recorder::Open returns. Callers (any
// thread) stamp fixed-size slots into a lock-free ring (queued_recorder.cc);
// one writer thread turns them into Events and appends them to the event log
// in batches, group commit (writer_thread.cc). The handles' ids live in
// InternTables (intern_tables.h). Private to recorder/.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "extrace/recorder.h"
#include "recorder/event_ring.h"
#include "recorder/intern_tables.h"
#include "storage/event_store.h"

namespace extrace::recorder {

class QueuedRecorder final : public Recorder {
 public:
  QueuedRecorder(std::string path, const RecorderOptions& options,
                 std::unique_ptr<EventStore> store);
  ~QueuedRecorder() override;
  Result<std::string> StartRun(const RunStart& run) override;
  void SetNodeState(const std::string& execution_id, const std::string& node_id, NodeState state,
                    std::string_view error_message) override;
  void ReportProgress(const std::string& execution_id, const std::string& node_id, double progress,
                      std::string_view message) override;
  void CompleteRun(const std::string& execution_id) override;
  void FailRun(const std::string& execution_id, std::string_view message) override;
  Result<NodeHandle> Node(const std::string& execution_id, const std::string& node_id) override;
  void SetNodeState(NodeHandle node, NodeState state) override;
  void ReportProgress(NodeHandle node, double progress) override;
  void SetNodeState(NodeHandle node, NodeState state, std::string_view error_message) override;
  void ReportProgress(NodeHandle node, double progress, std::string_view message) override;
  Status Flush() override;
  Result<ExecutionTrace> Trace(const std::string& execution_id) override;
  size_t DurableCount() const override;
  Status LastError() const override;

 private:
  // The callers' side (queued_recorder.cc).
  static std::unique_ptr<std::string> TextOf(std::string_view text);
  // The hot path: a clock read and one slot; a futex wake only when the writer
  // has been idle long enough to sleep.
  void Enqueue(EventType type, NodeHandle node, NodeState state, double progress,
               std::unique_ptr<std::string> text);
  void WakeWriter();

  // The writer thread (writer_thread.cc).
  void RecordError(const Error& error);
  // Waits for work: naps first (callers need not wake it), then sleeps.
  void Idle(int empty_naps);
  void WriterLoop();
  void Linger();
  // Turns the drained slots into Events, reusing the Events and their strings
  // of earlier batches. Returns how many to append; slots with a handle no
  // Node() made are refused here.
  size_t BuildEvents();
  InternTables::WriterRun* ResolveRun(uint32_t run);
  void WriteBatch();
  // Writer only, with mu_ held, after the callers are gone: drops every slot
  // still in the ring. Returns how many.
  size_t DiscardRing();

  const std::string path_;
  const RecorderOptions options_;
  std::unique_ptr<EventStore> store_;  // used by the writer thread only
  InternTables tables_;
  recorder::EventRing ring_;
  // Set (seq_cst) by the writer before it sleeps without a timeout.
  std::atomic<bool> writer_sleeping_{false};

  // The writer thread's own state, reused from batch to batch.
  std::vector<Slot> slots_;
  std::vector<Event> events_;
  std::vector<InternTables::WriterRun> runs_;
  bool failing_ = false;
  std::chrono::steady_clock::time_point failing_since_;
  size_t discarded_ = 0;

  mutable std::mutex mu_;
  std::condition_variable wake_cv_, durable_cv_;
  bool wake_requested_ = false;
  bool writer_stuck_ = false;  // retrying a store that fails
  Error stuck_error_;          // why, while writer_stuck_
  uint64_t processed_ = 0;     // durable, or given up on with an error
  uint64_t durable_ = 0;
  bool stopping_ = false;
  std::optional<Error> first_error_;
  std::optional<Error> pending_error_;  // reported by the next Flush()
  std::thread writer_;
};

}  // namespace extrace::recorder
