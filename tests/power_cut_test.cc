// Power loss: crash_writer runs on the faulty VFS shim (faulty_vfs.h), which
// cuts the power at I/O call N, undoing (or tearing at sector granularity)
// every write since each file's last sync, in the middle of the ingest append
// loop or of the recorder. The store is then reopened with the normal VFS:
// with durability `full` every acknowledged event is there; with `normal` each
// run is a clean prefix of what was written (seqs 1..k, every row intact).
// Both: PRAGMA integrity_check is ok, earlier runs are untouched, and the
// store takes new runs afterwards. `make soak-powercut` runs 1,000 cuts.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <random>
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
using testing::faulty_vfs::kPowerCutExitCode;

// Events of each run and events per transaction (ingest batch, recorder flush):
// a dozen commits per run, so cuts land before, between and inside them.
constexpr int64_t kEvents = 240;
constexpr int64_t kBatch = 20;

struct Scenario {
  bool recorder = false;  // else the ingest append loop
  bool normal = false;    // Durability::kNormal, else kFull
  int cuts = 0;
  // Each run writes into a new store it creates itself, so cuts also land in
  // the creation of the file; else every run appends to one existing store.
  bool fresh = false;
};

struct Figures {
  int runs = 0;         // writer processes started
  int cuts = 0;         // of them, stopped by a power cut (the rest ended first)
  int64_t checked = 0;  // acknowledged events checked after the cuts (full)
  int64_t lost = 0;     // acknowledged events a cut took (normal)
  int cuts_losing = 0;  // cuts that took some (normal)
  std::vector<std::string> failures;
};

std::string Name(const Scenario& s) {
  return fmt::format("{} {}{}", s.recorder ? "recorder" : "ingest", s.normal ? "normal" : "full",
                     s.fresh ? " new" : "");
}

std::vector<std::string> WriterArgs(const Scenario& s, const std::string& db, const std::string& id,
                                    const std::string& input) {
  std::vector<std::string> args;
  if (s.recorder)
    args = {"record", db, id, std::to_string(kEvents), std::to_string(kBatch)};
  else
    args = {"ingest", db, input, std::to_string(kBatch)};
  if (s.normal) args.push_back("--normal");
  return args;
}

// crash_writer's recorded run (crash_writer.cc, Record): `started`, leaves
// fetch/parse/store set executing, then progress "step i", then `completed`.
std::optional<std::string> RecorderEventProblem(const Event& event) {
  static const char* kLeaves[] = {"fetch", "parse", "store"};
  const int64_t i = event.seq - 2;
  EventType type = event.seq == 1             ? EventType::kStarted
                   : event.seq == kEvents + 1 ? EventType::kCompleted
                   : i < 3                    ? EventType::kStateChange
                                              : EventType::kProgress;
  bool ok = event.type == type;
  if (type == EventType::kStateChange || type == EventType::kProgress)
    ok = ok && event.node_id == kLeaves[i % 3];
  if (type == EventType::kProgress)
    ok = ok && event.data_json.find(fmt::format("\"step {}\"", i)) != std::string::npos;
  if (ok) return std::nullopt;
  return fmt::format("seq {} is not what the recorder wrote: {} {} {}", event.seq,
                     EventTypeName(event.type), event.node_id, event.data_json);
}

