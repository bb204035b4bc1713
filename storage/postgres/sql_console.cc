// The SQL console of the PostgreSQL event log (`extrace query`): one
// statement over the documented views, on a store opened read_only, inside a
// READ ONLY transaction that is always rolled back, its rows streamed one at
// a time (libpq's single-row mode) and handed out as text. Numbers print as
// the SQLite backend prints them: integers as they are, floating point values
// in fmt's shortest round-trip form, booleans as 1 and 0.
#include <fmt/format.h>
#include <libpq-fe.h>

#include <cctype>
#include <charconv>
#include <chrono>
#include <memory>
#include <string_view>

#include "storage/postgres/errors.h"
#include "storage/postgres/pg_store.h"

namespace extrace {
namespace {

// Type OIDs (pg_type.oid, fixed by PostgreSQL's catalog).
constexpr Oid kBool = 16, kInt8 = 20, kInt2 = 21, kInt4 = 23, kFloat4 = 700, kFloat8 = 701,
              kNumeric = 1700;

using OwnedResult = std::unique_ptr<PGresult, void (*)(PGresult*)>;

enum class Kind : uint8_t { kText, kInteger, kFloat, kNumeric, kBool };

Kind KindOf(Oid type) {
  switch (type) {
    case kInt2:
    case kInt4:
    case kInt8:
      return Kind::kInteger;
    case kFloat4:
    case kFloat8:
      return Kind::kFloat;
    case kNumeric:
      return Kind::kNumeric;
    case kBool:
      return Kind::kBool;
    default:
      return Kind::kText;
  }
}

// A double as the SQLite backend prints a REAL (fmt's shortest round trip).
std::string FloatText(std::string_view text) {
  double value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::string(text);
  return fmt::format("{}", value);
}

// A numeric whose text is an integer stays exact (SQLite's sum() of integers
// is an integer); any other (avg(), 1.50, NaN) prints as SQLite's REAL would.
std::string NumericText(std::string_view text) {
  bool integer = !text.empty();
  for (size_t i = 0; i < text.size(); ++i)
    integer = integer && ((text[i] >= '0' && text[i] <= '9') || (i == 0 && text[i] == '-'));
  return integer ? std::string(text) : FloatText(text);
}

// A failed result as a pg::Failure (the server's SQLSTATE and message).
pg::Failure FailureOf(PGconn* conn, const PGresult* result) {
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const char* primary = result ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  std::string message = primary ? primary : PQerrorMessage(conn);
  std::string sqlstate = state ? state : (PQstatus(conn) == CONNECTION_OK ? "" : "08006");
  return pg::Failure(std::move(sqlstate), pg::OneLine(message));
}

// What the console reports for a failed statement: SQL errors are the user's
// (kInvalidInput), writes are refused (kReadOnly), a store out of reach stays so.
Error ConsoleError(const pg::Failure& failure) {
  const std::string& state = failure.sqlstate();
  if (state == "25006")
    return {StatusCode::kReadOnly, "SQL: only statements that read are allowed"};
  // PQprepare refuses several statements with this message (42601).
  if (std::string_view(failure.what()).find("multiple commands") != std::string_view::npos)
    return {StatusCode::kInvalidInput, "SQL: one statement at a time"};
  StatusCode code = pg::CodeFor(failure);
  if (code != StatusCode::kUnavailable && code != StatusCode::kBusy &&
      code != StatusCode::kDiskFull)
    code = StatusCode::kInvalidInput;
  return {code, fmt::format("SQL: {}", failure.what())};
}

// Reads what is left of a sent query, so the connection can take the next one
// (ROLLBACK) however the reading ended.
class Drain {
 public:
  explicit Drain(PGconn* conn) : conn_(conn) {}
  ~Drain() {
    while (PGresult* rest = PQgetResult(conn_)) PQclear(rest);
  }
  Drain(const Drain&) = delete;
  Drain& operator=(const Drain&) = delete;

