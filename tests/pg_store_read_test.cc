// The read side of the PostgreSQL store against a real server: the same events
// appended to a SQLite store, its rows copied into a fresh PostgreSQL database
// (pg_test_database.h), and every read compared with the SQLite backend's:
// runs under every filter and limit, statuses over child runs, node facts,
// child runs, events after a seq (byte-exact data), the SQL console. Then what
// only PostgreSQL has: the change counter across connections, a read-only
// role, and the time of listing 10,000 runs of 50 nodes.
// Run: pg_virtualenv -v 15 build/bin/storage_tests '[postgres]'
#include <fmt/format.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>

#include "event_store_test_support.h"
#include "pg_test_database.h"
#include "storage/postgres/connection.h"

namespace extrace {
namespace {

namespace fs = std::filesystem;
using event_store_test::EndEvent;
using event_store_test::kT0;
using event_store_test::OpenStore;
using event_store_test::Parsed;
using event_store_test::StartedEvent;
using event_store_test::StateEvent;
using testing::TempDir;

std::string Head(const std::string& run, int64_t seq, int64_t ms) {
  return fmt::format(R"({{"executionId":"{}","seq":{},"timestamp":{})", run, seq, ms);
}

Event NodeError(const std::string& run, int64_t seq, int64_t ms, const std::string& node,
                const std::string& message) {
  return Parsed(Head(run, seq, ms) +
                fmt::format(R"(,"type":"state-change","nodeId":"{}","data":{{"state":"error",)"
                            R"("errorMessage":"{}"}}}})",
                            node, message));
}

Event RunError(const std::string& run, int64_t seq, int64_t ms, const std::string& message) {
  return Parsed(Head(run, seq, ms) +
                fmt::format(R"(,"type":"error","data":{{"message":"{}","code":7}}}})", message));
}

Event Progress(const std::string& run, int64_t seq, const std::string& ms, const std::string& node,
               const std::string& value) {
  return Parsed(fmt::format(R"({{"executionId":"{}","seq":{},"timestamp":{},"type":"progress",)"
                            R"("nodeId":"{}","data":{{"progress":{},"message":"step {}"}}}})",
                            run, seq, ms, node, value, seq));
}

// A run of flow "outer" whose node "sub" sends no state: a child run stands for it.
Event OuterStarted(const std::string& run, int64_t seq, int64_t ms) {
  return Parsed(Head(run, seq, ms) +
                R"(,"type":"started","data":{"rootNodeId":"outer","nodes":[)"
                R"({"id":"outer","name":"Outer","type":"group"},)"
                R"({"id":"sub","name":"Sub \u00e9","type":"flow","parentId":"outer"}]}})");
}

// Runs of every kind a filter or a status can tell apart.
std::vector<Event> Scenario() {
  std::vector<Event> e;
  auto add = [&](Event event) { e.push_back(std::move(event)); };
  // Completed, with both leaves.
  add(StartedEvent("Run-B", 1, kT0));
  add(StateEvent("Run-B", 2, kT0 + 1, "a", "executing"));
  add(StateEvent("Run-B", 3, kT0 + 5, "a", "completed"));
  add(StateEvent("Run-B", 4, kT0 + 6, "b", "executing"));
  add(StateEvent("Run-B", 5, kT0 + 9, "b", "completed"));
  add(EndEvent("Run-B", 6, kT0 + 10));
  // A node failed: the run fails though it completed.
  add(StartedEvent("run-a", 1, kT0 + 100));
  add(StateEvent("run-a", 2, kT0 + 101, "a", "executing"));
  add(NodeError("run-a", 3, kT0 + 150, "a", "Disk FULL on /var"));
  add(EndEvent("run-a", 4, kT0 + 160));
  // The run ended with an error event.
  add(StartedEvent("run_C", 1, kT0 + 200));
  add(StateEvent("run_C", 2, kT0 + 201, "b", "executing"));
  add(RunError("run_C", 3, kT0 + 230, "Boom: Timeout after 30 s"));
  // A parent whose node "sub" has no state; two child runs start at once, one
  // fails (so the parent fails), one has a grandchild.
  add(OuterStarted("parent-1", 1, kT0 + 300));
  add(StartedEvent("child-x", 1, kT0 + 310, "parent-1", "sub"));
  add(EndEvent("child-x", 2, kT0 + 320, /*failed=*/true));
  add(StartedEvent("child-Y", 1, kT0 + 310, "parent-1", "sub"));
  add(StartedEvent("grand-1", 1, kT0 + 311, "child-Y", "a"));
  add(EndEvent("grand-1", 2, kT0 + 312));
  add(EndEvent("child-Y", 2, kT0 + 330));
  add(EndEvent("parent-1", 2, kT0 + 340));
  // A second parent, whose failing child stands for a node with its own state.
  add(OuterStarted("parent-2", 1, kT0 + 400));
  add(StateEvent("parent-2", 2, kT0 + 401, "sub", "completed"));
  add(StartedEvent("child-z", 1, kT0 + 402, "parent-2", "sub"));
  add(RunError("child-z", 2, kT0 + 403, "child failed"));
  add(EndEvent("parent-2", 3, kT0 + 404));
  // No `started` stored: no start time, listed by its last event.
  add(StateEvent("orphan-1", 3, kT0 + 250, "a", "executing"));
  // Slow, and a node error with non-ASCII text.
  add(StartedEvent("slow-1", 1, kT0 + 500));
  add(NodeError("slow-1", 2, kT0 + 9000, "b", "Fehler: \u00c4RGER"));
  add(EndEvent("slow-1", 3, kT0 + 10500));
  // Progress with fractions (values and timestamps), still running.
  add(StartedEvent("prog-1", 1, kT0 + 600));
  add(StateEvent("prog-1", 2, kT0 + 601, "a", "executing"));
  add(Progress("prog-1", 3, std::to_string(kT0 + 602) + ".125", "a", "0.1"));
  add(Progress("prog-1", 4, std::to_string(kT0 + 603) + ".5", "a", "0.3333333333333333"));
  add(Progress("prog-1", 5, std::to_string(kT0 + 604), "a", "0.7"));
  // Another flow.
  add(Parsed(
      Head("other-1", 1, kT0 + 700) +
      R"(,"type":"started","data":{"rootNodeId":"o","nodes":[{"id":"o","name":"O","type":"t"}]}})"));
  add(StateEvent("other-1", 2, kT0 + 701, "o", "skipped"));
  add(EndEvent("other-1", 3, kT0 + 702));
  return e;
}

// A run long enough to need several pages of events.
std::vector<Event> LongRun(int events) {
  std::vector<Event> e;
  e.push_back(StartedEvent("long-1", 1, kT0 + 800));
  for (int seq = 2; seq <= events; ++seq)
    e.push_back(
        Progress("long-1", seq, std::to_string(kT0 + 800 + seq), "a", std::to_string(seq % 100)));
  return e;
}

std::string Show(const RunSummary& r) {
  return fmt::format(
      "{} root={} parent={}/{} start={} end={} end_type={} events={} max_seq={} "
      "last={} error_nodes={} status={}",
      r.execution_id, r.root_node_id, r.parent_execution_id, r.parent_node_id,
      r.start_us.value_or(-1), r.end_us.value_or(-1),
      r.end_type ? static_cast<int>(*r.end_type) : -1, r.event_count, r.max_seq,
      r.last_us.value_or(-1), r.error_nodes, static_cast<int>(r.status));
}

std::string Show(const std::vector<RunSummary>& runs) {
  std::string out;
  for (const auto& run : runs) out += Show(run) + "\n";
  return out;
}

std::string Show(const NodeFact& f) {
  return fmt::format(
      "{}/{} name={} type={} parent={} pos={} state={} start={} end={} "
      "progress={} error={}",
      f.execution_id, f.node_id, f.name, f.type, f.parent_id, f.position,
      f.state ? static_cast<int>(*f.state) : -1, f.start_us.value_or(-1), f.end_us.value_or(-1),
      f.progress ? fmt::format("{}", *f.progress) : std::string("none"), f.error_message);
}

std::string Show(const Event& e) {
  return fmt::format("{}#{} t={} type={} node={} data={}", e.execution_id, e.seq, e.timestamp_us,
                     static_cast<int>(e.type), e.node_id, e.data_json);
}

template <typename T>
std::string ShowAll(const std::vector<T>& items) {
  std::string out;
  for (const auto& item : items) out += Show(item) + "\n";
  return out;
}

std::string Listed(EventStore& store, const RunFilter& filter) {
  auto runs = store.ListRuns(filter);
  if (!runs) FAIL(store.path() << ": " << runs.error().message);
  return Show(*runs);
}

std::string EventsAfter(EventStore& store, const std::string& run, int64_t after, size_t max) {
  std::vector<Event> events;
  auto status = store.ForEachEventAfter(run, after, max,
                                        [&](Event&& event) { events.push_back(std::move(event)); });
  if (!status) FAIL(store.path() << ": " << status.error().message);
  return ShowAll(events);
}

// Both stores hold the same events: SQLite appended them, PostgreSQL got its rows.
struct Pair {
  TempDir dir;
  pg_test::Database database;
  std::unique_ptr<EventStore> sqlite;
  std::unique_ptr<EventStore> postgres;

