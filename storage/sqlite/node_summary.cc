// Per-node facts of each run: see node_summary.h.
#include "storage/sqlite/node_summary.h"

#include "storage/log_format.h"

namespace extrace {
namespace {

template <typename T>
void BindOptional(SQLite::Statement& statement, int index, const std::optional<T>& value) {
  if (value)
    statement.bind(index, *value);
  else
    statement.bind(index);
}

std::optional<int64_t> OptionalInt(const SQLite::Column& column) {
  if (column.isNull()) return std::nullopt;
  return column.getInt64();
}

}  // namespace

SQLite::Statement& NodeSummary::Prepare(std::unique_ptr<SQLite::Statement>& slot, const char* sql) {
  if (!slot) slot = std::make_unique<SQLite::Statement>(db_, sql);
  slot->reset();
  slot->clearBindings();
  return *slot;
}

NodeSummary::Row& NodeSummary::Get(int64_t run, int64_t node) {
  auto [it, inserted] = rows_.try_emplace(Key{run, node});
  Row& row = it->second;
  if (!inserted) return row;
  auto& find = Prepare(find_, log_format::kFindRunNode);
  find.bind(1, run);
  find.bind(2, node);
  if (!find.executeStep()) return row;
  row.declared = find.getColumn(0).getInt64() != 0;
  row.parent = OptionalInt(find.getColumn(1));
  row.position = OptionalInt(find.getColumn(2));
  row.name = OptionalInt(find.getColumn(3));
  row.type = OptionalInt(find.getColumn(4));
  row.state = OptionalInt(find.getColumn(5));
  row.state_seq = OptionalInt(find.getColumn(6));
  row.start_seq = OptionalInt(find.getColumn(7));
  row.start_us = OptionalInt(find.getColumn(8));
  row.end_us = OptionalInt(find.getColumn(9));
  if (!find.getColumn(10).isNull()) row.progress = find.getColumn(10).getDouble();
  row.progress_seq = OptionalInt(find.getColumn(11));
  if (!find.getColumn(12).isNull()) row.error_message = find.getColumn(12).getString();
  find.reset();
  return row;
}

void NodeSummary::Write(int64_t run, int64_t node, const Row& row) {
  auto& upsert = Prepare(upsert_, log_format::kUpsertRunNode);
  upsert.bind(1, run);
  upsert.bind(2, node);
  upsert.bind(3, row.declared ? 1 : 0);
  BindOptional(upsert, 4, row.parent);
  BindOptional(upsert, 5, row.position);
  BindOptional(upsert, 6, row.name);
  BindOptional(upsert, 7, row.type);
  BindOptional(upsert, 8, row.state);
  BindOptional(upsert, 9, row.state_seq);
  BindOptional(upsert, 10, row.start_seq);
  BindOptional(upsert, 11, row.start_us);
  BindOptional(upsert, 12, row.end_us);
  BindOptional(upsert, 13, row.progress);
  BindOptional(upsert, 14, row.progress_seq);
  BindOptional(upsert, 15, row.error_message);
  upsert.exec();
}

void NodeSummary::Flush() {
  for (auto& [key, row] : rows_) {
    if (!row.dirty) continue;
    Write(key.run, key.node, row);
    row.dirty = false;
  }
}

int NodeSummary::Declare(int64_t run, const DeclaredNodeRow& declared) {
  Row& row = Get(run, declared.node);
  row.parent = declared.parent ? std::optional<int64_t>(declared.parent) : std::nullopt;
  row.position = declared.position;
  row.name = declared.name;
  row.type = declared.type;
  row.dirty = true;
  return summary_rules::Declare(row);
}

int NodeSummary::ApplyState(int64_t run, int64_t node, int64_t seq, int64_t timestamp_us,
                            NodeState state, std::string_view error_message) {
  Row& row = Get(run, node);
  row.dirty = true;
  return summary_rules::ApplyState(row, seq, timestamp_us, state, error_message);
}

int NodeSummary::ApplyProgress(int64_t run, int64_t node, int64_t seq, double progress) {
  Row& row = Get(run, node);
  if (row.progress_seq && seq < *row.progress_seq) return 0;
  row.dirty = true;
  return summary_rules::ApplyProgress(row, seq, progress);
}

}  // namespace extrace
