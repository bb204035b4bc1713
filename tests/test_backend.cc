// The tests' backend switch and throwaway PostgreSQL databases: see
// test_backend.h. libpq directly, not storage/postgres/: the fixture must keep
// working while the store under test is broken.
#include "test_backend.h"

#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <stdexcept>
#include <string_view>

namespace extrace::testing {

namespace {

constexpr char kNoServer[] =
    "PostgreSQL tests need a server: run them under pg_virtualenv (make test does)";

using Connection = std::unique_ptr<PGconn, void (*)(PGconn*)>;
using Result = std::unique_ptr<PGresult, void (*)(PGresult*)>;

// A connection to `database` (a name, or a postgresql:// URI) on the PG*
// variables' server; throws when refused.
Connection Connect(const std::string& database) {
  const char* host = std::getenv("PGHOST");
  if (host == nullptr || *host == '\0') throw std::runtime_error(kNoServer);
  const char* keys[] = {"dbname", "connect_timeout", nullptr};
  const char* values[] = {database.c_str(), "10", nullptr};
  Connection conn(PQconnectdbParams(keys, values, 1), PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK)
    throw std::runtime_error("test PostgreSQL server (PGHOST=" + std::string(host) +
                             "): " + PQerrorMessage(conn.get()));
  return conn;
}

Result Exec(PGconn* conn, const std::string& sql) {
  Result result(PQexec(conn, sql.c_str()), PQclear);
  ExecStatusType status = PQresultStatus(result.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
    throw std::runtime_error(sql + ": " + PQerrorMessage(conn));
  return result;
}

std::string UniqueName() {
  static std::atomic<int> counter{0};
  static const unsigned salt = std::random_device{}();
  return "extrace_t_" + std::to_string(getpid()) + "_" + std::to_string(++counter) + "_" +
         std::to_string(salt % 1000000);
}

}  // namespace

bool PostgresBackend() {
  static const bool postgres = [] {
    const char* value = std::getenv("EXTRACE_TEST_BACKEND");
    std::string_view backend = value == nullptr ? "" : value;
    if (backend.empty() || backend == "sqlite") return false;
    if (backend == "postgres") return true;
    throw std::runtime_error("EXTRACE_TEST_BACKEND=" + std::string(backend) +
                             ": expected postgres or sqlite");
  }();
  return postgres;
}

const char* BackendName() { return PostgresBackend() ? "postgres" : "sqlite"; }

std::string CreateTestDatabase() {
  Connection conn = Connect("postgres");
  std::string name = UniqueName();
  // Names are ours ([a-z0-9_]): no quoting needed.
  Exec(conn.get(), "CREATE DATABASE " + name);
  return name;
}

void DropTestDatabase(const std::string& name) noexcept {
  try {
    Connection conn = Connect("postgres");
    Exec(conn.get(), "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dropping test database %s: %s\n", name.c_str(), e.what());
  }
}

std::string PostgresUri(const std::string& database) { return "postgresql:///" + database; }

std::string PostgresScalar(const std::string& uri, const std::string& sql) {
  Connection conn = Connect(uri);
  Result result = Exec(conn.get(), sql);
  if (PQntuples(result.get()) == 0 || PQgetisnull(result.get(), 0, 0)) return "";
  return PQgetvalue(result.get(), 0, 0);
}

bool SqliteOnlyPart(const char* reason) {
  if (!PostgresBackend()) return true;
  WARN("skipped on PostgreSQL (SQLite-only part): " << reason);
  return false;
}

}  // namespace extrace::testing
