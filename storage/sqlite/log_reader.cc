// The read side of the SQLite event log: runs from their summaries (statuses
// resolved over each run's child runs, run_statuses.h), node facts, child
// runs, a run's events streamed back in seq order, and the integrity check.
// Reads never write; each opens its statements for the call only.
#include <fmt/format.h>
#include <sqlite3.h>

#include <string_view>
#include <unordered_map>

#include "format/json_text.h"
#include "storage/log_format.h"
#include "storage/run_statuses.h"
#include "storage/sqlite/sqlite_store.h"

namespace extrace {
namespace {

// One row of log_format::kSummaryColumns.
SummaryRow ReadSummary(SQLite::Statement& row) {
  SummaryRow out;
  RunSummary& run = out.run;
  run.execution_id = row.getColumn(0).getString();
  if (!row.getColumn(1).isNull()) run.root_node_id = row.getColumn(1).getString();
  if (!row.getColumn(2).isNull()) run.parent_execution_id = row.getColumn(2).getString();
  if (!row.getColumn(3).isNull()) run.parent_node_id = row.getColumn(3).getString();
  if (!row.getColumn(4).isNull()) run.start_us = row.getColumn(4).getInt64();
  if (!row.getColumn(5).isNull()) run.end_us = row.getColumn(5).getInt64();
  if (!row.getColumn(6).isNull())
    run.end_type = static_cast<EventType>(row.getColumn(6).getInt64());
  run.event_count = row.getColumn(7).getInt64();
  run.max_seq = row.getColumn(8).getInt64();
  if (!row.getColumn(9).isNull()) run.last_us = row.getColumn(9).getInt64();
  run.error_nodes = row.getColumn(10).getInt64();
  out.derives_parent_node = row.getColumn(11).getInt64() != 0;
  return out;
}

}  // namespace

bool SqliteEventStore::JoinData(const SQLite::Column& layout, const SQLite::Column& data,
                                const SQLite::Column& graph, std::string& data_json) {
  std::optional<int64_t> code;
  if (!layout.isNull()) code = layout.getInt64();
  std::string_view text;
  if (!data.isNull()) text = std::string_view(data.getText(), static_cast<size_t>(data.getBytes()));
  std::string_view graph_text;
  if (!graph.isNull())
    graph_text = std::string_view(graph.getText(), static_cast<size_t>(graph.getBytes()));
  if (code && *code >= payload_layout::kGraphLayoutBase && graph.isNull()) return false;
  return payload_layout::Join(code, text, graph_text, data_json);
}

Result<std::optional<RunSummary>> SqliteEventStore::GetRun(const std::string& execution_id) {
  try {
    SQLite::Statement row(db_, log_format::kRunTree + std::string(log_format::kSummaryColumns) +
                                   log_format::kInRunTree);
    row.bind(1, execution_id);
    std::vector<SummaryRow> rows;
    while (row.executeStep()) rows.push_back(ReadSummary(row));
    ResolveStatuses(rows);
    for (auto& found : rows)
      if (found.run.execution_id == execution_id)
        return std::optional<RunSummary>(std::move(found.run));
    return std::optional<RunSummary>();
  } catch (const SQLite::Exception& e) {
    return tl::unexpected(Describe(e, "reading a run"));
  } catch (...) {
    return tl::unexpected(DescribeUnexpected("reading a run"));
  }
}

Result<std::vector<RunSummary>> SqliteEventStore::ListRuns(const RunFilter& filter) {
  try {
    // Every run is read (statuses depend on child runs); the filter is one more
    // column, computed by SQL with the indexes, so no event is scanned for it.
    std::vector<std::string> conditions;
    if (!filter.flow.empty()) conditions.push_back(log_format::kFilterFlow);
    if (filter.top_level_only) conditions.push_back(log_format::kFilterTopLevel);
    if (filter.since_us) conditions.push_back(log_format::kFilterSince);
    if (filter.until_us) conditions.push_back(log_format::kFilterUntil);
    if (filter.slower_than_us) conditions.push_back(log_format::kFilterSlower);
    if (!filter.node.empty() || filter.node_state)
      conditions.push_back(std::string(log_format::kFilterNodeOpen) +
                           (filter.node.empty() ? "" : log_format::kFilterNodeId) +
                           (filter.node_state ? log_format::kFilterNodeState : "") + ")");
    if (!filter.error_text.empty()) conditions.push_back(log_format::kFilterErrorText);
    std::string match = "1";
    for (const auto& condition : conditions) match += " AND " + condition;
    std::string select(log_format::kSummaryColumns);
    select.insert(select.size() - std::string_view(log_format::kFromExecutions).size(),
                  ", (" + match + ") ");
    SQLite::Statement row(db_, select + log_format::kNewestFirst);
    if (!filter.flow.empty()) row.bind(":flow", filter.flow);
    if (filter.since_us) row.bind(":since", *filter.since_us);
    if (filter.until_us) row.bind(":until", *filter.until_us);
    if (filter.slower_than_us) row.bind(":slower", *filter.slower_than_us);
    if (!filter.node.empty()) row.bind(":node", filter.node);
    if (filter.node_state) row.bind(":state", log_format::Code(*filter.node_state));
    if (!filter.error_text.empty()) row.bind(":error", filter.error_text);
    std::vector<SummaryRow> rows;
    std::vector<bool> matches;
    // With a limit and no status to match, only the runs that match count, and
    // only the first `limit` of them: the rest need not be read (a page of the
    // newest runs costs the page, not the store). Their statuses still come
    // from their child runs, read with them.
    if (filter.limit && !filter.status) return ListRunsPage(row, filter.limit);
    while (row.executeStep()) {
      rows.push_back(ReadSummary(row));
      matches.push_back(row.getColumn(12).getInt64() != 0);
    }
    ResolveStatuses(rows);
    std::vector<RunSummary> runs;
    for (size_t i = 0; i < rows.size(); ++i) {
      if (!matches[i] || (filter.status && rows[i].run.status != *filter.status)) continue;
      runs.push_back(std::move(rows[i].run));
      if (filter.limit && runs.size() >= filter.limit) break;
    }
    return runs;
  } catch (const SQLite::Exception& e) {
    return tl::unexpected(Describe(e, "listing runs"));
  } catch (...) {
    return tl::unexpected(DescribeUnexpected("listing runs"));
  }
}

std::vector<RunSummary> SqliteEventStore::ListRunsPage(SQLite::Statement& row, size_t limit) {
  std::vector<std::string> page;
  std::string ids;
  JsonWriter list(ids);
  list.BeginArray();
  while (page.size() < limit && row.executeStep()) {
    if (row.getColumn(12).getInt64() == 0) continue;
    page.push_back(row.getColumn(0).getString());
    list.String(page.back());
  }
  list.EndArray();
  row.reset();
  if (page.empty()) return {};
  SQLite::Statement tree(db_, log_format::kRunTrees + std::string(log_format::kSummaryColumns) +
                                  log_format::kInRunTree);
  tree.bind(1, ids);
  std::vector<SummaryRow> rows;
  while (tree.executeStep()) rows.push_back(ReadSummary(tree));
  ResolveStatuses(rows);
  std::unordered_map<std::string, RunSummary*> by_id;
  for (auto& found : rows) by_id.emplace(found.run.execution_id, &found.run);
  std::vector<RunSummary> runs;
  for (const std::string& id : page)
    if (auto it = by_id.find(id); it != by_id.end()) runs.push_back(std::move(*it->second));
  return runs;
}

Result<std::vector<NodeFact>> SqliteEventStore::NodeFacts(
    const std::vector<std::string>& execution_ids) {
  try {
    SQLite::Statement row(db_, log_format::kNodeFacts);
    std::vector<NodeFact> facts;
    for (const auto& id : execution_ids) {
      row.reset();
      row.bind(1, id);
      while (row.executeStep()) {
        NodeFact fact;
        fact.execution_id = id;
        fact.node_id = row.getColumn(0).getString();
        if (!row.getColumn(1).isNull()) fact.name = row.getColumn(1).getString();
        if (!row.getColumn(2).isNull()) fact.type = row.getColumn(2).getString();
        if (!row.getColumn(3).isNull()) fact.parent_id = row.getColumn(3).getString();
        fact.position = row.getColumn(4).isNull() ? 0 : row.getColumn(4).getInt64();
        if (!row.getColumn(5).isNull())
          fact.state = static_cast<NodeState>(row.getColumn(5).getInt64());
        if (!row.getColumn(6).isNull()) fact.start_us = row.getColumn(6).getInt64();
        if (!row.getColumn(7).isNull()) fact.end_us = row.getColumn(7).getInt64();
        if (!row.getColumn(8).isNull()) fact.progress = row.getColumn(8).getDouble();
        if (!row.getColumn(9).isNull()) fact.error_message = row.getColumn(9).getString();
        facts.push_back(std::move(fact));
      }
    }
    return facts;
  } catch (const SQLite::Exception& e) {
    return tl::unexpected(Describe(e, "reading node summaries"));
  } catch (...) {
    return tl::unexpected(DescribeUnexpected("reading node summaries"));
  }
}

Result<std::vector<std::string>> SqliteEventStore::ChildRuns(const std::string& execution_id) {
  try {
    SQLite::Statement row(db_, log_format::kChildRuns);
    row.bind(1, execution_id);
    std::vector<std::string> children;
    while (row.executeStep()) children.push_back(row.getColumn(0).getString());
    return children;
  } catch (const SQLite::Exception& e) {
    return tl::unexpected(Describe(e, "reading child runs"));
  } catch (...) {
    return tl::unexpected(DescribeUnexpected("reading child runs"));
  }
}

Status SqliteEventStore::ForEachEventAfter(const std::string& execution_id, int64_t after_seq,
                                           size_t max_events,
                                           const std::function<void(Event&&)>& visit) {
  try {
    SQLite::Statement run(db_, log_format::kRunIdAndBase);
    run.bind(1, execution_id);
    if (!run.executeStep()) return {};
    const int64_t id = run.getColumn(0).getInt64();
    const int64_t base_us = run.getColumn(1).getInt64();
    run.reset();
    // Node ids and graphs are looked up once each, not joined into every row:
    // a run names few distinct nodes and usually one graph.
    SQLite::Statement row(db_, log_format::kRunEvents);
    SQLite::Statement node_name(db_, log_format::kStringById);
    SQLite::Statement graph_text(db_, log_format::kGraphById);
    std::unordered_map<int64_t, std::string> names;
    std::unordered_map<int64_t, std::string> graphs;
    auto lookup = [](SQLite::Statement& statement, std::unordered_map<int64_t, std::string>& cache,
                     int64_t key) -> const std::string* {
      if (auto it = cache.find(key); it != cache.end()) return &it->second;
      statement.reset();
      statement.bind(1, key);
      if (!statement.executeStep()) return nullptr;
      return &cache.emplace(key, statement.getColumn(0).getString()).first->second;
    };
    row.bind(1, id);
    row.bind(2, after_seq);
    row.bind(3, max_events == 0 ? int64_t{-1} : static_cast<int64_t>(max_events));  // -1: no limit
    while (row.executeStep()) {
      Event event;
      event.execution_id = execution_id;
      event.seq = row.getColumn(0).getInt64();
      event.timestamp_us = row.getColumn(1).getInt64() + base_us;
      int64_t type = row.getColumn(2).getInt64();
      if (!log_format::IsEventTypeCode(type))
        return MakeError(StatusCode::kCorrupt,
                         fmt::format("{}: event {} of \"{}\" has unknown type code {}", path_,
                                     event.seq, execution_id, type));
      event.type = static_cast<EventType>(type);
      const std::string* graph = nullptr;
      bool intact = true;
      if (!row.getColumn(3).isNull()) {
        const std::string* name = lookup(node_name, names, row.getColumn(3).getInt64());
        if (name != nullptr)
          event.node_id = *name;
        else
          intact = false;
      }
      if (!row.getColumn(6).isNull()) {
        graph = lookup(graph_text, graphs, row.getColumn(6).getInt64());
        intact = intact && graph != nullptr;
      }
      std::optional<int64_t> layout;
      if (!row.getColumn(4).isNull()) layout = row.getColumn(4).getInt64();
      const SQLite::Column data = row.getColumn(5);
      std::string_view text;
      if (!data.isNull())
        text = std::string_view(data.getText(), static_cast<size_t>(data.getBytes()));
      if (layout && *layout >= payload_layout::kGraphLayoutBase && graph == nullptr) intact = false;
      if (!intact || !payload_layout::Join(layout, text, graph ? std::string_view(*graph) : "",
                                           event.data_json))
        return MakeError(StatusCode::kCorrupt,
                         fmt::format("{}: event {} of \"{}\" has a corrupt data layout", path_,
                                     event.seq, execution_id));
      visit(std::move(event));
    }
    return {};
  } catch (const SQLite::Exception& e) {
    return tl::unexpected(Describe(e, "reading events"));
  } catch (...) {
    return tl::unexpected(DescribeUnexpected("reading events"));
  }
}

Result<int64_t> SqliteEventStore::ChangeCounter() {
  try {
    SQLite::Statement version(db_, log_format::kDataVersion);
    if (!version.executeStep())
      return MakeError(StatusCode::kInternal, "PRAGMA data_version returned no row");
    return version.getColumn(0).getInt64();
  } catch (const SQLite::Exception& e) {
    return tl::unexpected(Describe(e, "polling for changes"));
  } catch (...) {
    return tl::unexpected(DescribeUnexpected("polling for changes"));
  }
}

Result<std::string> SqliteEventStore::IntegrityCheck() {
  try {
    return db_.execAndGet(log_format::kIntegrityCheck).getString();
  } catch (const SQLite::Exception& e) {
    return tl::unexpected(Describe(e, "integrity check"));
  } catch (...) {
    return tl::unexpected(DescribeUnexpected("integrity check"));
  }
}

}  // namespace extrace
