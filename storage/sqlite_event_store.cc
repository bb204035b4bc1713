// The SQLite event log: EventStore implemented on one SQLiteCpp connection.
// Appends run in BEGIN IMMEDIATE transactions (one per batch: group commit),
// retried with back-off while another writer holds the lock. Summaries
// (executions, run_nodes) are updated in the same transaction as the events.
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <fmt/format.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <random>
#include <thread>
#include <unordered_map>

#include "format/event_json.h"
#include "format/run_status.h"
#include "storage/event_store.h"
#include "storage/log_format.h"
#include "storage/payload_layout.h"
#include "storage/schema_sql.h"
#include "storage/sqlite/errors.h"
#include "storage/sqlite/migrations.h"
#include "storage/sqlite/node_summary.h"

namespace extrace {
namespace {

// A COMMIT that reports an I/O error may still have landed; the batch is retried
// this many times (the (execution, seq) key makes the retry safe).
constexpr int kUnknownOutcomeRetries = 3;
// The schema version whose summaries (run_nodes facts) a database written by an
// older version lacks; opening such a database rebuilds them.
constexpr int kSummariesVersion = 2;
// The largest seq the format allows (JavaScript's largest safe integer).
constexpr int64_t kMaxSeq = kMaxEventSeq;

struct EventKeyOutcome {
  enum Kind { kStored, kDuplicate, kConflict } kind;
  std::string message;
};

class SqliteEventStore final : public EventStore {
 public:
  // `open_name` is the path, or a file: URI for the immutable fallback.
  SqliteEventStore(std::string path, const std::string& open_name, const StoreOptions& options,
                   int flags)
      : path_(std::move(path)), options_(options), db_(open_name, flags, options.busy_timeout_ms) {}

  template <typename Work>
  void RetryWhileBusy(Work&& work) {
    auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.busy_retry_budget_ms);
    auto pause = std::chrono::milliseconds(1);
    while (true) {
      try {
        work();
        return;
      } catch (const SQLite::Exception& e) {
        if ((e.getErrorCode() & 0xff) != SQLITE_BUSY || std::chrono::steady_clock::now() > deadline)
          throw;
      }
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::milliseconds(50));
    }
  }

  Status Init() {
    try {
      // A reader cannot change the file, whatever it runs (ATTACH included).
      if (options_.read_only) db_.exec("PRAGMA query_only = 1");
      if (!options_.read_only) {
        // WAL lets readers work while one writer appends.
        // Switching a new file to WAL takes an exclusive lock without the busy
        // handler: several processes opening one new file at once retry here.
        RetryWhileBusy([&] { db_.exec("PRAGMA journal_mode=WAL"); });
        db_.exec(options_.durability == Durability::kFull ? "PRAGMA synchronous=FULL"
                                                          : "PRAGMA synchronous=NORMAL");
      }
      auto migrated = MigrateSchema(db_, path_, options_.read_only);
      for (auto pause = std::chrono::milliseconds(1), waited = std::chrono::milliseconds(0);
           !migrated && migrated.error().code == StatusCode::kBusy &&
           waited < std::chrono::milliseconds(options_.busy_retry_budget_ms);
           waited += pause, pause = std::min(pause * 2, std::chrono::milliseconds(50))) {
        std::this_thread::sleep_for(pause);
        migrated = MigrateSchema(db_, path_, options_.read_only);
      }
      if (!migrated) return tl::unexpected(migrated.error());
      // The summaries of schema 2 are new: fill them from the log.
      if (*migrated > 0 && *migrated < kSummariesVersion) {
        if (auto rebuilt = Reindex({}); !rebuilt) return rebuilt;
      }
      if (!options_.read_only && sqlite3_db_readonly(db_.getHandle(), "main") == 1)
        return MakeError(StatusCode::kReadOnly,
                         fmt::format("{}: the database file is read-only", path_));
      return {};
    } catch (const SQLite::Exception& e) {
      return tl::unexpected(ErrorFromSqlite(e, path_, sqlite3_system_errno(db_.getHandle())));
    } catch (...) {
      return tl::unexpected(DescribeUnexpected("opening"));
    }
  }

  AppendResult Append(std::span<Event> events) override;
  Result<std::optional<RunSummary>> GetRun(const std::string& execution_id) override;
  Result<std::vector<RunSummary>> ListRuns(const RunFilter& filter) override;
  Result<std::vector<NodeFact>> NodeFacts(const std::vector<std::string>& execution_ids) override;
  Result<std::vector<std::string>> ChildRuns(const std::string& execution_id) override;
  Status ForEachEvent(const std::string& execution_id,
                      const std::function<void(Event&&)>& visit) override;
  Result<std::string> IntegrityCheck() override;
  Status Query(const std::string& sql,
               const std::function<void(const std::vector<std::string>&)>& header,
               const std::function<void(const std::vector<std::optional<std::string>>&,
                                        const std::vector<bool>&)>& row) override;
  Status Reindex(const std::function<void(int64_t, int64_t)>& progress) override;
  const std::string& path() const override { return path_; }

