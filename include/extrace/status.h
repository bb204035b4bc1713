// The error type every extrace boundary returns: a code and a one-line message.
// Exceptions never cross the storage boundary; callers get Result<T> instead.
#pragma once

#include <string>
#include <string_view>
#include <tl/expected.hpp>
#include <utility>

namespace extrace {

// Each code maps to one documented exit code of the CLI (tools/exit_codes.h).
enum class StatusCode {
  kOk = 0,
  kInvalidInput,  // a malformed event or argument
  kConflict,      // a different event under a stored (executionId, seq)
  kNotFound,      // unknown execution id, missing file
  kBusy,          // the database stayed locked past every retry
  kReadOnly,      // the database or its folder cannot be written
  kDiskFull,      // SQLITE_FULL or ENOSPC
  kCorrupt,       // not a database, or a damaged one
  kSchemaTooNew,  // written by a newer extrace
  kIoError,       // any other I/O failure
  kUnavailable,   // the store's server cannot be reached (PostgreSQL), past every retry
  kAccessDenied,  // the store's server refused the login (wrong password, no such role)
  kTimedOut,      // a statement ran past its time limit (extrace query --timeout) and was stopped
  kOutOfMemory,   // an allocation failed (SQLite's, the server's, or ours)
  kInternal,      // a bug: an invariant did not hold
};

std::string_view StatusCodeName(StatusCode code);

struct Error {
  StatusCode code = StatusCode::kInternal;
  std::string message;
};

template <typename T>
using Result = tl::expected<T, Error>;
using Status = tl::expected<void, Error>;

inline tl::unexpected<Error> MakeError(StatusCode code, std::string message) {
  return tl::unexpected<Error>(Error{code, std::move(message)});
}

}  // namespace extrace
