// What the PostgreSQL store tests share: a fresh database on the server the
// environment names (PGHOST, PGPORT, PGUSER, PGPASSWORD: pg_virtualenv sets
// them), dropped at the end; and a copy of a SQLite store's rows into it, so
// the read side can be compared with the SQLite backend's on the same content
// before (and independently of) the PostgreSQL write path.
#pragma once

#include <string>

#include "storage/postgres/connection.h"

namespace extrace::pg_test {

// CREATE DATABASE extrace_test_<random> on construction, DROP ... WITH (FORCE)
// on destruction. Fails the test (never skips) when PGHOST is unset.
class Database {
 public:
  Database();
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  const std::string& name() const { return name_; }
  // postgresql:///NAME: libpq takes the host, port, user and password from the environment.
  std::string uri() const { return "postgresql:///" + name_; }
  // A connection of its own (a second machine, or the test's hand on the rows).
  pg::Connection Connect() const { return pg::Connection("dbname=" + name_); }

 private:
  std::string name_;
};

// Copies every row of the SQLite store at `sqlite_path` (executions, graphs,
// event_log, run_nodes, with interned strings put back as text and the same
// ids) into `db`, whose schema is already there and whose tables are empty.
void CopySqliteRows(const std::string& sqlite_path, pg::Connection& db);

// A random lower-case suffix for names of databases and roles.
std::string RandomSuffix();

}  // namespace extrace::pg_test
