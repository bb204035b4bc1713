// Tests of the SQLite event log (storage/event_store.h): creating and opening
// the file, idempotent append and conflicts, seq assignment, the per-run
// summaries behind GetRun/ListRuns, and how a bad or foreign file is refused.
#include "storage/event_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "format/event_json.h"
#include "query/trace_loader.h"
#include "test_support.h"

namespace extrace {
namespace {

using Catch::Matchers::Contains;
using testing::RunProcess;
using testing::TempDir;

constexpr int64_t kT0 = 1759900000000;  // ms

// Builds events the way ingest does, so data_json is canonical.
Event Parsed(const std::string& line) {
  EventParser parser;
  auto event = parser.Parse(line);
  INFO(line);
  if (!event) FAIL("test event refused: " << event.error().message);
  return *event;
}

std::string SeqField(int64_t seq) { return seq > 0 ? ",\"seq\":" + std::to_string(seq) : ""; }

// A run "flow" with two leaf nodes a and b, optionally the child of another run.
Event StartedEvent(const std::string& run, int64_t seq, int64_t ms,
                   const std::string& parent_run = "", const std::string& parent_node = "") {
  std::string parent;
  if (!parent_run.empty())
    parent =
        R"("parentExecutionId":")" + parent_run + R"(","parentNodeId":")" + parent_node + "\",";
  return Parsed(R"({"executionId":")" + run + "\"" + SeqField(seq) + R"(,"timestamp":)" +
                std::to_string(ms) + R"(,"type":"started","data":{"rootNodeId":"flow",)" + parent +
                R"("nodes":[{"id":"flow","name":"Flow","type":"group"},)"
                R"({"id":"a","name":"A","type":"t","parentId":"flow"},)"
                R"({"id":"b","name":"B","type":"t","parentId":"flow"}]}})");
}

Event StateEvent(const std::string& run, int64_t seq, int64_t ms, const std::string& node,
                 const std::string& state) {
  return Parsed(R"({"executionId":")" + run + "\"" + SeqField(seq) + R"(,"timestamp":)" +
                std::to_string(ms) + R"(,"type":"state-change","nodeId":")" + node +
                R"(","data":{"state":")" + state + "\"}}");
}

Event EndEvent(const std::string& run, int64_t seq, int64_t ms, bool failed = false) {
  return Parsed(
      R"({"executionId":")" + run + "\"" + SeqField(seq) + R"(,"timestamp":)" + std::to_string(ms) +
      (failed ? R"(,"type":"error","data":{"message":"boom"}})" : R"(,"type":"completed"})"));
}

std::unique_ptr<EventStore> OpenStore(const std::string& path, StoreOptions options = {}) {
  auto store = EventStore::Open(path, options);
  if (!store) FAIL("open " << path << ": " << store.error().message);
  return std::move(*store);
}

AppendResult AppendAll(EventStore& store, std::vector<Event>& events) {
  return store.Append(std::span<Event>(events));
}

void RequireAppended(EventStore& store, std::vector<Event> events) {
  AppendResult result = AppendAll(store, events);
  if (!result.status) FAIL("append: " << result.status.error().message);
  REQUIRE(result.stored == static_cast<int64_t>(events.size()));
}

RunSummary Summary(EventStore& store, const std::string& run) {
  auto summary = store.GetRun(run);
  REQUIRE(summary);
  REQUIRE(summary->has_value());
  return **summary;
}

std::vector<Event> Stored(EventStore& store, const std::string& run) {
  auto events = store.ReadEvents(run);
  REQUIRE(events);
  return *events;
}

std::string Sqlite(const std::string& db, const std::string& sql) {
  auto result = RunProcess("/usr/bin/sqlite3", {db, sql});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  return result.out;
}

StatusCode OpenError(const std::string& path, bool read_only) {
  StoreOptions options;
  options.read_only = read_only;
  auto store = EventStore::Open(path, options);
  if (store) FAIL("opening " << path << " should have failed");
  INFO(store.error().message);
  CHECK_FALSE(store.error().message.empty());
  return store.error().code;
}

