// `extrace events` and `extrace export` as a real process: seq order, the
// node filter, the same JSON as show --json, --no-snapshots, -o -.
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
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
using Catch::Matchers::StartsWith;
using cli_test::Cli;
using cli_test::CliOk;
using cli_test::CompletedLine;
using cli_test::FullRun;
using cli_test::LineCount;
using cli_test::StateLine;
using testing::ProcessResult;
using testing::TempDir;

TEST_CASE("cli export -o - and report -o - write to standard output", "[cli]") {
  TempDir dir;
  std::string db = dir.Store("trace.db");
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

TEST_CASE("cli events lists a run in seq order and filters by node", "[cli]") {
  TempDir dir;
  std::string db = dir.Store("trace.db");
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
  std::string db = dir.Store("trace.db");
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
  std::string db = dir.Store("trace.db");
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

}  // namespace
}  // namespace extrace
