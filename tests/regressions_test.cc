// `extrace regressions`: which nodes of a run got slower than in the completed
// runs before it (query/regressions.h), on runs built here with realistic
// small jitter, directly and via the CLI (exit 12 on a regression). The
// 10,000-run timing of history and regressions is the hidden [.perf] case.
#include "query/regressions.h"

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>

#include "query/history.h"
#include "storage/event_store.h"
#include "test_support.h"

namespace extrace {
namespace {

using Catch::Matchers::Contains;
using testing::ProcessResult;
using testing::RunCli;
using testing::TempDir;

constexpr int64_t kMs = 1000;
constexpr int64_t kT0 = 1'800'000'000'000'000;  // microseconds

// Flow "pipe": prep, then group process = parse, then group analyze = sort,
// a gap (analyze's own time), stats; then report. Times in microseconds.
struct RunPlan {
  std::string id;
  int index = 0;  // start order: a run every 10 s
  int64_t prep = 20 * kMs, parse = 50 * kMs, sort = 40 * kMs, stats = 15 * kMs, report = 5 * kMs,
          analyze_gap = 300;
  bool failed = false;  // the run ends with `error`
  std::string sort_id = "sort";
};

// +-3% around 1, the same for the same (run, node): realistic small jitter.
double Jitter(int run, int node) {
  uint32_t x = static_cast<uint32_t>(run * 7919 + node * 104729 + 12345);
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return 0.97 + 0.06 * static_cast<double>(x % 1000) / 999.0;
}

RunPlan Jittered(int index) {
  RunPlan plan;
  plan.index = index;
  plan.id = "r" + std::to_string(100 + index) + "-" + std::to_string(index * 7777 % 9973);
  auto j = [&](int64_t v, int node) {
    return static_cast<int64_t>(static_cast<double>(v) * Jitter(index, node));
  };
  plan.prep = j(plan.prep, 1);
  plan.parse = j(plan.parse, 2);
  plan.sort = j(plan.sort, 3);
  plan.stats = j(plan.stats, 4);
  plan.report = j(plan.report, 5);
  plan.analyze_gap = j(plan.analyze_gap, 6);
  return plan;
}

std::vector<Event> Events(const RunPlan& plan) {
  std::vector<Event> out;
  int64_t start = kT0 + plan.index * 10'000 * kMs;
  auto add = [&](int64_t at, EventType type, const std::string& node, const std::string& data) {
    out.push_back({plan.id, static_cast<int64_t>(out.size() + 1), start + at, type, node, data});
  };
  add(0, EventType::kStarted, "",
      R"({"rootNodeId":"pipe","nodes":[{"id":"pipe","name":"Pipeline","type":"group"},)"
      R"({"id":"prep","name":"Prepare","type":"task","parentId":"pipe"},)"
      R"({"id":"process","name":"Process","type":"group","parentId":"pipe"},)"
      R"({"id":"parse","name":"Parse","type":"task","parentId":"process"},)"
      R"({"id":"analyze","name":"Analyze","type":"group","parentId":"process"},)"
      R"({"id":")" +
          plan.sort_id +
          R"(","name":"Sort","type":"task","parentId":"analyze"},)"
          R"({"id":"stats","name":"Stats","type":"task","parentId":"analyze"},)"
          R"({"id":"report","name":"Report","type":"task","parentId":"pipe"}]})");
  int64_t t = 100;
  auto span = [&](const std::string& node, int64_t duration) {
    add(t, EventType::kStateChange, node, R"({"state":"executing"})");
    t += duration;
    add(t, EventType::kStateChange, node, R"({"state":"completed"})");
  };
  span("prep", plan.prep);
  span("parse", plan.parse);
  t += 100;  // process's own gap
  span(plan.sort_id, plan.sort);
  t += plan.analyze_gap;
  span("stats", plan.stats);
  span("report", plan.report);
  t += 500;
  if (plan.failed)
    add(t, EventType::kError, "", R"({"message":"broke"})");
  else
    add(t, EventType::kCompleted, "", "");
  return out;
}

// A store holding these runs, closed again so the CLI can read it.
std::string Store(const TempDir& dir, const std::vector<RunPlan>& plans) {
  std::string path = dir.File("r.db");
  auto store = EventStore::Open(path);
  REQUIRE(store.has_value());
  std::vector<Event> events;
  for (const auto& plan : plans) {
    auto run = Events(plan);
    events.insert(events.end(), run.begin(), run.end());
  }
  REQUIRE((*store)->Append(events).status.has_value());
  return path;
}

// Eight runs of "pipe" with jitter; `last` edits the newest.
std::vector<RunPlan> EightRuns(const std::function<void(RunPlan&)>& last = {}) {
  std::vector<RunPlan> plans;
  for (int i = 0; i < 8; ++i) plans.push_back(Jittered(i));
  if (last) last(plans.back());
  return plans;
}

RegressionReport Judge(const std::string& path, const std::string& id = "",
                       RegressionRule rule = {}, size_t baseline = 10) {
  auto store = EventStore::Open(path);
  REQUIRE(store.has_value());
  RunFilter filter;
  filter.flow = "pipe";
  auto runs = (*store)->ListRuns(filter);
  REQUIRE(runs.has_value());
  REQUIRE_FALSE(runs->empty());
  RunSummary run = runs->front();
  for (const auto& r : *runs)
    if (r.execution_id == id) run = r;
  auto report = FindRegressions(**store, run, baseline, rule);
  REQUIRE(report.has_value());
  return *report;
}

ProcessResult Cli(const std::string& db, std::vector<std::string> args) {
  args.insert(args.begin(), {"--db", db, "regressions", "pipe"});
  return RunCli(args);
}

