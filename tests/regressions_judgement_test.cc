// `extrace regressions` directly (query/regressions.h): which nodes of a run got
// slower than in the completed runs before it, on eight runs of "pipe" with
// realistic small jitter.

#include <catch2/catch.hpp>

#include "query/history.h"
#include "query/regressions.h"
#include "regressions_test_support.h"
#include "storage/event_store.h"
#include "test_support.h"

namespace extrace {
namespace {

using regressions_test::EightRuns;
using regressions_test::Jittered;
using regressions_test::Judge;
using regressions_test::kMs;
using regressions_test::RunPlan;
using regressions_test::Store;
using testing::TempDir;

TEST_CASE("slowdown test: ratio and spread both must hold", "[regressions][no-store]") {
  RegressionRule rule;
  std::vector<int64_t> base{40000, 40400, 39600, 40200, 39800, 40100, 39900};
  SlowdownTest three = TestSlowdown(120000, base, rule);
  CHECK(three.median_us == 40000);
  CHECK(three.mad_us == 200);
  CHECK(three.slower);
  CHECK_FALSE(TestSlowdown(56000, base, rule).slower);  // 1.4x < 1.5x
  rule.threshold = 1.0;
  // 1 ms above the median is within the noise floor (3 x 1 ms), 4 ms is not.
  CHECK_FALSE(TestSlowdown(41000, base, rule).slower);
  CHECK(TestSlowdown(44000, base, rule).slower);
  // Identical runs (MAD 0): the floor still holds microseconds of jitter.
  std::vector<int64_t> same(7, 10000);
  CHECK(TestSlowdown(10000, same, rule).mad_us == 0);
  CHECK_FALSE(TestSlowdown(10500, same, rule).slower);
  CHECK_FALSE(TestSlowdown(12900, same, rule).slower);
  CHECK(TestSlowdown(13100, same, rule).slower);
  // A wide spread hides even a doubling.
  rule.threshold = 1.5;
  std::vector<int64_t> noisy{10000, 30000, 20000, 5000, 35000};
  CHECK_FALSE(TestSlowdown(40000, noisy, rule).slower);
}

TEST_CASE("a leaf 3x slower in the latest run is the only finding", "[regressions]") {
  TempDir dir;
  std::string db = Store(dir, EightRuns([](RunPlan& p) { p.sort = 120 * kMs; }));
  RegressionReport report = Judge(db);
  CHECK(report.run.execution_id == "r107-" + std::to_string(7 * 7777 % 9973));
  CHECK(report.enough_runs);
  CHECK(report.basis == JudgementBasis::kMedianMad);
  CHECK(report.baseline_runs.size() == 7);
  CHECK(report.judged_nodes == 7);
  REQUIRE(report.regressions.size() == 1);
  const Regression& sort = report.regressions[0];
  CHECK(sort.node_id == "sort");
  CHECK(sort.basis == JudgementBasis::kMedianMad);
  CHECK(sort.mad_us.has_value());
  CHECK(sort.spread_us >= sort.mad_us);
  CHECK(sort.latest_us == 120 * kMs);
  CHECK(*sort.ratio == Approx(3.0).epsilon(0.04));
  CHECK(sort.samples == 7);
  // Analyze and process are slower only because of sort: they are not findings.
  CHECK(sort.explains == std::vector<std::string>{"analyze", "process"});
}

TEST_CASE("no slowdown: no finding", "[regressions]") {
  TempDir dir;
  std::string db = Store(dir, EightRuns());
  RegressionReport report = Judge(db);
  CHECK(report.enough_runs);
  CHECK(report.judged_nodes == 7);
  CHECK(report.regressions.empty());
}

TEST_CASE("a group whose own time got slower is the finding", "[regressions]") {
  TempDir dir;
  std::string db = Store(dir, EightRuns([](RunPlan& p) { p.analyze_gap = 60 * kMs; }));
  RegressionReport report = Judge(db);
  REQUIRE(report.regressions.size() == 1);
  const Regression& analyze = report.regressions[0];
  CHECK(analyze.node_id == "analyze");
  CHECK(analyze.group);
  CHECK(*analyze.ratio > 2.0);
  CHECK(analyze.explains == std::vector<std::string>{"process"});
}

TEST_CASE("a slower group whose children cannot be judged stands as the finding", "[regressions]") {
  TempDir dir;
  // The newest run renamed sort: its children have no baseline of their own.
  std::string db = Store(dir, EightRuns([](RunPlan& p) {
                           p.sort_id = "sort-v2";
                           p.sort = 120 * kMs;
                         }));
  RegressionReport report = Judge(db);
  REQUIRE(report.regressions.size() == 1);
  CHECK(report.regressions[0].node_id == "analyze");
  CHECK(report.regressions[0].explains == std::vector<std::string>{"process"});
  CHECK(report.unjudged_nodes == 1);
}

TEST_CASE("the threshold decides how much slower counts", "[regressions]") {
  TempDir dir;
  std::string db = Store(dir, EightRuns([](RunPlan& p) { p.sort = 56 * kMs; }));
  CHECK(Judge(db).regressions.empty());  // 1.4x
  RegressionRule rule;
  rule.threshold = 1.3;
  RegressionReport report = Judge(db, "", rule);
  REQUIRE(report.regressions.size() == 1);
  CHECK(report.regressions[0].node_id == "sort");
}

TEST_CASE("failed runs stay out of the baseline", "[regressions]") {
  TempDir dir;
  auto plans = EightRuns([](RunPlan& p) { p.sort = 120 * kMs; });
  plans[3].failed = true;
  plans[3].sort = 500 * kMs;
  std::string db = Store(dir, plans);
  RegressionReport report = Judge(db);
  CHECK(report.baseline_runs.size() == 6);
  for (const auto& id : report.baseline_runs) CHECK(id != plans[3].id);
  REQUIRE(report.regressions.size() == 1);
  CHECK(report.regressions[0].node_id == "sort");
}

TEST_CASE("an older run is judged against the runs before it only", "[regressions]") {
  TempDir dir;
  auto plans = EightRuns();
  plans[5].sort = 120 * kMs;
  std::string db = Store(dir, plans);
  CHECK(Judge(db).regressions.empty());  // the latest: one slow run in its baseline is noise
  RegressionReport report = Judge(db, plans[5].id, {}, 3);
  CHECK(report.baseline_runs == std::vector<std::string>{plans[4].id, plans[3].id, plans[2].id});
  REQUIRE(report.regressions.size() == 1);
  CHECK(report.regressions[0].node_id == "sort");
}

TEST_CASE("two baseline runs: judged by the ratio, groups explained as on the MAD basis",
          "[regressions]") {
  TempDir dir;
  std::vector<RunPlan> plans{Jittered(0), Jittered(1), Jittered(2)};
  plans[2].sort = 120 * kMs;
  std::string db = Store(dir, plans);
  RegressionReport report = Judge(db);
  CHECK(report.enough_runs);
  CHECK(report.basis == JudgementBasis::kRatio);
  CHECK(report.judged_nodes == 7);
  REQUIRE(report.regressions.size() == 1);
  const Regression& sort = report.regressions[0];
  CHECK(sort.node_id == "sort");
  CHECK(sort.basis == JudgementBasis::kRatio);
  CHECK_FALSE(sort.mad_us.has_value());
  CHECK_FALSE(sort.spread_us.has_value());
  CHECK(sort.samples == 2);
  CHECK(sort.explains == std::vector<std::string>{"analyze", "process"});
}

}  // namespace
}  // namespace extrace
