// `extrace ingest` as a real process: files, standard input, several files,
// bad lines, conflicts, re-ingest, blank lines and CRLF.

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "cli_test_support.h"
#include "format/event_json.h"
#include "storage/event_store.h"
#include "test_support.h"

namespace extrace {
namespace {

using Catch::Matchers::Contains;
using Catch::Matchers::EndsWith;
using Catch::Matchers::StartsWith;
using cli_test::Cli;
using cli_test::CliOk;
using cli_test::CompletedLine;
using cli_test::EventCount;
using cli_test::FullRun;
using cli_test::LineCount;
using cli_test::ListJson;
using cli_test::StartedLine;
using cli_test::StateLine;
using testing::ProcessResult;
using testing::TempDir;
using testing::WriteFile;

TEST_CASE("cli ingest from a file", "[cli]") {
  TempDir dir;
  std::string db = dir.Store("trace.db");
  WriteFile(dir.File("run.jsonl"), FullRun("run-1"));
  ProcessResult result = Cli(db, {"ingest", dir.File("run.jsonl")});
  INFO(result.err);
  CHECK(result.exit_code == 0);
  CHECK(result.out == "stored 5 events, 0 duplicates\n");
  CHECK(result.err.empty());
  CHECK(EventCount(db, "run-1") == 5);
}

TEST_CASE("cli ingest from standard input", "[cli]") {
  TempDir dir;
  std::string db = dir.Store("trace.db");
  ProcessResult result = Cli(db, {"ingest"}, FullRun("run-1") + FullRun("run-2"));
  INFO(result.err);
  CHECK(result.exit_code == 0);
  CHECK(result.out == "stored 10 events, 0 duplicates\n");
  CHECK(EventCount(db, "run-1") == 5);
  CHECK(EventCount(db, "run-2") == 5);
}

// Issue 9 item 1: `-` is standard input, as across Unix tooling.
TEST_CASE("cli ingest - reads standard input", "[cli]") {
  TempDir dir;
  std::string db = dir.Store("trace.db");
  ProcessResult result = Cli(db, {"ingest", "-"}, FullRun("run-1"));
  INFO(result.err);
  CHECK(result.exit_code == 0);
  CHECK(result.out == "stored 5 events, 0 duplicates\n");
  CHECK(EventCount(db, "run-1") == 5);
  // Between files, in the order given.
  WriteFile(dir.File("two.jsonl"), FullRun("run-2"));
  result = Cli(db, {"ingest", dir.File("two.jsonl"), "-"}, FullRun("run-3"));
  INFO(result.err);
  CHECK(result.exit_code == 0);
  CHECK(result.out == "stored 10 events, 0 duplicates\n");
  CHECK(EventCount(db, "run-3") == 5);
}

TEST_CASE("cli ingest of several files stores them all", "[cli]") {
  TempDir dir;
  std::string db = dir.Store("trace.db");
  WriteFile(dir.File("one.jsonl"), FullRun("run-1"));
  WriteFile(dir.File("two.jsonl"), FullRun("run-2"));
  CHECK(CliOk(db, {"ingest", dir.File("one.jsonl"), dir.File("two.jsonl")}) ==
        "stored 10 events, 0 duplicates\n");
  CHECK(ListJson(db).size() == 2);
}

struct BadLine {
  const char* what;
  std::string line;
  std::string field;
};

// Two good lines, a blank one, the bad line (line 4), then a good one that must not be stored.
TEST_CASE("cli ingest stops at a bad line naming its number and field", "[cli]") {
  auto bad = GENERATE(values<BadLine>({
      {"not JSON", R"({"executionId":"run-1","seq":3,)", "(json)"},
      {"a JSON array", R"([{"executionId":"run-1"}])", "(json)"},
      {"executionId missing", R"({"seq":3,"timestamp":1759900000040,"type":"completed"})",
       "executionId"},
      {"executionId too long",
       R"({"executionId":")" + std::string(257, 'x') +
           R"(","timestamp":1759900000040,"type":"completed"})",
       "executionId"},
      {"seq 0", R"({"executionId":"run-1","seq":0,"timestamp":1759900000040,"type":"completed"})",
       "seq"},
      {"seq fractional",
       R"({"executionId":"run-1","seq":3.5,"timestamp":1759900000040,"type":"completed"})", "seq"},
      {"timestamp a string",
       R"({"executionId":"run-1","seq":3,"timestamp":"now","type":"completed"})", "timestamp"},
      {"timestamp missing", R"({"executionId":"run-1","seq":3,"type":"completed"})", "timestamp"},
      {"unknown type",
       R"({"executionId":"run-1","seq":3,"timestamp":1759900000040,"type":"finished"})", "type"},
      {"nodeId missing",
       R"({"executionId":"run-1","seq":3,"timestamp":1759900000040,"type":"state-change","data":{"state":"error"}})",
       "nodeId"},
      {"unknown state",
       R"({"executionId":"run-1","seq":3,"timestamp":1759900000040,"type":"state-change","nodeId":"a",)"
       R"("data":{"state":"done"}})",
       "data.state"},
      {"progress over 100",
       R"({"executionId":"run-1","seq":3,"timestamp":1759900000040,"type":"progress","nodeId":"a",)"
       R"("data":{"progress":101}})",
       "data.progress"},
      {"error without message",
       R"({"executionId":"run-1","seq":3,"timestamp":1759900000040,"type":"error","data":{}})",
       "data.message"},
      {"data not an object",
       R"({"executionId":"run-1","seq":3,"timestamp":1759900000040,"type":"completed","data":[1]})",
       "data"},
      {"duplicate node id",
       R"({"executionId":"run-9","seq":1,"timestamp":1759900000040,"type":"started","data":{"rootNodeId":"f",)"
       R"("nodes":[{"id":"f","name":"F","type":"g"},{"id":"f","name":"F2","type":"g"}]}})",
       "data.nodes[1].id"},
  }));
  INFO(bad.what);
  TempDir dir;
  std::string db = dir.Store("trace.db");
  std::string input = StartedLine("run-1", 1, "1759900000000") + "\n" +
                      StateLine("run-1", 2, "1759900000010", "a", "executing") + "\n\n" + bad.line +
                      "\n" + CompletedLine("run-1", 5, "1759900000050") + "\n";
  std::string prefix = "line 4: " + bad.field + ": ";

  SECTION("from standard input") {
    ProcessResult result = Cli(db, {"ingest"}, input);
    CHECK(result.exit_code == 3);
    CHECK_THAT(result.err, StartsWith(prefix));
    CHECK(LineCount(result.err) == 1);
    CHECK(result.out == "stored 2 events, 0 duplicates\n");
  }
  SECTION("from standard input named -") {
    ProcessResult result = Cli(db, {"ingest", "-"}, input);
    CHECK(result.exit_code == 3);
    CHECK_THAT(result.err, StartsWith(prefix));
    CHECK(LineCount(result.err) == 1);
    CHECK(result.out == "stored 2 events, 0 duplicates\n");
  }
  SECTION("from a file") {
    std::string file = dir.File("events.jsonl");
    WriteFile(file, input);
    ProcessResult result = Cli(db, {"ingest", file});
    CHECK(result.exit_code == 3);
    CHECK_THAT(result.err, StartsWith(prefix));
    CHECK_THAT(result.err, EndsWith(" (" + file + ")\n"));
    CHECK(LineCount(result.err) == 1);
    CHECK(result.out == "stored 2 events, 0 duplicates\n");
  }
  CHECK(EventCount(db, "run-1") == 2);
}

