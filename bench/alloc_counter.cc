// Counts heap allocations per thread by replacing the global operator new in
// the benchmark driver, so the hot-path case can say whether a recorder call
// allocates. Thread-local: the writer thread's allocations are not the
// caller's. The array and nothrow forms of the standard library call these.
#include <cstdint>
#include <cstdlib>
#include <new>

#include "bench/hot_path.h"

namespace {
thread_local uint64_t t_allocations = 0;
}  // namespace

uint64_t extrace::bench::ThreadAllocations() { return t_allocations; }

void* operator new(std::size_t size) {
  ++t_allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}

void* operator new(std::size_t size, std::align_val_t align) {
  ++t_allocations;
  const auto alignment = static_cast<std::size_t>(align);
  const std::size_t rounded = (size + alignment - 1) / alignment * alignment;
  if (void* p = std::aligned_alloc(alignment, rounded == 0 ? alignment : rounded)) return p;
  throw std::bad_alloc();
}

void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
