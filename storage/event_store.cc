// EventStore's non-virtual helpers.
#include "storage/event_store.h"

namespace extrace {

Result<std::vector<Event>> EventStore::ReadEvents(const std::string& execution_id) {
  std::vector<Event> events;
  auto status = ForEachEvent(execution_id, [&](Event&& e) { events.push_back(std::move(e)); });
  if (!status) return tl::unexpected(status.error());
  return events;
}

}  // namespace extrace
