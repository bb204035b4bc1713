// What every connection of one `extrace serve` shares: its options, the read
// connections, the writer, the counters behind the connection and subscriber
// caps, and the list of live event streams that a commit wakes.
#pragma once

#include <atomic>
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
  ServerState(const ServerOptions& options, std::string db_path)
      : options(options), pool(std::move(db_path)) {}

  const ServerOptions& options;
  StorePool pool;
  IngestWriter* writer = nullptr;  // set once the writer exists, before the first accept
  SubscriberList subscribers;
  std::atomic<size_t> connections{0};
  std::atomic<size_t> streams{0};
  // Requests between their headers and their response's last byte.
  std::atomic<size_t> in_flight{0};
  std::atomic<bool> draining{false};
};

// Holds one unit of a counter for as long as it lives (a connection, a stream,
// a request in flight), however the holder ends.
class CounterSlot {
 public:
  CounterSlot() = default;
  explicit CounterSlot(std::atomic<size_t>& counter) : counter_(&counter) { ++*counter_; }
  CounterSlot(CounterSlot&& other) noexcept : counter_(std::exchange(other.counter_, nullptr)) {}
  CounterSlot& operator=(CounterSlot&& other) noexcept {
    if (this != &other) {
      Release();
      counter_ = std::exchange(other.counter_, nullptr);
    }
    return *this;
  }
  CounterSlot(const CounterSlot&) = delete;
  CounterSlot& operator=(const CounterSlot&) = delete;
  ~CounterSlot() { Release(); }
  void Release() {
    if (counter_) --*std::exchange(counter_, nullptr);
  }

 private:
  std::atomic<size_t>* counter_ = nullptr;
};

}  // namespace extrace::server
