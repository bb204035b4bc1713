// A throwaway PostgreSQL database per test, and SQLite rows copied into it:
// see pg_test_database.h.
#include "pg_test_database.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <memory>
#include <random>
#include <vector>

namespace extrace::pg_test {
namespace {

pg::Connection Maintenance() { return pg::Connection("dbname=postgres"); }

// The rows of `select` on the SQLite database inserted with `insert` ($1..$N
// in the select's column order). REALs go over in their shortest exact form.
void CopyTable(sqlite3* lite, pg::Connection& db, const char* select, const std::string& insert) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(lite, select, -1, &raw, nullptr) != SQLITE_OK)
    FAIL("sqlite: " << sqlite3_errmsg(lite) << " in " << select);
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> statement(raw, sqlite3_finalize);
  const int columns = sqlite3_column_count(raw);
  while (sqlite3_step(raw) == SQLITE_ROW) {
    pg::Params params;
    for (int c = 0; c < columns; ++c) {
      switch (sqlite3_column_type(raw, c)) {
        case SQLITE_NULL:
          params.AddNull();
          break;
        case SQLITE_FLOAT:
          params.Add(sqlite3_column_double(raw, c));
          break;
        default:
          params.Add(std::string_view(reinterpret_cast<const char*>(sqlite3_column_text(raw, c)),
                                      static_cast<size_t>(sqlite3_column_bytes(raw, c))));
      }
    }
    db.Exec(insert, params);
  }
}

}  // namespace

std::string RandomSuffix() {
  std::random_device device;
  std::mt19937_64 random(device());
  return fmt::format("{:016x}", random());
}

Database::Database() {
  if (std::getenv("PGHOST") == nullptr)
    FAIL(
        "PGHOST is unset: the [postgres] tests need a PostgreSQL server; run them under "
        "`pg_virtualenv -v 15 build/bin/storage_tests '[postgres]'`");
  name_ = "extrace_test_" + RandomSuffix();
  // A linguistic collation (ICU's root), not byte order: where SQLite's order
  // matters the statements must say so (COLLATE "C"), and the tests see it.
  auto db = Maintenance();
  try {
    db.Exec("CREATE DATABASE " + name_ +
            " TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'und' LOCALE 'C.UTF-8'");
  } catch (const pg::Failure& failure) {
    WARN("no ICU collation (" << failure.what() << "): the database's default collation");
    db.Exec("CREATE DATABASE " + name_);
  }
}

Database::~Database() {
  try {
    Maintenance().Exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  } catch (const std::exception& e) {
    WARN("dropping " << name_ << ": " << e.what());
  }
}

void CopySqliteRows(const std::string& sqlite_path, pg::Connection& db) {
  sqlite3* raw = nullptr;
  if (sqlite3_open_v2(sqlite_path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK)
    FAIL("cannot open " << sqlite_path);
  std::unique_ptr<sqlite3, int (*)(sqlite3*)> lite(raw, sqlite3_close);
  pg::Transaction txn(db);
  CopyTable(
      raw, db,
      "SELECT id, execution_id, root_node_id, parent_execution_id, parent_node_id, start_seq, "
      "start_us, end_seq, end_us, end_type, event_count, max_seq, last_us, error_nodes, "
      "coalesce(base_us, 0) FROM executions",
      "INSERT INTO executions(id, execution_id, root_node_id, parent_execution_id, "
      "parent_node_id, start_seq, start_us, end_seq, end_us, end_type, event_count, max_seq, "
      "last_us, error_nodes, base_us) OVERRIDING SYSTEM VALUE VALUES ($1, $2, $3, $4, $5, $6, "
      "$7, $8, $9, $10, $11, $12, $13, $14, $15)");
  CopyTable(raw, db, "SELECT id, text FROM graphs",
            "INSERT INTO graphs(id, digest, text) OVERRIDING SYSTEM VALUE "
            "VALUES ($1, sha256(convert_to($2, 'UTF8')), $2)");
  CopyTable(raw, db,
            "SELECT e.execution, e.seq, e.ts_us, e.type, s.value, e.data, e.layout, e.graph "
            "FROM event_log e LEFT JOIN strings s ON s.id = e.node",
            "INSERT INTO event_log(execution, seq, ts_us, type, node, data, layout, graph) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)");
  CopyTable(
      raw, db,
      "SELECT n.execution, node.value, n.declared, parent.value, n.position, name.value, "
      "type.value, n.state, n.state_seq, n.start_seq, n.start_us, n.end_us, n.progress, "
      "n.progress_seq, n.error_message FROM run_nodes n "
      "JOIN strings node ON node.id = n.node LEFT JOIN strings parent ON parent.id = n.parent "
      "LEFT JOIN strings name ON name.id = n.name LEFT JOIN strings type ON type.id = n.type",
      "INSERT INTO run_nodes(execution, node, declared, parent, position, name, type, state, "
      "state_seq, start_seq, start_us, end_us, progress, progress_seq, error_message) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)");
  // Rows added later (a test's second connection) get ids after the copied ones.
  db.Exec(
      "SELECT setval(pg_get_serial_sequence('executions', 'id'), "
      "(SELECT coalesce(max(id), 0) + 1 FROM executions), false)");
  db.Exec(
      "SELECT setval(pg_get_serial_sequence('graphs', 'id'), "
      "(SELECT coalesce(max(id), 0) + 1 FROM graphs), false)");
  txn.Commit();
}

}  // namespace extrace::pg_test
