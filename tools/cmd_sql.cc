// `extrace query SQL` (read-only SQL over the documented views) and
// `extrace reindex` (rebuild the summaries from the event log).
#include <fmt/format.h>

#include <cstdio>

#include "render/query_rows_json.h"
#include "storage/event_store.h"
#include "tools/cli_support.h"
#include "tools/commands.h"
#include "tools/exit_codes.h"
#include "tools/progress_line.h"
#include "tools/text_format.h"

namespace extrace::cli {
int Query(const GlobalOptions& global, const std::string& sql, bool json) {
  StoreOptions options;
  options.read_only = true;
  auto store = EventStore::Open(global.db_path, options);
  if (!store) return Fail("query", store.error());
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;
  QueryRowsJson rows_json;
  auto status = (*store)->Query(
      sql, [&](const std::vector<std::string>& names) { columns = names; },
      [&](const std::vector<std::optional<std::string>>& values, const std::vector<bool>& numbers) {
        if (!json) {
          std::vector<std::string> row;
          row.reserve(values.size());
          for (const auto& value : values) row.push_back(value.value_or("NULL"));
          rows.push_back(std::move(row));
          return;
        }
        rows_json.AddRow(columns, values, numbers);
      });
  if (!status) return Fail("query", status.error());
  if (json) {
    PrintJsonLine(rows_json.Finish());
    return kExitOk;
  }
  std::fputs(RenderTable(columns, rows, std::vector<bool>(columns.size(), false)).c_str(), stdout);
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
