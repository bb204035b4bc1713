// I/O errors: `extrace ingest` (the CLI's own command, run inside crash_writer
// on the faulty VFS shim, faulty_vfs.h) meets a failing read, write, sync,
// truncate or lock at its Nth call, once or from then on, with EIO, ENOSPC or
// EACCES. Every time: no crash, no error line or exactly one that names the
// store and what failed, a documented exit code, every line it acknowledged
// stored (reopened with the normal VFS, integrity ok); then the same input
// ingested again with the fault gone ends with exactly the input's events,
// the earlier ones counted as duplicates. `make soak-io-errors` tries every N.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "durability_test_support.h"
#include "faulty_vfs.h"
#include "storage/event_store.h"
#include "test_support.h"

namespace extrace {
namespace {

using testing::RunFaultyWriter;
using testing::TempDir;
using testing::faulty_vfs::Fault;
using testing::faulty_vfs::FaultText;
using testing::faulty_vfs::Kind;
using testing::faulty_vfs::KindName;

// Two runs in one input, one transaction (ingest's batches are 32768 events).
constexpr int64_t kRunEvents = 150;

struct Fixture {
  TempDir dir;
  std::string template_db = dir.File("template.db");
  std::string input = dir.File("input.jsonl");
  std::vector<std::vector<Event>> runs;
  int64_t total = 0;
  std::map<std::string, int64_t> calls;  // a fault-free ingest's I/O calls by kind
  int tried = 0;
  std::set<int> exit_codes;
  std::vector<std::string> failures;

  Fixture() {
    for (const char* id : {"io-a", "io-b"}) {
      runs.push_back(testing::IngestEvents(id, kRunEvents));
      testing::AppendEventsFile(input, runs.back());
      total += kRunEvents;
    }
    // An existing, empty store: what each faulty ingest starts from.
    REQUIRE(EventStore::Open(template_db));
    const std::string db = Fresh("count.db");
    auto counted = RunFaultyWriter({"cli-ingest", db, input}, "count");
    INFO(counted.process.err);
    REQUIRE(counted.process.exit_code == 0);
    calls = counted.io;
    REQUIRE(calls["total"] > 0);
  }

  std::string Fresh(const std::string& name) {
    const std::string db = dir.File(name);
    std::filesystem::copy_file(template_db, db);
    return db;
  }

