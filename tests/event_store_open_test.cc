// Opening the event log (storage/event_store.h): a fresh store at the current
// schema version on either backend, both durability settings, a read-only
// store; and, SQLite only ([sqlite-only]: about its file), creating the file in
// WAL mode, how a newer, corrupt, foreign, missing or read-only file is
// refused, and a damaged run summary read without harm.
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "event_store_test_support.h"
#include "format/event_json.h"
#include "query/trace_loader.h"
#include "storage/event_store.h"
#include "test_backend.h"
#include "test_support.h"

namespace extrace {
namespace {

using Catch::Matchers::Contains;
using event_store_test::AppendAll;
using event_store_test::EndEvent;
using event_store_test::kT0;
using event_store_test::OpenError;
using event_store_test::OpenStore;
using event_store_test::RequireAppended;
using event_store_test::Sqlite;
using event_store_test::StartedEvent;
using event_store_test::Stored;
using event_store_test::Summary;
using testing::TempDir;

// Migrations in `folder` (00N_*.sql): the schema version a fresh store gets.
int MigrationCount(const std::filesystem::path& folder) {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(folder))
    if (entry.path().extension() == ".sql" && std::isdigit(entry.path().filename().string()[0]))
      ++count;
  return count;
}

TEST_CASE("event_store open migrates a fresh store to the current schema version",
          "[event_store]") {
  TempDir dir;
  std::string db = dir.Store("trace.db");
  {
    auto store = OpenStore(db);
    CHECK(store->path() == db);
  }
  // The version as the backend keeps it; opening again (writer, then reader)
  // finds it current and changes nothing.
  auto version = [&] {
    if (!testing::PostgresBackend()) return Sqlite(db, "PRAGMA user_version");
    return testing::PostgresScalar(db, "SELECT version FROM extrace_schema") + "\n";
  };
  const std::filesystem::path schema = EXTRACE_SCHEMA_DIR;
  const int expected = MigrationCount(testing::PostgresBackend() ? schema / "postgres" : schema);
  CHECK(version() == std::to_string(expected) + "\n");
  OpenStore(db);
  StoreOptions reading;
  reading.read_only = true;
  OpenStore(db, reading);
  CHECK(version() == std::to_string(expected) + "\n");
}

TEST_CASE("event_store open creates the database file in WAL mode", "[event_store][sqlite-only]") {
  TempDir dir;
  std::string db = dir.File("trace.db");
  REQUIRE_FALSE(std::filesystem::exists(db));
  {
    auto store = OpenStore(db);
    CHECK(store->path() == db);
    CHECK(std::filesystem::exists(db));
    auto runs = store->ListRuns();
    REQUIRE(runs);
    CHECK(runs->empty());
  }
  CHECK(Sqlite(db, "PRAGMA journal_mode") == "wal\n");
  CHECK(Sqlite(db, "PRAGMA user_version") != "0\n");
  // Reopening an existing store keeps it as it is.
  auto again = OpenStore(db);
  auto integrity = again->IntegrityCheck();
  REQUIRE(integrity);
  CHECK(*integrity == "ok");
}

TEST_CASE("event_store both durability settings store and reopen", "[event_store]") {
  auto durability = GENERATE(Durability::kNormal, Durability::kFull);
  TempDir dir;
  std::string db = dir.Store("trace.db");
  StoreOptions options;
  options.durability = durability;
  {
    auto store = OpenStore(db, options);
    RequireAppended(*store, {StartedEvent("r", 1, kT0), EndEvent("r", 2, kT0 + 1)});
  }
  StoreOptions reading;
  reading.read_only = true;
  auto store = OpenStore(db, reading);
  CHECK(Stored(*store, "r").size() == 2);
  CHECK(Summary(*store, "r").status == RunStatus::kCompleted);
}

TEST_CASE("event_store a database with a newer schema is refused", "[event_store][sqlite-only]") {
  TempDir dir;
  std::string db = dir.File("trace.db");
  SECTION("an extrace store upgraded by a newer extrace") {
    {
      auto store = OpenStore(db);
      RequireAppended(*store, {StartedEvent("r", 1, kT0)});
    }
    Sqlite(db, "PRAGMA user_version = 99");
  }
  SECTION("a database that holds nothing but the version") {
    Sqlite(db, "PRAGMA user_version = 99");
  }
  CHECK(OpenError(db, false) == StatusCode::kSchemaTooNew);
  CHECK(OpenError(db, true) == StatusCode::kSchemaTooNew);
  auto store = EventStore::Open(db);
  REQUIRE_FALSE(store);
  CHECK_THAT(store.error().message, Contains("99"));
  // Refusing it changed nothing.
  CHECK(Sqlite(db, "PRAGMA user_version") == "99\n");
}

TEST_CASE("event_store a file that is not a database is corrupt", "[event_store][sqlite-only]") {
  TempDir dir;
  std::string db = dir.File("trace.db");
  std::string garbage(8192, '\0');
  uint32_t x = 2463534242u;  // xorshift: the same bytes every run
  for (char& c : garbage) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  testing::WriteFile(db, garbage);
  CHECK(OpenError(db, false) == StatusCode::kCorrupt);
  CHECK(OpenError(db, true) == StatusCode::kCorrupt);
  CHECK(testing::ReadFile(db) == garbage);
}

TEST_CASE("event_store a database of another application is refused as corrupt",
          "[event_store][sqlite-only]") {
  TempDir dir;
  std::string db = dir.File("other.db");
  Sqlite(db, "CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT)");
  CHECK(OpenError(db, false) == StatusCode::kCorrupt);
  CHECK(OpenError(db, true) == StatusCode::kCorrupt);
  CHECK(Sqlite(db, "SELECT count(*) FROM sqlite_schema") == "1\n");
}

TEST_CASE("event_store a missing file is not found when reading", "[event_store][sqlite-only]") {
  TempDir dir;
  std::string db = dir.File("missing.db");
  CHECK(OpenError(db, true) == StatusCode::kNotFound);
  CHECK_FALSE(std::filesystem::exists(db));
  // Writing cannot create it in a folder that does not exist either.
  CHECK(OpenError(dir.File("no-such-dir/trace.db"), false) == StatusCode::kNotFound);
}

TEST_CASE("event_store a read-only store refuses to append", "[event_store]") {
  TempDir dir;
  std::string db = dir.Store("trace.db");
  {
    auto store = OpenStore(db);
    RequireAppended(*store, {StartedEvent("r", 1, kT0)});
  }
  StoreOptions options;
  options.read_only = true;
  auto store = OpenStore(db, options);
  std::vector<Event> more = {EndEvent("r", 2, kT0 + 1)};
  AppendResult result = AppendAll(*store, more);
  REQUIRE_FALSE(result.status);
  CHECK(result.status.error().code == StatusCode::kReadOnly);
  CHECK(result.stored == 0);
  CHECK(Stored(*store, "r").size() == 1);
  CHECK(Summary(*store, "r").status == RunStatus::kIncomplete);
}

TEST_CASE("event_store a database file without write permission is read-only",
          "[event_store][sqlite-only]") {
  TempDir dir;
  std::string db = dir.File("trace.db");
  {
    auto store = OpenStore(db);
    RequireAppended(*store, {StartedEvent("r", 1, kT0)});
  }
  REQUIRE(chmod(db.c_str(), 0444) == 0);
  if (geteuid() == 0) {
    WARN("running as root, which ignores file permissions: the chmod 0444 case is skipped");
  } else {
    CHECK(OpenError(db, false) == StatusCode::kReadOnly);
  }
  // Reading it still works either way.
  StoreOptions options;
  options.read_only = true;
  auto store = OpenStore(db, options);
  CHECK(Stored(*store, "r").size() == 1);
}

// A summary is read from the file like everything else: a damaged or foreign
// store may claim any event count. -104 (found by the store fuzz target) once
// threw std::length_error out of ReadEvents, ending the process.
TEST_CASE("event_store a run whose summary claims a wrong event count still reads its events",
          "[event_store][sqlite-only]") {
  TempDir dir;
  std::string db = dir.File("trace.db");
  {
    auto store = OpenStore(db);
    RequireAppended(*store, {StartedEvent("r", 1, kT0), EndEvent("r", 2, kT0 + 5)});
  }
  for (const char* count : {"-104", "1000000000000000", "0"}) {
    Sqlite(db, fmt::format("UPDATE executions SET event_count = {}", count));
    StoreOptions options;
    options.read_only = true;
    auto store = OpenStore(db, options);
    auto events = store->ReadEvents("r");
    REQUIRE(events);
    CHECK(events->size() == 2);
    auto trace = LoadTrace(*store, "r");
    REQUIRE(trace);
    CHECK(trace->status == RunStatus::kCompleted);
  }
}

}  // namespace
}  // namespace extrace
