-- Schema version 3: compact event rows. Nothing already stored is rewritten:
-- rows and runs written before this version keep layout and base_us NULL, which
-- means "data is the whole JSON text" and "ts_us is absolute".
--
-- event_log.layout says how `data` is stored (storage/payload_layout.h):
--   NULL       data is the event's whole data object as canonical JSON (NULL: {})
--   1 .. 99    a known opening such as {"state":"completed" or {"progress": is
--              left out: the object is opening || coalesce(data, '') || '}'
--   >= 1000    a `started` whose `nodes` array (the graph) sits in `graphs`,
--              stored once per distinct graph: the object is data with the graph
--              text inserted after its first (layout - 1000) characters
-- executions.base_us: the timestamp of the run's first appended event; its rows
-- store ts_us relative to it (small numbers take fewer bytes). NULL: absolute.

ALTER TABLE event_log ADD COLUMN layout INTEGER;
ALTER TABLE event_log ADD COLUMN graph INTEGER;  -- graphs.id when layout >= 1000
ALTER TABLE executions ADD COLUMN base_us INTEGER;

CREATE TABLE graphs (
  id   INTEGER PRIMARY KEY,
  hash INTEGER NOT NULL,  -- of text, to find an equal graph without comparing every one
  text TEXT NOT NULL      -- canonical JSON of a `started` event's `nodes` array
) STRICT;
CREATE INDEX graphs_by_hash ON graphs(hash);

-- The openings of layouts 1 .. 99. Never renumber; only add.
CREATE TABLE layouts (
  layout  INTEGER PRIMARY KEY,
  opening TEXT NOT NULL
) STRICT;
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

DROP VIEW events;
CREATE VIEW events AS
SELECT x.execution_id,
       e.seq,
       (e.ts_us + coalesce(x.base_us, 0)) / 1000.0 AS timestamp,
       CASE e.type WHEN 1 THEN 'started' WHEN 2 THEN 'progress' WHEN 3 THEN 'state-change'
                   WHEN 4 THEN 'completed' WHEN 5 THEN 'error' END AS type,
       node.value AS node_id,
       CASE WHEN e.layout IS NULL THEN coalesce(e.data, '{}')
            WHEN e.layout >= 1000 THEN substr(e.data, 1, e.layout - 1000) || g.text
                                       || substr(e.data, e.layout - 1000 + 1)
            ELSE l.opening || coalesce(e.data, '') || '}' END AS data
FROM event_log e
JOIN executions x ON x.id = e.execution
LEFT JOIN strings node ON node.id = e.node
LEFT JOIN layouts l ON l.layout = e.layout
LEFT JOIN graphs g ON g.id = e.graph;
