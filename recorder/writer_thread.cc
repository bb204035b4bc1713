// QueuedRecorder, the writer thread: drains the ring in batches, turns slots
// into Events, appends them in one transaction (group commit), retries a
// failing store, naps and sleeps when idle. Only the writer thread runs this
// code, except where it takes mu_; see queued_recorder.h.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <span>

#include "recorder/event_builder.h"
#include "recorder/queued_recorder.h"

namespace extrace::recorder {
namespace {

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

}  // namespace

void QueuedRecorder::RecordError(const Error& error) {
  if (!first_error_) first_error_ = error;
  if (!pending_error_) pending_error_ = error;
}

// Waits for work: naps first (callers need not wake it), then sleeps.
void QueuedRecorder::Idle(int empty_naps) {
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

void QueuedRecorder::WriterLoop() {
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
    bool stopping = false;
    {
      std::lock_guard lock(mu_);
      stopping = stopping_;
    }
    if (stopping) {
      // Callers are gone once the destructor runs, and what they pushed before
      // it is visible now (mu_ orders it): the ring looked empty above, before
      // `stopping` was seen, so look again. Leaving on that first look lost the
      // events pushed just before the recorder was destroyed.
      if (ring_.Claimed() == ring_.Consumed()) return;
      continue;
    }
    Idle(empty_naps);
    empty_naps = std::min(empty_naps + 1, kNapsBeforeSleep);
  }
}

void QueuedRecorder::Linger() {
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
size_t QueuedRecorder::BuildEvents() {
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

InternTables::WriterRun* QueuedRecorder::ResolveRun(uint32_t run) {
  if (run >= runs_.size()) tables_.Refresh(runs_, run);
  if (run == 0 || run >= runs_.size()) return nullptr;
  return &runs_[run];
}

void QueuedRecorder::WriteBatch() {
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
      // The store's path(), not path_: the URI a recorder was opened with may
      // hold a password.
      std::fprintf(stderr, "extrace: %zu events could not be stored in %s: %s\n", lost,
                   store_->path().c_str(), result.status.error().message.c_str());
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
size_t QueuedRecorder::DiscardRing() {
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

}  // namespace extrace::recorder
