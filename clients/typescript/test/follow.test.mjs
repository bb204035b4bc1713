// follow(): every event of a run recorded by another process, in order, once each,
// across a forced reconnect (a proxy between the client and serve cuts the stream),
// then the child run's announcement and the end.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createClient, createRecorder } from "../dist/index.js";
import { startProxy, startServe, storedEvents, tempDir } from "./helpers.mjs";

const fixture = fileURLToPath(new URL("./fixtures/record-run.mjs", import.meta.url));

test("follow() sees every event of a run recorded by another process, across a forced reconnect", async (t) => {
  const dir = await tempDir(t);
  const db = path.join(dir, "store.db");
  const server = await startServe(t, { db });
  const proxy = await startProxy(t, server);
  const executionId = "followed-run";
  const total = 400;

  const client = createClient({ url: proxy.url });
  const reconnects = [];
  const items = [];
  // Subscribe first: the server waits for a run id it does not have yet.
  const following = (async () => {
    for await (const item of client.follow(executionId, {
      reconnectDelayMs: 20,
      onReconnect: (why, last) => reconnects.push({ why, last }),
    })) {
      items.push(item);
      if (items.length === 150) proxy.cut(); // a dropped connection in the middle of the run
    }
  })();
  const recorder = spawn(process.execPath, [fixture, server.url, executionId, String(total), "5"], { stdio: "inherit" });
  const [code] = await once(recorder, "exit");
  assert.equal(code, 0);
  await following;

  assert.ok(reconnects.length >= 1, "the stream was reconnected");
  assert.ok(reconnects[0].last >= 140, `resumed after seq ${reconnects[0].last}`);
  const events = items.filter((i) => i.type === "event");
  assert.deepEqual(events.map((i) => i.seq), Array.from({ length: total }, (_, i) => i + 1));
  assert.deepEqual(events.map((i) => i.event), await storedEvents(db, executionId));
  assert.equal(items.filter((i) => i.type === "child-run").length, 1);
  assert.deepEqual(items.at(-1), { type: "end", status: "completed" });
});

test("follow() of an ended run replays it and ends; resuming at its end is a 204: nothing", async (t) => {
  const dir = await tempDir(t);
  const server = await startServe(t, { db: path.join(dir, "store.db") });
  const rec = createRecorder({ url: server.url });
  const run = await rec.startRun({ rootNodeId: "a", nodes: [{ id: "a", name: "A", type: "t" }] });
  await run.nodeState("a", "executing");
  await run.nodeState("a", "completed");
  await run.complete();
  await rec.close();
  const client = createClient({ url: server.url });
  const all = [];
  for await (const item of client.follow(run.executionId)) all.push(item);
  assert.deepEqual(all.map((i) => i.type), ["event", "event", "event", "event", "end"]);
  const after = [];
  for await (const item of client.follow(run.executionId, { lastEventId: 4 })) after.push(item);
  assert.deepEqual(after, []);
  // Resuming in the middle gives the rest.
  const rest = [];
  for await (const item of client.follow(run.executionId, { lastEventId: 2 })) rest.push(item);
  assert.deepEqual(rest.map((i) => i.seq ?? i.type), [3, 4, "end"]);
  // Breaking out early closes the stream.
  for await (const item of client.follow(run.executionId)) {
    assert.equal(item.seq, 1);
    break;
  }
});
