// `extrace copy`: runs between stores, SQLite -> SQLite and SQLite ->
// PostgreSQL -> SQLite ([postgres]): every run or a flow's (with child runs)
// or those since a time, nothing copied twice, a SIGKILLed copy resumed to the
// same documents, conflicts and a store copied into itself refused.
#include <signal.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cli_test_support.h"
#include "pg_test_database.h"
#include "test_support.h"

namespace extrace {
namespace {

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using cli_test::CliOk;
using cli_test::CompletedLine;
using cli_test::FullRun;
using cli_test::ListJson;
using cli_test::StartedLine;
using testing::ChildProcess;
using testing::ProcessResult;
using testing::RunCli;
using testing::TempDir;

// Every golden stream in one store: 22 runs, parents and child runs among them.
void IngestGolden(const std::string& db) {
  for (const auto& entry : std::filesystem::directory_iterator(EXTRACE_GOLDEN_DIR)) {
    auto events = entry.path() / "events.jsonl";
    if (!std::filesystem::exists(events)) continue;
    // Some golden streams end in a bad line on purpose: what came before is stored.
    cli_test::Cli(db, {"ingest", events.string()});
  }
}

ProcessResult Copy(const std::string& from, const std::string& to,
                   std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"copy", "--from", from, "--to", to};
  args.insert(args.end(), extra.begin(), extra.end());
  return RunCli(args);
}

std::string CopyOk(const std::string& from, const std::string& to,
                   std::vector<std::string> extra = {}) {
  ProcessResult result = Copy(from, to, std::move(extra));
  INFO("stderr: " << result.err);
  REQUIRE(result.exit_code == 0);
  return result.out;
}

std::set<std::string> RunIds(const std::string& db) {
  std::set<std::string> ids;
  for (const auto& run : ListJson(db)) ids.insert(std::string(run.at("executionId").as_string()));
  return ids;
}

// Both stores answer `list --json` and every run's `show --json` with the same bytes.
void RequireSameDocuments(const std::string& a, const std::string& b) {
  REQUIRE(CliOk(a, {"list", "--json"}) == CliOk(b, {"list", "--json"}));
  for (const auto& id : RunIds(a)) {
    INFO("run " << id);
    REQUIRE(CliOk(a, {"show", id, "--json"}) == CliOk(b, {"show", id, "--json"}));
  }
}

// `runs` runs of `events` events each (started, progress..., completed), one
// millisecond apart, as JSON Lines.
std::string ManyRuns(int runs, int events) {
  std::string lines;
  for (int r = 0; r < runs; ++r) {
    std::string id = "big-" + std::to_string(r);
    int64_t ts = 1759900000000 + int64_t{r} * 100000;
    lines += StartedLine(id, 1, std::to_string(ts)) + "\n";
    for (int seq = 2; seq < events; ++seq)
      lines += R"({"executionId":")" + id + R"(","seq":)" + std::to_string(seq) +
               R"(,"timestamp":)" + std::to_string(ts + seq) +
               R"(,"type":"progress","nodeId":"a","data":{"progress":)" +
               std::to_string(seq % 100) + R"(,"message":"step )" + std::to_string(seq) + "\"}}\n";
    lines += CompletedLine(id, events, std::to_string(ts + events)) + "\n";
  }
  return lines;
}

TEST_CASE("copy every run between SQLite stores, then nothing the second time", "[cli][copy]") {
  TempDir dir;
  std::string from = dir.Store("from"), to = dir.Store("to");
  IngestGolden(from);
  size_t runs = RunIds(from).size();
  REQUIRE(runs > 10);
  std::string first = CopyOk(from, to);
  CHECK_THAT(first, StartsWith("copied " + std::to_string(runs) + " runs ("));
  CHECK_THAT(first, Contains("events), 0 already there\n"));
  RequireSameDocuments(from, to);
  CHECK(CopyOk(from, to) ==
        "copied 0 runs (0 events), " + std::to_string(runs) + " already there\n");
  // The copy is a store like any other: copied back into a third (a SQLite
  // file named with the sqlite: prefix), the same documents.
  dir.AllowSqliteFiles();
  std::string third = "sqlite:" + dir.File("third.db");
  CopyOk(to, third);
  RequireSameDocuments(from, dir.File("third.db"));
}

TEST_CASE("copy --flow takes the flow's runs with their child runs", "[cli][copy]") {
  TempDir dir;
  std::string from = dir.Store("from"), to = dir.Store("to");
  IngestGolden(from);
  // child_runs: parent-run (flow pflow) started child-run, whose own flow is cflow.
  CHECK(CopyOk(from, to, {"--flow", "pflow"}) == "copied 2 runs (13 events), 0 already there\n");
  CHECK(RunIds(to) == std::set<std::string>{"parent-run", "child-run"});
  CHECK(CliOk(from, {"show", "parent-run", "--json"}) ==
        CliOk(to, {"show", "parent-run", "--json"}));
  CHECK(CliOk(from, {"show", "child-run", "--json"}) == CliOk(to, {"show", "child-run", "--json"}));
  // A flow with no runs copies nothing and is not an error.
  CHECK(CopyOk(from, to, {"--flow", "no-such-flow"}) ==
        "copied 0 runs (0 events), 0 already there\n");
}

