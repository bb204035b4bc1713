// crash_writer: the child process of the crash and concurrency tests. It writes
// one run and reports on stdout, line by line, how much of it is acknowledged
// durable, so a test that kills it knows exactly what must have survived.
//
//   crash_writer record DB EXEC_ID N_EVENTS BATCH [flags]
//     Records through the public recorder (OpenRecorder): `started`, then node
//     events until the run has N_EVENTS events, Flush() after every BATCH
//     events, then CompleteRun(). Seqs are 1, 2, 3... in enqueue order, so
//     after a successful Flush the run's seqs 1..count are durable.
//   crash_writer append DB EXEC_ID N_EVENTS BATCH TAG [flags]
//     Appends N_EVENTS progress events of node "leaf" straight through
//     EventStore::Append, BATCH per transaction, seq 0 (the store numbers
//     them). Each carries message "TAG-i" (i from 0) so the test can find
//     every writer's events in a run several writers share.
//   crash_writer ingest DB FILE BATCH [--normal]
//     Stores FILE's event lines as `extrace ingest` does, BATCH events per
//     transaction; "durable K" after each: every line up to K is stored.
//   crash_writer cli-ingest DB FILE [--normal]
//     Runs the CLI's `extrace ingest` command itself in this process.
//
// With $EXTRACE_FAULTY_VFS set (tests/faulty_vfs.h), SQLite runs on the faulty
// VFS shim with that plan (a power cut, an I/O error), and a run that ends on
// its own prints "io total=..." (the I/O calls it made) last.
//
// Flags: --gate (wait for one line on stdin before writing), --open-gate
// (print "spawned" and wait for one line on stdin before opening the store, so
// that several processes open one new file at the same moment), --step (append
// mode: wait for one line on stdin before each append, so a test can make
// several writers contend for the lock in rounds), --normal
// (Durability::kNormal), --started (append mode: append the run's `started`
// first, as its own transaction).
//
// Output: "ready" once the store is open; "durable K" after each acknowledged
// flush/append (record: the run's highest durable seq; append: this process's
// events stored so far); "done" before a normal exit. Errors go to stderr with
// a nonzero exit code.
#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "crash_writer_ingest.h"
#include "extrace/extrace.h"
#include "faulty_vfs.h"
#include "recorder/event_builder.h"
#include "storage/event_store.h"

