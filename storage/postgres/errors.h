// PostgreSQL failures -> StatusCode, in one place (like sqlite/errors.h): each
// SQLSTATE class or libpq connection failure maps to the status, and so to the
// CLI's exit code and serve's HTTP status. Also what a failed append may retry.
#pragma once

#include <string_view>

#include "extrace/status.h"
#include "storage/postgres/connection.h"

namespace extrace::pg {

// The status of a failure: from its SQLSTATE, or, for a connection that could
// not be made (no SQLSTATE), from libpq's reason.
StatusCode CodeFor(const Failure& failure);
// "what: detail", one line, never the connection string's password.
Error ErrorFrom(const Failure& failure, std::string_view what);
// Serialization failures, deadlocks and broken connections (40001, 40P01,
// 08xxx, and a server shutting down): the whole transaction may be retried.
bool IsRetryable(const Failure& failure);

}  // namespace extrace::pg
