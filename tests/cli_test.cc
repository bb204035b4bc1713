// Tests of the extrace command line, run as a real process against a store in
// a temporary folder: ingest (files, stdin, bad lines, conflicts, re-ingest),
// list/show/events/export, and the exit code of each documented failure.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <catch2/catch.hpp>
#include <optional>
#include <string>
#include <vector>

#include "format/event_json.h"
#include "storage/event_store.h"
#include "test_support.h"

namespace extrace {
namespace {

using Catch::Matchers::Contains;
using Catch::Matchers::EndsWith;
using Catch::Matchers::StartsWith;
using testing::ProcessResult;
using testing::RunCli;
using testing::RunCliWithEnv;
using testing::RunProcess;
using testing::TempDir;
using testing::WriteFile;

// A child that exits before reading all its input (a refused database) must
// not kill the test with SIGPIPE: RunProcess's writer then just stops.
const bool kSigpipeIgnored = signal(SIGPIPE, SIG_IGN) != SIG_ERR;

// A started line for run `id`: root "flow" with leaf nodes a and b.
std::string StartedLine(const std::string& id, int seq, const std::string& ts,
                        const std::string& extra = "") {
  return R"({"executionId":")" + id + R"(","seq":)" + std::to_string(seq) + R"(,"timestamp":)" +
         ts + R"(,"type":"started","data":{"rootNodeId":"flow",)" + extra +
         R"("nodes":[{"id":"flow","name":"Flow","type":"group"},)"
         R"({"id":"a","name":"A","type":"t","parentId":"flow"},)"
         R"({"id":"b","name":"B","type":"t","parentId":"flow"}]}})";
}

std::string StateLine(const std::string& id, int seq, const std::string& ts,
                      const std::string& node, const std::string& state) {
  return R"({"executionId":")" + id + R"(","seq":)" + std::to_string(seq) + R"(,"timestamp":)" +
         ts + R"(,"type":"state-change","nodeId":")" + node + R"(","data":{"state":")" + state +
         "\"}}";
}

std::string CompletedLine(const std::string& id, int seq, const std::string& ts) {
  return R"({"executionId":")" + id + R"(","seq":)" + std::to_string(seq) + R"(,"timestamp":)" +
         ts + R"(,"type":"completed"})";
}

// A finished run of five events.
std::string FullRun(const std::string& id) {
  return StartedLine(id, 1, "1759900000000") + "\n" +
         StateLine(id, 2, "1759900000010", "a", "executing") + "\n" +
         StateLine(id, 3, "1759900000020", "a", "completed") + "\n" +
         StateLine(id, 4, "1759900000021", "b", "skipped") + "\n" +
         CompletedLine(id, 5, "1759900000030") + "\n";
}

ProcessResult Cli(const std::string& db, std::vector<std::string> args,
                  const std::string& input = "") {
  args.insert(args.begin(), {"--db", db});
  return RunCli(args, input);
}

// Fails the test unless the command succeeded; returns its stdout.
std::string CliOk(const std::string& db, const std::vector<std::string>& args,
                  const std::string& input = "") {
  ProcessResult result = Cli(db, args, input);
  INFO("stderr: " << result.err);
  REQUIRE(result.exit_code == 0);
  return result.out;
}

boost::json::array ListJson(const std::string& db) {
  return boost::json::parse(CliOk(db, {"list", "--json"})).as_array();
}

// The run's eventCount as `list --json` reports it; 0 when it is not listed.
int64_t EventCount(const std::string& db, const std::string& id) {
  for (const auto& run : ListJson(db))
    if (run.at("executionId").as_string() == id) return run.at("eventCount").to_number<int64_t>();
  return 0;
}

size_t LineCount(const std::string& text) {
  return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
}

std::string Sqlite(const std::string& db, const std::string& sql) {
  ProcessResult result = RunProcess("/usr/bin/sqlite3", {db, sql});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  return result.out;
}

TEST_CASE("cli ingest from a file", "[cli]") {
  TempDir dir;
  std::string db = dir.File("trace.db");
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
  std::string db = dir.File("trace.db");
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
  std::string db = dir.File("trace.db");
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

TEST_CASE("cli export -o - and report -o - write to standard output", "[cli]") {
  TempDir dir;
  std::string db = dir.File("trace.db");
  CliOk(db, {"ingest"}, FullRun("run-1"));
  std::string shown = CliOk(db, {"show", "run-1", "--json"});
  CHECK(CliOk(db, {"export", "run-1", "-o", "-"}) == shown);
  ProcessResult report = Cli(db, {"report", "run-1", "-o", "-"});
  INFO(report.err);
  REQUIRE(report.exit_code == 0);
  CHECK_THAT(report.out, StartsWith("<!DOCTYPE html>"));
  CHECK_THAT(report.out, Contains("run-1"));
  CHECK_FALSE(std::filesystem::exists("-"));  // no file named "-" where the CLI ran
}

// Issue 9 item 9: an exact id wins over the keyword `latest`, in every command.
TEST_CASE("cli a run named latest is shown by its id, not the newest run", "[cli]") {
  TempDir dir;
  std::string db = dir.File("trace.db");
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
  std::string other = dir.File("other.db");
  CliOk(other, {"ingest"}, FullRun("old-one") + newer);
  CHECK(id_of(CliOk(other, {"show", "latest", "--json"})) == "newer");
}

TEST_CASE("cli ingest of several files stores them all", "[cli]") {
  TempDir dir;
  std::string db = dir.File("trace.db");
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
  std::string db = dir.File("trace.db");
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
  std::string db = dir.File("trace.db");
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
  ProcessResult result = Cli(dir.File("trace.db"), {"ingest"}, line + "\n");
  CHECK(result.exit_code == 3);
  CHECK_THAT(result.err, StartsWith("line 1: data.nodes[2].parentId: "));
}

TEST_CASE("cli ingest of a conflicting seq exits 4 naming the line", "[cli]") {
  TempDir dir;
  std::string db = dir.File("trace.db");
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
  std::string db = dir.File("trace.db");
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
  std::string db = dir.File("trace.db");
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
  std::string db = dir.File("trace.db");
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
  std::string db = dir.File("trace.db");
  WriteFile(dir.File("good.jsonl"), FullRun("run-1"));
  ProcessResult result = Cli(db, {"ingest", dir.File("good.jsonl"), dir.File("missing.jsonl")});
  CHECK(result.exit_code == 5);
  CHECK_THAT(result.err, Contains("missing.jsonl"));
  CHECK(LineCount(result.err) == 1);
  // Every file is checked before the first is stored.
  if (std::filesystem::exists(db)) CHECK(EventCount(db, "run-1") == 0);
}

TEST_CASE("cli ingest accepts blank lines and CRLF line endings", "[cli]") {
  TempDir dir;
  std::string db = dir.File("trace.db");
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

TEST_CASE("cli show events and export of an unknown run exit 5", "[cli]") {
  TempDir dir;
  std::string db = dir.File("trace.db");
  CliOk(db, {"ingest"}, FullRun("run-1"));
  auto args = GENERATE(
      std::vector<std::string>{"show", "nope"}, std::vector<std::string>{"show", "nope", "--json"},
      std::vector<std::string>{"events", "nope"}, std::vector<std::string>{"export", "nope"});
  INFO(args[0]);
  ProcessResult result = Cli(db, args);
  CHECK(result.exit_code == 5);
  CHECK(LineCount(result.err) == 1);
  CHECK_THAT(result.err, Contains("nope"));
  CHECK(result.out.empty());
}

TEST_CASE("cli list json fields newest first", "[cli]") {
  TempDir dir;
  std::string db = dir.File("trace.db");
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

TEST_CASE("cli list of an empty store is an empty array", "[cli]") {
  TempDir dir;
  std::string db = dir.File("trace.db");
  // An ingest of nothing creates the store.
  CHECK(CliOk(db, {"ingest"}, "") == "stored 0 events, 0 duplicates\n");
  CHECK(CliOk(db, {"list", "--json"}) == "[]\n");
}

TEST_CASE("cli reading a database file that does not exist exits 5", "[cli]") {
  TempDir dir;
  std::string db = dir.File("missing.db");
  auto args = GENERATE(std::vector<std::string>{"show", "run-1"}, std::vector<std::string>{"list"},
                       std::vector<std::string>{"events", "run-1"});
  INFO(args[0]);
  ProcessResult result = Cli(db, args);
  CHECK(result.exit_code == 5);
  CHECK(LineCount(result.err) == 1);
  // Looking must not create it.
  CHECK_FALSE(std::filesystem::exists(db));
}

TEST_CASE("cli database with a newer schema exits 10", "[cli]") {
  TempDir dir;
  std::string db = dir.File("trace.db");
  CliOk(db, {"ingest"}, FullRun("run-1"));
  Sqlite(db, "PRAGMA user_version = 99");
  auto args =
      GENERATE(std::vector<std::string>{"show", "run-1"},
               std::vector<std::string>{"list", "--json"}, std::vector<std::string>{"ingest"});
  INFO(args[0]);
  ProcessResult result = Cli(db, args, FullRun("run-2"));
  CHECK(result.exit_code == 10);
  CHECK(LineCount(result.err) == 1);
  CHECK_THAT(result.err, Contains("99"));
}

TEST_CASE("cli corrupt database exits 9", "[cli]") {
  TempDir dir;
  std::string db = dir.File("trace.db");
  std::string garbage;
  for (int i = 0; i < 4096; ++i) garbage.push_back(static_cast<char>((i * 7919 + 13) % 251));
  WriteFile(db, garbage);
  auto args = GENERATE(std::vector<std::string>{"show", "run-1"}, std::vector<std::string>{"list"},
                       std::vector<std::string>{"ingest"});
  INFO(args[0]);
  ProcessResult result = Cli(db, args, FullRun("run-1"));
  CHECK(result.exit_code == 9);
  CHECK(LineCount(result.err) == 1);
}

TEST_CASE("cli events lists a run in seq order and filters by node", "[cli]") {
  TempDir dir;
  std::string db = dir.File("trace.db");
  // Stored out of order: events come back by seq.
  CliOk(db, {"ingest"},
        CompletedLine("run-1", 5, "1759900000030") + "\n" + FullRun("run-1") + FullRun("other"));
  std::string all = CliOk(db, {"events", "run-1"});
  REQUIRE(LineCount(all) == 5);
  int64_t seq = 0;
  size_t start = 0;
  for (size_t end; (end = all.find('\n', start)) != std::string::npos; start = end + 1) {
    auto event = boost::json::parse(all.substr(start, end - start)).as_object();
    CHECK(event.at("executionId") == "run-1");
    CHECK(event.at("seq") == ++seq);
  }
  CHECK_THAT(
      all,
      StartsWith(R"({"executionId":"run-1","seq":1,"timestamp":1759900000000,"type":"started",)"));

  std::string only_a = CliOk(db, {"events", "run-1", "--node", "a"});
  CHECK(only_a == StateLine("run-1", 2, "1759900000010", "a", "executing") + "\n" +
                      StateLine("run-1", 3, "1759900000020", "a", "completed") + "\n");
  CHECK(CliOk(db, {"events", "run-1", "--node", "b"}) ==
        StateLine("run-1", 4, "1759900000021", "b", "skipped") + "\n");
  CHECK(CliOk(db, {"events", "run-1", "--node", "nobody"}).empty());
}

TEST_CASE("cli export writes the same JSON as show --json", "[cli]") {
  TempDir dir;
  std::string db = dir.File("trace.db");
  CliOk(db, {"ingest"}, FullRun("run-1"));
  std::string shown = CliOk(db, {"show", "run-1", "--json"});
  auto trace = boost::json::parse(shown).as_object();
  CHECK(trace.at("executionId") == "run-1");
  CHECK(trace.at("status") == "completed");

  std::string file = dir.File("out/trace.json");
  std::filesystem::create_directory(dir.File("out"));
  ProcessResult result = Cli(db, {"export", "run-1", "-o", file});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  CHECK(testing::ReadFile(file) == shown);
  // Nothing but the file is left in its folder.
  CHECK(std::distance(std::filesystem::directory_iterator(dir.File("out")), {}) == 1);
  CHECK(CliOk(db, {"export", "run-1"}) == shown);
}

TEST_CASE("cli export --no-snapshots leaves out allNodes and nothing else", "[cli]") {
  TempDir dir;
  std::string db = dir.File("trace.db");
  CliOk(db, {"ingest"},
        FullRun("run-1") +
            R"({"executionId":"run-1","seq":6,"timestamp":1759900000031,"type":"progress",)"
            R"("nodeId":"a","data":{"progress":50,"message":"late"}})"
            "\n");
  auto full = boost::json::parse(CliOk(db, {"export", "run-1"})).as_object();
  auto lean = boost::json::parse(CliOk(db, {"export", "run-1", "--no-snapshots"})).as_object();
  int snapshots = 0;
  for (auto& event : full["events"].as_array()) {
    auto& data = event.as_object()["data"].as_object();
    if (data.erase("allNodes") == 1) ++snapshots;
  }
  CHECK(snapshots > 0);
  CHECK(full == lean);
}

TEST_CASE("cli uses EXTRACE_DB when --db is absent", "[cli]") {
  TempDir dir;
  std::string db = dir.File("from-env.db");
  ProcessResult result = RunCliWithEnv({"ingest"}, {"EXTRACE_DB=" + db}, FullRun("run-1"));
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  REQUIRE(std::filesystem::exists(db));
  CHECK(EventCount(db, "run-1") == 5);
  result = RunCliWithEnv({"list", "--json"}, {"EXTRACE_DB=" + db});
  REQUIRE(result.exit_code == 0);
  CHECK_THAT(result.out, Contains("run-1"));
  // --db wins over the environment.
  result = RunCliWithEnv({"--db", dir.File("other.db"), "list"}, {"EXTRACE_DB=" + db});
  CHECK(result.exit_code == 5);
}

// Runs the CLI as a user that file permissions apply to: as root (who ignores
// them) through setpriv as nobody. Empty when that is not possible here.
std::optional<ProcessResult> RunCliUnprivileged(const std::vector<std::string>& args,
                                                const std::string& input = "") {
  if (geteuid() != 0) return RunCli(args, input);
  if (!std::filesystem::exists("/usr/bin/setpriv")) return std::nullopt;
  std::vector<std::string> full = {"--reuid=65534", "--regid=65534", "--clear-groups", EXTRACE_CLI};
  full.insert(full.end(), args.begin(), args.end());
  return RunProcess("/usr/bin/setpriv", full, input);
}

// Makes a folder one others may enter but not write, holding `files`
// read-only; makes it writable again on destruction so TempDir can remove it.
class ReadOnlyFolder {
 public:
  ReadOnlyFolder(std::string folder, const std::vector<std::string>& files)
      : folder_(std::move(folder)) {
    for (const auto& file : files) REQUIRE(chmod(file.c_str(), 0444) == 0);
    REQUIRE(chmod(folder_.c_str(), 0555) == 0);
  }
  ~ReadOnlyFolder() { chmod(folder_.c_str(), 0755); }
  ReadOnlyFolder(const ReadOnlyFolder&) = delete;
  ReadOnlyFolder& operator=(const ReadOnlyFolder&) = delete;

 private:
  std::string folder_;
};

TEST_CASE("cli ingest into a database without write permission exits 7", "[cli]") {
  TempDir dir;
  std::string folder = dir.File("ro");
  std::filesystem::create_directory(folder);
  std::string db = folder + "/trace.db";
  CliOk(db, {"ingest"}, StartedLine("run-1", 1, "1759900000000") + "\n");
  ReadOnlyFolder read_only(folder, {db});
  REQUIRE(chmod(dir.path().c_str(), 0755) == 0);
  auto result =
      RunCliUnprivileged({"--db", db, "ingest"}, CompletedLine("run-1", 2, "1759900000001") + "\n");
  if (!result) {
    WARN("running as root without /usr/bin/setpriv: file permissions cannot be tested");
    return;
  }
  CHECK(result->exit_code == 7);
  CHECK(LineCount(result->err) == 1);
  // Reading still works.
  result = RunCliUnprivileged({"--db", db, "list", "--json"});
  INFO(result->err);
  REQUIRE(result->exit_code == 0);
  CHECK(boost::json::parse(result->out).as_array().at(0).at("eventCount") == 1);
}

// A copy of a store taken while its writer was still open (a crash, a backup of
// a live folder): committed events sit in trace.db-wal. Read from a folder the
// reader may not write, they must not silently go missing, and the existing
// file must not be reported as missing.
TEST_CASE("cli reading a copied store with a pending WAL in a read-only folder", "[cli]") {
  TempDir dir;
  std::string folder = dir.File("ro");
  std::filesystem::create_directory(folder);
  std::string db = dir.File("live.db");
  std::string copy = folder + "/trace.db";
  {
    auto store = EventStore::Open(db);
    REQUIRE(store);
    EventParser parser;
    std::vector<Event> events;
    for (const std::string& line :
         {StartedLine("run-1", 1, "1759900000000"), CompletedLine("run-1", 2, "1759900000001")}) {
      auto event = parser.Parse(line);
      REQUIRE(event);
      events.push_back(*event);
    }
    AppendResult appended = (*store)->Append(events);
    REQUIRE(appended.status);
    REQUIRE(std::filesystem::file_size(db + "-wal") > 0);
    std::filesystem::copy_file(db, copy);
    std::filesystem::copy_file(db + "-wal", copy + "-wal");
  }
  ReadOnlyFolder read_only(folder, {copy, copy + "-wal"});
  REQUIRE(chmod(dir.path().c_str(), 0755) == 0);
  auto result = RunCliUnprivileged({"--db", copy, "list", "--json"});
  if (!result) {
    WARN("running as root without /usr/bin/setpriv: file permissions cannot be tested");
    return;
  }
  INFO("exit " << result->exit_code << ": " << result->err);
  CHECK(result->exit_code != 5);
  if (result->exit_code == 0) {
    auto runs = boost::json::parse(result->out).as_array();
    REQUIRE(runs.size() == 1);
    CHECK(runs[0].at("eventCount") == 2);
  } else {
    CHECK(result->exit_code == 7);
  }
}

TEST_CASE("cli usage errors exit 2", "[cli]") {
  auto args =
      GENERATE(std::vector<std::string>{"frobnicate"}, std::vector<std::string>{},
               std::vector<std::string>{"show"}, std::vector<std::string>{"list", "--bogus"});
  TempDir dir;
  std::vector<std::string> with_db = {"--db", dir.File("trace.db")};
  with_db.insert(with_db.end(), args.begin(), args.end());
  ProcessResult result = RunCli(with_db);
  CHECK(result.exit_code == 2);
  CHECK_FALSE(result.err.empty());
  CHECK_FALSE(std::filesystem::exists(dir.File("trace.db")));
}

}  // namespace
}  // namespace extrace
