// extrace-micro: the micro-benchmarks of `make bench` (Google Benchmark).
// extrace-bench runs it as a child and puts the pairs into its table:
// parsing one event line (extrace's validating EventParser against a reused
// Boost.JSON parser) and the mean cost of a recorder hot-path call against a
// clock read plus a ring enqueue. Percentiles of the hot path are measured by
// extrace-bench itself (bench/hot_path.cc).
#include <benchmark/benchmark.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "bench/flow_generator.h"
#include "bench/recorder_api.h"
#include "extrace/extrace.h"
#include "format/event_json.h"

namespace extrace::bench {
namespace {

// A realistic mix of lines: one run of the 65-node flow.
const std::vector<std::string>& Lines() {
  static const std::vector<std::string> lines = [] {
    EventGenerator gen(GenOptions{}, 242);
    std::vector<std::string> out;
    GenEvent event;
    while (gen.Next(event)) {
      std::string line;
      gen.AppendJsonLine(event, line);
      line.pop_back();
      out.push_back(std::move(line));
    }
    return out;
  }();
  return lines;
}

void SetBytes(benchmark::State& state) {
  int64_t bytes = 0;
  for (const auto& l : Lines()) bytes += static_cast<int64_t>(l.size());
  state.SetBytesProcessed(state.iterations() * bytes / static_cast<int64_t>(Lines().size()));
}

void BM_BoostJsonParseLine(benchmark::State& state) {
  boost::json::parser parser;
  const auto& lines = Lines();
  size_t i = 0;
  for (auto _ : state) {
    parser.reset();
    parser.write(lines[i]);
    benchmark::DoNotOptimize(parser.release());
    if (++i == lines.size()) i = 0;
  }
  SetBytes(state);
}
BENCHMARK(BM_BoostJsonParseLine);

void BM_ExtraceParseLine(benchmark::State& state) {
  EventParser parser;
  const auto& lines = Lines();
  size_t i = 0;
  for (auto _ : state) {
    auto event = parser.Parse(lines[i]);
    if (!event) state.SkipWithError("refused a generated line");
    benchmark::DoNotOptimize(event);
    if (++i == lines.size()) i = 0;
  }
  SetBytes(state);
}
BENCHMARK(BM_ExtraceParseLine);

void BM_SteadyClockNow(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(std::chrono::steady_clock::now());
}
BENCHMARK(BM_SteadyClockNow);

// The baseline's event and ring: a 48-byte POD, a preallocated ring that
// wraps (nobody drains it: the cost of the enqueue alone), a ticket per event
// when threads share it.
struct PodEvent {
  int64_t timestamp_ns;
  uint32_t run, node, seq;
  uint8_t type, state;
  uint16_t flags;
  double progress;
  uint64_t reserved[2];
};
static_assert(sizeof(PodEvent) == 48);
constexpr size_t kRing = 65536;
std::vector<PodEvent> g_ring(kRing);
std::atomic<uint64_t> g_head{0};

void BM_RingAndClock(benchmark::State& state) {
  uint64_t i = 0;
  for (auto _ : state) {
    PodEvent e{};
    e.timestamp_ns = std::chrono::steady_clock::now().time_since_epoch().count();
    e.node = static_cast<uint32_t>(i++ % 48);
    e.type = 3;
    if (state.threads() == 1) {
      // One producer: a plain index, published with one release store.
      uint64_t h = g_head.load(std::memory_order_relaxed);
      g_ring[h & (kRing - 1)] = e;
      g_head.store(h + 1, std::memory_order_release);
    } else {
      uint64_t h = g_head.fetch_add(1, std::memory_order_acq_rel);
      g_ring[h & (kRing - 1)] = e;
    }
    benchmark::ClobberMemory();
  }
}
// Both sides of the hot-path pair run the same fixed number of calls (below
// the recorder's default 65,536-slot queue, so its callers never wait for the
// writer) and report the median of a few repetitions.
constexpr int64_t kHotCalls = 32768;
constexpr int kHotRepetitions = 5;
BENCHMARK(BM_RingAndClock)
    ->Threads(1)
    ->Iterations(kHotCalls)
    ->Repetitions(kHotRepetitions)
    ->ReportAggregatesOnly(true);
BENCHMARK(BM_RingAndClock)
    ->Threads(2)
    ->Iterations(kHotCalls / 2)
    ->Repetitions(kHotRepetitions)
    ->ReportAggregatesOnly(true)
    ->UseRealTime();

// One recorder (default options) shared by the threads of a benchmark run.
struct SharedRecorder {
  std::unique_ptr<Recorder> recorder;
  std::string path;
};
SharedRecorder* g_recorder = nullptr;

void BM_RecorderHotPath(benchmark::State& state) {
  if (state.thread_index() == 0) {
    g_recorder = new SharedRecorder;
    g_recorder->path = (std::filesystem::temp_directory_path() / "extrace-micro.db").string();
    for (const char* s : {"", "-wal", "-shm"}) std::remove((g_recorder->path + s).c_str());
    auto opened = OpenRecorder(g_recorder->path);
    if (!opened) {
      state.SkipWithError("cannot open the recorder");
      return;
    }
    g_recorder->recorder = std::move(*opened);
  }
  // Google Benchmark starts every thread's loop together, after the setup above.
  const auto leaves = FlowLeaves();
  RunNodes<Recorder> nodes;
  bool resolved = false;
  int64_t i = 0;
  for (auto _ : state) {
    Recorder& rec = *g_recorder->recorder;
    if (!resolved) {
      state.PauseTiming();
      auto run = rec.StartRun({"flow", FlowGraph()});
      resolved = run && nodes.Resolve(rec, *run, leaves);
      state.ResumeTiming();
      if (!resolved) {
        state.SkipWithError("StartRun failed");
        break;
      }
    }
    const size_t leaf = static_cast<size_t>(i / 3) % leaves.size();
    switch (i++ % 3) {
      case 0:
        nodes.State(rec, leaf, NodeState::kExecuting);
        break;
      case 1:
        nodes.Progress(rec, leaf, 50);
        break;
      default:
        nodes.State(rec, leaf, NodeState::kCompleted);
    }
  }
  if (state.thread_index() == 0) {
    delete g_recorder;  // flushes: the destructor returns once all is durable
    g_recorder = nullptr;
  }
}
BENCHMARK(BM_RecorderHotPath)
    ->Threads(1)
    ->Iterations(kHotCalls)
    ->Repetitions(kHotRepetitions)
    ->ReportAggregatesOnly(true);
BENCHMARK(BM_RecorderHotPath)
    ->Threads(2)
    ->Iterations(kHotCalls / 2)
    ->Repetitions(kHotRepetitions)
    ->ReportAggregatesOnly(true)
    ->UseRealTime();

}  // namespace
}  // namespace extrace::bench

BENCHMARK_MAIN();
