// Brings a database to the schema this binary knows, by PRAGMA user_version.
#pragma once

#include <SQLiteCpp/Database.h>

#include <string>

#include "extrace/status.h"

namespace extrace {

// Read-write: applies every missing migration, each in its own transaction.
// Read-only: only checks. Either way a newer schema is refused (kSchemaTooNew).
// Returns the version the database had before (0: a new database).
[[nodiscard]] Result<int> MigrateSchema(SQLite::Database& db, const std::string& path,
                                        bool read_only);

}  // namespace extrace
