// The text of every statement the PostgreSQL write path runs (log_writer.cc,
// summaries.cc), in PostgreSQL's dialect, with the name each is prepared under.
// A batch's rows go in as one array per column, unnested on the server.
#pragma once

namespace extrace::pg::write_sql {

// --- Locking the batch's runs: the missing ones are created (in execution id
// order, as the lock below, so two writers creating the same runs cannot
// deadlock), then every one is locked for this transaction.
inline constexpr char kInsertRunsName[] = "extrace_insert_runs";
inline constexpr char kInsertRuns[] =
    "INSERT INTO executions(execution_id, base_us) "
    "SELECT r.id, r.base FROM unnest($1::text[], $2::bigint[]) AS r(id, base) ORDER BY r.id "
    "ON CONFLICT (execution_id) DO NOTHING";
// The columns RunRow is read from (summaries.cc, ReadRun).
inline constexpr char kLockRuns[] =
    "SELECT id, execution_id, base_us, max_seq, event_count, last_us, root_node_id, "
    "parent_execution_id, parent_node_id, start_seq, start_us, end_seq, end_us, end_type, "
    "error_nodes FROM executions WHERE execution_id = ANY($1::text[]) "
    "ORDER BY execution_id FOR UPDATE";

// --- Graphs, found by their digest: two writers storing one graph at once end
// with one row. The insert returns no row when the graph was there already.
inline constexpr char kInsertGraphName[] = "extrace_insert_graph";
inline constexpr char kInsertGraph[] =
    "INSERT INTO graphs(digest, text) VALUES (sha256(convert_to($1, 'UTF8')), $1) "
    "ON CONFLICT (digest) DO NOTHING RETURNING id";
inline constexpr char kFindGraphName[] = "extrace_find_graph";
inline constexpr char kFindGraph[] =
    "SELECT id FROM graphs WHERE digest = sha256(convert_to($1, 'UTF8'))";

// --- The events: the keys that were free come back.
inline constexpr char kInsertEventsName[] = "extrace_insert_events";
inline constexpr char kInsertEvents[] =
    "INSERT INTO event_log(execution, seq, ts_us, type, node, data, layout, graph) "
    "SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::smallint[], "
    "$5::text[], $6::text[], $7::integer[], $8::bigint[]) "
    "ON CONFLICT (execution, seq) DO NOTHING RETURNING execution, seq";
// Rows whose keys cannot be taken yet (copy_rows.h's format).
inline constexpr char kCopyEvents[] =
    "COPY event_log(execution, seq, ts_us, type, node, data, layout, graph) FROM STDIN";
// The stored events under keys that were taken.
inline constexpr char kFindEvents[] =
    "SELECT e.execution, e.seq, e.ts_us, e.type, e.node, e.layout, e.data, g.text "
    "FROM unnest($1::bigint[], $2::bigint[]) AS k(execution, seq) "
    "JOIN event_log e ON e.execution = k.execution AND e.seq = k.seq "
    "LEFT JOIN graphs g ON g.id = e.graph";

// --- The summaries, written back once per transaction.
inline constexpr char kUpdateRuns[] =
    "UPDATE executions x SET root_node_id = u.root, parent_execution_id = u.parent_run, "
    "parent_node_id = u.parent_node, start_seq = u.start_seq, start_us = u.start_us, "
    "end_seq = u.end_seq, end_us = u.end_us, end_type = u.end_type, "
    "event_count = u.event_count, max_seq = u.max_seq, last_us = u.last_us, "
    "error_nodes = u.error_nodes "
    "FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], "
    "$7::bigint[], $8::bigint[], $9::smallint[], $10::bigint[], $11::bigint[], $12::bigint[], "
    "$13::bigint[]) AS u(id, root, parent_run, parent_node, start_seq, start_us, end_seq, "
    "end_us, end_type, event_count, max_seq, last_us, error_nodes) WHERE x.id = u.id";
// The columns NodeRow is read from (summaries.cc).
inline constexpr char kFindRunNodes[] =
    "SELECT execution, node, declared, parent, position, name, type, state, state_seq, "
    "start_seq, start_us, end_us, progress, progress_seq, error_message "
    "FROM run_nodes WHERE execution = ANY($1::bigint[])";
// Rows the table does not have yet (their run is locked: nobody else adds them).
inline constexpr char kCopyRunNodes[] =
    "COPY run_nodes(execution, node, declared, parent, position, name, type, state, state_seq, "
    "start_seq, start_us, end_us, progress, progress_seq, error_message) FROM STDIN";
inline constexpr char kUpsertRunNodesName[] = "extrace_upsert_run_nodes";
inline constexpr char kUpsertRunNodes[] =
    "INSERT INTO run_nodes(execution, node, declared, parent, position, name, type, state, "
    "state_seq, start_seq, start_us, end_us, progress, progress_seq, error_message) "
    "SELECT * FROM unnest($1::bigint[], $2::text[], $3::boolean[], $4::text[], $5::bigint[], "
    "$6::text[], $7::text[], $8::smallint[], $9::bigint[], $10::bigint[], $11::bigint[], "
    "$12::bigint[], $13::float8[], $14::bigint[], $15::text[]) "
    "ON CONFLICT (execution, node) DO UPDATE SET declared = excluded.declared, "
    "parent = excluded.parent, position = excluded.position, name = excluded.name, "
    "type = excluded.type, state = excluded.state, state_seq = excluded.state_seq, "
    "start_seq = excluded.start_seq, start_us = excluded.start_us, end_us = excluded.end_us, "
    "progress = excluded.progress, progress_seq = excluded.progress_seq, "
    "error_message = excluded.error_message";

// --- Reindex: every summary rebuilt from the log alone, the log read in pages
// through a cursor so memory stays bounded by the largest run.
inline constexpr char kCountEvents[] = "SELECT count(*) FROM event_log";
inline constexpr char kClearRunNodes[] = "DELETE FROM run_nodes";
inline constexpr char kClearRuns[] =
    "UPDATE executions SET root_node_id = NULL, parent_execution_id = NULL, "
    "parent_node_id = NULL, start_seq = NULL, start_us = NULL, end_seq = NULL, end_us = NULL, "
    "end_type = NULL, event_count = 0, max_seq = 0, last_us = NULL, error_nodes = 0";
inline constexpr char kOpenReplay[] =
    "DECLARE extrace_replay NO SCROLL CURSOR FOR "
    "SELECT e.execution, x.execution_id, e.seq, e.ts_us + x.base_us, e.type, e.node, e.layout, "
    "e.data, g.text FROM event_log e JOIN executions x ON x.id = e.execution "
    "LEFT JOIN graphs g ON g.id = e.graph ORDER BY e.execution, e.seq";
inline constexpr char kFetchReplay[] = "FETCH 10000 FROM extrace_replay";
inline constexpr char kCloseReplay[] = "CLOSE extrace_replay";

}  // namespace extrace::pg::write_sql
