// What keeps `extrace query` on SQLite to reading this store, for a bounded
// time: an authorizer that refuses ATTACH, DETACH and every PRAGMA but those
// that only read, and a progress handler that stops a statement past its
// deadline. Installed on the connection for one statement, removed after.
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <optional>
#include <string>

#include "extrace/status.h"
#include "storage/event_store.h"

namespace extrace {

class ConsoleGuard {
 public:
  ConsoleGuard(sqlite3* db, std::chrono::milliseconds timeout);
  ~ConsoleGuard();
  ConsoleGuard(const ConsoleGuard&) = delete;
  ConsoleGuard& operator=(const ConsoleGuard&) = delete;

  // Why the authorizer refused the statement, once it did.
  [[nodiscard]] const std::optional<Error>& refusal() const { return refusal_; }
  // The error for a statement the progress handler stopped (SQLITE_INTERRUPT).
  [[nodiscard]] bool timed_out() const { return timed_out_; }
  [[nodiscard]] Error TimeoutError() const;

 private:
  static int Authorize(void* self, int action, const char* first, const char* second,
                       const char* database, const char* trigger);
  static int Progress(void* self);

  sqlite3* db_;
  std::chrono::milliseconds timeout_;
  std::chrono::steady_clock::time_point deadline_;
  std::optional<Error> refusal_;
  bool timed_out_ = false;
};

}  // namespace extrace
