// Linked into a copy of the extrace CLI (the allocation-failure tests run it as
// a real process): SQLite's allocator, wrapped so that its Nth allocation
// fails, once or from then on. Installed by a static initializer, before main
// and so before SQLite initializes (sqlite3_config refuses afterwards).
// Configured by the environment:
//   EXTRACE_SQLITE_FAIL_AT=N       allocation N (from 1; malloc or realloc) fails; unset: none
//   EXTRACE_SQLITE_FAIL_PERSIST=1  every allocation from N on fails too
//   EXTRACE_SQLITE_ALLOC_COUNT=F   at exit, writes how many allocations SQLite asked for to F
// Threads: the count is atomic (ingest appends from one thread, but SQLite may
// allocate on any).
#include <sqlite3.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace {

sqlite3_mem_methods g_default{};
std::atomic<int64_t> g_allocations{0};
int64_t g_fail_at = 0;
bool g_persist = false;
const char* g_count_file = nullptr;

bool FailThisOne() {
  const int64_t n = ++g_allocations;
  return g_fail_at > 0 && (g_persist ? n >= g_fail_at : n == g_fail_at);
}

void* Malloc(int bytes) { return FailThisOne() ? nullptr : g_default.xMalloc(bytes); }
// A failed realloc leaves the block as it was, as SQLite expects.
void* Realloc(void* block, int bytes) {
  return FailThisOne() ? nullptr : g_default.xRealloc(block, bytes);
}
void Free(void* block) { g_default.xFree(block); }
int Size(void* block) { return g_default.xSize(block); }
int Roundup(int bytes) { return g_default.xRoundup(bytes); }
int Init(void* data) { return g_default.xInit(data); }
void Shutdown(void* data) { g_default.xShutdown(data); }

void WriteCount() {
  if (FILE* out = std::fopen(g_count_file, "w")) {
    std::fprintf(out, "%lld\n", static_cast<long long>(g_allocations.load()));
    std::fclose(out);
  }
}

bool Install() {
  if (const char* at = std::getenv("EXTRACE_SQLITE_FAIL_AT")) g_fail_at = std::atoll(at);
  const char* persist = std::getenv("EXTRACE_SQLITE_FAIL_PERSIST");
  g_persist = persist && persist[0] == '1';
  g_count_file = std::getenv("EXTRACE_SQLITE_ALLOC_COUNT");
  if (sqlite3_config(SQLITE_CONFIG_GETMALLOC, &g_default) != SQLITE_OK) std::abort();
  sqlite3_mem_methods failing = g_default;  // pAppData as it was
  failing.xMalloc = Malloc;
  failing.xFree = Free;
  failing.xRealloc = Realloc;
  failing.xSize = Size;
  failing.xRoundup = Roundup;
  failing.xInit = Init;
  failing.xShutdown = Shutdown;
  if (sqlite3_config(SQLITE_CONFIG_MALLOC, &failing) != SQLITE_OK) {
    std::fputs("sqlite_fault_malloc: SQLite was initialized before main\n", stderr);
    std::abort();
  }
  if (g_count_file) std::atexit(WriteCount);
  return true;
}

[[maybe_unused]] const bool kInstalled = Install();

}  // namespace
