// Opens the PostgreSQL event log: EventStore::Open's backend for postgresql://
// and postgres:// URIs. Kept apart from pg_store.h so the dispatcher in
// event_store.cc sees no libpq.
#pragma once

#include <memory>
#include <string>

#include "storage/event_store.h"

namespace extrace {

// True for a connection string this backend takes (postgresql:// or postgres://).
bool IsPostgresUri(const std::string& uri);
// The URI without its password (userinfo or `password=` parameter): what
// messages and logs may show.
std::string RedactedUri(const std::string& uri);
// Connects, then brings the schema up to date (unless read_only); see EventStore::Open.
[[nodiscard]] Result<std::unique_ptr<EventStore>> OpenPostgresStore(const std::string& uri,
                                                                    const StoreOptions& options);

}  // namespace extrace
