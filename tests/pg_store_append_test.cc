// The PostgreSQL write path against a real server (tagged [postgres]; each
// case in a fresh database, see pg_test_database.h): rows and summaries as
// SQLite stores them for the same batches (compared row by row through SQL),
// duplicates, conflicts with the prefix committed, seq-less events from two
// connections into one run, Reindex, and a connection dropped mid-batch.
#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <ctime>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "event_store_test_support.h"
#include "pg_flow_run.h"
#include "pg_test_database.h"

namespace extrace {
namespace {

using event_store_test::OpenStore;
using event_store_test::Parsed;
using pg_test::FlowRun;
using PgTestDatabase = pg_test::Database;
using testing::TempDir;

// A column as both stores show it: NULL as "NULL", numbers with a fraction in
// their shortest form (SQLite prints 40.0 as "40.0", PostgreSQL as "40").
std::string Cell(bool null, std::string text, bool is_double) {
  if (null) return "NULL";
  if (is_double) return fmt::format("{}", std::stod(text));
  return text;
}

std::vector<std::string> SqliteRows(const std::string& path, const std::string& sql,
                                    int double_column = -1) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  INFO(sql);
  REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK);
  std::vector<std::string> rows;
  while (sqlite3_step(statement) == SQLITE_ROW) {
    std::string row;
    for (int c = 0; c < sqlite3_column_count(statement); ++c) {
      if (c) row += '|';
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, c));
      row += Cell(text == nullptr, text ? text : "", c == double_column);
    }
    rows.push_back(std::move(row));
  }
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return rows;
}

std::vector<std::string> PgRows(const PgTestDatabase& pg, const std::string& sql,
                                int double_column = -1) {
  return pg.Rows(sql, [&](bool null, std::string text, int column) {
    return Cell(null, std::move(text), column == double_column);
  });
}

constexpr char kRunColumns[] =
    "x.execution_id, x.root_node_id, x.parent_execution_id, x.parent_node_id, x.start_seq, "
    "x.start_us, x.end_seq, x.end_us, x.end_type, x.event_count, x.max_seq, x.last_us, "
    "x.error_nodes, x.base_us";

std::vector<std::string> PgRuns(const PgTestDatabase& pg) {
  return PgRows(pg, fmt::format("SELECT {} FROM executions x ORDER BY 1", kRunColumns));
}
std::vector<std::string> PgRunNodes(const PgTestDatabase& pg) {
  return PgRows(pg,
                "SELECT x.execution_id, n.node, n.declared::int, n.parent, n.position, n.name, "
                "n.type, n.state, n.state_seq, n.start_seq, n.start_us, n.end_us, n.progress, "
                "n.progress_seq, n.error_message FROM run_nodes n "
                "JOIN executions x ON x.id = n.execution ORDER BY 1, 2",
                12);
}
std::vector<std::string> PgEventRows(const PgTestDatabase& pg) {
  return PgRows(pg,
                "SELECT x.execution_id, e.seq, e.ts_us, e.type, e.node, e.data, e.layout, g.text "
                "FROM event_log e JOIN executions x ON x.id = e.execution "
                "LEFT JOIN graphs g ON g.id = e.graph ORDER BY 1, 2");
}

// The same rows, read from a SQLite store.
void RequireSameRows(const PgTestDatabase& pg, const std::string& sqlite) {
  CHECK(PgRuns(pg) ==
        SqliteRows(sqlite, fmt::format("SELECT {} FROM executions x ORDER BY 1", kRunColumns)));
  CHECK(PgRunNodes(pg) ==
        SqliteRows(sqlite,
                   "SELECT x.execution_id, s.value, n.declared, p.value, n.position, nm.value, "
                   "t.value, n.state, n.state_seq, n.start_seq, n.start_us, n.end_us, n.progress, "
                   "n.progress_seq, n.error_message FROM run_nodes n "
                   "JOIN executions x ON x.id = n.execution JOIN strings s ON s.id = n.node "
                   "LEFT JOIN strings p ON p.id = n.parent LEFT JOIN strings nm ON nm.id = n.name "
                   "LEFT JOIN strings t ON t.id = n.type ORDER BY 1, 2",
                   12));
  CHECK(PgEventRows(pg) ==
        SqliteRows(sqlite,
                   "SELECT x.execution_id, e.seq, e.ts_us, e.type, s.value, e.data, e.layout, "
                   "g.text FROM event_log e JOIN executions x ON x.id = e.execution "
                   "LEFT JOIN strings s ON s.id = e.node LEFT JOIN graphs g ON g.id = e.graph "
                   "ORDER BY 1, 2"));
}

