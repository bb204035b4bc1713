// What the event store tests share: events built the way ingest builds them
// (a run "flow" with two leaves a and b), opening a store, appending, reading
// back runs and summaries, SQL through the store's console (either backend)
// or raw on a SQLite file.
#pragma once

#include <catch2/catch.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "format/event_json.h"
#include "query/trace_loader.h"
#include "storage/event_store.h"
#include "test_support.h"

namespace extrace::event_store_test {

using testing::RunProcess;

constexpr int64_t kT0 = 1759900000000;  // ms

// Builds events the way ingest does, so data_json is canonical.
inline Event Parsed(const std::string& line) {
  EventParser parser;
  auto event = parser.Parse(line);
  INFO(line);
  if (!event) FAIL("test event refused: " << event.error().message);
  return *event;
}

inline std::string SeqField(int64_t seq) {
  return seq > 0 ? ",\"seq\":" + std::to_string(seq) : "";
}

// A run "flow" with two leaf nodes a and b, optionally the child of another run.
inline Event StartedEvent(const std::string& run, int64_t seq, int64_t ms,
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

inline Event StateEvent(const std::string& run, int64_t seq, int64_t ms, const std::string& node,
                        const std::string& state) {
  return Parsed(R"({"executionId":")" + run + "\"" + SeqField(seq) + R"(,"timestamp":)" +
                std::to_string(ms) + R"(,"type":"state-change","nodeId":")" + node +
                R"(","data":{"state":")" + state + "\"}}");
}

inline Event EndEvent(const std::string& run, int64_t seq, int64_t ms, bool failed = false) {
  return Parsed(
      R"({"executionId":")" + run + "\"" + SeqField(seq) + R"(,"timestamp":)" + std::to_string(ms) +
      (failed ? R"(,"type":"error","data":{"message":"boom"}})" : R"(,"type":"completed"})"));
}

inline std::unique_ptr<EventStore> OpenStore(const std::string& path, StoreOptions options = {}) {
  auto store = EventStore::Open(path, options);
  if (!store) FAIL("open " << path << ": " << store.error().message);
  return std::move(*store);
}

inline AppendResult AppendAll(EventStore& store, std::vector<Event>& events) {
  return store.Append(std::span<Event>(events));
}

inline void RequireAppended(EventStore& store, std::vector<Event> events) {
  AppendResult result = AppendAll(store, events);
  if (!result.status) FAIL("append: " << result.status.error().message);
  REQUIRE(result.stored == static_cast<int64_t>(events.size()));
}

inline RunSummary Summary(EventStore& store, const std::string& run) {
  auto summary = store.GetRun(run);
  REQUIRE(summary);
  REQUIRE(summary->has_value());
  return **summary;
}

inline std::vector<Event> Stored(EventStore& store, const std::string& run) {
  auto events = store.ReadEvents(run);
  REQUIRE(events);
  return *events;
}

// The first column of `sql`'s rows ("NULL" for NULL), through EventStore::Query
// on a read-only store: the documented views and tables on either backend.
inline std::vector<std::string> QueryColumn(const std::string& db, const std::string& sql) {
  StoreOptions reading;
  reading.read_only = true;
  auto store = OpenStore(db, reading);
  std::vector<std::string> values;
  auto status = store->Query(
      sql, QueryOptions{}, [](const std::vector<std::string>&) {},
      [&](const std::vector<std::optional<std::string>>& row, const std::vector<bool>&) {
        values.push_back(row.empty() || !row[0] ? "NULL" : *row[0]);
      });
  INFO(sql);
  if (!status) FAIL("query: " << status.error().message);
  return values;
}

// Raw SQL on a SQLite file (sqlite3 CLI): for [sqlite-only] tests.
inline std::string Sqlite(const std::string& db, const std::string& sql) {
  auto result = RunProcess("/usr/bin/sqlite3", {db, sql});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  return result.out;
}

inline StatusCode OpenError(const std::string& path, bool read_only) {
  StoreOptions options;
  options.read_only = read_only;
  auto store = EventStore::Open(path, options);
  if (store) FAIL("opening " << path << " should have failed");
  INFO(store.error().message);
  CHECK_FALSE(store.error().message.empty());
  return store.error().code;
}

}  // namespace extrace::event_store_test
