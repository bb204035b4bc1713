// `extrace query SQL` (read-only SQL over the documented views) and
// `extrace reindex` (rebuild the summaries from the event log).
#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <optional>

#include "render/query_rows_json.h"
#include "storage/event_store.h"
#include "tools/cli_support.h"
#include "tools/commands.h"
#include "tools/exit_codes.h"
#include "tools/progress_line.h"
#include "tools/streamed_table.h"
#include "tools/text_format.h"

namespace extrace::cli {
namespace {

// --json output is written in pieces of about this size.
constexpr size_t kJsonChunkBytes = 1 << 20;

}  // namespace

int Query(const GlobalOptions& global, const std::string& sql, bool json, double timeout_s) {
  StoreOptions options;
  options.read_only = true;
  auto store = EventStore::Open(global.db_path, options);
  if (!store) return Fail("query", store.error());
  // Rows go out as they come (bounded memory for any number of them); after an
  // error, those printed stay printed and the exit code says it failed.
  std::vector<std::string> columns;
  std::optional<StreamedTable> table;
  QueryRowsJson rows_json;
  QueryOptions query_options;
  query_options.timeout = std::chrono::milliseconds(std::llround(timeout_s * 1000));
  auto status = (*store)->Query(
      sql, query_options,
      [&](const std::vector<std::string>& names) {
        columns = names;
        if (!json) table.emplace(names, stdout);
      },
      [&](const std::vector<std::optional<std::string>>& values, const std::vector<bool>& numbers) {
        if (!json) {
          std::vector<std::string> row;
          row.reserve(values.size());
          for (const auto& value : values) row.push_back(value.value_or("NULL"));
          table->Add(std::move(row));
          return;
        }
        rows_json.AddRow(columns, values, numbers);
        if (rows_json.pending_bytes() >= kJsonChunkBytes)
          std::fputs(rows_json.Take().c_str(), stdout);
      });
  if (table) table->Finish();
  if (!status) return Fail("query", status.error());
  if (json) PrintJsonLine(rows_json.Finish());
  return kExitOk;
}

int Reindex(const GlobalOptions& global) {
  auto store = EventStore::Open(global.db_path);
  if (!store) return Fail("reindex", store.error());
  ProgressLine progress("reindex");
  int64_t replayed = 0;
  auto status = (*store)->Reindex([&](int64_t done, int64_t total) {
    replayed = done;
    progress.SetTotalEvents(total);
    progress.Update(done);
  });
  progress.Finish();
  if (!status) return Fail("reindex", status.error());
  std::printf("rebuilt the summaries from %lld events\n", static_cast<long long>(replayed));
  return kExitOk;
}

}  // namespace extrace::cli
