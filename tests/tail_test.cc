// `extrace tail` as a real process following runs that the test records at the
// same time through the in-process recorder: on a terminal (the timeline
// redrawn in place), on a pipe (a line per event, or --json), runs that ended
// before it started, unknown runs, Ctrl-C, and how soon a new event shows.
#include <signal.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "extrace/extrace.h"
#include "pg_test_database.h"
#include "pty_process.h"
#include "terminal_test_support.h"
#include "test_support.h"

namespace extrace {
namespace {

using Catch::Matchers::Contains;
using Catch::Matchers::EndsWith;
using terminal_test::Lines;
using terminal_test::StripAnsi;
using testing::ChildProcess;
using testing::ProcessResult;
using testing::PtyProcess;
using testing::RunCli;
using testing::TempDir;
using namespace std::chrono_literals;

// A writer that outlives a test's reader must not kill the test with SIGPIPE.
const bool kSigpipeIgnored = signal(SIGPIPE, SIG_IGN) != SIG_ERR;

// Generous: these are deadlines for a loaded machine, not expected times.
constexpr auto kDeadline = 60s;

struct Recorded {
  std::string id;
  std::string child_id;
  std::string error;  // empty: every call succeeded
};

// Records flow `flow` as an engine would: load, the group `check` whose work
// is a child run (flow `childflow`, node `verify`), save (in error when
// `fail`), each step committed (Flush) and `pace` apart, so a follower sees
// the run grow. Runs on a thread of its own: no Catch2 assertion in here.
Recorded RecordRun(const std::string& db, const std::string& flow, bool fail,
                   std::chrono::milliseconds pace) {
  Recorded out;
  auto opened = OpenRecorder(db);
  if (!opened) return {"", "", opened.error().message};
  Recorder& rec = **opened;
  auto step = [&] {
    if (auto status = rec.Flush(); !status && out.error.empty()) out.error = status.error().message;
    std::this_thread::sleep_for(pace);
  };
  auto run = rec.StartRun({flow,
                           {{flow, "Flow", "group"},
                            {"load", "Load", "task", flow},
                            {"check", "Check", "group", flow},
                            {"save", "Save", "task", flow}}});
  if (!run) return {"", "", run.error().message};
  out.id = *run;
  step();
  rec.SetNodeState(out.id, "load", NodeState::kExecuting);
  step();
  rec.ReportProgress(out.id, "load", 50, "half way");
  step();
  rec.SetNodeState(out.id, "load", NodeState::kCompleted);
  rec.SetNodeState(out.id, "check", NodeState::kExecuting);
  step();
  RunStart child_start{
      "childflow", {{"childflow", "Child", "group"}, {"verify", "Verify", "task", "childflow"}}};
  child_start.parent_execution_id = out.id;
  child_start.parent_node_id = "check";
  auto child = rec.StartRun(child_start);
  if (!child) return {out.id, "", child.error().message};
  out.child_id = *child;
  rec.SetNodeState(out.child_id, "verify", NodeState::kExecuting);
  step();
  rec.SetNodeState(out.child_id, "verify", NodeState::kCompleted);
  rec.CompleteRun(out.child_id);
  rec.SetNodeState(out.id, "check", NodeState::kCompleted);
  step();
  rec.SetNodeState(out.id, "save", NodeState::kExecuting);
  step();
  if (fail) {
    rec.SetNodeState(out.id, "save", NodeState::kError, "disk full");
    rec.FailRun(out.id, "save failed");
  } else {
    rec.SetNodeState(out.id, "save", NodeState::kCompleted);
    rec.CompleteRun(out.id);
  }
  step();
  return out;
}

// Waits until the child said on stderr that it waits for a run, so that the
// run the test records next is one it follows from its start.
bool SaysWaiting(ChildProcess& child) {
  for (auto deadline = std::chrono::steady_clock::now() + kDeadline;
       std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(10ms))
    if (child.Err().find("waiting for one") != std::string::npos) return true;
  return false;
}

struct Followed {
  Recorded recorded;
  std::vector<std::string> lines;  // tail's standard output
  std::string text;                // the same, each line ending in '\n'
  int exit_code = -1;
};

// `extrace tail latest --flow FLOW OPTION` on a pipe, started before a run of
// FLOW (in error when `fail`) is recorded, read until it exits.
Followed FollowOnPipe(const std::string& db, const std::string& flow, const std::string& option,
                      bool fail) {
  ChildProcess tail(EXTRACE_CLI, {"--db", db, "tail", "latest", "--flow", flow, option});
  REQUIRE(SaysWaiting(tail));
  Followed out;
  std::thread engine([&] { out.recorded = RecordRun(db, flow, fail, 100ms); });
  while (auto line = tail.ReadLine(kDeadline)) {
    out.lines.push_back(*line);
    out.text += *line + "\n";
  }
  engine.join();
  REQUIRE(out.recorded.error.empty());
  out.exit_code = tail.Wait();
  return out;
}

TEST_CASE("tail on a terminal follows a run as it is recorded and exits with it", "[tail][cli]") {
  TempDir dir;
  std::string db = dir.Store("trace.db");
  // Started before the engine, before the store file even exists.
  PtyProcess tail({"--db", db, "tail", "latest", "--flow", "live"}, {"NO_COLOR"}, 100);
  REQUIRE(tail.ReadUntil(
      [](const std::string& out) { return out.find("waiting for one") != std::string::npos; },
      kDeadline));
  Recorded recorded;
  std::thread engine([&] { recorded = RecordRun(db, "live", false, 150ms); });
  tail.ReadToEnd(kDeadline);
  engine.join();
  REQUIRE(recorded.error.empty());
  int exit_code = tail.Wait();
  std::string output = StripAnsi(tail.output());
  INFO(output);
  CHECK(exit_code == 0);
  // Frames while the run was open, then a final one: every node, the child
  // run's inside its group.
  CHECK_THAT(output, Contains("run " + recorded.id) && Contains("status incomplete"));
  size_t last_frame = output.rfind("run " + recorded.id);
  REQUIRE(last_frame != std::string::npos);
  std::string final_frame = output.substr(last_frame);
  CHECK_THAT(final_frame, Contains("status completed") && Contains("progress 100%") &&
                              Contains("Load (load)") && Contains("Check (check)") &&
                              Contains("Verify (verify)") && Contains("Save (save)"));
  // Redrawn in place: the cursor went back up over earlier frames, was hidden
  // while they followed and is shown again at the end.
  CHECK_THAT(tail.output(), Contains("\x1b[?25l") && Contains("A\x1b[2K") && EndsWith("\x1b[?25h"));
}

TEST_CASE("tail --json prints each event once as extrace events does and exits 13 on error",
          "[tail][cli]") {
  TempDir dir;
  std::string db = dir.Store("trace.db");
  Followed tail = FollowOnPipe(db, "doomed", "--json", true);
  CHECK(tail.exit_code == 13);
  ProcessResult events = RunCli({"--db", db, "events", tail.recorded.id});
  REQUIRE(events.exit_code == 0);
  CHECK(tail.text == events.out);
  CHECK(tail.lines.size() == 9);  // the run's own events, none of its child run's
}

TEST_CASE("tail --events prints a line per event and one when a child run starts", "[tail][cli]") {
  TempDir dir;
  std::string db = dir.Store("trace.db");
  Followed tail = FollowOnPipe(db, "lines", "--events", true);
  CHECK(tail.exit_code == 13);
  INFO(tail.text);
  REQUIRE(tail.lines.size() == 11);  // 9 events, the child run, the end
  CHECK_THAT(tail.lines[0], Contains("#1  started  flow lines, 4 nodes"));
  CHECK_THAT(tail.text, Contains("#3  progress  load  50% half way") &&
                            Contains("child run " + tail.recorded.child_id +
                                     " of node check started (flow childflow)") &&
                            Contains("#8  state-change  save  error: disk full") &&
                            Contains("#9  error  save failed"));
  CHECK(tail.text.find("verify") == std::string::npos);  // the child run's events are its own
  CHECK(tail.lines.back() == "run " + tail.recorded.id + " ended: status error");
}

TEST_CASE("tail of a run that already ended prints it and exits at once with its code",
          "[tail][cli]") {
  TempDir dir;
  std::string db = dir.Store("trace.db");
  Recorded good = RecordRun(db, "good", false, 0ms);
  Recorded bad = RecordRun(db, "bad", true, 0ms);
  REQUIRE((good.error.empty() && bad.error.empty()));

  SECTION("on a pipe") {
    ProcessResult tail = RunCli({"--db", db, "tail", bad.id});
    INFO(tail.out << tail.err);
    CHECK(tail.exit_code == 13);
    CHECK(Lines(tail.out).size() == 11);  // 9 events, the child run, the end
    CHECK_THAT(tail.out, EndsWith("ended: status error\n"));
    // Among the event lines at its start, also when all came in one read.
    size_t child = tail.out.find("child run " + bad.child_id);
    CHECK(tail.out.find("#5  state-change  check  executing") < child);
    CHECK(child < tail.out.find("#6  state-change  check  completed"));
    ProcessResult json = RunCli({"--db", db, "tail", "latest", "--flow", "good", "--json"});
    CHECK(json.exit_code == 0);
    CHECK(json.out == RunCli({"--db", db, "events", good.id}).out);
  }
  SECTION("on a terminal: one whole frame") {
    PtyProcess tail({"--db", db, "tail", good.id.substr(0, 12)}, {"NO_COLOR"}, 100);
    tail.ReadToEnd(kDeadline);
    INFO(tail.output());
    CHECK(tail.Wait() == 0);
    CHECK_THAT(StripAnsi(tail.output()), Contains("status completed") && Contains("Save (save)"));
  }
}

TEST_CASE("tail of an unknown run fails as show does and latest of a new flow waits",
          "[tail][cli]") {
  TempDir dir;
  std::string db = dir.Store("trace.db");
  REQUIRE(RecordRun(db, "known", false, 0ms).error.empty());
  ProcessResult unknown = RunCli({"--db", db, "tail", "exec_nope"});
  CHECK(unknown.exit_code == 5);
  CHECK_THAT(unknown.err, Contains("no run with executionId \"exec_nope\""));
  ProcessResult no_store = RunCli({"--db", dir.Store("none.db"), "tail", "exec_nope"});
  CHECK(no_store.exit_code == 5);

  ChildProcess waiting(EXTRACE_CLI, {"--db", db, "tail", "latest", "--flow", "unborn"});
  REQUIRE(SaysWaiting(waiting));
  waiting.Kill(SIGINT);
  CHECK(waiting.Wait() == 130);
}

TEST_CASE("Ctrl-C stops tail on a terminal with the cursor shown again", "[tail][cli]") {
  TempDir dir;
  std::string db = dir.Store("trace.db");
  auto recorder = OpenRecorder(db);
  REQUIRE(recorder);
  auto run = (*recorder)->StartRun(
      {"open", {{"open", "Open", "group"}, {"busy", "Busy", "task", "open"}}});
  REQUIRE(run);
  (*recorder)->SetNodeState(*run, "busy", NodeState::kExecuting);
  REQUIRE((*recorder)->Flush());

  PtyProcess tail({"--db", db, "tail", *run}, {"NO_COLOR"}, 100);
  REQUIRE(tail.ReadUntil(
      [](const std::string& out) {
        return StripAnsi(out).find("Busy (busy)") != std::string::npos;
      },
      kDeadline));
  tail.Signal(SIGINT);
  tail.ReadToEnd(kDeadline);
  INFO(tail.output());
  CHECK(tail.Wait() == 130);
  CHECK_THAT(tail.output(), EndsWith("\x1b[?25h"));
}

TEST_CASE("tail shows an event well within a second of its commit", "[tail][cli]") {
  TempDir dir;
  std::string db = dir.Store("trace.db");
  auto recorder = OpenRecorder(db);
  REQUIRE(recorder);
  Recorder& rec = **recorder;
  auto run = rec.StartRun({"slow", {{"slow", "Slow", "group"}, {"step", "Step", "task", "slow"}}});
  REQUIRE(run);
  REQUIRE(rec.Flush());
  ChildProcess tail(EXTRACE_CLI, {"--db", db, "tail", *run, "--events"});
  REQUIRE(tail.ReadLine(kDeadline));  // `started`: tail is following
  // tail polls the store's change counter every 25 ms, so an event shows in
  // about that; a second leaves room for a loaded machine and still fails a
  // follower that waits for something else (a timer of seconds, the run's end).
  for (int i = 1; i <= 5; ++i) {
    rec.ReportProgress(*run, "step", i * 10);
    REQUIRE(rec.Flush());
    auto committed = std::chrono::steady_clock::now();
    auto line = tail.ReadLine(kDeadline);
    auto latency = std::chrono::steady_clock::now() - committed;
    REQUIRE(line);
    CHECK_THAT(*line, Contains("progress  step  " + std::to_string(i * 10) + "%"));
    CHECK(latency < 1s);
  }
  rec.CompleteRun(*run);
  REQUIRE(rec.Flush());
  CHECK(tail.Wait() == 0);
}

// A PostgreSQL server that refuses connections for a moment (as while it
// restarts) under a follower: tail waits for it, then shows the rest of the
// run, every event once, and exits with it.
TEST_CASE("tail on PostgreSQL waits out a moment the server refuses connections",
          "[tail][cli][postgres]") {
  pg_test::Database pg;
  auto recorder = OpenRecorder(pg.uri());
  REQUIRE(recorder);
  Recorder& rec = **recorder;
  auto run =
      rec.StartRun({"outage", {{"outage", "Outage", "group"}, {"step", "Step", "task", "outage"}}});
  REQUIRE(run);
  REQUIRE(rec.Flush());
  ChildProcess tail(EXTRACE_CLI, {"--db", pg.uri(), "tail", *run, "--events"});
  std::vector<std::string> lines;
  auto read_line = [&] {
    auto line = tail.ReadLine(kDeadline);
    REQUIRE(line);
    lines.push_back(*line);
  };
  read_line();  // `started`: tail is following
  rec.ReportProgress(*run, "step", 10);
  REQUIRE(rec.Flush());
  read_line();
  {
    // From another database: a database cannot refuse connections to itself.
    pg::Connection admin("dbname=postgres");
    admin.Exec("ALTER DATABASE " + pg.name() + " ALLOW_CONNECTIONS false");
    admin.Exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" +
               pg.name() + "' AND pid <> pg_backend_pid()");
    std::this_thread::sleep_for(1500ms);  // tail polls into the refusals
    admin.Exec("ALTER DATABASE " + pg.name() + " ALLOW_CONNECTIONS true");
  }
  for (int i = 2; i <= 3; ++i) {
    rec.ReportProgress(*run, "step", i * 10);
    REQUIRE(rec.Flush());
  }
  rec.CompleteRun(*run);
  REQUIRE(rec.Flush());
  while (auto line = tail.ReadLine(kDeadline)) lines.push_back(*line);
  INFO(tail.Err());
  CHECK(tail.Wait() == 0);
  REQUIRE(lines.size() >= 5);
  for (int i = 1; i <= 3; ++i)
    CHECK(std::count_if(lines.begin(), lines.end(), [&](const std::string& line) {
            return line.find("progress  step  " + std::to_string(i * 10) + "%") !=
                   std::string::npos;
          }) == 1);
}

}  // namespace
}  // namespace extrace