TEST_CASE("cli ingest of a bad first line stores nothing", "[cli]") {
  TempDir dir;
  std::string db = dir.Store("trace.db");
  ProcessResult result = Cli(db, {"ingest"}, "garbage\n" + FullRun("run-1"));
  CHECK(result.exit_code == 3);
  CHECK_THAT(result.err, StartsWith("line 1: "));
  CHECK(result.out == "stored 0 events, 0 duplicates\n");
  CHECK(EventCount(db, "run-1") == 0);
}

// data.nodes[1] names parent "g", whose own parent is undeclared: a bad line
// (exit 3), not an internal error.
TEST_CASE("cli ingest of a graph with an undeclared ancestor is invalid input", "[cli]") {
  TempDir dir;
  std::string line =
      R"({"executionId":"run-1","seq":1,"timestamp":1759900000000,"type":"started","data":{"rootNodeId":"f",)"
      R"("nodes":[{"id":"f","name":"F","type":"g"},{"id":"a","name":"A","type":"t","parentId":"g"},)"
      R"({"id":"g","name":"G","type":"g","parentId":"nowhere"}]}})";
  ProcessResult result = Cli(dir.Store("trace.db"), {"ingest"}, line + "\n");
  CHECK(result.exit_code == 3);
  CHECK_THAT(result.err, StartsWith("line 1: data.nodes[2].parentId: "));
}

