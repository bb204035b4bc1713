// "Many machines" on PostgreSQL: recorder processes and `extrace ingest`
// processes, each with its own connection, append into one database while
// reader processes list and show; then two processes append seq-less events
// to ONE shared run at once (the store numbers them under the run's row lock).
// Every event must be stored exactly once and no process may report an error.
#include <fmt/format.h>
#include <signal.h>

#include <atomic>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "pg_test_database.h"
#include "storage/event_store.h"
#include "test_support.h"

namespace extrace {
namespace {

using testing::ChildProcess;
using testing::ProcessResult;
using testing::RunCli;
using testing::TempDir;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto kBudget = 120s;

// Reads the child's stdout to its end (or the deadline, then kills it);
// returns its exit code and all it printed.
struct Finished {
  int code = -1;
  std::vector<std::string> lines;
  std::string err;
};
Finished RunToEnd(ChildProcess& child, Clock::time_point deadline) {
  Finished finished;
  while (!child.AtEnd() && Clock::now() < deadline)
    if (auto line = child.ReadLine(200ms)) finished.lines.push_back(*line);
  if (!child.AtEnd()) child.Kill(SIGKILL);
  finished.code = child.Wait();
  finished.err = child.Err();
  return finished;
}

// `runs` runs of `events` events each for one ingest process, ids PREFIX-R.
std::string IngestFile(const std::string& prefix, int runs, int events) {
  std::string lines;
  for (int r = 0; r < runs; ++r) {
    std::string id = fmt::format("{}-{}", prefix, r);
    int64_t ts = 1759900000000 + int64_t{r} * 10000;
    lines += fmt::format(
        R"({{"executionId":"{}","seq":1,"timestamp":{},"type":"started","data":{{"rootNodeId":"flow","nodes":[{{"id":"flow","name":"Flow","type":"group"}},{{"id":"a","name":"A","type":"t","parentId":"flow"}}]}}}})"
        "\n",
        id, ts);
    for (int seq = 2; seq < events; ++seq)
      lines += fmt::format(
          R"({{"executionId":"{}","seq":{},"timestamp":{},"type":"progress","nodeId":"a","data":{{"progress":{},"message":"m{}"}}}})"
          "\n",
          id, seq, ts + seq, seq % 100, seq);
    lines += fmt::format(R"({{"executionId":"{}","seq":{},"timestamp":{},"type":"completed"}})"
                         "\n",
                         id, events, ts + events);
  }
  return lines;
}

// The run holds exactly seqs 1..n, each once.
void RequireWhole(EventStore& store, const std::string& id, int64_t n) {
  INFO("run " << id);
  auto run = store.GetRun(id);
  REQUIRE(run);
  REQUIRE(*run);
  CHECK((*run)->event_count == n);
  CHECK((*run)->max_seq == n);
  auto events = store.ReadEvents(id);
  REQUIRE(events);
  REQUIRE(events->size() == static_cast<size_t>(n));
  for (size_t i = 0; i < events->size(); ++i) REQUIRE((*events)[i].seq == int64_t(i) + 1);
}

TEST_CASE("postgres: 4 recorders and 2 ingests append while 2 readers read", "[postgres]") {
  pg_test::Database pg;
  TempDir dir;
  dir.AllowSqliteFiles();  // SQLite beside PostgreSQL, on purpose
  const std::string uri = pg.uri();
  constexpr int kRecorders = 4, kIngests = 2;
  constexpr int64_t kRecorded = 6000;  // per recorder run, `started` included; `completed` follows
  constexpr int kIngestRuns = 60, kIngestEvents = 1000;
  const auto deadline = Clock::now() + kBudget;

  std::vector<std::unique_ptr<ChildProcess>> recorders, ingests;
  for (int p = 0; p < kRecorders; ++p)
    recorders.push_back(std::make_unique<ChildProcess>(
        EXTRACE_TEST_HELPER, std::vector<std::string>{"record", uri, fmt::format("recorder-{}", p),
                                                      std::to_string(kRecorded),
                                                      std::to_string(20 + 100 * p), "--gate"}));
  for (auto& recorder : recorders) {
    auto ready = recorder->ReadLine(30s);
    INFO("recorder stderr: " << recorder->Err());
    REQUIRE(ready == std::optional<std::string>("ready"));
  }
  // Readers: real CLI processes in a loop, each must answer (exit 0).
  std::atomic<bool> writing{true};
  std::atomic<int> reads{0}, read_errors{0};
  std::string first_error;
  std::mutex error_mu;
  auto reader = [&]() {
    while (writing) {
      ProcessResult listed = RunCli({"--db", uri, "list", "--json"});
      ++reads;
      std::string id;
      if (listed.exit_code == 0) {
        auto runs = boost::json::parse(listed.out).as_array();
        if (!runs.empty())
          id = std::string(runs[reads % runs.size()].at("executionId").as_string());
      }
      ProcessResult shown{0, "", ""};
      if (!id.empty()) shown = RunCli({"--db", uri, "show", id, "--json"});
      for (const ProcessResult* r : {&listed, &shown})
        if (r->exit_code != 0) {
          ++read_errors;
          std::lock_guard lock(error_mu);
          if (first_error.empty()) first_error = r->err;
        }
    }
  };
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) readers.emplace_back(reader);

