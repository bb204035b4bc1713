// The libpq RAII layer: see connection.h.
#include "storage/postgres/connection.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace extrace::pg {

std::string OneLine(std::string_view message) {
  std::string line;
  bool space = false;
  for (char c : message) {
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      space = !line.empty();
      continue;
    }
    if (space) line += ' ';
    space = false;
    line += c;
  }
  return line;
}

Params& Params::Add(std::string_view text) {
  values_.emplace_back(std::string(text));
  return *this;
}

Params& Params::Add(int64_t value) {
  values_.emplace_back(fmt::format_int(value).str());
  return *this;
}

Params& Params::Add(double value) {
  values_.emplace_back(fmt::format("{}", value));
  return *this;
}

Params& Params::AddNull() {
  values_.emplace_back(std::nullopt);
  return *this;
}

std::vector<const char*> Params::Pointers() const {
  std::vector<const char*> pointers;
  pointers.reserve(values_.size());
  for (const auto& value : values_) pointers.push_back(value ? value->c_str() : nullptr);
  return pointers;
}

int64_t Result::Int64(int row, int column) const {
  std::string_view text = Text(row, column);
  int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size())
    throw Failure("XX000", fmt::format("column {} holds \"{}\", not an integer",
                                       PQfname(result_.get(), column), text));
  return value;
}

double Result::Double(int row, int column) const {
  std::string_view text = Text(row, column);
  double value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size())
    throw Failure("XX000", fmt::format("column {} holds \"{}\", not a number",
                                       PQfname(result_.get(), column), text));
  return value;
}

int64_t Result::Affected() const {
  const char* text = PQcmdTuples(result_.get());
  return text == nullptr || *text == '\0' ? 0 : std::stoll(text);
}

Connection::Connection(const std::string& conninfo)
    : conn_(PQconnectdb(conninfo.c_str()), PQfinish) {
  if (!conn_) throw Failure("", "out of memory");
  if (PQstatus(conn_.get()) != CONNECTION_OK)
    throw Failure("", OneLine(PQerrorMessage(conn_.get())));
  // Our messages are one line; the server's notices (CREATE ... IF NOT EXISTS) are noise.
  PQsetNoticeProcessor(
      conn_.get(), [](void*, const char*) {}, nullptr);
}

void Connection::Reconnect() {
  prepared_.clear();
  PQreset(conn_.get());
  if (PQstatus(conn_.get()) != CONNECTION_OK)
    throw Failure("", OneLine(PQerrorMessage(conn_.get())));
}

Result Connection::Check(PGresult* raw) {
  Result result(raw);
  ExecStatusType status = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY)
    return result;
  const char* sqlstate = raw ? PQresultErrorField(raw, PG_DIAG_SQLSTATE) : nullptr;
  const char* primary = raw ? PQresultErrorField(raw, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  std::string message = primary ? std::string(primary) : OneLine(PQerrorMessage(conn_.get()));
  // A broken connection has no SQLSTATE from the server: class 08 says so.
  std::string state = sqlstate ? sqlstate : (Healthy() ? "" : "08006");
  throw Failure(std::move(state), OneLine(message));
}

Result Connection::Exec(std::string_view sql) {
  return Check(PQexec(conn_.get(), std::string(sql).c_str()));
}

Result Connection::Exec(std::string_view sql, const Params& params) {
  auto pointers = params.Pointers();
  return Check(PQexecParams(conn_.get(), std::string(sql).c_str(), static_cast<int>(params.size()),
                            nullptr, pointers.data(), nullptr, nullptr, 0));
}

Result Connection::ExecPrepared(const char* name, const char* sql, const Params& params) {
  if (std::find(prepared_.begin(), prepared_.end(), name) == prepared_.end()) {
    Check(PQprepare(conn_.get(), name, sql, 0, nullptr));
    prepared_.emplace_back(name);
  }
  auto pointers = params.Pointers();
  return Check(PQexecPrepared(conn_.get(), name, static_cast<int>(params.size()), pointers.data(),
                              nullptr, nullptr, 0));
}

void Connection::CopyIn(std::string_view copy_sql, std::string_view data) {
  PGresult* started = PQexec(conn_.get(), std::string(copy_sql).c_str());
  if (started == nullptr || PQresultStatus(started) != PGRES_COPY_IN) {
    Check(started);  // throws the server's reason
    throw Failure("XX000", "COPY did not start");
  }
  PQclear(started);
  // A failed send leaves the reason in the connection; the result below says it.
  if (PQputCopyData(conn_.get(), data.data(), static_cast<int>(data.size())) == 1)
    PQputCopyEnd(conn_.get(), nullptr);
  // The COPY's own result, then the end of the results.
  PGresult* raw = PQgetResult(conn_.get());
  for (PGresult* more = PQgetResult(conn_.get()); more != nullptr; more = PQgetResult(conn_.get()))
    PQclear(more);
  Check(raw);
}

Transaction::Transaction(Connection& connection, std::string_view begin) : connection_(connection) {
  connection_.Exec(begin);
}

Transaction::~Transaction() {
  if (!open_) return;
  // A broken connection has nothing to roll back; the server ends the
  // transaction when the connection goes.
  if (connection_.Healthy()) PQclear(PQexec(connection_.get(), "ROLLBACK"));
}

void Transaction::Commit() {
  open_ = false;
  // COMMIT of a transaction an error aborted answers ROLLBACK, not an error.
  if (connection_.Exec("COMMIT").CommandStatus() == "ROLLBACK")
    throw Failure("40000", "the transaction was rolled back");
}

}  // namespace extrace::pg