// Checks the store after the cut of run `id`; returns what is wrong, if anything.
std::optional<std::string> CheckAfterCut(const Scenario& s, const std::string& db,
                                         const std::string& id, const std::vector<Event>& input,
                                         int64_t acked, std::map<std::string, int64_t>& runs,
                                         Figures& figures) {
  auto store = EventStore::Open(db);
  if (!store) return "reopen: " + store.error().message;
  auto integrity = (*store)->IntegrityCheck();
  if (!integrity || *integrity != "ok")
    return "integrity_check: " + (integrity ? *integrity : integrity.error().message);
  auto events = (*store)->ReadEvents(id);
  if (!events) return "read: " + events.error().message;
  const auto stored = static_cast<int64_t>(events->size());
  if (size_t gap = testing::FirstSeqGap(*events); gap != events->size())
    return fmt::format("seq gap: position {} holds seq {}", gap, (*events)[gap].seq);
  for (const Event& event : *events) {
    if (s.recorder) {
      if (auto problem = RecorderEventProblem(event)) return problem;
    } else if (event.seq > static_cast<int64_t>(input.size()) ||
               !(event == input[static_cast<size_t>(event.seq - 1)])) {
      return fmt::format("seq {} differs from the line ingested", event.seq);
    }
  }
  // Ingest acknowledges input lines, one event each: line K is seq K.
  if (!s.normal && stored < acked)
    return fmt::format("{} events acknowledged, {} stored", acked, stored);
  if (!s.normal) figures.checked += acked;
  if (s.normal && stored < acked) {
    figures.lost += acked - stored;
    ++figures.cuts_losing;
  }
  auto summary = (*store)->GetRun(id);
  if (!summary) return "summary: " + summary.error().message;
  if (stored > 0 &&
      (!*summary || (*summary)->event_count != stored || (*summary)->max_seq != stored))
    return fmt::format("the run's summary does not count its {} events", stored);
  auto listed = (*store)->ListRuns();
  if (!listed) return "list: " + listed.error().message;
  runs[id] = stored;
  std::map<std::string, int64_t> now;
  for (const RunSummary& run : *listed) now[run.execution_id] = run.event_count;
  for (const auto& [other, count] : runs)
    if (count > 0 && now[other] != count)
      return fmt::format("run {} had {} events, now {}", other, count, now[other]);
  return std::nullopt;
}

// One scenario: a fault-free run counts the I/O calls, then `cuts` runs each
// cut at a point of its own stratum of that range, checked after each.
Figures RunCuts(const Scenario& s, uint64_t seed) {
  Figures figures;
  TempDir dir;
  const std::string shared_db = dir.File("cut.db");
  // The store exists, as once anything was recorded.
  if (!s.fresh) REQUIRE(EventStore::Open(shared_db));
  auto db_for = [&](const std::string& id) { return s.fresh ? dir.File(id + ".db") : shared_db; };
  std::map<std::string, int64_t> runs;
  auto input_for = [&](const std::string& id) {
    std::vector<Event> events = testing::IngestEvents(id, kEvents);
    if (!s.recorder) testing::AppendEventsFile(dir.File(id + ".jsonl"), events);
    return events;
  };

  input_for("count");
  auto counted =
      RunFaultyWriter(WriterArgs(s, db_for("count"), "count", dir.File("count.jsonl")), "count");
  INFO(Name(s) << " counting run, stderr: " << counted.process.err);
  REQUIRE(counted.process.exit_code == 0);
  const int64_t calls = counted.io["total"];
  REQUIRE(calls > 0);
  runs["count"] = counted.acked;

  std::mt19937_64 random(seed);
  std::string db;  // the store of the latest run
  // A little past the end too: the store grows, and later runs make more calls.
  const int64_t span = calls + calls / 20;
  for (int i = 0; i < s.cuts; ++i) {
    const std::string id = fmt::format("cut-{:04}", i);
    const int64_t low = 1 + span * i / s.cuts;
    const int64_t high = std::max(low + 1, 1 + span * (i + 1) / s.cuts);
    const int64_t cut_at = low + static_cast<int64_t>(random() % static_cast<uint64_t>(high - low));
    const std::string plan = fmt::format("cut={},seed={}", cut_at, random());
    std::vector<Event> input = input_for(id);
    db = db_for(id);
    if (s.fresh) runs.clear();
    auto run = RunFaultyWriter(WriterArgs(s, db, id, dir.File(id + ".jsonl")), plan);
    ++figures.runs;
    const std::string where = fmt::format("{}: run {} with {}", Name(s), id, plan);
    const int code = run.process.exit_code;
    if ((code != kPowerCutExitCode && code != 0) || !run.process.err.empty()) {
      figures.failures.push_back(
          fmt::format("{}: exit {}, stderr: {}", where, code, run.process.err));
      continue;
    }
    if (code == kPowerCutExitCode) ++figures.cuts;
    if (auto problem = CheckAfterCut(s, db, id, input, run.acked, runs, figures))
      figures.failures.push_back(
          fmt::format("{} (acknowledged {}): {}", where, run.acked, *problem));
  }

  // The store takes new runs after all those cuts.
  std::vector<Event> after = testing::IngestEvents("after", 50);
  testing::AppendEventsFile(dir.File("after.jsonl"), after);
  auto ingested = testing::RunCli({"--db", db, "ingest", dir.File("after.jsonl")});
  INFO(ingested.err);
  CHECK(ingested.exit_code == 0);
  CHECK(ingested.out == "stored 50 events, 0 duplicates\n");
  auto listed = testing::RunCli({"--db", db, "list"});
  CHECK(listed.exit_code == 0);
  CHECK(listed.out.find("after") != std::string::npos);
  return figures;
}

