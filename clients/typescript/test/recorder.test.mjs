// The recorder against a real `extrace serve`: a nested run with a child run and an
// error, read back through the query client, equals `extrace show --json`; the same
// through a JSON Lines file and `extrace ingest`; the query client's documents equal
// the CLI's --json; local misuse is refused before anything is sent.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { readFile, writeFile } from "node:fs/promises";
import { createRecorder, createClient, ExtraceHttpError } from "../dist/index.js";
import { cli, showJson, startServe, storedEvents, tempDir } from "./helpers.mjs";

const NODES = [
  { id: "etl", name: "ETL", type: "flow" },
  { id: "load", name: "Load", type: "task", parentId: "etl" },
  { id: "transform", name: "Transform", type: "group", parentId: "etl" },
  { id: "clean", name: "Clean", type: "task", parentId: "transform", weight: 2 },
  { id: "enrich", name: "Enrich", type: "task", parentId: "transform" },
  { id: "validate", name: "Validate", type: "group", parentId: "etl" },
  { id: "save", name: "Save", type: "task", parentId: "etl" },
];

/** Records one nested run (group, child run, a node error); returns its handle and child's. */
async function recordNested(rec, { fail = true } = {}) {
  const run = await rec.startRun({ rootNodeId: "etl", nodes: NODES, config: { source: "s3://bucket", retries: 2 } });
  await run.nodeState("load", "executing");
  for (const p of [25, 50, 75]) await run.progress("load", p, `${p}% loaded`);
  await run.nodeState("load", "completed");
  await run.nodeState("clean", "executing");
  await run.progress("clean", 40);
  await run.nodeState("clean", "completed");
  await run.nodeState("enrich", "executing");
  if (fail) await run.nodeState("enrich", "error", { errorMessage: "lookup service: 502 Bad Gateway" });
  else await run.nodeState("enrich", "completed");
  await run.nodeState("validate", "executing");
  const child = await run.startChildRun("validate", {
    rootNodeId: "checks",
    nodes: [
      { id: "checks", name: "Checks", type: "flow" },
      { id: "schema", name: "Schema", type: "task", parentId: "checks" },
      { id: "totals", name: "Totals", type: "task", parentId: "checks" },
    ],
  });
  await child.nodeState("schema", "executing");
  await child.nodeState("schema", "completed");
  await child.nodeState("totals", "executing");
  await child.progress("totals", 100, "summed");
  await child.nodeState("totals", "completed");
  await child.complete();
  await run.nodeState("validate", "completed");
  await run.nodeState("save", "skipped");
  if (fail) await run.fail("enrich failed");
  else await run.complete();
  return { run, child };
}

test("a nested run with a child run and an error: getRun equals extrace show --json", async (t) => {
  const dir = await tempDir(t);
  const db = path.join(dir, "store.db");
  const server = await startServe(t, { db });
  const errors = [];
  const rec = createRecorder({ url: server.url, onError: (e) => errors.push(e) });
  const { run, child } = await recordNested(rec);
  await rec.close();
  assert.deepEqual(errors, []);
  const s = rec.stats();
  assert.equal(s.enqueued, 22);
  assert.equal(s.acknowledged, 22);
  assert.equal(s.stored, 22);
  assert.equal(s.buffered, 0);

  const client = createClient({ url: server.url });
  const trace = await client.getRun(run.executionId);
  assert.deepEqual(trace, await showJson(db, run.executionId));
  assert.equal(trace.status, "error");
  assert.deepEqual(trace.config, { source: "s3://bucket", retries: 2 });
  const transform = trace.nodes.find((n) => n.nodeId === "transform");
  const enrich = transform.childTraces.find((n) => n.nodeId === "enrich");
  assert.equal(enrich.state, "error");
  assert.equal(enrich.events.at(-1).data.errorMessage, "lookup service: 502 Bad Gateway");
  const validate = trace.nodes.find((n) => n.nodeId === "validate");
  const childNode = validate.childTraces.find((n) => n.executionId === child.executionId);
  assert.equal(childNode.nodeId, "checks");
  assert.equal(childNode.state, "completed");
  assert.deepEqual(
    childNode.childTraces.map((n) => [n.nodeId, n.state]),
    [["schema", "completed"], ["totals", "completed"]],
  );
  // The events are numbered by the client: 1..N, in call order.
  const events = await storedEvents(db, run.executionId);
  assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => i + 1));
  assert.equal(events[0].type, "started");
  assert.equal(events.at(-1).type, "error");
  assert.equal(trace.events.length, events.length);

  const childTrace = await client.getRun(child.executionId);
  assert.deepEqual(childTrace, await showJson(db, child.executionId));
  assert.equal(childTrace.parentExecutionId, run.executionId);
  assert.equal(childTrace.parentNodeId, "validate");
});

