// The read side of the PostgreSQL event log: runs from their summaries
// (statuses resolved over each run's child runs, run_statuses.h), node facts,
// child runs, a run's events streamed back in seq order a page at a time, the
// change counter and the integrity check. Same results as the SQLite backend
// (storage/sqlite/log_reader.cc); the statements are in statements_read.h.
// Reads never write and open no transaction of their own.
#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <string_view>
#include <unordered_map>

#include "storage/log_format.h"
#include "storage/postgres/pg_store.h"
#include "storage/postgres/statements_read.h"
#include "storage/run_statuses.h"

namespace extrace {
namespace {

// Rows of a run's events fetched per round trip: bounded memory for a run of
// any length, few round trips for most.
constexpr int64_t kEventsPerPage = 10000;
// Distinct graphs kept in memory (a store has about one per flow version).
constexpr size_t kGraphCacheSize = 256;

// One row of pg_read::kSummaryColumns, from column `first` on.
SummaryRow ReadSummary(const pg::Result& rows, int row) {
  SummaryRow out;
  RunSummary& run = out.run;
  run.execution_id = rows.String(row, 0);
  if (!rows.IsNull(row, 1)) run.root_node_id = rows.String(row, 1);
  if (!rows.IsNull(row, 2)) run.parent_execution_id = rows.String(row, 2);
  if (!rows.IsNull(row, 3)) run.parent_node_id = rows.String(row, 3);
  run.start_us = rows.OptionalInt64(row, 4);
  run.end_us = rows.OptionalInt64(row, 5);
  if (!rows.IsNull(row, 6)) run.end_type = static_cast<EventType>(rows.Int64(row, 6));
  run.event_count = rows.Int64(row, 7);
  run.max_seq = rows.Int64(row, 8);
  run.last_us = rows.OptionalInt64(row, 9);
  run.error_nodes = rows.Int64(row, 10);
  out.derives_parent_node = rows.Bool(row, 11);
  return out;
}

std::vector<SummaryRow> ReadSummaries(const pg::Result& rows) {
  std::vector<SummaryRow> out;
  out.reserve(static_cast<size_t>(rows.rows()));
  for (int row = 0; row < rows.rows(); ++row) out.push_back(ReadSummary(rows, row));
  return out;
}

// A text[] literal: {"a","b"} with `"` and `\` escaped.
std::string TextArray(const std::vector<std::string>& values) {
  std::string out = "{";
  for (const std::string& value : values) {
    if (out.size() > 1) out += ',';
    out += '"';
    for (char c : value) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

// SQLite's lower(): ASCII letters only.
std::string AsciiLower(std::string text) {
  for (char& c : text)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return text;
}

// ListRuns' filter as one SQL condition and its parameters, numbered from $1.
struct Match {
  std::string sql = "true";
  pg::Params params;

  // `condition` holds `{}` (or `{0}`) where the parameter's number goes.
  template <typename T>
  void Add(const char* condition, const T& value) {
    params.Add(value);
    And(fmt::format(fmt::runtime(condition), params.size()));
  }
  void And(std::string_view condition) {
    sql += " AND ";
    sql += condition;
  }
};

Match MatchOf(const RunFilter& filter) {
  Match match;
  if (!filter.flow.empty()) match.Add(pg_read::kFilterFlow, filter.flow);
  if (filter.top_level_only) match.And(pg_read::kFilterTopLevel);
  if (filter.since_us) match.Add(pg_read::kFilterSince, *filter.since_us);
  if (filter.until_us) match.Add(pg_read::kFilterUntil, *filter.until_us);
  if (filter.slower_than_us) match.Add(pg_read::kFilterSlower, *filter.slower_than_us);
  if (!filter.node.empty() && filter.node_state) {
    match.params.Add(filter.node).Add(log_format::Code(*filter.node_state));
    match.And(fmt::format(fmt::runtime(pg_read::kFilterNodeInState), match.params.size() - 1,
                          match.params.size()));
  } else if (!filter.node.empty()) {
    match.Add(pg_read::kFilterNode, filter.node);
  } else if (filter.node_state) {
    match.Add(pg_read::kFilterState, log_format::Code(*filter.node_state));
  }
  if (!filter.error_text.empty())
    match.Add(pg_read::kFilterErrorText, AsciiLower(filter.error_text));
  return match;
}

}  // namespace

Result<std::optional<RunSummary>> PostgresEventStore::GetRun(const std::string& execution_id) {
  return GuardedRead<std::optional<RunSummary>>("reading a run", [&]() {
    static const std::string kSql = std::string(pg_read::kRunTree) + pg_read::kSummaryColumns +
                                    pg_read::kFromExecutions + pg_read::kInRunTree;
    auto rows =
        ReadSummaries(db_.ExecPrepared("read_run", kSql.c_str(), pg::Params().Add(execution_id)));
    ResolveStatuses(rows);
    for (auto& found : rows)
      if (found.run.execution_id == execution_id)
        return std::optional<RunSummary>(std::move(found.run));
    return std::optional<RunSummary>();
  });
}

Result<std::vector<RunSummary>> PostgresEventStore::ListRuns(const RunFilter& filter) {
  return GuardedRead<std::vector<RunSummary>>("listing runs", [&]() {
    Match match = MatchOf(filter);
    // With a limit and no status to match, only the first `limit` runs that
    // match are read, with their run trees (their statuses come from their
    // child runs): a page of the newest runs costs the page, not the store.
    if (filter.limit && !filter.status) return ListRunsPage(match.sql, match.params, filter.limit);
    // Otherwise every run is read (statuses depend on child runs); the filter
    // is one more column, computed by SQL with the indexes.
    auto result = db_.Exec(std::string(pg_read::kSummaryColumns) + ", (" + match.sql + ") " +
                               pg_read::kFromExecutions + pg_read::kNewestFirst,
                           match.params);
    auto rows = ReadSummaries(result);
    ResolveStatuses(rows);
    std::vector<RunSummary> runs;
    for (size_t i = 0; i < rows.size(); ++i) {
      if (!result.Bool(static_cast<int>(i), 12) ||
          (filter.status && rows[i].run.status != *filter.status))
        continue;
      runs.push_back(std::move(rows[i].run));
      if (filter.limit && runs.size() >= filter.limit) break;
    }
    return runs;
  });
}

std::vector<RunSummary> PostgresEventStore::ListRunsPage(const std::string& match,
                                                         const pg::Params& params, size_t limit) {
  auto page_rows =
      db_.Exec(fmt::format("SELECT e.execution_id {}WHERE {}{} LIMIT {}", pg_read::kFromExecutions,
                           match, pg_read::kNewestFirst,
                           std::min<size_t>(limit, std::numeric_limits<int64_t>::max())),
               params);
  std::vector<std::string> page;
  page.reserve(static_cast<size_t>(page_rows.rows()));
  for (int row = 0; row < page_rows.rows(); ++row) page.push_back(page_rows.String(row, 0));
  if (page.empty()) return {};
  static const std::string kSql = std::string(pg_read::kRunTrees) + pg_read::kSummaryColumns +
                                  pg_read::kFromExecutions + pg_read::kInRunTree;
  auto rows = ReadSummaries(
      db_.ExecPrepared("read_run_trees", kSql.c_str(), pg::Params().Add(TextArray(page))));
  ResolveStatuses(rows);
  std::unordered_map<std::string_view, RunSummary*> by_id;
  for (auto& found : rows) by_id.emplace(found.run.execution_id, &found.run);
  std::vector<RunSummary> runs;
  runs.reserve(page.size());
  for (const std::string& id : page)
    if (auto it = by_id.find(id); it != by_id.end()) runs.push_back(std::move(*it->second));
  return runs;
}

Result<std::vector<NodeFact>> PostgresEventStore::NodeFacts(
    const std::vector<std::string>& execution_ids) {
  return GuardedRead<std::vector<NodeFact>>("reading node summaries", [&]() {
    std::vector<NodeFact> facts;
    if (execution_ids.empty()) return facts;
    auto rows = db_.ExecPrepared("read_node_facts", pg_read::kNodeFacts,
                                 pg::Params().Add(TextArray(execution_ids)));
    facts.reserve(static_cast<size_t>(rows.rows()));
    for (int row = 0; row < rows.rows(); ++row) {
      NodeFact fact;
      fact.execution_id = execution_ids.at(static_cast<size_t>(rows.Int64(row, 0) - 1));
      fact.node_id = rows.String(row, 1);
      if (!rows.IsNull(row, 2)) fact.name = rows.String(row, 2);
      if (!rows.IsNull(row, 3)) fact.type = rows.String(row, 3);
      if (!rows.IsNull(row, 4)) fact.parent_id = rows.String(row, 4);
      fact.position = rows.OptionalInt64(row, 5).value_or(0);
      if (!rows.IsNull(row, 6)) fact.state = static_cast<NodeState>(rows.Int64(row, 6));
      fact.start_us = rows.OptionalInt64(row, 7);
      fact.end_us = rows.OptionalInt64(row, 8);
      if (!rows.IsNull(row, 9)) fact.progress = rows.Double(row, 9);
      if (!rows.IsNull(row, 10)) fact.error_message = rows.String(row, 10);
      facts.push_back(std::move(fact));
    }
    return facts;
  });
}

Result<std::vector<std::string>> PostgresEventStore::ChildRuns(const std::string& execution_id) {
  return GuardedRead<std::vector<std::string>>("reading child runs", [&]() {
    auto rows =
        db_.ExecPrepared("read_child_runs", pg_read::kChildRuns, pg::Params().Add(execution_id));
    std::vector<std::string> children;
    children.reserve(static_cast<size_t>(rows.rows()));
    for (int row = 0; row < rows.rows(); ++row) children.push_back(rows.String(row, 0));
    return children;
  });
}

const std::string* PostgresEventStore::GraphText(int64_t id) {
  if (auto it = graph_texts_.find(id); it != graph_texts_.end()) return &it->second;
  auto rows = db_.ExecPrepared("read_graph", pg_read::kGraphById, pg::Params().Add(id));
  if (rows.rows() == 0) return nullptr;
  if (graph_texts_.size() >= kGraphCacheSize) graph_texts_.clear();
  return &graph_texts_.emplace(id, rows.String(0, 0)).first->second;
}

Status PostgresEventStore::ForEachEventAfter(const std::string& execution_id, int64_t after_seq,
                                             size_t max_events,
                                             const std::function<void(Event&&)>& visit) {
  // Where the reading is: a read run again after a reconnect (GuardedRead)
  // resumes after the events already visited.
  int64_t after = after_seq;
  int64_t left = max_events == 0 ? -1 : static_cast<int64_t>(max_events);
  auto read = GuardedRead<bool>("reading events", [&]() -> Result<bool> {
    auto run =
        db_.ExecPrepared("read_run_base", pg_read::kRunIdAndBase, pg::Params().Add(execution_id));
    if (run.rows() == 0) return true;
    const int64_t id = run.Int64(0, 0);
    const int64_t base_us = run.Int64(0, 1);
    // Pages keyed by seq, each its own statement: memory stays bounded
    // however long the run, and `visit` runs outside any transaction. (A
    // concurrent append may commit below the last seq read between pages;
    // followers read again after their watermark, as after any poll.)
    while (left != 0) {
      const int64_t want = left < 0 ? kEventsPerPage : std::min(left, kEventsPerPage);
      auto rows = db_.ExecPrepared("read_run_events", pg_read::kRunEvents,
                                   pg::Params().Add(id).Add(after).Add(want));
      for (int row = 0; row < rows.rows(); ++row) {
        Event event;
        event.execution_id = execution_id;
        event.seq = rows.Int64(row, 0);
        event.timestamp_us = rows.Int64(row, 1) + base_us;
        int64_t type = rows.Int64(row, 2);
        if (!log_format::IsEventTypeCode(type))
          return MakeError(StatusCode::kCorrupt,
                           fmt::format("{}: event {} of \"{}\" has unknown type code {}", display_,
                                       event.seq, execution_id, type));
        event.type = static_cast<EventType>(type);
        if (!rows.IsNull(row, 3)) event.node_id = rows.String(row, 3);
        std::optional<int64_t> layout = rows.OptionalInt64(row, 4);
        const std::string* graph = rows.IsNull(row, 6) ? nullptr : GraphText(rows.Int64(row, 6));
        bool intact = (rows.IsNull(row, 6) || graph != nullptr) &&
                      !(layout && *layout >= payload_layout::kGraphLayoutBase && graph == nullptr);
        if (!intact ||
            !payload_layout::Join(layout, rows.Text(row, 5), graph ? std::string_view(*graph) : "",
                                  event.data_json))
          return MakeError(StatusCode::kCorrupt,
                           fmt::format("{}: event {} of \"{}\" has a corrupt data layout", display_,
                                       event.seq, execution_id));
        after = event.seq;
        if (left > 0) --left;
        visit(std::move(event));
      }
      if (rows.rows() < want) break;
    }
    return true;
  });
  if (!read) return tl::unexpected(read.error());
  return {};
}

// The current snapshot (xmin:xmax:in-progress xids) decides which
// transactions' writes are visible. If it reads the same text twice, the same
// transactions are visible both times, so no commit happened in between: a
// transaction that commits is either still running at the first read (in the
// in-progress list, or at or above xmax) and completed at the second (below
// xmax, not in the list), so the text differs. Counting changes of the text
// (not hashing it) leaves no collision to miss one. Any transaction that took
// a transaction id changes it when it starts or ends, ours and aborted ones
// included: spurious changes, which only cost a follower a poll.
Result<int64_t> PostgresEventStore::ChangeCounter() {
  return GuardedRead<int64_t>("polling for changes", [&]() {
    auto rows = db_.ExecPrepared("read_snapshot", pg_read::kSnapshot, pg::Params());
    std::string snapshot = rows.String(0, 0);
    if (snapshot != last_snapshot_) {
      last_snapshot_ = std::move(snapshot);
      ++changes_;
    }
    return changes_;
  });
}

Result<std::string> PostgresEventStore::IntegrityCheck() {
  return GuardedRead<std::string>("integrity check", [&]() {
    constexpr size_t kMaxProblems = 10;
    std::vector<std::string> problems;
    // The openings the events view puts back must be the ones payload_layout.h splits off.
    auto layouts = db_.Exec(pg_read::kLayouts);
    for (int row = 0; row < layouts.rows(); ++row)
      if (payload_layout::Opening(layouts.Int64(row, 0)) != layouts.Text(row, 1))
        problems.push_back(fmt::format("layout {} has opening {}, not {}", layouts.Int64(row, 0),
                                       layouts.Text(row, 1),
                                       payload_layout::Opening(layouts.Int64(row, 0))));
    for (const char* invariant : pg_read::kInvariants) {
      if (problems.size() >= kMaxProblems) break;
      auto rows = db_.Exec(invariant);
      for (int row = 0; row < rows.rows(); ++row) problems.push_back(rows.String(row, 0));
    }
    if (problems.empty()) return std::string("ok");
    if (problems.size() > kMaxProblems) problems.resize(kMaxProblems);
    return fmt::format("{}", fmt::join(problems, "\n"));
  });
}

}  // namespace extrace
