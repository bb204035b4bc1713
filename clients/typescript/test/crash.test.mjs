// The server SIGKILLed in the middle of a recording and restarted on the same port:
// the client retries its batches with the same seqs, and the store ends with every
// event exactly once.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { createRecorder } from "../dist/index.js";
import { flowNodes, sleep, startServe, storedEvents, tempDir } from "./helpers.mjs";

test("serve SIGKILLed mid-recording and restarted: every event stored exactly once", async (t) => {
  const dir = await tempDir(t);
  const db = path.join(dir, "store.db");
  let server = await startServe(t, { db });
  const port = server.port;
  const retries = [];
  const rec = createRecorder({
    url: server.url,
    batchSize: 200,
    maxBuffered: 2_000,
    retryBaseMs: 20,
    retryMaxMs: 250,
    onError: (e) => retries.push(e),
  });
  const nodes = flowNodes("crash", 8, 7); // 65 nodes
  const leaves = nodes.filter((n) => n.type === "task").map((n) => n.id);
  const run = await rec.startRun({ rootNodeId: "crash", nodes });
  const total = 12_000;
  let restarted;
  for (let i = 1; i < total - 1; i++) {
    const node = leaves[i % leaves.length];
    await run.progress(node, (i % 100) + 0.5, `step ${i}`);
    if (i % 500 === 0) await sleep(1); // let answers in, as a real engine would
    if (i === 4_000) {
      assert.ok(rec.stats().acknowledged > 0, "some events were acknowledged before the kill");
      await server.kill();
      restarted = sleep(400).then(async () => {
        server = await startServe(t, { db, port });
      });
    }
  }
  await run.complete();
  await rec.close({ timeoutMs: 30_000 });
  await restarted;

  const s = rec.stats();
  assert.equal(s.enqueued, total);
  assert.equal(s.acknowledged, total);
  assert.equal(s.stored + s.duplicates, total);
  assert.equal(s.lost, 0);
  assert.ok(s.retries > 0, "the batches were retried");
  assert.ok(retries.every((e) => e.retryable && e.kind === "retrying"));
  assert.ok(s.maxBufferedSeen <= 2_000);

  const events = await storedEvents(db, run.executionId);
  assert.equal(events.length, total);
  events.forEach((e, i) => assert.equal(e.seq, i + 1));
  assert.equal(events.at(-1).type, "completed");
});
