// PostgreSQL appends when the connection or the server fails under them: a
// dropped connection, a max_seq that lags the log, a read-only store, a server
// out of reach, a COMMIT whose answer was lost. Nothing lost, nothing twice.
#include <fmt/format.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "event_store_test_support.h"
#include "pg_flow_run.h"
#include "pg_test_database.h"

namespace extrace {
namespace {

using event_store_test::OpenStore;
using pg_test::FlowRun;
using PgTestDatabase = pg_test::Database;

TEST_CASE("PostgreSQL appends survive a dropped connection: nothing lost, nothing twice",
          "[postgres]") {
  PgTestDatabase pg;
  constexpr int kBatches = 120, kBatch = 300;
  std::atomic<bool> opened{false}, done{false};
  std::string error;
  int64_t stored = 0, duplicates = 0;
  std::thread writer([&] {
    auto store = EventStore::Open(pg.uri());
    if (!store) {
      error = store.error().message;
      done = true;
      return;
    }
    opened = true;
    for (int b = 0; b < kBatches && error.empty(); ++b) {
      std::vector<Event> batch;
      for (int i = 0; i < kBatch; ++i) {
        // Half with seqs of their own, half numbered by the store.
        bool numbered = i % 2 == 0;
        batch.push_back(Event{numbered ? "seqless" : fmt::format("run{}", b % 7),
                              numbered ? 0 : int64_t{b / 7} * kBatch + i + 1,
                              1800000000000000 + b * kBatch + i, EventType::kProgress, "n",
                              fmt::format(R"({{"progress":{}}})", i)});
      }
      auto result = (*store)->Append(std::span<Event>(batch));
      if (!result.status) error = result.status.error().message;
      stored += result.stored;
      duplicates += result.duplicates;
    }
    done = true;
  });
  int killed = 0;
  auto admin = pg.Connect();
  while (!opened && !done) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  while (!done) {
    std::this_thread::sleep_for(std::chrono::milliseconds(15));
    auto result = admin.Exec(fmt::format(
        "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE datname = '{}' AND pid <> pg_backend_pid()",
        pg.name()));
    killed += static_cast<int>(result.Int64(0, 0));
  }
  writer.join();
  INFO(error);
  CHECK(error.empty());
  CHECK(killed > 3);
  const int64_t total = int64_t{kBatches} * kBatch;
  CHECK(stored + duplicates == total);
  CHECK(pg.Count("SELECT count(*) FROM event_log") == total);
  CHECK(pg.Rows("SELECT count(*), min(seq), max(seq) FROM event_log e JOIN executions x ON "
                "x.id = e.execution WHERE x.execution_id = 'seqless'") ==
        std::vector<std::string>{fmt::format("{}|1|{}", total / 2, total / 2)});
  // The summaries count what is stored.
  CHECK(pg.Count("SELECT count(*) FROM executions x WHERE event_count <> (SELECT count(*) FROM "
                 "event_log e WHERE e.execution = x.id) OR max_seq <> (SELECT max(seq) FROM "
                 "event_log e WHERE e.execution = x.id)") == 0);
  WARN(fmt::format("{} connections terminated; {} events found stored after a lost COMMIT", killed,
                   duplicates));
}

TEST_CASE("PostgreSQL finds duplicates when a run's max_seq lags the log", "[postgres]") {
  PgTestDatabase pg;
  auto store = OpenStore(pg.uri());
  auto run = FlowRun("r", 4, 1800000000000, false);
  std::vector<Event> batch(run.begin(), run.begin() + 6);
  REQUIRE(store->Append(std::span<Event>(batch)).stored == 6);
  // Summaries out of step with the log (what Reindex repairs): keys above
  // max_seq are taken, so the fast path (COPY) meets them.
  pg.Connect().Exec("UPDATE executions SET max_seq = 2");
  std::vector<Event> again(run.begin() + 3, run.begin() + 8);
  auto result = store->Append(std::span<Event>(again));
  INFO((result.status ? "" : result.status.error().message));
  REQUIRE(result.status);
  CHECK(result.duplicate_indices == std::vector<size_t>{0, 1, 2});
  CHECK(result.stored == 2);
  CHECK(pg.Count("SELECT count(*) FROM event_log") == 8);
}

TEST_CASE("PostgreSQL refuses appends to a store opened read-only", "[postgres]") {
  PgTestDatabase pg;
  OpenStore(pg.uri());  // creates the schema
  StoreOptions options;
  options.read_only = true;
  auto store = OpenStore(pg.uri(), options);
  auto run = FlowRun("r", 2, 1800000000000, false);
  auto result = store->Append(std::span<Event>(run));
  REQUIRE_FALSE(result.status);
  CHECK(result.status.error().code == StatusCode::kReadOnly);
  CHECK(store->Reindex(nullptr).error().code == StatusCode::kReadOnly);
  CHECK(pg.Count("SELECT count(*) FROM event_log") == 0);
}

TEST_CASE("PostgreSQL out of reach: the append retries for its budget, then says so",
          "[postgres]") {
  PgTestDatabase pg;
  StoreOptions options;
  options.busy_retry_budget_ms = 1500;
  auto store = OpenStore(pg.uri(), options);
  pg::Connection admin("dbname=postgres");
  // New connections are refused, and the store's is dropped.
  admin.Exec("ALTER DATABASE " + pg.name() + " ALLOW_CONNECTIONS false");
  admin.Exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" +
             pg.name() + "' AND pid <> pg_backend_pid()");
  auto run = FlowRun("r", 3, 1800000000000, true);
  auto start = std::chrono::steady_clock::now();
  auto result = store->Append(std::span<Event>(run));
  auto waited = std::chrono::steady_clock::now() - start;
  REQUIRE_FALSE(result.status);
  CHECK(result.status.error().code == StatusCode::kUnavailable);
  CHECK_THAT(result.status.error().message, Catch::Contains("cannot reach the store"));
  CHECK(waited >= std::chrono::milliseconds(1500));
  for (const Event& event : run) CHECK(event.seq == 0);  // given back
  // Reachable again: the same store carries on.
  admin.Exec("ALTER DATABASE " + pg.name() + " ALLOW_CONNECTIONS true");
  result = store->Append(std::span<Event>(run));
  INFO((result.status ? "" : result.status.error().message));
  REQUIRE(result.status);
  CHECK(result.stored == static_cast<int64_t>(run.size()));
  CHECK(run.back().seq == static_cast<int64_t>(run.size()));
}

TEST_CASE("PostgreSQL keeps the seqs of a COMMIT whose answer was lost", "[postgres]") {
  PgTestDatabase pg;
  pg::Connection admin("dbname=postgres");
  auto store = OpenStore(pg.uri());
  // COMMIT waits for a standby that does not exist: the transaction is
  // committed locally, and the connection dropped then never answers it.
  admin.Exec("ALTER SYSTEM SET synchronous_standby_names = 'nobody'");
  admin.Exec("SELECT pg_reload_conf()");
  struct Reset {
    pg::Connection& admin;
    ~Reset() {
      admin.Exec("ALTER SYSTEM RESET synchronous_standby_names");
      admin.Exec("SELECT pg_reload_conf()");
    }
  } reset{admin};
  // The reload reaches the backends and the checkpointer (which tells COMMITs
  // a standby is named) a moment later, and later still on a loaded machine:
  // until then a COMMIT is answered at once. Such attempts are tried again
  // with a new run until one COMMIT is held and its connection terminated.
  std::vector<Event> run;
  AppendResult result;
  bool terminated = false;
  int attempts = 0;
  for (auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
       !terminated && std::chrono::steady_clock::now() < deadline; ++attempts) {
    run = FlowRun(fmt::format("r{}", attempts), 5, 1800000000000, true);
    std::atomic<bool> done{false};
    std::thread writer([&] {
      result = store->Append(std::span<Event>(run));
      done = true;
    });
    while (!terminated && !done) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      terminated = admin
                       .Exec(
                           "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM "
                           "pg_stat_activity WHERE datname = '" +
                           pg.name() + "' AND wait_event = 'SyncRep'")
                       .Int64(0, 0) > 0;
    }
    if (terminated) {
      // Release the held COMMIT's retry: it must find its own rows.
      admin.Exec("ALTER SYSTEM RESET synchronous_standby_names");
      admin.Exec("SELECT pg_reload_conf()");
    }
    writer.join();
    if (!terminated) {
      INFO((result.status ? "" : result.status.error().message));
      REQUIRE(result.status);  // answered at once: stored plainly
      CHECK(result.stored == static_cast<int64_t>(run.size()));
    }
  }
  INFO("attempts: " << attempts);
  REQUIRE(terminated);
  INFO((result.status ? "" : result.status.error().message));
  REQUIRE(result.status);
  // The retry found the events it had committed: duplicates, same seqs.
  CHECK(result.stored + result.duplicates == static_cast<int64_t>(run.size()));
  CHECK(result.duplicates == static_cast<int64_t>(run.size()));
  for (size_t i = 0; i < run.size(); ++i) CHECK(run[i].seq == static_cast<int64_t>(i + 1));
  const std::string held = "'" + run.front().execution_id + "'";
  CHECK(pg.Count("SELECT count(*) FROM event_log JOIN executions x ON x.id = execution "
                 "WHERE x.execution_id = " +
                 held) == static_cast<int64_t>(run.size()));
  CHECK(pg.Rows("SELECT event_count, max_seq FROM executions WHERE execution_id = " + held) ==
        std::vector<std::string>{fmt::format("{}|{}", run.size(), run.size())});
}

}  // namespace
}  // namespace extrace
