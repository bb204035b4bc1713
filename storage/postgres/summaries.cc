// The summaries of the PostgreSQL event log (see summaries.h), and Reindex:
// every summary rebuilt from the log alone, replaying each stored event
// through the same code as Append.
#include "storage/postgres/summaries.h"

#include <fmt/format.h>

#include "format/event_json.h"
#include "storage/log_format.h"
#include "storage/postgres/copy_rows.h"
#include "storage/postgres/pg_store.h"
#include "storage/postgres/statements_write.h"
#include "storage/postgres/stored_data.h"
#include "storage/postgres/text_array.h"

namespace extrace {
namespace pg {

void RunSummaries::AddLocked(const Result& rows) {
  for (int i = 0; i < rows.rows(); ++i) {
    RunRow run;
    run.id = rows.Int64(i, 0);
    run.execution_id = rows.String(i, 1);
    run.base_us = rows.Int64(i, 2);
    run.max_seq = rows.Int64(i, 3);
    run.event_count = rows.Int64(i, 4);
    run.last_us = rows.OptionalInt64(i, 5);
    run.root_node_id = rows.OptionalString(i, 6);
    run.parent_execution_id = rows.OptionalString(i, 7);
    run.parent_node_id = rows.OptionalString(i, 8);
    run.start_seq = rows.OptionalInt64(i, 9);
    run.start_us = rows.OptionalInt64(i, 10);
    run.end_seq = rows.OptionalInt64(i, 11);
    run.end_us = rows.OptionalInt64(i, 12);
    run.end_type = rows.OptionalInt64(i, 13);
    run.error_nodes = rows.Int64(i, 14);
    std::string key = run.execution_id;
    runs_.insert_or_assign(std::move(key), std::move(run));
  }
}

RunRow& RunSummaries::AddEmpty(int64_t id, const std::string& execution_id) {
  RunRow& run = runs_[execution_id];
  run.id = id;
  run.execution_id = execution_id;
  run.dirty = true;  // the row was cleared: even a run without events is written
  run.nodes_loaded = true;
  return run;
}

RunRow* RunSummaries::Find(const std::string& execution_id) {
  auto it = runs_.find(execution_id);
  return it == runs_.end() ? nullptr : &it->second;
}

size_t RunSummaries::node_rows() const {
  size_t count = 0;
  for (const auto& [id, run] : runs_) count += run.nodes.size();
  return count;
}

void RunSummaries::LoadNodes(Connection& db, const std::vector<RunRow*>& runs) {
  TextArray ids;
  std::unordered_map<int64_t, RunRow*> by_id;
  for (RunRow* run : runs) {
    if (run->nodes_loaded) continue;
    run->nodes_loaded = true;
    ids.Add(run->id);
    by_id.emplace(run->id, run);
  }
  if (ids.empty()) return;
  Params params;
  params.Add(ids.Text());
  auto rows = db.Exec(write_sql::kFindRunNodes, params);
  for (int i = 0; i < rows.rows(); ++i) {
    RunRow* run = by_id.at(rows.Int64(i, 0));
    NodeRow& node = run->nodes[rows.String(i, 1)];
    node.stored = true;
    node.declared = rows.Bool(i, 2);
    node.parent = rows.OptionalString(i, 3);
    node.position = rows.OptionalInt64(i, 4);
    node.name = rows.OptionalString(i, 5);
    node.type = rows.OptionalString(i, 6);
    node.state = rows.OptionalInt64(i, 7);
    node.state_seq = rows.OptionalInt64(i, 8);
    node.start_seq = rows.OptionalInt64(i, 9);
    node.start_us = rows.OptionalInt64(i, 10);
    node.end_us = rows.OptionalInt64(i, 11);
    if (!rows.IsNull(i, 12)) node.progress = rows.Double(i, 12);
    node.progress_seq = rows.OptionalInt64(i, 13);
    node.error_message = rows.OptionalString(i, 14);
  }
}

const RunSummaries::Declaration* RunSummaries::Declared(const std::string& data_json) {
  if (auto it = declarations_.find(data_json); it != declarations_.end()) return &it->second;
  auto info = ReadStartedInfo(ParseDataObject(data_json));
  if (!info) return nullptr;  // validated before append; an invalid graph declares nothing
  if (declarations_.size() >= kDeclarationCacheSize) declarations_.clear();
  Declaration declared;
  declared.root_node_id = std::move(info->root_node_id);
  if (!info->parent_execution_id.empty()) {
    declared.parent_execution_id = std::move(info->parent_execution_id);
    declared.parent_node_id = std::move(info->parent_node_id);
  }
  for (DeclaredNode& node : info->nodes) {
    declared.nodes.push_back(
        {std::move(node.id),
         node.parent_id.empty() ? std::nullopt : std::optional(std::move(node.parent_id)),
         std::move(node.name), std::move(node.type)});
  }
  return &declarations_.emplace(data_json, std::move(declared)).first->second;
}

// Only the run's first `started` (by seq) declares it.
void RunSummaries::ApplyStarted(const Event& event, RunRow& run) {
  const Declaration* declared = Declared(event.data_json);
  if (declared == nullptr) return;
  if (run.start_seq && *run.start_seq <= event.seq) return;
  run.root_node_id = declared->root_node_id;
  run.parent_execution_id = declared->parent_execution_id;
  run.parent_node_id = declared->parent_node_id;
  run.start_seq = event.seq;
  run.start_us = event.timestamp_us;
  for (size_t i = 0; i < declared->nodes.size(); ++i) {
    const Declaration::Node& from = declared->nodes[i];
    NodeRow& node = run.nodes[from.id];
    node.parent = from.parent;
    node.position = static_cast<int64_t>(i);
    node.name = from.name;
    node.type = from.type;
    node.dirty = true;
    run.error_nodes += summary_rules::Declare(node);
  }
}

void RunSummaries::Apply(const Event& event, const payload_layout::Pieces& pieces, RunRow& run) {
  run.dirty = true;
  run.event_count += 1;
  if (event.seq > run.max_seq) {
    run.max_seq = event.seq;
    run.last_us = event.timestamp_us;
  }
  switch (event.type) {
    case EventType::kStarted:
      ApplyStarted(event, run);
      break;
    case EventType::kStateChange: {
      auto change = summary_rules::ReadStateChange(event, pieces);
      if (!change) break;
      NodeRow& node = run.nodes[event.node_id];
      node.dirty = true;
      run.error_nodes += summary_rules::ApplyState(node, event.seq, event.timestamp_us,
                                                   change->state, change->error_message);
      break;
    }
    case EventType::kCompleted:
    case EventType::kError:
      // The run's first end (by seq) ends it.
      if (!run.end_seq || *run.end_seq > event.seq) {
        run.end_seq = event.seq;
        run.end_us = event.timestamp_us;
        run.end_type = log_format::Code(event.type);
      }
      break;
    case EventType::kProgress: {
      auto progress = summary_rules::ReadProgress(event, pieces);
      if (!progress) break;
      NodeRow& node = run.nodes[event.node_id];
      if (node.progress_seq && event.seq < *node.progress_seq) break;
      node.dirty = true;
      run.error_nodes += summary_rules::ApplyProgress(node, event.seq, *progress);
      break;
    }
  }
}

namespace {

// One run_nodes row into `column(k)`, the sink of column k (write_sql's order).
template <typename Column>
void AddNodeRow(int64_t run, const std::string& node_id, const NodeRow& n, Column&& column) {
  column(0).Add(run);
  column(1).Add(std::string_view(node_id));
  column(2).Add(n.declared);
  column(3).Add(n.parent);
  column(4).Add(n.position);
  column(5).Add(n.name);
  column(6).Add(n.type);
  column(7).Add(n.state);
  column(8).Add(n.state_seq);
  column(9).Add(n.start_seq);
  column(10).Add(n.start_us);
  column(11).Add(n.end_us);
  column(12).Add(n.progress);
  column(13).Add(n.progress_seq);
  column(14).Add(n.error_message);
}

}  // namespace

void RunSummaries::Flush(Connection& db) {
  constexpr int kRunColumns = 13, kNodeColumns = 15;
  TextArray run[kRunColumns], node[kNodeColumns];
  CopyRows new_nodes;
  for (auto& [execution_id, r] : runs_) {
    for (auto& [node_id, n] : r.nodes) {
      if (!n.dirty) continue;
      if (n.stored) {
        AddNodeRow(r.id, node_id, n, [&](int k) -> TextArray& { return node[k]; });
      } else {
        AddNodeRow(r.id, node_id, n, [&](int) -> CopyRows& { return new_nodes; });
        new_nodes.EndRow();
      }
      n.dirty = false;
      n.stored = true;
    }
    if (!r.dirty) continue;
    run[0].Add(r.id);
    run[1].Add(r.root_node_id);
    run[2].Add(r.parent_execution_id);
    run[3].Add(r.parent_node_id);
    run[4].Add(r.start_seq);
    run[5].Add(r.start_us);
    run[6].Add(r.end_seq);
    run[7].Add(r.end_us);
    run[8].Add(r.end_type);
    run[9].Add(r.event_count);
    run[10].Add(r.max_seq);
    run[11].Add(r.last_us);
    run[12].Add(r.error_nodes);
    r.dirty = false;
  }
  Params params;
  if (!run[0].empty()) {
    for (const TextArray& column : run) params.Add(column.Text());
    db.Exec(write_sql::kUpdateRuns, params);
  }
  if (!node[0].empty()) {
    params.Clear();
    for (const TextArray& column : node) params.Add(column.Text());
    db.ExecPrepared(write_sql::kUpsertRunNodesName, write_sql::kUpsertRunNodes, params);
  }
  if (new_nodes.rows() > 0) db.CopyIn(write_sql::kCopyRunNodes, new_nodes.text());
}

}  // namespace pg

namespace {

// Rows written back at a time while replaying: memory stays bounded by the
// largest run plus this.
constexpr size_t kReplayFlushNodeRows = 20000;

}  // namespace

Status PostgresEventStore::Reindex(const std::function<void(int64_t, int64_t)>& progress) {
  if (options_.read_only)
    return MakeError(StatusCode::kReadOnly, fmt::format("{}: opened read-only", display_));
  auto rebuilt = Guarded<int64_t>("rebuilding the summaries", [&]() -> Result<int64_t> {
    // Every way out but the Commit below rolls back and forgets the rows.
    struct ForgetRows {
      pg::RunSummaries& summaries;
      ~ForgetRows() { summaries.Forget(); }
    } forget{summaries_};
    summaries_.Forget();
    pg::Transaction txn(db_);
    const int64_t total = db_.Exec(pg::write_sql::kCountEvents).Int64(0, 0);
    db_.Exec(pg::write_sql::kClearRunNodes);
    db_.Exec(pg::write_sql::kClearRuns);
    db_.Exec(pg::write_sql::kOpenReplay);
    int64_t done = 0;
    pg::RunRow* run = nullptr;
    Event event;
    while (true) {
      auto rows = db_.Exec(pg::write_sql::kFetchReplay);
      if (rows.rows() == 0) break;
      for (int i = 0; i < rows.rows(); ++i) {
        const int64_t execution = rows.Int64(i, 0);
        if (run == nullptr || run->id != execution) {
          if (summaries_.node_rows() >= kReplayFlushNodeRows) {
            summaries_.Flush(db_);
            summaries_.Forget();
          }
          run = &summaries_.AddEmpty(execution, rows.String(i, 1));
        }
        event.execution_id = run->execution_id;
        event.seq = rows.Int64(i, 2);
        event.timestamp_us = rows.Int64(i, 3);
        const int64_t type = rows.Int64(i, 4);
        if (!log_format::IsEventTypeCode(type))
          return MakeError(StatusCode::kCorrupt,
                           fmt::format("{}: event {} of \"{}\" has unknown type code {}", display_,
                                       event.seq, event.execution_id, type));
        event.type = static_cast<EventType>(type);
        event.node_id.assign(rows.Text(i, 5));
        if (!pg::JoinStoredData(rows, i, 6, 7, 8, event.data_json))
          return MakeError(StatusCode::kCorrupt,
                           fmt::format("{}: event {} of \"{}\" has a corrupt data layout", display_,
                                       event.seq, event.execution_id));
        summaries_.Apply(event, payload_layout::Split(event.type, event.data_json, split_buffer_),
                         *run);
        if (++done % 65536 == 0 && progress) progress(done, total);
      }
    }
    db_.Exec(pg::write_sql::kCloseReplay);
    summaries_.Flush(db_);
    txn.Commit();
    if (progress) progress(done, total);
    return done;
  });
  if (!rebuilt) return tl::unexpected(rebuilt.error());
  return {};
}

}  // namespace extrace
