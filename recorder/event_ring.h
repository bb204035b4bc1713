// EventRing: the recorder's preallocated, bounded ring of fixed-size event
// slots. Many producers (any thread) push, one consumer (the writer) drains.
// After Dmitry Vyukov's bounded queue: each cell carries a sequence number
// that says whose turn it is; a push takes a ticket with one fetch_add on the
// enqueue position and writes its cell, with no lock and no allocation.
//
// Threads: Push() from any thread; Drain(), Consumed() and the destructor from
// the consumer only (or once no producer is left). A push into a full ring
// blocks (spins briefly, then sleeps on a futex) until the consumer frees its
// cell; its ticket is taken already, so Claimed() counts it meanwhile.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "extrace/event.h"

namespace extrace::recorder {

// One event as the calling thread records it: no strings, only indexes into
// the recorder's intern tables. 40 bytes; a cell (with its sequence number)
// takes one cache line.
struct Slot {
  int64_t timestamp_us = 0;
  double progress = 0;
  // Owned: a message, or the prebuilt data of `started`; null for events
  // without strings. Pushed from a unique_ptr, taken back by TakeText().
  std::string* text = nullptr;
  uint32_t run = 0;
  uint32_t node = 0;
  EventType type = EventType::kStarted;
  NodeState state = NodeState::kPending;
};

// Returns ownership of the slot's text (null when it has none).
inline std::unique_ptr<std::string> TakeText(Slot& slot) {
  std::unique_ptr<std::string> text(slot.text);
  slot.text = nullptr;
  return text;
}

// A spin-wait hint to the CPU.
inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#else
  std::this_thread::yield();
#endif
}

class EventRing {
 public:
  // `capacity` is rounded up to a power of two, at least 2 (a one-cell ring
  // cannot tell a published cell from a free one of the next lap).
  explicit EventRing(size_t capacity) : mask_(RoundUp(capacity) - 1) {
    cells_ = std::make_unique<Cell[]>(mask_ + 1);
    // Also touches every page now, so that no push pays a page fault later.
    for (size_t i = 0; i <= mask_; ++i) cells_[i].seq.store(i, std::memory_order_relaxed);
  }

  ~EventRing() {
    // Frees the texts of slots nobody drained (the writer normally drains all).
    for (uint64_t pos = dequeue_pos_;; ++pos) {
      Cell& cell = cells_[pos & mask_];
      if (cell.seq.load(std::memory_order_acquire) != pos + 1) break;
      TakeText(cell.slot);
    }
  }

  EventRing(const EventRing&) = delete;
  EventRing& operator=(const EventRing&) = delete;

  size_t capacity() const { return mask_ + 1; }

  // Claims the next cell (blocking while the ring is full), lets `fill(Slot&)`
  // write it (it must not throw: a claimed cell that is never published stalls
  // the consumer), publishes it. Returns the event's ticket (0, 1, 2, ...): tickets
  // are the order the consumer sees.
  template <typename Fill>
  uint64_t Push(Fill&& fill) {
    // A ticket by one fetch_add, which never fails and retries the way a CAS
    // loop does under contention (that showed in the p99 with two callers).
    // seq_cst: the recorder's wake-up check relies on this being ordered
    // before its load of the writer's sleeping flag.
    const uint64_t pos = enqueue_pos_.fetch_add(1, std::memory_order_seq_cst);
    Cell& cell = cells_[pos & mask_];
    // The cell is free once the consumer took the event of the previous lap:
    // only while the ring is full does this wait.
    if (cell.seq.load(std::memory_order_acquire) != pos) WaitForCell(cell, pos);
    fill(cell.slot);
    cell.seq.store(pos + 1, std::memory_order_release);
    return pos;
  }

  // Consumer only: appends up to `max` published slots to `out` in ticket
  // order, frees their cells and wakes producers waiting for space. Stops at
  // the first cell not yet published (a producer may be between its claim and
  // its publish). Returns how many.
  size_t Drain(std::vector<Slot>& out, size_t max) {
    size_t n = 0;
    for (; n < max; ++n) {
      Cell& cell = cells_[dequeue_pos_ & mask_];
      if (cell.seq.load(std::memory_order_acquire) != dequeue_pos_ + 1) break;
      out.push_back(cell.slot);
      cell.seq.store(dequeue_pos_ + mask_ + 1, std::memory_order_release);
      ++dequeue_pos_;
    }
    if (n > 0) {
      // A waiter reads the epoch before it re-checks its cell and sleeps only
      // while the epoch is unchanged: this bump can never be missed.
      freed_epoch_.fetch_add(1, std::memory_order_seq_cst);
      if (full_waiters_.load(std::memory_order_seq_cst) > 0) freed_epoch_.notify_all();
    }
    return n;
  }

  // Tickets claimed so far (events pushed or being pushed).
  uint64_t Claimed() const { return enqueue_pos_.load(std::memory_order_seq_cst); }
  // Consumer only: tickets drained so far.
  uint64_t Consumed() const { return dequeue_pos_; }

 private:
  struct alignas(64) Cell {
    std::atomic<uint64_t> seq{0};
    Slot slot;
  };
  static_assert(sizeof(Slot) <= 48);
  static_assert(sizeof(Cell) == 64);

  static size_t RoundUp(size_t capacity) {
    // Past 2^26 cells (4 GiB) a bigger ring buys nothing.
    constexpr size_t kMax = size_t{1} << 26;
    size_t size = 2;
    while (size < capacity && size < kMax) size *= 2;
    return size;
  }

  void WaitForCell(Cell& cell, uint64_t pos) {
    // The writer needs a core to free space; spin only briefly.
    constexpr int kSpins = 64;
    for (int spins = 0;; ++spins) {
      if (cell.seq.load(std::memory_order_acquire) == pos) return;
      if (spins < kSpins) {
        CpuRelax();
        continue;
      }
      // Read the epoch before the re-check: a Drain after it changes the
      // epoch, so the wait below cannot miss it.
      uint32_t epoch = freed_epoch_.load(std::memory_order_seq_cst);
      if (cell.seq.load(std::memory_order_acquire) == pos) return;
      full_waiters_.fetch_add(1, std::memory_order_seq_cst);
      freed_epoch_.wait(epoch, std::memory_order_seq_cst);
      full_waiters_.fetch_sub(1, std::memory_order_relaxed);
      spins = 0;
    }
  }

  const size_t mask_;
  std::unique_ptr<Cell[]> cells_;
  // Producers hammer enqueue_pos_, the consumer dequeue_pos_: separate lines.
  alignas(64) std::atomic<uint64_t> enqueue_pos_{0};
  alignas(64) uint64_t dequeue_pos_ = 0;
  std::atomic<uint32_t> freed_epoch_{0};  // bumped by every Drain that freed cells
  std::atomic<uint32_t> full_waiters_{0};
};

}  // namespace extrace::recorder