TEST_CASE("event_store open creates the database file in WAL mode", "[event_store]") {
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

TEST_CASE("event_store append stores events and reads them back in seq order", "[event_store]") {
  TempDir dir;
  auto store = OpenStore(dir.File("trace.db"));
  std::vector<Event> events = {StateEvent("r", 3, kT0 + 3, "a", "completed"),
                               StartedEvent("r", 1, kT0),
                               StateEvent("r", 2, kT0 + 2, "a", "executing")};
  std::vector<Event> expected = {events[1], events[2], events[0]};
  AppendResult result = AppendAll(*store, events);
  REQUIRE(result.status);
  CHECK(result.stored == 3);
  CHECK(result.duplicates == 0);
  CHECK(Stored(*store, "r") == expected);
  CHECK(Stored(*store, "unknown").empty());
  auto missing = store->GetRun("unknown");
  REQUIRE(missing);
  CHECK_FALSE(missing->has_value());
  std::vector<Event> none;
  CHECK(AppendAll(*store, none).stored == 0);
}

TEST_CASE("event_store the identical event again is a duplicate no-op", "[event_store]") {
  TempDir dir;
  auto store = OpenStore(dir.File("trace.db"));
  std::vector<Event> events = {StartedEvent("r", 1, kT0),
                               StateEvent("r", 2, kT0 + 1, "a", "executing")};
  RequireAppended(*store, events);

  std::vector<Event> again = events;
  AppendResult result = AppendAll(*store, again);
  REQUIRE(result.status);
  CHECK(result.stored == 0);
  CHECK(result.duplicates == 2);
  CHECK(Stored(*store, "r") == events);
  CHECK(Summary(*store, "r").event_count == 2);

  // A duplicate inside one batch, next to a new event.
  std::vector<Event> mixed = {EndEvent("r", 3, kT0 + 5), EndEvent("r", 3, kT0 + 5), events[0]};
  result = AppendAll(*store, mixed);
  REQUIRE(result.status);
  CHECK(result.stored == 1);
  CHECK(result.duplicates == 2);
  CHECK(Summary(*store, "r").event_count == 3);
}

TEST_CASE("event_store a different event under a stored seq is a conflict naming both",
          "[event_store]") {
  TempDir dir;
  auto store = OpenStore(dir.File("trace.db"));
  RequireAppended(
      *store, {StartedEvent("run-42", 1, kT0), StateEvent("run-42", 2, kT0 + 1, "a", "executing")});

  SECTION("the events before it commit, it and those after do not") {
    std::vector<Event> batch = {StateEvent("run-42", 3, kT0 + 2, "a", "completed"),
                                StateEvent("other", 0, kT0 + 2, "x", "executing"),
                                StateEvent("run-42", 2, kT0 + 1, "a", "error"),
                                StateEvent("run-42", 4, kT0 + 3, "b", "executing"),
                                StateEvent("run-42", 0, kT0 + 3, "b", "completed")};
    AppendResult result = AppendAll(*store, batch);
    REQUIRE_FALSE(result.status);
    CHECK(result.status.error().code == StatusCode::kConflict);
    CHECK(result.failed_index == 2);
    CHECK(result.stored == 2);
    const std::string& message = result.status.error().message;
    CHECK_THAT(message, Contains("run-42"));
    CHECK_THAT(message, Contains("seq 2"));
    // Both versions are named: the stored state and the new one.
    CHECK_THAT(message, Contains("executing"));
    CHECK_THAT(message, Contains("error"));
    CHECK(batch[1].seq == 1);

    std::vector<Event> stored = Stored(*store, "run-42");
    REQUIRE(stored.size() == 3);
    CHECK(stored[1].data_json == R"({"state":"executing"})");
    CHECK(stored[2] == batch[0]);
    CHECK(Stored(*store, "other").size() == 1);
    CHECK(Summary(*store, "run-42").event_count == 3);
  }
  SECTION("a different timestamp alone conflicts") {
    std::vector<Event> batch = {StateEvent("run-42", 2, kT0 + 9, "a", "executing")};
    AppendResult result = AppendAll(*store, batch);
    REQUIRE_FALSE(result.status);
    CHECK(result.status.error().code == StatusCode::kConflict);
    CHECK(result.failed_index == 0);
    CHECK(result.stored == 0);
  }
  SECTION("a different node alone conflicts") {
    std::vector<Event> batch = {StateEvent("run-42", 2, kT0 + 1, "b", "executing")};
    AppendResult result = AppendAll(*store, batch);
    REQUIRE_FALSE(result.status);
    CHECK(result.status.error().code == StatusCode::kConflict);
  }
  SECTION("the same seq in another run is no conflict") {
    RequireAppended(*store, {StateEvent("run-43", 2, kT0 + 1, "b", "error")});
  }
}

TEST_CASE("event_store events without seq get the next number of their run", "[event_store]") {
  TempDir dir;
  auto store = OpenStore(dir.File("trace.db"));
  RequireAppended(*store,
                  {StartedEvent("r", 1, kT0), StateEvent("r", 5, kT0 + 1, "a", "executing")});
  std::vector<Event> batch = {StateEvent("r", 0, kT0 + 2, "a", "completed"),
                              StartedEvent("fresh", 0, kT0),
                              StateEvent("r", 0, kT0 + 3, "b", "executing"),
                              StateEvent("fresh", 0, kT0 + 1, "a", "executing")};
  AppendResult result = AppendAll(*store, batch);
  REQUIRE(result.status);
  CHECK(result.stored == 4);
  // Written back into the caller's events.
  CHECK(batch[0].seq == 6);
  CHECK(batch[1].seq == 1);
  CHECK(batch[2].seq == 7);
  CHECK(batch[3].seq == 2);
  std::vector<Event> stored = Stored(*store, "r");
  REQUIRE(stored.size() == 4);
  CHECK(stored[2] == batch[0]);
  CHECK(stored[3] == batch[2]);
  CHECK(Summary(*store, "r").max_seq == 7);
  // And in a later batch it goes on from there.
  std::vector<Event> later = {EndEvent("r", 0, kT0 + 4)};
  REQUIRE(AppendAll(*store, later).status);
  CHECK(later[0].seq == 8);
}

TEST_CASE("event_store run summary of an incomplete run", "[event_store]") {
  TempDir dir;
  auto store = OpenStore(dir.File("trace.db"));
  RequireAppended(*store,
                  {StartedEvent("r", 1, kT0), StateEvent("r", 2, kT0 + 10, "a", "executing"),
                   StateEvent("r", 3, kT0 + 20, "a", "error")});
  RunSummary run = Summary(*store, "r");
  CHECK(run.execution_id == "r");
  CHECK(run.root_node_id == "flow");
  CHECK(run.status == RunStatus::kIncomplete);
  REQUIRE(run.start_us);
  CHECK(*run.start_us == kT0 * 1000);
  CHECK_FALSE(run.end_us);
  CHECK_FALSE(run.end_type);
  CHECK(run.event_count == 3);
  CHECK(run.max_seq == 3);
  REQUIRE(run.last_us);
  CHECK(*run.last_us == (kT0 + 20) * 1000);
  CHECK(run.parent_execution_id.empty());
  CHECK(run.parent_node_id.empty());
}

// The summary's status must agree with the projection's (event-format.md, section 2).
void CheckStatus(EventStore& store, const std::string& run, RunStatus expected) {
  INFO("run " << run);
  CHECK(RunStatusName(Summary(store, run).status) == RunStatusName(expected));
  auto trace = LoadTrace(store, run);
  REQUIRE(trace);
  CHECK(RunStatusName(trace->status) == RunStatusName(expected));
}

TEST_CASE("event_store run summary status completed and error", "[event_store]") {
  TempDir dir;
  auto store = OpenStore(dir.File("trace.db"));
  SECTION("completed") {
    RequireAppended(*store,
                    {StartedEvent("r", 1, kT0), StateEvent("r", 2, kT0 + 1, "a", "completed"),
                     EndEvent("r", 3, kT0 + 1500)});
    RunSummary run = Summary(*store, "r");
    REQUIRE(run.end_us);
    CHECK(*run.end_us == (kT0 + 1500) * 1000);
    CHECK(run.end_type == EventType::kCompleted);
    CHECK(run.event_count == 3);
    CheckStatus(*store, "r", RunStatus::kCompleted);
  }
  SECTION("ended with error") {
    RequireAppended(*store, {StartedEvent("r", 1, kT0), EndEvent("r", 2, kT0 + 7, true)});
    CHECK(Summary(*store, "r").end_type == EventType::kError);
    CheckStatus(*store, "r", RunStatus::kError);
  }
  SECTION("a node whose last state is error makes a completed run an error") {
    RequireAppended(*store,
                    {StartedEvent("r", 1, kT0), StateEvent("r", 2, kT0 + 1, "a", "executing"),
                     StateEvent("r", 3, kT0 + 2, "a", "error"), EndEvent("r", 4, kT0 + 3)});
    CHECK(Summary(*store, "r").error_nodes == 1);
    CheckStatus(*store, "r", RunStatus::kError);
  }
  SECTION("a node that errored then completed leaves the run completed") {
    RequireAppended(*store,
                    {StartedEvent("r", 1, kT0), StateEvent("r", 2, kT0 + 1, "a", "error"),
                     StateEvent("r", 3, kT0 + 2, "a", "completed"), EndEvent("r", 4, kT0 + 3)});
    CHECK(Summary(*store, "r").error_nodes == 0);
    CheckStatus(*store, "r", RunStatus::kCompleted);
  }
  SECTION("the error and the recovery in separate batches") {
    RequireAppended(*store, {StartedEvent("r", 1, kT0), StateEvent("r", 2, kT0 + 1, "a", "error")});
    RequireAppended(*store, {StateEvent("r", 3, kT0 + 2, "a", "completed")});
    RequireAppended(*store, {EndEvent("r", 4, kT0 + 3)});
    CheckStatus(*store, "r", RunStatus::kCompleted);
  }
  SECTION("a node error after the end still counts") {
    RequireAppended(*store, {StartedEvent("r", 1, kT0), EndEvent("r", 2, kT0 + 1),
                             StateEvent("r", 3, kT0 + 2, "b", "error")});
    CHECK(*Summary(*store, "r").end_us == (kT0 + 1) * 1000);
    CheckStatus(*store, "r", RunStatus::kError);
  }
  SECTION("a second end does not move the end") {
    RequireAppended(*store, {StartedEvent("r", 1, kT0), EndEvent("r", 2, kT0 + 1),
                             EndEvent("r", 3, kT0 + 9, true)});
    RunSummary run = Summary(*store, "r");
    CHECK(*run.end_us == (kT0 + 1) * 1000);
    CHECK(run.end_type == EventType::kCompleted);
    CheckStatus(*store, "r", RunStatus::kCompleted);
  }
  SECTION("events stored out of seq order give the same status") {
    // The recovery (seq 3) arrives before the error it overrides (seq 2).
    RequireAppended(*store,
                    {StartedEvent("r", 1, kT0), StateEvent("r", 3, kT0 + 2, "a", "completed")});
    RequireAppended(*store, {StateEvent("r", 2, kT0 + 1, "a", "error"), EndEvent("r", 4, kT0 + 3)});
    CheckStatus(*store, "r", RunStatus::kCompleted);
  }
}

// A state-change stored before its run's `started` (a producer that retries
// an early batch late) must still count once the graph is known.
TEST_CASE("event_store run summary counts a node error stored before the started event",
          "[event_store]") {
  TempDir dir;
  auto store = OpenStore(dir.File("trace.db"));
  RequireAppended(*store, {StateEvent("r", 2, kT0 + 1, "a", "error"), EndEvent("r", 3, kT0 + 2)});
  RequireAppended(*store, {StartedEvent("r", 1, kT0)});
  CheckStatus(*store, "r", RunStatus::kError);
}

TEST_CASE("event_store run summary of a child run names its parent", "[event_store]") {
  TempDir dir;
  auto store = OpenStore(dir.File("trace.db"));
  RequireAppended(*store,
                  {StartedEvent("parent", 1, kT0), StartedEvent("child", 1, kT0 + 5, "parent", "a"),
                   EndEvent("child", 2, kT0 + 6)});
  RunSummary child = Summary(*store, "child");
  CHECK(child.parent_execution_id == "parent");
  CHECK(child.parent_node_id == "a");
  CHECK(child.status == RunStatus::kCompleted);
  CHECK(Summary(*store, "parent").parent_execution_id.empty());
  auto children = store->ChildRuns("parent");
  REQUIRE(children);
  CHECK(*children == std::vector<std::string>{"child"});
}

// A child run stands for its parent's group node when that node sends no state
// of its own (event-format.md, section 2, Hierarchy); its failure fails the node.
TEST_CASE("event_store run summary status follows failed child runs", "[event_store]") {
  TempDir dir;
  auto store = OpenStore(dir.File("trace.db"));
  RequireAppended(
      *store, {StartedEvent("parent", 1, kT0), StartedEvent("child", 1, kT0 + 1, "parent", "a")});
  SECTION("a child run that ended with error") {
    RequireAppended(*store, {EndEvent("child", 2, kT0 + 2, true), EndEvent("parent", 2, kT0 + 3)});
    CheckStatus(*store, "child", RunStatus::kError);
    CheckStatus(*store, "parent", RunStatus::kError);
  }
  SECTION("a completed child run with a failed node") {
    RequireAppended(*store, {StateEvent("child", 2, kT0 + 2, "b", "error"),
                             EndEvent("child", 3, kT0 + 3), EndEvent("parent", 2, kT0 + 4)});
    CheckStatus(*store, "child", RunStatus::kError);
    CheckStatus(*store, "parent", RunStatus::kError);
  }
  SECTION("the group node's own state wins over its child run") {
    RequireAppended(*store, {EndEvent("child", 2, kT0 + 2, true),
                             StateEvent("parent", 2, kT0 + 3, "a", "completed"),
                             EndEvent("parent", 3, kT0 + 4)});
    CheckStatus(*store, "parent", RunStatus::kCompleted);
  }
  SECTION("a child run that completed") {
    RequireAppended(*store, {EndEvent("child", 2, kT0 + 2), EndEvent("parent", 2, kT0 + 3)});
    CheckStatus(*store, "parent", RunStatus::kCompleted);
  }
}

// The failure of a grandchild run fails its parent's node, so the child run,
// so the grandparent's node: status must follow it up every level.
TEST_CASE("event_store run summary status follows a failed grandchild run", "[event_store]") {
  TempDir dir;
  auto store = OpenStore(dir.File("trace.db"));
  RequireAppended(
      *store, {StartedEvent("top", 1, kT0), StartedEvent("middle", 1, kT0 + 1, "top", "a"),
               StartedEvent("leaf", 1, kT0 + 2, "middle", "a"), EndEvent("leaf", 2, kT0 + 3, true),
               EndEvent("middle", 2, kT0 + 4), EndEvent("top", 2, kT0 + 5)});
  CheckStatus(*store, "leaf", RunStatus::kError);
  CheckStatus(*store, "middle", RunStatus::kError);
  CheckStatus(*store, "top", RunStatus::kError);
}

TEST_CASE("event_store run summary status with a node that started did not declare",
          "[event_store]") {
  TempDir dir;
  auto store = OpenStore(dir.File("trace.db"));
  RequireAppended(*store,
                  {StartedEvent("r", 1, kT0), StateEvent("r", 2, kT0 + 1, "stranger", "error"),
                   EndEvent("r", 3, kT0 + 2)});
  auto trace = LoadTrace(*store, "r");
  REQUIRE(trace);
  // Whatever the projection decides, the summary must say the same.
  CHECK(RunStatusName(Summary(*store, "r").status) == RunStatusName(trace->status));
}

TEST_CASE("event_store a seq-less event after the largest seq is refused not wrapped",
          "[event_store]") {
  TempDir dir;
  auto store = OpenStore(dir.File("trace.db"));
  RequireAppended(*store, {StartedEvent("r", kMaxEventSeq, kT0)});
  std::vector<Event> next = {EndEvent("r", 0, kT0 + 1)};
  AppendResult result = AppendAll(*store, next);
  CHECK_FALSE(result.status);
  CHECK(Stored(*store, "r").size() == 1);
}

TEST_CASE("event_store list runs newest first", "[event_store]") {
  TempDir dir;
  auto store = OpenStore(dir.File("trace.db"));
  // Appended in an order that differs from their start times.
  RequireAppended(*store, {StartedEvent("middle", 1, kT0 + 2000)});
  RequireAppended(*store,
                  {StartedEvent("newest", 1, kT0 + 3000), StartedEvent("oldest", 1, kT0 + 1000)});
  // No `started` yet: placed by its last event's time.
  RequireAppended(*store, {StateEvent("headless", 4, kT0 + 2500, "a", "executing")});
  auto runs = store->ListRuns();
  REQUIRE(runs);
  std::vector<std::string> ids;
  for (const auto& run : *runs) ids.push_back(run.execution_id);
  CHECK(ids == std::vector<std::string>{"newest", "headless", "middle", "oldest"});
  CHECK((*runs)[1].root_node_id.empty());
  CHECK_FALSE((*runs)[1].start_us);
  CHECK((*runs)[1].event_count == 1);
}

TEST_CASE("event_store both durability settings store and reopen", "[event_store]") {
  auto durability = GENERATE(Durability::kNormal, Durability::kFull);
  TempDir dir;
  std::string db = dir.File("trace.db");
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

TEST_CASE("event_store a database with a newer schema is refused", "[event_store]") {
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

TEST_CASE("event_store a file that is not a database is corrupt", "[event_store]") {
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

TEST_CASE("event_store a database of another application is refused as corrupt", "[event_store]") {
  TempDir dir;
  std::string db = dir.File("other.db");
  Sqlite(db, "CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT)");
  CHECK(OpenError(db, false) == StatusCode::kCorrupt);
  CHECK(OpenError(db, true) == StatusCode::kCorrupt);
  CHECK(Sqlite(db, "SELECT count(*) FROM sqlite_schema") == "1\n");
}

TEST_CASE("event_store a missing file is not found when reading", "[event_store]") {
  TempDir dir;
  std::string db = dir.File("missing.db");
  CHECK(OpenError(db, true) == StatusCode::kNotFound);
  CHECK_FALSE(std::filesystem::exists(db));
  // Writing cannot create it in a folder that does not exist either.
  CHECK(OpenError(dir.File("no-such-dir/trace.db"), false) == StatusCode::kNotFound);
}

TEST_CASE("event_store a read-only store refuses to append", "[event_store]") {
  TempDir dir;
  std::string db = dir.File("trace.db");
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

TEST_CASE("event_store a database file without write permission is read-only", "[event_store]") {
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

// Issue 9 item 8: an event whose data is not JSON, appended directly (no
// EventParser), once left a cached string id behind its rolled-back row, and
// every later append for that node wrote a dangling id.
TEST_CASE("event_store a bad event appended directly leaves the run intact", "[event_store]") {
  TempDir dir;
  std::string path = dir.File("bad.db");
  {
    auto store = OpenStore(path);
    RequireAppended(*store, {StartedEvent("r", 1, kT0)});
    Event bad = StateEvent("r", 2, kT0 + 1, "fresh-node", "executing");
    bad.data_json = R"({"state":"executing")";  // cut short
    std::vector<Event> batch{StateEvent("r", 2, kT0 + 1, "a", "executing"), bad};
    batch[1].seq = 3;
    AppendResult result = AppendAll(*store, batch);
    REQUIRE_FALSE(result.status.has_value());
    CHECK(result.status.error().code == StatusCode::kInvalidInput);
    CHECK_THAT(result.status.error().message, Contains("data") && Contains("not a JSON object"));
    CHECK(result.failed_index == 1);
    CHECK(result.stored == 1);  // the event before it is stored, as with a conflict
    // The same node, valid this time, through the same connection.
    RequireAppended(*store,
                    {StateEvent("r", 3, kT0 + 2, "fresh-node", "executing"),
                     StateEvent("r", 4, kT0 + 3, "a", "completed"), EndEvent("r", 5, kT0 + 4)});
  }
  auto reader = OpenStore(path);
  auto events = reader->ReadEvents("r");
  REQUIRE(events.has_value());
  REQUIRE(events->size() == 5);
  CHECK((*events)[2].node_id == "fresh-node");
  CHECK((*events)[2].data_json == R"({"state":"executing"})");
  auto trace = LoadTrace(*reader, "r");
  REQUIRE(trace.has_value());
  auto check = reader->IntegrityCheck();
  REQUIRE(check.has_value());
  CHECK(*check == "ok");
}

TEST_CASE("event_store data that is valid JSON but not canonical is stored canonical",
          "[event_store]") {
  TempDir dir;
  auto store = OpenStore(dir.File("c.db"));
  Event started = StartedEvent("r", 1, kT0);
  Event state = StateEvent("r", 2, kT0 + 1, "a", "executing");
  state.data_json = "{ \"state\" : \"executing\" ,\n \"note\": [1, 2] }";
  Event array = EndEvent("r", 3, kT0 + 2);
  array.data_json = "[1,2]";
  std::vector<Event> batch{started, state, array};
  AppendResult result = AppendAll(*store, batch);
  REQUIRE_FALSE(result.status.has_value());
  CHECK(result.failed_index == 2);
  auto events = store->ReadEvents("r");
  REQUIRE(events.has_value());
  REQUIRE(events->size() == 2);
  CHECK((*events)[1].data_json == R"({"state":"executing","note":[1,2]})");
}

TEST_CASE("event_store an exception in a caller's visitor comes back as an internal error",
          "[event_store]") {
  TempDir dir;
  auto store = OpenStore(dir.File("v.db"));
  RequireAppended(*store, {StartedEvent("r", 1, kT0), EndEvent("r", 2, kT0 + 1)});
  Status status = store->ForEachEvent("r", [](Event&&) { throw std::runtime_error("visitor"); });
  REQUIRE_FALSE(status.has_value());
  CHECK(status.error().code == StatusCode::kInternal);
  CHECK_THAT(status.error().message, Contains("visitor"));
  // The connection still works.
  RequireAppended(*store, {StateEvent("r", 3, kT0 + 2, "a", "executing")});
  CHECK(store->ReadEvents("r")->size() == 3);
}

}  // namespace
}  // namespace extrace
