// Schema migrations of the PostgreSQL event log: schema/postgres/00N_*.sql,
// compiled in, applied in one transaction under an advisory lock, so two
// processes opening a new database at once cannot race (the second waits, then
// finds the schema current). The version is the one row of extrace_schema.
#pragma once

#include <string>

#include "extrace/status.h"
#include "storage/postgres/connection.h"

namespace extrace {

// Brings the schema up to date (read-only: only checks it). Returns the
// version found before migrating (0: a new database). Throws pg::Failure.
Result<int> MigratePostgres(pg::Connection& db, const std::string& display, bool read_only);

}  // namespace extrace
