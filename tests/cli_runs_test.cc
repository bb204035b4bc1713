// Which store and which run the CLI reads: list --json, an empty store, a
// run named latest, EXTRACE_DB.

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "cli_test_support.h"
#include "format/event_json.h"
#include "storage/event_store.h"
#include "test_backend.h"
#include "test_support.h"

namespace extrace {
namespace {

using Catch::Matchers::Contains;
using cli_test::CliOk;
using cli_test::CompletedLine;
using cli_test::EventCount;
using cli_test::FullRun;
using cli_test::StartedLine;
using cli_test::StateLine;
using testing::ProcessResult;
using testing::RunCliWithEnv;
using testing::TempDir;

// Issue 9 item 9: an exact id wins over the keyword `latest`, in every command.
TEST_CASE("cli a run named latest is shown by its id, not the newest run", "[cli]") {
  TempDir dir;
  std::string db = dir.Store("trace.db");
  std::string older = FullRun("latest");
  std::string newer = StartedLine("newer", 1, "1759900050000") + "\n" +
                      CompletedLine("newer", 2, "1759900050030") + "\n";
  CliOk(db, {"ingest"}, older + newer);
  auto id_of = [](const std::string& json) {
    return std::string(boost::json::parse(json).at("executionId").as_string());
  };
  CHECK(id_of(CliOk(db, {"show", "latest", "--json"})) == "latest");
  CHECK(id_of(CliOk(db, {"export", "latest"})) == "latest");
  auto bottlenecks = boost::json::parse(CliOk(db, {"bottlenecks", "latest", "--json"}));
  CHECK(bottlenecks.at("executionId").as_string() == "latest");
  auto compare = boost::json::parse(CliOk(db, {"compare", "latest", "newer", "--json"}));
  CHECK(compare.at("a").as_string() == "latest");
  CHECK_THAT(CliOk(db, {"events", "latest"}), Contains("started"));
  // With no run of that name, the keyword still means the newest run.
  std::string other = dir.Store("other.db");
  CliOk(other, {"ingest"}, FullRun("old-one") + newer);
  CHECK(id_of(CliOk(other, {"show", "latest", "--json"})) == "newer");
}

TEST_CASE("cli list json fields newest first", "[cli]") {
  TempDir dir;
  std::string db = dir.Store("trace.db");
  std::string input =
      // Oldest: a finished parent run, with a fractional start.
      StartedLine("parent", 1, "1759900000123.456") + "\n" +
      StateLine("parent", 2, "1759900000200", "a", "error") + "\n" +
      CompletedLine("parent", 3, "1759900001623.956") + "\n" +
      // Then its child run, incomplete.
      StartedLine("child", 1, "1759900000500",
                  R"("parentExecutionId":"parent","parentNodeId":"b",)") +
      "\n" +
      // Newest: completed.
      StartedLine("newest", 1, "1759900009000") + "\n" +
      CompletedLine("newest", 2, "1759900009250") + "\n";
  CliOk(db, {"ingest"}, input);
  std::string text = CliOk(db, {"list", "--json"});
  boost::json::array runs = boost::json::parse(text).as_array();
  REQUIRE(runs.size() == 3);
  CHECK(runs[0].at("executionId") == "newest");
  CHECK(runs[1].at("executionId") == "child");
  CHECK(runs[2].at("executionId") == "parent");

  const auto& parent = runs[2].as_object();
  CHECK(parent.at("rootNodeId") == "flow");
  CHECK(parent.at("status") == "error");
  CHECK(parent.at("eventCount") == 3);
  CHECK(parent.at("parentExecutionId").is_null());
  // Exact decimal milliseconds, never an exponent.
  CHECK_THAT(text, Contains(R"("startTime":1759900000123.456)"));
  CHECK_THAT(text, Contains(R"("duration":1500.5)"));

  const auto& child = runs[1].as_object();
  CHECK(child.at("status") == "incomplete");
  CHECK(child.at("parentExecutionId") == "parent");
  CHECK(child.at("startTime") == 1759900000500);
  CHECK(child.at("duration").is_null());
  CHECK(child.at("eventCount") == 1);

  const auto& newest = runs[0].as_object();
  CHECK(newest.at("status") == "completed");
  CHECK(newest.at("duration") == 250);
  CHECK(newest.at("eventCount") == 2);
  for (const auto& run : runs) {
    for (const char* key : {"executionId", "rootNodeId", "status", "startTime", "duration",
                            "eventCount", "parentExecutionId"}) {
      INFO(key);
      CHECK(run.as_object().contains(key));
    }
  }
}

// The store --db or EXTRACE_DB names reaches EventStore::Open in the CLI, which
// creates and migrates it: a file on SQLite, the schema in the test's fresh
// database on PostgreSQL.
TEST_CASE("cli ingest of nothing creates the store --db or EXTRACE_DB names", "[cli]") {
  TempDir dir;
  std::string db = dir.Store("trace.db");
  std::string from_env = dir.Store("from-env.db");
  CHECK(CliOk(db, {"ingest"}, "") == "stored 0 events, 0 duplicates\n");
  ProcessResult result = RunCliWithEnv({"ingest"}, {"EXTRACE_DB=" + from_env});
  INFO(result.err);
  CHECK(result.exit_code == 0);
  for (const auto& store : {db, from_env}) {
    INFO(store);
    if (testing::PostgresBackend())
      CHECK(testing::PostgresScalar(store, "SELECT count(*) FROM extrace_schema") == "1");
    else
      CHECK(std::filesystem::exists(store));
  }
}

TEST_CASE("cli list of an empty store is an empty array", "[cli]") {
  TempDir dir;
  std::string db = dir.Store("trace.db");
  // An ingest of nothing creates the store.
  CHECK(CliOk(db, {"ingest"}, "") == "stored 0 events, 0 duplicates\n");
  CHECK(CliOk(db, {"list", "--json"}) == "[]\n");
}

TEST_CASE("cli uses EXTRACE_DB when --db is absent", "[cli]") {
  TempDir dir;
  std::string db = dir.Store("from-env.db");
  ProcessResult result = RunCliWithEnv({"ingest"}, {"EXTRACE_DB=" + db}, FullRun("run-1"));
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  if (testing::SqliteOnlyPart("the store is a file, created by the ingest"))
    REQUIRE(std::filesystem::exists(db));
  CHECK(EventCount(db, "run-1") == 5);
  result = RunCliWithEnv({"list", "--json"}, {"EXTRACE_DB=" + db});
  REQUIRE(result.exit_code == 0);
  CHECK_THAT(result.out, Contains("run-1"));
  // --db wins over the environment.
  result = RunCliWithEnv({"--db", dir.Store("other.db"), "list"}, {"EXTRACE_DB=" + db});
  CHECK(result.exit_code == 5);
}

}  // namespace
}  // namespace extrace
