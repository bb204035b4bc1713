// Hot-path latency, recorder and baseline ring: see hot_path.h.
#include "bench/hot_path.h"

#include <x86intrin.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include "bench/flow_generator.h"
#include "bench/recorder_api.h"

namespace extrace::bench {
namespace {

// lfence on both sides keeps the timed call from moving across the reads.
inline uint64_t Stamp() {
  _mm_lfence();
  uint64_t t = __rdtsc();
  _mm_lfence();
  return t;
}

double NsPerTick() {
  static const double value = [] {
    auto t0 = std::chrono::steady_clock::now();
    uint64_t c0 = Stamp();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto t1 = std::chrono::steady_clock::now();
    uint64_t c1 = Stamp();
    return std::chrono::duration<double, std::nano>(t1 - t0).count() / static_cast<double>(c1 - c0);
  }();
  return value;
}

uint64_t OverheadTicks() {
  static const uint64_t value = [] {
    std::vector<uint64_t> samples(200000);
    for (auto& s : samples) {
      uint64_t t0 = Stamp();
      asm volatile("" ::: "memory");
      s = Stamp() - t0;
    }
    std::nth_element(samples.begin(), samples.begin() + samples.size() / 2, samples.end());
    return samples[samples.size() / 2];
  }();
  return value;
}

// Times every call of `call(thread, i)` on `threads` threads running at once;
// `before_round`/`after_round` run on the calling thread, untimed.
template <typename Call, typename Before, typename After>
LatencyStats MeasureCalls(const HotPathOptions& o, Call&& call, Before&& before_round,
                          After&& after_round) {
  const uint64_t overhead = OverheadTicks();
  std::vector<std::vector<uint32_t>> samples(o.threads);
  for (auto& s : samples) s.reserve(static_cast<size_t>(o.calls_per_round) * o.rounds);
  std::vector<uint64_t> allocations(o.threads, 0);
  for (int round = 0; round < o.rounds; ++round) {
    before_round(round);
    std::atomic<int> ready{0};
    std::vector<std::thread> workers;
    for (int t = 0; t < o.threads; ++t) {
      workers.emplace_back([&, t] {
        auto& out = samples[t];
        ready.fetch_add(1);
        while (ready.load() < o.threads) {
        }
        const uint64_t allocs_before = ThreadAllocations();
        for (int64_t i = 0; i < o.calls_per_round; ++i) {
          uint64_t t0 = Stamp();
          call(t, i);
          uint64_t t1 = Stamp();
          uint64_t ticks = t1 - t0;
          ticks = ticks > overhead ? ticks - overhead : 0;
          out.push_back(static_cast<uint32_t>(std::min<uint64_t>(ticks, UINT32_MAX)));
        }
        allocations[t] += ThreadAllocations() - allocs_before;
      });
    }
    for (auto& w : workers) w.join();
    after_round();
  }
  std::vector<uint32_t> all;
  for (auto& s : samples) all.insert(all.end(), s.begin(), s.end());
  LatencyStats stats;
  stats.samples = static_cast<int64_t>(all.size());
  if (all.empty()) return stats;
  const double scale = NsPerTick();
  double sum = 0;
  for (uint32_t s : all) sum += s;
  stats.mean_ns = sum / static_cast<double>(all.size()) * scale;
  auto at = [&](double q) {
    size_t k = std::min(all.size() - 1, static_cast<size_t>(q * static_cast<double>(all.size())));
    std::nth_element(all.begin(), all.begin() + static_cast<ptrdiff_t>(k), all.end());
    return all[k] * scale;
  };
  stats.p50_ns = at(0.50);
  stats.p99_ns = at(0.99);
  stats.p999_ns = at(0.999);
  uint64_t total_allocs = 0;
  for (uint64_t a : allocations) total_allocs += a;
  stats.allocations_per_event =
      static_cast<double>(total_allocs) / static_cast<double>(stats.samples);
  return stats;
}

// The baseline's event: what a minimal recorder would store per call.
struct PodEvent {
  int64_t timestamp_ns;
  uint32_t run;
  uint32_t node;
  uint32_t seq;
  uint8_t type;
  uint8_t state;
  uint16_t flags;
  double progress;
  uint64_t reserved[2];
};
static_assert(sizeof(PodEvent) == 48);

constexpr size_t kRingCapacity = 65536;  // as the recorder's default queue

inline void CpuRelax() { _mm_pause(); }

// One producer, one consumer: a release store per event.
class SpscRing {
 public:
  SpscRing() : slots_(kRingCapacity) {}
  void Push(const PodEvent& e) {
    const uint64_t h = head_.load(std::memory_order_relaxed);
    while (h - cached_tail_ >= kRingCapacity) {
      cached_tail_ = tail_.load(std::memory_order_acquire);
      CpuRelax();
    }
    slots_[h & (kRingCapacity - 1)] = e;
    head_.store(h + 1, std::memory_order_release);
  }
  uint64_t Drain() {
    uint64_t t = tail_.load(std::memory_order_relaxed);
    const uint64_t h = head_.load(std::memory_order_acquire);
    uint64_t n = h - t;
    for (; t < h; ++t) checksum_ += slots_[t & (kRingCapacity - 1)].timestamp_ns;
    tail_.store(h, std::memory_order_release);
    return n;
  }