test("the query client's documents equal the CLI's --json", async (t) => {
  const dir = await tempDir(t);
  const db = path.join(dir, "store.db");
  const server = await startServe(t, { db });
  const rec = createRecorder({ url: server.url });
  const ids = [];
  for (let i = 0; i < 4; i++) ids.push((await recordNested(rec, { fail: i === 2 })).run.executionId);
  await rec.close();
  const client = createClient({ url: server.url });
  const json = async (args) => JSON.parse((await cli(["--db", db, ...args, "--json"])).stdout);

  assert.deepEqual(await client.listRuns(), await json(["list"]));
  assert.deepEqual(await client.listRuns({ flow: "etl", status: "error", limit: 5 }), await json(["list", "--flow", "etl", "--status", "error", "--limit", "5"]));
  assert.equal((await client.listRuns({ flow: "etl" })).length, 4);
  const hourAgo = Date.now() - 3600_000;
  assert.deepEqual(await client.listRuns({ since: new Date(hourAgo) }), await json(["list", "--since", String(hourAgo)]));
  assert.deepEqual(await client.compare(ids[0], ids[1]), await json(["compare", ids[0], ids[1]]));
  assert.deepEqual(await client.bottlenecks(ids[1]), await json(["bottlenecks", ids[1]]));
  assert.deepEqual(await client.history("etl"), await json(["history", "etl"]));
  assert.deepEqual(await client.regressions("etl"), await json(["regressions", "etl"]));
  assert.deepEqual(await client.getRun("latest"), await showJson(db, "latest"));
  assert.deepEqual(await client.events(ids[0]), await storedEvents(db, ids[0]));
  assert.equal((await client.flows()).flows[0].flow, "etl");
  assert.equal((await client.health()).status, "ok");

  await assert.rejects(client.getRun("no-such-run"), (e) => e instanceof ExtraceHttpError && e.status === 404 && e.code === "not_found");
});

test("file mode: JSON Lines that extrace ingest takes, one write per batch", async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, "events.jsonl");
  const db = path.join(dir, "store.db");
  const rec = createRecorder({ file, batchSize: 10 });
  const { run, child } = await recordNested(rec);
  await rec.close();
  assert.equal(rec.stats().requests, 3); // 22 events, 10 a write
  const lines = (await readFile(file, "utf8")).split("\n").filter(Boolean);
  assert.equal(lines.length, 22);
  const first = JSON.parse(lines[0]);
  assert.deepEqual(Object.keys(first), ["executionId", "seq", "timestamp", "type", "data"]);

  const r = await cli(["--db", db, "ingest", file]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr + r.stdout, /stored 22 events, 0 duplicates/);
  const again = await cli(["--db", db, "ingest", file]);
  assert.match(again.stderr + again.stdout, /stored 0 events, 22 duplicates/);
  const trace = await showJson(db, run.executionId);
  assert.equal(trace.status, "error");
  assert.ok(trace.nodes.find((n) => n.nodeId === "validate").childTraces.some((n) => n.executionId === child.executionId));
});

test("local misuse is refused before anything is recorded", async (t) => {
  const dir = await tempDir(t);
  const rec = createRecorder({ file: path.join(dir, "x.jsonl") });
  await assert.rejects(rec.startRun({ rootNodeId: "a", nodes: [{ id: "b", name: "B", type: "t" }] }), /rootNodeId: "a" is not one of nodes/);
  await assert.rejects(
    rec.startRun({ rootNodeId: "a", nodes: [{ id: "a", name: "A", type: "t" }, { id: "b", name: "B", type: "t", parentId: "zz" }] }),
    /nodes\[1\]\.parentId/,
  );
  const run = await rec.startRun({ rootNodeId: "a", nodes: [{ id: "a", name: "A", type: "t" }, { id: "b", name: "B", type: "t", parentId: "a" }] });
  assert.match(run.executionId, /^[0-9a-f-]{36}$/);
  await assert.rejects(run.progress("b", 150), RangeError);
  await assert.rejects(run.progress("b", NaN), RangeError);
  await assert.rejects(run.nodeState("b", "done"), /state: "done" is not one of/);
  await assert.rejects(run.nodeState("nope", "executing"), /nodeId: "nope" is not a node/);
  await assert.rejects(run.complete({ timestamp: "soon" }), /timestamp/);
  await run.nodeState("b", "executing", { timestamp: 1_700_000_000_000.25 });
  await run.complete();
  await rec.close();
  assert.equal(rec.stats().enqueued, 3); // started, executing, completed: nothing else
  await assert.rejects(run.progress("b", 10), /closed/);
  const lines = (await readFile(path.join(dir, "x.jsonl"), "utf8")).split("\n").filter(Boolean).map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => l.seq), [1, 2, 3]);
  assert.equal(lines[1].timestamp, 1_700_000_000_000.25);
  assert.throws(() => createRecorder({}), /either url or file/);
});

test("a server with --token-file: the token is sent; without it the batch is refused (401), not retried", async (t) => {
  const dir = await tempDir(t);
  const tokenFile = path.join(dir, "token");
  const token = "tok-0123456789abcdef";
  await writeFile(tokenFile, `${token}\n`);
  const server = await startServe(t, { db: path.join(dir, "store.db"), args: ["--token-file", tokenFile] });
  const rec = createRecorder({ url: server.url, token });
  const run = await rec.startRun({ rootNodeId: "a", nodes: [{ id: "a", name: "A", type: "t" }] });
  await run.complete();
  await rec.close();
  const client = createClient({ url: server.url, token });
  assert.equal((await client.getRun(run.executionId)).status, "completed");
  await assert.rejects(createClient({ url: server.url }).getRun(run.executionId), (e) => e.status === 401);

  const anonymous = createRecorder({ url: server.url });
  const other = await anonymous.startRun({ rootNodeId: "a", nodes: [{ id: "a", name: "A", type: "t" }] });
  await other.complete();
  await assert.rejects(anonymous.close(), (e) => e.status === 401 && e.code === "unauthorized" && e.events === 2);
  assert.equal(anonymous.stats().retries, 0);
});
