// Disk full, for real: stores on a small ext4 volume loop-mounted for the
// test (tmpfs where loop devices are missing; each case says which ran).
// `extrace ingest` until the disk is full: one "disk is full" line naming the
// store, exit 8, everything acknowledged readable while the disk is still
// full, and once space is freed the rest of the input goes in. The recorder on
// a full disk reports the error and stores everything once space is back. A
// store opened on a 100% full disk (its -shm file cannot be allocated) never
// dies of SIGBUS. Mounting needs root: elsewhere each case says it did not run.
#include <fmt/format.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "extrace/extrace.h"
#include "small_disk.h"
#include "storage/event_store.h"
#include "test_support.h"

namespace extrace {
namespace {

using Catch::Matchers::Contains;
using testing::ProcessResult;
using testing::RunCli;
using testing::SmallDisk;
using testing::TempDir;

// README, "Exit codes".
constexpr int kExitDiskFull = 8;
// 8 MiB of ext4 with 1 KiB blocks: about 6.5 MB for files.
constexpr int64_t kDiskBytes = 8 << 20;

// A case's temporary folder, its small disk (an ext4 image in the folder,
// mounted on folder/disk, unmounted before the folder goes) and the store on it.
struct DiskCase {
  explicit DiskCase(const std::string& store) : db(disk.File(store)) {}

  // Says which filesystem the case runs on (in the test output, and as a
  // Catch warning when it is not ext4); false when nothing could be mounted.
  bool Ready() const {
    const std::string name = Catch::getResultCapture().getCurrentTestName();
    std::printf("disk full test \"%s\": on %s\n", name.c_str(), disk.description().c_str());
    std::fflush(stdout);
    if (!disk.mounted()) {
      WARN("cannot mount a filesystem (not root?): this case did not run: " << disk.description());
      return false;
    }
    if (disk.kind() != SmallDisk::Kind::kExt4Loop)
      WARN("ran on " << disk.description() << ", not on ext4 on a loop device");
    return true;
  }

