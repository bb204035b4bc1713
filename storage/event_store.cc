// EventStore's factory and non-virtual helpers. Open picks the backend; the
// only one today is SQLite (storage/sqlite/), and a second one (PostgreSQL)
// would be a sibling folder chosen here, by the kind of `path`.
#include "storage/event_store.h"

#include "storage/sqlite/open.h"

namespace extrace {

Result<std::unique_ptr<EventStore>> EventStore::Open(const std::string& path,
                                                     const StoreOptions& options) {
  return OpenSqliteStore(path, options);
}

Result<std::vector<Event>> EventStore::ReadEvents(const std::string& execution_id) {
  std::vector<Event> events;
  // Growing a vector of a million events copies it many times: size it once.
  if (auto run = GetRun(execution_id); run && *run)
    events.reserve(static_cast<size_t>((*run)->event_count));
  auto status = ForEachEvent(execution_id, [&](Event&& e) { events.push_back(std::move(e)); });
  if (!status) return tl::unexpected(status.error());
  return events;
}

}  // namespace extrace
