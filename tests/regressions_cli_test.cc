// `extrace regressions` as a real process on eight runs of "pipe": the
// finding named, exit 12 on a regression, 0 without, --run, and the errors.

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <catch2/catch.hpp>

#include "query/history.h"
#include "query/regressions.h"
#include "regressions_test_support.h"
#include "storage/event_store.h"
#include "test_support.h"

namespace extrace {
namespace {

using Catch::Matchers::Contains;
using regressions_test::Cli;
using regressions_test::EightRuns;
using regressions_test::kMs;
using regressions_test::RunPlan;
using regressions_test::Store;
using testing::ProcessResult;
using testing::RunCli;
using testing::TempDir;

TEST_CASE("extrace regressions names the slower node and exits 12", "[regressions][cli]") {
  TempDir dir;
  std::string db = Store(dir, EightRuns([](RunPlan& p) { p.sort = 120 * kMs; }));
  SECTION("text") {
    ProcessResult result = Cli(db, {});
    INFO(result.out << result.err);
    CHECK(result.exit_code == 12);
    CHECK_THAT(result.out, Contains("Sort (sort)"));
    CHECK_THAT(result.out, Contains("120 ms"));
    CHECK_THAT(result.out, Contains("analyze, process"));
    CHECK_THAT(result.out, Contains("1 node got slower"));
    CHECK(result.out.find("Analyze (analyze)") == std::string::npos);
  }
  SECTION("json") {
    ProcessResult result = Cli(db, {"--json"});
    INFO(result.out << result.err);
    CHECK(result.exit_code == 12);
    boost::json::value json = boost::json::parse(result.out);
    const auto& root = json.as_object();
    CHECK(root.at("flow").as_string() == "pipe");
    CHECK(root.at("run").as_string() == "r107-" + std::to_string(7 * 7777 % 9973));
    CHECK(root.at("status").as_string() == "regressed");
    CHECK(root.at("basis").as_string() == "median+mad");
    CHECK(root.at("spread").as_string() == "measured");
    CHECK(root.at("threshold").to_number<double>() == 1.5);
    CHECK(root.at("baselineRuns").as_array().size() == 7);
    const auto& regressions = root.at("regressions").as_array();
    REQUIRE(regressions.size() == 1);
    const auto& sort = regressions[0].as_object();
    CHECK(sort.at("nodeId").as_string() == "sort");
    CHECK(sort.at("nodeName").as_string() == "Sort");
    CHECK(sort.at("latest").to_number<double>() == 120);
    CHECK(sort.at("baseline").to_number<double>() == Approx(40).epsilon(0.04));
    CHECK(sort.at("ratio").to_number<double>() == Approx(3.0).epsilon(0.04));
    CHECK(sort.at("basis").as_string() == "median+mad");
    CHECK(sort.at("mad").is_number());
    CHECK(sort.at("spread").to_number<double>() >= 1);  // never below the 1 ms floor
  }
}

TEST_CASE("extrace regressions exits 0 when nothing got slower", "[regressions][cli]") {
  TempDir dir;
  std::string db = Store(dir, EightRuns());
  ProcessResult result = Cli(db, {});
  INFO(result.out << result.err);
  CHECK(result.exit_code == 0);
  CHECK_THAT(result.out, Contains("no node got slower"));
  ProcessResult json = Cli(db, {"--json"});
  CHECK(json.exit_code == 0);
  CHECK(boost::json::parse(json.out).at("status").as_string() == "ok");
  CHECK(boost::json::parse(json.out).at("regressions").as_array().empty());
}

TEST_CASE("extrace regressions --run takes an id prefix within the flow", "[regressions][cli]") {
  TempDir dir;
  auto plans = EightRuns();
  plans[5].sort = 120 * kMs;
  std::string db = Store(dir, plans);
  CHECK(Cli(db, {}).exit_code == 0);
  ProcessResult result = Cli(db, {"--run", "r105", "--json"});
  INFO(result.out << result.err);
  CHECK(result.exit_code == 12);
  CHECK(boost::json::parse(result.out).at("run").as_string() == plans[5].id);
  CHECK(boost::json::parse(result.out).at("baselineRuns").as_array().size() == 5);
  CHECK(Cli(db, {"--run", "r105", "--baseline", "3", "--threshold", "4"}).exit_code == 0);
}

TEST_CASE("extrace regressions errors: unknown flow, run, bad options", "[regressions][cli]") {
  TempDir dir;
  std::string db = Store(dir, EightRuns());
  ProcessResult unknown = RunCli({"--db", db, "regressions", "nope"});
  CHECK(unknown.exit_code == 5);
  CHECK(unknown.err == "extrace regressions: no runs of flow \"nope\" in " + db + "\n");
  CHECK(Cli(db, {"--run", "zzz"}).exit_code == 5);
  CHECK(Cli(db, {"--baseline", "2"}).exit_code == 2);
  CHECK(Cli(db, {"--threshold", "0"}).exit_code == 2);
  CHECK(Cli(db, {"--threshold", "-1"}).exit_code == 2);
}

}  // namespace
}  // namespace extrace
