// `extrace ingest [FILE...]`: streams JSON Lines events into the log through
// format/line_batcher.h (parsing on a thread of its own) and appends each batch
// in one transaction. The first bad line stops it; every valid line before it
// is stored.
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>

#include "format/line_batcher.h"
#include "storage/event_store.h"
#include "tools/cli_support.h"
#include "tools/commands.h"
#include "tools/exit_codes.h"
#include "tools/progress_line.h"

namespace extrace::cli {
namespace {

struct Totals {
  int64_t stored = 0;
  int64_t duplicates = 0;
  int64_t bytes = 0;
};

// Appends one batch; on failure prints the one error line and returns its exit code.
int Commit(EventStore& store, EventBatch& batch, Totals& totals, ProgressLine& progress) {
  totals.bytes += batch.bytes;
  if (batch.events.empty()) return kExitOk;
  AppendResult result = store.Append(batch.events);
  totals.stored += result.stored;
  totals.duplicates += result.duplicates;
  if (result.status) {
    progress.Update(totals.stored + totals.duplicates, totals.bytes);
    return kExitOk;
  }
  progress.Finish();
  const Error& error = result.status.error();
  if (error.code == StatusCode::kConflict)
    std::fprintf(stderr, "%s\n",
                 AtLine(batch.source, batch.lines[result.failed_index], error.message).c_str());
  else
    std::fprintf(stderr,
                 "extrace ingest: stopped at lines %lld-%lld%s (every line before them is "
                 "stored): %s\n",
                 static_cast<long long>(batch.lines[result.failed_index]),
                 static_cast<long long>(batch.lines.back()),
                 batch.source.empty() ? "" : (" of " + batch.source).c_str(),
                 error.message.c_str());
  return ExitCodeFor(error.code);
}

// The size of the input when it is known (files, or standard input
// redirected from one): the progress line's ETA follows bytes read. 0: unknown.
int64_t StandardInputBytes() {
  struct stat info {};
  return fstat(STDIN_FILENO, &info) == 0 && S_ISREG(info.st_mode) ? info.st_size : 0;
}

int64_t InputBytes(const std::vector<std::string>& files) {
  if (files.empty()) return StandardInputBytes();
  int64_t total = 0;
  for (const auto& file : files) {
    if (IsStandardStream(file)) {
      total += StandardInputBytes();
      continue;
    }
    std::error_code error;
    auto size = std::filesystem::file_size(file, error);
    if (!error) total += static_cast<int64_t>(size);
  }
  return total;
}

}  // namespace

int Ingest(const GlobalOptions& global, const std::vector<std::string>& files,
           bool normal_durability) {
  StoreOptions options;
  options.durability = normal_durability ? Durability::kNormal : Durability::kFull;
  // Check every file before storing anything from the first.
  for (const auto& file : files) {
    if (IsStandardStream(file)) continue;
    std::ifstream probe(file);
    if (!probe) {
      std::fprintf(stderr, "extrace ingest: %s: cannot open the file\n", file.c_str());
      return ExitCodeFor(StatusCode::kNotFound);
    }
  }
  auto store = EventStore::Open(global.db_path, options);
  if (!store) {
    std::fprintf(stderr, "extrace ingest: %s\n", store.error().message.c_str());
    return ExitCodeFor(store.error().code);
  }
  ProgressLine progress("ingest");
  if (progress.active()) progress.SetTotalBytes(InputBytes(files));

  // Standard input read through iostreams: without this, every read also
  // synchronises with C stdio and ingest from a pipe runs at half speed.
  std::ios::sync_with_stdio(false);
  Totals totals;
  int code = kExitOk;
  {
    LineBatcher batcher(files);
    while (true) {
      EventBatch batch = batcher.Next();
      code = Commit(**store, batch, totals, progress);
      if (code != kExitOk) break;
      if (batch.stop) {
        progress.Finish();
        const Error& stop = *batch.stop;
        // A bad line names itself; a read error names the command too.
        std::fprintf(stderr, "%s%s\n", stop.code == StatusCode::kIoError ? "extrace ingest: " : "",
                     stop.message.c_str());
        code = ExitCodeFor(stop.code);
      }
      if (batch.end) break;
    }
  }  // the batcher's reader stops at its next batch, if it has not ended
  progress.Finish();
  std::printf("stored %lld events, %lld duplicates\n", static_cast<long long>(totals.stored),
              static_cast<long long>(totals.duplicates));
  return code;
}

}  // namespace extrace::cli
