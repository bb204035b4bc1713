// Opens the SQLite event log: EventStore::Open's SQLite backend. Kept apart
// from sqlite_store.h so the dispatcher in event_store.cc sees no SQLite.
#pragma once

#include <memory>
#include <string>

#include "storage/event_store.h"

namespace extrace {

// Opens (read-write: creates) the database at `path`; see EventStore::Open.
[[nodiscard]] Result<std::unique_ptr<EventStore>> OpenSqliteStore(const std::string& path,
                                                                  const StoreOptions& options);

}  // namespace extrace
