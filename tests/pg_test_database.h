// A fresh PostgreSQL database for one [postgres] test, on the server that
// pg_virtualenv started (PGHOST, PGPORT, PGUSER, PGPASSWORD in the
// environment): created with createdb, dropped (--force) on destruction. Without
// PGHOST the test fails saying how to run it: a missing server must not pass.
#pragma once

#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>

#include "test_support.h"

namespace extrace::testing {

class PgDatabase {
 public:
  PgDatabase() {
    const char* host = std::getenv("PGHOST");
    if (!host || !*host)
      FAIL(
          "PGHOST is unset: [postgres] tests need a PostgreSQL server; run them inside "
          "`pg_virtualenv -v 15 ...` (make test does)");
    static std::atomic<int> counter{0};
    name_ = "extrace_test_" + std::to_string(getpid()) + "_" + std::to_string(counter++);
    ProcessResult made = RunProcess("/usr/bin/createdb", {name_});
    INFO("createdb: " << made.err);
    REQUIRE(made.exit_code == 0);
  }
  ~PgDatabase() { RunProcess("/usr/bin/dropdb", {"--force", "--if-exists", name_}); }
  PgDatabase(const PgDatabase&) = delete;
  PgDatabase& operator=(const PgDatabase&) = delete;

  const std::string& name() const { return name_; }
  // The store's URI: no host, so libpq takes the server from the PG* variables.
  std::string uri() const { return "postgresql:///" + name_; }
  // One SQL statement through psql; its unaligned, tuples-only output.
  std::string Sql(const std::string& sql) const {
    ProcessResult result =
        RunProcess("/usr/bin/psql", {"-XAtq", "-v", "ON_ERROR_STOP=1", "-d", name_, "-c", sql});
    INFO("psql: " << result.err);
    REQUIRE(result.exit_code == 0);
    return result.out;
  }

 private:
  std::string name_;
};

}  // namespace extrace::testing
