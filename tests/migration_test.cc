// Schema migrations: a database written at schema version 1 (made here from
// schema/001_initial.sql itself) is upgraded on open, and its summaries are
// rebuilt from the event log alone; rows written before the compact layout
// (schema 3) read back exactly, and their runs can go on. SQLite only
// ([sqlite-only]): the old schemas are SQLite files; PostgreSQL starts at its
// own version 1.
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <cctype>
#include <filesystem>
#include <string>

#include "storage/event_store.h"
#include "test_support.h"

namespace extrace {
namespace {

using testing::ReadFile;
using testing::TempDir;

void Exec(sqlite3* db, const std::string& sql) {
  char* error = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  INFO(sql << ": " << (error ? error : ""));
  sqlite3_free(error);
  REQUIRE(rc == SQLITE_OK);
}

std::string QueryText(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK);
  std::string text;
  while (sqlite3_step(statement) == SQLITE_ROW) {
    for (int c = 0; c < sqlite3_column_count(statement); ++c) {
      const unsigned char* value = sqlite3_column_text(statement, c);
      text += (c ? "|" : "") + std::string(value ? reinterpret_cast<const char*>(value) : "NULL");
    }
    text += "\n";
  }
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return text;
}

// The schema version this build migrates to: one numbered file per version.
int LatestSchemaVersion() {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(EXTRACE_SCHEMA_DIR))
    if (entry.path().extension() == ".sql" && std::isdigit(entry.path().filename().string()[0]))
      ++count;
  return count;
}

// A version-1 database holding one finished run: `a` completed, `b` failed.
void MakeVersion1(const std::string& path) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  Exec(db, ReadFile(EXTRACE_SCHEMA_DIR "/001_initial.sql"));
  Exec(db, "PRAGMA user_version = 1");
  Exec(db,
       "INSERT INTO strings(id, value) VALUES (1, 'a'), (2, 'b');"
       "INSERT INTO executions(id, execution_id, event_count, max_seq) VALUES (1, 'r', 6, 6);"
       "INSERT INTO event_log(execution, seq, ts_us, type, node, data) VALUES "
       "(1, 1, 1000000, 1, NULL, "
       "'{\"rootNodeId\":\"g\",\"nodes\":[{\"id\":\"g\",\"name\":\"G\",\"type\":\"group\"},"
       "{\"id\":\"a\",\"name\":\"A\",\"type\":\"t\",\"parentId\":\"g\"},{\"id\":\"b\",\"name\":"
       "\"B\",\"type\":\"t\",\"parentId\":\"g\"}]}'),"
       "(1, 2, 1001000, 3, 1, '{\"state\":\"executing\"}'),"
       "(1, 3, 1003000, 3, 1, '{\"state\":\"completed\"}'),"
       "(1, 4, 1004000, 3, 2, '{\"state\":\"executing\"}'),"
       "(1, 5, 1004500, 2, 2, '{\"progress\":40}'),"
       "(1, 6, 1009000, 3, 2, '{\"state\":\"error\",\"errorMessage\":\"boom\"}'),"
       "(1, 7, 1010000, 4, NULL, NULL);");
  sqlite3_close(db);
}

TEST_CASE("migration: a version 1 database is upgraded and its summaries rebuilt",
          "[migration][sqlite-only]") {
  TempDir dir;
  std::string path = dir.File("v1.db");
  MakeVersion1(path);
  {
    auto store = EventStore::Open(path);
    REQUIRE(store.has_value());
    auto run = (*store)->GetRun("r");
    REQUIRE(run.has_value());
    REQUIRE(run->has_value());
    CHECK((*run)->status == RunStatus::kError);
    CHECK((*run)->event_count == 7);
    CHECK((*run)->root_node_id == "g");
    CHECK(*(*run)->start_us == 1000000);
    CHECK(*(*run)->end_us == 1010000);
  }
  CHECK(QueryText(path, "PRAGMA user_version") == std::to_string(LatestSchemaVersion()) + "\n");
  CHECK(QueryText(path,
                  "SELECT node_id, state, duration_ms, progress, error_message FROM node_runs "
                  "ORDER BY position") ==
        "g|NULL|NULL|NULL|NULL\na|completed|2.0|NULL|NULL\nb|error|5.0|40.0|boom\n");
  CHECK(QueryText(path, "SELECT execution_id, flow, status, duration_ms FROM runs") ==
        "r|g|error|10.0\n");
}

TEST_CASE("migration: a reader upgrades an old database it may write", "[migration][sqlite-only]") {
  TempDir dir;
  std::string path = dir.File("v1.db");
  MakeVersion1(path);
  StoreOptions read_only;
  read_only.read_only = true;
  auto store = EventStore::Open(path, read_only);
  REQUIRE(store.has_value());
  auto runs = (*store)->ListRuns();
  REQUIRE(runs.has_value());
  REQUIRE(runs->size() == 1);
  CHECK((*runs)[0].status == RunStatus::kError);
}

TEST_CASE("migration: reindex rebuilds the same summaries as appending did",
          "[migration][sqlite-only]") {
  TempDir dir;
  std::string path = dir.File("r.db");
  MakeVersion1(path);
  auto store = EventStore::Open(path);
  REQUIRE(store.has_value());
  std::string before = QueryText(path, "SELECT * FROM node_runs ORDER BY execution_id, position") +
                       QueryText(path, "SELECT * FROM runs");
  int64_t calls = 0;
  REQUIRE((*store)->Reindex([&](int64_t done, int64_t total) {
    ++calls;
    CHECK(done <= total);
  }));
  CHECK(calls >= 1);
  CHECK(QueryText(path, "SELECT * FROM node_runs ORDER BY execution_id, position") +
            QueryText(path, "SELECT * FROM runs") ==
        before);
}

TEST_CASE("migration: rows from before the compact layout read back exactly and their run goes on",
          "[migration][sqlite-only]") {
  TempDir dir;
  std::string path = dir.File("v1.db");
  MakeVersion1(path);
  auto store = EventStore::Open(path);
  REQUIRE(store.has_value());
  auto before = (*store)->ReadEvents("r");
  REQUIRE(before.has_value());
  REQUIRE(before->size() == 7);
  CHECK((*before)[0].timestamp_us == 1000000);
  CHECK((*before)[0].data_json.starts_with("{\"rootNodeId\":\"g\",\"nodes\":[{"));
  CHECK((*before)[5].data_json == "{\"state\":\"error\",\"errorMessage\":\"boom\"}");
  CHECK((*before)[6].data_json.empty());

  // Resending an old event is a duplicate; new events of the old run are stored.
  std::vector<Event> more = {(*before)[2], (*before)[4]};
  more[1].seq = 8;
  more[1].timestamp_us = 1011000;
  more[1].data_json = "{\"progress\":70,\"message\":\"late\"}";
  auto appended = (*store)->Append(more);
  REQUIRE(appended.status.has_value());
  CHECK(appended.duplicates == 1);
  CHECK(appended.stored == 1);
  auto after = (*store)->ReadEvents("r");
  REQUIRE(after.has_value());
  REQUIRE(after->size() == 8);
  CHECK((*after)[7] == more[1]);
  CHECK(std::vector<Event>(after->begin(), after->begin() + 7) == *before);
  CHECK(QueryText(path,
                  "SELECT seq, timestamp, data FROM events WHERE seq IN (6, 7, 8) ORDER BY seq") ==
        "6|1009.0|{\"state\":\"error\",\"errorMessage\":\"boom\"}\n7|1010.0|{}\n"
        "8|1011.0|{\"progress\":70,\"message\":\"late\"}\n");
}

}  // namespace
}  // namespace extrace