 private:
  PGconn* conn_;
};

}  // namespace

Status PostgresEventStore::Query(const std::string& sql, const QueryOptions& options,
                                 const QueryHeader& header, const QueryRow& row) {
  auto ran = GuardedRead<bool>("running a query", [&]() -> Result<bool> {
    if (auto status = RunQuery(sql, options, header, row); !status)
      return tl::unexpected(status.error());
    return true;
  });
  if (!ran) return tl::unexpected(ran.error());
  return {};
}

Status PostgresEventStore::RunQuery(const std::string& sql, const QueryOptions& options,
                                    const QueryHeader& header, const QueryRow& row) {
  if (!options_.read_only)
    return MakeError(StatusCode::kInternal, "Query needs a store opened read-only");
  PGconn* conn = db_.get();
  // The session is read-only already (default_transaction_read_only); the
  // transaction says so again and is rolled back, undoing any SET it ran.
  std::string_view rest = sql;
  while (!rest.empty() &&
         (std::isspace(static_cast<unsigned char>(rest.front())) || rest.front() == ';'))
    rest.remove_prefix(1);
  if (rest.empty()) return MakeError(StatusCode::kInvalidInput, "SQL: no statement");
  pg::Transaction txn(db_, "BEGIN TRANSACTION READ ONLY");
  // The server stops the statement past the deadline (SQLSTATE 57014), as
  // SQLite's progress handler does; rolled back with the transaction.
  db_.Exec(fmt::format("SET LOCAL statement_timeout = {}", options.timeout.count()));
  auto error_of = [&](const PGresult* result) {
    pg::Failure failure = FailureOf(conn, result);
    if (failure.sqlstate() == "57014" && options.timeout.count() > 0)
      return tl::unexpected(QueryTimedOut(options.timeout));
    return tl::unexpected(ConsoleError(failure));
  };
  // The unnamed statement: preparing refuses several statements at once, and
  // describing it gives the columns before any row is read.
  OwnedResult prepared(PQprepare(conn, "", sql.c_str(), 0, nullptr), PQclear);
  if (PQresultStatus(prepared.get()) != PGRES_COMMAND_OK) return error_of(prepared.get());
  OwnedResult described(PQdescribePrepared(conn, ""), PQclear);
  if (PQresultStatus(described.get()) != PGRES_COMMAND_OK) return error_of(described.get());
  const int columns = PQnfields(described.get());
  // A statement that returns no columns (INSERT, SET, COMMIT, DO ...) is not
  // a read: refused before it runs.
  if (columns == 0)
    return MakeError(StatusCode::kReadOnly, "SQL: only statements that read are allowed");
  std::vector<std::string> names;
  std::vector<Kind> kinds;
  for (int c = 0; c < columns; ++c) {
    names.emplace_back(PQfname(described.get(), c));
    kinds.push_back(KindOf(PQftype(described.get(), c)));
  }
  std::vector<bool> numbers(static_cast<size_t>(columns));
  if (!PQsendQueryPrepared(conn, "", 0, nullptr, nullptr, nullptr, 0)) return error_of(nullptr);
  Drain drain(conn);
  // Rows one at a time, not the whole answer in memory first.
  PQsetSingleRowMode(conn);
  header(names);
  std::vector<std::optional<std::string>> values(static_cast<size_t>(columns));
  while (PGresult* raw = PQgetResult(conn)) {
    OwnedResult result(raw, PQclear);
    ExecStatusType status = PQresultStatus(raw);
    if (status == PGRES_TUPLES_OK) continue;  // the end of the rows
    if (status != PGRES_SINGLE_TUPLE) return error_of(raw);
    for (int c = 0; c < columns; ++c) {
      auto at = static_cast<size_t>(c);
      // A NULL is no number, as in SQLite (whose types are the values').
      numbers[at] = kinds[at] != Kind::kText && !PQgetisnull(raw, 0, c);
      if (PQgetisnull(raw, 0, c)) {
        values[at].reset();
        continue;
      }
      std::string_view text(PQgetvalue(raw, 0, c), static_cast<size_t>(PQgetlength(raw, 0, c)));
      switch (kinds[at]) {
        case Kind::kFloat:
          values[at] = FloatText(text);
          break;
        case Kind::kNumeric:
          values[at] = NumericText(text);
          break;
        case Kind::kBool:
          values[at].emplace(1, text == "t" ? '1' : '0');
          break;
        default:
          values[at] = std::string(text);
      }
    }
    row(values, numbers);
  }
  return {};
}

}  // namespace extrace