TEST_CASE("copy --since takes the runs started at or after the time", "[cli][copy]") {
  TempDir dir;
  std::string from = dir.Store("from"), to = dir.Store("to");
  std::string input;
  for (int i = 0; i < 4; ++i)
    input +=
        StartedLine("r" + std::to_string(i), 1, std::to_string(1759900000000 + i * 60000)) + "\n" +
        CompletedLine("r" + std::to_string(i), 2, std::to_string(1759900000000 + i * 60000 + 5)) +
        "\n";
  CliOk(from, {"ingest"}, input);
  // 1759900120000 ms = 2025-10-08T05:08:40Z: runs r2 and r3. ISO 8601 as `list --since`.
  CHECK(CopyOk(from, to, {"--since", "2025-10-08T05:08:40Z"}) ==
        "copied 2 runs (4 events), 0 already there\n");
  CHECK(RunIds(to) == std::set<std::string>{"r2", "r3"});
  CHECK(CopyOk(from, to, {"--since", "1759900060000"}) ==
        "copied 1 runs (2 events), 2 already there\n");
  ProcessResult bad = Copy(from, to, {"--since", "yesterday"});
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.err, Contains("--since yesterday: expected"));
}

TEST_CASE("copy killed midway resumes to the same documents", "[cli][copy]") {
  TempDir dir;
  std::string from = dir.Store("from"), to = dir.Store("to");
  CliOk(from, {"ingest"}, ManyRuns(300, 1000));
  bool killed_midway = false;
  {
    ChildProcess copy(EXTRACE_CLI, {"copy", "--from", from, "--to", to});
    // Wait until the destination holds some runs, then kill the copy with no warning.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      if (to.starts_with("postgresql://") || std::filesystem::exists(to)) {
        ProcessResult listed = cli_test::Cli(to, {"list", "--json"});
        if (listed.exit_code == 0 && boost::json::parse(listed.out).as_array().size() >= 3) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    copy.Kill(SIGKILL);
    killed_midway = copy.Wait() == 128 + SIGKILL;
  }
  INFO("the copy had " << (killed_midway ? "not finished" : "finished") << " when killed");
  CHECK(killed_midway);
  size_t present = RunIds(to).size();
  CHECK(present < 300);
  std::string resumed = CopyOk(from, to);
  // The run the kill interrupted is copied again (its stored events are duplicates).
  CHECK_THAT(resumed, Contains("runs ("));
  CHECK(CopyOk(from, to) == "copied 0 runs (0 events), 300 already there\n");
  REQUIRE(CliOk(from, {"list", "--json"}) == CliOk(to, {"list", "--json"}));
  for (const std::string id : {"big-0", "big-150", "big-299"})
    REQUIRE(CliOk(from, {"show", id, "--json"}) == CliOk(to, {"show", id, "--json"}));
}

TEST_CASE("copy stops at a conflicting event with exit 4", "[cli][copy]") {
  TempDir dir;
  std::string from = dir.Store("from"), to = dir.Store("to");
  CliOk(from, {"ingest"}, FullRun("run-1") + FullRun("run-2"));
  // The destination holds another run-2: its seq 2 says something else.
  CliOk(to, {"ingest"},
        StartedLine("run-2", 1, "1759900000000") + "\n" +
            cli_test::StateLine("run-2", 2, "1759900000010", "a", "error") + "\n");
  ProcessResult result = Copy(from, to);
  CHECK(result.exit_code == 4);
  CHECK_THAT(result.err, StartsWith("extrace copy: "));
  CHECK_THAT(result.err, Contains("conflict"));
  CHECK(cli_test::LineCount(result.err) == 1);
}

TEST_CASE("copy refuses a store copied into itself and names a missing source", "[cli][copy]") {
  TempDir dir;
  std::string db = dir.Store("trace");
  CliOk(db, {"ingest"}, FullRun("run-1"));
  std::vector<std::string> same_store = {db};
  if (!db.starts_with("postgresql://"))  // the spellings of one SQLite file
    same_store.insert(same_store.end(), {"sqlite:" + db, dir.path().string() + "/./trace"});
  for (const std::string& to : same_store) {
    ProcessResult same = Copy(db, to);
    INFO(to);
    CHECK(same.exit_code == 2);
    CHECK_THAT(same.err, Contains("--from and --to name the same store"));
  }
  ProcessResult missing = Copy(dir.File("missing.db"), dir.File("new.db"));
  CHECK(missing.exit_code == 5);
  CHECK_THAT(missing.err, StartsWith("extrace copy: "));
  CHECK(cli_test::LineCount(missing.err) == 1);
  CHECK_FALSE(std::filesystem::exists(dir.File("new.db")));
  CHECK(RunCli({"copy", "--to", db}).exit_code == 2);
}

TEST_CASE("copy SQLite to PostgreSQL and back gives the same documents", "[cli][copy][postgres]") {
  TempDir dir;
  dir.AllowSqliteFiles();  // the SQLite side of the round trip
  pg_test::Database pg;
  std::string from = dir.File("from.db"), back = dir.File("back.db");
  IngestGolden(from);
  CliOk(from, {"ingest"}, ManyRuns(20, 3000));
  size_t runs = RunIds(from).size();
  std::string first = CopyOk(from, pg.uri());
  CHECK_THAT(first, StartsWith("copied " + std::to_string(runs) + " runs ("));
  CHECK(CopyOk(from, pg.uri()) ==
        "copied 0 runs (0 events), " + std::to_string(runs) + " already there\n");
  // PostgreSQL answers as SQLite does...
  RequireSameDocuments(from, pg.uri());
  // ...and what comes back out of it is the log that went in.
  CHECK_THAT(CopyOk(pg.uri(), back), StartsWith("copied " + std::to_string(runs) + " runs ("));
  RequireSameDocuments(from, back);
  CHECK(CliOk(from, {"events", "big-7"}) == CliOk(back, {"events", "big-7"}));
  // A flow's runs with their child runs, from PostgreSQL.
  std::string flow_only = dir.File("flow.db");
  CHECK(CopyOk(pg.uri(), flow_only, {"--flow", "pflow"}) ==
        "copied 2 runs (13 events), 0 already there\n");
}

}  // namespace
}  // namespace extrace