  for (int p = 0; p < kIngests; ++p) {
    std::string file = dir.File(fmt::format("ingest-{}.jsonl", p));
    testing::WriteFile(file, IngestFile(fmt::format("ingest-{}", p), kIngestRuns, kIngestEvents));
    ingests.push_back(std::make_unique<ChildProcess>(
        EXTRACE_CLI, std::vector<std::string>{"--db", uri, "ingest", file}));
  }
  for (auto& recorder : recorders) recorder->Write("go\n");

  for (auto& recorder : recorders) {
    Finished done = RunToEnd(*recorder, deadline);
    INFO("recorder stderr: " << done.err);
    CHECK(done.code == 0);
    CHECK(done.err.empty());
    CHECK(done.lines.back() == "done");
  }
  for (auto& ingest : ingests) {
    Finished done = RunToEnd(*ingest, deadline);
    INFO("ingest stderr: " << done.err);
    CHECK(done.code == 0);
    CHECK(done.err.empty());
    CHECK(done.lines == std::vector<std::string>{fmt::format("stored {} events, 0 duplicates",
                                                             kIngestRuns * kIngestEvents)});
  }
  writing = false;
  for (auto& thread : readers) thread.join();
  INFO("reads: " << reads << ", first error: " << first_error);
  CHECK(reads >= 4);  // the readers read while the writers wrote
  CHECK(read_errors == 0);

  auto store = EventStore::Open(uri);
  REQUIRE(store);
  auto runs = (*store)->ListRuns();
  REQUIRE(runs);
  CHECK(runs->size() == size_t{kRecorders + kIngests * kIngestRuns});
  for (int p = 0; p < kRecorders; ++p)
    RequireWhole(**store, fmt::format("recorder-{}", p), kRecorded + 1);
  for (int p = 0; p < kIngests; ++p)
    for (int r = 0; r < kIngestRuns; ++r)
      RequireWhole(**store, fmt::format("ingest-{}-{}", p, r), kIngestEvents);
  // Nothing else: the whole log is the sum of the runs.
  CHECK(pg.Count("SELECT count(*) FROM event_log") ==
        kRecorders * (kRecorded + 1) + kIngests * kIngestRuns * kIngestEvents);
}

TEST_CASE("postgres: seq-less events of one run from 2 processes get distinct seqs", "[postgres]") {
  pg_test::Database pg;
  const std::string uri = pg.uri();
  constexpr int64_t kPerWriter = 3000;
  const auto deadline = Clock::now() + kBudget;
  {
    ChildProcess starter(EXTRACE_TEST_HELPER, std::vector<std::string>{"append", uri, "shared", "1",
                                                                       "1", "s", "--started"});
    Finished done = RunToEnd(starter, deadline);
    INFO(done.err);
    REQUIRE(done.code == 0);
  }
  std::vector<std::unique_ptr<ChildProcess>> writers;
  for (const std::string tag : {"x", "y"})
    writers.push_back(std::make_unique<ChildProcess>(
        EXTRACE_TEST_HELPER,
        std::vector<std::string>{"append", uri, "shared", std::to_string(kPerWriter), "37", tag,
                                 "--gate"}));
  for (auto& writer : writers)
    REQUIRE(writer->ReadLine(30s) == std::optional<std::string>("ready"));
  for (auto& writer : writers) writer->Write("go\n");
  for (auto& writer : writers) {
    Finished done = RunToEnd(*writer, deadline);
    INFO("writer stderr: " << done.err);
    CHECK(done.code == 0);
    CHECK(done.lines.back() == "done");
  }

  auto store = EventStore::Open(uri);
  REQUIRE(store);
  // `started` (seq 1) and the started-run's one progress event, then both writers'.
  const int64_t total = 2 + 2 * kPerWriter;
  RequireWhole(**store, "shared", total);
  auto events = (*store)->ReadEvents("shared");
  REQUIRE(events);
  // Each writer's events are all there once, in the order it appended them.
  for (const std::string tag : {"x", "y"}) {
    int64_t next = 0;
    for (const auto& event : *events) {
      if (event.data_json.find("\"" + tag + "-") == std::string::npos) continue;
      REQUIRE(event.data_json.find(fmt::format("\"{}-{}\"", tag, next)) != std::string::npos);
      ++next;
    }
    CHECK(next == kPerWriter);
  }
}

}  // namespace
}  // namespace extrace
