// The recorder's public entry points (include/extrace/recorder.h):
// Recorder::Open, which opens the event log and starts a QueuedRecorder
// (queued_recorder.h), and NodeScope, which records one node's state through
// any Recorder.
#include "extrace/recorder.h"

#include <algorithm>
#include <exception>
#include <memory>
#include <string>
#include <utility>

#include "recorder/queued_recorder.h"
#include "storage/event_store.h"

namespace extrace {

Result<std::unique_ptr<Recorder>> Recorder::Open(const std::string& db_path,
                                                 const RecorderOptions& options) {
  StoreOptions store_options;
  store_options.durability = options.durability;
  auto store = EventStore::Open(db_path, store_options);
  if (!store) return tl::unexpected(store.error());
  RecorderOptions checked = options;
  checked.queue_capacity = std::max<size_t>(1, options.queue_capacity);
  checked.max_batch = std::max<size_t>(1, options.max_batch);
  return std::unique_ptr<Recorder>(
      std::make_unique<recorder::QueuedRecorder>(db_path, checked, std::move(*store)));
}

NodeScope::NodeScope(Recorder& recorder, std::string execution_id, std::string node_id)
    : recorder_(recorder),
      execution_id_(std::move(execution_id)),
      node_id_(std::move(node_id)),
      uncaught_at_entry_(std::uncaught_exceptions()) {
  if (auto handle = recorder_.Node(execution_id_, node_id_)) handle_ = *handle;
  SetState(NodeState::kExecuting);
}

NodeScope::~NodeScope() {
  if (ended_) return;
  if (std::uncaught_exceptions() > uncaught_at_entry_)
    SetState(NodeState::kError, "unwound by an exception");
  else
    SetState(NodeState::kCompleted);
}

void NodeScope::SetState(NodeState state, std::string_view message) {
  if (!handle_)
    recorder_.SetNodeState(execution_id_, node_id_, state, message);
  else if (message.empty())
    recorder_.SetNodeState(*handle_, state);
  else
    recorder_.SetNodeState(*handle_, state, message);
}

void NodeScope::Progress(double progress, std::string_view message) {
  if (!handle_)
    recorder_.ReportProgress(execution_id_, node_id_, progress, message);
  else if (message.empty())
    recorder_.ReportProgress(*handle_, progress);
  else
    recorder_.ReportProgress(*handle_, progress, message);
}

void NodeScope::Fail(std::string_view message) {
  if (ended_) return;
  ended_ = true;
  SetState(NodeState::kError, message);
}

}  // namespace extrace