namespace {

constexpr int kExitUsage = 2;
constexpr int kExitStoreError = 3;
constexpr int kExitGateClosed = 4;

struct Flags {
  bool gate = false;
  bool open_gate = false;
  bool step = false;
  bool normal = false;
  bool started = false;
};

void Say(const std::string& line) {
  std::fputs(line.c_str(), stdout);
  std::fputc('\n', stdout);
  // The parent reads line by line while we run, and may kill us right after.
  std::fflush(stdout);
}

int Fail(const std::string& what) {
  std::fprintf(stderr, "crash_writer: %s\n", what.c_str());
  return kExitStoreError;
}

bool WaitForLine() {
  char line[64];
  return std::fgets(line, sizeof line, stdin) != nullptr;
}

bool WaitForGate(const Flags& flags) { return !flags.gate || WaitForLine(); }

bool WaitForOpenGate(const Flags& flags) {
  if (!flags.open_gate) return true;
  Say("spawned");
  return WaitForLine();
}

// root "flow" > group "stage" > leaves "fetch", "parse"; leaf "store" under the root.
extrace::RunStart Graph(const std::string& execution_id) {
  extrace::RunStart run;
  run.execution_id = execution_id;
  run.root_node_id = "flow";
  run.config_json = R"({"writer":"crash_writer"})";
  run.nodes = {
      {"flow", "Flow", "group", "", 1},       {"stage", "Stage", "group", "flow", 1},
      {"fetch", "Fetch", "http", "stage", 1}, {"parse", "Parse", "code", "stage", 2},
      {"store", "Store", "db", "flow", 1},
  };
  return run;
}

int Record(const std::string& db, const std::string& execution_id, int64_t n_events, int64_t batch,
           const Flags& flags) {
  extrace::RecorderOptions options;
  options.durability = flags.normal ? extrace::Durability::kNormal : extrace::Durability::kFull;
  if (!WaitForOpenGate(flags)) return kExitGateClosed;
  auto recorder = extrace::OpenRecorder(db, options);
  if (!recorder) return Fail("open: " + recorder.error().message);
  extrace::Recorder& rec = **recorder;
  Say("ready");
  if (!WaitForGate(flags)) return kExitGateClosed;

  auto started = rec.StartRun(Graph(execution_id));
  if (!started) return Fail("StartRun: " + started.error().message);
  int64_t count = 1;  // the run's events enqueued so far, = its highest seq
  auto flush_if_due = [&]() -> bool {
    if (count % batch != 0 && count != n_events) return true;
    if (auto flushed = rec.Flush(); !flushed) {
      Fail("Flush: " + flushed.error().message);
      return false;
    }
    Say(fmt::format("durable {}", count));
    return true;
  };
  if (!flush_if_due()) return kExitStoreError;
  const std::vector<std::string> leaves = {"fetch", "parse", "store"};
  std::vector<bool> executing(leaves.size(), false);
  for (int64_t i = 0; count < n_events; ++i) {
    size_t leaf = static_cast<size_t>(i) % leaves.size();
    if (!executing[leaf]) {
      rec.SetNodeState(execution_id, leaves[leaf], extrace::NodeState::kExecuting);
      executing[leaf] = true;
    } else {
      rec.ReportProgress(execution_id, leaves[leaf], static_cast<double>((i / 3) % 100),
                         fmt::format("step {}", i));
    }
    ++count;
    if (!flush_if_due()) return kExitStoreError;
  }
  rec.CompleteRun(execution_id);
  ++count;
  if (auto flushed = rec.Flush(); !flushed) return Fail("Flush: " + flushed.error().message);
  Say(fmt::format("durable {}", count));
  Say("done");
  return 0;
}

int Append(const std::string& db, const std::string& execution_id, int64_t n_events, int64_t batch,
           const std::string& tag, const Flags& flags) {
  extrace::StoreOptions options;
  options.durability = flags.normal ? extrace::Durability::kNormal : extrace::Durability::kFull;
  if (!WaitForOpenGate(flags)) return kExitGateClosed;
  auto store = extrace::EventStore::Open(db, options);
  if (!store) return Fail("open: " + store.error().message);
  Say("ready");
  if (!WaitForGate(flags)) return kExitGateClosed;

  if (flags.started) {
    auto event = extrace::recorder::StartedEvent(Graph(execution_id), execution_id);
    if (!event) return Fail("started: " + event.error().message);
    std::vector<extrace::Event> one = {std::move(*event)};
    auto result = (*store)->Append(one);
    if (!result.status) return Fail("append started: " + result.status.error().message);
  }
  int64_t stored = 0;
  std::vector<extrace::Event> events;
  for (int64_t i = 0; i < n_events;) {
    events.clear();
    if (flags.step && !WaitForLine()) return kExitGateClosed;
    for (; i < n_events && static_cast<int64_t>(events.size()) < batch; ++i)
      events.push_back(extrace::recorder::ProgressEvent(
          execution_id, "fetch", static_cast<double>(i % 101), fmt::format("{}-{}", tag, i)));
    auto result = (*store)->Append(events);
    if (!result.status)
      return Fail(fmt::format("append ({}): {}",
                              extrace::StatusCodeName(result.status.error().code),
                              result.status.error().message));
    if (result.stored != static_cast<int64_t>(events.size()) || result.duplicates != 0)
      return Fail(fmt::format("append stored {} and {} duplicates of {} new events", result.stored,
                              result.duplicates, events.size()));
    stored += result.stored;
    Say(fmt::format("durable {}", stored));
  }
  Say("done");
  return 0;
}

int Usage() {
  std::fputs(
      "usage: crash_writer record DB EXEC_ID N_EVENTS BATCH [--gate] [--open-gate] [--normal]\n"
      "       crash_writer append DB EXEC_ID N_EVENTS BATCH TAG [--gate] [--open-gate]\n"
      "                    [--step] [--normal] [--started]\n"
      "       crash_writer ingest DB FILE BATCH [--normal]\n"
      "       crash_writer cli-ingest DB FILE [--normal]\n",
      stderr);
  return kExitUsage;
}

// Installs the shim when $EXTRACE_FAULTY_VFS asks for it; false on a bad plan.
bool InstallFaultyVfs(bool& installed) {
  namespace faulty_vfs = extrace::testing::faulty_vfs;
  const char* text = std::getenv(faulty_vfs::kPlanVariable);
  installed = text && *text;
  if (!installed) return true;
  std::string error;
  auto plan = faulty_vfs::ParsePlan(text, error);
  if (!plan) {
    std::fprintf(stderr, "crash_writer: %s: %s\n", faulty_vfs::kPlanVariable, error.c_str());
    return false;
  }
  return faulty_vfs::Install(*plan);
}

int Run(const std::vector<std::string>& positional, const Flags& flags) {
  if (positional.size() == 4 && positional[0] == "ingest") {
    int64_t batch = std::atoll(positional[3].c_str());
    if (batch < 1) return Usage();
    return extrace::testing::IngestLines(positional[1], positional[2], batch, flags.normal);
  }
  if (positional.size() == 3 && positional[0] == "cli-ingest")
    return extrace::testing::IngestCommand(positional[1], positional[2], flags.normal);
  if (positional.size() < 5) return Usage();
  int64_t n_events = std::atoll(positional[3].c_str());
  int64_t batch = std::atoll(positional[4].c_str());
  if (n_events < 1 || batch < 1) return Usage();
  if (positional[0] == "record" && positional.size() == 5)
    return Record(positional[1], positional[2], n_events, batch, flags);
  if (positional[0] == "append" && positional.size() == 6)
    return Append(positional[1], positional[2], n_events, batch, positional[5], flags);
  return Usage();
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> positional;
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--gate")
      flags.gate = true;
    else if (arg == "--open-gate")
      flags.open_gate = true;
    else if (arg == "--step")
      flags.step = true;
    else if (arg == "--normal")
      flags.normal = true;
    else if (arg == "--started")
      flags.started = true;
    else if (arg.starts_with("--"))
      return Usage();
    else
      positional.push_back(arg);
  }
  bool faulty = false;
  if (!InstallFaultyVfs(faulty)) return kExitUsage;
  int code = Run(positional, flags);
  if (faulty) Say(extrace::testing::faulty_vfs::CountsLine());
  return code;
}
