// What the regressions tests share: the flow "pipe" (prep, then group
// process = parse, then group analyze = sort, stats; then report) with
// realistic small jitter per run, its events, a store of such runs, the
// judgement over it, and the CLI on that store.
#pragma once

#include <catch2/catch.hpp>
#include <functional>

#include "query/history.h"
#include "query/regressions.h"
#include "storage/event_store.h"
#include "test_support.h"

namespace extrace::regressions_test {

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
inline double Jitter(int run, int node) {
  uint32_t x = static_cast<uint32_t>(run * 7919 + node * 104729 + 12345);
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return 0.97 + 0.06 * static_cast<double>(x % 1000) / 999.0;
}

inline RunPlan Jittered(int index) {
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

inline std::vector<Event> Events(const RunPlan& plan) {
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
inline std::string Store(const TempDir& dir, const std::vector<RunPlan>& plans) {
  std::string path = dir.Store("r.db");
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
inline std::vector<RunPlan> EightRuns(const std::function<void(RunPlan&)>& last = {}) {
  std::vector<RunPlan> plans;
  for (int i = 0; i < 8; ++i) plans.push_back(Jittered(i));
  if (last) last(plans.back());
  return plans;
}

inline RegressionReport Judge(const std::string& path, const std::string& id = "",
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

inline ProcessResult Cli(const std::string& db, std::vector<std::string> args) {
  args.insert(args.begin(), {"--db", db, "regressions", "pipe"});
  return RunCli(args);
}

}  // namespace extrace::regressions_test