  std::optional<std::string> Problem(const Fault& fault, const std::string& db);
  void Try(const Fault& fault) {
    const std::string db = Fresh(fmt::format("fault-{}.db", tried++));
    if (auto problem = Problem(fault, db))
      failures.push_back(fmt::format("{}: {}", FaultText(fault), *problem));
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db + suffix);
  }
};

// The exit codes README.md documents for these failures: busy (a lock refused),
// disk full, I/O error.
bool Documented(int code, const Fault& fault) {
  if (code == 0 || code == 11) return true;
  if (code == 8) return fault.error_number == ENOSPC;
  if (code == 6) return fault.kind == Kind::kLock || fault.kind == Kind::kAny;
  return false;
}

std::optional<std::string> Fixture::Problem(const Fault& fault, const std::string& db) {
  auto run = RunFaultyWriter({"cli-ingest", db, input}, FaultText(fault));
  const int code = run.process.exit_code;
  exit_codes.insert(code);
  if (code >= 128) return fmt::format("ended by signal {}", code - 128);
  if (!Documented(code, fault)) return fmt::format("exit {}: {}", code, run.process.err);
  // Lines before the one an append stopped at are acknowledged stored.
  int64_t acked = code == 0 ? total : 0;
  if (code != 0) {
    const std::string& err = run.process.err;
    if (err.empty() || err.find('\n') != err.size() - 1)
      return fmt::format("exit {} wants one error line, got: {}", code, err);
    static const std::regex kNamesWhat(": (opening|appending events)[ :]");
    if (err.find(db) == std::string::npos || !std::regex_search(err, kNamesWhat))
      return "the error does not name the store and what failed: " + err;
    std::smatch stopped;
    static const std::regex kStopped("stopped at lines (\\d+)-");
    if (std::regex_search(err, stopped, kStopped)) acked = std::stoll(stopped[1]) - 1;
  } else if (!run.process.err.empty()) {
    return "exit 0 with an error: " + run.process.err;
  }
  int64_t reported = 0;
  std::smatch said;
  static const std::regex kStored("stored (\\d+) events");
  if (std::regex_search(run.process.out, said, kStored)) reported = std::stoll(said[1]);

  // What is stored, read back by the product with the normal VFS.
  int64_t stored = 0;
  {
    auto store = EventStore::Open(db);
    if (!store) return "reopen: " + store.error().message;
    auto integrity = (*store)->IntegrityCheck();
    if (!integrity || *integrity != "ok") return "integrity_check failed";
    for (const auto& input_run : runs) {
      auto events = (*store)->ReadEvents(input_run.front().execution_id);
      if (!events) return "read: " + events.error().message;
      for (size_t i = 0; i < events->size(); ++i)
        if (!((*events)[i] == input_run[i])) return fmt::format("event {} is not the input", i);
      stored += static_cast<int64_t>(events->size());
    }
  }
  if (stored < acked) return fmt::format("{} lines acknowledged, {} events stored", acked, stored);
  if (stored < reported) return fmt::format("said it stored {}, {} are", reported, stored);

  // The fault is gone: the same input again ends with exactly its events.
  auto again = testing::RunCli({"--db", db, "ingest", input});
  if (again.exit_code != 0) return "ingest again: " + again.err;
  if (again.out != fmt::format("stored {} events, {} duplicates\n", total - stored, stored))
    return fmt::format("ingest again after {} stored: {}", stored, again.out);
  auto store = EventStore::Open(db);
  if (!store) return "reopen after: " + store.error().message;
  for (const auto& input_run : runs) {
    auto events = (*store)->ReadEvents(input_run.front().execution_id);
    if (!events || *events != input_run) return "after ingesting again the run differs";
  }
  return std::nullopt;
}

// `every`: each N from 1 to the kind's calls in a fault-free ingest; else
// about `samples` of them, spread over the range, first and last included.
void TryKinds(Fixture& fixture, const std::vector<Kind>& kinds, bool every, int samples,
              bool skip_lock_refused) {
  for (Kind kind : kinds) {
    const int64_t calls = fixture.calls[std::string(kind == Kind::kAny ? "total" : KindName(kind))];
    std::set<int64_t> ns;
    for (int64_t n = 1; n <= calls; ++n)
      if (every || n == 1 || n == calls || (n - 1) % std::max<int64_t>(1, calls / samples) == 0)
        ns.insert(n);
    for (bool persistent : {false, true}) {
      for (int error : {EIO, ENOSPC, EACCES}) {
        // A lock refused for good is busy: ingest waits out its 60 s budget.
        if (persistent && error == EACCES && skip_lock_refused &&
            (kind == Kind::kLock || kind == Kind::kAny))
          continue;
        for (int64_t n : ns) fixture.Try(Fault{kind, n, persistent, error});
      }
    }
  }
}

void Report(const Fixture& fixture, bool print) {
  if (print) {
    std::string codes;
    for (int code : fixture.exit_codes) codes += fmt::format(" {}", code);
    std::printf(
        "I/O faults tried: %d (ingest of %lld events, %lld I/O calls), exit codes seen:%s, "
        "failures: %zu\n",
        fixture.tried, static_cast<long long>(fixture.total),
        static_cast<long long>(fixture.calls.at("total")), codes.c_str(), fixture.failures.size());
  }
  for (const std::string& failure : fixture.failures) FAIL_CHECK(failure);
  CHECK(fixture.failures.empty());
}

const std::vector<Kind> kEachKind = {Kind::kRead, Kind::kWrite, Kind::kSync, Kind::kTruncate,
                                     Kind::kLock};

TEST_CASE("ingest meeting I/O errors reports them in one line and loses nothing", "[io-error]") {
  Fixture fixture;
  TryKinds(fixture, kEachKind, /*every=*/false, /*samples=*/4, /*skip_lock_refused=*/true);
  Report(fixture, false);
}

// One ingest of the input into a fresh store, its I/O failing as `plan` says:
// its exit code and its error line.
void CheckIngestFails(const std::string& plan, int exit_code, const std::string& error_after_db) {
  Fixture fixture;
  const std::string db = fixture.Fresh("store.db");
  auto run = RunFaultyWriter({"cli-ingest", db, fixture.input}, plan);
  CHECK(run.process.exit_code == exit_code);
  CHECK(run.process.err == fmt::format("extrace ingest: {}: {}\n", db, error_after_db));
}

// Regression: an I/O error while opening said only "DB: disk I/O error".
TEST_CASE("an I/O error while opening the store says opening", "[io-error]") {
  CheckIngestFails("fault=read:1:once:EIO", 11, "opening: disk I/O error");
}

// Regression: the WAL index's locks refused for good (from the 8th lock call
// on) ended in SQLite's "locking protocol", which the CLI took for an internal
// error (exit 1).
TEST_CASE("a WAL index lock refused for good is busy", "[io-error]") {
  CheckIngestFails("fault=lock:8:persistent:EACCES", 6, "opening: locking protocol");
}

// make soak-io-errors: every N of every kind, and of any kind.
TEST_CASE("I/O error soak", "[.soak-io-errors]") {
  Fixture fixture;
  TryKinds(fixture, kEachKind, /*every=*/true, 0, /*skip_lock_refused=*/true);
  TryKinds(fixture, {Kind::kAny}, /*every=*/true, 0, /*skip_lock_refused=*/true);
  // A lock refused for good, at the first and the last lock: busy, after the budget.
  const int64_t locks = fixture.calls["lock"];
  for (int64_t n : {int64_t{1}, locks}) fixture.Try(Fault{Kind::kLock, n, true, EACCES});
  Report(fixture, true);
}

}  // namespace
}  // namespace extrace
