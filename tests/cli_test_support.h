// What the CLI tests share: event lines of a small run (root "flow" with
// leaves a and b), the CLI on a store in a temporary folder, and reading its
// answers back (list --json, line counts, raw SQL).
#pragma once

#include <signal.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "format/event_json.h"
#include "storage/event_store.h"
#include "test_support.h"

namespace extrace::cli_test {

using testing::ProcessResult;
using testing::RunCli;
using testing::RunProcess;

// A child that exits before reading all its input (a refused database) must
// not kill the test with SIGPIPE: RunProcess's writer then just stops.
// Internal linkage: every file that includes this header ignores it at start-up.
const bool kSigpipeIgnored = signal(SIGPIPE, SIG_IGN) != SIG_ERR;

// A started line for run `id`: root "flow" with leaf nodes a and b.
inline std::string StartedLine(const std::string& id, int seq, const std::string& ts,
                               const std::string& extra = "") {
  return R"({"executionId":")" + id + R"(","seq":)" + std::to_string(seq) + R"(,"timestamp":)" +
         ts + R"(,"type":"started","data":{"rootNodeId":"flow",)" + extra +
         R"("nodes":[{"id":"flow","name":"Flow","type":"group"},)"
         R"({"id":"a","name":"A","type":"t","parentId":"flow"},)"
         R"({"id":"b","name":"B","type":"t","parentId":"flow"}]}})";
}

inline std::string StateLine(const std::string& id, int seq, const std::string& ts,
                             const std::string& node, const std::string& state) {
  return R"({"executionId":")" + id + R"(","seq":)" + std::to_string(seq) + R"(,"timestamp":)" +
         ts + R"(,"type":"state-change","nodeId":")" + node + R"(","data":{"state":")" + state +
         "\"}}";
}

inline std::string CompletedLine(const std::string& id, int seq, const std::string& ts) {
  return R"({"executionId":")" + id + R"(","seq":)" + std::to_string(seq) + R"(,"timestamp":)" +
         ts + R"(,"type":"completed"})";
}

// A finished run of five events.
inline std::string FullRun(const std::string& id) {
  return StartedLine(id, 1, "1759900000000") + "\n" +
         StateLine(id, 2, "1759900000010", "a", "executing") + "\n" +
         StateLine(id, 3, "1759900000020", "a", "completed") + "\n" +
         StateLine(id, 4, "1759900000021", "b", "skipped") + "\n" +
         CompletedLine(id, 5, "1759900000030") + "\n";
}

inline ProcessResult Cli(const std::string& db, std::vector<std::string> args,
                         const std::string& input = "") {
  args.insert(args.begin(), {"--db", db});
  return RunCli(args, input);
}

// Fails the test unless the command succeeded; returns its stdout.
inline std::string CliOk(const std::string& db, const std::vector<std::string>& args,
                         const std::string& input = "") {
  ProcessResult result = Cli(db, args, input);
  INFO("stderr: " << result.err);
  REQUIRE(result.exit_code == 0);
  return result.out;
}

inline boost::json::array ListJson(const std::string& db) {
  return boost::json::parse(CliOk(db, {"list", "--json"})).as_array();
}

// The run's eventCount as `list --json` reports it; 0 when it is not listed.
inline int64_t EventCount(const std::string& db, const std::string& id) {
  for (const auto& run : ListJson(db))
    if (run.at("executionId").as_string() == id) return run.at("eventCount").to_number<int64_t>();
  return 0;
}

inline size_t LineCount(const std::string& text) {
  return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
}

inline std::string Sqlite(const std::string& db, const std::string& sql) {
  ProcessResult result = RunProcess("/usr/bin/sqlite3", {db, sql});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  return result.out;
}

}  // namespace extrace::cli_test
