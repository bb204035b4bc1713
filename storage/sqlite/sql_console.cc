// The SQL console of the SQLite event log (`extrace query`): one read-only
// statement over the documented views, on a store opened read_only, guarded
// (console_guard.h: no ATTACH, no setting changed, a deadline), its rows
// handed out as text. It talks to sqlite3 directly for the column types and
// for sqlite3_stmt_readonly, which SQLiteCpp does not expose.
#include <fmt/format.h>
#include <sqlite3.h>

#include <cctype>
#include <memory>

#include "storage/sqlite/console_guard.h"
#include "storage/sqlite/errors.h"
#include "storage/sqlite/sqlite_store.h"

namespace extrace {
namespace {

// A failed statement's code: the store's troubles keep theirs (busy, I/O);
// anything else, a value too long included, is the statement's (bad SQL).
StatusCode ConsoleCode(int rc) {
  StatusCode code = CodeForSqlite(rc, 0);
  if (code == StatusCode::kInternal || (rc & 0xff) == SQLITE_TOOBIG)
    return StatusCode::kInvalidInput;
  return code;
}

}  // namespace

Status SqliteEventStore::Query(const std::string& sql, const QueryOptions& options,
                               const QueryHeader& header, const QueryRow& row) {
  try {
    return RunQuery(sql, options, header, row);
  } catch (...) {
    return tl::unexpected(DescribeUnexpected("running a query"));
  }
}

Status SqliteEventStore::RunQuery(const std::string& sql, const QueryOptions& options,
                                  const QueryHeader& header, const QueryRow& row) {
  if (!options_.read_only)
    return MakeError(StatusCode::kInternal, "Query needs a store opened read-only");
  sqlite3* db = db_.getHandle();
  // Declared before the statement: removed after it is finalized.
  ConsoleGuard guard(db, options.timeout);
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &raw, &tail);
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> statement(raw, sqlite3_finalize);
  if (rc != SQLITE_OK && guard.refusal()) return tl::unexpected(*guard.refusal());
  if (rc != SQLITE_OK && guard.timed_out()) return tl::unexpected(guard.TimeoutError());
  if (rc != SQLITE_OK)
    return MakeError(ConsoleCode(rc), fmt::format("SQL: {}", sqlite3_errmsg(db)));
  if (!statement) return MakeError(StatusCode::kInvalidInput, "SQL: no statement");
  for (const char* rest = tail; rest && *rest; ++rest)
    if (!std::isspace(static_cast<unsigned char>(*rest)) && *rest != ';')
      return MakeError(StatusCode::kInvalidInput, "SQL: one statement at a time");
  if (!sqlite3_stmt_readonly(statement.get()))
    return MakeError(StatusCode::kReadOnly, "SQL: only statements that read are allowed");
  int columns = sqlite3_column_count(statement.get());
  std::vector<std::string> names;
  names.reserve(static_cast<size_t>(columns));
  for (int c = 0; c < columns; ++c) names.push_back(sqlite3_column_name(statement.get(), c));
  header(names);
  std::vector<std::optional<std::string>> values(static_cast<size_t>(columns));
  std::vector<bool> numbers(static_cast<size_t>(columns));
  while ((rc = sqlite3_step(statement.get())) == SQLITE_ROW) {
    for (int c = 0; c < columns; ++c) {
      int type = sqlite3_column_type(statement.get(), c);
      auto at = static_cast<size_t>(c);
      numbers[at] = type == SQLITE_INTEGER || type == SQLITE_FLOAT;
      if (type == SQLITE_NULL) {
        values[at].reset();
      } else if (type == SQLITE_FLOAT) {
        values[at] = fmt::format("{}", sqlite3_column_double(statement.get(), c));
      } else {
        const unsigned char* text = sqlite3_column_text(statement.get(), c);
        values[at] = std::string(reinterpret_cast<const char*>(text),
                                 sqlite3_column_bytes(statement.get(), c));
      }
    }
    row(values, numbers);
  }
  if (rc != SQLITE_DONE && guard.timed_out()) return tl::unexpected(guard.TimeoutError());
  if (rc != SQLITE_DONE)
    return MakeError(ConsoleCode(rc), fmt::format("SQL: {}", sqlite3_errmsg(db)));
  return {};
}

}  // namespace extrace
