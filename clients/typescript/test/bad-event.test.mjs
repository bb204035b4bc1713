// Refusals: a bad event reaching the server (progress 150, sent with emitUnchecked
// since progress() refuses it locally) surfaces as a rejected flush() naming the
// field; the events before it are stored, the ones after it too; nothing is retried
// blindly. A conflict (409) the same way.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { createRecorder, RecorderError } from "../dist/index.js";
import { startServe, storedEvents, tempDir } from "./helpers.mjs";

const NODES = [
  { id: "root", name: "Root", type: "flow" },
  { id: "n", name: "N", type: "task", parentId: "root" },
];

test("a bad event: flush() rejects naming the field; the events before it are stored", async (t) => {
  const dir = await tempDir(t);
  const db = path.join(dir, "store.db");
  const server = await startServe(t, { db });
  const errors = [];
  const rec = createRecorder({ url: server.url, onError: (e) => errors.push(e) });
  const run = await rec.startRun({ rootNodeId: "root", nodes: NODES });
  await run.nodeState("n", "executing");
  await run.progress("n", 10);
  await run.progress("n", 20);
  await run.emitUnchecked({ type: "progress", nodeId: "n", data: { progress: 150 } }); // seq 5
  await run.progress("n", 30);
  await run.nodeState("n", "completed");
  await run.complete();

  await assert.rejects(rec.flush(), (e) => {
    assert.ok(e instanceof RecorderError);
    assert.equal(e.kind, "rejected");
    assert.equal(e.retryable, false);
    assert.equal(e.status, 400);
    assert.equal(e.code, "invalid_input");
    assert.equal(e.field, "data.progress");
    assert.equal(e.seq, 5);
    assert.equal(e.executionId, run.executionId);
    assert.match(e.message, /^extrace serve refused event seq 5 of run "[^"]+": data\.progress: .*\(HTTP 400, line 5 of its request\)$/);
    assert.match(e.serverMessage, /^line 5: data\.progress: /);
    return true;
  });
  assert.equal(errors.length, 1);
  assert.equal(errors[0].field, "data.progress");
  const s = rec.stats();
  assert.equal(s.rejected, 1);
  assert.equal(s.acknowledged, 7);
  assert.equal(s.retries, 0);
  assert.equal(s.requests, 2); // the batch, then the events after the refused one

  const events = await storedEvents(db, run.executionId);
  assert.deepEqual(events.map((e) => e.seq), [1, 2, 3, 4, 6, 7, 8]);
  // The error was reported once: the next flush and close succeed.
  await rec.flush();
  await rec.close();
});

test("a conflict (409): another event under a stored seq is refused, named, not retried", async (t) => {
  const dir = await tempDir(t);
  const server = await startServe(t, { db: path.join(dir, "store.db") });
  const first = createRecorder({ url: server.url });
  const run = await first.startRun({ executionId: "same-id", rootNodeId: "root", nodes: NODES, timestamp: 1_000 });
  await run.complete({ timestamp: 2_000 });
  await first.close();

  const second = createRecorder({ url: server.url });
  const again = await second.startRun({ executionId: "same-id", rootNodeId: "root", nodes: NODES, timestamp: 5_000 });
  await assert.rejects(second.close(), (e) => e instanceof RecorderError && e.status === 409 && e.code === "conflict" && e.seq === 1 && /conflict/.test(e.message));
  assert.equal(again.executionId, "same-id");
  assert.equal(second.stats().rejected, 1);
  assert.equal(second.stats().retries, 0);
});