// A PostgreSQL store and a SQLite store given the same batches: every
// AppendResult (and every seq written back) must be the same.
struct TwoStores {
  PgTestDatabase pg;
  TempDir dir;
  // SQLite beside PostgreSQL, on purpose.
  std::string sqlite_path = (dir.AllowSqliteFiles(), dir.File("events.db"));
  std::unique_ptr<EventStore> postgres = OpenStore(pg.uri());
  std::unique_ptr<EventStore> sqlite = OpenStore(sqlite_path);

  AppendResult Append(std::vector<Event> batch) {
    std::vector<Event> copy = batch;
    AppendResult on_pg = postgres->Append(std::span<Event>(batch));
    AppendResult on_sqlite = sqlite->Append(std::span<Event>(copy));
    INFO("PostgreSQL: " << (on_pg.status ? "ok" : on_pg.status.error().message));
    INFO("SQLite: " << (on_sqlite.status ? "ok" : on_sqlite.status.error().message));
    REQUIRE(bool(on_pg.status) == bool(on_sqlite.status));
    if (!on_pg.status) {
      CHECK(on_pg.status.error().code == on_sqlite.status.error().code);
      CHECK(on_pg.status.error().message == on_sqlite.status.error().message);
      CHECK(on_pg.failed_index == on_sqlite.failed_index);
    }
    CHECK(on_pg.stored == on_sqlite.stored);
    CHECK(on_pg.duplicates == on_sqlite.duplicates);
    CHECK(on_pg.duplicate_indices == on_sqlite.duplicate_indices);
    for (size_t i = 0; i < batch.size(); ++i) CHECK(batch[i].seq == copy[i].seq);
    return on_pg;
  }
};

std::vector<Event> Concat(std::vector<std::vector<Event>> parts) {
  std::vector<Event> all;
  for (auto& part : parts) all.insert(all.end(), part.begin(), part.end());
  return all;
}

}  // namespace

TEST_CASE("PostgreSQL stores the rows and summaries SQLite stores for the same batches",
          "[postgres]") {
  TwoStores stores;
  std::mt19937 random(7);
  // Runs with seqs, in shuffled batches (events arrive out of order), a
  // seq-less run, a failing run and a child run, two `started` for one run.
  std::vector<Event> stream =
      Concat({FlowRun("r1", 12, 1800000000000, false), FlowRun("r2", 12, 1800000001000, false, 4),
              FlowRun("child", 5, 1800000002000, false, -1, "r1")});
  std::shuffle(stream.begin(), stream.end(), random);
  for (size_t at = 0; at < stream.size();) {
    size_t size = std::min<size_t>(1 + random() % 40, stream.size() - at);
    stores.Append(std::vector<Event>(stream.begin() + at, stream.begin() + at + size));
    at += size;
  }
  std::vector<Event> seq_less = FlowRun("noseq", 8, 1800000003000, true, 2);
  stores.Append(std::vector<Event>(seq_less.begin(), seq_less.begin() + 10));
  stores.Append(std::vector<Event>(seq_less.begin() + 10, seq_less.end()));
  // A second `started` with a lower seq than the stored one declares the run again.
  auto restarted = FlowRun("late", 4, 1800000004000, false);
  for (auto& event : restarted) event.seq += 10;
  stores.Append(restarted);
  auto early = FlowRun("late", 6, 1800000003500, false);
  stores.Append({early.front()});
  RequireSameRows(stores.pg, stores.sqlite_path);
  CHECK(stores.pg.Count("SELECT count(*) FROM graphs") ==
        std::stoll(SqliteRows(stores.sqlite_path, "SELECT count(*) FROM graphs")[0]));
}

