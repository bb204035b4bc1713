// QueuedRecorder, the callers' side: the public calls, each a slot stamped
// into the ring (the hot path), and Flush() waiting for the writer. Any
// thread may call; see queued_recorder.h.
#include "recorder/queued_recorder.h"

#include <utility>

#include "recorder/event_builder.h"

namespace extrace::recorder {

QueuedRecorder::QueuedRecorder(std::string path, const RecorderOptions& options,
                               std::unique_ptr<EventStore> store)
    : path_(std::move(path)),
      options_(options),
      store_(std::move(store)),
      ring_(options.queue_capacity) {
  slots_.reserve(options_.max_batch);
  writer_ = std::thread([this] { WriterLoop(); });
}

QueuedRecorder::~QueuedRecorder() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_cv_.notify_all();
  writer_.join();
}

Result<std::string> QueuedRecorder::StartRun(const RunStart& run) {
  std::string id = run.execution_id.empty() ? recorder::NewExecutionId() : run.execution_id;
  auto event = recorder::StartedEvent(run, id);
  if (!event) return tl::unexpected(event.error());
  Enqueue(EventType::kStarted, {tables_.RunOf(id), 0}, NodeState::kPending, 0,
          std::make_unique<std::string>(std::move(event->data_json)));
  return id;
}

void QueuedRecorder::SetNodeState(const std::string& execution_id, const std::string& node_id,
                                  NodeState state, std::string_view error_message) {
  Enqueue(EventType::kStateChange, tables_.NodeOf(execution_id, node_id), state, 0,
          TextOf(error_message));
}

void QueuedRecorder::SetNodeState(NodeHandle node, NodeState state) {
  Enqueue(EventType::kStateChange, node, state, 0, nullptr);
}

void QueuedRecorder::SetNodeState(NodeHandle node, NodeState state,
                                  std::string_view error_message) {
  Enqueue(EventType::kStateChange, node, state, 0, TextOf(error_message));
}

void QueuedRecorder::ReportProgress(const std::string& execution_id, const std::string& node_id,
                                    double progress, std::string_view message) {
  Enqueue(EventType::kProgress, tables_.NodeOf(execution_id, node_id), NodeState::kPending,
          progress, TextOf(message));
}

void QueuedRecorder::ReportProgress(NodeHandle node, double progress) {
  Enqueue(EventType::kProgress, node, NodeState::kPending, progress, nullptr);
}

void QueuedRecorder::ReportProgress(NodeHandle node, double progress, std::string_view message) {
  Enqueue(EventType::kProgress, node, NodeState::kPending, progress, TextOf(message));
}

void QueuedRecorder::CompleteRun(const std::string& execution_id) {
  Enqueue(EventType::kCompleted, {tables_.RunOf(execution_id), 0}, NodeState::kPending, 0, nullptr);
}

void QueuedRecorder::FailRun(const std::string& execution_id, std::string_view message) {
  // `data.message` is written even when empty, as the format has it.
  Enqueue(EventType::kError, {tables_.RunOf(execution_id), 0}, NodeState::kPending, 0,
          std::make_unique<std::string>(message));
}

Result<NodeHandle> QueuedRecorder::Node(const std::string& execution_id,
                                        const std::string& node_id) {
  if (auto checked = recorder::CheckExecutionId(execution_id); !checked)
    return tl::unexpected(checked.error());
  if (node_id.empty()) return MakeError(StatusCode::kInvalidInput, "nodeId: empty");
  if (tables_.Full())
    return MakeError(StatusCode::kInternal, "the recorder has interned 2^32 runs");
  return tables_.NodeOf(execution_id, node_id);
}

Status QueuedRecorder::Flush() {
  const uint64_t target = ring_.Claimed();
  std::unique_lock lock(mu_);
  if (processed_ < target) {
    // Cut the writer's nap short.
    wake_requested_ = true;
    wake_cv_.notify_one();
  }
  // Wait for every earlier event, unless the store is failing right now (the
  // writer keeps retrying; waiting could take forever, e.g. on a full disk).
  durable_cv_.wait(lock, [&] { return processed_ >= target || writer_stuck_; });
  if (processed_ < target) return tl::unexpected(stuck_error_);
  if (pending_error_) {
    Error error = std::move(*pending_error_);
    pending_error_.reset();
    return tl::unexpected(std::move(error));
  }
  return {};
}

Result<ExecutionTrace> QueuedRecorder::Trace(const std::string& execution_id) {
  if (auto flushed = Flush(); !flushed) return tl::unexpected(flushed.error());
  if (!options_.trace_reader)
    return MakeError(StatusCode::kInternal,
                     "Recorder::Trace needs RecorderOptions::trace_reader (use OpenRecorder)");
  return options_.trace_reader(path_, execution_id);
}

size_t QueuedRecorder::DurableCount() const {
  std::lock_guard lock(mu_);
  return durable_;
}

Status QueuedRecorder::LastError() const {
  std::lock_guard lock(mu_);
  if (first_error_) return tl::unexpected(*first_error_);
  return {};
}

std::unique_ptr<std::string> QueuedRecorder::TextOf(std::string_view text) {
  if (text.empty()) return nullptr;
  return std::make_unique<std::string>(text);
}

// The hot path: a clock read and one slot; a futex wake only when the writer
// has been idle long enough to sleep.
void QueuedRecorder::Enqueue(EventType type, NodeHandle node, NodeState state, double progress,
                             std::unique_ptr<std::string> text) {
  ring_.Push([&](Slot& slot) {
    slot.timestamp_us = recorder::NowMicros();
    slot.progress = progress;
    slot.text = text.release();
    slot.run = node.run;
    slot.node = node.node;
    slot.type = type;
    slot.state = state;
  });
  // Paired with the writer's store of writer_sleeping_ and its re-read of
  // Claimed(): either it sees our claim and stays up, or we see it asleep.
  if (writer_sleeping_.load(std::memory_order_seq_cst)) WakeWriter();
}

void QueuedRecorder::WakeWriter() {
  std::lock_guard lock(mu_);
  wake_requested_ = true;
  wake_cv_.notify_one();
}

}  // namespace extrace::recorder
