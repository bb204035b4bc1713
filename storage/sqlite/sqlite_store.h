// The SQLite event log: EventStore implemented on one SQLiteCpp connection.
// Appends run in BEGIN IMMEDIATE transactions (one per batch: group commit),
// retried with back-off while another writer holds the lock. Summaries
// (executions, run_nodes) are updated in the same transaction as the events.
// The class's methods are spread by concern:
//   open.cc         opening, the read-only fallbacks, schema upgrade
//   log_writer.cc   Append: the transaction, interning, each event's row
//   summaries.cc    the summaries kept at append time, and Reindex
//   log_reader.cc   runs, node facts, events, the integrity check
//   sql_console.cc  Query: one read-only statement over the views
// Threads: one store is one connection, used by one thread at a time
// (event_store.h).
#pragma once

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "storage/event_store.h"
#include "storage/payload_layout.h"
#include "storage/retry.h"
#include "storage/sqlite/node_summary.h"
#include "storage/sqlite/shm_guard.h"

namespace extrace {

class SqliteEventStore final : public EventStore {
 public:
  // `open_name` is the path, or a file: URI for the immutable fallback. Throws
  // SQLite::Exception when SQLite cannot open it (OpenSqliteStore catches).
  // `private_wal_index`: a reader that keeps the WAL index in its own memory
  // (locking_mode EXCLUSIVE), for a disk too full for the -shm file.
  SqliteEventStore(std::string path, const std::string& open_name, const StoreOptions& options,
                   int flags, bool private_wal_index = false);

  // Sets up the connection (WAL, synchronous) and brings the schema up to date.
  [[nodiscard]] Status Init();

  [[nodiscard]] AppendResult Append(std::span<Event> events) override;
  [[nodiscard]] Result<std::optional<RunSummary>> GetRun(const std::string& execution_id) override;
  [[nodiscard]] Result<std::vector<RunSummary>> ListRuns(const RunFilter& filter) override;
  [[nodiscard]] Result<std::vector<NodeFact>> NodeFacts(
      const std::vector<std::string>& execution_ids) override;
  [[nodiscard]] Result<std::vector<std::string>> ChildRuns(
      const std::string& execution_id) override;
  [[nodiscard]] Status ForEachEventAfter(const std::string& execution_id, int64_t after_seq,
                                         size_t max_events,
                                         const std::function<void(Event&&)>& visit) override;
  [[nodiscard]] Result<int64_t> ChangeCounter() override;
  [[nodiscard]] Result<std::string> IntegrityCheck() override;
  [[nodiscard]] Status Query(const std::string& sql, const QueryOptions& options,
                             const QueryHeader& header, const QueryRow& row) override;
  [[nodiscard]] Status Reindex(const std::function<void(int64_t, int64_t)>& progress) override;
  const std::string& path() const override { return path_; }

 private:
  // How one event's key fared in AppendOne.
  struct EventKeyOutcome {
    enum Kind { kStored, kDuplicate, kConflict } kind;
    std::string message;
  };
  // Per-run state while a transaction is open. The run's summary row changes
  // are gathered here and written once, by FlushSummaries().
  struct RunInTxn {
    int64_t id = 0;
    int64_t max_seq = 0;
    int64_t base_us = 0;  // rows store ts_us relative to this
    int64_t added = 0;    // events stored in this transaction
    bool max_moved = false;
    int64_t last_us = 0;  // timestamp of the event with seq max_seq, once it moved
    int64_t error_delta = 0;
  };
  // A `started` event's graph with its strings interned. Runs of one flow
  // usually send the same `started` data: it is parsed once, not once per run.
  struct DeclaredRun {
    std::string root_node_id, parent_execution_id, parent_node_id;
    std::vector<DeclaredNodeRow> nodes;
  };
  static constexpr size_t kDeclarationCacheSize = 64;

