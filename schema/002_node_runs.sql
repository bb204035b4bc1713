-- Schema version 2: the per-node facts of every run, an index by flow, and the
-- stable read-only views of `extrace query` (documented in schema/README.md).
-- storage/migrations.cc rebuilds the summaries from the event log after this
-- file runs on a database that already holds events.

ALTER TABLE run_nodes ADD COLUMN parent INTEGER;        -- strings.id of the declared parentId
ALTER TABLE run_nodes ADD COLUMN position INTEGER;      -- index in the declaring `started`
ALTER TABLE run_nodes ADD COLUMN name INTEGER;          -- strings.id
ALTER TABLE run_nodes ADD COLUMN type INTEGER;          -- strings.id
ALTER TABLE run_nodes ADD COLUMN start_seq INTEGER;     -- the first `executing` state-change (lowest seq)
ALTER TABLE run_nodes ADD COLUMN start_us INTEGER;
ALTER TABLE run_nodes ADD COLUMN end_us INTEGER;        -- the last state-change's time, while it is terminal
ALTER TABLE run_nodes ADD COLUMN progress REAL;         -- the last progress event's value (by seq)
ALTER TABLE run_nodes ADD COLUMN progress_seq INTEGER;
ALTER TABLE run_nodes ADD COLUMN error_message TEXT;    -- errorMessage of the last state, when it is error

CREATE INDEX executions_by_flow ON executions(root_node_id, start_us);

CREATE VIEW runs AS
SELECT e.execution_id,
       e.root_node_id AS flow,
       e.parent_execution_id,
       e.parent_node_id,
       CASE WHEN e.end_type IS NULL THEN 'incomplete'
            WHEN e.end_type = 5 OR e.error_nodes > 0 THEN 'error'
            ELSE 'completed' END AS status,
       e.start_us / 1000.0 AS start_time,
       e.end_us / 1000.0 AS end_time,
       (e.end_us - e.start_us) / 1000.0 AS duration_ms,
       e.event_count,
       e.last_us / 1000.0 AS last_event_time
FROM executions e;

CREATE VIEW node_runs AS
SELECT x.execution_id,
       x.root_node_id AS flow,
       node.value AS node_id,
       name.value AS name,
       type.value AS type,
       parent.value AS parent_id,
       n.position,
       CASE n.state WHEN 1 THEN 'pending' WHEN 2 THEN 'executing' WHEN 3 THEN 'completed'
                    WHEN 4 THEN 'error' WHEN 5 THEN 'skipped' END AS state,
       n.start_us / 1000.0 AS start_time,
       n.end_us / 1000.0 AS end_time,
       (n.end_us - n.start_us) / 1000.0 AS duration_ms,
       n.progress,
       n.error_message
FROM run_nodes n
JOIN executions x ON x.id = n.execution
JOIN strings node ON node.id = n.node
LEFT JOIN strings name ON name.id = n.name
LEFT JOIN strings type ON type.id = n.type
LEFT JOIN strings parent ON parent.id = n.parent
WHERE n.declared = 1;

CREATE VIEW nodes AS
SELECT flow, node_id, max(name) AS name, max(type) AS type,
       count(*) AS runs,
       sum(state = 'error') AS failures,
       avg(duration_ms) AS mean_duration_ms
FROM node_runs
GROUP BY flow, node_id;

CREATE VIEW events AS
SELECT x.execution_id,
       e.seq,
       e.ts_us / 1000.0 AS timestamp,
       CASE e.type WHEN 1 THEN 'started' WHEN 2 THEN 'progress' WHEN 3 THEN 'state-change'
                   WHEN 4 THEN 'completed' WHEN 5 THEN 'error' END AS type,
       node.value AS node_id,
       coalesce(e.data, '{}') AS data
FROM event_log e
JOIN executions x ON x.id = e.execution
LEFT JOIN strings node ON node.id = e.node;
