// The recorder: callers (any thread) stamp fixed-size slots into a lock-free
// ring; one writer thread turns them into Events and appends them to the event
// log in batches (group commit). Owns the intern tables that map handles to
// ids and the writer's wake-up protocol. See recorder.h.
#include "extrace/recorder.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <limits>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "recorder/event_builder.h"
#include "recorder/event_ring.h"
#include "storage/event_store.h"

namespace extrace {
namespace {

using recorder::Slot;

// After a failed append the writer waits this long, doubling up to the cap.
constexpr auto kRetryFirst = std::chrono::milliseconds(20);
constexpr auto kRetryCap = std::chrono::milliseconds(1000);
// On destruction, how long the writer keeps retrying a failing store before it
// gives up and reports what it could not store.
constexpr auto kShutdownPatience = std::chrono::seconds(10);
// An idle writer naps this long between looks at the ring, so that callers
// never pay for waking it while events keep coming; after this many empty naps
// it sleeps until a caller wakes it (one futex wake, then naps again).
constexpr auto kNap = std::chrono::milliseconds(1);
constexpr int kNapsBeforeSleep = 50;
// How long the writer waits for callers blocked on a full ring to add more to
// the batch it is about to append.
constexpr auto kLingerPatience = std::chrono::microseconds(50);

bool IsPermanent(StatusCode code) {
  return code == StatusCode::kConflict || code == StatusCode::kInvalidInput;
}

// The ids behind handles. Index 0 of both tables means "none", so that a
// default NodeHandle{} never names a real node and run-level events use node 0.
// Entries are never removed: a handle stays valid for the recorder's lifetime.
class InternTables {
 public:
  struct Run {
    explicit Run(std::string id) : execution_id(std::move(id)) { node_ids.emplace_back(); }
    const std::string execution_id;
    // A deque: the writer keeps pointers to its strings while callers add more.
    std::deque<std::string> node_ids;
    std::unordered_map<std::string_view, uint32_t> node_index;  // views into node_ids
  };

  InternTables() { runs_.emplace_back(std::string()); }

  uint32_t RunOf(const std::string& execution_id) {
    {
      std::shared_lock lock(mu_);
      if (auto it = run_index_.find(execution_id); it != run_index_.end()) return it->second;
    }
    std::unique_lock lock(mu_);
    return RunLocked(execution_id);
  }

  NodeHandle NodeOf(const std::string& execution_id, const std::string& node_id) {
    {
      std::shared_lock lock(mu_);
      if (auto run = run_index_.find(execution_id); run != run_index_.end()) {
        const Run& table = runs_[run->second];
        if (auto node = table.node_index.find(node_id); node != table.node_index.end())
          return {run->second, node->second};
      }
    }
    std::unique_lock lock(mu_);
    uint32_t run = RunLocked(execution_id);
    Run& table = runs_[run];
    auto it = table.node_index.find(node_id);
    if (it == table.node_index.end()) {
      // Keyed by a view of the deque's own copy: `node_id` belongs to the caller.
      const std::string& stored = table.node_ids.emplace_back(node_id);
      it = table.node_index.emplace(stored, static_cast<uint32_t>(table.node_ids.size() - 1)).first;
    }
    return {run, it->second};
  }

  // The writer's view: copies, under the lock, pointers to the strings of
  // runs and nodes interned since it last looked (the strings never move).
  struct WriterRun {
    const std::string* execution_id = nullptr;
    std::vector<const std::string*> node_ids;
    int64_t last_us = std::numeric_limits<int64_t>::min();  // of the run's last event
  };
  void Refresh(std::vector<WriterRun>& view, uint32_t run) const {
    std::shared_lock lock(mu_);
    while (view.size() < runs_.size()) {
      WriterRun added;
      added.execution_id = &runs_[view.size()].execution_id;
      view.push_back(std::move(added));
    }
    if (run >= view.size()) return;
    const Run& table = runs_[run];
    auto& nodes = view[run].node_ids;
    while (nodes.size() < table.node_ids.size()) nodes.push_back(&table.node_ids[nodes.size()]);
  }

