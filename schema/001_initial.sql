-- Schema version 1: the event log and the summaries kept current at append time.
-- Applied in one transaction by storage/migrations.cc; PRAGMA user_version = 1 afterwards.

-- Interned strings: node ids (and any other repeated short text).
CREATE TABLE strings (
  id    INTEGER PRIMARY KEY,
  value TEXT NOT NULL UNIQUE
) STRICT;

-- One row per run, kept current by every append so listing never scans events.
-- The row id doubles as the interned execution id used by events.
CREATE TABLE executions (
  id                  INTEGER PRIMARY KEY,
  execution_id        TEXT NOT NULL UNIQUE,
  root_node_id        TEXT,
  parent_execution_id TEXT,
  parent_node_id      TEXT,
  start_seq           INTEGER,  -- seq of the first `started` (lowest seq wins)
  start_us            INTEGER,  -- its timestamp, microseconds since the epoch
  end_seq             INTEGER,  -- seq of the first `completed`/`error`
  end_us              INTEGER,
  end_type            INTEGER,  -- event type code of that end event (see log_format.h)
  event_count         INTEGER NOT NULL DEFAULT 0,
  max_seq             INTEGER NOT NULL DEFAULT 0,
  last_us             INTEGER,  -- timestamp of the event with the highest seq
  error_nodes         INTEGER NOT NULL DEFAULT 0  -- declared nodes whose last own state is `error`
) STRICT;
CREATE INDEX executions_by_start ON executions(start_us);
CREATE INDEX executions_by_parent ON executions(parent_execution_id) WHERE parent_execution_id IS NOT NULL;

-- The append-only event log. (execution, seq) is the idempotency key.
CREATE TABLE event_log (
  execution INTEGER NOT NULL,  -- executions.id
  seq       INTEGER NOT NULL,
  ts_us     INTEGER NOT NULL,  -- microseconds since the epoch
  type      INTEGER NOT NULL,  -- event type code
  node      INTEGER,           -- strings.id of nodeId, NULL when the event names none
  data      TEXT,              -- the event's `data` object as canonical JSON, NULL when empty
  PRIMARY KEY (execution, seq)
) STRICT, WITHOUT ROWID;

-- Last own state of each node of a run (a state-change of the node itself).
CREATE TABLE run_nodes (
  execution INTEGER NOT NULL,
  node      INTEGER NOT NULL,  -- strings.id
  declared  INTEGER NOT NULL,  -- 1 once the run's first `started` declares the node
  state     INTEGER,           -- NULL until the node sends a state-change of its own
  state_seq INTEGER,           -- seq of that state-change (the highest seq wins)
  PRIMARY KEY (execution, node)
) STRICT, WITHOUT ROWID;
