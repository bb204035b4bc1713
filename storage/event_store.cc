// EventStore's factory and non-virtual helpers. Open picks the backend by the
// kind of `path`: a postgresql:// or postgres:// URI is PostgreSQL
// (storage/postgres/), anything else SQLite (storage/sqlite/), with an optional
// sqlite: prefix.
#include "storage/event_store.h"

#include "storage/postgres/open.h"
#include "storage/sqlite/open.h"

namespace extrace {

Result<std::unique_ptr<EventStore>> EventStore::Open(const std::string& path,
                                                     const StoreOptions& options) {
  if (IsPostgresUri(path)) return OpenPostgresStore(path, options);
  return OpenSqliteStore(SqlitePath(path), options);
}

std::string EventStore::SqlitePath(const std::string& path) {
  // sqlite:PATH and sqlite://PATH name the file PATH.
  std::string_view rest = path;
  if (rest.substr(0, 7) != "sqlite:") return path;
  rest.remove_prefix(7);
  if (rest.substr(0, 2) == "//") rest.remove_prefix(2);
  return std::string(rest);
}

std::string EventStore::DisplayName(const std::string& path) {
  return IsPostgresUri(path) ? RedactedUri(path) : SqlitePath(path);
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
