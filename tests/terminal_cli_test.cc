// The CLI on pipes and on a pseudo-terminal: `extrace show --timeline` without
// escapes on a pipe or with NO_COLOR, and `extrace ingest`'s progress line on a
// terminal, nothing at all on stderr when it is not one.
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "extrace/trace.h"
#include "pty_process.h"
#include "render/terminal_timeline.h"
#include "terminal_test_support.h"
#include "test_support.h"
#include "tools/progress_line.h"

namespace extrace {
namespace {

using Catch::Matchers::Contains;
using terminal_test::CodePoints;
using terminal_test::Lines;
using terminal_test::StripAnsi;
using testing::ChildProcess;
using testing::ProcessResult;
using testing::PtyProcess;
using testing::RunCliWithEnv;
using testing::TempDir;
using testing::WriteFile;

// A child that stops reading its input must not kill the test with SIGPIPE.
const bool kSigpipeIgnored = signal(SIGPIPE, SIG_IGN) != SIG_ERR;

std::string StartedLine(const std::string& id, int seq, const std::string& ts) {
  return R"({"executionId":")" + id + R"(","seq":)" + std::to_string(seq) + R"(,"timestamp":)" +
         ts +
         R"(,"type":"started","data":{"rootNodeId":"flow","nodes":[)"
         R"({"id":"flow","name":"Flow","type":"group"},)"
         R"({"id":"a","name":"A","type":"t","parentId":"flow"},)"
         R"({"id":"b","name":"B","type":"t","parentId":"flow"}]}})";
}

std::string StateLine(const std::string& id, int seq, const std::string& ts,
                      const std::string& node, const std::string& state) {
  return R"({"executionId":")" + id + R"(","seq":)" + std::to_string(seq) + R"(,"timestamp":)" +
         ts + R"(,"type":"state-change","nodeId":")" + node + R"(","data":{"state":")" + state +
         "\"}}";
}

// A run where b fails: five events.
std::string FailedRun(const std::string& id) {
  return StartedLine(id, 1, "1759900000000") + "\n" +
         StateLine(id, 2, "1759900000010", "a", "executing") + "\n" +
         StateLine(id, 3, "1759900000020", "a", "completed") + "\n" +
         StateLine(id, 4, "1759900000021", "b", "executing") + "\n" +
         StateLine(id, 5, "1759900000040", "b", "error") + "\n" + R"({"executionId":")" + id +
         R"(","seq":6,"timestamp":1759900000041,"type":"error","data":{"message":"b failed"}})" +
         "\n";
}

struct PtyResult {
  int exit_code = -1;
  std::string output;  // what the terminal received: stdout and stderr
};

// Runs the CLI with stdout and stderr on a new pseudo-terminal `columns`
// wide, its environment changed by `env` ("NAME=value" sets, "NAME" removes),
// and standard input a pipe that `feed` writes (then it is closed).
PtyResult RunCliOnPty(const std::vector<std::string>& args, const std::vector<std::string>& env,
                      const std::function<void(int)>& feed, unsigned short columns = 120) {
  PtyProcess process(args, env, columns);
  std::thread feeder([&] {
    feed(process.input());
    process.CloseInput();
  });
  process.ReadToEnd(std::chrono::seconds(120));
  feeder.join();
  PtyResult result;
  result.exit_code = process.Wait();
  result.output = process.output();
  return result;
}

