// The suite's recorder-throughput cases: 2. the recorder sustained until
// Flush() against raw batched SQLite inserts, and 8. the naive way (one
// autocommit INSERT per event).
#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "bench/flow_generator.h"
#include "bench/hot_path.h"
#include "bench/raw_sqlite.h"
#include "bench/recorder_api.h"
#include "bench/suite.h"
#include "extrace/extrace.h"

namespace extrace::bench {

std::vector<GenEvent> Suite::GenerateEvents(const GenOptions& options, int64_t count) {
  EventGenerator generator(options, count);
  std::vector<GenEvent> events(static_cast<size_t>(count));
  size_t n = 0;
  while (n < events.size() && generator.Next(events[n])) ++n;
  events.resize(n);
  return events;
}

template <typename R>
double Suite::FeedRecorder(R& recorder, const EventGenerator& gen,
                           const std::vector<GenEvent>& events) {
  std::vector<std::string> node_ids;
  for (const auto& n : gen.graph()) node_ids.push_back(n.id);
  std::vector<std::string> run_ids;
  for (int64_t r = 0; r <= events.back().run; ++r) run_ids.push_back(gen.ExecutionId(r));
  RunStart start("flow", gen.graph());
  start.config_json = gen.config_json();
  RunNodes<R> nodes;
  auto begin = Clock::now();
  for (const auto& e : events) {
    const std::string& run = run_ids[static_cast<size_t>(e.run)];
    switch (e.type) {
      case EventType::kStarted: {
        start.execution_id = run;
        auto id = recorder.StartRun(start);
        if (!id) throw std::runtime_error("StartRun: " + id.error().message);
        if (!nodes.Resolve(recorder, run, node_ids))
          throw std::runtime_error("Recorder::Node refused a benchmark node");
        break;
      }
      case EventType::kStateChange:
        nodes.State(recorder, static_cast<size_t>(e.node), e.state);
        break;
      case EventType::kProgress:
        nodes.Progress(recorder, static_cast<size_t>(e.node), e.progress, e.message);
        break;
      case EventType::kCompleted:
        recorder.CompleteRun(run);
        break;
      case EventType::kError:
        recorder.FailRun(run, "failed");
        break;
    }
  }
  if (auto flushed = recorder.Flush(); !flushed)
    throw std::runtime_error("Flush: " + flushed.error().message);
  return static_cast<double>(events.size()) / Seconds(begin);
}

double Suite::RawInsert(const std::string& path, const std::string& sync,
                        const std::vector<GenEvent>& events) {
  RemoveDatabase(path);
  RawEventTable table(path, sync);
  auto begin = Clock::now();
  for (size_t i = 0; i < events.size(); i += kRawBatch) {
    table.Begin();
    for (size_t j = i; j < std::min(events.size(), i + kRawBatch); ++j) {
      const auto& e = events[j];
      table.Insert(e.run + 1, e.seq, e.timestamp_us, static_cast<int>(e.type), e.node, e.data_json);
    }
    table.Commit();
  }
  return static_cast<double>(events.size()) / Seconds(begin);
}

double Suite::NaiveInsert(const std::string& path, const std::string& sync,
                          const std::vector<GenEvent>& events, double seconds) {
  RemoveDatabase(path);
  RawEventTable table(path, sync);
  auto begin = Clock::now();
  size_t n = 0;
  while (n < events.size() && (n % 64 != 0 || Seconds(begin) < seconds)) {
    const auto& e = events[n++];
    table.Insert(e.run + 1, e.seq, e.timestamp_us, static_cast<int>(e.type), e.node, e.data_json);
  }
  return static_cast<double>(n) / Seconds(begin);
}

void Suite::Sustained() {
  const int64_t count = c_.Scaled(1000000);
  const EventGenerator gen(GenOptions{}, count);
  const auto events = GenerateEvents(GenOptions{}, count);
  for (Durability mode : {Durability::kFull, Durability::kNormal}) {
    const bool full = mode == Durability::kFull;
    const std::string sync = full ? "FULL" : "NORMAL";
    const std::string name = full ? "full" : "normal";
    double ours = 0;
    if (c_.Wants("sustained")) {
      Progress(fmt::format("recorder sustained, {} events, durability {}", count, name));
      const std::string db = c_.Path("sustained.db");
      RemoveDatabase(db);
      {
        RecorderOptions options;
        options.durability = mode;
        auto recorder = OpenRecorder(db, options);
        if (!recorder) throw std::runtime_error("OpenRecorder: " + recorder.error().message);
        ours = FeedRecorder(**recorder, gen, events);
      }
      RemoveDatabase(db);
      const double raw = RawInsert(c_.Path("raw.db"), sync, events);
      RemoveDatabase(c_.Path("raw.db"));
      rows_.push_back(
          {fmt::format("recorder sustained ev/s until Flush(), {} (sync={})", name, sync),
           Rate(ours), Rate(raw), Ratio(ours / raw), ">= 1.0x", YesNo(ours >= raw)});
    }
    if (c_.Wants("naive")) {
      Progress(fmt::format("naive autocommit per event, sync={}", sync));
      const double naive = NaiveInsert(c_.Path("naive.db"), sync, events, c_.quick ? 0.3 : 3.0);
      RemoveDatabase(c_.Path("naive.db"));
      if (ours > 0)
        rows_.push_back({fmt::format("naive: autocommit per event, sync={} (extrace recorder "
                                     "vs it)",
                                     sync),
                         Rate(ours), Rate(naive), Ratio(ours / naive), "shown", "-"});
      else
        rows_.push_back({fmt::format("naive: autocommit per event, sync={}", sync), "-",
                         Rate(naive), "-", "shown", "-"});
    }
  }
  notes_.push_back(fmt::format(
      "Sustained: {} events of consecutive runs of the 65-node flow (graph in each started, per "
      "leaf executing, 3 progress with a message, completed) through the recorder API ({} API), "
      "timed from the first call until Flush() returned. Baseline: the same rows (run and node "
      "as integers, JSON text data) into `events(execution, seq, ts, type, node, data, PRIMARY "
      "KEY(execution, seq)) WITHOUT ROWID`, one reused prepared INSERT, {} rows per transaction, "
      "WAL, the same synchronous setting. Naive: the same INSERT in autocommit, one transaction "
      "per event, for {} s.",
      events.size(), HotPathApi(), kRawBatch, c_.quick ? 0.3 : 3.0));
}

}  // namespace extrace::bench
