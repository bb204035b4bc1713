// Allocation failure: `extrace ingest` of a small stream into a fresh store,
// run as a real process whose SQLite allocator fails the Nth allocation
// (extrace_sqlite_faults: the CLI with tests/sqlite_fault_malloc.cc), once or
// from then on. For every N tried: no crash (no signal, and under ASan no
// sanitizer report, leaks included), success or one clean line that says "out
// of memory" and names the store, every acknowledged event stored, and a rerun
// with the normal CLI ends with exactly the events of a fault-free ingest.
// The default suite tries a sample of N; [.soak] tries every N.
#include <fmt/format.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "cli_test_support.h"
#include "format/event_line.h"
#include "small_disk.h"
#include "storage/event_store.h"
#include "test_support.h"

namespace extrace {
namespace {

using namespace testing;
using Catch::Matchers::Contains;

constexpr int kFiles = 4;
constexpr int kRunsPerFile = 2;
constexpr int kEventsPerRun = 5;  // cli_test::FullRun
// Tries of N in the default suite, per mode (once, persistent): this many
// while opening the store, as many in the appends.
constexpr int64_t kSampledTries = 60;

std::string RunId(int run) { return fmt::format("run-{}", run); }

// The small stream: kFiles files (each one transaction of ingest), two runs each.
struct Stream {
  std::vector<std::string> files;
  // What each file stores, as `extrace events` prints it (a fault-free ingest).
  std::vector<std::string> stored_by_file;
};

// Every stored event of run-0, run-1, ... as `extrace events` prints them,
// read in this (fault-free) process; empty when the store cannot be opened
// (a faulted run may have left no database).
std::string StoredEvents(const std::string& db) {
  if (!std::filesystem::exists(db)) return "";
  StoreOptions options;
  options.read_only = true;
  options.busy_retry_budget_ms = 0;  // a file without a schema is not waited for
  auto store = EventStore::Open(db, options);
  if (!store) return "";
  std::string text;
  for (int run = 0; run < kFiles * kRunsPerFile; ++run) {
    auto events = (*store)->ReadEvents(RunId(run));
    INFO((events ? "" : events.error().message));
    REQUIRE(events);
    for (const Event& event : *events) AppendEventLine(text, event);
  }
  return text;
}

Stream WriteStream(const TempDir& dir) {
  Stream stream;
  const std::string reference = dir.File("reference.db");
  for (int file = 0; file < kFiles; ++file) {
    std::string text;
    for (int run = file * kRunsPerFile; run < (file + 1) * kRunsPerFile; ++run)
      text += cli_test::FullRun(RunId(run));
    stream.files.push_back(dir.File(fmt::format("input-{}.jsonl", file)));
    testing::WriteFile(stream.files.back(), text);
    // The oracle: the normal CLI's store, one file more each time.
    cli_test::CliOk(reference, {"ingest", stream.files.back()});
    std::string all = StoredEvents(reference);
    std::string before;
    for (const auto& part : stream.stored_by_file) before += part;
    REQUIRE(all.starts_with(before));
    stream.stored_by_file.push_back(all.substr(before.size()));
  }
  return stream;
}

std::vector<std::string> IngestArgs(const std::string& db, const Stream& stream) {
  std::vector<std::string> args{"--db", db, "ingest"};
  args.insert(args.end(), stream.files.begin(), stream.files.end());
  return args;
}

// The faulted CLI with SQLite's allocation `fail_at` failing (0: none).
ProcessResult FaultedCli(const std::vector<std::string>& args, int64_t fail_at, bool persist,
                         const std::string& count_file = "") {
  std::vector<std::string> env{fmt::format("EXTRACE_SQLITE_FAIL_AT={}", fail_at),
                               fmt::format("EXTRACE_SQLITE_FAIL_PERSIST={}", persist ? 1 : 0)};
  if (!count_file.empty()) env.push_back("EXTRACE_SQLITE_ALLOC_COUNT=" + count_file);
  return testing::RunProcessWithEnv(EXTRACE_SQLITE_FAULTS_CLI, args, env);
}

ProcessResult FaultedIngest(const std::string& db, const Stream& stream, int64_t fail_at,
                            bool persist, const std::string& count_file = "") {
  return FaultedCli(IngestArgs(db, stream), fail_at, persist, count_file);
}

// No crash, and success or one line that names the store and says what ran out.
void CheckCleanOutcome(const ProcessResult& faulted, const std::string& db) {
  CHECK(faulted.exit_code < 128);  // no signal
  CHECK_THAT(faulted.err, !Contains("Sanitizer") && !Contains("runtime error"));
  if (faulted.exit_code != 0) {
    CHECK(faulted.exit_code == 17);  // README: out of memory
    CHECK(std::count(faulted.err.begin(), faulted.err.end(), '\n') == 1);
    CHECK_THAT(faulted.err, Contains(db));
    CHECK_THAT(faulted.err, Contains("out of memory"));
  }
}

// How many allocations SQLite makes in a fault-free ingest of `files` into
// a fresh store.
int64_t AllocationsOfCleanIngest(const TempDir& dir, const std::vector<std::string>& files) {
  static int clean_runs = 0;
  const std::string db = dir.File(fmt::format("clean-{}.db", ++clean_runs));
  const std::string count_file = db + ".allocations";
  Stream input{files, {}};
  ProcessResult clean = FaultedIngest(db, input, 0, false, count_file);
  INFO(clean.err);
  REQUIRE(clean.exit_code == 0);
  long long count = 0;
  REQUIRE(std::sscanf(testing::ReadFile(count_file).c_str(), "%lld", &count) == 1);
  return count;
}

// One N: the faulted ingest into a fresh store in `folder`, what it left,
// then the rerun. The store is removed afterwards. Returns the outcome: "exit
// 0", or the exit code and the error line with the store's path as STORE.
std::string CheckOneFault(const std::string& folder, const Stream& stream, int64_t fail_at,
                          bool persist) {
  const std::string db = fmt::format("{}/n{}-{}.db", folder, fail_at, persist ? "p" : "o");
  INFO("allocation " << fail_at << (persist ? " and every one after it" : " alone")
                     << " fails; store " << db);
  ProcessResult faulted = FaultedIngest(db, stream, fail_at, persist);
  INFO("exit " << faulted.exit_code << ", stdout: " << faulted.out << "stderr: " << faulted.err);
  CheckCleanOutcome(faulted, db);
  long long acknowledged = 0;
  std::sscanf(faulted.out.c_str(), "stored %lld events", &acknowledged);
  // What it stored is whole transactions from the start of the input, and
  // holds at least every event it acknowledged.
  const std::string stored = StoredEvents(db);
  std::string prefix;
  size_t files_stored = 0;
  while (files_stored < stream.files.size() && prefix.size() < stored.size())
    prefix += stream.stored_by_file[files_stored++];
  CHECK(stored == prefix);
  CHECK(static_cast<long long>(files_stored) * kRunsPerFile * kEventsPerRun >= acknowledged);

  // The fault gone, the same input ends with exactly the fault-free events.
  ProcessResult rerun = testing::RunCli(IngestArgs(db, stream));
  INFO("rerun: " << rerun.err);
  CHECK(rerun.exit_code == 0);
  const int total = kFiles * kRunsPerFile * kEventsPerRun;
  const int duplicates = static_cast<int>(files_stored) * kRunsPerFile * kEventsPerRun;
  CHECK(rerun.out ==
        fmt::format("stored {} events, {} duplicates\n", total - duplicates, duplicates));
  std::string all;
  for (const auto& part : stream.stored_by_file) all += part;
  CHECK(StoredEvents(db) == all);
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db + suffix);
  std::string outcome = fmt::format("exit {}", faulted.exit_code);
  if (faulted.exit_code != 0) {
    std::string line = faulted.err.substr(0, faulted.err.find('\n'));
    if (auto at = line.find(db); at != std::string::npos) line.replace(at, db.size(), "STORE");
    outcome += ": " + line;
  }
  return outcome;
}

// Tries N = 1 .. allocations (every `step`-th, and the last few), in one mode.
void Sweep(bool persist, bool every_n) {
  TempDir dir;
  // The stores on a tmpfs when we may mount one: the same SQLite files, but
  // fsync costs nothing there, and each N makes two stores.
  SmallDisk memory(dir.File("stores"), int64_t{256} << 20);
  const std::string folder = dir.File("stores");
  std::printf("allocation failure: the stores are on %s\n",
              memory.mounted() ? "a tmpfs" : "the temporary folder's disk (tmpfs not mounted)");
  Stream stream = WriteStream(dir);
  const int64_t allocations = AllocationsOfCleanIngest(dir, stream.files);
  // Most of them open the store (the schema's statements); the sample takes
  // as many tries in the appends after that as in the opening.
  testing::WriteFile(dir.File("empty.jsonl"), "");
  const int64_t opening = AllocationsOfCleanIngest(dir, {dir.File("empty.jsonl")});
  REQUIRE(opening < allocations);
  std::set<int64_t> tries;
  if (every_n) {
    for (int64_t n = 1; n <= allocations; ++n) tries.insert(n);
  } else {
    for (int64_t i = 0; i < kSampledTries; ++i) {
      tries.insert(1 + i * opening / kSampledTries);
      tries.insert(opening + 1 + i * (allocations - opening) / kSampledTries);
    }
    // The last allocations (closing the store) are as interesting as the first.
    for (int64_t n = std::max<int64_t>(1, allocations - 3); n <= allocations; ++n) tries.insert(n);
  }
  const auto began = std::chrono::steady_clock::now();
  std::map<std::string, int> outcomes;
  for (int64_t n : tries) ++outcomes[CheckOneFault(folder, stream, n, persist)];
  const int64_t tried = std::ssize(tries);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  std::printf(
      "allocation failure (%s): a fault-free ingest makes %lld SQLite allocations (%lld of them "
      "opening the store); tried %lld of them in %.1f s\n",
      persist ? "persistent" : "once", static_cast<long long>(allocations),
      static_cast<long long>(opening), static_cast<long long>(tried), seconds);
  for (const auto& [outcome, count] : outcomes) std::printf("  %5d x %s\n", count, outcome.c_str());
  std::fflush(stdout);
  CHECK(allocations > 100);  // the wrapper saw SQLite's allocations at all
}

}  // namespace

