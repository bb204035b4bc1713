// Back-pressure: the store held busy by another writer (sqlite3 with BEGIN IMMEDIATE),
// serve started with --busy-budget-ms 200 so it answers 503 + Retry-After. The
// recording calls wait instead of dropping: at most maxBuffered events are held, and
// nothing is lost once the store frees up. With dropWhenFull the excess is dropped
// and counted instead.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import path from "node:path";
import { createRecorder } from "../dist/index.js";
import { flowNodes, sleep, startServe, storedEvents, tempDir } from "./helpers.mjs";

/** Holds the store's write lock from another process until release(). */
async function holdWriteLock(db) {
  const proc = spawn("sqlite3", [db], { stdio: ["pipe", "pipe", "inherit"] });
  proc.stdin.write(".timeout 10000\nBEGIN IMMEDIATE;\nSELECT 'locked';\n");
  await new Promise((resolve, reject) => {
    let out = "";
    proc.stdout.on("data", (d) => {
      out += d;
      if (out.includes("locked")) resolve();
    });
    proc.once("exit", (code) => reject(new Error(`sqlite3 exited ${code}`)));
  });
  return {
    release() {
      proc.stdin.end("COMMIT;\n.quit\n");
      return new Promise((r) => proc.once("exit", r));
    },
  };
}

test("a busy store: recording waits at maxBuffered, nothing lost; dropWhenFull drops and counts", async (t) => {
  const dir = await tempDir(t);
  const db = path.join(dir, "store.db");
  const server = await startServe(t, { db, args: ["--busy-budget-ms", "200"] });
  const nodes = flowNodes("busy", 4, 5);
  const leaves = nodes.filter((n) => n.type === "task").map((n) => n.id);
  const lock = await holdWriteLock(db);

  const maxBuffered = 1_000;
  const busyErrors = [];
  const rec = createRecorder({
    url: server.url,
    maxBuffered,
    batchSize: 100,
    onError: (e) => busyErrors.push(e),
  });
  const run = await rec.startRun({ rootNodeId: "busy", nodes });
  const total = 5_000;
  let recorded = 1;
  let peak = 0;
  const recording = (async () => {
    for (let i = 1; i < total; i++) {
      await run.progress(leaves[i % leaves.length], i % 101);
      recorded++;
      peak = Math.max(peak, rec.stats().buffered);
    }
  })();

  const dropping = createRecorder({ url: server.url, maxBuffered: 300, batchSize: 100, dropWhenFull: true });
  const dropRun = await dropping.startRun({ rootNodeId: "busy", nodes });
  for (let i = 1; i < 2_000; i++) await dropRun.progress(leaves[i % leaves.length], i % 101);

  // serve answers 503 once its busy budget (and SQLite's own wait) ran out: about 2 s.
  for (let waited = 0; !busyErrors.some((e) => e.status === 503) && waited < 15_000; waited += 100) await sleep(100);
  const held = rec.stats();
  assert.ok(recorded <= maxBuffered, `recording waits: ${recorded} calls returned while the store is held`);
  assert.ok(held.buffered <= maxBuffered && held.enqueued <= maxBuffered, JSON.stringify(held));
  assert.ok(held.waiting >= 1, "a recording call is waiting for room");
  assert.equal(held.dropped, 0);
  assert.equal(held.acknowledged, 0);
  assert.ok(busyErrors.some((e) => e.status === 503 && e.code === "busy" && e.retryable), `503 busy was retried: ${busyErrors.map((e) => e.message).join("; ")}`);
  const d = dropping.stats();
  assert.equal(d.enqueued, 300);
  assert.equal(d.dropped, 2_000 - 300);
  assert.equal(d.waiting, 0);

  await lock.release();
  await recording;
  await rec.close({ timeoutMs: 20_000 });
  await dropping.close({ timeoutMs: 20_000 });
  const s = rec.stats();
  assert.equal(s.acknowledged, total);
  assert.equal(s.lost + s.dropped + s.rejected, 0);
  assert.ok(s.maxBufferedSeen <= maxBuffered && peak <= maxBuffered, `peak ${s.maxBufferedSeen}`);
  const events = await storedEvents(db, run.executionId);
  assert.equal(events.length, total);
  events.forEach((e, i) => assert.equal(e.seq, i + 1));
  // The dropping recorder's events have no gaps: a dropped event takes no seq.
  const kept = await storedEvents(db, dropRun.executionId);
  assert.equal(kept.length, 300);
  assert.equal(kept.at(-1).seq, 300);
});
