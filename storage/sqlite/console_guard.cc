// ConsoleGuard: see console_guard.h. The PRAGMAs let through are those that
// only describe the schema or the file; any other (and any PRAGMA given a
// value, but the schema ones that take a table or index name) is refused,
// because on a connection opened read-only some still change its settings
// (query_only, writable_schema, cache_size) or run work (optimize).
#include "storage/sqlite/console_guard.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string_view>

namespace extrace {
namespace {

// PRAGMAs that only read, asked without a value.
constexpr std::array<std::string_view, 19> kReadPragmas = {
    "application_id", "collation_list", "compile_options", "data_version",     "database_list",
    "encoding",       "freelist_count", "function_list",   "integrity_check",  "journal_mode",
    "module_list",    "page_count",     "page_size",       "pragma_list",      "quick_check",
    "schema_version", "table_list",     "user_version",    "foreign_key_check"};
// PRAGMAs whose argument names what to describe (a table, an index).
constexpr std::array<std::string_view, 8> kDescribePragmas = {
    "table_info",  "table_xinfo",      "index_list",      "index_info",
    "index_xinfo", "foreign_key_list", "integrity_check", "quick_check"};

bool Listed(auto& names, const char* name) {
  if (!name) return false;
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return std::find(names.begin(), names.end(), lower) != names.end();
}

// How many virtual machine steps pass between two looks at the clock: a few
// microseconds of work, so a stopped statement stops within milliseconds.
constexpr int kStepsBetweenChecks = 10000;

}  // namespace

ConsoleGuard::ConsoleGuard(sqlite3* db, std::chrono::milliseconds timeout)
    : db_(db), timeout_(timeout), deadline_(std::chrono::steady_clock::now() + timeout) {
  sqlite3_set_authorizer(db_, &ConsoleGuard::Authorize, this);
  if (timeout_.count() > 0) sqlite3_progress_handler(db_, kStepsBetweenChecks, &Progress, this);
}

ConsoleGuard::~ConsoleGuard() {
  sqlite3_progress_handler(db_, 0, nullptr, nullptr);
  sqlite3_set_authorizer(db_, nullptr, nullptr);
}

int ConsoleGuard::Authorize(void* self, int action, const char* first, const char* second,
                            const char* /*database*/, const char* /*trigger*/) {
  auto* guard = static_cast<ConsoleGuard*>(self);
  auto refuse = [&](std::string message) {
    if (!guard->refusal_) guard->refusal_ = Error{StatusCode::kReadOnly, std::move(message)};
    return SQLITE_DENY;
  };
  switch (action) {
    case SQLITE_ATTACH:
    case SQLITE_DETACH:
      return refuse(fmt::format("SQL: {} is not allowed: queries read this store only",
                                action == SQLITE_ATTACH ? "ATTACH" : "DETACH"));
    case SQLITE_PRAGMA: {
      const bool allowed = second ? Listed(kDescribePragmas, first) : Listed(kReadPragmas, first);
      if (allowed) return SQLITE_OK;
      return refuse(fmt::format(
          "SQL: PRAGMA {}{} is not allowed: only PRAGMAs that read (table_info, table_list, ...)",
          first ? first : "", second ? " with a value" : ""));
    }
    default:
      return SQLITE_OK;
  }
}

int ConsoleGuard::Progress(void* self) {
  auto* guard = static_cast<ConsoleGuard*>(self);
  if (std::chrono::steady_clock::now() < guard->deadline_) return 0;
  guard->timed_out_ = true;
  return 1;  // SQLITE_INTERRUPT
}

Error ConsoleGuard::TimeoutError() const { return QueryTimedOut(timeout_); }

}  // namespace extrace
