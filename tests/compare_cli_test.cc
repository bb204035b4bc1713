// `extrace compare` as a real process: text, --json, a warning across flows,
// and the errors.
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <catch2/catch.hpp>

#include "compare_test_support.h"
#include "format/event_json.h"
#include "query/compare.h"
#include "query/trace_loader.h"
#include "test_support.h"

namespace extrace {
namespace {

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using compare_test::CaseFile;
using testing::ProcessResult;
using testing::RunCli;
using testing::TempDir;

ProcessResult Cli(const std::string& db, std::vector<std::string> args) {
  args.insert(args.begin(), {"--db", db});
  return RunCli(args);
}

std::string DbWith(const TempDir& dir, const std::vector<std::string>& cases) {
  std::string db = dir.Store("cli.db");
  std::vector<std::string> args{"ingest"};
  for (const auto& name : cases) args.push_back(CaseFile(name));
  ProcessResult ingest = Cli(db, args);
  INFO(ingest.err);
  REQUIRE(ingest.exit_code == 0);
  return db;
}

TEST_CASE("cli compare --json: the slower node first, times in plain milliseconds",
          "[compare][cli]") {
  TempDir dir;
  std::string db = DbWith(dir, {"repeated_flow"});
  ProcessResult result = Cli(db, {"compare", "etl-2", "latest", "--json"});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  CHECK(result.err.empty());
  boost::json::object json = boost::json::parse(result.out).as_object();
  CHECK(json.at("a").as_string() == "etl-2");
  CHECK(json.at("b").as_string() == "etl-3");
  CHECK(json.at("flowA").as_string() == "etl");
  CHECK(json.at("flowB").as_string() == "etl");
  CHECK(json.at("durationA").to_number<double>() == 71);
  CHECK(json.at("durationB").to_number<double>() == 133);
  CHECK(json.at("durationDelta").to_number<double>() == 62);
  CHECK(json.at("onlyInA").as_array().empty());
  CHECK(json.at("onlyInB").as_array().empty());
  const auto& nodes = json.at("nodes").as_array();
  REQUIRE(nodes.size() == 6);
  const auto& first = nodes[0].as_object();
  CHECK(first.at("nodeId").as_string() == "transform");
  CHECK(first.at("nodeName").as_string() == "Transform");
  CHECK(first.at("durationA").to_number<double>() == 30);
  CHECK(first.at("durationB").to_number<double>() == 90);
  CHECK(first.at("delta").to_number<double>() == 60);
  CHECK(first.at("ratio").to_number<double>() == 3);
  CHECK(first.at("stateA").as_string() == "completed");
  CHECK(first.at("stateB").as_string() == "completed");
  CHECK_THAT(result.out, !Contains("e+") && !Contains("E+") && !Contains("e-0"));
}

TEST_CASE("cli compare: the first lines say what changed most", "[compare][cli]") {
  TempDir dir;
  std::string db = DbWith(dir, {"repeated_flow", "failed_flow"});
  ProcessResult slower = Cli(db, {"compare", "etl-2", "etl-3"});
  INFO(slower.err);
  REQUIRE(slower.exit_code == 0);
  CHECK_THAT(slower.out,
             StartsWith("B took 62 ms longer than A (+87%). Biggest change: node 'transform' "
                        "+60 ms (3.0x).\n"));
  ProcessResult failed = Cli(db, {"compare", "ship-a", "ship-b"});
  REQUIRE(failed.exit_code == 0);
  CHECK_THAT(
      failed.out,
      StartsWith("B took 15 ms less than A (-42%). Biggest change: node 'load' -13 ms (0.35x).\n"
                 "A completed, B ended in error.\n"
                 "State changes: 'load' completed -> error (disk full).\n"
                 "Only in A: 'cleanup'. Only in B: 'notify'.\n"));
  CHECK_THAT(failed.out, Contains("NODE") && Contains("STATE B"));
}

TEST_CASE("cli compare of runs of different flows warns on stderr", "[compare][cli]") {
  TempDir dir;
  std::string db = DbWith(dir, {"repeated_flow", "failed_flow"});
  ProcessResult result = Cli(db, {"compare", "etl-3", "ship-b", "--json"});
  REQUIRE(result.exit_code == 0);
  CHECK_THAT(result.err, Contains("warning") && Contains("different flows"));
  auto json = boost::json::parse(result.out).as_object();
  CHECK(json.at("flowA").as_string() == "etl");
  CHECK(json.at("flowB").as_string() == "ship");
  CHECK(json.at("onlyInA").as_array().size() == 6);
}

TEST_CASE("cli compare: unknown id exits 5, ambiguous prefix exits 3, one line on stderr",
          "[compare][cli]") {
  TempDir dir;
  std::string db = DbWith(dir, {"repeated_flow"});
  ProcessResult unknown = Cli(db, {"compare", "etl-1", "nope"});
  CHECK(unknown.exit_code == 5);
  CHECK_THAT(unknown.err, Contains("nope"));
  CHECK(std::count(unknown.err.begin(), unknown.err.end(), '\n') == 1);
  CHECK(unknown.out.empty());
  ProcessResult ambiguous = Cli(db, {"compare", "etl-", "etl-1"});
  CHECK(ambiguous.exit_code == 3);
  CHECK_THAT(ambiguous.err, Contains("ambiguous"));
  CHECK(std::count(ambiguous.err.begin(), ambiguous.err.end(), '\n') == 1);
  ProcessResult prefix = Cli(db, {"compare", "etl-1", "etl-3", "--json"});
  CHECK(prefix.exit_code == 0);
  ProcessResult no_db = Cli(dir.Store("missing.db"), {"compare", "a", "b"});
  CHECK(no_db.exit_code == 5);
}

}  // namespace
}  // namespace extrace
