// A fresh PostgreSQL database for one test case, on the server the PG*
// environment variables name (pg_virtualenv exports them): created through the
// `postgres` maintenance database, dropped at the end. A test that needs one
// fails (not skips) when PGHOST is unset: a missing server must not pass.
#pragma once

#include <catch2/catch.hpp>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "storage/postgres/connection.h"

namespace extrace::testing {

class PgTestDatabase {
 public:
  PgTestDatabase() {
    if (std::getenv("PGHOST") == nullptr)
      FAIL(
          "PGHOST is unset: the [postgres] tests need a PostgreSQL server; run them as "
          "`pg_virtualenv -v 15 build/bin/storage_tests '[postgres]'`");
    std::random_device random;
    name_ = "extrace_test_" + std::to_string(random()) + std::to_string(random() % 1000);
    pg::Connection admin("dbname=postgres");
    admin.Exec("CREATE DATABASE " + name_);
  }
  ~PgTestDatabase() {
    try {
      pg::Connection admin("dbname=postgres");
      admin.Exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    } catch (...) {
      // The cluster is thrown away with pg_virtualenv anyway.
    }
  }
  PgTestDatabase(const PgTestDatabase&) = delete;
  PgTestDatabase& operator=(const PgTestDatabase&) = delete;

  const std::string& name() const { return name_; }
  // What EventStore::Open takes: libpq fills in host, port and user from PG*.
  std::string uri() const { return "postgresql:///" + name_; }
  // A connection of the test's own, for reading rows back.
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
  int64_t Count(const std::string& sql) const {
    pg::Connection db = Connect();
    return db.Exec(sql).Int64(0, 0);
  }

 private:
  std::string name_;
};

}  // namespace extrace::testing
