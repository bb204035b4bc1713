// `extrace query` keeps to reading this store, for a bounded time: ATTACH and
// PRAGMAs that change settings are refused (SQLite), a runaway statement is
// stopped at --timeout (both backends), and a huge result streams out.
#include <fmt/format.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "test_support.h"

namespace extrace {
namespace {

using testing::RunCli;
using testing::TempDir;

// One finished run, so the store exists and has something to read.
std::string OneRun(const std::string& id) {
  return fmt::format(
      R"({{"executionId":"{0}","seq":1,"timestamp":1800000000000,"type":"started","data":{{"rootNodeId":"f","nodes":[{{"id":"f","name":"F","type":"group"}}]}}}})"
      "\n"
      R"({{"executionId":"{0}","seq":2,"timestamp":1800000000005,"type":"completed"}})"
      "\n",
      id);
}

constexpr char kEndless[] =
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c";

TEST_CASE("query refuses ATTACH, DETACH and PRAGMAs that change settings", "[query][sqlite-only]") {
  TempDir dir;
  const std::string db = dir.File("main.db");
  const std::string other = dir.File("other.db");
  REQUIRE(RunCli({"--db", db, "ingest"}, OneRun("mine")).exit_code == 0);
  REQUIRE(RunCli({"--db", other, "ingest"}, OneRun("theirs")).exit_code == 0);
  // An existing file: SQLite itself would attach it read-only.
  auto attached = RunCli({"--db", db, "query", fmt::format("ATTACH DATABASE '{}' AS o", other)});
  CHECK(attached.exit_code == 7);
  CHECK(attached.err ==
        "extrace query: SQL: ATTACH is not allowed: queries read this store only\n");
  CHECK(RunCli({"--db", db, "query", "DETACH DATABASE main"}).exit_code == 7);
  for (const char* setting :
       {"PRAGMA query_only = 0", "PRAGMA writable_schema = 1", "pragma Cache_Size=10",
        "PRAGMA optimize", "PRAGMA wal_checkpoint", "PRAGMA journal_mode = delete",
        "PRAGMA user_version = 5", "PRAGMA shrink_memory"}) {
    INFO(setting);
    auto refused = RunCli({"--db", db, "query", setting});
    CHECK(refused.exit_code == 7);
    CHECK_THAT(refused.err, Catch::StartsWith("extrace query: SQL: PRAGMA ") &&
                                Catch::Contains("is not allowed"));
  }
  // PRAGMAs that only read still answer.
  auto info = RunCli({"--db", db, "query", "PRAGMA table_info(runs)", "--json"});
  INFO(info.err);
  REQUIRE(info.exit_code == 0);
  CHECK(boost::json::parse(info.out).as_array().at(0).as_object().at("name") == "execution_id");
  CHECK(RunCli({"--db", db, "query", "PRAGMA user_version"}).exit_code == 0);
  CHECK(RunCli({"--db", db, "query", "SELECT name FROM pragma_table_list"}).exit_code == 0);
  // Nothing changed, and the other store is untouched.
  auto runs = RunCli({"--db", db, "query", "SELECT execution_id FROM runs", "--json"});
  REQUIRE(runs.exit_code == 0);
  CHECK(runs.out == "[{\"execution_id\":\"mine\"}]\n");
}

TEST_CASE("query stops a statement that runs past --timeout", "[query]") {
  TempDir dir;
  const std::string db = dir.Store("endless.db");
  REQUIRE(RunCli({"--db", db, "ingest"}, OneRun("r")).exit_code == 0);
  auto start = std::chrono::steady_clock::now();
  auto stopped = RunCli({"--db", db, "query", "--timeout", "0.5", kEndless});
  auto took = std::chrono::steady_clock::now() - start;
  CHECK(stopped.exit_code == 16);
  CHECK(stopped.err == "extrace query: SQL: stopped after 0.5 s (--timeout; 0 for no limit)\n");
  CHECK(took >= std::chrono::milliseconds(500));
  CHECK(took < std::chrono::seconds(20));  // stopped, not run to its end (never)
  // A statement within its time is not touched, and bad values are usage errors.
  CHECK(RunCli({"--db", db, "query", "--timeout", "0.5", "SELECT 1 AS one"}).exit_code == 0);
  CHECK(RunCli({"--db", db, "query", "--timeout", "-1", "SELECT 1"}).exit_code == 2);
  CHECK(RunCli({"--db", db, "query", "--timeout", "soon", "SELECT 1"}).exit_code == 2);
}

TEST_CASE("query streams a result of a million rows", "[query]") {
  TempDir dir;
  const std::string db = dir.Store("big.db");
  REQUIRE(RunCli({"--db", db, "ingest"}, OneRun("r")).exit_code == 0);
  const std::string million =
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000) "
      "SELECT x AS n FROM c";
  auto table = RunCli({"--db", db, "query", million});
  REQUIRE(table.exit_code == 0);
  CHECK(std::count(table.out.begin(), table.out.end(), '\n') == 1000001);
  CHECK(table.out.substr(0, 8) == "n\n1\n2\n3\n");
  CHECK(table.out.substr(table.out.size() - 9) == "\n1000000\n");
  auto json = RunCli({"--db", db, "query", "--json", million});
  REQUIRE(json.exit_code == 0);
  auto rows = boost::json::parse(json.out).as_array();
  REQUIRE(rows.size() == 1000000);
  CHECK(rows.back().as_object().at("n").as_int64() == 1000000);
}

}  // namespace
}  // namespace extrace