TEST_CASE("PostgreSQL duplicates and conflicts as on SQLite, the prefix committed", "[postgres]") {
  TwoStores stores;
  auto run = FlowRun("r", 6, 1800000000000, false);
  stores.Append(std::vector<Event>(run.begin(), run.begin() + 8));

  SECTION("the same batch again: every event a duplicate") {
    auto again = stores.Append(std::vector<Event>(run.begin(), run.begin() + 8));
    CHECK(again.stored == 0);
    CHECK(again.duplicates == 8);
  }
  SECTION("overlapping: new events stored, old ones duplicates, a repeat within the batch") {
    std::vector<Event> batch(run.begin() + 5, run.end());
    batch.push_back(run[9]);
    auto result = stores.Append(batch);
    CHECK(result.status);
    CHECK(result.duplicate_indices == std::vector<size_t>{0, 1, 2, batch.size() - 1});
  }
  SECTION("a conflict names both events; the events before it are committed") {
    std::vector<Event> batch(run.begin() + 8, run.begin() + 12);  // new
    Event changed = run[3];
    changed.timestamp_us += 1000;
    batch.insert(batch.begin() + 2, changed);
    batch.push_back(run[12]);
    auto result = stores.Append(batch);
    REQUIRE_FALSE(result.status);
    CHECK(result.status.error().code == StatusCode::kConflict);
    CHECK(result.failed_index == 2);
    CHECK_THAT(result.status.error().message,
               Catch::Contains("executionId \"r\" seq 4 is stored as") &&
                   Catch::Contains("the new event is"));
    CHECK(stores.pg.Count("SELECT count(*) FROM event_log") == 10);
  }
  SECTION("a conflict within the batch, and seq-less events after stored events") {
    Event first = run[8], second = run[8];
    second.node_id = "other";
    Event seq_less = run[9];
    seq_less.seq = 0;
    auto result = stores.Append({first, seq_less, second, run[10]});
    REQUIRE_FALSE(result.status);
    CHECK(result.failed_index == 2);
    CHECK(stores.pg.Count("SELECT max(seq) FROM event_log") == 10);
  }
  SECTION("data that is not an object: invalid input, the prefix committed") {
    Event bad = run[9];
    bad.data_json = "[1,2]";
    Event bad_seq_less = bad;
    bad_seq_less.seq = 0;
    auto result = stores.Append({run[8], bad, run[10]});
    REQUIRE_FALSE(result.status);
    CHECK(result.status.error().code == StatusCode::kInvalidInput);
    stores.Append({bad_seq_less});
  }
  SECTION("seqs used up") {
    Event last = run[8];
    last.seq = kMaxEventSeq;
    Event next = run[9];
    next.seq = 0;
    auto result = stores.Append({run[10], last, next});
    REQUIRE_FALSE(result.status);
    CHECK(result.failed_index == 2);
  }
  RequireSameRows(stores.pg, stores.sqlite_path);
}

TEST_CASE("PostgreSQL numbers seq-less events from two connections into one run apart",
          "[postgres]") {
  PgTestDatabase pg;
  constexpr int kPerThread = 20000, kBatch = 500;
  std::vector<std::vector<int64_t>> seqs(2);
  std::vector<std::string> errors(2);
  auto writer = [&](int which) {
    auto store = EventStore::Open(pg.uri());
    if (!store) {
      errors[which] = store.error().message;
      return;
    }
    for (int at = 0; at < kPerThread; at += kBatch) {
      std::vector<Event> batch;
      for (int i = 0; i < kBatch; ++i)
        batch.push_back(Event{"shared", 0, 1800000000000000 + at + i, EventType::kProgress,
                              fmt::format("w{}", which),
                              fmt::format(R"({{"progress":{}}})", at + i)});
      auto result = (*store)->Append(std::span<Event>(batch));
      if (!result.status || result.stored != kBatch) {
        errors[which] = result.status ? "not every event stored" : result.status.error().message;
        return;
      }
      for (const Event& event : batch) seqs[which].push_back(event.seq);
    }
  };
  std::thread a(writer, 0), b(writer, 1);
  a.join();
  b.join();
  CHECK(errors[0].empty());
  CHECK(errors[1].empty());
  INFO(errors[0] << " " << errors[1]);
  std::set<int64_t> all(seqs[0].begin(), seqs[0].end());
  all.insert(seqs[1].begin(), seqs[1].end());
  CHECK(all.size() == 2 * kPerThread);
  CHECK(*all.begin() == 1);
  CHECK(*all.rbegin() == 2 * kPerThread);
  CHECK(pg.Count("SELECT count(DISTINCT seq) FROM event_log") == 2 * kPerThread);
  CHECK(pg.Rows("SELECT event_count, max_seq FROM executions") ==
        std::vector<std::string>{"40000|40000"});
  // Each writer's events are in its own order.
  CHECK(std::is_sorted(seqs[0].begin(), seqs[0].end()));
  CHECK(pg.Rows("SELECT node, progress, progress_seq FROM run_nodes ORDER BY 1") ==
        std::vector<std::string>{fmt::format("w0|{}|{}", kPerThread - 1, seqs[0].back()),
                                 fmt::format("w1|{}|{}", kPerThread - 1, seqs[1].back())});
}

