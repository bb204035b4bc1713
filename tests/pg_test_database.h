// What the PostgreSQL store tests share: a fresh database on the server the
// environment names (PGHOST, PGPORT, PGUSER, PGPASSWORD: pg_virtualenv sets
// them), dropped at the end; and a copy of a SQLite store's rows into it, so
// the read side can be compared with the SQLite backend's on the same content
// before (and independently of) the PostgreSQL write path.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

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

  // Every row of `sql` as text, columns joined by '|', each cell through
  // `cell(is_null, text, column)`.
  template <typename Cell>
  std::vector<std::string> Rows(const std::string& sql, Cell&& cell) const {
    pg::Connection db = Connect();
    auto result = db.Exec(sql);
    std::vector<std::string> rows;
    for (int r = 0; r < result.rows(); ++r) {
      std::string row;
      for (int c = 0; c < result.columns(); ++c) {
        if (c) row += '|';
        row += cell(result.IsNull(r, c), result.String(r, c), c);
      }
      rows.push_back(std::move(row));
    }
    return rows;
  }
  // The same with NULL as "NULL".
  std::vector<std::string> Rows(const std::string& sql) const {
    return Rows(sql, [](bool null, std::string text, int) { return null ? "NULL" : text; });
  }
  int64_t Count(const std::string& sql) const { return Connect().Exec(sql).Int64(0, 0); }

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
