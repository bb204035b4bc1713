// The baselines' SQLite: see raw_sqlite.h.
#include "bench/raw_sqlite.h"

#include <sys/stat.h>

#include <cstdio>
#include <stdexcept>

namespace extrace::bench {
namespace {

[[noreturn]] void Throw(sqlite3* db, const std::string& what) {
  throw std::runtime_error("raw sqlite: " + what + ": " + (db ? sqlite3_errmsg(db) : "no db"));
}

}  // namespace

RawEventTable::RawEventTable(const std::string& path, const std::string& synchronous) {
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    throw std::runtime_error("raw sqlite: open " + path + ": " + message);
  }
  try {
    Exec("PRAGMA journal_mode=WAL");
    Exec(("PRAGMA synchronous=" + synchronous).c_str());
    Exec(
        "CREATE TABLE IF NOT EXISTS events (execution INTEGER NOT NULL, seq INTEGER NOT NULL, "
        "ts INTEGER NOT NULL, type INTEGER NOT NULL, node INTEGER, data TEXT, "
        "PRIMARY KEY (execution, seq)) WITHOUT ROWID");
    if (sqlite3_prepare_v2(db_, "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?)", -1, &insert_,
                           nullptr) != SQLITE_OK)
      Throw(db_, "prepare insert");
    if (sqlite3_prepare_v2(db_,
                           "SELECT execution, seq, ts, type, node, data FROM events "
                           "WHERE execution = ? ORDER BY seq",
                           -1, &read_, nullptr) != SQLITE_OK)
      Throw(db_, "prepare read");
  } catch (...) {
    sqlite3_finalize(insert_);
    sqlite3_finalize(read_);
    sqlite3_close(db_);
    throw;
  }
}

RawEventTable::~RawEventTable() {
  sqlite3_finalize(insert_);
  sqlite3_finalize(read_);
  sqlite3_close(db_);
}

void RawEventTable::Exec(const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    std::string message = error ? error : "?";
    sqlite3_free(error);
    throw std::runtime_error(std::string("raw sqlite: ") + sql + ": " + message);
  }
}

void RawEventTable::Begin() { Exec("BEGIN"); }
void RawEventTable::Commit() { Exec("COMMIT"); }

void RawEventTable::Insert(int64_t execution, int64_t seq, int64_t ts_us, int type, int64_t node,
                           std::string_view data) {
  sqlite3_bind_int64(insert_, 1, execution);
  sqlite3_bind_int64(insert_, 2, seq);
  sqlite3_bind_int64(insert_, 3, ts_us);
  sqlite3_bind_int(insert_, 4, type);
  if (node < 0)
    sqlite3_bind_null(insert_, 5);
  else
    sqlite3_bind_int64(insert_, 5, node);
  if (data.empty())
    sqlite3_bind_null(insert_, 6);
  else
    sqlite3_bind_text(insert_, 6, data.data(), static_cast<int>(data.size()), SQLITE_STATIC);
  if (sqlite3_step(insert_) != SQLITE_DONE) Throw(db_, "insert");
  sqlite3_reset(insert_);
}

int64_t RawEventTable::ReadRun(int64_t execution, int64_t* bytes) {
  sqlite3_bind_int64(read_, 1, execution);
  int64_t rows = 0, total = 0;
  int rc;
  while ((rc = sqlite3_step(read_)) == SQLITE_ROW) {
    ++rows;
    total += sqlite3_column_int64(read_, 0) + sqlite3_column_int64(read_, 1) +
             sqlite3_column_int64(read_, 2) + sqlite3_column_int(read_, 3) +
             sqlite3_column_int64(read_, 4);
    const unsigned char* text = sqlite3_column_text(read_, 5);
    int size = sqlite3_column_bytes(read_, 5);
    if (text && size > 0) total += text[size - 1];
    *bytes += size;
  }
  sqlite3_reset(read_);
  if (rc != SQLITE_DONE) Throw(db_, "read");
  // Keeps the compiler from dropping the column reads.
  asm volatile("" : : "g"(total) : "memory");
  return rows;
}

void RawEventTable::Checkpoint() { Exec("PRAGMA wal_checkpoint(TRUNCATE)"); }

int64_t CheckpointedFileSize(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    throw std::runtime_error("cannot open " + path + " to checkpoint it");
  }
  char* error = nullptr;
  int rc = sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, &error);
  sqlite3_free(error);
  sqlite3_close(db);
  if (rc != SQLITE_OK) throw std::runtime_error("cannot checkpoint " + path);
  struct stat info {};
  if (stat(path.c_str(), &info) != 0) throw std::runtime_error("cannot stat " + path);
  return static_cast<int64_t>(info.st_size);
}

void RemoveDatabase(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) std::remove((path + suffix).c_str());
}

}  // namespace extrace::bench
