// EventStore's factory and non-virtual helpers. Open picks the backend by the
// kind of `path`: a postgresql:// or postgres:// URI is PostgreSQL
// (storage/postgres/), anything else SQLite (storage/sqlite/), with an optional
// sqlite: prefix. libpq's key=value strings are refused (only URIs name
// PostgreSQL stores).
#include "storage/event_store.h"

#include <fmt/format.h>

#include <algorithm>
#include <string_view>

#include "storage/postgres/open.h"
#include "storage/sqlite/open.h"

namespace extrace {
namespace {

// libpq's key=value form ("host=db dbname=extrace password=..."). Only URIs
// select PostgreSQL; taken as a SQLite path, such a string would create a
// file of that name and print it, password and all, in every message.
bool LooksLikeConninfo(std::string_view path) {
  static constexpr std::string_view kKeywords[] = {
      "host=", "hostaddr=", "port=", "dbname=", "user=", "password=", "passfile=", "service="};
  for (size_t word = 0; word < path.size(); ++word) {
    if (word > 0 && path[word - 1] != ' ' && path[word - 1] != '\t') continue;
    for (std::string_view keyword : kKeywords)
      if (path.substr(word, keyword.size()) == keyword) return true;
  }
  return false;
}

}  // namespace

Result<std::unique_ptr<EventStore>> EventStore::Open(const std::string& path,
                                                     const StoreOptions& options) {
  if (IsPostgresUri(path)) return OpenPostgresStore(path, options);
  if (LooksLikeConninfo(path))
    return MakeError(StatusCode::kInvalidInput,
                     "a key=value connection string is not a store name: name a PostgreSQL "
                     "store with a postgresql:// URI");
  return OpenSqliteStore(SqlitePath(path), options);
}

std::string EventStore::SqlitePath(const std::string& path) {
  // sqlite:PATH and sqlite://PATH name the file PATH.
  std::string_view rest = path;
  if (rest.substr(0, 7) != "sqlite:") return path;
  rest.remove_prefix(7);
  if (rest.substr(0, 2) == "//") rest.remove_prefix(2);
  return std::string(rest);
}

bool EventStore::NamesPostgres(const std::string& path) { return IsPostgresUri(path); }

std::string EventStore::DisplayName(const std::string& path) {
  if (LooksLikeConninfo(path)) return "(a key=value connection string)";
  return IsPostgresUri(path) ? RedactedUri(path) : SqlitePath(path);
}

Error QueryTimedOut(std::chrono::milliseconds timeout) {
  return Error{StatusCode::kTimedOut,
               fmt::format("SQL: stopped after {} s (--timeout; 0 for no limit)",
                           std::chrono::duration<double>(timeout).count())};
}

Result<std::vector<Event>> EventStore::ReadEvents(const std::string& execution_id) {
  std::vector<Event> events;
  // Growing a vector of a million events copies it many times: size it once.
  // The count is the summary's, read from the file: a damaged or foreign store
  // may claim any number (-1 once threw length_error out of here, found by the
  // store fuzz target), so it is a hint, bounded; the events read decide.
  constexpr int64_t kMaxReserved = int64_t{1} << 16;
  if (auto run = GetRun(execution_id); run && *run && (*run)->event_count > 0)
    events.reserve(static_cast<size_t>(std::min((*run)->event_count, kMaxReserved)));
  auto status = ForEachEvent(execution_id, [&](Event&& e) { events.push_back(std::move(e)); });
  if (!status) return tl::unexpected(status.error());
  return events;
}

}  // namespace extrace
