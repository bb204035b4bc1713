// The CLI on pipes and on a pseudo-terminal: `extrace show --timeline` without
// escapes on a pipe or with NO_COLOR, and `extrace ingest`'s progress line on a
// terminal, nothing at all on stderr when it is not one.
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "extrace/trace.h"
#include "render/terminal_timeline.h"
#include "terminal_test_support.h"
#include "test_support.h"
#include "tools/progress_line.h"

extern char** environ;

namespace extrace {
namespace {

using Catch::Matchers::Contains;
using terminal_test::CodePoints;
using terminal_test::Lines;
using terminal_test::StripAnsi;
using testing::ChildProcess;
using testing::ProcessResult;
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
  // Everything the child needs is built before fork: after it, only exec.
  std::vector<std::string> environment;
  for (char** e = environ; *e; ++e) environment.emplace_back(*e);
  for (const auto& change : env) {
    std::string name = change.substr(0, change.find('='));
    std::erase_if(environment, [&](const std::string& entry) {
      return entry.compare(0, name.size() + 1, name + "=") == 0;
    });
    if (change.find('=') != std::string::npos) environment.push_back(change);
  }
  std::vector<char*> envp;
  for (auto& entry : environment) envp.push_back(entry.data());
  envp.push_back(nullptr);
  std::string program = EXTRACE_CLI;
  std::vector<char*> argv = {program.data()};
  std::vector<std::string> owned = args;
  for (auto& arg : owned) argv.push_back(arg.data());
  argv.push_back(nullptr);

  int input[2];
  REQUIRE(pipe2(input, O_CLOEXEC) == 0);
  winsize size{};
  size.ws_row = 40;
  size.ws_col = columns;
  int master = -1;
  pid_t pid = forkpty(&master, nullptr, nullptr, &size);
  REQUIRE(pid >= 0);
  if (pid == 0) {
    dup2(input[0], STDIN_FILENO);
    execve(program.c_str(), argv.data(), envp.data());
    _exit(127);
  }
  close(input[0]);
  std::thread feeder([&] {
    feed(input[1]);
    close(input[1]);
  });
  PtyResult result;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  char buffer[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd fd{master, POLLIN, 0};
    if (poll(&fd, 1, 100) <= 0) continue;
    ssize_t n = read(master, buffer, sizeof buffer);
    if (n <= 0) break;  // EIO: the child closed the terminal's last slave side
    result.output.append(buffer, static_cast<size_t>(n));
  }
  feeder.join();
  close(master);
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
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
  std::string db = dir.File("trace.db");
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
  std::string db = dir.File("trace.db");
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
  std::string db = dir.File("trace.db");
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
  std::string db = dir.File("trace.db");
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
