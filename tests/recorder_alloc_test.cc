// The recorder's hot path allocates nothing: SetNodeState(NodeHandle, ...) and
// ReportProgress(NodeHandle, ...) without a message, including while the ring
// is full and the caller blocks. This executable replaces the global operator
// new and counts the allocations of the calling thread only (the writer thread
// allocates freely), while a thread_local flag is set.
#include <catch2/catch.hpp>
#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>
#include <thread>

#include "extrace/extrace.h"
#include "storage/event_store.h"
#include "test_support.h"

namespace {

thread_local bool counting = false;
thread_local size_t allocations = 0;

// Out of line, so that GCC does not pair the malloc here with the free in
// Release() across inlined operators (-Wmismatched-new-delete).
[[gnu::noinline]] void* Allocate(std::size_t size, std::size_t alignment) {
  if (counting) ++allocations;
  if (size == 0) size = 1;
  void* p = alignment <= alignof(std::max_align_t)
                ? std::malloc(size)
                : std::aligned_alloc(alignment, (size + alignment - 1) / alignment * alignment);
  return p;
}

[[gnu::noinline]] void Release(void* p) noexcept { std::free(p); }

// Counts the allocations of the current thread while alive.
class CountAllocations {
 public:
  CountAllocations() {
    allocations = 0;
    counting = true;
  }
  ~CountAllocations() { counting = false; }
  CountAllocations(const CountAllocations&) = delete;
  CountAllocations& operator=(const CountAllocations&) = delete;
  size_t Stop() {
    counting = false;
    return allocations;
  }
};

}  // namespace

// The replaceable allocation functions (all of them, so that every new/delete
// pair goes through malloc/free here).
void* operator new(std::size_t size) {
  if (void* p = Allocate(size, alignof(std::max_align_t))) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return operator new(size); }
void* operator new(std::size_t size, std::align_val_t alignment) {
  if (void* p = Allocate(size, static_cast<std::size_t>(alignment))) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size, std::align_val_t alignment) {
  return operator new(size, alignment);
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  return Allocate(size, alignof(std::max_align_t));
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return Allocate(size, alignof(std::max_align_t));
}
void* operator new(std::size_t size, std::align_val_t alignment, const std::nothrow_t&) noexcept {
  return Allocate(size, static_cast<std::size_t>(alignment));
}
void* operator new[](std::size_t size, std::align_val_t alignment, const std::nothrow_t&) noexcept {
  return Allocate(size, static_cast<std::size_t>(alignment));
}
void operator delete(void* p) noexcept { Release(p); }
void operator delete[](void* p) noexcept { Release(p); }
void operator delete(void* p, std::size_t) noexcept { Release(p); }
void operator delete[](void* p, std::size_t) noexcept { Release(p); }
void operator delete(void* p, std::align_val_t) noexcept { Release(p); }
void operator delete[](void* p, std::align_val_t) noexcept { Release(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { Release(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { Release(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { Release(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { Release(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { Release(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { Release(p); }

namespace extrace {
namespace {

RunStart FlatRun(const std::string& id) {
  RunStart run;
  run.execution_id = id;
  run.root_node_id = "flow";
  run.nodes = {{"flow", "Flow", "group", "", 1}, {"a", "A", "code", "flow", 1}};
  return run;
}

// Records `events` hot-path events and returns the calling thread's allocations.
size_t HotPathAllocations(Recorder& recorder, NodeHandle node, int events) {
  CountAllocations count;
  for (int i = 0; i < events; ++i) {
    if (i % 50 == 0)
      recorder.SetNodeState(node, i % 100 == 0 ? NodeState::kExecuting : NodeState::kPending);
    else
      recorder.ReportProgress(node, i % 100);
  }
  return count.Stop();
}

TEST_CASE("the counter sees allocations of this thread only", "[recorder][alloc]") {
  CountAllocations count;
  auto made = std::make_unique<int>(1);
  size_t seen = count.Stop();
  CHECK(seen == 1);
}

TEST_CASE("hot-path calls with a handle do not allocate", "[recorder][alloc]") {
  extrace::testing::TempDir dir;
  const std::string db = dir.File("alloc.db");
  RecorderOptions options;
  options.durability = Durability::kNormal;
  // Small enough that the loop fills it and blocks on the writer many times.
  options.queue_capacity = GENERATE(64, 65536);
  constexpr int kEvents = 100000;
  auto opened = OpenRecorder(db, options);
  REQUIRE(opened);
  Recorder& recorder = **opened;
  auto id = recorder.StartRun(FlatRun("alloc"));
  REQUIRE(id);
  auto node = recorder.Node(*id, "a");
  REQUIRE(node);

  // Before and after the writer goes to sleep (which a caller then wakes).
  CHECK(HotPathAllocations(recorder, *node, kEvents) == 0);
  REQUIRE(recorder.Flush());
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(HotPathAllocations(recorder, *node, 1000) == 0);

  // The calls with strings do allocate: the counter is not blind.
  {
    CountAllocations count;
    recorder.ReportProgress(*node, 5, "a message longer than the small-string buffer");
    CHECK(count.Stop() > 0);
  }
  REQUIRE(recorder.Flush());
  CHECK(recorder.DurableCount() == 1 + kEvents + 1000 + 1);
  auto store = EventStore::Open(db);
  REQUIRE(store);
  auto run = (*store)->GetRun(*id);
  REQUIRE(run);
  REQUIRE(run->has_value());
  CHECK((*run)->event_count == 1 + kEvents + 1000 + 1);
}

}  // namespace
}  // namespace extrace
