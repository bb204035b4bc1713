// The recorder's hot path against its baseline, call by call: latency
// percentiles of one call (measured per call with the TSC, minus the timer's
// own cost) and the allocations each call makes on the calling thread.
//
// Baseline: what the cheapest possible recorder would do per event: read
// steady_clock::now() and enqueue a 48-byte POD into a preallocated ring that
// a consumer thread drains. One producer: a single-producer ring (one release
// store per event). Two producers: the minimum they need to share a ring, a
// fetch_add ticket and a per-slot sequence (Vyukov's bounded queue).
#pragma once

#include <cstdint>
#include <string>

#include "extrace/recorder.h"

namespace extrace::bench {

struct LatencyStats {
  double p50_ns = 0;
  double p99_ns = 0;
  double p999_ns = 0;
  double mean_ns = 0;
  double allocations_per_event = 0;
  int64_t samples = 0;
};

struct HotPathOptions {
  int threads = 1;
  // Calls per thread per round; threads * this stays below the ring / queue
  // capacity so that back-pressure (a full queue) is not what gets measured.
  int64_t calls_per_round = 16384;
  int rounds = 10;
};

// Which recorder API the hot path uses: "handle" once Recorder::Node exists.
std::string HotPathApi();
// The timer's own cost (median ns of an empty timed region).
double TimerOverheadNs();

LatencyStats MeasureRecorderHotPath(Recorder& recorder, const HotPathOptions& options);
LatencyStats MeasureBaselineRing(const HotPathOptions& options);

// Allocations made so far by the calling thread (bench/alloc_counter.cc
// replaces the global operator new to count them).
uint64_t ThreadAllocations();

}  // namespace extrace::bench
