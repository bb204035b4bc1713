// The write path of the SQLite event log: Append runs each batch in one
// WriteTxn (group commit), retried with back-off while another writer holds
// the lock; each event becomes one event_log row keyed by (execution, seq),
// its node id and graph interned, and a key already taken is a duplicate (the
// same event) or a conflict. The summaries it updates are summaries.cc's.
#include <fmt/format.h>
#include <sqlite3.h>

#include <chrono>

#include "format/event_json.h"
#include "storage/append_errors.h"
#include "storage/log_format.h"
#include "storage/sqlite/sqlite_store.h"

namespace extrace {
namespace {

// A COMMIT that reports an I/O error may still have landed; the batch is retried
// this many times (the (execution, seq) key makes the retry safe).
constexpr int kUnknownOutcomeRetries = 3;
// The largest seq the format allows (JavaScript's largest safe integer).
constexpr int64_t kMaxSeq = kMaxEventSeq;

}  // namespace

int64_t SqliteEventStore::InternString(const std::string& value) {
  if (auto it = strings_.find(value); it != strings_.end()) return it->second;
  auto& find = Prepare(find_string_, log_format::kFindString);
  find.bind(1, value);
  int64_t id;
  if (find.executeStep()) {
    id = find.getColumn(0).getInt64();
  } else {
    auto& insert = Prepare(insert_string_, log_format::kInsertString);
    insert.bind(1, value);
    insert.exec();
    id = db_.getLastInsertRowid();
  }
  strings_.emplace(value, id);
  return id;
}

int64_t SqliteEventStore::InternGraph(std::string_view text) {
  std::string key(text);
  if (auto it = graphs_.find(key); it != graphs_.end()) return it->second;
  // Stored, so it must be the same in every build (std::hash is not): FNV-1a.
  // It only narrows the search; the text decides.
  uint64_t fnv = 0xcbf29ce484222325ULL;
  for (char c : text) {
    fnv ^= static_cast<unsigned char>(c);
    fnv *= 0x100000001b3ULL;
  }
  auto hash = static_cast<int64_t>(fnv & 0x7fffffffffffffff);
  auto& find = Prepare(find_graph_, log_format::kFindGraph);
  find.bind(1, hash);
  find.bindNoCopy(2, key);
  int64_t id;
  if (find.executeStep()) {
    id = find.getColumn(0).getInt64();
  } else {
    auto& insert = Prepare(insert_graph_, log_format::kInsertGraph);
    insert.bind(1, hash);
    insert.bindNoCopy(2, key);
    insert.exec();
    id = db_.getLastInsertRowid();
  }
  find.reset();
  graphs_.emplace(std::move(key), id);
  return id;
}

SqliteEventStore::RunInTxn& SqliteEventStore::TouchRun(const std::string& execution_id,
                                                       int64_t first_timestamp_us) {
  if (auto it = runs_in_txn_.find(execution_id); it != runs_in_txn_.end()) return it->second;
  RunInTxn run;
  auto& find = Prepare(find_exec_, log_format::kFindExecution);
  find.bind(1, execution_id);
  if (find.executeStep()) {
    run.id = find.getColumn(0).getInt64();
    run.max_seq = find.getColumn(1).getInt64();
    // Runs begun before schema 3 store absolute timestamps.
    run.base_us = find.getColumn(2).isNull() ? 0 : find.getColumn(2).getInt64();
    find.reset();
  } else {
    find.reset();
    auto& insert = Prepare(insert_exec_, log_format::kInsertExecution);
    insert.bind(1, execution_id);
    insert.bind(2, first_timestamp_us);
    insert.exec();
    run.id = db_.getLastInsertRowid();
    run.base_us = first_timestamp_us;
  }
  return runs_in_txn_.emplace(execution_id, run).first->second;
}

const SqliteEventStore::DeclaredRun* SqliteEventStore::Declaration(const std::string& data_json) {
  if (auto it = declarations_.find(data_json); it != declarations_.end()) return &it->second;
  auto info = ReadStartedInfo(ParseDataObject(data_json));
  if (!info) return nullptr;  // validated before append; an invalid graph declares nothing
  if (declarations_.size() >= kDeclarationCacheSize) declarations_.clear();
  DeclaredRun declared;
  declared.root_node_id = std::move(info->root_node_id);
  declared.parent_execution_id = std::move(info->parent_execution_id);
  declared.parent_node_id = std::move(info->parent_node_id);
  for (size_t i = 0; i < info->nodes.size(); ++i) {
    const DeclaredNode& node = info->nodes[i];
    declared.nodes.push_back(
        {InternString(node.id), node.parent_id.empty() ? 0 : InternString(node.parent_id),
         InternString(node.name), InternString(node.type), static_cast<int64_t>(i)});
  }
  return &declarations_.emplace(data_json, std::move(declared)).first->second;
}

void SqliteEventStore::ForgetTxnCaches() {
  runs_in_txn_.clear();
  strings_.clear();
  graphs_.clear();
  declarations_.clear();
  ResetStatements();
}

void SqliteEventStore::ForgetTxnCachesNoThrow() noexcept {
  try {
    ForgetTxnCaches();
  } catch (...) {
    // A statement's reset reports the error of its last step: nothing to undo.
  }
}

// A statement left on a row keeps its read snapshot open after COMMIT; the
// next BEGIN IMMEDIATE would then fail with SQLITE_BUSY_SNAPSHOT as soon as
// another connection has written. Reset them all at every transaction's end.
void SqliteEventStore::ResetStatements() {
  for (auto* slot :
       {&find_exec_, &insert_exec_, &find_string_, &insert_string_, &insert_event_, &find_event_,
        &bump_run_, &set_started_, &set_ended_, &find_graph_, &insert_graph_})
    if (*slot) (*slot)->reset();
  node_summary_.Forget();
}

SqliteEventStore::EventKeyOutcome SqliteEventStore::AppendOne(Event& event, RunInTxn& run) {
  int64_t node_id = event.node_id.empty() ? 0 : InternString(event.node_id);
  auto pieces = payload_layout::Split(event.type, event.data_json, split_buffer_);
  auto& insert = Prepare(insert_event_, log_format::kInsertEvent);
  insert.bind(1, run.id);
  insert.bind(2, event.seq);
  insert.bind(3, event.timestamp_us - run.base_us);
  insert.bind(4, log_format::Code(event.type));
  if (node_id) insert.bind(5, node_id);
  if (!pieces.data.empty()) {
    bound_data_.assign(pieces.data);  // bindNoCopy takes a std::string; this one is reused
    insert.bindNoCopy(6, bound_data_);
  }
  if (pieces.layout) insert.bind(7, *pieces.layout);
  if (!pieces.graph.empty()) insert.bind(8, InternGraph(pieces.graph));
  if (insert.exec() == 0) {
    auto& find = Prepare(find_event_, log_format::kFindEvent);
    find.bind(1, run.id);
    find.bind(2, event.seq);
    if (!find.executeStep())
      throw SQLite::Exception("event vanished during its own transaction", SQLITE_INTERNAL);
    Event stored;
    stored.execution_id = event.execution_id;
    stored.seq = event.seq;
    stored.timestamp_us = find.getColumn(0).getInt64() + run.base_us;
    stored.type = static_cast<EventType>(find.getColumn(1).getInt64());
    if (!find.getColumn(2).isNull()) stored.node_id = find.getColumn(2).getString();
    if (!JoinData(find.getColumn(3), find.getColumn(4), find.getColumn(5), stored.data_json))
      throw SQLite::Exception("stored event has a corrupt data layout", SQLITE_CORRUPT);
    find.reset();
    if (stored == event) return {EventKeyOutcome::kDuplicate, {}};
    return {EventKeyOutcome::kConflict, append_errors::Conflict(stored, event).message};
  }
  ApplySummaries(event, pieces, run);
  return {EventKeyOutcome::kStored, {}};
}

AppendResult SqliteEventStore::TryAppend(std::span<Event> events, std::vector<size_t>& assigned) {
  AppendResult result;
  WriteTxn txn(*this);
  for (size_t i = 0; i < events.size(); ++i) {
    Event& event = events[i];
    // The store's own check: a caller that skipped EventParser cannot store
    // data that no reader could parse back.
    if (event.data_json.size() > kMaxEventLineBytes || !CanonicalizeDataObject(event.data_json)) {
      result.status = tl::unexpected(event.data_json.size() > kMaxEventLineBytes
                                         ? append_errors::DataTooLong(event, i)
                                         : append_errors::InvalidData(event, i));
      result.failed_index = i;
      break;
    }
    RunInTxn& run = TouchRun(event.execution_id, event.timestamp_us);
    if (event.seq == 0) {
      if (run.max_seq >= kMaxSeq) {
        result.status = tl::unexpected(append_errors::SeqsExhausted(event.execution_id, kMaxSeq));
        result.failed_index = i;
        break;
      }
      event.seq = run.max_seq + 1;
      assigned.push_back(i);
    }
    auto outcome = AppendOne(event, run);
    if (outcome.kind == EventKeyOutcome::kConflict) {
      result.status = MakeError(StatusCode::kConflict, std::move(outcome.message));
      result.failed_index = i;
      break;
    }
    if (outcome.kind == EventKeyOutcome::kStored) {
      ++result.stored;
    } else {
      ++result.duplicates;
      result.duplicate_indices.push_back(i);
    }
  }
  FlushSummaries();
  txn.Commit();
  return result;
}

AppendResult SqliteEventStore::Append(std::span<Event> events) {
  if (options_.read_only)
    return {
        0, 0, MakeError(StatusCode::kReadOnly, fmt::format("{}: opened read-only", path_)), 0, {}};
  if (events.empty()) return {};
  // The seqs this attempt assigned (events sent with seq 0). Nothing of a
  // failed attempt landed, so they are given back, except after a COMMIT of
  // unknown outcome: the retry keeps them and finds them as duplicates
  // instead of storing the events twice.
  std::vector<size_t> assigned;
  auto give_back_seqs = [&] {
    for (size_t i : assigned) events[i].seq = 0;
  };
  int unknown_outcomes = 0;
  // An append that threw: WriteTxn has rolled back and forgotten the caches.
  auto appended = RetryWithBackoff(
      RetryPolicy{.budget = std::chrono::milliseconds(options_.busy_retry_budget_ms),
                  .max_pause = std::chrono::milliseconds(100),
                  .jitter = true},
      [&]() -> Result<AppendResult> {
        assigned.clear();
        try {
          return TryAppend(events, assigned);
        } catch (const SQLite::Exception& e) {
          return tl::unexpected(Describe(e, "appending events"));
        } catch (...) {
          return tl::unexpected(DescribeUnexpected("appending events"));
        }
      },
      [&](const Result<AppendResult>& appended, auto) {
        if (appended) return RetryDecision::kStop;
        if (appended.error().code == StatusCode::kBusy) {
          give_back_seqs();
          return RetryDecision::kRetryAfterPause;
        }
        if (appended.error().code == StatusCode::kIoError &&
            ++unknown_outcomes <= kUnknownOutcomeRetries)
          return RetryDecision::kRetryImmediately;
        return RetryDecision::kStop;
      });
  if (appended) return std::move(*appended);
  give_back_seqs();
  return {0, 0, tl::unexpected(std::move(appended.error())), 0, {}};
}

}  // namespace extrace