uint64_t Seed() {
  if (const char* env = std::getenv("EXTRACE_POWERCUT_SEED"); env && *env)
    return std::strtoull(env, nullptr, 10);
  return std::random_device{}();
}

void RunAndReport(const std::vector<Scenario>& scenarios, bool print) {
  const uint64_t seed = Seed();
  INFO("seed " << seed << " (replay with EXTRACE_POWERCUT_SEED)");
  Figures total;
  for (const Scenario& s : scenarios) {
    Figures f = RunCuts(s, seed + (s.recorder ? 2 : 0) + (s.normal ? 1 : 0));
    if (print)
      std::printf(
          "%-19s runs %d, power cuts %d, acknowledged events checked %lld, "
          "acknowledged events lost %lld (in %d cuts), failures %zu\n",
          Name(s).c_str(), f.runs, f.cuts, static_cast<long long>(f.checked),
          static_cast<long long>(f.lost), f.cuts_losing, f.failures.size());
    total.runs += f.runs;
    total.cuts += f.cuts;
    total.checked += f.checked;
    total.failures.insert(total.failures.end(), f.failures.begin(), f.failures.end());
  }
  if (print)
    std::printf(
        "power cuts: %d of %d runs, acknowledged events checked (full): %lld, "
        "failures: %zu\n",
        total.cuts, total.runs, static_cast<long long>(total.checked), total.failures.size());
  for (const std::string& failure : total.failures) FAIL_CHECK(failure);
  CHECK(total.failures.empty());
}

// CI size: 5 x 80 cuts.
constexpr int kCiCuts = 80;

TEST_CASE("power cut during ingest with durability full loses no acknowledged event",
          "[power-cut]") {
  RunAndReport({{.recorder = false, .normal = false, .cuts = kCiCuts}}, false);
}

TEST_CASE("power cut during ingest with durability normal leaves a clean prefix", "[power-cut]") {
  RunAndReport({{.recorder = false, .normal = true, .cuts = kCiCuts}}, false);
}

TEST_CASE("power cut under the recorder with durability full loses no acknowledged event",
          "[power-cut]") {
  RunAndReport({{.recorder = true, .normal = false, .cuts = kCiCuts}}, false);
}

TEST_CASE("power cut under the recorder with durability normal leaves a clean prefix",
          "[power-cut]") {
  RunAndReport({{.recorder = true, .normal = true, .cuts = kCiCuts}}, false);
}

TEST_CASE("power cut while ingest creates the store", "[power-cut]") {
  RunAndReport({{.recorder = false, .normal = false, .cuts = kCiCuts / 2, .fresh = true},
                {.recorder = false, .normal = true, .cuts = kCiCuts / 2, .fresh = true}},
               false);
}

// make soak-powercut: 1,000 cuts, and the figures on stdout.
TEST_CASE("power cut soak", "[.soak-powercut]") {
  RunAndReport({{false, false, 225},
                {false, true, 225},
                {true, false, 225},
                {true, true, 225},
                {false, false, 50, true},
                {false, true, 50, true}},
               true);
}

}  // namespace
}  // namespace extrace
