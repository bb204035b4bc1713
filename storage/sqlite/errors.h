// Maps SQLite failures to extrace status codes: the one place that knows
// which result code means busy, read-only, full, corrupt.
#pragma once

#include <SQLiteCpp/Exception.h>

#include <string_view>

#include "extrace/status.h"

namespace extrace {

StatusCode CodeForSqlite(int result_code, int system_errno);
// "what: <sqlite message>" with the most specific code.
Error ErrorFromSqlite(const SQLite::Exception& e, std::string_view what, int system_errno = 0);

}  // namespace extrace
