// The CLI's lookups over many runs: list filters and their edge cases, show by
// latest or prefix, open nodes of an incomplete run, read-only SQL, reindex.
#include <fmt/format.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "test_support.h"

namespace extrace {
namespace {

using testing::RunCli;
using testing::TempDir;

constexpr int64_t kDay = 86'400'000;
constexpr int64_t kT0 = 1'800'000'000'000;  // 2027-01-15T08:00:00Z

// One run of flow `flow` with leaves a and b; b may fail with `error`.
std::string Run(const std::string& id, const std::string& flow, int64_t start, int64_t b_ms,
                const std::string& error = "", bool finished = true) {
  std::string out = fmt::format(
      R"({{"executionId":"{0}","seq":1,"timestamp":{1},"type":"started","data":{{"rootNodeId":"{2}","nodes":[{{"id":"{2}","name":"F","type":"group"}},{{"id":"a","name":"A","type":"t","parentId":"{2}"}},{{"id":"b","name":"B","type":"t","parentId":"{2}"}}]}}}})"
      "\n"
      R"({{"executionId":"{0}","seq":2,"timestamp":{3},"type":"state-change","nodeId":"a","data":{{"state":"executing"}}}})"
      "\n"
      R"({{"executionId":"{0}","seq":3,"timestamp":{4},"type":"state-change","nodeId":"a","data":{{"state":"completed"}}}})"
      "\n"
      R"({{"executionId":"{0}","seq":4,"timestamp":{4},"type":"state-change","nodeId":"b","data":{{"state":"executing"}}}})"
      "\n"
      R"({{"executionId":"{0}","seq":5,"timestamp":{5},"type":"progress","nodeId":"b","data":{{"progress":40,"message":"copying"}}}})"
      "\n",
      id, start, flow, start + 1, start + 10, start + 11);
  if (!finished) return out;
  std::string state = error.empty()
                          ? R"({"state":"completed"})"
                          : fmt::format(R"({{"state":"error","errorMessage":"{}"}})", error);
  out += fmt::format(
      R"({{"executionId":"{0}","seq":6,"timestamp":{1},"type":"state-change","nodeId":"b","data":{2}}})"
      "\n"
      R"({{"executionId":"{0}","seq":7,"timestamp":{3},"type":"completed"}})"
      "\n",
      id, start + 10 + b_ms, state, start + 11 + b_ms);
  return out;
}

struct Fixture {
  TempDir dir;
  std::string db = dir.Store("runs.db");
  Fixture() {
    std::string events = Run("alpha-1", "etl", kT0, 100) +
                         Run("alpha-2", "etl", kT0 + kDay, 400, "Disk FULL") +
                         Run("beta-1", "report", kT0 + 2 * kDay, 50) +
                         Run("alpha-3", "etl", kT0 + 3 * kDay, 120, "", false);
    auto result = RunCli({"--db", db, "ingest"}, events);
    REQUIRE(result.exit_code == 0);
  }
  std::vector<std::string> Ids(const std::vector<std::string>& args) {
    std::vector<std::string> full{"--db", db, "list", "--json"};
    full.insert(full.end(), args.begin(), args.end());
    auto result = RunCli(full);
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    std::vector<std::string> ids;
    boost::json::value parsed = boost::json::parse(result.out);
    for (const auto& run : parsed.as_array())
      ids.push_back(std::string(run.as_object().at("executionId").as_string()));
    return ids;
  }
};

TEST_CASE("list filters by flow, status, time, node state, error text, duration, limit", "[list]") {
  Fixture f;
  using V = std::vector<std::string>;
  CHECK(f.Ids({}) == V{"alpha-3", "beta-1", "alpha-2", "alpha-1"});
  CHECK(f.Ids({"--flow", "etl"}) == V{"alpha-3", "alpha-2", "alpha-1"});
  CHECK(f.Ids({"--status", "incomplete"}) == V{"alpha-3"});
  CHECK(f.Ids({"--status", "error"}) == V{"alpha-2"});
  CHECK(f.Ids({"--since", "2027-01-16", "--until", std::to_string(kT0 + 2 * kDay)}) ==
        V{"beta-1", "alpha-2"});
  CHECK(f.Ids({"--since", "2027-01-16T09:00:00+01:00"}) == V{"alpha-3", "beta-1", "alpha-2"});
  CHECK(f.Ids({"--node", "b", "--state", "error"}) == V{"alpha-2"});
  CHECK(f.Ids({"--node", "b", "--state", "executing"}) == V{"alpha-3"});
  CHECK(f.Ids({"--state", "error"}) == V{"alpha-2"});
  CHECK(f.Ids({"--error", "disk full"}) == V{"alpha-2"});
  CHECK(f.Ids({"--slower-than", "200"}) == V{"alpha-2"});
  CHECK(f.Ids({"--flow", "etl", "--limit", "1"}) == V{"alpha-3"});
  CHECK(f.Ids({"--error", "no such text"}).empty());  // no match: an empty list, exit 0
}

TEST_CASE("list refuses bad filter values and names an unknown flow", "[list]") {
  Fixture f;
  auto unknown = RunCli({"--db", f.db, "list", "--flow", "nope"});
  CHECK(unknown.exit_code == 5);
  CHECK(unknown.err.find("no runs of flow \"nope\"") != std::string::npos);
  CHECK(RunCli({"--db", f.db, "list", "--status", "done"}).exit_code == 2);
  CHECK(RunCli({"--db", f.db, "list", "--since", "yesterday"}).exit_code == 2);
  CHECK(RunCli({"--db", f.db, "list", "--node", "b", "--state", "stuck"}).exit_code == 2);
}

TEST_CASE("show accepts latest, latest of a flow and an unambiguous prefix", "[show]") {
  Fixture f;
  auto latest = RunCli({"--db", f.db, "show", "latest", "--json"});
  REQUIRE(latest.exit_code == 0);
  boost::json::value latest_json = boost::json::parse(latest.out);
  CHECK(latest_json.as_object().at("executionId").as_string() == "alpha-3");
  auto of_flow = RunCli({"--db", f.db, "show", "latest", "--flow", "report", "--json"});
  REQUIRE(of_flow.exit_code == 0);
  boost::json::value of_flow_json = boost::json::parse(of_flow.out);
  CHECK(of_flow_json.as_object().at("executionId").as_string() == "beta-1");
  auto prefix = RunCli({"--db", f.db, "show", "bet", "--json"});
  REQUIRE(prefix.exit_code == 0);
  boost::json::value prefix_json = boost::json::parse(prefix.out);
  CHECK(prefix_json.as_object().at("executionId").as_string() == "beta-1");
  auto ambiguous = RunCli({"--db", f.db, "show", "alpha"});
  CHECK(ambiguous.exit_code == 3);
  CHECK(ambiguous.err.find("ambiguous") != std::string::npos);
  CHECK(RunCli({"--db", f.db, "show", "gamma"}).exit_code == 5);
  CHECK(RunCli({"--db", f.db, "show", "latest", "--flow", "nope"}).exit_code == 5);
}

TEST_CASE("show of an incomplete run names the open nodes and their last message", "[show]") {
  Fixture f;
  auto shown = RunCli({"--db", f.db, "show", "alpha-3"});
  REQUIRE(shown.exit_code == 0);
  CHECK(shown.out.find("incomplete") != std::string::npos);
  CHECK(shown.out.find("still open when the log stops") != std::string::npos);
  CHECK(shown.out.find("B (b)") != std::string::npos);
  CHECK(shown.out.find("copying") != std::string::npos);
  CHECK(shown.out.find("40%") != std::string::npos);
}

TEST_CASE("query runs read-only SQL over the views and refuses writes", "[query]") {
  Fixture f;
  auto counted =
      RunCli({"--db", f.db, "query",
              "SELECT flow, count(*) AS runs FROM runs GROUP BY flow ORDER BY flow", "--json"});
  REQUIRE(counted.exit_code == 0);
  auto rows = boost::json::parse(counted.out).as_array();
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].as_object().at("flow").as_string() == "etl");
  CHECK(rows[0].as_object().at("runs").as_int64() == 3);
  auto node = RunCli({"--db", f.db, "query",
                      "SELECT duration_ms, error_message FROM node_runs WHERE execution_id = "
                      "'alpha-2' AND node_id = 'b'",
                      "--json"});
  REQUIRE(node.exit_code == 0);
  boost::json::value node_rows = boost::json::parse(node.out);
  auto b = node_rows.as_array().at(0).as_object();
  CHECK(b.at("duration_ms").to_number<double>() == 400);
  CHECK(b.at("error_message").as_string() == "Disk FULL");
  for (const char* write : {"DELETE FROM event_log", "DROP VIEW runs", "CREATE TABLE x(y)",
                            "ATTACH DATABASE 'other.db' AS o", "SELECT 1; DELETE FROM event_log"}) {
    INFO(write);
    auto refused = RunCli({"--db", f.db, "query", write});
    CHECK(refused.exit_code != 0);
  }
  auto still = RunCli({"--db", f.db, "query", "SELECT count(*) AS n FROM events", "--json"});
  REQUIRE(still.exit_code == 0);
  boost::json::value count = boost::json::parse(still.out);
  CHECK(count.as_array().at(0).as_object().at("n").as_int64() == 26);
  CHECK(RunCli({"--db", f.db, "query", "SELECT nonsense FROM nowhere"}).exit_code == 3);
}

TEST_CASE("reindex rebuilds the same summaries", "[reindex]") {
  Fixture f;
  std::vector<std::string> query{
      "--db", f.db, "query", "SELECT * FROM node_runs ORDER BY execution_id, position", "--json"};
  auto before = RunCli(query);
  auto listed = RunCli({"--db", f.db, "list", "--json"});
  auto rebuilt = RunCli({"--db", f.db, "reindex"});
  REQUIRE(rebuilt.exit_code == 0);
  CHECK(rebuilt.out.find("26 events") != std::string::npos);
  CHECK(RunCli(query).out == before.out);
  CHECK(RunCli({"--db", f.db, "list", "--json"}).out == listed.out);
}

}  // namespace
}  // namespace extrace
