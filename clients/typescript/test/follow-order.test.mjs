// follow() delivers in seq order when a run's requests commit out of order (seq 5
// stored before seq 4: the stream sends 5 first, with a watermark id), and gives a
// missing seq up as a hole after holdGapMs.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { createClient } from "../dist/index.js";
import { sleep, startServe, tempDir } from "./helpers.mjs";

test("follow() yields in seq order across out-of-order commits; a hole is given up", async (t) => {
  const dir = await tempDir(t);
  const server = await startServe(t, { db: path.join(dir, "store.db") });
  const executionId = "out-of-order";
  const ev = (seq, type, extra = {}) => ({ executionId, seq, timestamp: 1_000 + seq, type, ...extra });
  const progress = (seq) => ev(seq, "progress", { nodeId: "a", data: { progress: seq } });
  const post = async (events) => {
    const res = await fetch(`${server.url}/v1/events`, { method: "POST", body: events.map((e) => JSON.stringify(e)).join("\n") });
    assert.equal(res.status, 200, await res.text());
  };
  await post([
    ev(1, "started", { data: { rootNodeId: "a", nodes: [{ id: "a", name: "A", type: "t" }] } }),
    ev(2, "state-change", { nodeId: "a", data: { state: "executing" } }),
    progress(3),
  ]);
  await post([progress(5), progress(6)]); // 4 is not there yet

  const seqs = [];
  let end;
  const following = (async () => {
    for await (const item of createClient({ url: server.url }).follow(executionId, { holdGapMs: 1_000 })) {
      if (item.type === "event") seqs.push(item.seq);
      else if (item.type === "end") end = item.status;
    }
  })();
  await sleep(400);
  assert.deepEqual(seqs, [1, 2, 3], "5 and 6 wait for 4");
  await post([progress(4)]);
  await sleep(400);
  assert.deepEqual(seqs, [1, 2, 3, 4, 5, 6]);

  await post([progress(8)]); // 7 never comes: a hole
  await sleep(300);
  assert.deepEqual(seqs, [1, 2, 3, 4, 5, 6]);
  await sleep(2_500);
  assert.deepEqual(seqs, [1, 2, 3, 4, 5, 6, 8], "the hole was given up");
  await post([ev(9, "state-change", { nodeId: "a", data: { state: "completed" } }), ev(10, "completed")]);
  await following;
  assert.deepEqual(seqs, [1, 2, 3, 4, 5, 6, 8, 9, 10]);
  assert.equal(end, "completed");
});
