// PostgreSQL failures -> StatusCode: see errors.h. SQLSTATE codes:
// https://www.postgresql.org/docs/15/errcodes-appendix.html
#include "storage/postgres/errors.h"

#include <fmt/format.h>

namespace extrace::pg {
namespace {

bool Contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// A connection that failed before the server said anything with a SQLSTATE.
StatusCode CodeForConnectFailure(std::string_view message) {
  if (Contains(message, "password authentication failed") ||
      Contains(message, "no password supplied") || Contains(message, "pg_hba.conf") ||
      (Contains(message, "role \"") && Contains(message, "does not exist")) ||
      Contains(message, "authentication failed") || Contains(message, "permission denied"))
    return StatusCode::kAccessDenied;
  if (Contains(message, "database \"") && Contains(message, "does not exist"))
    return StatusCode::kNotFound;
  if (Contains(message, "invalid URI") || Contains(message, "invalid connection option") ||
      Contains(message, "invalid integer value") || Contains(message, "invalid port") ||
      Contains(message, "missing \"=\"") || Contains(message, "unterminated quoted string") ||
      Contains(message, "invalid percent-encoded") ||
      Contains(message, "in URI"))  // libpq's URI parser: "... in URI: ...", "... in URI query ..."
    return StatusCode::kInvalidInput;
  return StatusCode::kUnavailable;
}

}  // namespace

StatusCode CodeFor(const Failure& failure) {
  const std::string& state = failure.sqlstate();
  if (state.empty()) return CodeForConnectFailure(failure.what());
  std::string_view cls = std::string_view(state).substr(0, 2);
  if (cls == "08") return StatusCode::kUnavailable;   // connection exception
  if (cls == "28") return StatusCode::kAccessDenied;  // invalid authorization
  if (state == "40001" || state == "40P01" || state == "55P03" || state == "57014" ||
      state == "53300")  // serialization, deadlock, lock timeout, canceled, too many connections
    return StatusCode::kBusy;
  if (state == "57P01" || state == "57P02" || state == "57P03")  // shutting down, starting up
    return StatusCode::kUnavailable;
  if (state == "53100") return StatusCode::kDiskFull;
  if (state == "53200") return StatusCode::kOutOfMemory;  // the server's
  if (state == "3D000") return StatusCode::kNotFound;     // no such database
  if (state == "42501" || state == "25006")  // insufficient privilege, read-only transaction
    return StatusCode::kReadOnly;
  if (cls == "XX" && (state == "XX001" || state == "XX002")) return StatusCode::kCorrupt;
  if (cls == "58") return StatusCode::kIoError;                      // system error
  if (cls == "42" || cls == "22") return StatusCode::kInvalidInput;  // syntax, data exception
  return StatusCode::kInternal;
}

Error ErrorFrom(const Failure& failure, std::string_view what) {
  StatusCode code = CodeFor(failure);
  std::string detail = failure.what();
  switch (code) {
    case StatusCode::kUnavailable:
      detail = "cannot reach the store (" + detail + ")";
      break;
    case StatusCode::kAccessDenied:
      detail = "the server refused the login (" + detail + ")";
      break;
    case StatusCode::kReadOnly:
      detail = "cannot write: this role may not write the database (" + detail + ")";
      break;
    case StatusCode::kDiskFull:
      detail = "the server's disk is full (" + detail + ")";
      break;
    default:
      break;
  }
  if (!failure.sqlstate().empty() && code != StatusCode::kUnavailable)
    detail += fmt::format(" [SQLSTATE {}]", failure.sqlstate());
  return Error{code, fmt::format("{}: {}", what, detail)};
}

bool IsRetryable(const Failure& failure) {
  const std::string& state = failure.sqlstate();
  return state == "40001" || state == "40P01" || state.rfind("08", 0) == 0 || state == "57P01" ||
         state == "57P02" || state == "57P03";
}

}  // namespace extrace::pg
