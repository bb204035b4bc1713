// The suite's per-call cases: the micro-benchmarks (extrace-micro, Google
// Benchmark, run as a child) and 1. the recorder's hot path against a bare
// ring + clock.
#include <fmt/format.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <string>
#include <unordered_map>

#include "bench/hot_path.h"
#include "bench/raw_sqlite.h"
#include "bench/subprocess.h"
#include "bench/suite.h"
#include "extrace/extrace.h"

namespace extrace::bench {

void Suite::Micro() {
  if (c_.micro.empty() || access(c_.micro.c_str(), X_OK) != 0) {
    notes_.push_back("Micro-benchmarks skipped: extrace-micro was not built (libbenchmark-dev).");
    return;
  }
  Progress("micro-benchmarks (Google Benchmark)");
  const std::string json_path = c_.Path("micro.json");
  RunChecked({c_.micro, "--benchmark_out=" + json_path, "--benchmark_out_format=json",
              fmt::format("--benchmark_min_time={}", c_.quick ? 0.02 : 0.3)});
  auto doc = boost::json::parse(ReadFile(json_path));
  std::unordered_map<std::string, double> ns;
  for (const auto& b : doc.at("benchmarks").as_array()) {
    const auto& o = b.as_object();
    double scale = 1;
    std::string unit = boost::json::value_to<std::string>(o.at("time_unit"));
    if (unit == "us") scale = 1e3;
    if (unit == "ms") scale = 1e6;
    ns[boost::json::value_to<std::string>(o.at("name"))] =
        o.at("real_time").to_number<double>() * scale;
  }
  // Google Benchmark decorates names (/iterations:N/repeats:N/threads:N_median):
  // with `threads`, take the median of the repetitions on that many threads.
  auto find = [&](const std::string& base, int threads) -> const double* {
    for (const auto& [name, value] : ns) {
      if (name != base && name.rfind(base + "/", 0) != 0) continue;
      if (threads > 0 &&
          (name.find(fmt::format("threads:{}_median", threads)) == std::string::npos))
        continue;
      return &value;
    }
    return nullptr;
  };
  auto pair = [&](const std::string& label, const std::string& ours, const std::string& theirs,
                  int threads) {
    const double* a = find(ours, threads);
    const double* b = find(theirs, threads);
    if (!a || !b) return;
    rows_.push_back({label, Ns(*a), Ns(*b), Ratio(*a / *b), "-", "-"});
  };
  pair("micro: parse + validate one event line (EventParser vs reused Boost.JSON parser)",
       "BM_ExtraceParseLine", "BM_BoostJsonParseLine", 0);
  pair("micro: recorder hot-path call, mean, 1 thread (vs ring + clock)", "BM_RecorderHotPath",
       "BM_RingAndClock", 1);
  pair("micro: recorder hot-path call, 2 threads, wall time / all calls (vs ring + clock)",
       "BM_RecorderHotPath", "BM_RingAndClock", 2);
  notes_.push_back(
      "Micro rows are Google Benchmark means (the median of 5 repetitions of 32,768 calls for "
      "the "
      "hot path): one preemption of the calling thread inside a repetition moves them a lot on a "
      "loaded machine; the hot-path percentiles below are the robust figures.");
  if (ns.count("BM_SteadyClockNow"))
    notes_.push_back(fmt::format("steady_clock::now() costs {:.1f} ns here (Google Benchmark).",
                                 ns["BM_SteadyClockNow"]));
}

void Suite::HotPath() {
  for (int threads : {1, 2}) {
    Progress(fmt::format("hot path, {} thread(s), {} API", threads, HotPathApi()));
    HotPathOptions o;
    o.threads = threads;
    o.calls_per_round = 32768 / threads;
    o.rounds = c_.quick ? 3 : 20;
    LatencyStats base = MeasureBaselineRing(o);
    const std::string db = c_.Path("hot.db");
    RemoveDatabase(db);
    LatencyStats ours;
    {
      auto recorder = OpenRecorder(db);
      if (!recorder) throw std::runtime_error("OpenRecorder: " + recorder.error().message);
      ours = MeasureRecorderHotPath(**recorder, o);
    }
    RemoveDatabase(db);
    const std::string t = fmt::format("{} thread{}", threads, threads > 1 ? "s" : "");
    rows_.push_back({fmt::format("hot path p50 ns/event, {} ({} API)", t, HotPathApi()),
                     Ns(ours.p50_ns), Ns(base.p50_ns), Ratio(ours.p50_ns / base.p50_ns), "<= 2x",
                     YesNo(ours.p50_ns <= 2 * base.p50_ns)});
    rows_.push_back({fmt::format("hot path p99 ns/event, {}", t), Ns(ours.p99_ns), Ns(base.p99_ns),
                     Ratio(ours.p99_ns / base.p99_ns), "<= 500 ns", YesNo(ours.p99_ns <= 500)});
    rows_.push_back({fmt::format("hot path allocations/event (no strings), {}", t),
                     fmt::format("{:.2f}", ours.allocations_per_event),
                     fmt::format("{:.2f}", base.allocations_per_event), "-", "0",
                     YesNo(ours.allocations_per_event == 0)});
    notes_.push_back(fmt::format(
        "Hot path, {}: {} calls per thread timed one by one; extrace p99.9 {:.0f} ns, mean "
        "{:.1f} "
        "ns; baseline p99.9 {:.0f} ns, mean {:.1f} ns.",
        t, ours.samples / threads, ours.p999_ns, ours.mean_ns, base.p999_ns, base.mean_ns));
  }
  notes_.push_back(fmt::format(
      "Hot path method: each call is timed alone between two lfence-fenced rdtsc reads (TSC "
      "calibrated against steady_clock), minus the timer's own cost ({:.1f} ns, the median of an "
      "empty timed region). Calls cycle executing / progress (no message) / completed over the "
      "48 "
      "leaves of a started run; rounds of 32,768 calls in total (below the 65,536-event queue, "
      "so "
      "back-pressure is not what is measured), then Flush() untimed. The writer thread (and the "
      "baseline's consumer thread) runs during the round. Baseline: steady_clock::now() plus a "
      "copy of a 48-byte POD into a preallocated 65,536-slot ring drained by a consumer thread: "
      "single-producer ring (one release store) for 1 thread; for 2 threads the minimum two "
      "producers need, a fetch_add ticket plus a per-slot sequence (Vyukov's bounded queue). "
      "Allocations: the driver replaces the global operator new with a per-thread counter, read "
      "around each thread's timed loop. On 2 cores the 2-thread figures also depend on the "
      "scheduler: while extrace's writer thread is busy, the two producers rarely run at the "
      "same time, while the baseline's idle consumer leaves them both a core to contend on.",
      TimerOverheadNs()));
}

}  // namespace extrace::bench
