// The sending rules against a scripted HTTP server (node:http), where the answers can
// be chosen: Retry-After honoured, a 503's partial store resumed at the first line
// not stored, a dropped connection retried with the same bytes (same seqs), a 401
// not retried; close({ timeoutMs }) gives up and counts the loss; a process exiting
// with unacknowledged events says how many were lost.
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { once } from "node:events";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createRecorder, RecorderError } from "../dist/index.js";

/** A server whose handler answers request i with script[i] (then 200 with a count). */
async function scriptedServer(t, script) {
  const requests = [];
  const server = http.createServer(async (req, res) => {
    let body = "";
    for await (const chunk of req) body += chunk;
    const lines = body.split("\n").filter(Boolean).map((l) => JSON.parse(l));
    requests.push({ at: performance.now(), lines, headers: req.headers });
    const step = script[requests.length - 1];
    if (step === "drop") return req.socket.destroy();
    const [status, json, headers = {}] = step ?? [200, { stored: lines.length, duplicates: 0 }];
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(JSON.stringify(json));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  t.after(() => new Promise((r) => server.close(r)));
  return { url: `http://127.0.0.1:${server.address().port}`, requests };
}

const NODES = [
  { id: "r", name: "R", type: "flow" },
  { id: "a", name: "A", type: "task", parentId: "r" },
];

async function recordFive(rec) {
  const run = await rec.startRun({ rootNodeId: "r", nodes: NODES });
  await run.nodeState("a", "executing");
  await run.progress("a", 50);
  await run.nodeState("a", "completed");
  await run.complete();
  return run;
}

test("503 with Retry-After: waits that long, resends from the first line not stored", async (t) => {
  const srv = await scriptedServer(t, [
    [503, { error: "busy", code: "busy", stored: 2, duplicates: 0 }, { "retry-after": "1" }],
    [429, { error: "slow down", code: "busy" }, { "retry-after": "1" }],
  ]);
  const seen = [];
  const rec = createRecorder({ url: srv.url, token: "s3cret-token-0123", retryBaseMs: 1, onError: (e) => seen.push(e) });
  await recordFive(rec);
  await rec.close();
  assert.equal(srv.requests.length, 3);
  assert.deepEqual(srv.requests.map((r) => r.lines.map((l) => l.seq)), [[1, 2, 3, 4, 5], [3, 4, 5], [3, 4, 5]]);
  assert.ok(srv.requests[1].at - srv.requests[0].at >= 990, "Retry-After: 1 honoured");
  assert.ok(srv.requests[2].at - srv.requests[1].at >= 990, "Retry-After: 1 honoured (429)");
  assert.equal(srv.requests[0].headers.authorization, "Bearer s3cret-token-0123");
  assert.equal(srv.requests[0].headers["content-type"], "application/x-ndjson");
  assert.deepEqual(seen.map((e) => [e.kind, e.status, e.attempt]), [["retrying", 503, 1], ["retrying", 429, 2]]);
  const s = rec.stats();
  assert.equal(s.acknowledged, 5);
  assert.equal(s.retries, 2);
});

test("a dropped connection is retried with the same events (same seqs, same bytes)", async (t) => {
  const srv = await scriptedServer(t, ["drop", "drop"]);
  const rec = createRecorder({ url: srv.url, retryBaseMs: 5 });
  await recordFive(rec);
  await rec.flush();
  assert.equal(srv.requests.length, 3);
  assert.deepEqual(srv.requests[2].lines, srv.requests[0].lines);
  assert.equal(rec.stats().retries, 2);
  await rec.close();
});

test("401 is final: reported, not retried, flush rejects", async (t) => {
  const srv = await scriptedServer(t, [[401, { error: "missing or wrong bearer token", code: "unauthorized" }]]);
  const rec = createRecorder({ url: srv.url });
  await recordFive(rec);
  await assert.rejects(rec.flush(), (e) => e instanceof RecorderError && e.status === 401 && e.code === "unauthorized" && e.events === 5);
  assert.equal(srv.requests.length, 1);
  assert.equal(rec.stats().rejected, 5);
  await rec.close();
});

test("close({ timeoutMs }) with the server gone: gives up at the deadline, counts the loss", async () => {
  // A port nothing listens on: every attempt is ECONNREFUSED.
  const probe = http.createServer().listen(0, "127.0.0.1");
  await once(probe, "listening");
  const url = `http://127.0.0.1:${probe.address().port}`;
  await new Promise((r) => probe.close(r));
  const errors = [];
  const rec = createRecorder({ url, retryBaseMs: 10, retryMaxMs: 50, reportLostOnExit: false, onError: (e) => errors.push(e) });
  await recordFive(rec);
  const t0 = performance.now();
  await assert.rejects(rec.close({ timeoutMs: 400 }), (e) => e instanceof RecorderError && e.kind === "lost" && e.events === 5);
  assert.ok(performance.now() - t0 < 2_000);
  assert.equal(rec.stats().lost, 5);
  assert.equal(rec.stats().buffered, 0);
  assert.ok(errors.some((e) => e.retryable && /ECONNREFUSED/.test(e.message)));
});

test("calls waiting for room when close({ timeoutMs }) gives up resolve; their events count as lost", async () => {
  const probe = http.createServer().listen(0, "127.0.0.1");
  await once(probe, "listening");
  const url = `http://127.0.0.1:${probe.address().port}`;
  await new Promise((r) => probe.close(r));
  const rec = createRecorder({ url, maxBuffered: 3, retryBaseMs: 10, retryMaxMs: 50, reportLostOnExit: false });
  const run = await rec.startRun({ rootNodeId: "r", nodes: NODES });
  const calls = [10, 20, 30, 40].map((p) => run.progress("a", p));
  assert.equal(rec.stats().buffered, 3);
  assert.equal(rec.stats().waiting, 2);
  await assert.rejects(rec.close({ timeoutMs: 200 }), (e) => e.kind === "lost" && e.events === 5);
  await Promise.all(calls);
  assert.deepEqual([rec.stats().lost, rec.stats().buffered, rec.stats().waiting], [5, 0, 0]);
});

test("a process exiting with unacknowledged events prints how many were lost", async () => {
  const script = `
    import { createRecorder } from ${JSON.stringify(new URL("../dist/index.js", import.meta.url).href)};
    const rec = createRecorder({ url: "http://127.0.0.1:9", retryBaseMs: 10 });
    const run = await rec.startRun({ rootNodeId: "r", nodes: [{ id: "r", name: "R", type: "t" }] });
    for (let i = 0; i < 6; i++) await run.nodeState("r", "executing");
    setTimeout(() => process.exit(0), 100);
  `;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const [code] = await once(child, "exit");
  assert.equal(code, 0);
  assert.match(stderr, /^extrace-client: 7 events not acknowledged were lost$/m);
});
