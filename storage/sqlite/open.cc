// Opening the SQLite event log: the connection's set-up (WAL, synchronous,
// query_only), the schema check and upgrade, the permission checks that name
// a cause SQLite would not, and the read-only paths: waiting out a writer's
// moment, reading a file in a folder nobody may write as immutable, and
// reading on a disk too full for the -shm file (see shm_guard.h).
#include "storage/sqlite/open.h"

#include <fmt/format.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <optional>

#include "storage/log_format.h"
#include "storage/sqlite/errors.h"
#include "storage/sqlite/migrations.h"
#include "storage/sqlite/shm_guard.h"
#include "storage/sqlite/sqlite_store.h"
#include "storage/unexpected_error.h"

namespace extrace {

SqliteEventStore::SqliteEventStore(std::string path, const std::string& open_name,
                                   const StoreOptions& options, int flags, bool private_wal_index)
    : path_(std::move(path)),
      options_(options),
      private_wal_index_(private_wal_index),
      db_(open_name, flags, options.busy_timeout_ms) {
  shm_guard_.Install(db_.getHandle());
}

Error SqliteEventStore::DescribeUnexpected(std::string_view what) {
  return extrace::DescribeUnexpected(path_, what);
}

Error SqliteEventStore::Describe(const SQLite::Exception& e, std::string_view what) {
  return ErrorFromSqlite(e, fmt::format("{}: {}", path_, what),
                         sqlite3_system_errno(db_.getHandle()));
}

void SqliteEventStore::ExecRetryingBusy(const char* sql) {
  auto failure = RetryWithBackoff(
      BusyRetry(),
      [&]() -> std::optional<SQLite::Exception> {
        try {
          db_.exec(sql);
          return std::nullopt;
        } catch (const SQLite::Exception& e) {
          return e;
        }
      },
      [](const std::optional<SQLite::Exception>& failure, auto) {
        return failure && (failure->getErrorCode() & 0xff) == SQLITE_BUSY
                   ? RetryDecision::kRetryAfterPause
                   : RetryDecision::kStop;
      });
  if (failure) throw *failure;
}

namespace {

// The longest string or blob a statement may make or read. No event is longer
// than a line (16 MiB); only a file crafted elsewhere holds more.
constexpr int kMaxValueBytes = 64 << 20;

// A store file may come from elsewhere (copied, downloaded, crafted): its schema
// may not call functions with side effects (trusted_schema off), no statement
// may write the schema or SQLite's own tables (defensive), no other file may be
// attached, and a value past kMaxValueBytes fails as "string or blob too big".
void DistrustTheFile(sqlite3* db) {
  sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
  sqlite3_limit(db, SQLITE_LIMIT_LENGTH, kMaxValueBytes);
  sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 0);
}

}  // namespace

