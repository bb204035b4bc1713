// Tests of the terminal timeline (render/terminal_timeline.h, `extrace show
// --timeline`) and of the progress line (tools/progress_line.h, `extrace
// ingest` on a terminal): widths, bar positions, colour only where wanted, and
// nothing at all on stderr when it is not a terminal.
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "extrace/trace.h"
#include "render/terminal_timeline.h"
#include "test_support.h"
#include "tools/progress_line.h"

extern char** environ;

namespace extrace {
namespace {

using Catch::Matchers::Contains;
using testing::ChildProcess;
using testing::ProcessResult;
using testing::RunCliWithEnv;
using testing::TempDir;
using testing::WriteFile;

// A child that stops reading its input must not kill the test with SIGPIPE.
const bool kSigpipeIgnored = signal(SIGPIPE, SIG_IGN) != SIG_ERR;

constexpr int64_t kT0 = 1'759'900'000'000'000;  // run start, microseconds
constexpr int64_t kMs = 1000;

NodeTrace Node(std::string id, NodeState state, int64_t start_ms, std::optional<int64_t> end_ms) {
  NodeTrace node;
  node.node_name = id == "g2" ? "Broken step" : "Node " + id;
  node.node_id = std::move(id);
  node.node_type = "t";
  node.state = state;
  node.start_us = start_ms < 0 ? 0 : kT0 + start_ms * kMs;
  if (end_ms) node.end_us = kT0 + *end_ms * kMs;
  if (start_ms >= 0 && end_ms) node.duration_us = (*end_ms - start_ms) * kMs;
  node.events.push_back({node.start_us != 0 ? node.start_us : kT0, EventType::kStateChange, "{}"});
  return node;
}

// An incomplete run whose log stops at +800 ms: a leaf, a group with an error,
// a group holding a child run with an open node, a skipped and a pending node.
ExecutionTrace SampleTrace() {
  ExecutionTrace trace;
  trace.execution_id = "run-1";
  trace.root_node_id = "flow";
  trace.start_us = kT0;
  trace.status = RunStatus::kIncomplete;
  trace.events.push_back({kT0, EventType::kStarted, "{}"});
  trace.events.push_back({kT0 + 800 * kMs, EventType::kProgress, "{}"});

  NodeTrace g = Node("g", NodeState::kError, 200, 600);
  g.has_child_traces = true;
  g.child_traces.push_back(Node("g1", NodeState::kCompleted, 200, 400));
  g.child_traces.push_back(Node("g2", NodeState::kError, 400, 600));

  NodeTrace child_run = Node("validation", NodeState::kExecuting, 300, std::nullopt);
  child_run.child_execution_id = "run-1-child";
  child_run.has_child_traces = true;
  child_run.child_traces.push_back(Node("c1", NodeState::kCompleted, 300, 500));
  child_run.child_traces.push_back(Node("c2", NodeState::kExecuting, 500, std::nullopt));
  NodeTrace v = Node("v", NodeState::kExecuting, 300, std::nullopt);
  v.has_child_traces = true;
  v.child_traces.push_back(std::move(child_run));

  trace.nodes.push_back(Node("a", NodeState::kCompleted, 0, 200));
  trace.nodes.push_back(std::move(g));
  trace.nodes.push_back(std::move(v));
  trace.nodes.push_back(Node("s", NodeState::kSkipped, -1, 100));
  trace.nodes.push_back(Node("p", NodeState::kPending, -1, std::nullopt));
  return trace;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t from = 0;
  while (from < text.size()) {
    size_t end = text.find('\n', from);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(from, end - from));
    from = end + 1;
  }
  return lines;
}

// The UTF-8 code points of `line`, one string each.
std::vector<std::string> CodePoints(const std::string& line) {
  std::vector<std::string> points;
  for (char c : line) {
    if ((static_cast<unsigned char>(c) & 0xC0) == 0x80 && !points.empty())
      points.back() += c;
    else
      points.emplace_back(1, c);
  }
  return points;
}

std::string StripAnsi(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\x1b' && i + 1 < text.size() && text[i + 1] == '[') {
      i += 2;
      while (i < text.size() && !(text[i] >= '@' && text[i] <= '~')) ++i;
      continue;
    }
    out += text[i];
  }
  return out;
}

// The row whose name column starts with `name` (after indentation).
std::vector<std::string> RowOf(const std::string& chart, const std::string& name) {
  for (const auto& line : Lines(chart)) {
    size_t at = line.find_first_not_of(' ');
    if (at != std::string::npos && line.compare(at, name.size(), name) == 0)
      return CodePoints(line);
  }
  FAIL("no row for " << name << " in\n" << chart);
  return {};
}

// The bar cells of a row: the code points between its two '│' borders.
std::vector<std::string> BarCells(const std::vector<std::string>& row) {
  auto left = std::find(row.begin(), row.end(), "│");
  REQUIRE(left != row.end());
  auto right = std::find(left + 1, row.end(), "│");
  REQUIRE(right != row.end());
  return {left + 1, right};
}

