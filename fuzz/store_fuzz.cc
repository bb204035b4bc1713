// Fuzz target: a mutated store file opened the way every reading command opens
// one (EventStore::Open, read_only), its runs listed, and each of the first few
// loaded and projected (LoadTrace, with child runs) and written as `extrace show
// --json` writes it, then closed. The input is the whole SQLite file; the seeds
// are small real stores (fuzz/corpus/store/). Any result is fine (a refusal
// names the store): a crash, hang, leak or sanitizer report is a bug.
// Retries are off (busy_retry_budget_ms 0): nothing else holds this file, and
// the open would otherwise wait out a budget meant for other writers.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <system_error>

#include "fuzz/fuzz_support.h"
#include "query/trace_json.h"
#include "query/trace_loader.h"
#include "storage/event_store.h"

namespace {

// At most this many runs are projected per input: a mutated file may claim many.
constexpr size_t kMaxRuns = 8;

void RemoveStore(const std::string& path) {
  std::error_code ignored;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"})
    std::filesystem::remove(path + suffix, ignored);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace extrace;
  static const std::string path = fuzz::ScratchDir::File("store.db");
  RemoveStore(path);
  if (!fuzz::WriteBytes(path, {data, size})) fuzz::Broken("cannot write the store file");
  StoreOptions options;
  options.read_only = true;
  options.busy_timeout_ms = 0;
  options.busy_retry_budget_ms = 0;
  auto store = EventStore::Open(path, options);
  if (!store) {
    if (store.error().message.empty()) fuzz::Broken("a refused open without a message");
    return 0;
  }
  RunFilter filter;
  filter.limit = kMaxRuns;
  auto runs = (*store)->ListRuns(filter);
  if (!runs) return 0;
  std::vector<std::string> ids;
  for (const RunSummary& run : *runs) ids.push_back(run.execution_id);
  (void)(*store)->NodeFacts(ids);
  for (const std::string& id : ids) {
    auto trace = LoadTrace(**store, id);
    if (trace) (void)TraceToJson(*trace);
  }
  return 0;
}
