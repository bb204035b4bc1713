// Stores nobody should have, read anyway: a graph 100,000 nodes wide, groups
// nested 5,000 deep, a value longer than any extrace writes. Each command
// answers in bounded time and memory or refuses in one line; none crashes.
#include <fmt/format.h>
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <string>

#include "test_support.h"

namespace extrace {
namespace {

using testing::RunCli;
using testing::TempDir;

constexpr int64_t kT0 = 1'800'000'000'000;

// One run whose `nodes` are a root and `count` more: children of the root
// (wide), or each the child of the one before (deep); each node completes.
std::string Graph(const std::string& id, int count, bool deep) {
  std::string nodes = R"([{"id":"n0","name":"N0","type":"group"})";
  for (int i = 1; i <= count; ++i)
    nodes += fmt::format(R"(,{{"id":"n{}","name":"N","type":"{}","parentId":"n{}"}})", i,
                         deep ? "group" : "t", deep ? i - 1 : 0);
  nodes += "]";
  std::string out = fmt::format(
      R"({{"executionId":"{}","seq":1,"timestamp":{},"type":"started","data":{{"rootNodeId":"n0","nodes":{}}}}})"
      "\n",
      id, kT0, nodes);
  for (int i = 1; i <= count; ++i)
    out += fmt::format(
        R"({{"executionId":"{}","seq":{},"timestamp":{},"type":"state-change","nodeId":"n{}","data":{{"state":"completed"}}}})"
        "\n",
        id, i + 1, kT0 + i, i);
  out += fmt::format(R"({{"executionId":"{}","seq":{},"timestamp":{},"type":"completed"}})"
                     "\n",
                     id, count + 2, kT0 + count + 1);
  return out;
}

void EveryCommandAnswers(const std::string& db, const std::string& id, const TempDir& dir) {
  for (const std::vector<std::string>& command :
       {std::vector<std::string>{"show", id},
        {"show", id, "--json"},
        {"show", id, "--timeline"},
        {"bottlenecks", id},
        {"compare", id, id},
        {"history", "n0"},
        {"events", id},
        {"report", id, "-o", dir.File("r.html")},
        {"export", id, "--format", "chrome", "-o", dir.File("c.json")},
        {"export", id, "--format", "otlp", "-o", dir.File("o.json")}}) {
    std::vector<std::string> args{"--db", db};
    args.insert(args.end(), command.begin(), command.end());
    auto result = RunCli(args);
    INFO(command.front() << " " << command.back() << ": " << result.err.substr(0, 300));
    CHECK(result.exit_code == 0);
  }
}

TEST_CASE("a graph 100,000 nodes wide is shown, reported and exported", "[crafted][sqlite-only]") {
  TempDir dir;
  const std::string db = dir.File("wide.db");
  REQUIRE(RunCli({"--db", db, "ingest"}, Graph("wide", 100000, false)).exit_code == 0);
  EveryCommandAnswers(db, "wide", dir);
}

TEST_CASE("groups nested 5,000 deep are shown, reported and exported", "[crafted][sqlite-only]") {
  TempDir dir;
  const std::string db = dir.File("deep.db");
  REQUIRE(RunCli({"--db", db, "ingest"}, Graph("deep", 5000, true)).exit_code == 0);
  EveryCommandAnswers(db, "deep", dir);
  // Nesting past the projector's bound is cut there and said, not followed.
  auto shown = RunCli({"--db", db, "show", "deep", "--json"});
  REQUIRE(shown.exit_code == 0);
  CHECK(shown.out.find("deeper than") != std::string::npos);
}

TEST_CASE("a value longer than extrace writes is refused in one line, the rest still read",
          "[crafted][sqlite-only]") {
  TempDir dir;
  const std::string db = dir.File("long.db");
  REQUIRE(
      RunCli({"--db", db, "ingest"}, Graph("long", 3, false) + Graph("fine", 3, false)).exit_code ==
      0);
  {
    sqlite3* raw = nullptr;
    REQUIRE(sqlite3_open(db.c_str(), &raw) == SQLITE_OK);
    // 80 MiB of error message in run "long"'s event 3, as the payload's whole text.
    const char* craft =
        "UPDATE event_log SET layout = NULL, data = '{\"state\":\"error\",\"errorMessage\":\"' "
        "|| replace(hex(zeroblob(41943040)), '0', 'x') || '\"}' WHERE seq = 3 AND execution = "
        "(SELECT id FROM executions WHERE execution_id = 'long')";
    char* message = nullptr;
    int rc = sqlite3_exec(raw, craft, nullptr, nullptr, &message);
    INFO((message ? message : ""));
    sqlite3_free(message);
    sqlite3_close(raw);
    REQUIRE(rc == SQLITE_OK);
  }
  auto shown = RunCli({"--db", db, "show", "long"});
  CHECK(shown.exit_code == 9);
  CHECK(shown.err == fmt::format("extrace show: {}: reading events: string or blob too big (the "
                                 "file is not an extrace database, or is damaged)\n",
                                 db));
  CHECK(RunCli({"--db", db, "show", "fine"}).exit_code == 0);
  CHECK(RunCli({"--db", db, "list"}).exit_code == 0);
}

}  // namespace
}  // namespace extrace
