// The summaries of the SQLite event log, kept current inside each append
// transaction: per run (executions: start, end, counts, error nodes) and per
// node (run_nodes, through NodeSummary). Reindex rebuilds them all from the
// log alone, replaying every stored event through the same code.
#include <fmt/format.h>
#include <sqlite3.h>

#include "format/event_json.h"
#include "storage/log_format.h"
#include "storage/sqlite/sqlite_store.h"
#include "storage/summary_rules.h"

namespace extrace {

void SqliteEventStore::FlushSummaries() {
  node_summary_.Flush();
  for (auto& [execution_id, run] : runs_in_txn_) {
    if (run.added == 0 && run.error_delta == 0) continue;
    auto& bump = Prepare(bump_run_, log_format::kBumpRun);
    bump.bind(1, run.added);
    bump.bind(2, run.max_moved ? 1 : 0);
    bump.bind(3, run.last_us);
    bump.bind(4, run.max_seq);
    bump.bind(5, run.error_delta);
    bump.bind(6, run.id);
    bump.exec();
    run.added = 0;
    run.error_delta = 0;
    run.max_moved = false;
  }
}

void SqliteEventStore::ApplyStarted(const Event& event, RunInTxn& run) {
  const DeclaredRun* info = Declaration(event.data_json);
  if (info == nullptr) return;
  auto& set = Prepare(set_started_, log_format::kSetStarted);
  set.bind(1, info->root_node_id);
  if (info->parent_execution_id.empty()) {
    set.bind(2);
    set.bind(3);
  } else {
    set.bind(2, info->parent_execution_id);
    set.bind(3, info->parent_node_id);
  }
  set.bind(4, event.seq);
  set.bind(5, event.timestamp_us);
  set.bind(6, run.id);
  set.bind(7, event.seq);
  if (set.exec() == 0) return;  // not the run's first `started`: it declares nothing
  for (const DeclaredNodeRow& row : info->nodes)
    run.error_delta += node_summary_.Declare(run.id, row);
}

void SqliteEventStore::ApplyStateChange(const Event& event, const payload_layout::Pieces& pieces,
                                        RunInTxn& run) {
  auto change = summary_rules::ReadStateChange(event, pieces);
  if (!change) return;
  run.error_delta +=
      node_summary_.ApplyState(run.id, InternString(event.node_id), event.seq, event.timestamp_us,
                               change->state, change->error_message);
}

void SqliteEventStore::ApplyProgress(const Event& event, const payload_layout::Pieces& pieces,
                                     RunInTxn& run) {
  auto progress = summary_rules::ReadProgress(event, pieces);
  if (!progress) return;
  run.error_delta +=
      node_summary_.ApplyProgress(run.id, InternString(event.node_id), event.seq, *progress);
}

void SqliteEventStore::ApplySummaries(const Event& event, const payload_layout::Pieces& pieces,
                                      RunInTxn& run) {
  run.added += 1;
  if (event.seq > run.max_seq) {  // run.max_seq starts as the stored one
    run.max_seq = event.seq;
    run.max_moved = true;
    run.last_us = event.timestamp_us;
  }
  switch (event.type) {
    case EventType::kStarted:
      ApplyStarted(event, run);
      break;
    case EventType::kStateChange:
      ApplyStateChange(event, pieces, run);
      break;
    case EventType::kCompleted:
    case EventType::kError: {
      auto& set = Prepare(set_ended_, log_format::kSetEnded);
      set.bind(1, event.seq);
      set.bind(2, event.timestamp_us);
      set.bind(3, log_format::Code(event.type));
      set.bind(4, run.id);
      set.exec();
      break;
    }
    case EventType::kProgress:
      ApplyProgress(event, pieces, run);
      break;
  }
}

Status SqliteEventStore::Reindex(const std::function<void(int64_t, int64_t)>& progress) {
  if (options_.read_only)
    return MakeError(StatusCode::kReadOnly, fmt::format("{}: opened read-only", path_));
  try {
    // Every way out but the Commit below rolls back and forgets the caches.
    WriteTxn txn(*this);
    int64_t total = db_.execAndGet(log_format::kCountEvents).getInt64();
    db_.exec(log_format::kClearRunNodes);
    db_.exec(log_format::kClearRunSummaries);
    SQLite::Statement row(db_, log_format::kReplayLog);
    int64_t done = 0;
    RunInTxn* run = nullptr;
    Event event;
    while (row.executeStep()) {
      int64_t execution = row.getColumn(0).getInt64();
      if (run == nullptr || execution != run->id) {
        // One run's node rows at a time: memory stays bounded by the largest run.
        FlushSummaries();
        node_summary_.Forget();
        runs_in_txn_.clear();
        run =
            &runs_in_txn_.emplace(row.getColumn(1).getString(), RunInTxn{execution}).first->second;
      }
      event.execution_id = row.getColumn(1).getString();
      event.seq = row.getColumn(2).getInt64();
      event.timestamp_us = row.getColumn(3).getInt64();
      int64_t type = row.getColumn(4).getInt64();
      if (!log_format::IsEventTypeCode(type))
        return MakeError(StatusCode::kCorrupt,
                         fmt::format("{}: event {} of \"{}\" has unknown type code {}", path_,
                                     event.seq, event.execution_id, type));
      event.type = static_cast<EventType>(type);
      event.node_id.clear();
      if (!row.getColumn(5).isNull()) event.node_id = row.getColumn(5).getString();
      if (!JoinData(row.getColumn(6), row.getColumn(7), row.getColumn(8), event.data_json))
        return MakeError(StatusCode::kCorrupt,
                         fmt::format("{}: event {} of \"{}\" has a corrupt data layout", path_,
                                     event.seq, event.execution_id));
      ApplySummaries(event, payload_layout::Split(event.type, event.data_json, split_buffer_),
                     *run);
      if (progress && ++done % 65536 == 0) progress(done, total);
    }
    row.reset();
    FlushSummaries();
    txn.Commit();
    if (progress) progress(done, total);
    return {};
  } catch (const SQLite::Exception& e) {
    return tl::unexpected(Describe(e, "rebuilding the summaries"));
  } catch (...) {
    return tl::unexpected(DescribeUnexpected("rebuilding the summaries"));
  }
}

}  // namespace extrace