  bool Full() const {
    std::shared_lock lock(mu_);
    return runs_.size() >= std::numeric_limits<uint32_t>::max();
  }

 private:
  uint32_t RunLocked(const std::string& execution_id) {
    auto [it, added] = run_index_.try_emplace(execution_id, static_cast<uint32_t>(runs_.size()));
    if (added) runs_.emplace_back(execution_id);
    return it->second;
  }

  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, uint32_t> run_index_;
  std::deque<Run> runs_;  // a deque: the writer keeps pointers into it
};

class QueuedRecorder final : public Recorder {
 public:
  QueuedRecorder(std::string path, const RecorderOptions& options,
                 std::unique_ptr<EventStore> store)
      : path_(std::move(path)),
        options_(options),
        store_(std::move(store)),
        ring_(options.queue_capacity) {
    slots_.reserve(options_.max_batch);
    writer_ = std::thread([this] { WriterLoop(); });
  }

  ~QueuedRecorder() override {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    wake_cv_.notify_all();
    writer_.join();
  }

  Result<std::string> StartRun(const RunStart& run) override {
    std::string id = run.execution_id.empty() ? recorder::NewExecutionId() : run.execution_id;
    auto event = recorder::StartedEvent(run, id);
    if (!event) return tl::unexpected(event.error());
    Enqueue(EventType::kStarted, {tables_.RunOf(id), 0}, NodeState::kPending, 0,
            std::make_unique<std::string>(std::move(event->data_json)));
    return id;
  }

  void SetNodeState(const std::string& execution_id, const std::string& node_id, NodeState state,
                    std::string_view error_message) override {
    Enqueue(EventType::kStateChange, tables_.NodeOf(execution_id, node_id), state, 0,
            TextOf(error_message));
  }

  void ReportProgress(const std::string& execution_id, const std::string& node_id, double progress,
                      std::string_view message) override {
    Enqueue(EventType::kProgress, tables_.NodeOf(execution_id, node_id), NodeState::kPending,
            progress, TextOf(message));
  }

  void CompleteRun(const std::string& execution_id) override {
    Enqueue(EventType::kCompleted, {tables_.RunOf(execution_id), 0}, NodeState::kPending, 0,
            nullptr);
  }

  void FailRun(const std::string& execution_id, std::string_view message) override {
    // `data.message` is written even when empty, as the format has it.
    Enqueue(EventType::kError, {tables_.RunOf(execution_id), 0}, NodeState::kPending, 0,
            std::make_unique<std::string>(message));
  }

  Result<NodeHandle> Node(const std::string& execution_id, const std::string& node_id) override {
    if (auto checked = recorder::CheckExecutionId(execution_id); !checked)
      return tl::unexpected(checked.error());
    if (node_id.empty()) return MakeError(StatusCode::kInvalidInput, "nodeId: empty");
    if (tables_.Full())
      return MakeError(StatusCode::kInternal, "the recorder has interned 2^32 runs");
    return tables_.NodeOf(execution_id, node_id);
  }

  void SetNodeState(NodeHandle node, NodeState state) override {
    Enqueue(EventType::kStateChange, node, state, 0, nullptr);
  }

  void ReportProgress(NodeHandle node, double progress) override {
    Enqueue(EventType::kProgress, node, NodeState::kPending, progress, nullptr);
  }

  void SetNodeState(NodeHandle node, NodeState state, std::string_view error_message) override {
    Enqueue(EventType::kStateChange, node, state, 0, TextOf(error_message));
  }

  void ReportProgress(NodeHandle node, double progress, std::string_view message) override {
    Enqueue(EventType::kProgress, node, NodeState::kPending, progress, TextOf(message));
  }