  TempDir dir;
  SmallDisk disk{dir.File("disk"), kDiskBytes, dir.File("disk.img")};
  const std::string db;
};

// The lines of run `run` with `events` events (started, progress, completed),
// exactly as `extrace events` prints them back.
std::vector<std::string> RunLines(int run, int events) {
  std::vector<std::string> lines;
  const std::string id = fmt::format("run-{}", run);
  for (int seq = 1; seq <= events; ++seq) {
    const int64_t ts = 1'764'000'000'000 + run * 100'000 + seq;
    if (seq == 1)
      lines.push_back(fmt::format(
          R"({{"executionId":"{}","seq":1,"timestamp":{},"type":"started","data":{{"rootNodeId":"r","nodes":[{{"id":"r","name":"R","type":"group"}},{{"id":"n","name":"N","type":"task","parentId":"r"}}]}}}})",
          id, ts));
    else if (seq == events)
      lines.push_back(fmt::format(
          R"({{"executionId":"{}","seq":{},"timestamp":{},"type":"completed","data":{{}}}})", id,
          seq, ts));
    else
      lines.push_back(fmt::format(
          R"({{"executionId":"{}","seq":{},"timestamp":{},"type":"progress","nodeId":"n","data":{{"progress":{},"message":"{}"}}}})",
          id, seq, ts, seq * 100 / events, std::string(120, static_cast<char>('a' + seq % 26))));
  }
  return lines;
}

std::string Joined(const std::vector<std::string>& lines, size_t from, size_t to) {
  std::string text;
  for (size_t i = from; i < to; ++i) text += lines[i] + "\n";
  return text;
}

// An input of `runs` runs of `events_per_run` events, in files of
// `events_per_file` events (each file one transaction of `extrace ingest`).
struct Input {
  std::vector<std::string> lines;  // every run's, in file order
  std::vector<std::string> files;
  std::vector<int> run_events;  // events of each run
  size_t events_per_file = 0;
};

Input WriteInput(const TempDir& dir, int runs, int events_per_run, int events_per_file) {
  Input input;
  input.events_per_file = static_cast<size_t>(events_per_file);
  for (int run = 0; run < runs; ++run) {
    auto lines = RunLines(run, events_per_run);
    for (int first = 0; first < events_per_run; first += events_per_file) {
      std::string file = dir.File(fmt::format("input-{}-{}.jsonl", run, first));
      testing::WriteFile(file,
                         Joined(lines, first, std::min(first + events_per_file, events_per_run)));
      input.files.push_back(file);
    }
    input.lines.insert(input.lines.end(), lines.begin(), lines.end());
    input.run_events.push_back(events_per_run);
  }
  return input;
}

ProcessResult Cli(const std::string& db, std::vector<std::string> args) {
  args.insert(args.begin(), {"--db", db});
  return RunCli(args);
}

ProcessResult IngestFiles(const std::string& db, const std::vector<std::string>& files) {
  std::vector<std::string> args{"ingest"};
  args.insert(args.end(), files.begin(), files.end());
  return Cli(db, args);
}

// Every stored event, run after run (run-0, run-1, ...), as `extrace events`
// prints them; runs not in the store print nothing. Fails on any other error.
std::string StoredLines(const std::string& db, int runs) {
  std::string text;
  for (int run = 0; run < runs; ++run) {
    ProcessResult events = Cli(db, {"events", fmt::format("run-{}", run)});
    INFO("events run-" << run << ": " << events.err);
    if (events.exit_code == 5) continue;  // not stored at all
    CHECK(events.exit_code == 0);
    text += events.out;
  }
  return text;
}

// Checks a failed command's stderr: one line, says the disk is full, names the store.
void CheckDiskFullLine(const ProcessResult& result, const std::string& db) {
  INFO("stderr: " << result.err);
  CHECK(result.exit_code == kExitDiskFull);
  CHECK(std::count(result.err.begin(), result.err.end(), '\n') == 1);
  CHECK_THAT(result.err, Contains("disk is full"));
  CHECK_THAT(result.err, Contains(db));
}

void CheckIntegrity(const std::string& db) {
  StoreOptions options;
  options.read_only = true;
  auto store = EventStore::Open(db, options);
  INFO((store ? "" : store.error().message));
  REQUIRE(store);
  auto check = (*store)->IntegrityCheck();
  REQUIRE(check);
  CHECK(*check == "ok");
}

}  // namespace

TEST_CASE(
    "ingest until the disk is full: everything acknowledged reads back and the rest goes in once "
    "space is freed",
    "[sqlite-only][disk-full]") {
  DiskCase test("full.db");
  if (!test.Ready()) return;
  // 9,600 events (~2 MB in the store) in 24 transactions.
  constexpr int kRuns = 8;
  Input input = WriteInput(test.dir, kRuns, 1200, 400);
  // Only 1 MiB is left for the store: it fills up about a third of the way.
  test.disk.WriteFiller("filler", test.disk.FreeBytes() - (1 << 20));

  ProcessResult first = IngestFiles(test.db, input.files);
  CheckDiskFullLine(first, test.db);
  CHECK_THAT(first.err, Contains("every line before them is stored"));
  long long stored = -1;
  REQUIRE(std::sscanf(first.out.c_str(), "stored %lld events, 0 duplicates", &stored) == 1);
  INFO("stored before the disk was full: " << stored);
  CHECK(stored > 0);
  CHECK(stored < static_cast<long long>(input.lines.size()));
  // Whole transactions: the files before the one that did not fit.
  CHECK(stored % static_cast<long long>(input.events_per_file) == 0);

  // The disk is still full: every acknowledged event reads back, nothing more.
  CHECK(StoredLines(test.db, kRuns) == Joined(input.lines, 0, static_cast<size_t>(stored)));
  ProcessResult list = Cli(test.db, {"list", "--json"});
  INFO(list.err);
  REQUIRE(list.exit_code == 0);
  long long listed = 0;
  const boost::json::value runs = boost::json::parse(list.out);
  for (const auto& run : runs.as_array()) listed += run.at("eventCount").to_number<long long>();
  CHECK(listed == stored);
  ProcessResult show = Cli(test.db, {"show", "run-0"});
  INFO(show.err);
  CHECK(show.exit_code == 0);

  // Space freed: the same input again stores the rest, the stored part as duplicates.
  test.disk.Remove("filler");
  ProcessResult second = IngestFiles(test.db, input.files);
  INFO("stderr: " << second.err);
  CHECK(second.exit_code == 0);
  CHECK(second.out == fmt::format("stored {} events, {} duplicates\n",
                                  static_cast<long long>(input.lines.size()) - stored, stored));
  CHECK(StoredLines(test.db, kRuns) == Joined(input.lines, 0, input.lines.size()));
  CheckIntegrity(test.db);
}

TEST_CASE("the recorder on a full disk reports disk full and stores everything once space is back",
          "[sqlite-only][disk-full]") {
  DiskCase test("recorder.db");
  if (!test.Ready()) return;
  auto opened = OpenRecorder(test.db);
  INFO((opened ? "" : opened.error().message));
  REQUIRE(opened);
  Recorder& recorder = **opened;
  RunStart start("flow", {{"flow", "Flow", "group"}, {"work", "Work", "task", "flow"}});
  start.execution_id = "recorded";
  auto run = recorder.StartRun(start);
  REQUIRE(run);
  auto node = recorder.Node(*run, "work");
  REQUIRE(node);
  REQUIRE(recorder.Flush());
  // 1 MiB left: a few flushes fit, then the disk is full.
  test.disk.WriteFiller("filler", test.disk.FreeBytes() - (1 << 20));

  size_t recorded = 1;
  Status flushed;
  const std::string message(200, 'm');
  for (int round = 0; round < 400 && flushed; ++round) {
    for (int i = 0; i < 500; ++i, ++recorded) recorder.ReportProgress(*node, i % 100, message);
    flushed = recorder.Flush();
  }
  REQUIRE_FALSE(flushed);
  INFO(flushed.error().message);
  CHECK(flushed.error().code == StatusCode::kDiskFull);
  CHECK_THAT(flushed.error().message, Contains("disk is full"));
  CHECK_THAT(flushed.error().message, Contains(test.db));
  // Everything made durable so far reads back, in order, while the disk is full.
  const size_t durable = recorder.DurableCount();
  CHECK(durable > 1);
  CHECK(durable < recorded);
  {
    ProcessResult events = Cli(test.db, {"events", "recorded"});
    INFO(events.err);
    REQUIRE(events.exit_code == 0);
    CHECK(static_cast<size_t>(std::count(events.out.begin(), events.out.end(), '\n')) == durable);
  }

  // Space back: the writer, still retrying (every second at most), stores the
  // rest; nothing was dropped. Until its next try, Flush reports the error
  // at once (recorder.h).
  test.disk.Remove("filler");
  recorder.CompleteRun(*run);
  ++recorded;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (recorder.DurableCount() < recorded && std::chrono::steady_clock::now() < deadline) {
    (void)recorder.Flush();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(recorder.DurableCount() == recorded);
  // This one may still report a retry that failed before the space came back
  // (Flush reports the first error since the last Flush); the next one is clean.
  (void)recorder.Flush();
  Status after = recorder.Flush();
  INFO((after ? "" : after.error().message));
  CHECK(after);
  opened->reset();
  auto store = EventStore::Open(test.db);
  REQUIRE(store);
  auto events = (*store)->ReadEvents("recorded");
  REQUIRE(events);
  REQUIRE(events->size() == recorded);
  for (size_t i = 0; i < events->size(); ++i)
    CHECK((*events)[i].seq == static_cast<int64_t>(i + 1));
  CHECK(events->back().type == EventType::kCompleted);
  store->reset();
  CheckIntegrity(test.db);
}

// A recorder destroyed while the disk stays full (crash_writer, a real process
// that exits when a Flush fails): its writer keeps trying for 10 s, then says
// how many events it could not store, and the process ends normally.
TEST_CASE("a recorder process ending on a full disk says what it could not store",
          "[sqlite-only][disk-full]") {
  DiskCase test("shutdown.db");
  if (!test.Ready()) return;
  // 1 MiB left: a few flushes of 1,000 events fit (many small transactions
  // under ASan too), then one does not.
  test.disk.WriteFiller("filler", test.disk.FreeBytes() - (1 << 20));
  const auto began = std::chrono::steady_clock::now();
  ProcessResult writer =
      testing::RunProcess(EXTRACE_TEST_HELPER, {"record", test.db, "ending", "200000", "1000"});
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  INFO("exit " << writer.exit_code << " after " << seconds << " s, stderr: " << writer.err);
  CHECK(writer.exit_code == 3);  // crash_writer's own: a Flush failed
  CHECK(std::count(writer.err.begin(), writer.err.end(), '\n') == 2);
  CHECK_THAT(writer.err, Contains("crash_writer: Flush: " + test.db));
  CHECK_THAT(writer.err, Contains("events could not be stored in " + test.db));
  // Both lines say why.
  const size_t first = writer.err.find("disk is full");
  CHECK(first != std::string::npos);
  CHECK(writer.err.find("disk is full", first + 1) != std::string::npos);
  CHECK(seconds < 30);
  // Every acknowledged event is there, with no gap.
  long long durable = 0;
  for (size_t at = writer.out.find("durable "); at != std::string::npos;
       at = writer.out.find("durable ", at + 1))
    durable = std::atoll(writer.out.c_str() + at + 8);
  CHECK(durable > 0);
  test.disk.Remove("filler");
  auto store = EventStore::Open(test.db);
  REQUIRE(store);
  auto events = (*store)->ReadEvents("ending");
  REQUIRE(events);
  CHECK(static_cast<long long>(events->size()) >= durable);
  for (size_t i = 0; i < events->size(); ++i)
    CHECK((*events)[i].seq == static_cast<int64_t>(i + 1));
}

// SQLite maps the -shm file and writes one byte per 4 KiB page to allocate it;
// on ext4's 1 KiB blocks the rest of each page stays a hole, and with a few
// KiB free the first store into a hole was a SIGBUS (exit 135) for every
// command. Each amount of free space below is tried with the store closed
// (its -shm file gone or cut to 3 bytes) on a disk filled to ENOSPC.
TEST_CASE("a store on a 100% full disk opens without SIGBUS: reads work and writes fail cleanly",
          "[sqlite-only][disk-full]") {
  DiskCase test("closed.db");
  if (!test.Ready()) return;
  constexpr int kRuns = 2;
  Input input = WriteInput(test.dir, kRuns, 300, 300);
  {
    ProcessResult stored = IngestFiles(test.db, input.files);
    INFO(stored.err);
    REQUIRE(stored.exit_code == 0);
  }
  std::string expected = Joined(input.lines, 0, input.lines.size());
  int late_runs_stored = 0;
  for (int free_kib : {0, 4, 8, 10, 12, 16, 24, 32, 48}) {
    INFO("free KiB before opening: " << free_kib);
    if (free_kib > 0) test.disk.WriteFiller("reserve", free_kib << 10);
    test.disk.FillWith("filler");
    if (free_kib > 0) test.disk.Remove("reserve");

    ProcessResult list = Cli(test.db, {"list", "--json"});
    INFO("list: " << list.err);
    CHECK(list.exit_code < 128);  // not killed by a signal
    CHECK(list.exit_code == 0);
    CHECK(StoredLines(test.db, kRuns) == expected);
    ProcessResult show = Cli(test.db, {"show", "run-1"});
    INFO("show: " << show.err);
    CHECK(show.exit_code == 0);

    if (free_kib == 0) {
      // A new store cannot be made there either: said so, in one line.
      const std::string fresh = test.disk.File("new.db");
      CheckDiskFullLine(Cli(fresh, {"ingest", input.files[0]}), fresh);
    }
    // A new run: refused cleanly with disk full, or stored when it fits.
    const std::string late = test.dir.File(fmt::format("late-{}.jsonl", free_kib));
    auto late_lines = RunLines(100 + free_kib, 5);
    testing::WriteFile(late, Joined(late_lines, 0, late_lines.size()));
    ProcessResult ingest = Cli(test.db, {"ingest", late});
    INFO("ingest: " << ingest.err);
    CHECK(ingest.exit_code < 128);
    if (ingest.exit_code == 0) {
      CHECK(ingest.out == "stored 5 events, 0 duplicates\n");
      ++late_runs_stored;
    } else {
      CheckDiskFullLine(ingest, test.db);
    }
    test.disk.Remove("filler");
  }
  std::printf("disk full test: %d of 9 late runs fitted on the nearly full disk\n",
              late_runs_stored);
  // Space back: the store is whole and writable.
  auto last_lines = RunLines(kRuns, 5);
  testing::WriteFile(test.dir.File("last.jsonl"), Joined(last_lines, 0, last_lines.size()));
  ProcessResult again = Cli(test.db, {"ingest", test.dir.File("last.jsonl")});
  INFO(again.err);
  CHECK(again.exit_code == 0);
  CHECK(again.out == "stored 5 events, 0 duplicates\n");
  CHECK(StoredLines(test.db, kRuns + 1) == expected + Joined(last_lines, 0, last_lines.size()));
  CheckIntegrity(test.db);
}

}  // namespace extrace
