// Which store backend the tests run against, and the throwaway PostgreSQL
// databases of PostgreSQL mode. EXTRACE_TEST_BACKEND=postgres (ctest's pg/
// entries set it) gives every store a test makes through TempDir::Store a
// fresh database on the server the PG* variables name (pg_virtualenv exports
// them); unset or `sqlite`, a store is a file in the test's folder.
#pragma once

#include <string>

namespace extrace::testing {

// True when EXTRACE_TEST_BACKEND=postgres; throws (failing the test) on a
// value that is neither `postgres` nor `sqlite`.
bool PostgresBackend();
// "postgres" or "sqlite": for messages.
const char* BackendName();

// Creates a fresh, empty database (extrace_t_<pid>_<counter>_<random>) through
// the `postgres` maintenance database; returns its name. Throws
// std::runtime_error, failing the test, when no server is configured (PGHOST
// unset) or it refuses.
std::string CreateTestDatabase();
// DROP DATABASE ... WITH (FORCE): connections still open (a child process, a
// store the test kept) are ended. Never throws; a failure is printed.
void DropTestDatabase(const std::string& name) noexcept;
// The URI EventStore::Open and --db take: host, port, user and password come
// from the PG* variables.
std::string PostgresUri(const std::string& database);

// The first column of the first row of `sql` run on the database of store
// `uri` (empty when no row or NULL): for the few tests that look past the
// EventStore API, e.g. at the schema version.
std::string PostgresScalar(const std::string& uri, const std::string& sql);

// Runs a test's SQLite-specific part in SQLite mode only: true in SQLite mode;
// in PostgreSQL mode false, with a warning naming `reason`, so a skipped part
// shows in the output instead of passing silently.
bool SqliteOnlyPart(const char* reason);

}  // namespace extrace::testing
