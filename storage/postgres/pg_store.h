// The PostgreSQL event log: EventStore implemented on one libpq connection, for
// a store that several machines share. Same logical content as the SQLite
// backend (schema/postgres/), same rules (summary_rules.h, payload_layout.h,
// run_statuses.h), so every command gives the same documents on either.
// Appends run one transaction per batch: the batch's runs are locked in
// execution-id order (SELECT ... FOR UPDATE, so seq-less events from several
// machines get distinct seqs), the events go in with multi-row
// INSERT ... ON CONFLICT (execution, seq) DO NOTHING (or COPY, for seqs above
// the locked run's max_seq, which no stored event can hold), the keys that
// were taken are compared with what is stored (duplicate or conflict), and
// the summaries are written back before COMMIT. Serialization failures, deadlocks and broken
// connections retry the whole batch with the same seqs within the busy budget.
// The class's methods are spread by concern:
//   open.cc         connecting, the session settings, the schema, the display name
//   migrations.cc   schema/postgres/*.sql under an advisory lock
//   log_writer.cc   Append: the transaction, the runs' locks, the rows
//   summaries.cc    the summaries kept at append time, and Reindex
//   log_reader.cc   runs, node facts, events, the change counter, the integrity check
//   sql_console.cc  Query: one read-only statement over the views
// Threads: one store is one connection, used by one thread at a time.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "storage/event_store.h"
#include "storage/payload_layout.h"
#include "storage/postgres/connection.h"
#include "storage/postgres/summaries.h"
#include "storage/retry.h"
#include "storage/summary_rules.h"

namespace extrace {

class PostgresEventStore final : public EventStore {
 public:
  // `conninfo` is what libpq connects with (the password included); `display`
  // the same without secrets, for messages (path()). Throws pg::Failure when
  // it cannot connect (OpenPostgresStore catches).
  PostgresEventStore(const std::string& conninfo, std::string display, const StoreOptions& options);

  // Session settings (durability, read-only) and the schema; see open.cc.
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
  const std::string& path() const override { return display_; }

 private:
  // --- open.cc
  // A failure as an Error naming the store and what was being done.
  Error Describe(const pg::Failure& failure, std::string_view what) const;
  // Anything but libpq's failures (an allocation failure, a bug): kInternal.
  // Call it inside a catch block.
  Error DescribeUnexpected(std::string_view what) const;
  // Runs `body` (which may throw pg::Failure) and maps what it throws.
  template <typename T, typename Body>
  Result<T> Guarded(std::string_view what, Body&& body);
  // Guarded for reads: a connection the server ended (a restart, an
  // administrator, a network cut) is reconnected once and `body` runs again,
  // so a long-lived reader (serve's store pool, `extrace tail`) recovers
  // instead of failing until it is restarted. Reads are idempotent; a body
  // that has handed out rows resumes after them (ForEachEventAfter).
  template <typename T, typename Body>
  Result<T> GuardedRead(std::string_view what, Body&& body);

  // --- open.cc: the session settings (durability, how long a lock is waited
  // for, read-only); Init applies them, and Append again after a reconnect.
  void ApplySessionSettings();

  // --- log_writer.cc and summaries.cc: the write path.
  // How far one transaction got with a batch's first events.
  struct PrefixOutcome {
    // Set when the event at `failed_index` cannot go in (a conflict, seqs used
    // up): nothing was committed, the caller retries the events before it.
    std::optional<Error> failure;
    size_t failed_index = 0;
    int64_t stored = 0;
    std::vector<size_t> duplicate_indices;
  };
  // One attempt at the whole batch: the validation, then transactions over
  // ever shorter prefixes until one commits. Throws pg::Failure.
  [[nodiscard]] AppendResult TryAppend(std::span<Event> events, std::vector<size_t>& assigned);
  // One transaction over `events` (a prefix of the batch): commits, or rolls
  // back and names the first event that cannot go in.
  PrefixOutcome AppendPrefix(std::span<Event> events, std::vector<size_t>& assigned);
  // Creates the runs that are missing and locks them all (summaries_ holds them).
  void LockRuns(std::span<const Event> events);
  // The graphs id of a `started` graph, stored when new.
  int64_t InternGraph(std::string_view text);
  // After a failed transaction: ids it handed out were rolled back.
  void ForgetTxnCaches();
  // Reconnects a broken connection (and re-applies the session settings);
  // Append and GuardedRead call it.
  void EnsureConnected();

  pg::RunSummaries summaries_;
  std::unordered_map<std::string, int64_t> graphs_;  // text -> graphs.id; cleared by a failure
  std::string split_buffer_;                         // reused by payload_layout::Split
  // Whether rows whose seq is above their run's max_seq go in by COPY; false
  // once a COPY found such a key taken (see TryAppend).
  bool copy_fresh_rows_ = true;
  // Set while COMMIT is in flight: a connection lost then leaves the outcome unknown.
  bool commit_in_flight_ = false;

  // --- log_reader.cc and sql_console.cc (the read path's state) go here.
  // ListRuns with a limit and no status to match: the first `limit` runs that
  // match (`match`, numbered parameters in `params`), with their run trees.
  std::vector<RunSummary> ListRunsPage(const std::string& match, const pg::Params& params,
                                       size_t limit);
  // The text of graph `id`, cached (graphs are never changed or deleted, and
  // identity values are never reused); nullptr when there is no such graph.
  const std::string* GraphText(int64_t id);
  [[nodiscard]] Status RunQuery(const std::string& sql, const QueryOptions& options,
                                const QueryHeader& header, const QueryRow& row);

  std::unordered_map<int64_t, std::string> graph_texts_;
  // ChangeCounter: the snapshot seen last, and how often it changed.
  std::string last_snapshot_;
  int64_t changes_ = 0;

  std::string display_;
  StoreOptions options_;
  pg::Connection db_;
};

template <typename T, typename Body>
Result<T> PostgresEventStore::Guarded(std::string_view what, Body&& body) {
  try {
    return body();
  } catch (const pg::Failure& failure) {
    return tl::unexpected(Describe(failure, what));
  } catch (...) {
    return tl::unexpected(DescribeUnexpected(what));
  }
}

template <typename T, typename Body>
Result<T> PostgresEventStore::GuardedRead(std::string_view what, Body&& body) {
  return Guarded<T>(what, [&]() -> Result<T> {
    try {
      return body();
    } catch (const pg::Failure&) {
      if (db_.Healthy()) throw;  // the statement's own failure: not retried
    }
    EnsureConnected();  // throws when the server is still out of reach
    return body();
  });
}

}  // namespace extrace
