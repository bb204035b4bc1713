// What every connection of one `extrace serve` shares: its options, the read
// connections, the writer, the counters behind the connection and subscriber
// caps, and the list of live event streams that a commit wakes.
#pragma once

#include <atomic>
#include <boost/asio/thread_pool.hpp>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "server/ingest_writer.h"
#include "server/server_options.h"
#include "server/store_pool.h"

namespace extrace::server {

// An event stream that wants to hear of commits (it then reads what is new).
class Subscriber {
 public:
  virtual ~Subscriber() = default;
  // Called on the writer's thread after a commit: must only post work.
  virtual void Wake() = 0;
};

class SubscriberList {
 public:
  void Add(const std::weak_ptr<Subscriber>& subscriber);
  // Wakes every live subscriber and forgets the ones that ended.
  void WakeAll();

 private:
  std::mutex mutex_;
  std::vector<std::weak_ptr<Subscriber>> subscribers_;
};

struct ServerState {
  ServerState(const ServerOptions& options, std::string db_path, unsigned workers)
      : options(options), pool(std::move(db_path)), blocking(workers) {}

  const ServerOptions& options;
  StorePool pool;
  IngestWriter* writer = nullptr;  // set once the writer exists, before the first accept
  SubscriberList subscribers;
  std::atomic<size_t> connections{0};
  std::atomic<size_t> streams{0};
  // Requests between their headers and their response's last byte.
  std::atomic<size_t> in_flight{0};
  std::atomic<bool> draining{false};
  // Bytes of request bodies being read, parsed or stored: one client's 64 MiB
  // is fine, many at once would not be (503 beyond kBodyBudgetFactor x the limit).
  std::atomic<size_t> body_bytes{0};
  // Reads of the store and parsing: never on the connections' threads, so that
  // a heavy document cannot hold up the others' I/O. Last: joined first.
  boost::asio::thread_pool blocking;
};

// Bodies in flight at once, as a multiple of the body limit.
inline constexpr size_t kBodyBudgetFactor = 4;

// Holds `amount` of a counter for as long as it lives (a connection, a stream,
// a request in flight, a body's bytes), however the holder ends.
class CounterSlot {
 public:
  CounterSlot() = default;
  explicit CounterSlot(std::atomic<size_t>& counter, size_t amount = 1)
      : counter_(&counter), amount_(amount) {
    *counter_ += amount_;
  }
  CounterSlot(CounterSlot&& other) noexcept
      : counter_(std::exchange(other.counter_, nullptr)), amount_(other.amount_) {}
  CounterSlot& operator=(CounterSlot&& other) noexcept {
    if (this != &other) {
      Release();
      counter_ = std::exchange(other.counter_, nullptr);
      amount_ = other.amount_;
    }
    return *this;
  }
  CounterSlot(const CounterSlot&) = delete;
  CounterSlot& operator=(const CounterSlot&) = delete;
  ~CounterSlot() { Release(); }
  void Release() {
    if (counter_) *std::exchange(counter_, nullptr) -= amount_;
  }
  // One unit, unless the counter is at `limit` already (then an empty slot).
  static CounterSlot TryTake(std::atomic<size_t>& counter, size_t limit) {
    size_t now = counter.load();
    do {
      if (now >= limit) return CounterSlot();
    } while (!counter.compare_exchange_weak(now, now + 1));
    CounterSlot slot;
    slot.counter_ = &counter;
    return slot;
  }
  bool held() const { return counter_ != nullptr; }

 private:
  std::atomic<size_t>* counter_ = nullptr;
  size_t amount_ = 1;
};

}  // namespace extrace::server
