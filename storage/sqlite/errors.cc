// SQLite result codes -> StatusCode: see errors.h.
#include "storage/sqlite/errors.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <cerrno>

namespace extrace {

StatusCode CodeForSqlite(int result_code, int system_errno) {
  if (system_errno == ENOSPC || system_errno == EDQUOT) return StatusCode::kDiskFull;
  switch (result_code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    // WAL mode: the WAL index's locks kept refusing, SQLite gave up retrying.
    case SQLITE_PROTOCOL:
      return StatusCode::kBusy;
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return StatusCode::kReadOnly;
    case SQLITE_FULL:
      return StatusCode::kDiskFull;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_TOOBIG:  // a value longer than any extrace writes (open.cc's limit)
      return StatusCode::kCorrupt;
    case SQLITE_CANTOPEN:
      return system_errno == EACCES ? StatusCode::kReadOnly : StatusCode::kNotFound;
    case SQLITE_IOERR:
      return StatusCode::kIoError;
    case SQLITE_NOMEM:
      return StatusCode::kOutOfMemory;
    default:
      return StatusCode::kInternal;
  }
}

Error ErrorFromSqlite(const SQLite::Exception& e, std::string_view what, int system_errno) {
  int code = e.getExtendedErrorCode() != -1 ? e.getExtendedErrorCode() : e.getErrorCode();
  StatusCode status = CodeForSqlite(code, system_errno);
  std::string detail = e.what();
  if (status == StatusCode::kCorrupt)
    detail += " (the file is not an extrace database, or is damaged)";
  if (status == StatusCode::kReadOnly)
    detail = "cannot write: the file or its folder is read-only (" + detail + ")";
  if (status == StatusCode::kDiskFull) detail = "the disk is full (" + detail + ")";
  return Error{status, fmt::format("{}: {}", what, detail)};
}

}  // namespace extrace
