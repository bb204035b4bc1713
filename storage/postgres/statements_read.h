// The text of every statement the read side of the PostgreSQL event log runs
// (log_reader.cc): the dialect twins of log_format.h's reading statements,
// over schema/postgres/ (node ids are text in their rows, no `strings` table).
// Where the two dialects sort or compare differently the statements say how
// they are made to agree with SQLite:
//   - ORDER BY on a nullable column: NULLS FIRST (SQLite's ascending order);
//   - ORDER BY on text: COLLATE "C" (SQLite's BINARY, byte order);
//   - case folding: ASCII only, as SQLite's lower() (done in C++ on the pattern,
//     with translate() on the column).
// Filter statements hold `{}` where a parameter number goes ($1, $2, ...): the
// caller numbers them as it binds.
#pragma once

namespace extrace::pg_read {

// One run summary per row, in the columns log_format::kSummaryColumns has; the
// last says whether the run is a child run whose parent node sends no state of
// its own (run_statuses.h). Ends with kFromExecutions.
inline constexpr char kSummaryColumns[] =
    "SELECT e.execution_id, e.root_node_id, e.parent_execution_id, e.parent_node_id, e.start_us, "
    "e.end_us, e.end_type, e.event_count, e.max_seq, e.last_us, e.error_nodes, "
    "EXISTS (SELECT 1 FROM executions p JOIN run_nodes n ON n.execution = p.id "
    "  AND n.node = e.parent_node_id "
    "  WHERE p.execution_id = e.parent_execution_id AND n.declared AND n.state IS NULL) ";
inline constexpr char kFromExecutions[] = "FROM executions e ";

// GetRun: the run $1 and its child runs to any depth (their statuses decide its).
inline constexpr char kRunTree[] =
    "WITH RECURSIVE tree(id) AS (SELECT $1::text UNION SELECT c.execution_id FROM "
    "executions c JOIN tree t ON c.parent_execution_id = t.id) ";
// ListRuns with a limit: the runs $1 (a text[]) and their child runs to any depth.
inline constexpr char kRunTrees[] =
    "WITH RECURSIVE tree(id) AS (SELECT unnest($1::text[]) UNION SELECT c.execution_id "
    "FROM executions c JOIN tree t ON c.parent_execution_id = t.id) ";
inline constexpr char kInRunTree[] = "WHERE e.execution_id IN (SELECT id FROM tree)";

// ListRuns: each filter field is one condition, ANDed together.
inline constexpr char kFilterFlow[] = "e.root_node_id = ${}";
inline constexpr char kFilterTopLevel[] = "e.parent_execution_id IS NULL";
inline constexpr char kFilterSince[] = "e.start_us >= ${}";
inline constexpr char kFilterUntil[] = "e.start_us <= ${}";
inline constexpr char kFilterSlower[] = "e.end_us - e.start_us > ${}";
// A node in a state. With a node id, one probe of run_nodes' primary key per
// run: LIMIT 1 keeps the planner from turning it into a join over every
// node row (a scan of the whole table, several times slower at 10,000 runs).
inline constexpr char kFilterNode[] =
    "coalesce((SELECT true FROM run_nodes n WHERE n.execution = e.id AND n.declared "
    "AND n.node = ${} LIMIT 1), false)";
inline constexpr char kFilterNodeInState[] =
    "coalesce((SELECT true FROM run_nodes n WHERE n.execution = e.id AND n.declared "
    "AND n.node = ${} AND n.state = ${} LIMIT 1), false)";
// Without one: a semi-join over the nodes in that state.
inline constexpr char kFilterState[] =
    "EXISTS (SELECT 1 FROM run_nodes n WHERE n.execution = e.id AND n.declared "
    "AND n.state = ${})";
// A node's error message, or the `message` of the run's ending `error` event
// (its data put back together from the layout's opening, as the events view
// does), contains the parameter, which the caller has lowered (ASCII). The
// nodes with a message are found by the partial index run_nodes_errors.
inline constexpr char kFilterErrorText[] =
    "(EXISTS (SELECT 1 FROM run_nodes n WHERE n.execution = e.id "
    "AND n.error_message IS NOT NULL AND strpos(translate("
    "n.error_message, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'), ${0}) > 0) "
    "OR (e.end_type = 5 AND EXISTS (SELECT 1 FROM event_log l WHERE l.execution = e.id "
    "AND l.seq = e.end_seq AND strpos(translate((CASE WHEN l.layout IS NULL THEN l.data "
    "ELSE (SELECT opening FROM layouts y WHERE y.layout = l.layout) || coalesce(l.data, '') "
    "|| '}}' END)::json ->> 'message', "
    "'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'), ${0}) > 0)))";
// SQLite puts NULLs last in a descending order, PostgreSQL first.
inline constexpr char kNewestFirst[] =
    " ORDER BY coalesce(e.start_us, e.last_us) DESC NULLS LAST, e.id DESC";

// NodeFacts: the declared nodes of the runs $1 (a text[]), by run in the order
// given, then declaration order.
inline constexpr char kNodeFacts[] =
    "SELECT r.ord, n.node, n.name, n.type, n.parent, n.position, n.state, n.start_us, "
    "n.end_us, n.progress, n.error_message "
    "FROM unnest($1::text[]) WITH ORDINALITY AS r(id, ord) "
    "JOIN executions x ON x.execution_id = r.id "
    "JOIN run_nodes n ON n.execution = x.id AND n.declared "
    "ORDER BY r.ord, n.position NULLS FIRST";
inline constexpr char kChildRuns[] =
    "SELECT execution_id FROM executions WHERE parent_execution_id = $1 "
    "ORDER BY start_us NULLS FIRST, execution_id COLLATE \"C\"";

// --- A run's events, a page at a time.
inline constexpr char kRunIdAndBase[] =
    "SELECT id, base_us FROM executions WHERE execution_id = $1";
inline constexpr char kRunEvents[] =
    "SELECT seq, ts_us, type, node, layout, data, graph FROM event_log "
    "WHERE execution = $1 AND seq > $2 ORDER BY seq LIMIT $3";
inline constexpr char kGraphById[] = "SELECT text FROM graphs WHERE id = $1";

// --- The change counter: see ChangeCounter in log_reader.cc.
inline constexpr char kSnapshot[] = "SELECT pg_current_snapshot()::text";

// --- IntegrityCheck: one statement per invariant, each row one problem (at
// most a few per invariant).
inline constexpr char kLayouts[] = "SELECT layout, opening FROM layouts ORDER BY layout";
inline constexpr const char* kInvariants[] = {
    "SELECT format('event_log row (execution %s, seq %s) belongs to no run', l.execution, l.seq) "
    "FROM event_log l WHERE NOT EXISTS (SELECT 1 FROM executions x WHERE x.id = l.execution) "
    "LIMIT 5",
    "SELECT format('run \"%s\": event_count %s and max_seq %s, but it has %s events up to seq "
    "%s', x.execution_id, x.event_count, x.max_seq, coalesce(c.n, 0), coalesce(c.m, 0)) "
    "FROM executions x LEFT JOIN (SELECT execution, count(*) AS n, max(seq) AS m FROM event_log "
    "GROUP BY execution) c ON c.execution = x.id "
    "WHERE x.event_count <> coalesce(c.n, 0) OR x.max_seq <> coalesce(c.m, 0) LIMIT 5",
    "SELECT format('event %s of run %s has type code %s', l.seq, l.execution, l.type) "
    "FROM event_log l WHERE l.type NOT BETWEEN 1 AND 5 OR l.seq < 1 LIMIT 5",
    "SELECT format('event %s of run %s has unknown layout %s', l.seq, l.execution, l.layout) "
    "FROM event_log l WHERE l.layout IS NOT NULL AND l.layout < 1000 AND NOT EXISTS "
    "(SELECT 1 FROM layouts y WHERE y.layout = l.layout) LIMIT 5",
    "SELECT format('event %s of run %s has layout %s but graph %s, which is missing or does not "
    "fit', l.seq, l.execution, l.layout, coalesce(l.graph::text, 'NULL')) "
    "FROM event_log l WHERE (l.layout >= 1000 OR l.graph IS NOT NULL) AND (l.layout IS NULL OR "
    "l.layout < 1000 OR l.graph IS NULL OR l.layout - 1000 > length(coalesce(l.data, '')) "
    "OR NOT EXISTS (SELECT 1 FROM graphs g WHERE g.id = l.graph)) LIMIT 5",
    "SELECT format('graph %s does not match its digest', g.id) FROM graphs g "
    "WHERE g.digest <> sha256(convert_to(g.text, 'UTF8')) LIMIT 5",
    "SELECT format('run_nodes row (execution %s, node \"%s\") belongs to no run', n.execution, "
    "n.node) FROM run_nodes n WHERE NOT EXISTS (SELECT 1 FROM executions x WHERE x.id = "
    "n.execution) LIMIT 5",
};

}  // namespace extrace::pg_read
