// StorePool: see store_pool.h.
#include "server/store_pool.h"

namespace extrace::server {

StorePool::StorePool(std::string path) : path_(std::move(path)) {}

Result<StorePool::Lease> StorePool::Borrow() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      auto store = std::move(idle_.back());
      idle_.pop_back();
      return Lease(*this, std::move(store));
    }
  }
  StoreOptions options;
  options.read_only = true;
  // A reader waits briefly for a writer's checkpoint, then answers 503.
  options.busy_timeout_ms = 2000;
  auto store = EventStore::Open(path_, options);
  if (!store) return tl::unexpected(store.error());
  return Lease(*this, std::move(*store));
}

void StorePool::GiveBack(std::unique_ptr<EventStore> store) {
  std::lock_guard lock(mutex_);
  idle_.push_back(std::move(store));
}

}  // namespace extrace::server
