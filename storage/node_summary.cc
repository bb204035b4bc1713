// Per-node facts of each run: see node_summary.h.
#include "storage/node_summary.h"

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

NodeSummary::Row NodeSummary::Read(int64_t run, int64_t node) {
  auto& find = Prepare(find_,
                       "SELECT declared, parent, position, name, type, state, state_seq, start_seq, "
                       "start_us, end_us, progress, progress_seq, error_message "
                       "FROM run_nodes WHERE execution = ? AND node = ?");
  find.bind(1, run);
  find.bind(2, node);
  Row row;
  if (!find.executeStep()) return row;
  row.exists = true;
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
  return row;
}

int NodeSummary::Write(int64_t run, int64_t node, const Row& before, const Row& after) {
  auto& upsert = Prepare(
      upsert_,
      "INSERT INTO run_nodes(execution, node, declared, parent, position, name, type, state, "
      "state_seq, start_seq, start_us, end_us, progress, progress_seq, error_message) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15) "
      "ON CONFLICT(execution, node) DO UPDATE SET declared = ?3, parent = ?4, position = ?5, "
      "name = ?6, type = ?7, state = ?8, state_seq = ?9, start_seq = ?10, start_us = ?11, "
      "end_us = ?12, progress = ?13, progress_seq = ?14, error_message = ?15");
  upsert.bind(1, run);
  upsert.bind(2, node);
  upsert.bind(3, after.declared ? 1 : 0);
  BindOptional(upsert, 4, after.parent);
  BindOptional(upsert, 5, after.position);
  BindOptional(upsert, 6, after.name);
  BindOptional(upsert, 7, after.type);
  BindOptional(upsert, 8, after.state);
  BindOptional(upsert, 9, after.state_seq);
  BindOptional(upsert, 10, after.start_seq);
  BindOptional(upsert, 11, after.start_us);
  BindOptional(upsert, 12, after.end_us);
  BindOptional(upsert, 13, after.progress);
  BindOptional(upsert, 14, after.progress_seq);
  BindOptional(upsert, 15, after.error_message);
  upsert.exec();
  const int64_t kError = log_format::Code(NodeState::kError);
  return int(after.declared && after.state == kError) - int(before.declared && before.state == kError);
}

int NodeSummary::Declare(int64_t run, const DeclaredNodeRow& declared) {
  Row before = Read(run, declared.node);
  Row after = before;
  after.declared = true;
  after.parent = declared.parent ? std::optional<int64_t>(declared.parent) : std::nullopt;
  after.position = declared.position;
  after.name = declared.name;
  after.type = declared.type;
  return Write(run, declared.node, before, after);
}

int NodeSummary::ApplyState(int64_t run, int64_t node, int64_t seq, int64_t timestamp_us,
                            NodeState state, std::string_view error_message) {
  Row before = Read(run, node);
  Row after = before;
  if (state == NodeState::kExecuting && (!after.start_seq || seq < *after.start_seq)) {
    after.start_seq = seq;
    after.start_us = timestamp_us;
  }
  if (!after.state_seq || seq > *after.state_seq) {
    after.state = log_format::Code(state);
    after.state_seq = seq;
    after.end_us = IsTerminal(state) ? std::optional<int64_t>(timestamp_us) : std::nullopt;
    after.error_message = state == NodeState::kError ? std::optional<std::string>(error_message)
                                                     : std::nullopt;
  }
  return Write(run, node, before, after);
}

int NodeSummary::ApplyProgress(int64_t run, int64_t node, int64_t seq, double progress) {
  Row before = Read(run, node);
  if (before.progress_seq && seq < *before.progress_seq) return 0;
  Row after = before;
  after.progress = progress;
  after.progress_seq = seq;
  return Write(run, node, before, after);
}

}  // namespace extrace
