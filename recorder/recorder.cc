// The recorder: a bounded queue filled by any thread and drained by one writer
// thread that appends batches to the event log (group commit). See recorder.h.
#include "extrace/recorder.h"

#include <fmt/format.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "recorder/event_builder.h"
#include "storage/event_store.h"

namespace extrace {
namespace {

// After a failed append the writer waits this long, doubling up to the cap.
constexpr auto kRetryFirst = std::chrono::milliseconds(20);
constexpr auto kRetryCap = std::chrono::milliseconds(1000);
// On destruction, how long the writer keeps retrying a failing store before it
// gives up and reports what it could not store.
constexpr auto kShutdownPatience = std::chrono::seconds(10);

bool IsPermanent(StatusCode code) {
  return code == StatusCode::kConflict || code == StatusCode::kInvalidInput;
}

class QueuedRecorder final : public Recorder {
 public:
  QueuedRecorder(std::string path, const RecorderOptions& options,
                 std::unique_ptr<EventStore> store)
      : path_(std::move(path)), options_(options), store_(std::move(store)) {
    writer_ = std::thread([this] { WriterLoop(); });
  }

  ~QueuedRecorder() override {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    not_empty_.notify_all();
    writer_.join();
  }

  Result<std::string> StartRun(const RunStart& run) override {
    std::string id = run.execution_id.empty() ? recorder::NewExecutionId() : run.execution_id;
    auto event = recorder::StartedEvent(run, id);
    if (!event) return tl::unexpected(event.error());
    Enqueue(std::move(*event));
    return id;
  }

  void SetNodeState(const std::string& execution_id, const std::string& node_id, NodeState state,
                    std::string_view error_message) override {
    Enqueue(recorder::StateChangeEvent(execution_id, node_id, state, error_message));
  }

  void ReportProgress(const std::string& execution_id, const std::string& node_id, double progress,
                      std::string_view message) override {
    Enqueue(recorder::ProgressEvent(execution_id, node_id, progress, message));
  }

  void CompleteRun(const std::string& execution_id) override {
    Enqueue(recorder::CompletedEvent(execution_id));
  }

  void FailRun(const std::string& execution_id, std::string_view message) override {
    Enqueue(recorder::ErrorEvent(execution_id, message));
  }