TEST_CASE("slowdown test: ratio and spread both must hold", "[regressions]") {
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

// ---- Short histories, fed the way an engine's log arrives: JSON Lines through
// `extrace ingest`, the node durations set by the timestamps.

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
  std::string db = dir.File("job.db"), lines;
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

TEST_CASE("slowdown test with fewer than 3 samples: the ratio, and the floors", "[regressions]") {
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
    db = dir.File("job.db");
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

// ---- 10,000 runs of a 50-node flow (hidden: run with `regressions_test "[.perf]"`).

// Flow "big": the root, 7 groups of 6 leaves run one after the other: 50 nodes.
std::vector<Event> BigRun(int index) {
  std::string id = "big-" + std::to_string(100000 + index);
  std::vector<Event> out;
  int64_t start = kT0 + static_cast<int64_t>(index) * 60'000 * kMs;
  std::string nodes = R"({"id":"big","name":"Big","type":"group"})";
  for (int g = 0; g < 7; ++g) {
    nodes += R"(,{"id":"g)" + std::to_string(g) + R"(","name":"Group )" + std::to_string(g) +
             R"(","type":"group","parentId":"big"})";
    for (int l = 0; l < 6; ++l)
      nodes += R"(,{"id":"l)" + std::to_string(g) + std::to_string(l) +
               R"(","name":"Leaf","type":"task","parentId":"g)" + std::to_string(g) + "\"}";
  }
  auto add = [&](int64_t at, EventType type, std::string node, std::string data) {
    out.push_back({id, static_cast<int64_t>(out.size() + 1), start + at, type, std::move(node),
                   std::move(data)});
  };
  add(0, EventType::kStarted, "", R"({"rootNodeId":"big","nodes":[)" + nodes + "]}");
  int64_t t = 10;
  for (int g = 0; g < 7; ++g)
    for (int l = 0; l < 6; ++l) {
      std::string leaf = "l" + std::to_string(g) + std::to_string(l);
      add(t, EventType::kStateChange, leaf, R"({"state":"executing"})");
      t += static_cast<int64_t>(2000 * Jitter(index, g * 6 + l));
      add(t, EventType::kStateChange, leaf, R"({"state":"completed"})");
      t += 50;
    }
  add(t + 10, EventType::kCompleted, "", "");
  return out;
}

double TimeCli(const std::vector<std::string>& args, int expected_exit) {
  auto begin = std::chrono::steady_clock::now();
  ProcessResult result = RunCli(args);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  INFO(result.err);
  CHECK(result.exit_code == expected_exit);
  return seconds;
}

TEST_CASE("history and regressions over 10000 runs of a 50-node flow", "[.perf]") {
  constexpr int kRuns = 10000;
  TempDir dir;
  // EXTRACE_PERF_DB keeps (and reuses) the store, for timing by hand.
  const char* keep = std::getenv("EXTRACE_PERF_DB");
  std::string db = keep && *keep ? keep : dir.File("perf.db");
  if (!std::filesystem::exists(db)) {
    auto begin = std::chrono::steady_clock::now();
    StoreOptions options;
    options.durability = Durability::kNormal;
    auto store = EventStore::Open(db, options);
    REQUIRE(store.has_value());
    std::vector<Event> batch;
    for (int i = 0; i < kRuns; ++i) {
      auto run = BigRun(i);
      batch.insert(batch.end(), std::make_move_iterator(run.begin()),
                   std::make_move_iterator(run.end()));
      if (batch.size() >= 8192 || i + 1 == kRuns) {
        REQUIRE((*store)->Append(batch).status.has_value());
        batch.clear();
      }
    }
    std::printf("generated %d runs in %.2f s\n", kRuns,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count());
  }
  {
    auto store = EventStore::Open(db);
    REQUIRE(store.has_value());
    RunFilter filter;
    filter.flow = "big";
    auto runs = (*store)->ListRuns(filter);
    REQUIRE(runs.has_value());
    REQUIRE(runs->size() == kRuns);
    auto seconds_since = [](auto begin) {
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
    };
    auto begin = std::chrono::steady_clock::now();
    filter.limit = 50;
    REQUIRE((*store)->ListRuns(filter).has_value());
    std::printf("ListRuns(flow, limit 50): %.3f s\n", seconds_since(begin));
    std::vector<std::string> ids;
    for (const auto& run : *runs) ids.push_back(run.execution_id);
    begin = std::chrono::steady_clock::now();
    REQUIRE((*store)->NodeFacts(ids).has_value());
    std::printf("NodeFacts(%zu runs): %.3f s\n", ids.size(), seconds_since(begin));
    begin = std::chrono::steady_clock::now();
    REQUIRE(LoadHistory(**store, "big", kRuns).has_value());
    std::printf("LoadHistory(all %d runs): %.3f s\n", kRuns, seconds_since(begin));
    begin = std::chrono::steady_clock::now();
    auto history = LoadHistory(**store, "big", 50);
    REQUIRE(history.has_value());
    CHECK(history->nodes.size() == 49);  // the root stands out
    std::printf("LoadHistory (in process): %.3f s\n",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count());
  }
  double history = TimeCli({"--db", db, "history", "big"}, 0);
  double history_json = TimeCli({"--db", db, "history", "big", "--json"}, 0);
  double regressions = TimeCli({"--db", db, "regressions", "big"}, 0);
  double regressions_run = TimeCli({"--db", db, "regressions", "big", "--run", "big-105000"}, 0);
  std::printf(
      "extrace history big: %.3f s, --json %.3f s; extrace regressions big: %.3f s, --run "
      "big-105000: %.3f s (process start included)\n",
      history, history_json, regressions, regressions_run);
  CHECK(history < 2.0);
  CHECK(regressions < 2.0);
}

}  // namespace
}  // namespace extrace
