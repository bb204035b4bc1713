// `extrace copy --from A --to B [--flow F] [--since T]`: copies runs between
// two stores of any backends (storage/store_copy.h does the copying); this
// file owns the command's checks, progress line and summary.
#include <fmt/format.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>

#include "query/run_filter_text.h"
#include "storage/event_store.h"
#include "storage/store_copy.h"
#include "tools/cli_support.h"
#include "tools/commands.h"
#include "tools/exit_codes.h"
#include "tools/progress_line.h"
#include "tools/text_format.h"

namespace extrace::cli {
namespace {

// Whether both name one store: one SQLite file (however its path is written)
// or the same connection string. Copying a store into itself would only find
// every run already there, so it is refused as a mistake.
bool SameStore(const std::string& a, const std::string& b) {
  if (a == b) return true;
  if (EventStore::NamesPostgres(a) || EventStore::NamesPostgres(b)) return false;
  std::string file_a = EventStore::SqlitePath(a), file_b = EventStore::SqlitePath(b);
  struct stat info_a {
  }, info_b{};
  if (stat(file_a.c_str(), &info_a) == 0 && stat(file_b.c_str(), &info_b) == 0)
    return info_a.st_dev == info_b.st_dev && info_a.st_ino == info_b.st_ino;
  std::error_code error;
  auto canonical_a = std::filesystem::weakly_canonical(file_a, error);
  auto canonical_b = std::filesystem::weakly_canonical(file_b, error);
  return !error && canonical_a == canonical_b;
}

}  // namespace

int Copy(const CopyCommandOptions& options) {
  if (SameStore(options.from, options.to))
    return Usage("copy", "--from and --to name the same store");
  // The filter's words and checks are `extrace list`'s.
  RunFilterText text;
  text.flow = options.flow;
  text.since = options.since;
  auto filter = ParseRunFilter(text, FilterNames::kCliFlags);
  if (!filter) return Usage("copy", filter.error().message);
  CopyOptions copy;
  copy.flow = filter->flow;
  copy.since_us = filter->since_us;
  StoreOptions read_only;
  read_only.read_only = true;
  auto from = EventStore::Open(options.from, read_only);
  if (!from) return Fail("copy", from.error());
  auto to = EventStore::Open(options.to);
  if (!to) return Fail("copy", to.error());

  ProgressLine progress("copy");
  copy.progress = [&](int64_t done, int64_t total) {
    progress.SetTotalEvents(total);
    progress.Update(done);
  };
  CopyTotals totals = CopyRuns(**from, **to, copy);
  progress.Finish();
  std::printf("copied %lld runs (%s events), %lld already there\n",
              static_cast<long long>(totals.runs_copied), Grouped(totals.events_copied).c_str(),
              static_cast<long long>(totals.runs_present));
  std::fflush(stdout);
  if (!totals.status) return Fail("copy", totals.status.error());
  return kExitOk;
}

}  // namespace extrace::cli