// The bar of a node from `from_ms` to `to_ms` on the 800 ms axis covers
// exactly the cells it should: full blocks inside, nothing outside.
void CheckBar(const std::vector<std::string>& cells, int64_t from_ms, int64_t to_ms) {
  auto n = static_cast<int64_t>(cells.size());
  int64_t from8 = std::llround(static_cast<double>(from_ms) / 800.0 * static_cast<double>(n) * 8);
  int64_t to8 = std::llround(static_cast<double>(to_ms) / 800.0 * static_cast<double>(n) * 8);
  int64_t first = from8 / 8, last = (to8 - 1) / 8;
  INFO("cells " << n << ", bar expected in cells " << first << ".." << last);
  for (int64_t i = 0; i < n; ++i) {
    const std::string& cell = cells[static_cast<size_t>(i)];
    if (i < first || i > last)
      CHECK(cell == " ");
    else if (i > first && i < last)
      CHECK(cell == "█");
    else
      CHECK(cell != " ");
  }
}

TEST_CASE("timeline lines never exceed the width", "[timeline]") {
  ExecutionTrace trace = SampleTrace();
  trace.nodes[0].node_name = "A node with a name far longer than any column should hold, really";
  int width = GENERATE(40, 52, 60, 80, 100, 137, 200);
  bool colour = GENERATE(false, true);
  INFO("width " << width << " colour " << colour);
  std::string chart = RenderTerminalTimeline(trace, width, colour);
  for (const auto& line : Lines(StripAnsi(chart))) {
    INFO(line);
    CHECK(CodePoints(line).size() <= static_cast<size_t>(width));
  }
  // Bars fill the room: the rows are as wide as the width.
  CHECK(CodePoints(StripAnsi(Lines(chart)[2])).size() == static_cast<size_t>(width));
}

TEST_CASE("timeline narrower than the minimum is drawn at the minimum", "[timeline]") {
  std::string chart = RenderTerminalTimeline(SampleTrace(), 10, false);
  for (const auto& line : Lines(chart))
    CHECK(CodePoints(line).size() <= static_cast<size_t>(kMinTimelineWidth));
}

TEST_CASE("timeline bars sit at the nodes' times", "[timeline]") {
  int width = GENERATE(60, 80, 101, 160);
  INFO("width " << width);
  std::string chart = RenderTerminalTimeline(SampleTrace(), width, false);
  INFO(chart);
  CheckBar(BarCells(RowOf(chart, "Node a")), 0, 200);
  CheckBar(BarCells(RowOf(chart, "Node g ")), 200, 600);
  CheckBar(BarCells(RowOf(chart, "Node g1")), 200, 400);
  CheckBar(BarCells(RowOf(chart, "Broken step")), 400, 600);
  CheckBar(BarCells(RowOf(chart, "Node c1")), 300, 500);
  // Open nodes extend to the last event (+800 ms, the end of the axis).
  CheckBar(BarCells(RowOf(chart, "Node c2")), 500, 800);
  CheckBar(BarCells(RowOf(chart, "Node validation")), 300, 800);
  // A node that never ran has no bar.
  for (const auto& cell : BarCells(RowOf(chart, "Node s"))) CHECK(cell == " ");
  for (const auto& cell : BarCells(RowOf(chart, "Node p"))) CHECK(cell == " ");
}

TEST_CASE("timeline rows: tree order, nesting, markers and durations", "[timeline]") {
  std::string chart = RenderTerminalTimeline(SampleTrace(), 100, false);
  INFO(chart);
  std::vector<std::string> lines = Lines(chart);
  REQUIRE(lines.size() >= 12);
  // Axis: from 0 to the last event, with the end's duration at the right edge.
  CHECK(lines[0].find('0') != std::string::npos);
  CHECK(lines[0].size() >= 6);
  CHECK(lines[0].compare(lines[0].size() - 6, 6, "800 ms") == 0);
  CHECK_THAT(lines[1], Contains("├") && Contains("┬") && Contains("┤"));
  std::vector<std::string> order = {
      "Node a (a)",         "Node g (g)",       "  Node g1 (g1)",
      "  Broken step (g2)", "Node v (v)",       "  Node validation (validation) [child run]",
      "    Node c1 (c1)",   "    Node c2 (c2)", "Node s (s)",
      "Node p (p)"};
  for (size_t i = 0; i < order.size(); ++i) CHECK(lines[i + 2].starts_with(order[i] + " "));
  // After the bars: the marker, then the duration right-aligned to "≥ 500 ms".
  auto tail = [](const std::string& line) { return line.substr(line.rfind("│") + 3); };
  CHECK(tail(lines[2]) == "     200 ms");  // no marker: completed
  CHECK(tail(lines[5]) == " ✗   200 ms");
  CHECK(tail(lines[7]) == " … ≥ 500 ms");
  CHECK_THAT(lines[9], Contains("│ … ") && Contains("≥ 300 ms"));
  CHECK_THAT(lines[10], Contains("│ ~ "));
  CHECK_THAT(lines[11], Contains("│ · "));
  CHECK_THAT(chart, Contains("no end"));
  CHECK_THAT(chart, Contains("✗ error") && Contains("~ skipped") && Contains("… open") &&
                        Contains("· pending"));
}