Status SqliteEventStore::Init() {
  try {
    DistrustTheFile(db_.getHandle());
    if (private_wal_index_) {
      // Before anything reads the file. On close, the last connection would
      // checkpoint the WAL into the file: a reader on a full disk does not.
      sqlite3_db_config(db_.getHandle(), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
      db_.exec(log_format::kLockingExclusive);
    }
    // A reader cannot change the file, whatever it runs (ATTACH included).
    if (options_.read_only) db_.exec(log_format::kQueryOnly);
    if (!options_.read_only) {
      // WAL lets readers work while one writer appends.
      // Switching a new file to WAL takes an exclusive lock without the busy
      // handler: several processes opening one new file at once retry here.
      ExecRetryingBusy(log_format::kJournalWal);
      db_.exec(options_.durability == Durability::kFull ? log_format::kSynchronousFull
                                                        : log_format::kSynchronousNormal);
    }
    auto migrated = RetryWithBackoff(
        BusyRetry(), [&] { return MigrateSchema(db_, path_, options_.read_only); },
        [](const Result<int>& migrated, auto) {
          return !migrated && migrated.error().code == StatusCode::kBusy
                     ? RetryDecision::kRetryAfterPause
                     : RetryDecision::kStop;
        });
    if (!migrated) return tl::unexpected(migrated.error());
    // The summaries of schema 2 are new: fill them from the log.
    if (*migrated > 0 && *migrated < log_format::kSummariesVersion) {
      if (auto rebuilt = Reindex({}); !rebuilt) return rebuilt;
    }
    if (!options_.read_only && sqlite3_db_readonly(db_.getHandle(), "main") == 1)
      return MakeError(StatusCode::kReadOnly,
                       fmt::format("{}: the database file is read-only", path_));
    return {};
  } catch (const SQLite::Exception& e) {
    // Say what failed: a disk I/O error alone does not tell opening from appending.
    return tl::unexpected(Describe(e, "opening"));
  } catch (...) {
    return tl::unexpected(DescribeUnexpected("opening"));
  }
}

namespace {

// file:...?immutable=1 for a database on a read-only medium (see OpenSqliteStore).
std::string ImmutableUri(const std::string& path) {
  std::string uri = "file:";
  for (char c : path) {
    if (c == '%' || c == '?' || c == '#')
      uri += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    else
      uri += c;
  }
  return uri + "?immutable=1";
}

// user_version of an existing database, 0 when unknown.
int PeekUserVersion(const std::string& path) {
  ShmGuard shm_guard;  // reading a WAL database maps its -shm file too
  sqlite3* db = nullptr;
  int version = 0;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    shm_guard.Install(db);
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db, log_format::kUserVersion, -1, &statement, nullptr) == SQLITE_OK &&
        sqlite3_step(statement) == SQLITE_ROW)
      version = sqlite3_column_int(statement, 0);
    sqlite3_finalize(statement);
  }
  sqlite3_close(db);
  return version;
}

// How long a reader waits for a file without a schema to get one: a writer
// creates it in milliseconds, and a file that stays empty is reported soon.
constexpr int kEmptyFileWaitMs = 3000;

// The folder a database file is in (its -wal and -shm files go there too).
std::string FolderOf(const std::string& path) {
  return path.find('/') == std::string::npos ? "." : path.substr(0, path.rfind('/') + 1);
}

Result<std::unique_ptr<EventStore>> OpenWith(const std::string& path, const std::string& open_name,
                                             const StoreOptions& options, int flags,
                                             bool private_wal_index = false) {
  std::unique_ptr<SqliteEventStore> store;
  try {
    // One EventStore is one connection used by one thread at a time (event_store.h):
    // SQLite's per-call connection mutex only costs time.
    store = std::make_unique<SqliteEventStore>(path, open_name, options,
                                               flags | SQLite::OPEN_NOMUTEX, private_wal_index);
  } catch (const SQLite::Exception& e) {
    int err = errno;
    Error error = ErrorFromSqlite(e, fmt::format("{}: opening", path), err);
    if (error.code == StatusCode::kNotFound)
      error.message = options.read_only ? fmt::format("{}: no such database", path)
                                        : fmt::format("{}: cannot create the database here", path);
    return tl::unexpected(std::move(error));
  } catch (const std::bad_alloc&) {
    return MakeError(StatusCode::kInternal, fmt::format("{}: opening: out of memory", path));
  }
  if (auto status = store->Init(); !status) return tl::unexpected(status.error());
  return std::unique_ptr<EventStore>(std::move(store));
}

}  // namespace