  explicit Pair(std::vector<Event> events, bool read_only = false) {
    dir.AllowSqliteFiles();  // SQLite beside PostgreSQL, on purpose
    const std::string file = dir.File("reference.db");
    {
      auto writer = OpenStore(file);
      AppendResult appended = writer->Append(events);
      if (!appended.status) FAIL("append: " << appended.status.error().message);
    }
    OpenStore(database.uri()).reset();  // creates the schema
    auto db = database.Connect();
    pg_test::CopySqliteRows(file, db);
    StoreOptions options;
    options.read_only = read_only;
    sqlite = OpenStore(file, options);
    postgres = OpenStore(database.uri(), options);
  }
};

std::vector<RunFilter> Filters() {
  std::vector<RunFilter> filters;
  auto add = [&](auto change) {
    RunFilter filter;
    change(filter);
    filters.push_back(filter);
  };
  add([](RunFilter&) {});
  add([](RunFilter& f) { f.flow = "flow"; });
  add([](RunFilter& f) { f.flow = "outer"; });
  add([](RunFilter& f) { f.flow = "nope"; });
  for (RunStatus status : {RunStatus::kCompleted, RunStatus::kError, RunStatus::kIncomplete})
    add([&](RunFilter& f) { f.status = status; });
  add([](RunFilter& f) { f.since_us = (kT0 + 300) * 1000; });
  add([](RunFilter& f) { f.until_us = (kT0 + 300) * 1000; });
  add([](RunFilter& f) {
    f.since_us = (kT0 + 100) * 1000;
    f.until_us = (kT0 + 400) * 1000;
  });
  add([](RunFilter& f) { f.node = "a"; });
  add([](RunFilter& f) { f.node = "sub"; });
  add([](RunFilter& f) {
    f.node = "a";
    f.node_state = NodeState::kError;
  });
  add([](RunFilter& f) { f.node_state = NodeState::kExecuting; });
  add([](RunFilter& f) { f.node_state = NodeState::kSkipped; });
  for (const char* text : {"disk full", "DISK", "boom", "TIMEOUT AFTER", "child", "\u00c4RGER",
                           "\u00e4rger", "fehler", "nothing like it", "7"})
    add([&](RunFilter& f) { f.error_text = text; });
  add([](RunFilter& f) { f.slower_than_us = 5000 * 1000; });
  add([](RunFilter& f) { f.slower_than_us = 0; });
  add([](RunFilter& f) { f.top_level_only = true; });
  add([](RunFilter& f) {
    f.top_level_only = true;
    f.status = RunStatus::kError;
  });
  // Limits, with and without other fields (a status reads every run).
  for (size_t limit : {size_t{1}, size_t{2}, size_t{3}, size_t{5}, size_t{100}}) {
    add([&](RunFilter& f) { f.limit = limit; });
    add([&](RunFilter& f) {
      f.limit = limit;
      f.flow = "flow";
    });
    add([&](RunFilter& f) {
      f.limit = limit;
      f.status = RunStatus::kError;
    });
    add([&](RunFilter& f) {
      f.limit = limit;
      f.top_level_only = true;
      f.error_text = "o";
    });
    add([&](RunFilter& f) {
      f.limit = limit;
      f.node = "b";
      f.since_us = kT0 * 1000;
    });
  }
  return filters;
}

std::string Describe(const RunFilter& f) {
  return fmt::format(
      "flow={} status={} since={} until={} node={} state={} error={} slower={} "
      "limit={} top={}",
      f.flow, f.status ? static_cast<int>(*f.status) : -1, f.since_us.value_or(-1),
      f.until_us.value_or(-1), f.node, f.node_state ? static_cast<int>(*f.node_state) : -1,
      f.error_text, f.slower_than_us.value_or(-1), f.limit, f.top_level_only);
}

std::vector<std::string> RunIds(EventStore& store) {
  auto runs = store.ListRuns();
  REQUIRE(runs);
  std::vector<std::string> ids;
  for (const auto& run : *runs) ids.push_back(run.execution_id);
  return ids;
}

// Every read both stores answer, compared.
void RequireSameReads(EventStore& sqlite, EventStore& postgres) {
  for (const RunFilter& filter : Filters()) {
    INFO("filter: " << Describe(filter));
    CHECK(Listed(postgres, filter) == Listed(sqlite, filter));
  }
  std::vector<std::string> ids = RunIds(sqlite);
  ids.push_back("no-such-run");
  for (const std::string& id : ids) {
    INFO("run " << id);
    auto lite = sqlite.GetRun(id);
    auto pg = postgres.GetRun(id);
    REQUIRE(lite);
    REQUIRE(pg);
    REQUIRE(lite->has_value() == pg->has_value());
    if (lite->has_value()) CHECK(Show(**pg) == Show(**lite));
    auto lite_children = sqlite.ChildRuns(id);
    auto pg_children = postgres.ChildRuns(id);
    REQUIRE(lite_children);
    REQUIRE(pg_children);
    CHECK(*pg_children == *lite_children);
    CHECK(EventsAfter(postgres, id, 0, 0) == EventsAfter(sqlite, id, 0, 0));
    for (auto [after, max] : {std::pair<int64_t, size_t>{1, 0}, {2, 1}, {0, 2}, {3, 100}})
      CHECK(EventsAfter(postgres, id, after, max) == EventsAfter(sqlite, id, after, max));
  }
  // Node facts for all runs at once, in the order asked (a run twice included).
  ids.push_back(ids.front());
  auto lite_facts = sqlite.NodeFacts(ids);
  auto pg_facts = postgres.NodeFacts(ids);
  REQUIRE(lite_facts);
  REQUIRE(pg_facts);
  CHECK(ShowAll(*pg_facts) == ShowAll(*lite_facts));
}

struct QueryOutput {
  std::vector<std::string> columns;
  std::vector<std::string> rows;  // one line per row: value|value (NULL shown so), number marks
  Status status;
};

QueryOutput RunQuery(EventStore& store, const std::string& sql) {
  QueryOutput out;
  out.status = store.Query(
      sql, QueryOptions{}, [&](const std::vector<std::string>& names) { out.columns = names; },
      [&](const std::vector<std::optional<std::string>>& values, const std::vector<bool>& numbers) {
        std::string line;
        for (size_t i = 0; i < values.size(); ++i)
          line += (i ? "|" : "") + values[i].value_or("<null>") + (numbers[i] ? "#" : "");
        out.rows.push_back(line);
      });
  return out;
}

TEST_CASE("postgres read: runs, statuses, node facts, child runs and events as SQLite reads them",
          "[postgres]") {
  Pair pair(Scenario());
  RequireSameReads(*pair.sqlite, *pair.postgres);
  // The scenario's statuses, spelled out (so a shared mistake shows too).
  auto parent = pair.postgres->GetRun("parent-1");
  REQUIRE(parent);
  REQUIRE(parent->has_value());
  CHECK((*parent)->status == RunStatus::kError);  // child-x failed for node "sub"
  auto parent2 = pair.postgres->GetRun("parent-2");
  REQUIRE(parent2);
  CHECK((*parent2)->status == RunStatus::kCompleted);  // "sub" has a state of its own
  auto children = pair.postgres->ChildRuns("parent-1");
  REQUIRE(children);
  // Same start: byte order (SQLite's BINARY), whatever the database's collation.
  CHECK(*children == std::vector<std::string>{"child-Y", "child-x"});
  RunFilter error;
  error.error_text = "TIMEOUT";
  CHECK(Listed(*pair.postgres, error).rfind("run_C ", 0) == 0);
  CHECK(pair.postgres->IntegrityCheck().value_or("") == "ok");
  // A run with no time at all (no event yet) sorts last in both.
  event_store_test::Sqlite(pair.dir.File("reference.db"),
                           "INSERT INTO executions(execution_id, base_us) VALUES ('empty', 0)");
  pair.database.Connect().Exec("INSERT INTO executions(execution_id, base_us) VALUES ('empty', 0)");
  std::string listed = Listed(*pair.postgres, {});
  CHECK(listed == Listed(*pair.sqlite, {}));
  CHECK(listed.find("empty ") == listed.rfind('\n', listed.size() - 2) + 1);
}

TEST_CASE("postgres read: every golden stream reads back as from SQLite", "[postgres]") {
  for (const auto& entry : fs::directory_iterator(EXTRACE_GOLDEN_DIR)) {
    if (!entry.is_directory()) continue;
    DYNAMIC_SECTION(entry.path().filename().string()) {
      EventParser parser;
      std::vector<Event> events;
      std::ifstream in(entry.path() / "events.jsonl");
      std::string line;
      while (std::getline(in, line)) {
        if (line.empty()) continue;
        auto event = parser.Parse(line);
        REQUIRE(event);
        events.push_back(std::move(*event));
      }
      Pair pair(std::move(events), /*read_only=*/true);
      RequireSameReads(*pair.sqlite, *pair.postgres);
      // The views: the same rows (sorted here: collations differ) and numbers.
      for (const char* sql :
           {"SELECT * FROM runs", "SELECT * FROM node_runs", "SELECT * FROM nodes",
            "SELECT * FROM events",
            "SELECT count(*) AS n, sum(event_count) AS events, avg(event_count) AS mean "
            "FROM runs"}) {
        INFO(sql);
        QueryOutput lite = RunQuery(*pair.sqlite, sql);
        QueryOutput pg = RunQuery(*pair.postgres, sql);
        REQUIRE(lite.status);
        REQUIRE(pg.status);
        CHECK(pg.columns == lite.columns);
        std::sort(lite.rows.begin(), lite.rows.end());
        std::sort(pg.rows.begin(), pg.rows.end());
        CHECK(pg.rows == lite.rows);
      }
      CHECK(pair.postgres->IntegrityCheck().value_or("") == "ok");
    }
  }
}

TEST_CASE("postgres read: a long run's events come in pages, after any seq, up to any count",
          "[postgres]") {
  constexpr int kEvents = 25003;
  Pair pair(LongRun(kEvents));
  for (auto [after, max] : std::vector<std::pair<int64_t, size_t>>{{0, 0},
                                                                   {0, 10000},
                                                                   {0, 10001},
                                                                   {9999, 2},
                                                                   {10000, 0},
                                                                   {20000, 5003},
                                                                   {20000, 6000},
                                                                   {kEvents, 0},
                                                                   {kEvents - 1, 0},
                                                                   {-5, 3}}) {
    INFO("after " << after << " max " << max);
    std::string pg = EventsAfter(*pair.postgres, "long-1", after, max);
    CHECK(pg == EventsAfter(*pair.sqlite, "long-1", after, max));
    size_t expected = std::min<size_t>(max ? max : kEvents, kEvents - std::max<int64_t>(after, 0));
    CHECK(static_cast<size_t>(std::count(pg.begin(), pg.end(), '\n')) == expected);
  }
}

TEST_CASE("postgres read: corrupt rows are reported, naming the run and seq", "[postgres]") {
  Pair pair(Scenario());
  auto db = pair.database.Connect();
  db.Exec(
      "UPDATE event_log SET layout = 42 WHERE seq = 2 AND execution = "
      "(SELECT id FROM executions WHERE execution_id = 'Run-B')");
  auto status = pair.postgres->ForEachEvent("Run-B", [](Event&&) {});
  REQUIRE_FALSE(status);
  CHECK(status.error().code == StatusCode::kCorrupt);
  CHECK(status.error().message.find("event 2 of \"Run-B\"") != std::string::npos);
  db.Exec(
      "UPDATE event_log SET layout = NULL, type = 9 WHERE seq = 2 AND execution = "
      "(SELECT id FROM executions WHERE execution_id = 'Run-B')");
  status = pair.postgres->ForEachEvent("Run-B", [](Event&&) {});
  REQUIRE_FALSE(status);
  CHECK(status.error().message.find("unknown type code 9") != std::string::npos);
  auto check = pair.postgres->IntegrityCheck();
  REQUIRE(check);
  CHECK(check->find("type code 9") != std::string::npos);
  db.Exec("UPDATE executions SET event_count = 99 WHERE execution_id = 'run-a'");
  check = pair.postgres->IntegrityCheck();
  REQUIRE(check);
  INFO(*check);
  CHECK(check->find("run \"run-a\": event_count 99") != std::string::npos);
  // The password never shows, and the message names the store.
  CHECK(status.error().message.rfind(pair.postgres->path(), 0) == 0);
}

TEST_CASE("postgres read: the change counter moves when another connection commits", "[postgres]") {
  Pair pair(Scenario(), /*read_only=*/true);
  EventStore& follower = *pair.postgres;
  auto writer = pair.database.Connect();
  auto counter = [&] {
    auto value = follower.ChangeCounter();
    REQUIRE(value);
    return *value;
  };
  // Without commits it holds still (now and then something else in the
  // cluster, autovacuum's analyze, takes a transaction id: a spurious change).
  bool still = false;
  for (int attempt = 0; attempt < 10 && !still; ++attempt) {
    int64_t first = counter();
    still = counter() == first;
  }
  CHECK(still);
  for (int i = 0; i < 20; ++i) {
    int64_t before = counter();
    if (i % 2 == 0) {
      // Append-like: a run's row and its first event, in one transaction.
      pg::Transaction txn(writer);
      auto id = writer.Exec(
          "INSERT INTO executions(execution_id, base_us, event_count, max_seq) "
          "VALUES ($1, 0, 1, 1) RETURNING id",
          pg::Params().Add("new-" + std::to_string(i)));
      writer.Exec("INSERT INTO event_log(execution, seq, ts_us, type) VALUES ($1, 1, 5, 4)",
                  pg::Params().Add(id.Int64(0, 0)));
      txn.Commit();
    } else {
      // A transaction already running when the follower looked, committed after.
      pg::Transaction txn(writer);
      writer.Exec("UPDATE executions SET last_us = 7 WHERE execution_id = 'Run-B'");
      before = counter();
      txn.Commit();
    }
    INFO("commit " << i);
    CHECK(counter() != before);
  }
  CHECK(follower.GetRun("new-0").value_or(std::nullopt).has_value());
}

// A long-lived reader (serve's store pool, `extrace tail`) outlives its
// connection: a server restart or an administrator ends it. Reads are
// idempotent, so each reconnects once and runs again instead of failing
// until the process is restarted.
TEST_CASE("postgres read: reads reconnect after the server ended the connection", "[postgres]") {
  Pair pair(Scenario(), /*read_only=*/true);
  EventStore& pg = *pair.postgres;
  auto admin = pair.database.Connect();
  auto terminate = [&] {
    auto ended = admin.Exec(fmt::format(
        "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE datname = '{}' AND pid <> pg_backend_pid()",
        pair.database.name()));
    REQUIRE(ended.Int64(0, 0) == 1);
  };
  auto expected_run = pair.sqlite->GetRun("Run-B");
  REQUIRE(expected_run);
  REQUIRE(pg.GetRun("Run-B"));
  terminate();
  auto run = pg.GetRun("Run-B");
  INFO((run ? "" : run.error().message));
  REQUIRE(run);
  CHECK(run->has_value() == expected_run->has_value());
  terminate();
  auto runs = pg.ListRuns(RunFilter{});
  INFO((runs ? "" : runs.error().message));
  REQUIRE(runs);
  CHECK(runs->size() == pair.sqlite->ListRuns(RunFilter{})->size());
  terminate();
  std::vector<int64_t> seqs, expected_seqs;
  auto read = pg.ForEachEventAfter("Run-B", 0, 0, [&](Event&& e) { seqs.push_back(e.seq); });
  INFO((read ? "" : read.error().message));
  REQUIRE(read);
  REQUIRE(pair.sqlite->ForEachEventAfter("Run-B", 0, 0,
                                         [&](Event&& e) { expected_seqs.push_back(e.seq); }));
  CHECK(seqs == expected_seqs);
  terminate();
  auto counter = pg.ChangeCounter();
  INFO((counter ? "" : counter.error().message));
  CHECK(counter);
  terminate();
  int rows = 0;
  auto queried = pg.Query(
      "SELECT 1", QueryOptions{}, [](const std::vector<std::string>&) {},
      [&](const std::vector<std::optional<std::string>>&, const std::vector<bool>&) { ++rows; });
  INFO((queried ? "" : queried.error().message));
  CHECK(queried);
  CHECK(rows == 1);
}

TEST_CASE("postgres read: the SQL console reads one statement, refuses writes", "[postgres]") {
  Pair pair(Scenario(), /*read_only=*/true);
  EventStore& pg = *pair.postgres;
  SECTION("values as text, numbers marked, NULLs as NULL, floats as SQLite prints them") {
    QueryOutput out = RunQuery(
        pg,
        "SELECT 1 AS one, 2.5::float8 AS f, 1.50::numeric AS n, NULL::int AS nothing, 'x' AS t, "
        "true AS yes, 10000000000000000000::numeric AS big, 0.1::float4 AS small, 1e100::float8 "
        "AS huge, 1::float8 / 3 AS third, -7::int2 AS neg, 123456789012::int8 AS wide;");
    REQUIRE(out.status);
    CHECK(out.columns == std::vector<std::string>{"one", "f", "n", "nothing", "t", "yes", "big",
                                                  "small", "huge", "third", "neg", "wide"});
    REQUIRE(out.rows.size() == 1);
    CHECK(out.rows[0] ==
          "1#|2.5#|1.5#|<null>|x|1#|10000000000000000000#|0.1#|1e+100#|0.3333333333333333#|-7#|"
          "123456789012#");
    QueryOutput lite = RunQuery(*pair.sqlite, "SELECT 1 AS one, 2.5 AS f, 1e100 AS huge, 1.0 / 3");
    REQUIRE(lite.status);
    CHECK(lite.rows == std::vector<std::string>{"1#|2.5#|1e+100#|0.3333333333333333#"});
  }
  SECTION("a view, sorted by the user") {
    QueryOutput out = RunQuery(pg,
                               "SELECT execution_id, status, duration_ms FROM runs WHERE flow = "
                               "'flow' AND parent_execution_id IS NULL ORDER BY start_time");
    REQUIRE(out.status);
    CHECK(out.rows == std::vector<std::string>{"Run-B|completed|10#", "run-a|error|60#",
                                               "run_C|error|30#", "slow-1|error|10000#",
                                               "prog-1|incomplete|<null>"});
  }
  SECTION("no rows: the header still comes") {
    QueryOutput out = RunQuery(pg, "SELECT execution_id FROM runs WHERE false");
    REQUIRE(out.status);
    CHECK(out.columns == std::vector<std::string>{"execution_id"});
    CHECK(out.rows.empty());
  }
  SECTION("refusals") {
    struct Refused {
      const char* sql;
      StatusCode code;
      const char* message;
    };
    for (const Refused& refused : std::vector<Refused>{
             {"SELECT 1; SELECT 2", StatusCode::kInvalidInput, "SQL: one statement at a time"},
             {"SELECT 1; DELETE FROM event_log", StatusCode::kInvalidInput,
              "SQL: one statement at a time"},
             {"DELETE FROM event_log", StatusCode::kReadOnly,
              "SQL: only statements that read are allowed"},
             {"INSERT INTO layouts VALUES (50, 'x') RETURNING layout", StatusCode::kReadOnly,
              "SQL: only statements that read are allowed"},
             {"WITH gone AS (DELETE FROM run_nodes RETURNING node) SELECT * FROM gone",
              StatusCode::kReadOnly, "SQL: only statements that read are allowed"},
             {"SET default_transaction_read_only = off", StatusCode::kReadOnly,
              "SQL: only statements that read are allowed"},
             {"COMMIT", StatusCode::kReadOnly, "SQL: only statements that read are allowed"},
             {"SELECT nextval(pg_get_serial_sequence('executions', 'id'))", StatusCode::kReadOnly,
              "SQL: only statements that read are allowed"},
             {"SELEC 1", StatusCode::kInvalidInput, "SQL: syntax error at or near \"SELEC\""},
             {"SELECT nope FROM runs", StatusCode::kInvalidInput,
              "SQL: column \"nope\" does not exist"},
             {"SELECT 1 / 0", StatusCode::kInvalidInput, "SQL: division by zero"},
             {"  ;  ", StatusCode::kInvalidInput, "SQL: no statement"},
         }) {
      INFO(refused.sql);
      QueryOutput out = RunQuery(pg, refused.sql);
      REQUIRE_FALSE(out.status);
      CHECK(out.status.error().code == refused.code);
      CHECK(out.status.error().message == refused.message);
    }
    // Nothing changed, and the connection still answers.
    QueryOutput count = RunQuery(pg, "SELECT count(*) FROM event_log");
    REQUIRE(count.status);
    CHECK(count.rows == std::vector<std::string>{"38#"});
    CHECK(pg.IntegrityCheck().value_or("") == "ok");
  }
  SECTION("a store opened for writing does not run queries") {
    auto writable = OpenStore(pair.database.uri());
    auto status = writable->Query(
        "SELECT 1", QueryOptions{}, [](auto&) {}, [](auto&, auto&) {});
    REQUIRE_FALSE(status);
    CHECK(status.error().code == StatusCode::kInternal);
  }
}

TEST_CASE("postgres read: a role that may only read opens read-only, and writing is refused",
          "[postgres]") {
  Pair pair(Scenario());
  const std::string role = "extrace_reader_" + pg_test::RandomSuffix();
  auto admin = pair.database.Connect();
  admin.Exec(fmt::format("CREATE ROLE {} LOGIN PASSWORD 'secret-pw'", role));
  struct DropRole {
    pg_test::Database& database;
    std::string role;
    ~DropRole() {
      try {
        auto db = database.Connect();
        db.Exec(fmt::format("DROP OWNED BY {}", role));
        pg::Connection("dbname=postgres").Exec("DROP ROLE " + role);
      } catch (const std::exception& e) {
        WARN("dropping role: " << e.what());
      }
    }
  } drop{pair.database, role};
  admin.Exec(fmt::format("GRANT CONNECT ON DATABASE {} TO {}", pair.database.name(), role));
  admin.Exec(fmt::format("GRANT USAGE ON SCHEMA public TO {}", role));
  admin.Exec(fmt::format("GRANT SELECT ON ALL TABLES IN SCHEMA public TO {}", role));
  const std::string uri = fmt::format("postgresql://{}:secret-pw@/{}", role, pair.database.name());
  StoreOptions read_only;
  read_only.read_only = true;
  auto reader = OpenStore(uri, read_only);
  CHECK(reader->path().find("secret-pw") == std::string::npos);
  CHECK(Listed(*reader, {}) == Listed(*pair.sqlite, {}));
  QueryOutput out = RunQuery(*reader, "SELECT count(*) FROM runs");
  REQUIRE(out.status);
  CHECK(out.rows == std::vector<std::string>{"13#"});
  out = RunQuery(*reader, "INSERT INTO layouts VALUES (50, 'x') RETURNING layout");
  REQUIRE_FALSE(out.status);
  CHECK(out.status.error().code == StatusCode::kReadOnly);
  // Opened for writing (the schema is current: nothing to migrate), its
  // appends are refused by the server's grants.
  auto writer = OpenStore(uri);
  std::vector<Event> events{EndEvent("prog-1", 6, kT0 + 605)};
  AppendResult appended = writer->Append(events);
  REQUIRE_FALSE(appended.status);
  INFO(appended.status.error().message);
  if (appended.status.error().message.find("not yet") != std::string::npos)
    WARN("the PostgreSQL write path is not there yet: the append's refusal is not checked");
  else
    CHECK(appended.status.error().code == StatusCode::kReadOnly);
  CHECK(appended.status.error().message.find("secret-pw") == std::string::npos);
}

// 10,000 runs of 50 nodes, written by SQL (generate_series): every 10th run is
// the child of the one before; flows f0..f4; every 7th and every 20th run has
// a node that failed.
void FillLargeStore(pg::Connection& db) {
  db.Exec(R"(
    INSERT INTO executions(execution_id, root_node_id, parent_execution_id, parent_node_id,
                           start_seq, start_us, end_seq, end_us, end_type, event_count, max_seq,
                           last_us, error_nodes, base_us)
    SELECT 'run-' || i, 'f' || (i % 5),
           CASE WHEN i % 10 = 0 THEN 'run-' || (i - 1) END,
           CASE WHEN i % 10 = 0 THEN 'n1' END,
           1, 1759900000000000 + i * 1000000, 102,
           1759900000000000 + i * 1000000 + (i % 97) * 1000, 4, 102, 102,
           1759900000000000 + i * 1000000 + (i % 97) * 1000,
           CASE WHEN i % 7 = 0 OR i % 20 = 0 THEN 1 ELSE 0 END, 1759900000000000 + i * 1000000
    FROM generate_series(1::bigint, 10000) AS i)");
  db.Exec(R"(
    INSERT INTO run_nodes(execution, node, declared, parent, position, name, type, state,
                          state_seq, start_seq, start_us, end_us, error_message)
    SELECT x.id, 'n' || k, true, CASE WHEN k > 0 THEN 'n0' END, k, 'Node ' || k, 't',
           CASE WHEN k = 1 THEN NULL WHEN x.error_nodes > 0 AND k = 3 THEN 4 ELSE 3 END,
           2 + k, 2 + k, x.start_us + k, x.start_us + k + 10,
           CASE WHEN x.error_nodes > 0 AND k = 3 THEN 'failed at step ' || x.id END
    FROM executions x, generate_series(0, 49) AS k)");
  db.Exec("ANALYZE");
}

template <typename Body>
double Milliseconds(int times, Body&& body) {
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < times; ++i) body();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
             .count() /
         times;
}

TEST_CASE("postgres read: listing and reading runs at 10,000 runs x 50 nodes", "[postgres]") {
  pg_test::Database database;
  OpenStore(database.uri()).reset();
  auto db = database.Connect();
  FillLargeStore(db);
  StoreOptions read_only;
  read_only.read_only = true;
  auto store = OpenStore(database.uri(), read_only);
  RunFilter page;
  page.limit = 50;
  auto first = store->ListRuns(page);
  REQUIRE(first);
  REQUIRE(first->size() == 50);
  CHECK(first->front().execution_id == "run-10000");
  CHECK(first->front().status == RunStatus::kError);
  // run-9999 has the failed child run-10000 standing for its stateless node n1.
  CHECK((*first)[1].execution_id == "run-9999");
  CHECK((*first)[1].status == RunStatus::kError);
  auto time = [&](const char* what, int times, auto&& body) {
    double ms = Milliseconds(times, body);
    WARN(fmt::format("{}: {:.2f} ms", what, ms));
    return ms;
  };
  double list_page = time("ListRuns(limit 50)", 20, [&] { REQUIRE(store->ListRuns(page)); });
  double get_run = time("GetRun", 50, [&] { REQUIRE(store->GetRun("run-5009")); });
  RunFilter flow_page = page;
  flow_page.flow = "f3";
  time("ListRuns(flow, limit 50)", 20, [&] { REQUIRE(store->ListRuns(flow_page)); });
  RunFilter error_page = page;
  error_page.error_text = "STEP 70";
  time("ListRuns(error text, limit 50)", 5, [&] { REQUIRE(store->ListRuns(error_page)); });
  RunFilter node_page = page;
  node_page.node = "n3";
  node_page.node_state = NodeState::kError;
  time("ListRuns(node in state, limit 50)", 5, [&] { REQUIRE(store->ListRuns(node_page)); });
  RunFilter failed = page;
  failed.status = RunStatus::kError;
  time("ListRuns(status error, limit 50)", 5, [&] { REQUIRE(store->ListRuns(failed)); });
  time("ListRuns() all", 5, [&] { REQUIRE(store->ListRuns()->size() == 10000); });
  std::vector<std::string> ids;
  for (const auto& run : *first) ids.push_back(run.execution_id);
  time("NodeFacts(50 runs)", 5, [&] { REQUIRE(store->NodeFacts(ids)->size() == 2500); });
  time("ChangeCounter", 50, [&] { REQUIRE(store->ChangeCounter()); });
  CHECK(list_page < 100);
  CHECK(get_run < 100);
}

}  // namespace
}  // namespace extrace
