// History and regressions over 10,000 runs of a 50-node flow, timed: the
// hidden [.perf] case (run with `query_tests "[.perf]"`).

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "query/history.h"
#include "query/regressions.h"
#include "regressions_test_support.h"
#include "storage/event_store.h"
#include "test_support.h"

namespace extrace {
namespace {

using regressions_test::Jitter;
using regressions_test::kMs;
using regressions_test::kT0;
using testing::ProcessResult;
using testing::RunCli;
using testing::TempDir;

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
  std::string db = keep && *keep ? keep : dir.Store("perf.db");
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