 private:
  Status RunQuery(const std::string& sql,
                  const std::function<void(const std::vector<std::string>&)>& header,
                  const std::function<void(const std::vector<std::optional<std::string>>&,
                                           const std::vector<bool>&)>& row);
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

  AppendResult TryAppend(std::span<Event> events, std::vector<size_t>& assigned);
  EventKeyOutcome AppendOne(Event& event, RunInTxn& run);
  RunInTxn& TouchRun(const std::string& execution_id, int64_t first_timestamp_us);
  // A `started` event's graph with its strings interned. Runs of one flow
  // usually send the same `started` data: it is parsed once, not once per run.
  struct DeclaredRun {
    std::string root_node_id, parent_execution_id, parent_node_id;
    std::vector<DeclaredNodeRow> nodes;
  };
  static constexpr size_t kDeclarationCacheSize = 64;
  const DeclaredRun* Declaration(const std::string& data_json);
  int64_t InternString(const std::string& value);
  int64_t InternGraph(std::string_view text);
  void ApplyStarted(const Event& event, RunInTxn& run);
  void ApplyStateChange(const Event& event, const payload_layout::Pieces& pieces, RunInTxn& run);
  void ApplyProgress(const Event& event, const payload_layout::Pieces& pieces, RunInTxn& run);
  void ApplySummaries(const Event& event, const payload_layout::Pieces& pieces, RunInTxn& run);
  void FlushSummaries();
  // Reads a stored row's data back into canonical JSON; false for a corrupt row.
  static bool JoinData(const SQLite::Column& layout, const SQLite::Column& data,
                       const SQLite::Column& graph, std::string& data_json);
  std::string DescribeStored(const std::string& execution_id, int64_t seq);
  // Anything but SQLite's own errors (an allocation failure, a bug): an internal
  // error, never an exception out of EventStore. Call it inside a catch block.
  Error DescribeUnexpected(std::string_view what) {
    try {
      throw;
    } catch (const std::bad_alloc&) {
      return Error{StatusCode::kInternal, fmt::format("{}: {}: out of memory", path_, what)};
    } catch (const std::exception& e) {
      return Error{StatusCode::kInternal,
                   fmt::format("{}: {}: internal error: {}", path_, what, e.what())};
    } catch (...) {
      return Error{StatusCode::kInternal, fmt::format("{}: {}: internal error", path_, what)};
    }
  }
  Error Describe(const SQLite::Exception& e, std::string_view what) {
    return ErrorFromSqlite(e, fmt::format("{}: {}", path_, what),
                           sqlite3_system_errno(db_.getHandle()));
  }
  SQLite::Statement& Prepare(std::unique_ptr<SQLite::Statement>& slot, const char* sql) {
    if (!slot) slot = std::make_unique<SQLite::Statement>(db_, sql);
    slot->reset();
    slot->clearBindings();
    return *slot;
  }
  // An append transaction: every way out of it but a COMMIT that returned
  // (an exception included) rolls back and forgets the caches it filled, since
  // an id it handed out is gone once rolled back.
  class AppendTxn {
   public:
    explicit AppendTxn(SqliteEventStore& store) : store_(store) {
      store_.db_.exec("BEGIN IMMEDIATE");
    }
    ~AppendTxn() {
      if (!committed_) store_.AbandonTxn();
    }
    AppendTxn(const AppendTxn&) = delete;
    AppendTxn& operator=(const AppendTxn&) = delete;
    void Commit() {
      store_.db_.exec("COMMIT");
      committed_ = true;
    }

   private:
    SqliteEventStore& store_;
    bool committed_ = false;
  };
  // Rolls back the open transaction, if any, and forgets its caches. Never throws.
  void AbandonTxn() noexcept {
    try {
      ForgetTxnCaches();
    } catch (...) {
      // A statement's reset reports the error of its last step: nothing to undo.
    }
    try {
      if (sqlite3_get_autocommit(db_.getHandle()) == 0) db_.exec("ROLLBACK");
    } catch (...) {
      // The failure may already have ended the transaction.
    }
  }
  void ForgetTxnCaches() {
    runs_in_txn_.clear();
    strings_.clear();
    graphs_.clear();
    declarations_.clear();
    ResetStatements();
  }
  // A statement left on a row keeps its read snapshot open after COMMIT; the
  // next BEGIN IMMEDIATE would then fail with SQLITE_BUSY_SNAPSHOT as soon as
  // another connection has written. Reset them all at every transaction's end.
  void ResetStatements() {
    for (auto* slot :
         {&find_exec_, &insert_exec_, &find_string_, &insert_string_, &insert_event_, &find_event_,
          &bump_run_, &set_started_, &set_ended_, &find_graph_, &insert_graph_})
      if (*slot) (*slot)->reset();
    node_summary_.Forget();
  }