TEST_CASE("sqlite allocation failure once during ingest: clean error and nothing lost",
          "[sqlite-only][alloc-failure]") {
  Sweep(/*persist=*/false, /*every_n=*/false);
}

TEST_CASE("sqlite allocation failure from the Nth on during ingest: clean error and nothing lost",
          "[sqlite-only][alloc-failure]") {
  Sweep(/*persist=*/true, /*every_n=*/false);
}

// Read commands: with allocation N failing, the same output as without, or
// one clean line.
TEST_CASE("sqlite allocation failure in list and show and events: the same output or a clean error",
          "[sqlite-only][alloc-failure]") {
  TempDir dir;
  WriteStream(dir);
  const std::string db = dir.File("reference.db");
  const std::vector<std::vector<std::string>> commands{
      {"list", "--json"}, {"show", "run-1"}, {"events", "run-2"}};
  for (const auto& command : commands) {
    std::vector<std::string> args{"--db", db};
    args.insert(args.end(), command.begin(), command.end());
    const std::string count_file = dir.File("read-allocations");
    ProcessResult clean = FaultedCli(args, 0, false, count_file);
    REQUIRE(clean.exit_code == 0);
    long long allocations = 0;
    REQUIRE(std::sscanf(testing::ReadFile(count_file).c_str(), "%lld", &allocations) == 1);
    int same = 0;
    for (int64_t i = 0; i < kSampledTries; ++i) {
      const int64_t n = 1 + i * allocations / kSampledTries;
      ProcessResult faulted = FaultedCli(args, n, false);
      INFO(command[0] << " with allocation " << n << " of " << allocations << " failing: exit "
                      << faulted.exit_code << ", " << faulted.err);
      CheckCleanOutcome(faulted, db);
      if (faulted.exit_code == 0) {
        CHECK(faulted.out == clean.out);
        ++same;
      }
    }
    std::printf("allocation failure in %s: %lld allocations, %lld tried, %d of them unharmed\n",
                command[0].c_str(), allocations, static_cast<long long>(kSampledTries), same);
  }
}

// Every N, in two sections (each took 12 to 18 minutes here, the two side by
// side on a loaded machine; `-c once` or `-c persistent` runs one).
TEST_CASE("sqlite allocation failure at every N of an ingest (soak)", "[.soak][alloc-failure]") {
  SECTION("once") { Sweep(/*persist=*/false, /*every_n=*/true); }
  SECTION("persistent") { Sweep(/*persist=*/true, /*every_n=*/true); }
}

}  // namespace extrace
