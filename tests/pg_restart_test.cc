// The PostgreSQL server stopped (immediate: connections dropped, no
// checkpoint) and started again in the middle of an `extrace ingest`: the
// ingest retries and finishes, or exits 14 "cannot reach the store" once its
// budget is spent; either way every run in the store is a clean prefix (seqs
// 1..max, each once) and a rerun of the same ingest completes it exactly.
// Its own executable, run serially: it stops the server every other
// [postgres] test uses.
#include <fmt/format.h>
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "pg_test_database.h"
#include "test_support.h"

namespace extrace {
namespace {

using testing::ChildProcess;
using testing::ProcessResult;
using testing::RunProcess;
using testing::TempDir;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::string Env(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value && *value ? value : fallback;
}

// pg_ctlcluster VERSION CLUSTER ACTION...: the cluster pg_virtualenv made
// (PG_CLUSTER_CONF_ROOT in the environment points pg_ctlcluster at it).
void Cluster(const std::vector<std::string>& action) {
  std::vector<std::string> args = {Env("PGVERSION", "15"), Env("PGCLUSTER", "regress")};
  args.insert(args.end(), action.begin(), action.end());
  ProcessResult result = RunProcess("/usr/bin/pg_ctlcluster", args);
  INFO("pg_ctlcluster " << action[0] << ": " << result.err);
  REQUIRE(result.exit_code == 0);
}

std::string BigFile(int runs, int events) {
  std::string lines;
  for (int r = 0; r < runs; ++r) {
    std::string id = fmt::format("run-{}", r);
    int64_t ts = 1759900000000 + int64_t{r} * 100000;
    lines += fmt::format(
        R"({{"executionId":"{}","seq":1,"timestamp":{},"type":"started","data":{{"rootNodeId":"flow","nodes":[{{"id":"flow","name":"Flow","type":"group"}},{{"id":"a","name":"A","type":"t","parentId":"flow"}}]}}}})"
        "\n",
        id, ts);
    for (int seq = 2; seq <= events; ++seq)
      lines += fmt::format(
          R"({{"executionId":"{}","seq":{},"timestamp":{},"type":"progress","nodeId":"a","data":{{"progress":{},"message":"step {}"}}}})"
          "\n",
          id, seq, ts + seq, seq % 100, seq);
  }
  return lines;
}

// How many runs' stored events are not exactly seqs 1..max(seq), each once.
int64_t RunsWithHoles(const pg_test::Database& db) {
  return db.Count(
      "SELECT count(*) FROM (SELECT execution, count(*) AS n, count(DISTINCT seq) AS d, "
      "max(seq) AS m, min(seq) AS f FROM event_log GROUP BY execution) r "
      "WHERE n <> m OR d <> n OR f <> 1");
}

TEST_CASE("postgres: server restarted during an ingest leaves a clean prefix, a rerun completes",
          "[postgres][restart]") {
  pg_test::Database db;
  TempDir dir;
  dir.AllowSqliteFiles();  // SQLite beside PostgreSQL, on purpose
  constexpr int kRuns = 100, kEvents = 2000;
  const std::string file = dir.File("big.jsonl");
  testing::WriteFile(file, BigFile(kRuns, kEvents));

  ChildProcess ingest(EXTRACE_CLI, {"--db", db.uri(), "ingest", file});
  // Wait until part of the file is stored, then stop the server under it.
  const auto deadline = Clock::now() + 60s;
  int64_t before_stop = 0;
  while (Clock::now() < deadline && !ingest.AtEnd()) {
    int64_t stored = 0;
    try {
      stored = db.Count("SELECT count(*) FROM event_log");
    } catch (const pg::Failure&) {  // the ingest has not created the schema yet
    }
    if (stored >= 20000) {
      before_stop = stored;
      break;
    }
    std::this_thread::sleep_for(50ms);
  }
  INFO("events stored before the stop: " << before_stop);
  REQUIRE(before_stop > 0);
  REQUIRE(before_stop < int64_t{kRuns} * kEvents);
  Cluster({"stop", "-m", "immediate"});
  std::this_thread::sleep_for(1s);
  Cluster({"start"});

  while (!ingest.AtEnd() && Clock::now() < deadline + 120s) ingest.ReadLine(500ms);
  if (!ingest.AtEnd()) ingest.Kill(SIGKILL);
  const int code = ingest.Wait();
  const std::string err = ingest.Err();
  INFO("ingest exit " << code << ", stderr: " << err);
  CHECK((code == 0 || code == 14));
  if (code == 14) CHECK_THAT(err, Catch::Matchers::Contains("cannot reach"));
  if (code == 0) CHECK(err.empty());
  CHECK(RunsWithHoles(db) == 0);

  // The same ingest again: what is stored is duplicates, the rest is stored.
  ProcessResult rerun = testing::RunCli({"--db", db.uri(), "ingest", file});
  INFO("rerun stderr: " << rerun.err);
  REQUIRE(rerun.exit_code == 0);
  CHECK(db.Count("SELECT count(*) FROM event_log") == int64_t{kRuns} * kEvents);
  CHECK(db.Count("SELECT count(DISTINCT execution) FROM event_log") == kRuns);
  CHECK(RunsWithHoles(db) == 0);
  CHECK(db.Count("SELECT count(*) FROM runs WHERE event_count <> " + std::to_string(kEvents)) == 0);
}

}  // namespace
}  // namespace extrace