TEST_CASE("timeline has ANSI colours only when asked", "[timeline]") {
  std::string plain = RenderTerminalTimeline(SampleTrace(), 90, false);
  CHECK(plain.find('\x1b') == std::string::npos);
  std::string coloured = RenderTerminalTimeline(SampleTrace(), 90, true);
  CHECK_THAT(coloured, Contains("\x1b[31m") && Contains("\x1b[32m") && Contains("\x1b[33m") &&
                           Contains("\x1b[0m"));
  // Colour changes nothing but the escapes.
  CHECK(StripAnsi(coloured) == plain);
}

TEST_CASE("timeline of a completed run ends at its end", "[timeline]") {
  ExecutionTrace trace;
  trace.execution_id = "done";
  trace.start_us = kT0;
  trace.end_us = kT0 + 2'000'000;
  trace.duration_us = 2'000'000;
  trace.status = RunStatus::kCompleted;
  trace.nodes.push_back(Node("x", NodeState::kCompleted, 500, 1500));
  std::string chart = RenderTerminalTimeline(trace, 80, false);
  INFO(chart);
  CHECK(Lines(chart)[0].ends_with("2 s"));
  CHECK_THAT(chart, !Contains("no end") && !Contains("error"));
  std::vector<std::string> cells = BarCells(RowOf(chart, "Node x"));
  auto n = static_cast<int64_t>(cells.size());
  int64_t from8 = std::llround(0.25 * static_cast<double>(n) * 8);
  int64_t to8 = std::llround(0.75 * static_cast<double>(n) * 8);
  CHECK(cells[static_cast<size_t>(from8 / 8 - 1)] == " ");
  CHECK(cells[static_cast<size_t>(from8 / 8 + 1)] == "█");
  CHECK(cells[static_cast<size_t>((to8 - 1) / 8 + 1)] == " ");
}

// ---- the CLI, on pipes and on a pseudo-terminal ----

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

TEST_CASE("progress line: text, rate limit, finish", "[progress]") {
  int master = -1, slave = -1;
  winsize size{};
  size.ws_row = 24;
  size.ws_col = 100;
  REQUIRE(openpty(&master, &slave, nullptr, nullptr, &size) == 0);
  auto read_all = [&] {
    std::string text;
    char buffer[4096];
    pollfd fd{master, POLLIN, 0};
    while (poll(&fd, 1, 50) > 0) {
      ssize_t n = read(master, buffer, sizeof buffer);
      if (n <= 0) break;
      text.append(buffer, static_cast<size_t>(n));
    }
    return text;
  };
  {
    cli::ProgressOptions options;
    options.fd = slave;
    options.first_delay = std::chrono::milliseconds(0);
    options.interval = std::chrono::hours(1);
    cli::ProgressLine line("load", options);
    REQUIRE(line.active());
    line.SetTotalBytes(4000);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    line.Update(1234567, 1000);
    line.Update(1234568, 2000);  // within the interval: not drawn
    std::string drawn = read_all();
    CHECK(drawn.starts_with("\rload: 1,234,567 events  "));
    CHECK_THAT(drawn, Contains("events/s  25% of 3.9 KiB  ETA "));
    CHECK(drawn.ends_with("\x1b[K"));
    CHECK(drawn.find("1,234,568") == std::string::npos);
    line.Finish();
    CHECK(read_all() == "\r\x1b[K");
    line.Update(2000000, 3000);  // after Finish: nothing
  }
  CHECK(read_all().empty());  // the destructor has nothing more to erase

  SECTION("events total: the percentage follows events") {
    cli::ProgressOptions options;
    options.fd = slave;
    cli::ProgressLine line("reindex", options);
    line.SetTotalEvents(400);
    std::string text = line.Text(100, 0);
    CHECK(text.starts_with("reindex: 100 / 400 events"));
    CHECK_THAT(text, Contains("  25%"));
  }
  SECTION("never wider than the terminal, less one column") {
    cli::ProgressOptions options;
    options.fd = slave;
    options.first_delay = std::chrono::milliseconds(0);
    cli::ProgressLine line(std::string(300, 'x'), options);
    line.Update(1, 1);
    std::string drawn = read_all();
    CHECK(drawn == "\r" + std::string(99, 'x') + "\x1b[K");
  }
  SECTION("not a terminal: inactive, silent") {
    int pipe_fds[2];
    REQUIRE(pipe(pipe_fds) == 0);
    {
      cli::ProgressOptions options;
      options.fd = pipe_fds[1];
      options.first_delay = std::chrono::milliseconds(0);
      cli::ProgressLine line("load", options);
      CHECK_FALSE(line.active());
      line.Update(10, 10);
    }
    close(pipe_fds[1]);
    char c;
    CHECK(read(pipe_fds[0], &c, 1) == 0);
    close(pipe_fds[0]);
  }
  close(slave);
  close(master);
}

}  // namespace
}  // namespace extrace
