// A thin RAII layer over libpq, the way SQLiteCpp wraps SQLite: a connection,
// a result, a parameter list, and a transaction that rolls back unless it was
// committed. Failures inside the PostgreSQL backend throw pg::Failure (with
// the server's SQLSTATE); the backend catches it at the EventStore boundary
// and maps it (errors.h), so no exception leaves the store.
// Threads: a Connection is one libpq connection, used by one thread at a time.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace extrace::pg {

// A failed libpq call: the server's SQLSTATE (empty when libpq failed locally,
// e.g. the connection broke) and its message on one line.
class Failure : public std::runtime_error {
 public:
  Failure(std::string sqlstate, const std::string& message)
      : std::runtime_error(message), sqlstate_(std::move(sqlstate)) {}
  const std::string& sqlstate() const { return sqlstate_; }

 private:
  std::string sqlstate_;
};

// libpq's messages span lines ("...failed: Connection refused\n\tIs the
// server running..."): ours are one line.
std::string OneLine(std::string_view message);

// Parameters in text format; NULL for std::nullopt.
class Params {
 public:
  Params& Add(std::string_view text);
  Params& Add(int64_t value);
  Params& Add(double value);
  Params& AddNull();
  template <typename T>
  Params& Add(const std::optional<T>& value) {
    return value ? Add(*value) : AddNull();
  }
  size_t size() const { return values_.size(); }
  // Pointers into the values: valid until the next Add.
  std::vector<const char*> Pointers() const;
  void Clear() { values_.clear(); }

 private:
  std::vector<std::optional<std::string>> values_;
};

class Result {
 public:
  explicit Result(PGresult* result) : result_(result, PQclear) {}
  int rows() const { return PQntuples(result_.get()); }
  int columns() const { return PQnfields(result_.get()); }
  bool IsNull(int row, int column) const { return PQgetisnull(result_.get(), row, column) != 0; }
  std::string_view Text(int row, int column) const {
    return {PQgetvalue(result_.get(), row, column),
            static_cast<size_t>(PQgetlength(result_.get(), row, column))};
  }
  std::string String(int row, int column) const { return std::string(Text(row, column)); }
  int64_t Int64(int row, int column) const;
  double Double(int row, int column) const;
  bool Bool(int row, int column) const { return Text(row, column) == "t"; }
  std::optional<int64_t> OptionalInt64(int row, int column) const {
    if (IsNull(row, column)) return std::nullopt;
    return Int64(row, column);
  }
  std::optional<std::string> OptionalString(int row, int column) const {
    if (IsNull(row, column)) return std::nullopt;
    return String(row, column);
  }
  const char* ColumnName(int column) const { return PQfname(result_.get(), column); }
  Oid ColumnType(int column) const { return PQftype(result_.get(), column); }
  // Rows changed by an INSERT, UPDATE or DELETE.
  int64_t Affected() const;
  // The command tag: "INSERT 0 5", "COMMIT", "ROLLBACK", ...
  std::string_view CommandStatus() const { return PQcmdStatus(result_.get()); }

 private:
  std::unique_ptr<PGresult, void (*)(PGresult*)> result_;
};

class Connection {
 public:
  // Connects to `conninfo` (a postgresql:// URI or key=value words); throws
  // Failure with an empty SQLSTATE and libpq's reason when it cannot.
  explicit Connection(const std::string& conninfo);
  Connection(Connection&&) noexcept = default;
  Connection& operator=(Connection&&) noexcept = default;

  // Runs a statement without parameters (several, separated by `;`, allowed).
  Result Exec(std::string_view sql);
  Result Exec(std::string_view sql, const Params& params);
  // A statement prepared once per connection under `name`, then executed.
  Result ExecPrepared(const char* name, const char* sql, const Params& params);
  // Runs `copy_sql` (COPY ... FROM STDIN) with `data`, rows in COPY's text
  // format: the fastest way rows go into a table.
  void CopyIn(std::string_view copy_sql, std::string_view data);
  // Forgets prepared statements (after a reconnect the server has none).
  void ForgetPrepared() { prepared_.clear(); }
  bool Healthy() const { return PQstatus(conn_.get()) == CONNECTION_OK; }
  // Reconnects with the same parameters; throws Failure when it cannot.
  void Reconnect();
  PGconn* get() const { return conn_.get(); }

 private:
  // Throws Failure unless `result` is a success.
  Result Check(PGresult* result);

  std::unique_ptr<PGconn, void (*)(PGconn*)> conn_;
  std::vector<std::string> prepared_;
};

// BEGIN on construction; ROLLBACK on destruction unless Commit() returned.
class Transaction {
 public:
  explicit Transaction(Connection& connection, std::string_view begin = "BEGIN");
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void Commit();

 private:
  Connection& connection_;
  bool open_ = true;
};

}  // namespace extrace::pg