  // A write transaction (BEGIN IMMEDIATE) that fills the store's caches.
  // SQLite::Transaction rolls back unless committed; this guard adds what the
  // caches need: every way out but a Commit() that returned (an exception
  // included) forgets them first, since an id handed out in a rolled-back
  // transaction is gone and another process may reuse it.
  class WriteTxn {
   public:
    explicit WriteTxn(SqliteEventStore& store)
        : store_(store), txn_(store.db_, SQLite::TransactionBehavior::IMMEDIATE) {}
    // Runs before txn_'s destructor: caches are forgotten, then it rolls back.
    ~WriteTxn() {
      if (!committed_) store_.ForgetTxnCachesNoThrow();
    }
    WriteTxn(const WriteTxn&) = delete;
    WriteTxn& operator=(const WriteTxn&) = delete;
    // COMMIT, then drop the per-transaction state (the interned ids stay valid).
    void Commit() {
      txn_.commit();
      committed_ = true;
      store_.runs_in_txn_.clear();
      store_.ResetStatements();
    }

   private:
    SqliteEventStore& store_;
    SQLite::Transaction txn_;
    bool committed_ = false;
  };

  // log_writer.cc
  [[nodiscard]] AppendResult TryAppend(std::span<Event> events, std::vector<size_t>& assigned);
  // ListRuns' first `limit` matching rows of `row` (a summaries query with the
  // match column last), their statuses resolved from their child runs.
  std::vector<RunSummary> ListRunsPage(SQLite::Statement& row, size_t limit);
  [[nodiscard]] EventKeyOutcome AppendOne(Event& event, RunInTxn& run);
  RunInTxn& TouchRun(const std::string& execution_id, int64_t first_timestamp_us);
  const DeclaredRun* Declaration(const std::string& data_json);
  int64_t InternString(const std::string& value);
  int64_t InternGraph(std::string_view text);
  void ForgetTxnCaches();
  void ForgetTxnCachesNoThrow() noexcept;
  void ResetStatements();

  // summaries.cc
  void ApplyStarted(const Event& event, RunInTxn& run);
  void ApplyStateChange(const Event& event, const payload_layout::Pieces& pieces, RunInTxn& run);
  void ApplyProgress(const Event& event, const payload_layout::Pieces& pieces, RunInTxn& run);
  void ApplySummaries(const Event& event, const payload_layout::Pieces& pieces, RunInTxn& run);
  void FlushSummaries();

  // sql_console.cc
  [[nodiscard]] Status RunQuery(const std::string& sql, const QueryOptions& options,
                                const QueryHeader& header, const QueryRow& row);

  // open.cc: db_.exec(sql), retried while another connection holds a lock.
  void ExecRetryingBusy(const char* sql);

  // Reads a stored row's data back into canonical JSON; false for a corrupt row.
  static bool JoinData(const SQLite::Column& layout, const SQLite::Column& data,
                       const SQLite::Column& graph, std::string& data_json);
  // Back-off for a busy database, within options_.busy_retry_budget_ms.
  RetryPolicy BusyRetry() const {
    return {.budget = std::chrono::milliseconds(options_.busy_retry_budget_ms)};
  }
  // Anything but SQLite's own errors (an allocation failure, a bug): an internal
  // error, never an exception out of EventStore. Call it inside a catch block.
  Error DescribeUnexpected(std::string_view what);
  Error Describe(const SQLite::Exception& e, std::string_view what);
  SQLite::Statement& Prepare(std::unique_ptr<SQLite::Statement>& slot, const char* sql) {
    if (!slot) slot = std::make_unique<SQLite::Statement>(db_, sql);
    slot->reset();
    slot->clearBindings();
    return *slot;
  }

  std::string path_;
  StoreOptions options_;
  bool private_wal_index_;
  ShmGuard shm_guard_;  // before db_: it must outlive the connection
  SQLite::Database db_;
  NodeSummary node_summary_{db_};
  // Interned string ids. A failed transaction clears the cache: an id it handed
  // out was rolled back and another process may reuse it.
  std::unordered_map<std::string, int64_t> strings_;
  std::unordered_map<std::string, int64_t> graphs_;            // same rule as strings_
  std::unordered_map<std::string, DeclaredRun> declarations_;  // same rule as strings_
  std::unordered_map<std::string, RunInTxn> runs_in_txn_;
  std::string split_buffer_;  // reused by payload_layout::Split
  std::string bound_data_;    // the data column of the row being inserted
  std::unique_ptr<SQLite::Statement> find_exec_, insert_exec_, find_string_, insert_string_,
      insert_event_, find_event_, bump_run_, set_started_, set_ended_, find_graph_, insert_graph_;
};

}  // namespace extrace
