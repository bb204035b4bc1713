// crash_writer's ingest modes: see crash_writer_ingest.h.
#include "crash_writer_ingest.h"

#include <fmt/format.h>

#include <cstdio>

#include "format/line_batcher.h"
#include "storage/event_store.h"
#include "tools/commands.h"

namespace extrace::testing {
namespace {

constexpr int kExitStoreError = 3;

int Fail(const std::string& what) {
  std::fprintf(stderr, "crash_writer: %s\n", what.c_str());
  return kExitStoreError;
}

}  // namespace

int IngestLines(const std::string& db, const std::string& file, int64_t batch, bool normal) {
  StoreOptions options;
  options.durability = normal ? Durability::kNormal : Durability::kFull;
  auto store = EventStore::Open(db, options);
  if (!store) return Fail("open: " + store.error().message);
  std::printf("ready\n");
  std::fflush(stdout);
  LineBatcher batcher({file}, BatchLimits{.max_events = static_cast<size_t>(batch)});
  while (true) {
    EventBatch next = batcher.Next();
    if (!next.events.empty()) {
      AppendResult result = (*store)->Append(next.events);
      if (!result.status) return Fail("append: " + result.status.error().message);
      // The parent knows this before the next write can cut the power.
      std::printf("durable %lld\n", static_cast<long long>(next.lines.back()));
      std::fflush(stdout);
    }
    if (next.stop) return Fail(next.stop->message);
    if (next.end) return 0;
  }
}

int IngestCommand(const std::string& db, const std::string& file, bool normal) {
  int code = cli::Ingest(cli::GlobalOptions{.db_path = db}, {file}, normal);
  std::fflush(stdout);
  return code;
}

}  // namespace extrace::testing
