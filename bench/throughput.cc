// A first end-to-end throughput driver (the full suite comes with `make bench`):
//   throughput gen FILE EVENTS           write realistic JSON Lines
//   throughput recorder DB EVENTS [normal]  record EVENTS through the recorder API,
//                                           flush, print events per second until durable
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "bench/flow_generator.h"
#include "extrace/extrace.h"

int main(int argc, char** argv) {
  using namespace extrace;
  if (argc < 4) {
    std::fprintf(stderr, "usage: throughput gen FILE EVENTS | recorder DB EVENTS [normal]\n");
    return 2;
  }
  std::string mode = argv[1];
  int64_t events = std::atoll(argv[3]);
  if (mode == "gen") {
    bench::WriteJsonLines(argv[2], events, 42);
    return 0;
  }
  RecorderOptions options;
  if (argc > 4 && std::string(argv[4]) == "normal") options.durability = Durability::kNormal;
  auto recorder = OpenRecorder(argv[2], options);
  if (!recorder) {
    std::fprintf(stderr, "%s\n", recorder.error().message.c_str());
    return 1;
  }
  const auto leaves = bench::FlowLeaves();
  auto start = std::chrono::steady_clock::now();
  int64_t emitted = 0;
  while (emitted < events) {
    auto id = (*recorder)->StartRun({"flow", bench::FlowGraph()});
    if (!id) return 1;
    ++emitted;
    for (size_t i = 0; emitted < events && i < leaves.size(); ++i) {
      (*recorder)->SetNodeState(*id, leaves[i], NodeState::kExecuting);
      (*recorder)->ReportProgress(*id, leaves[i], 50, "half way");
      (*recorder)->SetNodeState(*id, leaves[i], NodeState::kCompleted);
      emitted += 3;
    }
    (*recorder)->CompleteRun(*id);
    ++emitted;
  }
  auto enqueued = std::chrono::steady_clock::now();
  if (auto flushed = (*recorder)->Flush(); !flushed) {
    std::fprintf(stderr, "%s\n", flushed.error().message.c_str());
    return 1;
  }
  auto durable = std::chrono::steady_clock::now();
  double total = std::chrono::duration<double>(durable - start).count();
  double enqueue = std::chrono::duration<double>(enqueued - start).count();
  std::printf(
      "recorder (%s): %lld events durable in %.3f s = %.0f events/s (enqueue %.0f ns/event)\n",
      options.durability == Durability::kFull ? "full" : "normal", static_cast<long long>(emitted),
      total, static_cast<double>(emitted) / total, enqueue * 1e9 / static_cast<double>(emitted));
  return 0;
}
