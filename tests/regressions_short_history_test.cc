// `extrace regressions` over short histories, fed the way an engine's log
// arrives: JSON Lines through `extrace ingest`, the node durations set by the
// timestamps; below 3 baseline runs judged by the ratio and the floors.
#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>

#include "query/history.h"
#include "query/regressions.h"
#include "regressions_test_support.h"
#include "storage/event_store.h"
#include "test_support.h"

namespace extrace {
namespace {

using Catch::Matchers::Contains;
using regressions_test::kMs;
using testing::ProcessResult;
using testing::RunCli;
using testing::TempDir;

// Flow "job": lint (20 ms) then build (`build_ms`); run `index` starts an hour
// after run index - 1, each run ends 1 ms after build.
std::string JobRunLines(int index, double build_ms) {
  std::string id = "job-" + std::to_string(index);
  int64_t start = 1'800'000'000'000 + static_cast<int64_t>(index) * 3'600'000;
  int seq = 0;
  std::string out;
  auto line = [&](double at, const std::string& rest) {
    out += R"({"executionId":")" + id + R"(","seq":)" + std::to_string(++seq) + R"(,"timestamp":)" +
           fmt::format("{:.3f}", static_cast<double>(start) + at) + "," + rest + "}\n";
  };
  auto state = [&](double at, const std::string& node, const std::string& value) {
    line(at,
         R"("type":"state-change","nodeId":")" + node + R"(","data":{"state":")" + value + R"("})");
  };
  line(0, R"("type":"started","data":{"rootNodeId":"job","nodes":[)"
          R"({"id":"job","name":"Job","type":"group"},)"
          R"({"id":"lint","name":"Lint","type":"task","parentId":"job"},)"
          R"({"id":"build","name":"Build","type":"task","parentId":"job"}]})");
  state(1, "lint", "executing");
  state(21, "lint", "completed");
  state(22, "build", "executing");
  state(22 + build_ms, "build", "completed");
  line(23 + build_ms, R"("type":"completed")");
  return out;
}

// A store holding one run of "job" per entry of `build_ms`, oldest first,
// ingested by the CLI.
std::string JobStore(const TempDir& dir, const std::vector<double>& build_ms) {
  std::string db = dir.Store("job.db"), lines;
  for (size_t i = 0; i < build_ms.size(); ++i)
    lines += JobRunLines(static_cast<int>(i), build_ms[i]);
  ProcessResult ingest = RunCli({"--db", db, "ingest"}, lines);
  INFO(ingest.out << ingest.err);
  REQUIRE(ingest.exit_code == 0);
  return db;
}

ProcessResult JobCli(const std::string& db, std::vector<std::string> args) {
  args.insert(args.begin(), {"--db", db, "regressions", "job"});
  return RunCli(args);
}

TEST_CASE("slowdown test with fewer than 3 samples: the ratio, and the floors",
          "[regressions][no-store]") {
  RegressionRule rule;
  SlowdownTest two = TestSlowdown(1230 * kMs, {410 * kMs, 410 * kMs}, rule);
  CHECK(two.basis == JudgementBasis::kRatio);
  CHECK(two.median_us == 410 * kMs);
  CHECK_FALSE(two.mad_us.has_value());
  CHECK_FALSE(two.spread_us.has_value());
  CHECK(two.slower);
  CHECK(TestSlowdown(1230 * kMs, {410 * kMs}, rule).slower);
  CHECK_FALSE(TestSlowdown(420 * kMs, {410 * kMs, 410 * kMs}, rule).slower);
  CHECK_FALSE(TestSlowdown(599 * kMs, {400 * kMs}, rule).slower);  // 1.4975x
  CHECK(TestSlowdown(600 * kMs, {400 * kMs}, rule).slower);        // 1.5x counts
  // The median of two is their mean; a spread between them is not judged.
  CHECK(TestSlowdown(900 * kMs, {100 * kMs, 700 * kMs}, rule).median_us == 400 * kMs);
  CHECK(TestSlowdown(900 * kMs, {100 * kMs, 700 * kMs}, rule).slower);
  // Microseconds that doubled stay within the floor (3 x 1 ms above the median).
  CHECK_FALSE(TestSlowdown(900, {400, 420}, rule).slower);
  CHECK_FALSE(TestSlowdown(3900, {900}, rule).slower);
  CHECK(TestSlowdown(4100, {900}, rule).slower);
  // A median of 0 is no free pass for anything above it.
  CHECK_FALSE(TestSlowdown(2000, {0, 0}, rule).slower);
  // From 3 samples on, the spread joins in.
  SlowdownTest three = TestSlowdown(1230 * kMs, {410 * kMs, 410 * kMs, 410 * kMs}, rule);
  CHECK(three.basis == JudgementBasis::kMedianMad);
  CHECK(three.mad_us == 0);
  CHECK(three.spread_us == 4100);  // 1% of the median
  CHECK(three.slower);
}

TEST_CASE("a 3x slowdown after two identical runs is a regression, judged by the ratio",
          "[regressions][cli]") {
  TempDir dir;
  std::string db = JobStore(dir, {410, 410, 1230});
  SECTION("text") {
    ProcessResult result = JobCli(db, {});
    INFO(result.out << result.err);
    CHECK(result.exit_code == 12);
    CHECK_THAT(result.out, Contains("baseline: the 2 completed runs before it (newest job-1)"));
    CHECK_THAT(result.out, Contains("spread unknown: judged by the ratio alone (2 baseline runs"));
    CHECK_THAT(result.out, Contains("Build (build)"));
    CHECK_THAT(result.out, Contains("410 ms"));
    CHECK_THAT(result.out, Contains("1.23 s"));
    CHECK_THAT(result.out, Contains("3.00x"));
    CHECK_THAT(result.out, Contains("1 node got slower (2 nodes judged)"));
    CHECK(result.out.find("not enough runs") == std::string::npos);
  }
  SECTION("json") {
    ProcessResult result = JobCli(db, {"--json"});
    INFO(result.out << result.err);
    CHECK(result.exit_code == 12);
    boost::json::value json = boost::json::parse(result.out);
    const auto& root = json.as_object();
    CHECK(root.at("status").as_string() == "regressed");
    CHECK(root.at("basis").as_string() == "ratio");
    CHECK(root.at("spread").is_null());
    CHECK(root.at("minBaselineRuns").to_number<int64_t>() == 1);
    CHECK(root.at("minSpreadRuns").to_number<int64_t>() == 3);
    CHECK(root.at("baselineRuns").as_array().size() == 2);
    CHECK(root.at("judgedNodes").to_number<int64_t>() == 2);
    const auto& regressions = root.at("regressions").as_array();
    REQUIRE(regressions.size() == 1);
    const auto& build = regressions[0].as_object();
    CHECK(build.at("nodeId").as_string() == "build");
    CHECK(build.at("basis").as_string() == "ratio");
    CHECK(build.at("spread").is_null());
    CHECK(build.at("mad").is_null());
    CHECK(build.at("baseline").to_number<double>() == 410);
    CHECK(build.at("latest").to_number<double>() == 1230);
    CHECK(build.at("ratio").to_number<double>() == 3);
    CHECK(build.at("added").to_number<double>() == 820);
    CHECK(build.at("samples").to_number<int64_t>() == 2);
  }
}

TEST_CASE("a 3x slowdown after one run is a regression, judged by the ratio",
          "[regressions][cli]") {
  TempDir dir;
  std::string db = JobStore(dir, {410, 1230});
  ProcessResult text = JobCli(db, {});
  INFO(text.out << text.err);
  CHECK(text.exit_code == 12);
  CHECK_THAT(text.out, Contains("baseline: the 1 completed run before it (newest job-0)"));
  CHECK_THAT(text.out, Contains("spread unknown: judged by the ratio alone (1 baseline run;"));
  CHECK_THAT(text.out, Contains("Build (build)"));
  ProcessResult result = JobCli(db, {"--json"});
  INFO(result.out << result.err);
  CHECK(result.exit_code == 12);
  boost::json::value json = boost::json::parse(result.out);
  CHECK(json.at("status").as_string() == "regressed");
  CHECK(json.at("basis").as_string() == "ratio");
  const auto& regressions = json.at("regressions").as_array();
  REQUIRE(regressions.size() == 1);
  CHECK(regressions[0].at("nodeId").as_string() == "build");
  CHECK(regressions[0].at("basis").as_string() == "ratio");
  CHECK(regressions[0].at("spread").is_null());
  CHECK(regressions[0].at("samples").to_number<int64_t>() == 1);
}

TEST_CASE("a short history below the threshold or the floor is judged ok", "[regressions][cli]") {
  TempDir dir;
  std::vector<double> build_ms;
  SECTION("410, 410, 420 ms") { build_ms = {410, 410, 420}; }
  // Doubled, but by microseconds: the 1 ms floor keeps it quiet without a spread.
  SECTION("0.4, 0.4, 1.2 ms") { build_ms = {0.4, 0.4, 1.2}; }
  std::string db = JobStore(dir, build_ms);
  ProcessResult text = JobCli(db, {});
  INFO(text.out << text.err);
  CHECK(text.exit_code == 0);
  CHECK_THAT(text.out, Contains("spread unknown: judged by the ratio alone"));
  CHECK_THAT(text.out, Contains("no node got slower (2 nodes judged)"));
  ProcessResult result = JobCli(db, {"--json"});
  INFO(result.out << result.err);
  CHECK(result.exit_code == 0);
  boost::json::value json = boost::json::parse(result.out);
  CHECK(json.at("status").as_string() == "ok");
  CHECK(json.at("basis").as_string() == "ratio");
  CHECK(json.at("judgedNodes").to_number<int64_t>() == 2);
  CHECK(json.at("regressions").as_array().empty());
}

TEST_CASE("from 3 baseline runs the spread joins the judgement (median+mad)",
          "[regressions][cli]") {
  TempDir dir;
  SECTION("identical runs: the 3x slowdown is beyond the spread") {
    std::string db = JobStore(dir, {410, 410, 410, 1230});
    ProcessResult text = JobCli(db, {});
    INFO(text.out << text.err);
    CHECK(text.exit_code == 12);
    CHECK_THAT(text.out, Contains("max(1.4826 x MAD, 1% of median, 1 ms)"));
    CHECK(text.out.find("spread unknown") == std::string::npos);
    ProcessResult result = JobCli(db, {"--json"});
    INFO(result.out << result.err);
    CHECK(result.exit_code == 12);
    boost::json::value json = boost::json::parse(result.out);
    CHECK(json.at("status").as_string() == "regressed");
    CHECK(json.at("basis").as_string() == "median+mad");
    const auto& regressions = json.at("regressions").as_array();
    REQUIRE(regressions.size() == 1);
    const auto& build = regressions[0].as_object();
    CHECK(build.at("nodeId").as_string() == "build");
    CHECK(build.at("basis").as_string() == "median+mad");
    CHECK(build.at("mad").to_number<double>() == 0);
    CHECK(build.at("spread").to_number<double>() == 4.1);  // the 1%-of-median floor
    CHECK(build.at("samples").to_number<int64_t>() == 3);
  }
  SECTION("a wide spread hides a 3x ratio") {
    // Median 400 ms, MAD 300 ms: 1230 ms is 3.1x, yet within 3 x 444.8 ms of it.
    std::string db = JobStore(dir, {100, 700, 400, 1230});
    ProcessResult result = JobCli(db, {"--json"});
    INFO(result.out << result.err);
    CHECK(result.exit_code == 0);
    boost::json::value json = boost::json::parse(result.out);
    CHECK(json.at("status").as_string() == "ok");
    CHECK(json.at("basis").as_string() == "median+mad");
    CHECK(json.at("regressions").as_array().empty());
  }
}

TEST_CASE("extrace regressions with no earlier completed run says so and exits 0",
          "[regressions][cli]") {
  TempDir dir;
  std::string db;
  SECTION("the flow's only run") { db = JobStore(dir, {1230}); }
  SECTION("the run before it failed") {
    db = dir.Store("job.db");
    std::string lines = JobRunLines(0, 410);
    lines.replace(lines.rfind(R"("type":"completed")"), 18,
                  R"("type":"error","data":{"message":"broke"})");
    lines += JobRunLines(1, 1230);
    REQUIRE(RunCli({"--db", db, "ingest"}, lines).exit_code == 0);
  }
  ProcessResult result = JobCli(db, {});
  INFO(result.out << result.err);
  CHECK(result.exit_code == 0);
  CHECK_THAT(result.out,
             Contains("not enough runs to judge: no completed run of flow job started before it, "
                      "need at least 1"));
  ProcessResult json = JobCli(db, {"--json"});
  INFO(json.out << json.err);
  CHECK(json.exit_code == 0);
  boost::json::value root = boost::json::parse(json.out);
  CHECK(root.at("status").as_string() == "not-enough-runs");
  CHECK(root.at("basis").is_null());
  CHECK(root.at("baselineRuns").as_array().empty());
  CHECK(root.at("regressions").as_array().empty());
}

}  // namespace
}  // namespace extrace
