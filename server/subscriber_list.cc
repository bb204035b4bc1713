// SubscriberList: see server_state.h.
#include <algorithm>

#include "server/server_state.h"

namespace extrace::server {

void SubscriberList::Add(const std::weak_ptr<Subscriber>& subscriber) {
  std::lock_guard lock(mutex_);
  subscribers_.push_back(subscriber);
}

void SubscriberList::WakeAll() {
  std::vector<std::shared_ptr<Subscriber>> live;
  {
    std::lock_guard lock(mutex_);
    std::erase_if(subscribers_, [](const auto& weak) { return weak.expired(); });
    for (const auto& weak : subscribers_)
      if (auto subscriber = weak.lock()) live.push_back(std::move(subscriber));
  }
  for (const auto& subscriber : live) subscriber->Wake();
}

}  // namespace extrace::server
