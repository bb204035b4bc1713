// Several processes writing one store file at once: recorders each with its own
// run, direct appenders sharing one run (store-assigned seqs), and concurrent
// `extrace ingest`. Nothing may be lost or numbered twice, no process may see
// a busy database, and the file stays intact. Writers are real processes
// (tests/crash_writer.cc and the CLI), started together on a fresh file so
// that creating the schema races too. Every wait has a deadline: a writer stuck
// on a locked database fails the test instead of stalling the suite.
#include <fmt/format.h>
#include <signal.h>

#include <algorithm>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "storage/event_store.h"
#include "test_support.h"

namespace extrace {
namespace {

using testing::ChildProcess;
using testing::TempDir;
using namespace std::chrono_literals;

using Clock = std::chrono::steady_clock;

// Each writer group normally finishes in a few seconds (more under ASan). A
// store that keeps reporting busy retries for a minute before it gives up:
// past this the writers are killed and the test fails.
constexpr auto kGroupBudget = 20s;

size_t FirstSeqGap(const std::vector<Event>& events) {
  for (size_t i = 0; i < events.size(); ++i)
    if (events[i].seq != static_cast<int64_t>(i) + 1) return i;
  return events.size();
}

void CheckIntegrity(const std::string& db) {
  auto store = EventStore::Open(db);
  REQUIRE(store);
  auto check = (*store)->IntegrityCheck();
  REQUIRE(check);
  CHECK(*check == "ok");
}

std::chrono::milliseconds Left(Clock::time_point deadline) {
  return std::max(0ms,
                  std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
}

// The child's next line before `deadline`; nullopt at its end or past the deadline.
std::optional<std::string> NextLine(ChildProcess& child, Clock::time_point deadline) {
  while (true) {
    if (auto line = child.ReadLine(Left(deadline))) return line;
    if (child.AtEnd() || Clock::now() >= deadline) return std::nullopt;
  }
}

// Waits until every child printed `expected` as its first line.
void ExpectFirstLine(std::vector<std::unique_ptr<ChildProcess>>& children,
                     const std::string& expected, Clock::time_point deadline) {
  for (auto& child : children) {
    auto line = NextLine(*child, deadline);
    INFO("writer " << child->pid() << " stderr: " << child->Err());
    REQUIRE(line);
    REQUIRE(*line == expected);
  }
}

// Spawns every writer first (they open the store, migrating a fresh file, at
// about the same moment), waits until each has reported "ready", then lets
// them all go at once so that their appends overlap.
std::vector<std::unique_ptr<ChildProcess>> StartTogether(
    const std::vector<std::vector<std::string>>& arg_lists, Clock::time_point deadline) {
  std::vector<std::unique_ptr<ChildProcess>> children;
  for (const auto& args : arg_lists)
    children.push_back(std::make_unique<ChildProcess>(EXTRACE_TEST_HELPER, args));
  ExpectFirstLine(children, "ready", deadline);
  for (auto& child : children) child->Write("go\n");
  return children;
}

// Reads a writer's output to its end; checks it finished cleanly and returns
// the last acknowledged count (-1: none).
int64_t FinishWriter(ChildProcess& child, Clock::time_point deadline) {
  int64_t last = -1;
  bool done = false;
  while (auto line = NextLine(child, deadline)) {
    if (line->starts_with("durable ")) last = std::stoll(line->substr(8));
    if (*line == "done") done = true;
  }
  if (!child.AtEnd()) {
    child.Kill(SIGKILL);
    child.Wait();
    FAIL_CHECK("writer " << child.pid() << " still running at the deadline (last acknowledged: "
                         << last << "): stuck on a locked database? stderr: " << child.Err());
    return last;
  }
  int code = child.Wait();
  INFO("writer " << child.pid() << " stderr: " << child.Err());
  CHECK(code == 0);
  CHECK(child.Err().empty());  // a busy database would be reported here
  CHECK(done);
  return last;
}

void RecorderProcessesKeepEveryEvent(int processes) {
  TempDir dir;
  const std::string db = dir.File("shared.db");
  constexpr int64_t kEvents = 1500;  // per run, `started` included; `completed` follows
  std::vector<std::vector<std::string>> args;
  for (int p = 0; p < processes; ++p) {
    // Different flush sizes, so commits of different lengths interleave.
    args.push_back({"record", db, fmt::format("writer-{}", p), std::to_string(kEvents),
                    std::to_string(10 + 90 * p), "--gate"});
  }
  const auto deadline = Clock::now() + kGroupBudget;
  auto children = StartTogether(args, deadline);
  for (auto& child : children) CHECK(FinishWriter(*child, deadline) == kEvents + 1);

  CheckIntegrity(db);
  auto store = EventStore::Open(db);
  REQUIRE(store);
  auto runs = (*store)->ListRuns();
  REQUIRE(runs);
  CHECK(runs->size() == static_cast<size_t>(processes));
  for (int p = 0; p < processes; ++p) {
    const std::string id = fmt::format("writer-{}", p);
    INFO("run " << id);
    auto events = (*store)->ReadEvents(id);
    REQUIRE(events);
    REQUIRE(events->size() == static_cast<size_t>(kEvents + 1));
    CHECK(FirstSeqGap(*events) == events->size());
    CHECK(events->front().type == EventType::kStarted);
    CHECK(events->back().type == EventType::kCompleted);
    auto run = (*store)->GetRun(id);
    REQUIRE(run);
    REQUIRE(run->has_value());
    CHECK((*run)->event_count == kEvents + 1);
    CHECK((*run)->max_seq == kEvents + 1);
    CHECK((*run)->status == RunStatus::kCompleted);
  }
}

TEST_CASE("two recorder processes writing one file keep every event", "[concurrency]") {
  RecorderProcessesKeepEveryEvent(2);
}

TEST_CASE("four recorder processes writing one file keep every event", "[concurrency]") {
  RecorderProcessesKeepEveryEvent(4);
}

TEST_CASE("processes appending to one shared run get every seq exactly once", "[concurrency]") {
  // seq 0: the store numbers each event inside the append's transaction, so
  // processes racing for the same run must never get the same number. Left
  // alone, one writer can hold on to the lock until it is done (the others'
  // busy handlers sleep while it commits again and again), so the writers
  // append in rounds: each round all of them race for the lock once.
  TempDir dir;
  const std::string db = dir.File("one-run.db");
  const std::string id = "shared-run";
  constexpr int kWriters = 4;
  constexpr int kRounds = 60;
  const int batches[kWriters] = {1, 7, 20, 64};
  std::vector<std::vector<std::string>> args;
  for (int w = 0; w < kWriters; ++w) {
    std::vector<std::string> a = {"append",
                                  db,
                                  id,
                                  std::to_string(kRounds * batches[w]),
                                  std::to_string(batches[w]),
                                  fmt::format("w{}", w),
                                  "--gate",
                                  "--step"};
    // Durability only changes when a commit reaches the disk; mix both modes.
    if (w % 2 == 1) a.push_back("--normal");
    args.push_back(std::move(a));
  }
  {
    // The run's `started` comes first, from the test itself.
    std::vector<std::string> starter = {"append", db, id, "1", "1", "s", "--started"};
    ChildProcess child(EXTRACE_TEST_HELPER, starter);
    REQUIRE(FinishWriter(child, Clock::now() + kGroupBudget) == 1);
  }
  const auto deadline = Clock::now() + kGroupBudget;
  auto children = StartTogether(args, deadline);
  for (int round = 0; round < kRounds; ++round) {
    INFO("round " << round);
    for (auto& child : children) child->Write("go\n");
    for (int w = 0; w < kWriters; ++w) {
      auto line = NextLine(*children[w], deadline);
      if (!line) {
        for (auto& child : children) child->Kill(SIGKILL);
        FAIL("writer " << w << " did not append in time: stuck on a locked database? stderr: "
                       << children[w]->Err());
      }
      REQUIRE(*line == fmt::format("durable {}", (round + 1) * batches[w]));
    }
  }
  for (auto& child : children) FinishWriter(*child, deadline);

  CheckIntegrity(db);
  auto store = EventStore::Open(db);
  REQUIRE(store);
  auto events = (*store)->ReadEvents(id);
  REQUIRE(events);
  size_t total = 2;  // `started` and the starter's own event
  for (int batch : batches) total += static_cast<size_t>(kRounds * batch);
  REQUIRE(events->size() == total);
  CHECK(FirstSeqGap(*events) == total);
  CHECK(events->front().type == EventType::kStarted);
  // Every writer's events are there once each, in the order it appended them,
  // and the writers really took turns.
  std::map<std::string, int64_t> next;  // writer tag -> index expected next
  std::string previous_tag;
  int turns = 0;
  for (const Event& event : *events) {
    if (event.type == EventType::kStarted) continue;
    auto data = boost::json::parse(event.data_json).as_object();
    std::string message(data.at("message").as_string());
    auto dash = message.find('-');
    REQUIRE(dash != std::string::npos);
    std::string tag = message.substr(0, dash);
    int64_t index = std::stoll(message.substr(dash + 1));
    INFO("seq " << event.seq << " message " << message);
    REQUIRE(index == next[tag]);
    next[tag] = index + 1;
    if (tag != previous_tag) ++turns;
    previous_tag = tag;
  }
  // Each round is kWriters blocks, one per writer: at least kWriters - 1 turns.
  CHECK(turns >= (kWriters - 1) * kRounds);
  REQUIRE(next.size() == static_cast<size_t>(kWriters + 1));
  for (int w = 0; w < kWriters; ++w) {
    INFO("writer " << w);
    CHECK(next[fmt::format("w{}", w)] == kRounds * batches[w]);
  }
  auto run = (*store)->GetRun(id);
  REQUIRE(run);
  REQUIRE(run->has_value());
  CHECK((*run)->event_count == static_cast<int64_t>(total));
  CHECK((*run)->max_seq == static_cast<int64_t>(total));
}

// A JSON Lines run of `events` events: `started`, the leaf executing, progress
// events, then `completed`. With `with_seq` false the store numbers them.
std::string GeneratedRun(const std::string& id, int64_t events, bool with_seq) {
  std::string text;
  int64_t seq = 0;
  auto line = [&](const std::string& type, const std::string& node, const std::string& data) {
    ++seq;
    text += fmt::format(R"({{"executionId":"{}",)", id);
    if (with_seq) text += fmt::format(R"("seq":{},)", seq);
    text +=
        fmt::format(R"("timestamp":{}.{:03},"type":"{}",)", 1759900000000 + seq, seq % 1000, type);
    if (!node.empty()) text += fmt::format(R"("nodeId":"{}",)", node);
    text += fmt::format(R"("data":{}}})", data);
    text += '\n';
  };
  line("started", "",
       R"({"rootNodeId":"flow","nodes":[{"id":"flow","name":"Flow","type":"group"},)"
       R"({"id":"work","name":"Work","type":"code","parentId":"flow"}]})");
  line("state-change", "work", R"({"state":"executing"})");
  while (seq < events - 2)
    line("progress", "work",
         fmt::format(R"({{"progress":{},"message":"step {}"}})", seq % 100, seq));
  line("state-change", "work", R"({"state":"completed"})");
  line("completed", "", "{}");
  return text;
}

TEST_CASE("two extrace ingest processes into one new file at once both store everything",
          "[concurrency][cli]") {
  // Each file spans several of ingest's 8192-event transactions, so the two
  // processes' commits interleave. Repeated on fresh files: creating the
  // schema races too.
  constexpr int kRounds = 3;
  constexpr int64_t kEvents = 20000;
  TempDir dir;
  const std::string file_a = dir.File("a.jsonl");
  const std::string file_b = dir.File("b.jsonl");
  testing::WriteFile(file_a, GeneratedRun("ingest-a", kEvents, true));
  testing::WriteFile(file_b, GeneratedRun("ingest-b", kEvents, false));
  const auto deadline = Clock::now() + kGroupBudget;
  for (int round = 0; round < kRounds; ++round) {
    INFO("round " << round);
    const std::string db = dir.File(fmt::format("ingest-{}.db", round));
    ChildProcess a(EXTRACE_CLI, {"--db", db, "ingest", file_a});
    ChildProcess b(EXTRACE_CLI, {"--db", db, "ingest", file_b});
    for (ChildProcess* ingest : {&a, &b}) {
      std::string out;
      while (auto line = NextLine(*ingest, deadline)) out += *line + "\n";
      if (!ingest->AtEnd()) {
        ingest->Kill(SIGKILL);
        ingest->Wait();
        FAIL("ingest still running at the deadline: stuck on a locked database? stderr: "
             << ingest->Err());
      }
      int code = ingest->Wait();
      INFO("stdout: " << out << "stderr: " << ingest->Err());
      CHECK(code == 0);
      CHECK(ingest->Err().empty());
      CHECK(out == fmt::format("stored {} events, 0 duplicates\n", kEvents));
    }
    CheckIntegrity(db);
    auto store = EventStore::Open(db);
    REQUIRE(store);
    for (const std::string id : {"ingest-a", "ingest-b"}) {
      INFO("run " << id);
      auto events = (*store)->ReadEvents(id);
      REQUIRE(events);
      CHECK(events->size() == static_cast<size_t>(kEvents));
      CHECK(FirstSeqGap(*events) == events->size());
      auto run = (*store)->GetRun(id);
      REQUIRE(run);
      REQUIRE(run->has_value());
      CHECK((*run)->event_count == kEvents);
      CHECK((*run)->status == RunStatus::kCompleted);
    }
  }
}

// Issue 9 item 4: readers failed now and then while writers worked, with a
// message blaming a read-only folder: mostly while writers were creating the
// file (no schema yet, switching it to WAL), also as the last writer closed
// (removing the -wal and -shm files). Readers never fail because writers are
// busy: 1,000 reads by real processes, 0 failures.
TEST_CASE("readers never fail while four ingest processes write", "[concurrency][cli]") {
  constexpr int kWriters = 4;
  constexpr int kFreshRounds = 20;
  constexpr int kReadsPerFreshRound = 10;
  constexpr int kReads = 1000;
  constexpr int64_t kEventsPerIngest = 400;
  TempDir dir;
  int failed = 0, reads_done = 0, writes = 0;
  std::string first_failure;
  auto read = [&](const std::vector<std::string>& args) {
    auto result = testing::RunCli(args);
    ++reads_done;
    if ((result.exit_code != 0 || result.out.empty()) && failed++ == 0)
      first_failure = fmt::format("read {} ({}) exit {}: {}", reads_done, args[2], result.exit_code,
                                  result.err);
  };
  auto run_file = [&](int w, int cycle) {
    std::string file = dir.File(fmt::format("w{}-{}.jsonl", w, cycle));
    testing::WriteFile(
        file, GeneratedRun(fmt::format("w{}-{}", w, cycle), kEventsPerIngest, cycle % 2 == 0));
    return file;
  };

  // Phase 1: four writers create a new file together while reads start on it.
  for (int round = 0; round < kFreshRounds; ++round) {
    const std::string db = dir.File(fmt::format("fresh-{}.db", round));
    std::vector<std::unique_ptr<ChildProcess>> writers;
    for (int w = 0; w < kWriters; ++w)
      writers.push_back(std::make_unique<ChildProcess>(
          EXTRACE_CLI, std::vector<std::string>{"--db", db, "ingest", run_file(w, round)}));
    // Reads start once the file is there (before, "no such database" is right).
    const auto appear_by = Clock::now() + 10s;
    while (!std::filesystem::exists(db) && Clock::now() < appear_by) std::this_thread::yield();
    for (int i = 0; i < kReadsPerFreshRound; ++i) read({"--db", db, "list", "--json"});
    for (auto& writer : writers) {
      INFO("writer stderr: " << writer->Err());
      CHECK(writer->Wait() == 0);
      ++writes;
    }
  }

  // Phase 2: one store, writers opening, appending and closing all the time.
  const std::string db = dir.File("shared.db");
  testing::WriteFile(dir.File("first.jsonl"), GeneratedRun("first", 10, true));
  REQUIRE(testing::RunCli({"--db", db, "ingest", dir.File("first.jsonl")}).exit_code == 0);
  std::vector<std::unique_ptr<ChildProcess>> writers(kWriters);
  std::vector<int> cycles(kWriters, 0);
  auto start_writer = [&](int w) {
    writers[w] = std::make_unique<ChildProcess>(
        EXTRACE_CLI,
        std::vector<std::string>{"--db", db, "ingest", run_file(w, 1000 + cycles[w]++)});
  };
  // A writer that ended is checked and replaced, so opens and closes go on.
  auto tend_writers = [&] {
    for (int w = 0; w < kWriters; ++w) {
      while (writers[w]->ReadLine(0ms)) {
      }
      if (!writers[w]->AtEnd()) continue;
      int code = writers[w]->Wait();
      INFO("writer stderr: " << writers[w]->Err());
      REQUIRE(code == 0);
      ++writes;
      start_writer(w);
    }
  };
  for (int w = 0; w < kWriters; ++w) start_writer(w);
  const std::vector<std::vector<std::string>> reads = {
      {"--db", db, "list", "--json"},
      {"--db", db, "show", "first", "--json"},
      {"--db", db, "history", "flow", "--json"},
  };
  for (int i = 0; reads_done < kReads; ++i) {
    read(reads[i % reads.size()]);
    tend_writers();
  }
  for (auto& writer : writers) CHECK(writer->Wait() == 0);
  INFO(first_failure);
  CHECK(failed == 0);
  CHECK(reads_done == kReads);
  CHECK(writes > kWriters * kFreshRounds);  // the writers really wrote while the reads ran
  CheckIntegrity(db);
}

TEST_CASE("processes opening one new file at the same moment all succeed", "[concurrency]") {
  // The writers wait at a gate before opening, so that the opens (switching
  // the new file to WAL, creating the schema) really race.
  constexpr int kRounds = 25;
  constexpr int kWriters = 4;
  TempDir dir;
  const auto deadline = Clock::now() + kGroupBudget;
  for (int round = 0; round < kRounds; ++round) {
    INFO("round " << round);
    const std::string db = dir.File(fmt::format("new-{}.db", round));
    std::vector<std::unique_ptr<ChildProcess>> children;
    for (int w = 0; w < kWriters; ++w) {
      children.push_back(std::make_unique<ChildProcess>(
          EXTRACE_TEST_HELPER, std::vector<std::string>{"append", db, fmt::format("run-{}", w), "5",
                                                        "5", "w", "--started", "--open-gate"}));
    }
    ExpectFirstLine(children, "spawned", deadline);
    for (auto& child : children) child->Write("go\n");
    for (auto& child : children) {
      auto ready = NextLine(*child, deadline);
      INFO("writer " << child->pid() << " stderr: " << child->Err());
      CHECK(ready == std::optional<std::string>("ready"));
      CHECK(FinishWriter(*child, deadline) == 5);
    }
    CheckIntegrity(db);
  }
}

Event Progress(const std::string& id, int64_t i) {
  return Event{id,
               0,
               1759900000000000 + i,
               EventType::kProgress,
               "n",
               fmt::format(R"({{"progress":{},"message":"{}"}})", i % 100, i)};
}

TEST_CASE("two store connections on one file take turns appending", "[concurrency]") {
  // The smallest interleaving of two writers: A appends, B appends, A again...
  // Each append must find the lock free at once; none may be left holding an
  // old snapshot that makes its next BEGIN IMMEDIATE busy forever.
  TempDir dir;
  const std::string db = dir.File("turns.db");
  StoreOptions options;
  options.busy_retry_budget_ms = 2000;  // a stuck append fails within the test's time
  auto a = EventStore::Open(db, options);
  REQUIRE(a);
  auto b = EventStore::Open(db, options);
  REQUIRE(b);
  constexpr int kTurns = 6;
  for (int turn = 0; turn < kTurns; ++turn) {
    for (auto* store : {&*a, &*b}) {
      const std::string id = store == &*a ? "run-a" : "run-b";
      INFO("turn " << turn << " " << id);
      std::vector<Event> events = {Progress(id, 2 * turn), Progress(id, 2 * turn + 1)};
      AppendResult result = (*store)->Append(events);
      INFO((result.status ? "" : result.status.error().message));
      REQUIRE(result.status);
      CHECK(result.stored == 2);
      CHECK(events[0].seq == 2 * turn + 1);
      CHECK(events[1].seq == 2 * turn + 2);
    }
    // A reader in between, as `extrace list` would be.
    auto runs = (*a)->ListRuns();
    REQUIRE(runs);
    CHECK(runs->size() == 2);
  }
  for (const std::string id : {"run-a", "run-b"}) {
    auto events = (*b)->ReadEvents(id);
    REQUIRE(events);
    CHECK(events->size() == 2 * kTurns);
    CHECK(FirstSeqGap(*events) == events->size());
  }
}

}  // namespace
}  // namespace extrace