  Status Flush() override {
    std::unique_lock lock(mu_);
    uint64_t target = enqueued_;
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

  Result<ExecutionTrace> Trace(const std::string& execution_id) override {
    if (auto flushed = Flush(); !flushed) return tl::unexpected(flushed.error());
    if (!options_.trace_reader)
      return MakeError(StatusCode::kInternal,
                       "Recorder::Trace needs RecorderOptions::trace_reader (use OpenRecorder)");
    return options_.trace_reader(path_, execution_id);
  }

  size_t DurableCount() const override {
    std::lock_guard lock(mu_);
    return durable_;
  }

  Status LastError() const override {
    std::lock_guard lock(mu_);
    if (first_error_) return tl::unexpected(*first_error_);
    return {};
  }

 private:
  void Enqueue(Event event) {
    std::unique_lock lock(mu_);
    not_full_.wait(lock, [&] { return queue_.size() < options_.queue_capacity; });
    // Seqs are given under the lock, so a run's seqs follow the queue's order.
    // The store gives each event the next seq of its run, in queue order; that
    // also continues a run another recorder (or an earlier process) began.
    // Stamped under the lock, a run's timestamps never go backwards in seq
    // order, even with many threads (or a clock stepped back).
    int64_t& last_us = last_us_of_run_[event.execution_id];
    event.timestamp_us = std::max(recorder::NowMicros(), last_us);
    last_us = event.timestamp_us;
    queue_.push_back(std::move(event));
    ++enqueued_;
    if (queue_.size() == 1) not_empty_.notify_one();
  }

  void RecordError(const Error& error) {
    if (!first_error_) first_error_ = error;
    if (!pending_error_) pending_error_ = error;
  }

  void WriterLoop() {
    std::vector<Event> batch;
    auto retry_wait = kRetryFirst;
    bool failing = false;
    auto failing_since = std::chrono::steady_clock::now();
    std::unique_lock lock(mu_);
    while (true) {
      not_empty_.wait(lock, [&] { return !queue_.empty() || stopping_; });
      if (queue_.empty() && stopping_) return;
      size_t take = std::min(queue_.size(), options_.max_batch);
      batch.assign(std::make_move_iterator(queue_.begin()),
                   std::make_move_iterator(queue_.begin() + static_cast<ptrdiff_t>(take)));
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<ptrdiff_t>(take));
      not_full_.notify_all();
      lock.unlock();

      std::span<Event> pending(batch);
      while (!pending.empty()) {
        AppendResult result = store_->Append(pending);
        size_t done = result.status ? pending.size() : result.failed_index;
        lock.lock();
        durable_ += done;
        processed_ += done;
        if (result.status) {
          failing = false;
          writer_stuck_ = false;
          retry_wait = kRetryFirst;
          durable_cv_.notify_all();
          lock.unlock();
          break;
        }
        RecordError(result.status.error());
        if (IsPermanent(result.status.error().code)) {
          // This one event can never be stored (its key holds another event):
          // skip it, keep the rest.
          processed_ += 1;
          durable_cv_.notify_all();
          lock.unlock();
          pending = pending.subspan(done + 1);
          continue;
        }
        writer_stuck_ = true;
        stuck_error_ = result.status.error();
        durable_cv_.notify_all();
        auto now = std::chrono::steady_clock::now();
        if (!failing) {
          failing = true;
          failing_since = now;
        }
        if (stopping_ && now - failing_since > kShutdownPatience) {
          size_t lost = pending.size() - done + queue_.size();
          std::fprintf(stderr, "extrace: %zu events could not be stored in %s: %s\n", lost,
                       path_.c_str(), result.status.error().message.c_str());
          processed_ += lost;
          queue_.clear();
          lock.unlock();
          pending = {};
          break;
        }
        lock.unlock();
        pending = pending.subspan(done);
        std::this_thread::sleep_for(retry_wait);
        retry_wait = std::min(retry_wait * 2, kRetryCap);
      }
      batch.clear();
      lock.lock();
    }
  }

  const std::string path_;
  const RecorderOptions options_;
  std::unique_ptr<EventStore> store_;  // used by the writer thread only

  mutable std::mutex mu_;
  std::condition_variable not_empty_, not_full_, durable_cv_;
  std::deque<Event> queue_;
  std::unordered_map<std::string, int64_t> last_us_of_run_;
  bool writer_stuck_ = false;  // retrying a store that fails
  Error stuck_error_;          // why, while writer_stuck_
  uint64_t enqueued_ = 0;
  uint64_t processed_ = 0;  // durable, or given up on with an error
  uint64_t durable_ = 0;
  bool stopping_ = false;
  std::optional<Error> first_error_;
  std::optional<Error> pending_error_;  // reported by the next Flush()
  std::thread writer_;
};

}  // namespace

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
      std::make_unique<QueuedRecorder>(db_path, checked, std::move(*store)));
}

NodeScope::NodeScope(Recorder& recorder, std::string execution_id, std::string node_id)
    : recorder_(recorder),
      execution_id_(std::move(execution_id)),
      node_id_(std::move(node_id)),
      uncaught_at_entry_(std::uncaught_exceptions()) {
  recorder_.SetNodeState(execution_id_, node_id_, NodeState::kExecuting);
}

NodeScope::~NodeScope() {
  if (ended_) return;
  if (std::uncaught_exceptions() > uncaught_at_entry_)
    recorder_.SetNodeState(execution_id_, node_id_, NodeState::kError, "unwound by an exception");
  else
    recorder_.SetNodeState(execution_id_, node_id_, NodeState::kCompleted);
}

void NodeScope::Progress(double progress, std::string_view message) {
  recorder_.ReportProgress(execution_id_, node_id_, progress, message);
}

void NodeScope::Fail(std::string_view message) {
  if (ended_) return;
  ended_ = true;
  recorder_.SetNodeState(execution_id_, node_id_, NodeState::kError, message);
}

}  // namespace extrace