  Status Flush() override {
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
  static std::unique_ptr<std::string> TextOf(std::string_view text) {
    if (text.empty()) return nullptr;
    return std::make_unique<std::string>(text);
  }

  // The hot path: a clock read and one slot; a futex wake only when the writer
  // has been idle long enough to sleep.
  void Enqueue(EventType type, NodeHandle node, NodeState state, double progress,
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

  void WakeWriter() {
    std::lock_guard lock(mu_);
    wake_requested_ = true;
    wake_cv_.notify_one();
  }

  void RecordError(const Error& error) {
    if (!first_error_) first_error_ = error;
    if (!pending_error_) pending_error_ = error;
  }

  // Waits for work: naps first (callers need not wake it), then sleeps.
  void Idle(int empty_naps) {
    std::unique_lock lock(mu_);
    if (empty_naps < kNapsBeforeSleep) {
      wake_cv_.wait_for(lock, kNap, [&] { return wake_requested_ || stopping_; });
    } else {
      writer_sleeping_.store(true, std::memory_order_seq_cst);
      if (ring_.Claimed() == ring_.Consumed())
        wake_cv_.wait(lock, [&] { return wake_requested_ || stopping_; });
      writer_sleeping_.store(false, std::memory_order_relaxed);
    }
    wake_requested_ = false;
  }

  void WriterLoop() {
    int empty_naps = 0;
    while (true) {
      slots_.clear();
      if (size_t got = ring_.Drain(slots_, options_.max_batch); got > 0) {
        empty_naps = 0;
        // A full ring means callers are blocked on it and refill it at once:
        // gather what they add for this transaction too (group commit even
        // with a small ring), up to max_batch, while it keeps coming. Spins
        // rather than yields: a yield on a loaded machine can cost milliseconds.
        if (got == ring_.capacity()) Linger();
        WriteBatch();
        continue;
      }
      if (ring_.Claimed() != ring_.Consumed()) {
        // A caller claimed a cell and is about to publish it.
        std::this_thread::yield();
        continue;
      }
      {
        std::lock_guard lock(mu_);
        // Callers are gone once the destructor runs: an empty ring stays empty.
        if (stopping_) return;
      }
      Idle(empty_naps);
      empty_naps = std::min(empty_naps + 1, kNapsBeforeSleep);
    }
  }

  void Linger() {
    auto last_progress = std::chrono::steady_clock::now();
    for (int spins = 1; slots_.size() < options_.max_batch; ++spins) {
      recorder::CpuRelax();
      if (ring_.Drain(slots_, options_.max_batch - slots_.size()) > 0) {
        last_progress = std::chrono::steady_clock::now();
      } else if (spins % 16 == 0 &&
                 std::chrono::steady_clock::now() - last_progress > kLingerPatience) {
        return;
      }
    }
  }

  // Turns the drained slots into Events, reusing the Events and their strings
  // of earlier batches. Returns how many to append; slots with a handle no
  // Node() made are refused here.
  size_t BuildEvents() {
    if (events_.size() < slots_.size()) events_.resize(slots_.size());
    size_t count = 0;
    for (Slot& slot : slots_) {
      std::unique_ptr<std::string> text = recorder::TakeText(slot);
      InternTables::WriterRun* run = ResolveRun(slot.run);
      const std::string* node_id = nullptr;
      if (run && slot.node != 0) {
        if (slot.node >= run->node_ids.size()) {
          tables_.Refresh(runs_, slot.run);
          run = &runs_[slot.run];
        }
        if (slot.node < run->node_ids.size()) node_id = run->node_ids[slot.node];
      }
      const bool names_node =
          slot.type == EventType::kStateChange || slot.type == EventType::kProgress;
      if (!run || (names_node && !node_id)) {
        std::lock_guard lock(mu_);
        RecordError({StatusCode::kInvalidInput,
                     fmt::format("node handle {{{}, {}}} was not made by this recorder's Node()",
                                 slot.run, slot.node)});
        continue;
      }
      Event& event = events_[count++];
      event.seq = 0;
      event.type = slot.type;
      event.execution_id.assign(*run->execution_id);
      // Two callers can read the clock in one order and claim cells in the
      // other: keep the run's timestamps non-decreasing in ticket (= seq) order.
      event.timestamp_us = std::max(slot.timestamp_us, run->last_us);
      run->last_us = event.timestamp_us;
      std::string_view message = text ? std::string_view(*text) : std::string_view();
      switch (slot.type) {
        case EventType::kStarted:
          event.node_id.clear();
          event.data_json.swap(*text);
          break;
        case EventType::kStateChange:
          event.node_id.assign(*node_id);
          recorder::StateChangeData(slot.state, message, event.data_json);
          break;
        case EventType::kProgress:
          event.node_id.assign(*node_id);
          recorder::ProgressData(slot.progress, message, event.data_json);
          break;
        case EventType::kCompleted:
          event.node_id.clear();
          event.data_json.clear();
          break;
        case EventType::kError:
          event.node_id.clear();
          recorder::ErrorData(message, event.data_json);
          break;
      }
    }
    return count;
  }

  InternTables::WriterRun* ResolveRun(uint32_t run) {
    if (run >= runs_.size()) tables_.Refresh(runs_, run);
    if (run == 0 || run >= runs_.size()) return nullptr;
    return &runs_[run];
  }

  void WriteBatch() {
    const size_t drained = slots_.size();
    const size_t count = BuildEvents();
    uint64_t batch_base;
    {
      std::lock_guard lock(mu_);
      batch_base = processed_;
    }
    auto retry_wait = kRetryFirst;
    std::span<Event> pending(events_.data(), count);
    while (!pending.empty()) {
      AppendResult result = store_->Append(pending);
      size_t done = result.status ? pending.size() : result.failed_index;
      std::unique_lock lock(mu_);
      // processed_ only counts events handled in ticket order, so that Flush
      // never returns before an earlier event; refused handles count at the end.
      durable_ += done;
      processed_ += done;
      if (result.status) {
        failing_ = false;
        writer_stuck_ = false;
        durable_cv_.notify_all();
        break;
      }
      RecordError(result.status.error());
      if (IsPermanent(result.status.error().code)) {
        // This one event can never be stored (its key holds another event):
        // skip it, keep the rest.
        processed_ += 1;
        durable_cv_.notify_all();
        pending = pending.subspan(done + 1);
        continue;
      }
      writer_stuck_ = true;
      stuck_error_ = result.status.error();
      durable_cv_.notify_all();
      auto now = std::chrono::steady_clock::now();
      if (!failing_) {
        failing_ = true;
        failing_since_ = now;
      }
      if (stopping_ && now - failing_since_ > kShutdownPatience) {
        // Callers are gone: what is still in the ring is lost with this batch.
        size_t lost = pending.size() - done + DiscardRing();
        std::fprintf(stderr, "extrace: %zu events could not be stored in %s: %s\n", lost,
                     path_.c_str(), result.status.error().message.c_str());
        break;
      }
      lock.unlock();
      pending = pending.subspan(done);
      std::this_thread::sleep_for(retry_wait);
      retry_wait = std::min(retry_wait * 2, kRetryCap);
    }
    std::lock_guard lock(mu_);
    processed_ = std::max(processed_, batch_base + drained + discarded_);
    discarded_ = 0;
    durable_cv_.notify_all();
  }

  // Writer only, with mu_ held, after the callers are gone: drops every slot
  // still in the ring. Returns how many.
  size_t DiscardRing() {
    size_t dropped = 0;
    std::vector<Slot> rest;
    while (ring_.Drain(rest, ring_.capacity()) > 0) {
      for (Slot& slot : rest) recorder::TakeText(slot);
      dropped += rest.size();
      rest.clear();
    }
    discarded_ += dropped;
    return dropped;
  }

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