void WriteAll(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

void NoInput(int) {}

TEST_CASE("show --timeline on a pipe or with NO_COLOR has no escapes", "[timeline][cli]") {
  TempDir dir;
  std::string db = dir.Store("trace.db");
  WriteFile(dir.File("run.jsonl"), FailedRun("run-1"));
  ProcessResult ingest = RunCliWithEnv({"--db", db, "ingest", dir.File("run.jsonl")}, {});
  REQUIRE(ingest.exit_code == 0);

  SECTION("stdout a pipe, NO_COLOR unset, COLUMNS sets the width") {
    ProcessResult show =
        RunCliWithEnv({"--db", db, "show", "run-1", "--timeline"}, {"NO_COLOR", "COLUMNS=64"});
    INFO(show.out << show.err);
    REQUIRE(show.exit_code == 0);
    CHECK(show.out.find('\x1b') == std::string::npos);
    CHECK_THAT(show.out,
               Contains("A (a)") && Contains("B (b)") && Contains("✗") && Contains("status error"));
    for (const auto& line : Lines(show.out))
      if (line.find("│") != std::string::npos) CHECK(CodePoints(line).size() == 64);
  }
  SECTION("stdout a terminal, NO_COLOR set") {
    PtyResult show =
        RunCliOnPty({"--db", db, "show", "run-1", "--timeline"}, {"NO_COLOR=1"}, NoInput, 90);
    INFO(show.output);
    REQUIRE(show.exit_code == 0);
    CHECK_THAT(show.output, Contains("B (b)") && Contains("✗"));
    CHECK(show.output.find('\x1b') == std::string::npos);
  }
  SECTION("stdout a terminal: colours, and the terminal's width") {
    PtyResult show = RunCliOnPty({"--db", db, "show", "run-1", "--timeline"},
                                 {"NO_COLOR", "COLUMNS=200"}, NoInput, 90);
    INFO(show.output);
    REQUIRE(show.exit_code == 0);
    CHECK_THAT(show.output, Contains("\x1b[31m") && Contains("\x1b[32m"));
    for (auto line : Lines(StripAnsi(show.output))) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.find("│") != std::string::npos) CHECK(CodePoints(line).size() == 90);
    }
  }
}

// Many small runs of five events as JSON Lines.
std::string ManyRuns(int first, int count) {
  std::string text;
  for (int i = first; i < first + count; ++i) text += FailedRun("bulk-" + std::to_string(i));
  return text;
}

TEST_CASE("ingest on a terminal shows a progress line on stderr", "[progress][cli]") {
  TempDir dir;
  std::string db = dir.Store("trace.db");
  // Half the input, a pause longer than the line's first delay, then the rest:
  // the events after the pause are drawn, however fast the machine.
  PtyResult result = RunCliOnPty({"--db", db, "ingest", "--durability-normal"}, {}, [](int fd) {
    WriteAll(fd, ManyRuns(0, 200));
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
    WriteAll(fd, ManyRuns(200, 200));
  });
  INFO(result.output);
  REQUIRE(result.exit_code == 0);
  CHECK_THAT(result.output, Contains("\ringest: ") && Contains(" events") && Contains("events/s") &&
                                Contains("\x1b[K"));
  // The line is erased before the summary, which stands alone on its line.
  size_t summary = result.output.find("stored 2400 events, 0 duplicates");
  REQUIRE(summary != std::string::npos);
  CHECK(result.output.rfind("\r\x1b[K", summary) != std::string::npos);
  CHECK(result.output.substr(0, summary).ends_with("\r\x1b[K"));
}

TEST_CASE("ingest with stderr not a terminal writes nothing there", "[progress][cli]") {
  TempDir dir;
  std::string db = dir.Store("trace.db");
  ChildProcess child(EXTRACE_CLI, {"--db", db, "ingest", "--durability-normal"});
  child.Write(ManyRuns(0, 200));
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  child.Write(ManyRuns(200, 200));
  child.CloseStdin();
  CHECK(child.ReadLine(std::chrono::seconds(120)) == "stored 2400 events, 0 duplicates");
  CHECK(child.Wait() == 0);
  CHECK(child.Err().empty());
}

TEST_CASE("ingest on a terminal erases the line before an error", "[progress][cli]") {
  TempDir dir;
  std::string db = dir.Store("trace.db");
  PtyResult result = RunCliOnPty({"--db", db, "ingest", "--durability-normal"}, {}, [](int fd) {
    WriteAll(fd, ManyRuns(0, 200));
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
    WriteAll(fd, ManyRuns(200, 10) + "{not json\n");
  });
  INFO(result.output);
  CHECK(result.exit_code == 3);
  size_t error = result.output.find("line 1261:");
  REQUIRE(error != std::string::npos);
  CHECK(result.output.substr(0, error).ends_with("\r\x1b[K"));
}

}  // namespace
}  // namespace extrace
