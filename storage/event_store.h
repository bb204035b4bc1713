// EventStore: the append-only event log of runs, keyed by (executionId, seq),
// plus the per-run summaries kept current at append time. The interface is
// backend-neutral: Open picks the backend (SQLite, storage/sqlite/, or
// PostgreSQL, storage/postgres/), and callers
// see Events, RunSummaries and Status values, never the database.
//
// Threads: one EventStore is one database connection; use it from one thread at
// a time. Several stores (threads, processes, machines) may share one store:
// appends retry with back-off while another writer holds what they need.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "extrace/durability.h"
#include "extrace/event.h"
#include "extrace/status.h"
#include "extrace/trace.h"

namespace extrace {

struct StoreOptions {
  // Default: kFull.
  Durability durability = Durability::kFull;
  // Open without writing: no file is created, no schema is migrated.
  // Default: false.
  bool read_only = false;
  // How long one SQLite call waits for a lock before it reports busy.
  // Default: 2000 ms.
  int busy_timeout_ms = 2000;
  // How long an append keeps retrying a busy database, with back-off, before it
  // gives up with kBusy. Default: 60000 ms.
  int busy_retry_budget_ms = 60000;
};

struct RunSummary {
  std::string execution_id;
  std::string root_node_id;         // empty until the run's `started` is stored
  std::string parent_execution_id;  // empty: not a child run
  std::string parent_node_id;
  std::optional<int64_t> start_us;
  std::optional<int64_t> end_us;
  std::optional<EventType> end_type;
  int64_t event_count = 0;
  int64_t max_seq = 0;
  std::optional<int64_t> last_us;
  int64_t error_nodes = 0;
  RunStatus status = RunStatus::kIncomplete;
};

// One declared node of one run, as the summaries know it (no projection):
// its own last state and times. A group without state-changes of its own has
// no state here; the query layer derives it from its children.
struct NodeFact {
  std::string execution_id;
  std::string node_id;
  std::string name;
  std::string type;
  std::string parent_id;  // empty: none
  int64_t position = 0;   // declaration order
  std::optional<NodeState> state;
  std::optional<int64_t> start_us;  // first `executing`
  std::optional<int64_t> end_us;    // while the last state is terminal
  std::optional<double> progress;   // last progress event
  std::string error_message;
};

// Which runs ListRuns returns; every field narrows, empty ones do not.
struct RunFilter {
  std::string flow;  // root node id
  std::optional<RunStatus> status;
  std::optional<int64_t> since_us;      // started at or after
  std::optional<int64_t> until_us;      // started at or before
  std::string node;                     // a node of the run...
  std::optional<NodeState> node_state;  // ...in this last state (any state when unset)
  std::string error_text;               // substring of any error message (node or run)
  std::optional<int64_t> slower_than_us;
  size_t limit = 0;             // 0: no limit
  bool top_level_only = false;  // leave out child runs
};

struct AppendResult {
  int64_t stored = 0;      // new events written
  int64_t duplicates = 0;  // identical events already stored: no-ops
  // On failure: why, and the index of the event at fault. Every event before it
  // is committed; it and those after it are not.
  Status status;
  size_t failed_index = 0;
  // Which events were duplicates, ascending (so that a caller that merged
  // several producers' batches into one append can tell each its own counts).
  std::vector<size_t> duplicate_indices;
};

// Bounds of one statement of the SQL console (EventStore::Query).
struct QueryOptions {
  // Wall time the statement may take, its rows handed out included; zero: no limit.
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};
};
// What both backends report for a statement stopped at options.timeout (kTimedOut).
[[nodiscard]] Error QueryTimedOut(std::chrono::milliseconds timeout);
// The console's column names, once; then each row's values (std::nullopt for
// NULL) and which of them are numbers.
using QueryHeader = std::function<void(const std::vector<std::string>&)>;
using QueryRow = std::function<void(const std::vector<std::optional<std::string>>&,
                                    const std::vector<bool>& is_number)>;

class EventStore {
 public:
  virtual ~EventStore() = default;

  // `path`: a postgresql:// (or postgres://) URI opens the PostgreSQL store;
  // libpq's key=value form ("host=... dbname=...") is refused (kInvalidInput);
  // anything else is a SQLite file, optionally written sqlite:PATH.
  static Result<std::unique_ptr<EventStore>> Open(const std::string& path,
                                                  const StoreOptions& options = {});
  // The SQLite file `path` names (the sqlite: prefix removed); `path` itself
  // when it has none.
  static std::string SqlitePath(const std::string& path);
  // Whether Open takes `path` for a PostgreSQL store (a postgresql:// or
  // postgres:// URI).
  static bool NamesPostgres(const std::string& path);
  // What messages may show of `path`: a PostgreSQL URI without its password,
  // a SQLite path as it is (the same text as an open store's path()).
  static std::string DisplayName(const std::string& path);

  // Appends in one transaction (group commit). Events with seq 0 get the next
  // number of their run, written back into `events`.
  [[nodiscard]] virtual AppendResult Append(std::span<Event> events) = 0;

  [[nodiscard]] virtual Result<std::optional<RunSummary>> GetRun(
      const std::string& execution_id) = 0;
  // Newest first (by start time, else last event time).
  [[nodiscard]] virtual Result<std::vector<RunSummary>> ListRuns(const RunFilter& filter = {}) = 0;
  // The declared nodes of these runs, by run then declaration order.
  [[nodiscard]] virtual Result<std::vector<NodeFact>> NodeFacts(
      const std::vector<std::string>& execution_ids) = 0;
  // Runs whose `started` names this run as parent, oldest first.
  [[nodiscard]] virtual Result<std::vector<std::string>> ChildRuns(
      const std::string& execution_id) = 0;
  // The run's events with a seq above `after_seq`, in seq order, at most
  // `max_events` of them (0: all), without copying the whole run first (what
  // a follower reads after what it has, in pieces of a bounded size).
  [[nodiscard]] virtual Status ForEachEventAfter(const std::string& execution_id, int64_t after_seq,
                                                 size_t max_events,
                                                 const std::function<void(Event&&)>& visit) = 0;
  // Every event of the run in seq order.
  [[nodiscard]] Status ForEachEvent(const std::string& execution_id,
                                    const std::function<void(Event&&)>& visit) {
    return ForEachEventAfter(execution_id, 0, 0, visit);
  }
  [[nodiscard]] Result<std::vector<Event>> ReadEvents(const std::string& execution_id);

  // A number that changes whenever another connection (thread or process) has
  // committed to the store since this one last looked: a cheap poll for
  // followers (SQLite's PRAGMA data_version). Its own commits do not change it.
  [[nodiscard]] virtual Result<int64_t> ChangeCounter() = 0;

  [[nodiscard]] virtual Result<std::string> IntegrityCheck() = 0;
  // Runs one read-only SQL statement over the documented views; `header` gets the
  // column names once, `row` each row's values (std::nullopt for NULL; numbers as
  // SQLite prints them). Needs a store opened read_only: nothing can change the log.
  // The statement is stopped (kTimedOut) once it ran past options.timeout; on
  // SQLite, ATTACH, DETACH and PRAGMAs that change settings are refused (kReadOnly).
  [[nodiscard]] virtual Status Query(const std::string& sql, const QueryOptions& options,
                                     const QueryHeader& header, const QueryRow& row) = 0;
  // Rebuilds every summary table from the event log alone, in one transaction.
  // `progress(done, total)` is called now and then with events replayed so far.
  [[nodiscard]] virtual Status Reindex(const std::function<void(int64_t, int64_t)>& progress) = 0;
  virtual const std::string& path() const = 0;
};

}  // namespace extrace
