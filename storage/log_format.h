// The event log's stored format in one place: schema version, the codes the
// rows hold, and the text of every statement that writes or reads the tables.
// The grammar is written down in schema/README.md; the tables are created by
// schema/*.sql:
//   event_log   one row per event, keyed by (execution, seq); data split by
//               payload_layout.h (layout, data, graph)
//   executions  one row per run: its id, base_us, and the run's summary
//   strings     interned node ids, names and types
//   graphs      interned `started` graphs, found by their FNV-1a hash
//   layouts     the openings layout codes stand for
//   run_nodes   per-node facts of each run (node_summary.h)
// The statement text is in SQLite's dialect, the one backend so far.
#pragma once

#include <cstdint>

#include "extrace/event.h"
#include "storage/schema_sql.h"

namespace extrace::log_format {

// Event types and node states are stored as their enum codes (event.h).
inline int64_t Code(EventType type) { return static_cast<int64_t>(type); }
inline int64_t Code(NodeState state) { return static_cast<int64_t>(state); }
inline bool IsEventTypeCode(int64_t code) { return code >= 1 && code <= 5; }

// The schema version whose summaries (run_nodes facts) a database written by an
// older version lacks; opening such a database rebuilds them.
inline constexpr int kSummariesVersion = 2;

// --- Opening a connection.
inline constexpr char kQueryOnly[] = "PRAGMA query_only = 1";
// Set before the first read of a WAL database: its index lives in the
// connection's heap, no -shm file (and no other process while it is open).
inline constexpr char kLockingExclusive[] = "PRAGMA locking_mode=EXCLUSIVE";
inline constexpr char kJournalWal[] = "PRAGMA journal_mode=WAL";
inline constexpr char kSynchronousFull[] = "PRAGMA synchronous=FULL";
inline constexpr char kSynchronousNormal[] = "PRAGMA synchronous=NORMAL";
inline constexpr char kUserVersion[] = "PRAGMA user_version";
inline constexpr char kIntegrityCheck[] = "PRAGMA integrity_check";

// --- The write path: runs, interned strings and graphs, events.
inline constexpr char kFindExecution[] =
    "SELECT id, max_seq, base_us FROM executions WHERE execution_id = ?";
inline constexpr char kInsertExecution[] =
    "INSERT INTO executions(execution_id, base_us) VALUES (?, ?)";
inline constexpr char kFindString[] = "SELECT id FROM strings WHERE value = ?";
inline constexpr char kInsertString[] = "INSERT INTO strings(value) VALUES (?)";
inline constexpr char kFindGraph[] = "SELECT id FROM graphs WHERE hash = ? AND text = ?";
inline constexpr char kInsertGraph[] = "INSERT INTO graphs(hash, text) VALUES (?, ?)";
inline constexpr char kInsertEvent[] =
    "INSERT INTO event_log(execution, seq, ts_us, type, node, data, layout, "
    "graph) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT(execution, seq) DO NOTHING";
// The stored event under a key that was already taken.
inline constexpr char kFindEvent[] =
    "SELECT e.ts_us, e.type, s.value, e.layout, e.data, g.text "
    "FROM event_log e LEFT JOIN strings s ON s.id = e.node "
    "LEFT JOIN graphs g ON g.id = e.graph WHERE e.execution = ? AND e.seq = ?";

// --- Run summaries (executions), kept current in the append transaction.
inline constexpr char kBumpRun[] =
    "UPDATE executions SET event_count = event_count + ?1, "
    "last_us = CASE WHEN ?2 THEN ?3 ELSE last_us END, "
    "max_seq = max(max_seq, ?4), error_nodes = error_nodes + ?5 WHERE id = ?6";
// Only the run's first `started` (by seq) declares it.
inline constexpr char kSetStarted[] =
    "UPDATE executions SET root_node_id = ?, parent_execution_id = ?, "
    "parent_node_id = ?, start_seq = ?, start_us = ? "
    "WHERE id = ? AND (start_seq IS NULL OR start_seq > ?)";
inline constexpr char kSetEnded[] =
    "UPDATE executions SET end_seq = ?1, end_us = ?2, end_type = ?3 "
    "WHERE id = ?4 AND (end_seq IS NULL OR end_seq > ?1)";

// --- Node summaries (run_nodes): node_summary.h.
inline constexpr char kFindRunNode[] =
    "SELECT declared, parent, position, name, type, state, state_seq, start_seq, "
    "start_us, end_us, progress, progress_seq, error_message "
    "FROM run_nodes WHERE execution = ? AND node = ?";
inline constexpr char kUpsertRunNode[] =
    "INSERT INTO run_nodes(execution, node, declared, parent, position, name, type, state, "
    "state_seq, start_seq, start_us, end_us, progress, progress_seq, error_message) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15) "
    "ON CONFLICT(execution, node) DO UPDATE SET declared = ?3, parent = ?4, position = ?5, "
    "name = ?6, type = ?7, state = ?8, state_seq = ?9, start_seq = ?10, start_us = ?11, "
    "end_us = ?12, progress = ?13, progress_seq = ?14, error_message = ?15";

// --- Reindex: every summary rebuilt from the log alone.
inline constexpr char kCountEvents[] = "SELECT count(*) FROM event_log";
inline constexpr char kClearRunNodes[] = "DELETE FROM run_nodes";
inline constexpr char kClearRunSummaries[] =
    "UPDATE executions SET root_node_id = NULL, parent_execution_id = NULL, parent_node_id = "
    "NULL, "
    "start_seq = NULL, start_us = NULL, end_seq = NULL, end_us = NULL, end_type = NULL, "
    "event_count = 0, max_seq = 0, last_us = NULL, error_nodes = 0";
inline constexpr char kReplayLog[] =
    "SELECT e.execution, x.execution_id, e.seq, e.ts_us + coalesce(x.base_us, 0), e.type, "
    "s.value, e.layout, e.data, g.text "
    "FROM event_log e JOIN executions x ON x.id = e.execution "
    "LEFT JOIN strings s ON s.id = e.node LEFT JOIN graphs g ON g.id = e.graph "
    "ORDER BY e.execution, e.seq";

// --- Reading runs. kSummaryColumns ends with kFromExecutions: a caller may add
// columns before it and conditions after it. Its last column says whether the
// run is a child run whose parent node sends no state of its own.
inline constexpr char kSummaryColumns[] =
    "SELECT e.execution_id, e.root_node_id, e.parent_execution_id, e.parent_node_id, e.start_us, "
    "e.end_us, e.end_type, e.event_count, e.max_seq, e.last_us, e.error_nodes, "
    "EXISTS (SELECT 1 FROM executions p JOIN strings s ON s.value = e.parent_node_id "
    "  JOIN run_nodes n ON n.execution = p.id AND n.node = s.id "
    "  WHERE p.execution_id = e.parent_execution_id AND n.declared = 1 AND n.state IS NULL) "
    "FROM executions e ";
inline constexpr char kFromExecutions[] = "FROM executions e ";
// GetRun: the run ?1 and its child runs to any depth (their statuses decide its).
inline constexpr char kRunTree[] =
    "WITH RECURSIVE tree(id) AS (SELECT ?1 UNION SELECT c.execution_id FROM "
    "executions c JOIN tree t ON c.parent_execution_id = t.id) ";
inline constexpr char kInRunTree[] = "WHERE e.execution_id IN (SELECT id FROM tree)";
// ListRuns with a limit: the runs ?1 (a JSON array of ids) and their child runs
// to any depth, whose statuses decide theirs.
inline constexpr char kRunTrees[] =
    "WITH RECURSIVE tree(id) AS (SELECT value FROM json_each(?1) UNION SELECT c.execution_id "
    "FROM executions c JOIN tree t ON c.parent_execution_id = t.id) ";
// ListRuns: each filter field is one condition, ANDed into one more column.
inline constexpr char kFilterFlow[] = "e.root_node_id = :flow";
inline constexpr char kFilterTopLevel[] = "e.parent_execution_id IS NULL";
inline constexpr char kFilterSince[] = "e.start_us >= :since";
inline constexpr char kFilterUntil[] = "e.start_us <= :until";
inline constexpr char kFilterSlower[] = "e.end_us - e.start_us > :slower";
// ...followed by kFilterNodeId and/or kFilterNodeState, then ")".
inline constexpr char kFilterNodeOpen[] =
    "EXISTS (SELECT 1 FROM run_nodes n JOIN strings s ON s.id = n.node "
    "WHERE n.execution = e.id AND n.declared = 1";
inline constexpr char kFilterNodeId[] = " AND s.value = :node";
inline constexpr char kFilterNodeState[] = " AND n.state = :state";
// A node's error message, or the `message` of the run's ending `error` event.
inline constexpr char kFilterErrorText[] =
    "(EXISTS (SELECT 1 FROM run_nodes n WHERE n.execution = e.id "
    "AND instr(lower(n.error_message), lower(:error)) > 0) OR "
    "(e.end_type = 5 AND EXISTS (SELECT 1 FROM event_log l WHERE l.execution = e.id "
    "AND l.seq = e.end_seq AND instr(lower(json_extract(CASE WHEN l.layout IS NULL THEN "
    "l.data "
    "ELSE (SELECT opening FROM layouts WHERE layout = l.layout) || coalesce(l.data, '') || "
    "'}' "
    "END, '$.message')), "
    "lower(:error)) > 0)))";
inline constexpr char kNewestFirst[] = "ORDER BY coalesce(e.start_us, e.last_us) DESC, e.id DESC";
inline constexpr char kNodeFacts[] =
    "SELECT node.value, name.value, type.value, parent.value, n.position, n.state, "
    "n.start_us, n.end_us, n.progress, n.error_message "
    "FROM executions x JOIN run_nodes n ON n.execution = x.id "
    "JOIN strings node ON node.id = n.node "
    "LEFT JOIN strings name ON name.id = n.name "
    "LEFT JOIN strings type ON type.id = n.type "
    "LEFT JOIN strings parent ON parent.id = n.parent "
    "WHERE x.execution_id = ? AND n.declared = 1 ORDER BY n.position";
inline constexpr char kChildRuns[] =
    "SELECT execution_id FROM executions WHERE parent_execution_id = ? "
    "ORDER BY start_us, execution_id";

// --- Reading a run's events.
inline constexpr char kRunIdAndBase[] =
    "SELECT id, coalesce(base_us, 0) FROM executions WHERE execution_id = ?";
inline constexpr char kRunEvents[] =
    "SELECT seq, ts_us, type, node, layout, data, graph FROM event_log "
    "WHERE execution = ? AND seq > ? ORDER BY seq LIMIT ?";
// Changes when another connection commits (https://sqlite.org/pragma.html#pragma_data_version).
inline constexpr char kDataVersion[] = "PRAGMA data_version";
inline constexpr char kStringById[] = "SELECT value FROM strings WHERE id = ?";
inline constexpr char kGraphById[] = "SELECT text FROM graphs WHERE id = ?";

}  // namespace extrace::log_format