  std::string path_;
  StoreOptions options_;
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

int64_t SqliteEventStore::InternString(const std::string& value) {
  if (auto it = strings_.find(value); it != strings_.end()) return it->second;
  auto& find = Prepare(find_string_, "SELECT id FROM strings WHERE value = ?");
  find.bind(1, value);
  int64_t id;
  if (find.executeStep()) {
    id = find.getColumn(0).getInt64();
  } else {
    auto& insert = Prepare(insert_string_, "INSERT INTO strings(value) VALUES (?)");
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
  auto& find = Prepare(find_graph_, "SELECT id FROM graphs WHERE hash = ? AND text = ?");
  find.bind(1, hash);
  find.bindNoCopy(2, key);
  int64_t id;
  if (find.executeStep()) {
    id = find.getColumn(0).getInt64();
  } else {
    auto& insert = Prepare(insert_graph_, "INSERT INTO graphs(hash, text) VALUES (?, ?)");
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
  auto& find =
      Prepare(find_exec_, "SELECT id, max_seq, base_us FROM executions WHERE execution_id = ?");
  find.bind(1, execution_id);
  if (find.executeStep()) {
    run.id = find.getColumn(0).getInt64();
    run.max_seq = find.getColumn(1).getInt64();
    // Runs begun before schema 3 store absolute timestamps.
    run.base_us = find.getColumn(2).isNull() ? 0 : find.getColumn(2).getInt64();
    find.reset();
  } else {
    find.reset();
    auto& insert =
        Prepare(insert_exec_, "INSERT INTO executions(execution_id, base_us) VALUES (?, ?)");
    insert.bind(1, execution_id);
    insert.bind(2, first_timestamp_us);
    insert.exec();
    run.id = db_.getLastInsertRowid();
    run.base_us = first_timestamp_us;
  }
  return runs_in_txn_.emplace(execution_id, run).first->second;
}

void SqliteEventStore::FlushSummaries() {
  node_summary_.Flush();
  for (auto& [execution_id, run] : runs_in_txn_) {
    if (run.added == 0 && run.error_delta == 0) continue;
    auto& bump =
        Prepare(bump_run_,
                "UPDATE executions SET event_count = event_count + ?1, "
                "last_us = CASE WHEN ?2 THEN ?3 ELSE last_us END, "
                "max_seq = max(max_seq, ?4), error_nodes = error_nodes + ?5 WHERE id = ?6");
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

void SqliteEventStore::ApplyStarted(const Event& event, RunInTxn& run) {
  const DeclaredRun* info = Declaration(event.data_json);
  if (info == nullptr) return;
  auto& set = Prepare(set_started_,
                      "UPDATE executions SET root_node_id = ?, parent_execution_id = ?, "
                      "parent_node_id = ?, start_seq = ?, start_us = ? "
                      "WHERE id = ? AND (start_seq IS NULL OR start_seq > ?)");
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
  std::optional<NodeState> state;
  std::string message_text;
  // The common shapes ({"state":"completed"}) need no parsing.
  if (pieces.layout && pieces.data.empty()) state = payload_layout::StateOf(*pieces.layout);
  if (!state) {
    auto data = ParseDataObject(event.data_json);
    const auto* state_value = data.if_contains("state");
    if (state_value == nullptr || !state_value->is_string()) return;
    state = ParseNodeState(state_value->get_string());
    if (!state) return;
    if (const auto* text = data.if_contains("errorMessage"); text && text->is_string())
      message_text = text->get_string();
  }
  run.error_delta += node_summary_.ApplyState(run.id, InternString(event.node_id), event.seq,
                                              event.timestamp_us, *state, message_text);
}

void SqliteEventStore::ApplyProgress(const Event& event, const payload_layout::Pieces& pieces,
                                     RunInTxn& run) {
  std::optional<double> progress;
  // {"progress":N...}: read N where it stands instead of parsing the object.
  if (pieces.layout == 7) {
    std::string_view text = pieces.data.substr(0, pieces.data.find(','));
    double value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error == std::errc() && end == text.data() + text.size()) progress = value;
  }
  if (!progress) {
    auto data = ParseDataObject(event.data_json);
    const auto* value = data.if_contains("progress");
    if (value == nullptr || !value->is_number()) return;
    progress = value->to_number<double>();
  }
  run.error_delta +=
      node_summary_.ApplyProgress(run.id, InternString(event.node_id), event.seq, *progress);
}

std::string SqliteEventStore::DescribeStored(const std::string& execution_id, int64_t seq) {
  return fmt::format("executionId \"{}\" seq {}", execution_id, seq);
}

EventKeyOutcome SqliteEventStore::AppendOne(Event& event, RunInTxn& run) {
  int64_t node_id = event.node_id.empty() ? 0 : InternString(event.node_id);
  auto pieces = payload_layout::Split(event.type, event.data_json, split_buffer_);
  auto& insert = Prepare(insert_event_,
                         "INSERT INTO event_log(execution, seq, ts_us, type, node, data, layout, "
                         "graph) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                         "ON CONFLICT(execution, seq) DO NOTHING");
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
    auto& find =
        Prepare(find_event_,
                "SELECT e.ts_us, e.type, s.value, e.layout, e.data, g.text "
                "FROM event_log e LEFT JOIN strings s ON s.id = e.node "
                "LEFT JOIN graphs g ON g.id = e.graph WHERE e.execution = ? AND e.seq = ?");
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
    auto brief = [](const Event& e) {
      return fmt::format("{{type {}, timestamp {}, nodeId \"{}\", data {}}}", EventTypeName(e.type),
                         e.timestamp_us / 1000.0, e.node_id,
                         e.data_json.empty() ? "{}" : e.data_json);
    };
    return {
        EventKeyOutcome::kConflict,
        fmt::format("seq: conflict: {} is stored as {}, the new event is {}",
                    DescribeStored(event.execution_id, event.seq), brief(stored), brief(event))};
  }
  ApplySummaries(event, pieces, run);
  return {EventKeyOutcome::kStored, {}};
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
      auto& set = Prepare(set_ended_,
                          "UPDATE executions SET end_seq = ?1, end_us = ?2, end_type = ?3 "
                          "WHERE id = ?4 AND (end_seq IS NULL OR end_seq > ?1)");
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
    db_.exec("BEGIN IMMEDIATE");
    try {
      int64_t total = db_.execAndGet("SELECT count(*) FROM event_log").getInt64();
      db_.exec("DELETE FROM run_nodes");
      db_.exec(
          "UPDATE executions SET root_node_id = NULL, parent_execution_id = NULL, parent_node_id = "
          "NULL, "
          "start_seq = NULL, start_us = NULL, end_seq = NULL, end_us = NULL, end_type = NULL, "
          "event_count = 0, max_seq = 0, last_us = NULL, error_nodes = 0");
      SQLite::Statement row(
          db_,
          "SELECT e.execution, x.execution_id, e.seq, e.ts_us + coalesce(x.base_us, 0), e.type, "
          "s.value, e.layout, e.data, g.text "
          "FROM event_log e JOIN executions x ON x.id = e.execution "
          "LEFT JOIN strings s ON s.id = e.node LEFT JOIN graphs g ON g.id = e.graph "
          "ORDER BY e.execution, e.seq");
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
          run = &runs_in_txn_.emplace(row.getColumn(1).getString(), RunInTxn{execution})
                     .first->second;
        }
        event.execution_id = row.getColumn(1).getString();
        event.seq = row.getColumn(2).getInt64();
        event.timestamp_us = row.getColumn(3).getInt64();
        int64_t type = row.getColumn(4).getInt64();
        if (!log_format::IsEventTypeCode(type)) {
          db_.exec("ROLLBACK");
          ForgetTxnCaches();
          return MakeError(StatusCode::kCorrupt,
                           fmt::format("{}: event {} of \"{}\" has unknown type code {}", path_,
                                       event.seq, event.execution_id, type));
        }
        event.type = static_cast<EventType>(type);
        event.node_id.clear();
        if (!row.getColumn(5).isNull()) event.node_id = row.getColumn(5).getString();
        if (!JoinData(row.getColumn(6), row.getColumn(7), row.getColumn(8), event.data_json)) {
          db_.exec("ROLLBACK");
          ForgetTxnCaches();
          return MakeError(StatusCode::kCorrupt,
                           fmt::format("{}: event {} of \"{}\" has a corrupt data layout", path_,
                                       event.seq, event.execution_id));
        }
        ApplySummaries(event, payload_layout::Split(event.type, event.data_json, split_buffer_),
                       *run);
        if (progress && ++done % 65536 == 0) progress(done, total);
      }
      row.reset();
      FlushSummaries();
      runs_in_txn_.clear();
      ResetStatements();
      db_.exec("COMMIT");
      if (progress) progress(done, total);
    } catch (...) {
      ForgetTxnCaches();
      if (sqlite3_get_autocommit(db_.getHandle()) == 0) db_.exec("ROLLBACK");
      throw;
    }
    return {};
  } catch (const SQLite::Exception& e) {
    return tl::unexpected(Describe(e, "rebuilding the summaries"));
  } catch (...) {
    return tl::unexpected(DescribeUnexpected("rebuilding the summaries"));
  }
}

AppendResult SqliteEventStore::TryAppend(std::span<Event> events, std::vector<size_t>& assigned) {
  AppendResult result;
  AppendTxn txn(*this);
  for (size_t i = 0; i < events.size(); ++i) {
    Event& event = events[i];
    // The store's own check: a caller that skipped EventParser cannot store
    // data that no reader could parse back.
    if (!CanonicalizeDataObject(event.data_json)) {
      result.status = MakeError(
          StatusCode::kInvalidInput,
          fmt::format("data: not a JSON object (executionId \"{}\", {})", event.execution_id,
                      event.seq ? fmt::format("seq {}", event.seq)
                                : fmt::format("event {} of the batch", i + 1)));
      result.failed_index = i;
      break;
    }
    RunInTxn& run = TouchRun(event.execution_id, event.timestamp_us);
    if (event.seq == 0) {
      if (run.max_seq >= kMaxSeq) {
        result.status = MakeError(StatusCode::kInvalidInput,
                                  fmt::format("seq: run \"{}\" has used every seq up to {}",
                                              event.execution_id, kMaxSeq));
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
    (outcome.kind == EventKeyOutcome::kStored ? result.stored : result.duplicates) += 1;
  }
  FlushSummaries();
  txn.Commit();
  runs_in_txn_.clear();
  ResetStatements();
  return result;
}

AppendResult SqliteEventStore::Append(std::span<Event> events) {
  if (options_.read_only)
    return {0, 0, MakeError(StatusCode::kReadOnly, fmt::format("{}: opened read-only", path_)), 0};
  if (events.empty()) return {};
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::milliseconds(options_.busy_retry_budget_ms);
  std::minstd_rand jitter(static_cast<unsigned>(Clock::now().time_since_epoch().count()));
  auto backoff = std::chrono::milliseconds(1);
  int unknown_outcomes = 0;
  while (true) {
    std::vector<size_t> assigned;
    try {
      return TryAppend(events, assigned);
    } catch (const SQLite::Exception& e) {
      // AppendTxn has rolled back and forgotten the caches.
      Error error = Describe(e, "appending events");
      if (error.code == StatusCode::kBusy && Clock::now() < deadline) {
        // Nothing of this attempt landed: give the seqs back.
        for (size_t i : assigned) events[i].seq = 0;
        auto sleep = backoff + std::chrono::milliseconds(jitter() % (backoff.count() + 1));
        std::this_thread::sleep_for(sleep);
        backoff = std::min(backoff * 2, std::chrono::milliseconds(100));
        continue;
      }
      if (error.code == StatusCode::kIoError && ++unknown_outcomes <= kUnknownOutcomeRetries) {
        // A failed COMMIT may have landed: keep the assigned seqs so the retry
        // finds them as duplicates instead of storing them twice.
        continue;
      }
      for (size_t i : assigned) events[i].seq = 0;
      return {0, 0, tl::unexpected(std::move(error)), 0};
    } catch (...) {
      // Rolled back by AppendTxn, caches forgotten: nothing of this batch landed.
      for (size_t i : assigned) events[i].seq = 0;
      return {0, 0, tl::unexpected(DescribeUnexpected("appending events")), 0};
    }
  }
}

struct SummaryRow {
  RunSummary run;
  // This run is a child run whose parent node sends no state of its own: the
  // projection derives that node from this run, so its failure fails the parent.
  bool derives_parent_node = false;
};

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

constexpr const char* kSummaryColumns =
    "SELECT e.execution_id, e.root_node_id, e.parent_execution_id, e.parent_node_id, e.start_us, "
    "e.end_us, e.end_type, e.event_count, e.max_seq, e.last_us, e.error_nodes, "
    "EXISTS (SELECT 1 FROM executions p JOIN strings s ON s.value = e.parent_node_id "
    "  JOIN run_nodes n ON n.execution = p.id AND n.node = s.id "
    "  WHERE p.execution_id = e.parent_execution_id AND n.declared = 1 AND n.state IS NULL) "
    "FROM executions e ";
constexpr std::string_view kFromExecutions = "FROM executions e ";

// Fills in each run's status as the projection would: a run that ended fails when
// it ended with `error`, when a declared node's last state is `error`, or when a
// failed child run (to any depth) stands for a node without a state of its own.
// `rows` must hold every descendant of the runs whose status matters.
void ResolveStatuses(std::vector<SummaryRow>& rows) {
  std::unordered_map<std::string_view, size_t> index;
  std::unordered_map<std::string_view, std::vector<size_t>> children;
  for (size_t i = 0; i < rows.size(); ++i) {
    index.emplace(rows[i].run.execution_id, i);
    if (rows[i].derives_parent_node) children[rows[i].run.parent_execution_id].push_back(i);
  }
  enum class Mark : uint8_t { kUnresolved, kResolving, kResolved };
  std::vector<Mark> marks(rows.size(), Mark::kUnresolved);
  std::function<RunStatus(size_t)> resolve = [&](size_t i) -> RunStatus {
    RunSummary& run = rows[i].run;
    if (marks[i] == Mark::kResolved) return run.status;
    if (marks[i] == Mark::kResolving)
      return RunStatus::kIncomplete;  // a cycle of parents: not stitched
    marks[i] = Mark::kResolving;
    bool failed_child = false;
    if (auto it = children.find(run.execution_id); it != children.end())
      for (size_t child : it->second)
        failed_child = (resolve(child) == RunStatus::kError) || failed_child;
    run.status = RunStatusOf(run.end_type, run.error_nodes > 0 || failed_child);
    marks[i] = Mark::kResolved;
    return run.status;
  };
  for (size_t i = 0; i < rows.size(); ++i) resolve(i);
}

Result<std::optional<RunSummary>> SqliteEventStore::GetRun(const std::string& execution_id) {
  try {
    SQLite::Statement row(db_,
                          "WITH RECURSIVE tree(id) AS (SELECT ?1 UNION SELECT c.execution_id FROM "
                          "executions c JOIN tree t ON c.parent_execution_id = t.id) " +
                              std::string(kSummaryColumns) +
                              "WHERE e.execution_id IN (SELECT id FROM tree)");
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
    if (!filter.flow.empty()) conditions.push_back("e.root_node_id = :flow");
    if (filter.top_level_only) conditions.push_back("e.parent_execution_id IS NULL");
    if (filter.since_us) conditions.push_back("e.start_us >= :since");
    if (filter.until_us) conditions.push_back("e.start_us <= :until");
    if (filter.slower_than_us) conditions.push_back("e.end_us - e.start_us > :slower");
    if (!filter.node.empty() || filter.node_state)
      conditions.push_back(
          "EXISTS (SELECT 1 FROM run_nodes n JOIN strings s ON s.id = n.node "
          "WHERE n.execution = e.id AND n.declared = 1" +
          std::string(filter.node.empty() ? "" : " AND s.value = :node") +
          (filter.node_state ? " AND n.state = :state" : "") + ")");
    if (!filter.error_text.empty())
      conditions.push_back(
          "(EXISTS (SELECT 1 FROM run_nodes n WHERE n.execution = e.id "
          "AND instr(lower(n.error_message), lower(:error)) > 0) OR "
          "(e.end_type = 5 AND EXISTS (SELECT 1 FROM event_log l WHERE l.execution = e.id "
          "AND l.seq = e.end_seq AND instr(lower(json_extract(CASE WHEN l.layout IS NULL THEN "
          "l.data "
          "ELSE (SELECT opening FROM layouts WHERE layout = l.layout) || coalesce(l.data, '') || "
          "'}' "
          "END, '$.message')), "
          "lower(:error)) > 0)))");
    std::string match = "1";
    for (const auto& condition : conditions) match += " AND " + condition;
    std::string select(kSummaryColumns);
    select.insert(select.size() - kFromExecutions.size(), ", (" + match + ") ");
    SQLite::Statement row(db_, select + "ORDER BY coalesce(e.start_us, e.last_us) DESC, e.id DESC");
    if (!filter.flow.empty()) row.bind(":flow", filter.flow);
    if (filter.since_us) row.bind(":since", *filter.since_us);
    if (filter.until_us) row.bind(":until", *filter.until_us);
    if (filter.slower_than_us) row.bind(":slower", *filter.slower_than_us);
    if (!filter.node.empty()) row.bind(":node", filter.node);
    if (filter.node_state) row.bind(":state", log_format::Code(*filter.node_state));
    if (!filter.error_text.empty()) row.bind(":error", filter.error_text);
    std::vector<SummaryRow> rows;
    std::vector<bool> matches;
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

Result<std::vector<NodeFact>> SqliteEventStore::NodeFacts(
    const std::vector<std::string>& execution_ids) {
  try {
    SQLite::Statement row(
        db_,
        "SELECT node.value, name.value, type.value, parent.value, n.position, n.state, "
        "n.start_us, n.end_us, n.progress, n.error_message "
        "FROM executions x JOIN run_nodes n ON n.execution = x.id "
        "JOIN strings node ON node.id = n.node "
        "LEFT JOIN strings name ON name.id = n.name "
        "LEFT JOIN strings type ON type.id = n.type "
        "LEFT JOIN strings parent ON parent.id = n.parent "
        "WHERE x.execution_id = ? AND n.declared = 1 ORDER BY n.position");
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
    SQLite::Statement row(db_,
                          "SELECT execution_id FROM executions WHERE parent_execution_id = ? "
                          "ORDER BY start_us, execution_id");
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

Status SqliteEventStore::ForEachEvent(const std::string& execution_id,
                                      const std::function<void(Event&&)>& visit) {
  try {
    SQLite::Statement run(db_,
                          "SELECT id, coalesce(base_us, 0) FROM executions WHERE execution_id = ?");
    run.bind(1, execution_id);
    if (!run.executeStep()) return {};
    const int64_t id = run.getColumn(0).getInt64();
    const int64_t base_us = run.getColumn(1).getInt64();
    run.reset();
    // Node ids and graphs are looked up once each, not joined into every row:
    // a run names few distinct nodes and usually one graph.
    SQLite::Statement row(db_,
                          "SELECT seq, ts_us, type, node, layout, data, graph FROM event_log "
                          "WHERE execution = ? ORDER BY seq");
    SQLite::Statement node_name(db_, "SELECT value FROM strings WHERE id = ?");
    SQLite::Statement graph_text(db_, "SELECT text FROM graphs WHERE id = ?");
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

Status SqliteEventStore::Query(
    const std::string& sql, const std::function<void(const std::vector<std::string>&)>& header,
    const std::function<void(const std::vector<std::optional<std::string>>&,
                             const std::vector<bool>&)>& row) {
  try {
    return RunQuery(sql, header, row);
  } catch (...) {
    return tl::unexpected(DescribeUnexpected("running a query"));
  }
}

Status SqliteEventStore::RunQuery(
    const std::string& sql, const std::function<void(const std::vector<std::string>&)>& header,
    const std::function<void(const std::vector<std::optional<std::string>>&,
                             const std::vector<bool>&)>& row) {
  if (!options_.read_only)
    return MakeError(StatusCode::kInternal, "Query needs a store opened read-only");
  sqlite3* db = db_.getHandle();
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &raw, &tail);
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> statement(raw, sqlite3_finalize);
  if (rc != SQLITE_OK)
    return MakeError(CodeForSqlite(rc, 0) == StatusCode::kInternal ? StatusCode::kInvalidInput
                                                                   : CodeForSqlite(rc, 0),
                     fmt::format("SQL: {}", sqlite3_errmsg(db)));
  if (!statement) return MakeError(StatusCode::kInvalidInput, "SQL: no statement");
  for (const char* rest = tail; rest && *rest; ++rest)
    if (!std::isspace(static_cast<unsigned char>(*rest)) && *rest != ';')
      return MakeError(StatusCode::kInvalidInput, "SQL: one statement at a time");
  if (!sqlite3_stmt_readonly(statement.get()))
    return MakeError(StatusCode::kReadOnly, "SQL: only statements that read are allowed");
  int columns = sqlite3_column_count(statement.get());
  std::vector<std::string> names;
  for (int c = 0; c < columns; ++c) names.push_back(sqlite3_column_name(statement.get(), c));
  header(names);
  std::vector<std::optional<std::string>> values(static_cast<size_t>(columns));
  std::vector<bool> numbers(static_cast<size_t>(columns));
  while ((rc = sqlite3_step(statement.get())) == SQLITE_ROW) {
    for (int c = 0; c < columns; ++c) {
      int type = sqlite3_column_type(statement.get(), c);
      auto at = static_cast<size_t>(c);
      numbers[at] = type == SQLITE_INTEGER || type == SQLITE_FLOAT;
      if (type == SQLITE_NULL) {
        values[at].reset();
      } else if (type == SQLITE_FLOAT) {
        values[at] = fmt::format("{}", sqlite3_column_double(statement.get(), c));
      } else {
        const unsigned char* text = sqlite3_column_text(statement.get(), c);
        values[at] = std::string(reinterpret_cast<const char*>(text),
                                 sqlite3_column_bytes(statement.get(), c));
      }
    }
    row(values, numbers);
  }
  if (rc != SQLITE_DONE)
    return MakeError(CodeForSqlite(rc, 0) == StatusCode::kInternal ? StatusCode::kInvalidInput
                                                                   : CodeForSqlite(rc, 0),
                     fmt::format("SQL: {}", sqlite3_errmsg(db)));
  return {};
}

Result<std::string> SqliteEventStore::IntegrityCheck() {
  try {
    return db_.execAndGet("PRAGMA integrity_check").getString();
  } catch (const SQLite::Exception& e) {
    return tl::unexpected(Describe(e, "integrity check"));
  } catch (...) {
    return tl::unexpected(DescribeUnexpected("integrity check"));
  }
}

}  // namespace

namespace {

// file:...?immutable=1 for a database on a read-only medium (see Open).
std::string ImmutableUri(const std::string& path) {
  std::string uri = "file:";
  for (char c : path) {
    if (c == '%' || c == '?' || c == '#')
      uri += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    else
      uri += c;
  }
  return uri + "?immutable=1";
}

// user_version of an existing database, 0 when unknown.
int PeekUserVersion(const std::string& path) {
  sqlite3* db = nullptr;
  int version = 0;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &statement, nullptr) == SQLITE_OK &&
        sqlite3_step(statement) == SQLITE_ROW)
      version = sqlite3_column_int(statement, 0);
    sqlite3_finalize(statement);
  }
  sqlite3_close(db);
  return version;
}

// How long a reader waits for a file without a schema to get one: a writer
// creates it in milliseconds, and a file that stays empty is reported soon.
constexpr int kEmptyFileWaitMs = 3000;

// The folder a database file is in (its -wal and -shm files go there too).
std::string FolderOf(const std::string& path) {
  return path.find('/') == std::string::npos ? "." : path.substr(0, path.rfind('/') + 1);
}

Result<std::unique_ptr<EventStore>> OpenWith(const std::string& path, const std::string& open_name,
                                             const StoreOptions& options, int flags) {
  std::unique_ptr<SqliteEventStore> store;
  try {
    // One EventStore is one connection used by one thread at a time (event_store.h):
    // SQLite's per-call connection mutex only costs time.
    store =
        std::make_unique<SqliteEventStore>(path, open_name, options, flags | SQLite::OPEN_NOMUTEX);
  } catch (const SQLite::Exception& e) {
    int err = errno;
    Error error = ErrorFromSqlite(e, path, err);
    if (error.code == StatusCode::kNotFound)
      error.message = options.read_only ? fmt::format("{}: no such database", path)
                                        : fmt::format("{}: cannot create the database here", path);
    return tl::unexpected(std::move(error));
  } catch (const std::bad_alloc&) {
    return MakeError(StatusCode::kInternal, fmt::format("{}: opening: out of memory", path));
  }
  if (auto status = store->Init(); !status) return tl::unexpected(status.error());
  return std::unique_ptr<EventStore>(std::move(store));
}

}  // namespace

Result<std::unique_ptr<EventStore>> EventStore::Open(const std::string& path,
                                                     const StoreOptions& options) {
  // SQLite says only "unable to open database file": name the cause first.
  if (access(path.c_str(), F_OK) == 0 && access(path.c_str(), R_OK) != 0)
    return MakeError(StatusCode::kReadOnly,
                     fmt::format("{}: permission denied: cannot read the database", path));
  if (!options.read_only && access(path.c_str(), F_OK) != 0) {
    std::string folder = FolderOf(path);
    if (access(folder.c_str(), F_OK) != 0)
      return MakeError(StatusCode::kNotFound,
                       fmt::format("{}: cannot create the database: no folder {}", path, folder));
    if (access(folder.c_str(), W_OK | X_OK) != 0)
      return MakeError(
          StatusCode::kReadOnly,
          fmt::format("{}: cannot create the database: folder {} is not writable", path, folder));
  }
  if (!options.read_only)
    return OpenWith(path, path, options, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  // A database of an older schema is upgraded once by a writer (if this process
  // may write it); readers never migrate.
  if (int version = PeekUserVersion(path); version > 0 && version < kSchemaVersion) {
    StoreOptions writer = options;
    writer.read_only = false;
    auto upgraded = OpenWith(path, path, writer, SQLite::OPEN_READWRITE);
    if (!upgraded && upgraded.error().code != StatusCode::kReadOnly) return upgraded;
  }
  auto store = OpenWith(path, path, options, SQLite::OPEN_READONLY);
  if (store || access(path.c_str(), R_OK) != 0) return store;
  if (access(FolderOf(path).c_str(), W_OK | X_OK) == 0) {
    // In a folder we may write, a failed open is a writer's moment: one creating
    // the file (no schema yet, or switching it to WAL), the last connection
    // closing and removing the -wal and -shm files, a crashed one leaving the
    // WAL to recover. Wait it out, as a writer waits for the lock; never blame
    // the folder. A file that stays empty is only waited for a little while.
    using Clock = std::chrono::steady_clock;
    const auto start = Clock::now();
    const auto budget = std::chrono::milliseconds(options.busy_retry_budget_ms);
    const auto empty_budget = std::min(budget, std::chrono::milliseconds(kEmptyFileWaitMs));
    auto pause = std::chrono::milliseconds(1);
    auto worth_waiting = [&](StatusCode code) {
      auto waited = Clock::now() - start;
      if (code == StatusCode::kNotFound) return waited < empty_budget;
      return (code == StatusCode::kReadOnly || code == StatusCode::kBusy ||
              code == StatusCode::kIoError) &&
             waited < budget;
    };
    while (!store && worth_waiting(store.error().code) && access(path.c_str(), F_OK) == 0) {
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::milliseconds(50));
      store = OpenWith(path, path, options, SQLite::OPEN_READONLY);
    }
    return store;
  }
  // Reading a WAL database needs its -shm file; in a folder we may not write,
  // SQLite cannot create it. Nobody can be writing there either, so read the
  // file as immutable.
  if (store.error().code != StatusCode::kReadOnly && store.error().code != StatusCode::kNotFound)
    return store;
  // immutable=1 would skip a -wal file: recent events would silently be missing.
  struct stat wal {};
  if (stat((path + "-wal").c_str(), &wal) == 0 && wal.st_size > 0)
    return MakeError(
        StatusCode::kReadOnly,
        fmt::format("{}: cannot read: its -wal file holds recent events and SQLite cannot create "
                    "the -shm file beside it (the folder is not writable); copy the database "
                    "with its -wal file to a writable folder",
                    path));
  return OpenWith(path, ImmutableUri(path), options, SQLite::OPEN_READONLY | SQLite::OPEN_URI);
}

}  // namespace extrace