Result<std::unique_ptr<EventStore>> OpenSqliteStore(const std::string& path,
                                                    const StoreOptions& options) {
  // SQLite says only "unable to open database file": name the cause first.
  if (access(path.c_str(), F_OK) == 0 && access(path.c_str(), R_OK) != 0)
    return MakeError(StatusCode::kReadOnly,
                     fmt::format("{}: permission denied: cannot read the database", path));
  if (!options.read_only && access(path.c_str(), F_OK) != 0) {
    std::string folder = FolderOf(path);
    if (access(folder.c_str(), F_OK) != 0)
      return MakeError(StatusCode::kNotFound,
                       fmt::format("{}: cannot create the database: no folder {}", path, folder));
    if (access(folder.c_str(), W_OK | X_OK) != 0)
      return MakeError(
          StatusCode::kReadOnly,
          fmt::format("{}: cannot create the database: folder {} is not writable", path, folder));
  }
  if (!options.read_only)
    return OpenWith(path, path, options, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  // A database of an older schema is upgraded once by a writer (if this process
  // may write it); readers never migrate.
  if (int version = PeekUserVersion(path); version > 0 && version < kSchemaVersion) {
    StoreOptions writer = options;
    writer.read_only = false;
    auto upgraded = OpenWith(path, path, writer, SQLite::OPEN_READWRITE);
    if (!upgraded && upgraded.error().code != StatusCode::kReadOnly) return upgraded;
  }
  auto open_reader = [&] { return OpenWith(path, path, options, SQLite::OPEN_READONLY); };
  if (access(FolderOf(path).c_str(), W_OK | X_OK) == 0) {
    // In a folder we may write, a failed open is a writer's moment: one creating
    // the file (no schema yet, or switching it to WAL), the last connection
    // closing and removing the -wal and -shm files, a crashed one leaving the
    // WAL to recover. Wait it out, as a writer waits for the lock; never blame
    // the folder. A file that stays empty is only waited for a little while.
    const auto empty_budget = std::min(std::chrono::milliseconds(options.busy_retry_budget_ms),
                                       std::chrono::milliseconds(kEmptyFileWaitMs));
    auto store = RetryWithBackoff(
        RetryPolicy{.budget = std::chrono::milliseconds(options.busy_retry_budget_ms)}, open_reader,
        [&](const Result<std::unique_ptr<EventStore>>& store, auto waited) {
          if (store || access(path.c_str(), R_OK) != 0) return RetryDecision::kStop;
          StatusCode code = store.error().code;
          if (code == StatusCode::kNotFound)
            return waited < empty_budget ? RetryDecision::kRetryAfterPause : RetryDecision::kStop;
          return code == StatusCode::kReadOnly || code == StatusCode::kBusy ||
                         code == StatusCode::kIoError
                     ? RetryDecision::kRetryAfterPause
                     : RetryDecision::kStop;
        });
    if (store || store.error().code != StatusCode::kDiskFull) return store;
    // The disk is too full for the -shm file (ShmGuard said so instead of a
    // SIGBUS). Everything stored is still readable: read with the WAL index in
    // this process's memory. That needs the file opened for writing (an
    // exclusive lock) and keeps other processes out while it is open, so it
    // is the fallback only, and it waits for a lock only briefly.
    if (access(path.c_str(), W_OK) == 0) {
      StoreOptions brief = options;
      brief.busy_retry_budget_ms = std::min(options.busy_retry_budget_ms, options.busy_timeout_ms);
      auto private_reader =
          OpenWith(path, path, brief, SQLite::OPEN_READWRITE, /*private_wal_index=*/true);
      if (private_reader) return private_reader;
    }
    return store;
  }
  auto store = open_reader();
  if (store || access(path.c_str(), R_OK) != 0) return store;
  // Reading a WAL database needs its -shm file; in a folder we may not write,
  // SQLite cannot create it. Nobody can be writing there either, so read the
  // file as immutable.
  if (store.error().code != StatusCode::kReadOnly && store.error().code != StatusCode::kNotFound)
    return store;
  // immutable=1 would skip a -wal file: recent events would silently be missing.
  struct stat wal {};
  if (stat((path + "-wal").c_str(), &wal) == 0 && wal.st_size > 0)
    return MakeError(
        StatusCode::kReadOnly,
        fmt::format("{}: cannot read: its -wal file holds recent events and SQLite cannot create "
                    "the -shm file beside it (the folder is not writable); copy the database "
                    "with its -wal file to a writable folder",
                    path));
  return OpenWith(path, ImmutableUri(path), options, SQLite::OPEN_READONLY | SQLite::OPEN_URI);
}

}  // namespace extrace