TEST_CASE("cli ingest of a conflicting seq exits 4 naming the line", "[cli]") {
  TempDir dir;
  std::string db = dir.Store("trace.db");
  CliOk(db, {"ingest"}, FullRun("run-1"));
  std::string file = dir.File("retry.jsonl");
  // Line 1 is an identical retry, line 2 new, line 3 conflicts with stored seq 3, line 4 is never
  // stored.
  WriteFile(file, StateLine("run-1", 2, "1759900000010", "a", "executing") + "\n" +
                      StateLine("run-1", 6, "1759900000040", "b", "executing") + "\n" +
                      StateLine("run-1", 3, "1759900000020", "a", "error") + "\n" +
                      StateLine("run-1", 7, "1759900000050", "b", "completed") + "\n");
  ProcessResult result = Cli(db, {"ingest", file});
  CHECK(result.exit_code == 4);
  CHECK_THAT(result.err, StartsWith("line 3: seq: "));
  CHECK_THAT(result.err, Contains("run-1"));
  CHECK_THAT(result.err, Contains("seq 3"));
  CHECK_THAT(result.err, EndsWith(" (" + file + ")\n"));
  CHECK(LineCount(result.err) == 1);
  CHECK(result.out == "stored 1 events, 1 duplicates\n");
  CHECK(EventCount(db, "run-1") == 6);
}

TEST_CASE("cli ingest of a conflict inside one input", "[cli]") {
  TempDir dir;
  std::string db = dir.Store("trace.db");
  std::string input = StartedLine("run-1", 1, "1759900000000") + "\n" +
                      StateLine("run-1", 2, "1759900000010", "a", "executing") + "\n" +
                      StateLine("run-1", 2, "1759900000011", "a", "executing") + "\n";
  ProcessResult result = Cli(db, {"ingest"}, input);
  CHECK(result.exit_code == 4);
  CHECK_THAT(result.err, StartsWith("line 3: seq: "));
  CHECK(result.out == "stored 2 events, 0 duplicates\n");
  CHECK(EventCount(db, "run-1") == 2);
}

// The conflict on line 2 stops the ingest: line 3 was never reached, so its
// own fault is not reported (one error line per command, tools/commands.h).
TEST_CASE("cli ingest reports only the first fault when a conflict precedes a bad line", "[cli]") {
  TempDir dir;
  std::string db = dir.Store("trace.db");
  std::string input = CompletedLine("run-1", 1, "1759900000000") + "\n" +
                      CompletedLine("run-1", 1, "1759900000001") + "\n" + "garbage\n";
  ProcessResult result = Cli(db, {"ingest"}, input);
  CHECK(result.exit_code == 4);
  CHECK_THAT(result.err, StartsWith("line 2: seq: "));
  CHECK(LineCount(result.err) == 1);
  CHECK(result.out == "stored 1 events, 0 duplicates\n");
}

TEST_CASE("cli re-ingest of the same file stores only duplicates", "[cli]") {
  TempDir dir;
  std::string db = dir.Store("trace.db");
  std::string file = dir.File("run.jsonl");
  WriteFile(file, FullRun("run-1"));
  CHECK(CliOk(db, {"ingest", file}) == "stored 5 events, 0 duplicates\n");
  ProcessResult again = Cli(db, {"ingest", file});
  CHECK(again.exit_code == 0);
  CHECK(again.out == "stored 0 events, 5 duplicates\n");
  CHECK(EventCount(db, "run-1") == 5);
}

TEST_CASE("cli ingest of a missing file exits 5 and stores nothing", "[cli]") {
  TempDir dir;
  std::string db = dir.Store("trace.db");
  WriteFile(dir.File("good.jsonl"), FullRun("run-1"));
  ProcessResult result = Cli(db, {"ingest", dir.File("good.jsonl"), dir.File("missing.jsonl")});
  CHECK(result.exit_code == 5);
  CHECK_THAT(result.err, Contains("missing.jsonl"));
  CHECK(LineCount(result.err) == 1);
  // Every file is checked before the first is stored: either no store was made
  // (no SQLite file, no schema in the fresh PostgreSQL database: list exits 5)
  // or it holds nothing of run-1.
  if (Cli(db, {"list"}).exit_code != 5) CHECK(EventCount(db, "run-1") == 0);
}

TEST_CASE("cli ingest accepts blank lines and CRLF line endings", "[cli]") {
  TempDir dir;
  std::string db = dir.Store("trace.db");
  std::string input = "\r\n" + StartedLine("run-1", 1, "1759900000000") + "\r\n\r\n   \r\n\t\n" +
                      StateLine("run-1", 2, "1759900000010", "a", "executing") + "\r\n\n" +
                      CompletedLine("run-1", 3, "1759900000020");  // no line break at the end
  CHECK(CliOk(db, {"ingest"}, input) == "stored 3 events, 0 duplicates\n");
  CHECK(EventCount(db, "run-1") == 3);
  CHECK_THAT(CliOk(db, {"events", "run-1"}), !Contains("\r"));

  // Blank lines still count for the line number of an error.
  ProcessResult result = Cli(db, {"ingest"}, "\r\n\r\n" + std::string("oops\r\n"));
  CHECK(result.exit_code == 3);
  CHECK_THAT(result.err, StartsWith("line 3: "));
}

}  // namespace
}  // namespace extrace
