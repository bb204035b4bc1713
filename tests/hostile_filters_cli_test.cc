// Filters match what they are given literally: SQL metacharacters, LIKE's
// % and _, quotes and backslashes in ids, flows, node ids, error texts and id
// prefixes select exactly the runs that hold that text, on both backends.
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

// `text` as a JSON string, quotes and escapes included.
std::string Quoted(const std::string& text) {
  return boost::json::serialize(boost::json::value(text));
}

// A run of flow `flow` whose node `node` ends in error with `message`.
std::string FailedRun(const std::string& id, const std::string& flow, const std::string& node,
                      const std::string& message, int64_t start) {
  const std::string head = fmt::format(R"("executionId":{},"seq")", Quoted(id));
  return fmt::format(
             R"({{{0}:1,"timestamp":{1},"type":"started","data":{{"rootNodeId":{2},"nodes":[{{"id":{2},"name":"F","type":"group"}},{{"id":{3},"name":"N","type":"t","parentId":{2}}}]}}}})"
             "\n",
             head, start, Quoted(flow), Quoted(node)) +
         fmt::format(
             R"({{{0}:2,"timestamp":{1},"type":"state-change","nodeId":{2},"data":{{"state":"executing"}}}})"
             "\n"
             R"({{{0}:3,"timestamp":{3},"type":"state-change","nodeId":{2},"data":{{"state":"error","errorMessage":{4}}}}})"
             "\n"
             R"({{{0}:4,"timestamp":{5},"type":"error","data":{{"message":{4}}}}})"
             "\n",
             head, start + 1, Quoted(node), start + 5, Quoted(message), start + 6);
}

struct Store {
  TempDir dir;
  std::string db = dir.Store("hostile.db");

  std::vector<std::string> Ids(std::vector<std::string> args) {
    args.insert(args.begin(), {"--db", db, "list", "--json"});
    auto result = RunCli(args);
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    std::vector<std::string> ids;
    const boost::json::value runs = boost::json::parse(result.out);
    for (const auto& run : runs.as_array())
      ids.emplace_back(run.as_object().at("executionId").as_string());
    std::sort(ids.begin(), ids.end());
    return ids;
  }
};

TEST_CASE("list filters match %, _, quotes and SQL text literally", "[list]") {
  Store s;
  const int64_t t0 = 1'800'000'000'000;
  std::string events =
      FailedRun("r%1", "f%", "n_1", "50% done", t0) +
      FailedRun("rx1", "fx", "nx1", "500 done", t0 + 1000) +
      FailedRun("r_2", "f_", "n%2", "it's \"quoted\" \\ here", t0 + 2000) +
      FailedRun("r'3", "f'; DROP TABLE runs; --", "n'3", "x' OR '1'='1", t0 + 3000) +
      FailedRun("plain", "flow", "node", "Disk full", t0 + 4000);
  auto ingested = RunCli({"--db", s.db, "ingest"}, events);
  INFO(ingested.err);
  REQUIRE(ingested.exit_code == 0);
  using V = std::vector<std::string>;
  CHECK(s.Ids({"--flow", "f%"}) == V{"r%1"});
  CHECK(s.Ids({"--flow", "f_"}) == V{"r_2"});
  // No flow is named "%": as for any unknown flow, exit 5.
  CHECK(RunCli({"--db", s.db, "list", "--flow", "%"}).exit_code == 5);
  CHECK(s.Ids({"--flow", "f'; DROP TABLE runs; --"}) == V{"r'3"});
  CHECK(s.Ids({"--node", "n_1"}) == V{"r%1"});
  CHECK(s.Ids({"--node", "n%2"}) == V{"r_2"});
  CHECK(s.Ids({"--node", "n%"}).empty());
  CHECK(s.Ids({"--node", "n'3", "--state", "error"}) == V{"r'3"});
  CHECK(s.Ids({"--error", "50%"}) == V{"r%1"});
  CHECK(s.Ids({"--error", "0_ d"}).empty());
  CHECK(s.Ids({"--error", "%"}) == V{"r%1"});
  CHECK(s.Ids({"--error", "_"}).empty());
  CHECK(s.Ids({"--error", "\"quoted\" \\"}) == V{"r_2"});
  CHECK(s.Ids({"--error", "' OR '1'='1"}) == V{"r'3"});
  CHECK(s.Ids({"--error", "DISK"}) == V{"plain"});  // any case, still literal
  // The statement text did not run: every run is still there.
  CHECK(s.Ids({}).size() == 5);
  // Id prefixes are literal too: "r_" is r_2 alone, "r%" r%1 alone.
  auto shown = RunCli({"--db", s.db, "show", "r_", "--json"});
  REQUIRE(shown.exit_code == 0);
  CHECK(boost::json::parse(shown.out).as_object().at("executionId") == "r_2");
  shown = RunCli({"--db", s.db, "show", "r%", "--json"});
  REQUIRE(shown.exit_code == 0);
  CHECK(boost::json::parse(shown.out).as_object().at("executionId") == "r%1");
  CHECK(RunCli({"--db", s.db, "show", "%"}).exit_code == 5);
  auto flow_history = RunCli({"--db", s.db, "history", "f%", "--json"});
  INFO(flow_history.err);
  REQUIRE(flow_history.exit_code == 0);
  CHECK(flow_history.out.find("rx1") == std::string::npos);
  CHECK(flow_history.out.find("r%1") != std::string::npos);
}

}  // namespace
}  // namespace extrace