 private:
  std::vector<PodEvent> slots_;
  alignas(64) std::atomic<uint64_t> head_{0};
  uint64_t cached_tail_ = 0;  // the producer's
  alignas(64) std::atomic<uint64_t> tail_{0};
  uint64_t checksum_ = 0;
};

// Many producers, one consumer: a ticket per event and a per-slot sequence
// that says when the slot is free and when it is written.
class MpscRing {
 public:
  MpscRing() : slots_(kRingCapacity) {
    for (size_t i = 0; i < kRingCapacity; ++i) slots_[i].seq.store(i, std::memory_order_relaxed);
  }
  void Push(const PodEvent& e) {
    const uint64_t pos = head_.fetch_add(1, std::memory_order_relaxed);
    Slot& slot = slots_[pos & (kRingCapacity - 1)];
    while (slot.seq.load(std::memory_order_acquire) != pos) CpuRelax();
    slot.event = e;
    slot.seq.store(pos + 1, std::memory_order_release);
  }
  uint64_t Drain() {
    uint64_t n = 0;
    while (true) {
      Slot& slot = slots_[tail_ & (kRingCapacity - 1)];
      if (slot.seq.load(std::memory_order_acquire) != tail_ + 1) return n;
      checksum_ += slot.event.timestamp_ns;
      slot.seq.store(tail_ + kRingCapacity, std::memory_order_release);
      ++tail_;
      ++n;
    }
  }

 private:
  struct alignas(64) Slot {
    std::atomic<uint64_t> seq{0};
    PodEvent event{};
  };
  std::vector<Slot> slots_;
  alignas(64) std::atomic<uint64_t> head_{0};
  alignas(64) uint64_t tail_ = 0;  // the consumer's
  uint64_t checksum_ = 0;
};

// Drains a ring on its own thread, as the recorder's writer drains its queue;
// sleeps briefly when there is nothing to take.
template <typename Ring>
class Consumer {
 public:
  explicit Consumer(Ring& ring) : ring_(ring), thread_([this] { Loop(); }) {}
  ~Consumer() {
    stop_.store(true);
    thread_.join();
  }
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;
  // Waits until `expected` events in total have been taken.
  void WaitFor(uint64_t expected) {
    while (taken_.load() < expected) std::this_thread::sleep_for(std::chrono::microseconds(50));
  }

 private:
  void Loop() {
    while (!stop_.load()) {
      uint64_t n = ring_.Drain();
      taken_.fetch_add(n);
      if (n == 0) std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  }
  Ring& ring_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> taken_{0};
  std::thread thread_;
};

template <typename Ring>
LatencyStats MeasureRing(const HotPathOptions& o) {
  auto ring = std::make_unique<Ring>();
  Consumer<Ring> consumer(*ring);
  uint64_t pushed = 0;
  return MeasureCalls(
      o,
      [&](int thread, int64_t i) {
        PodEvent e{};
        e.timestamp_ns = std::chrono::steady_clock::now().time_since_epoch().count();
        e.run = static_cast<uint32_t>(thread);
        e.node = static_cast<uint32_t>(i / 3 % 48);
        e.type = i % 3 == 1 ? 2 : 3;
        e.state = i % 3 == 0 ? 2 : 3;
        e.progress = 50;
        ring->Push(e);
      },
      [](int) {},
      [&] {
        pushed += static_cast<uint64_t>(o.calls_per_round) * o.threads;
        consumer.WaitFor(pushed);
      });
}

template <typename R>
LatencyStats MeasureRecorder(R& recorder, const HotPathOptions& o) {
  const auto leaves = FlowLeaves();
  std::vector<RunNodes<R>> nodes(o.threads);
  return MeasureCalls(
      o,
      [&](int thread, int64_t i) {
        // executing, progress (no message), completed: leaf after leaf.
        const size_t leaf = static_cast<size_t>(i / 3) % leaves.size();
        switch (i % 3) {
          case 0:
            nodes[thread].State(recorder, leaf, NodeState::kExecuting);
            break;
          case 1:
            nodes[thread].Progress(recorder, leaf, 50);
            break;
          default:
            nodes[thread].State(recorder, leaf, NodeState::kCompleted);
        }
      },
      [&](int) {
        for (int t = 0; t < o.threads; ++t) {
          auto run = recorder.StartRun({"flow", FlowGraph()});
          if (!run) throw std::runtime_error("StartRun: " + run.error().message);
          if (!nodes[t].Resolve(recorder, *run, leaves))
            throw std::runtime_error("Recorder::Node refused a benchmark node");
        }
      },
      [&] {
        if (auto flushed = recorder.Flush(); !flushed)
          throw std::runtime_error("Flush: " + flushed.error().message);
      });
}

}  // namespace

std::string HotPathApi() { return RunNodes<Recorder>::kApi; }

double TimerOverheadNs() { return static_cast<double>(OverheadTicks()) * NsPerTick(); }

LatencyStats MeasureRecorderHotPath(Recorder& recorder, const HotPathOptions& options) {
  return MeasureRecorder(recorder, options);
}

LatencyStats MeasureBaselineRing(const HotPathOptions& options) {
  if (options.threads == 1) return MeasureRing<SpscRing>(options);
  return MeasureRing<MpscRing>(options);
}

}  // namespace extrace::bench
