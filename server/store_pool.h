// Read connections to the store for the server's request threads: a request
// borrows one for as long as it reads and gives it back, so that each thread
// reads through its own connection (an EventStore is one SQLite connection,
// used by one thread at a time) and connections are opened once, not per request.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "extrace/status.h"
#include "storage/event_store.h"

namespace extrace::server {

class StorePool {
 public:
  explicit StorePool(std::string path);
  StorePool(const StorePool&) = delete;
  StorePool& operator=(const StorePool&) = delete;

  // A borrowed connection; given back when it goes out of scope.
  class Lease {
   public:
    Lease(StorePool& pool, std::unique_ptr<EventStore> store)
        : pool_(&pool), store_(std::move(store)) {}
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = default;
    ~Lease() {
      if (store_) pool_->GiveBack(std::move(store_));
    }
    EventStore& operator*() const { return *store_; }
    EventStore* operator->() const { return store_.get(); }

   private:
    StorePool* pool_;
    std::unique_ptr<EventStore> store_;
  };

  [[nodiscard]] Result<Lease> Borrow();

 private:
  void GiveBack(std::unique_ptr<EventStore> store);

  const std::string path_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<EventStore>> idle_;
};

}  // namespace extrace::server