TEST_CASE("PostgreSQL Reindex rebuilds the summaries Append keeps", "[postgres]") {
  TwoStores stores;
  stores.Append(
      Concat({FlowRun("a", 10, 1800000000000, false, 3), FlowRun("b", 10, 1800000001000, true),
              FlowRun("c", 4, 1800000002000, false, -1, "a")}));
  auto runs = PgRuns(stores.pg);
  auto nodes = PgRunNodes(stores.pg);
  stores.pg.Connect().Exec(
      "DELETE FROM run_nodes WHERE node = 'n2'; UPDATE run_nodes SET state = 1; "
      "UPDATE executions SET event_count = 7, error_nodes = 3, root_node_id = 'x'");
  std::vector<std::pair<int64_t, int64_t>> reported;
  auto reindexed = stores.postgres->Reindex(
      [&](int64_t done, int64_t total) { reported.emplace_back(done, total); });
  INFO((reindexed ? "" : reindexed.error().message));
  REQUIRE(reindexed);
  CHECK(PgRuns(stores.pg) == runs);
  CHECK(PgRunNodes(stores.pg) == nodes);
  REQUIRE_FALSE(reported.empty());
  CHECK(reported.back().first == reported.back().second);
  RequireSameRows(stores.pg, stores.sqlite_path);
}

// Not a test: the write path's rate against psql's \copy of the same rows
// into a bare table with the same key (the floor of what PostgreSQL takes).
TEST_CASE("PostgreSQL append rate vs \\copy", "[.pgbench]") {
  PgTestDatabase pg;
  TempDir dir;
  dir.AllowSqliteFiles();  // SQLite beside PostgreSQL, on purpose
  std::vector<Event> events;
  for (int run = 0; events.size() < 200000; ++run) {
    auto one = FlowRun(fmt::format("run{:05}", run), 65, 1800000000000 + run * 1000, false,
                       run % 10 == 0 ? 7 : -1);
    events.insert(events.end(), one.begin(), one.end());
  }
  events.resize(200000);
  // The same rows as CSV for \copy.
  std::string csv;
  std::map<std::string, int> run_ids;
  for (const Event& e : events) {
    int id =
        run_ids.try_emplace(e.execution_id, static_cast<int>(run_ids.size()) + 1).first->second;
    std::string data = e.data_json;
    size_t quote = 0;
    while ((quote = data.find('"', quote)) != std::string::npos) {
      data.insert(quote, 1, '"');
      quote += 2;
    }
    csv += fmt::format("{},{},{},{},{},\"{}\"\n", id, e.seq, e.timestamp_us,
                       static_cast<int>(e.type), e.node_id, data);
  }
  testing::WriteFile(dir.File("rows.csv"), csv);
  StoreOptions options;
  if (std::getenv("EXTRACE_BENCH_NORMAL")) options.durability = Durability::kNormal;
  auto store = OpenStore(pg.uri(), options);
  auto cpu = [] {
    timespec now{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
    return now.tv_sec + now.tv_nsec / 1e9;
  };
  const double cpu_before = cpu();
  auto start = std::chrono::steady_clock::now();
  for (size_t at = 0; at < events.size(); at += 1000) {
    auto result = store->Append(std::span<Event>(events.data() + at, 1000));
    REQUIRE(result.status);
  }
  double append_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double append_cpu = cpu() - cpu_before;
  auto created = testing::RunProcess(
      "/usr/bin/psql", {"-X", "-q", "-d", pg.name(), "-c",
                        "CREATE TABLE bare (execution bigint, seq bigint, ts bigint, type int, "
                        "node text, data text, PRIMARY KEY (execution, seq))"});
  REQUIRE(created.exit_code == 0);
  start = std::chrono::steady_clock::now();
  auto copied = testing::RunProcess(
      "/usr/bin/psql", {"-X", "-q", "-d", pg.name(), "-c",
                        "\\copy bare FROM '" + dir.File("rows.csv") + "' WITH (FORMAT csv)"});
  double copy_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  INFO(copied.err);
  REQUIRE(copied.exit_code == 0);
  REQUIRE(pg.Count("SELECT count(*) FROM bare") == 200000);
  std::cout << fmt::format(
      "append: {:.0f} events/s ({:.2f} s, {:.2f} s of it our CPU); \\copy: {:.0f} rows/s ({:.2f} "
      "s); ratio {:.2f}\n",
      200000 / append_s, append_s, append_cpu, 200000 / copy_s, copy_s, copy_s / append_s);
}

}  // namespace extrace
