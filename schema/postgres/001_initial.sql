-- PostgreSQL schema version 1: the event log, the summaries kept current at
-- append time, and the read-only views of `extrace query`: the same logical
-- content as the SQLite schema (../00N_*.sql at version 3), in PostgreSQL's types.
-- Applied in one transaction under an advisory lock by storage/postgres/migrations.cc;
-- extrace_schema.version = 1 afterwards.
--
-- Differences from SQLite, and why:
--   node ids, names and types are text in their rows (no `strings` table): the
--   pages are compressed by nobody, but interning would cost a round trip per
--   new string from every writer, and text keys need no lookups on read.
--   graphs are found by their SHA-256 digest (unique), so two machines storing
--   the same graph at once end with one row.

-- One row per run, kept current by every append so listing never scans events.
-- Appends lock a run's row (SELECT ... FOR UPDATE) before they number or store
-- its events: seq-less events from several machines get distinct seqs.
CREATE TABLE executions (
  id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  execution_id        text NOT NULL UNIQUE,
  root_node_id        text,
  parent_execution_id text,
  parent_node_id      text,
  start_seq           bigint,   -- seq of the first `started` (lowest seq wins)
  start_us            bigint,   -- its timestamp, microseconds since the epoch
  end_seq             bigint,   -- seq of the first `completed`/`error`
  end_us              bigint,
  end_type            smallint, -- event type code of that end event
  event_count         bigint NOT NULL DEFAULT 0,
  max_seq             bigint NOT NULL DEFAULT 0,
  last_us             bigint,   -- timestamp of the event with the highest seq
  error_nodes         bigint NOT NULL DEFAULT 0,  -- declared nodes whose last own state is `error`
  base_us             bigint NOT NULL  -- the run's first appended timestamp; event_log.ts_us is relative to it
);
CREATE INDEX executions_by_start ON executions(start_us);
CREATE INDEX executions_by_flow ON executions(root_node_id, start_us);
CREATE INDEX executions_by_parent ON executions(parent_execution_id)
  WHERE parent_execution_id IS NOT NULL;

-- A `started` event's graph (its `nodes` array as canonical JSON), stored once.
CREATE TABLE graphs (
  id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  digest bytea NOT NULL UNIQUE,  -- sha256(text)
  text   text NOT NULL
);

-- The openings of layout codes 1 .. 99 (storage/payload_layout.h). Never renumber; only add.
CREATE TABLE layouts (
  layout  integer PRIMARY KEY,
  opening text NOT NULL
);
INSERT INTO layouts(layout, opening) VALUES
  (1, '{"state":"pending"'),
  (2, '{"state":"executing"'),
  (3, '{"state":"completed"'),
  (4, '{"state":"error"'),
  (5, '{"state":"skipped"'),
  (6, '{"state":"error","errorMessage":'),
  (7, '{"progress":'),
  (8, '{"message":'),
  (9, '{"errorMessage":');

-- The append-only event log. (execution, seq) is the idempotency key.
CREATE TABLE event_log (
  execution bigint NOT NULL,   -- executions.id
  seq       bigint NOT NULL,
  ts_us     bigint NOT NULL,   -- microseconds, relative to executions.base_us
  type      smallint NOT NULL, -- event type code
  node      text,              -- nodeId, NULL when the event names none
  data      text,              -- data as payload_layout.h stores it, NULL when empty
  layout    integer,           -- NULL: data is the whole JSON text
  graph     bigint,            -- graphs.id when layout >= 1000
  PRIMARY KEY (execution, seq)
);

-- The per-node facts of every run (storage/summary_rules.h).
CREATE TABLE run_nodes (
  execution     bigint NOT NULL,
  node          text NOT NULL,
  declared      boolean NOT NULL DEFAULT false,
  parent        text,              -- the declared parentId
  position      bigint,            -- index in the declaring `started`
  name          text,
  type          text,
  state         smallint,          -- NULL until the node sends a state-change of its own
  state_seq     bigint,
  start_seq     bigint,            -- the first `executing` state-change (lowest seq)
  start_us      bigint,
  end_us        bigint,            -- the last state-change's time, while it is terminal
  progress      double precision,  -- the last progress event's value (by seq)
  progress_seq  bigint,
  error_message text,
  PRIMARY KEY (execution, node)
);
-- `list --error TEXT` reads the nodes that have a message, not every node.
-- Few rows: appends keep updating the others in place (HOT).
CREATE INDEX run_nodes_errors ON run_nodes(execution) WHERE error_message IS NOT NULL;

CREATE VIEW runs AS
SELECT e.execution_id,
       e.root_node_id AS flow,
       e.parent_execution_id,
       e.parent_node_id,
       CASE WHEN e.end_type IS NULL THEN 'incomplete'
            WHEN e.end_type = 5 OR e.error_nodes > 0 THEN 'error'
            ELSE 'completed' END AS status,
       e.start_us / 1000.0::double precision AS start_time,
       e.end_us / 1000.0::double precision AS end_time,
       (e.end_us - e.start_us) / 1000.0::double precision AS duration_ms,
       e.event_count,
       e.last_us / 1000.0::double precision AS last_event_time
FROM executions e;

CREATE VIEW node_runs AS
SELECT x.execution_id,
       x.root_node_id AS flow,
       n.node AS node_id,
       n.name,
       n.type,
       n.parent AS parent_id,
       n.position,
       CASE n.state WHEN 1 THEN 'pending' WHEN 2 THEN 'executing' WHEN 3 THEN 'completed'
                    WHEN 4 THEN 'error' WHEN 5 THEN 'skipped' END AS state,
       n.start_us / 1000.0::double precision AS start_time,
       n.end_us / 1000.0::double precision AS end_time,
       (n.end_us - n.start_us) / 1000.0::double precision AS duration_ms,
       n.progress,
       n.error_message
FROM run_nodes n
JOIN executions x ON x.id = n.execution
WHERE n.declared;

CREATE VIEW nodes AS
SELECT flow, node_id, max(name) AS name, max(type) AS type,
       count(*) AS runs,
       -- NULL when no run of the node has a state (SQLite's sum(state = 'error')).
       sum((state = 'error')::integer) AS failures,
       avg(duration_ms) AS mean_duration_ms
FROM node_runs
GROUP BY flow, node_id;

CREATE VIEW events AS
SELECT x.execution_id,
       e.seq,
       (e.ts_us + x.base_us) / 1000.0::double precision AS timestamp,
       CASE e.type WHEN 1 THEN 'started' WHEN 2 THEN 'progress' WHEN 3 THEN 'state-change'
                   WHEN 4 THEN 'completed' WHEN 5 THEN 'error' END AS type,
       e.node AS node_id,
       CASE WHEN e.layout IS NULL THEN coalesce(e.data, '{}')
            WHEN e.layout >= 1000 THEN substr(coalesce(e.data, ''), 1, e.layout - 1000) || g.text
                                       || substr(coalesce(e.data, ''), e.layout - 1000 + 1)
            ELSE l.opening || coalesce(e.data, '') || '}' END AS data
FROM event_log e
JOIN executions x ON x.id = e.execution
LEFT JOIN layouts l ON l.layout = e.layout
LEFT JOIN graphs g ON g.id = e.graph;
