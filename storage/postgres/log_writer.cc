// The write path of the PostgreSQL event log: Append runs each batch in one
// transaction. The batch's runs are created when missing and locked in
// execution-id order (so seq-less events from several machines get distinct
// seqs, and two writers cannot deadlock on them), the events go in with one
// multi-row INSERT ... ON CONFLICT DO NOTHING per few thousand rows, and the
// keys that were taken are compared with what is stored: the same event is a
// duplicate, another one a conflict. A conflict rolls back and the events
// before it go in again on their own, so the batch's prefix is committed, as
// on SQLite. Broken connections, deadlocks, serialization failures and lock
// timeouts retry the whole batch with the same seqs within the busy budget.
// The summaries it keeps are summaries.cc's.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <unordered_map>

#include "format/event_json.h"
#include "storage/append_errors.h"
#include "storage/log_format.h"
#include "storage/postgres/copy_rows.h"
#include "storage/postgres/errors.h"
#include "storage/postgres/pg_store.h"
#include "storage/postgres/statements_write.h"
#include "storage/postgres/stored_data.h"
#include "storage/postgres/text_array.h"

namespace extrace {
namespace {

// Rows per INSERT statement: enough that a round trip is a small part of its
// cost, few enough that one statement's parameters stay a few hundred KB.
constexpr size_t kRowsPerInsert = 4000;

struct Key {
  int64_t run;
  int64_t seq;
  bool operator==(const Key&) const = default;
};
struct KeyHash {
  size_t operator()(const Key& key) const {
    return std::hash<int64_t>()(key.run * 1000003 ^ key.seq);
  }
};

// What the whole batch may be tried again for: the server was out of reach
// (a dropped connection, a restart), or a lock it waited for, a deadlock or a
// serialization failure rolled it back.
bool Retryable(const pg::Failure& failure) {
  if (pg::IsRetryable(failure)) return true;
  StatusCode code = pg::CodeFor(failure);
  return code == StatusCode::kBusy || code == StatusCode::kUnavailable;
}

// A failure without the server's answer to the statement (the connection
// broke, or the server went down): a COMMIT that failed so may have landed.
bool AnswerLost(const pg::Failure& failure) {
  const std::string& state = failure.sqlstate();
  return state.empty() || state.rfind("08", 0) == 0 || state.rfind("57P0", 0) == 0;
}

// One INSERT's worth of event_log rows, a column each.
struct EventColumns {
  pg::TextArray execution, seq, ts_us, type, node, data, layout, graph;
  [[nodiscard]] pg::Params Params() const {
    pg::Params params;
    for (const pg::TextArray* column :
         {&execution, &seq, &ts_us, &type, &node, &data, &layout, &graph})
      params.Add(column->Text());
    return params;
  }
  void Clear() {
    for (pg::TextArray* column : {&execution, &seq, &ts_us, &type, &node, &data, &layout, &graph})
      column->Clear();
  }
};

}  // namespace

void PostgresEventStore::EnsureConnected() {
  if (db_.Healthy()) return;
  db_.Reconnect();  // the server forgot the prepared statements with the session
  ApplySessionSettings();
}

void PostgresEventStore::ForgetTxnCaches() {
  graphs_.clear();
  summaries_.Forget();
}

int64_t PostgresEventStore::InternGraph(std::string_view text) {
  std::string key(text);
  if (auto it = graphs_.find(key); it != graphs_.end()) return it->second;
  pg::Params params;
  params.Add(text);
  auto inserted =
      db_.ExecPrepared(pg::write_sql::kInsertGraphName, pg::write_sql::kInsertGraph, params);
  int64_t id;
  if (inserted.rows() > 0) {
    id = inserted.Int64(0, 0);
  } else {
    auto found = db_.ExecPrepared(pg::write_sql::kFindGraphName, pg::write_sql::kFindGraph, params);
    if (found.rows() == 0) throw pg::Failure("XX000", "a graph vanished while it was stored");
    id = found.Int64(0, 0);
  }
  graphs_.emplace(std::move(key), id);
  return id;
}

void PostgresEventStore::LockRuns(std::span<const Event> events) {
  // Each run's base is its first appended event's timestamp. New runs are
  // created in the order the batch first names them, as SQLite creates them,
  // so runs that start at the same moment list in the same order on both
  // stores (the row id breaks the tie). Two batches creating the same new runs
  // in other orders at once may deadlock: that is retried like any 40P01.
  std::unordered_map<std::string_view, int64_t> bases;
  pg::TextArray ids, base_us;
  for (const Event& event : events) {
    if (!bases.try_emplace(event.execution_id, event.timestamp_us).second) continue;
    ids.Add(event.execution_id);
    base_us.Add(event.timestamp_us);
  }
  pg::Params params;
  params.Add(ids.Text()).Add(base_us.Text());
  db_.ExecPrepared(pg::write_sql::kInsertRunsName, pg::write_sql::kInsertRuns, params);
  params.Clear();
  params.Add(ids.Text());
  auto locked = db_.Exec(pg::write_sql::kLockRuns, params);
  if (static_cast<size_t>(locked.rows()) != bases.size())
    throw pg::Failure("XX000", "a run vanished while its events were stored");
  summaries_.AddLocked(locked);
}

PostgresEventStore::PrefixOutcome PostgresEventStore::AppendPrefix(std::span<Event> events,
                                                                   std::vector<size_t>& assigned) {
  PrefixOutcome out;
  if (events.empty()) return out;
  const size_t n = events.size();
  pg::Transaction txn(db_);
  LockRuns(events);

  // Seqs for seq-less events: the next of their run, in batch order, as if
  // the events before them had been stored one by one.
  std::vector<pg::RunRow*> run_of(n);
  std::unordered_map<pg::RunRow*, int64_t> top;  // each run's highest seq so far
  for (size_t i = 0; i < n; ++i) {
    Event& event = events[i];
    pg::RunRow* run = run_of[i] = summaries_.Find(event.execution_id);
    int64_t& highest = top.try_emplace(run, run->max_seq).first->second;
    if (event.seq == 0) {
      if (highest >= kMaxEventSeq) {
        out.failure = append_errors::SeqsExhausted(event.execution_id, kMaxEventSeq);
        out.failed_index = i;
        return out;
      }
      event.seq = ++highest;
      assigned.push_back(i);
    } else {
      highest = std::max(highest, event.seq);
    }
  }

  // The rows. A key twice in the batch goes in once; the later one is
  // compared with it below, as if it had been appended after it. A seq above
  // its run's stored max_seq cannot be taken (the run is locked, and max_seq
  // is every stored seq's bound): those rows go in with COPY, the others with
  // INSERT ... ON CONFLICT DO NOTHING, which says which keys were free.
  std::unordered_map<Key, size_t, KeyHash> first;  // key -> the batch's first event with it
  std::vector<char> inserted(n, 0);
  EventColumns columns;
  pg::CopyRows fresh;
  std::vector<size_t> fresh_indices;
  auto insert = [&] {
    if (columns.execution.empty()) return;
    auto returned = db_.ExecPrepared(pg::write_sql::kInsertEventsName, pg::write_sql::kInsertEvents,
                                     columns.Params());
    for (int r = 0; r < returned.rows(); ++r)
      inserted[first.at(Key{returned.Int64(r, 0), returned.Int64(r, 1)})] = 1;
    columns.Clear();
  };
  auto copy = [&] {
    if (fresh.rows() == 0) return;
    db_.CopyIn(pg::write_sql::kCopyEvents, fresh.text());
    for (size_t index : fresh_indices) inserted[index] = 1;
    fresh.Clear();
    fresh_indices.clear();
  };
  for (size_t i = 0; i < n; ++i) {
    const Event& event = events[i];
    if (!first.try_emplace(Key{run_of[i]->id, event.seq}, i).second) continue;
    auto pieces = payload_layout::Split(event.type, event.data_json, split_buffer_);
    std::optional<std::string_view> node, data;
    if (!event.node_id.empty()) node = event.node_id;
    if (!pieces.data.empty()) data = pieces.data;
    std::optional<int64_t> graph;
    if (!pieces.graph.empty()) graph = InternGraph(pieces.graph);
    auto add = [&](auto& execution, auto& seq, auto& ts_us, auto& type, auto& node_column,
                   auto& data_column, auto& layout, auto& graph_column) {
      execution.Add(run_of[i]->id);
      seq.Add(event.seq);
      ts_us.Add(event.timestamp_us - run_of[i]->base_us);
      type.Add(log_format::Code(event.type));
      node_column.Add(node);
      data_column.Add(data);
      layout.Add(pieces.layout);
      graph_column.Add(graph);
    };
    if (copy_fresh_rows_ && event.seq > run_of[i]->max_seq) {
      add(fresh, fresh, fresh, fresh, fresh, fresh, fresh, fresh);
      fresh.EndRow();
      fresh_indices.push_back(i);
      if (fresh.rows() >= kRowsPerInsert) copy();
    } else {
      add(columns.execution, columns.seq, columns.ts_us, columns.type, columns.node, columns.data,
          columns.layout, columns.graph);
      if (columns.execution.size() >= kRowsPerInsert) insert();
    }
  }
  copy();
  insert();

  // The keys that were taken: what is stored under them.
  std::unordered_map<Key, Event, KeyHash> stored;
  {
    pg::TextArray executions, seqs;
    for (const auto& [key, index] : first) {
      if (inserted[index]) continue;
      executions.Add(key.run);
      seqs.Add(key.seq);
    }
    if (!executions.empty()) {
      pg::Params params;
      params.Add(executions.Text()).Add(seqs.Text());
      auto rows = db_.Exec(pg::write_sql::kFindEvents, params);
      for (int r = 0; r < rows.rows(); ++r) {
        Key key{rows.Int64(r, 0), rows.Int64(r, 1)};
        const size_t index = first.at(key);
        Event event;
        event.execution_id = events[index].execution_id;
        event.seq = key.seq;
        event.timestamp_us = rows.Int64(r, 2) + run_of[index]->base_us;
        event.type = static_cast<EventType>(rows.Int64(r, 3));
        event.node_id = rows.String(r, 4);
        if (!pg::JoinStoredData(rows, r, 5, 6, 7, event.data_json))
          throw pg::Failure("XX001", "a stored event has a corrupt data layout");
        stored.emplace(key, std::move(event));
      }
    }
  }
  for (size_t i = 0; i < n; ++i) {
    if (inserted[i]) {
      ++out.stored;
      continue;
    }
    const Key key{run_of[i]->id, events[i].seq};
    const size_t earlier = first.at(key);
    const Event* there = nullptr;
    if (inserted[earlier]) {
      there = &events[earlier];
    } else if (auto it = stored.find(key); it != stored.end()) {
      there = &it->second;
    } else {
      throw pg::Failure("XX000", "an event vanished during its own transaction");
    }
    if (*there == events[i]) {
      out.duplicate_indices.push_back(i);
      continue;
    }
    out.failure = append_errors::Conflict(*there, events[i]);
    out.failed_index = i;
    return out;  // rolls back: the caller stores the events before it
  }

  // The summaries of what went in.
  std::vector<pg::RunRow*> touched;
  for (size_t i = 0; i < n; ++i)
    if (inserted[i]) touched.push_back(run_of[i]);
  std::sort(touched.begin(), touched.end());
  touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
  summaries_.LoadNodes(db_, touched);
  for (size_t i = 0; i < n; ++i) {
    if (!inserted[i]) continue;
    summaries_.Apply(events[i],
                     payload_layout::Split(events[i].type, events[i].data_json, split_buffer_),
                     *run_of[i]);
  }
  summaries_.Flush(db_);
  commit_in_flight_ = true;
  txn.Commit();
  commit_in_flight_ = false;
  summaries_.Forget();
  return out;
}

AppendResult PostgresEventStore::TryAppend(std::span<Event> events, std::vector<size_t>& assigned) {
  AppendResult result;
  size_t n = events.size();
  // The store's own check: a caller that skipped EventParser cannot store
  // data that no reader could parse back.
  for (size_t i = 0; i < n; ++i) {
    const bool too_long = events[i].data_json.size() > kMaxEventLineBytes;
    if (!too_long && CanonicalizeDataObject(events[i].data_json)) continue;
    result.status = tl::unexpected(too_long ? append_errors::DataTooLong(events[i], i)
                                            : append_errors::InvalidData(events[i], i));
    result.failed_index = i;
    n = i;
  }
  while (true) {
    PrefixOutcome outcome;
    try {
      outcome = AppendPrefix(events.first(n), assigned);
    } catch (const pg::Failure& failure) {
      // A key COPY found taken: a run's max_seq is lower than a stored seq
      // (summaries out of step with the log). Every row goes in by INSERT
      // ... ON CONFLICT from now on, which takes any key.
      if (failure.sqlstate() != "23505" || !copy_fresh_rows_) throw;
      copy_fresh_rows_ = false;
      ForgetTxnCaches();
      for (size_t i : assigned) events[i].seq = 0;
      assigned.clear();
      continue;
    }
    if (!outcome.failure) {
      result.stored = outcome.stored;
      result.duplicates = static_cast<int64_t>(outcome.duplicate_indices.size());
      result.duplicate_indices = std::move(outcome.duplicate_indices);
      return result;
    }
    // Rolled back: the events before the failing one go in on their own,
    // numbered again.
    ForgetTxnCaches();
    for (size_t i : assigned) events[i].seq = 0;
    assigned.clear();
    result.status = tl::unexpected(std::move(*outcome.failure));
    result.failed_index = n = outcome.failed_index;
  }
}

AppendResult PostgresEventStore::Append(std::span<Event> events) {
  if (options_.read_only)
    return {0,
            0,
            MakeError(StatusCode::kReadOnly, fmt::format("{}: opened read-only", display_)),
            0,
            {}};
  if (events.empty()) return {};
  // The seqs an attempt assigned (events sent with seq 0). Nothing of a failed
  // attempt landed, so they are given back, except after a COMMIT of unknown
  // outcome: the retry keeps them and finds the events as duplicates instead
  // of storing them twice.
  std::vector<size_t> assigned;
  bool retryable = false;
  bool outcome_unknown = false;
  auto appended = RetryWithBackoff(
      RetryPolicy{.budget = std::chrono::milliseconds(options_.busy_retry_budget_ms),
                  .max_pause = std::chrono::milliseconds(250),
                  .jitter = true},
      [&]() -> Result<AppendResult> {
        assigned.clear();
        retryable = outcome_unknown = commit_in_flight_ = false;
        try {
          EnsureConnected();
          return TryAppend(events, assigned);
        } catch (const pg::Failure& failure) {
          // The transaction has rolled back (or died with the connection).
          ForgetTxnCaches();
          retryable = Retryable(failure);
          outcome_unknown = commit_in_flight_ && AnswerLost(failure);
          commit_in_flight_ = false;
          return tl::unexpected(Describe(failure, "appending events"));
        } catch (...) {
          ForgetTxnCaches();
          commit_in_flight_ = false;
          return tl::unexpected(DescribeUnexpected("appending events"));
        }
      },
      [&](const Result<AppendResult>& appended, auto) {
        if (appended) return RetryDecision::kStop;
        if (!outcome_unknown) {
          for (size_t i : assigned) events[i].seq = 0;
          assigned.clear();
        }
        return retryable ? RetryDecision::kRetryAfterPause : RetryDecision::kStop;
      });
  if (appended) return std::move(*appended);
  return {0, 0, tl::unexpected(std::move(appended.error())), 0, {}};
}

}  // namespace extrace
