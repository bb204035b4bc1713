// Appending to the SQLite event log (storage/event_store.h): events read back
// in seq order, idempotent append and conflicts, seq assignment, bad and
// non-canonical data, a caller's visitor that throws.

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "event_store_test_support.h"
#include "format/event_json.h"
#include "query/trace_loader.h"
#include "storage/event_store.h"
#include "test_support.h"

namespace extrace {
namespace {

using Catch::Matchers::Contains;
using event_store_test::AppendAll;
using event_store_test::EndEvent;
using event_store_test::kT0;
using event_store_test::OpenStore;
using event_store_test::RequireAppended;
using event_store_test::StartedEvent;
using event_store_test::StateEvent;
using event_store_test::Stored;
using event_store_test::Summary;
using testing::TempDir;

TEST_CASE("event_store append stores events and reads them back in seq order", "[event_store]") {
  TempDir dir;
  auto store = OpenStore(dir.Store("trace.db"));
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
  auto store = OpenStore(dir.Store("trace.db"));
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
  auto store = OpenStore(dir.Store("trace.db"));
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
  auto store = OpenStore(dir.Store("trace.db"));
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

TEST_CASE("event_store a seq-less event after the largest seq is refused not wrapped",
          "[event_store]") {
  TempDir dir;
  auto store = OpenStore(dir.Store("trace.db"));
  RequireAppended(*store, {StartedEvent("r", kMaxEventSeq, kT0)});
  std::vector<Event> next = {EndEvent("r", 0, kT0 + 1)};
  AppendResult result = AppendAll(*store, next);
  CHECK_FALSE(result.status);
  CHECK(Stored(*store, "r").size() == 1);
}

// Issue 9 item 8: an event whose data is not JSON, appended directly (no
// EventParser), once left a cached string id behind its rolled-back row, and
// every later append for that node wrote a dangling id.
TEST_CASE("event_store a bad event appended directly leaves the run intact", "[event_store]") {
  TempDir dir;
  std::string path = dir.Store("bad.db");
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
  auto store = OpenStore(dir.Store("c.db"));
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
  auto store = OpenStore(dir.Store("v.db"));
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
