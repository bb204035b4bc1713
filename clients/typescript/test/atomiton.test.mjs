// extrace-atomiton replay against a real `extrace serve`, for each real capture of the
// Atomiton conductor (shared/examples/atomiton/raw/): the run is seen live on SSE while the
// replay goes on, and the stored run (GET /v1/runs/{id}, = extrace show --json) matches the
// conductor's own trace (raw/*.trace.json) and the interpreted stream (../*.jsonl, ingested
// with extrace ingest) within 2 ms. Also a --file replay that extrace ingest accepts.

import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { test } from "node:test";

import {
  extrace, extraceBin, flattenTrace, haveExtrace, packageDir, run, startServe, subscribe,
} from "./helpers/extrace_process.mjs";

const examples = process.env.EXTRACE_ATOMITON_EXAMPLES ??
    resolve(packageDir, "../../../shared/examples/atomiton");
const replayBin = resolve(packageDir, "dist/bin/extrace-atomiton.js");
const kToleranceMs = 2;
/** Replays at half the recorded speed: long enough to see the run grow, short enough for a test. */
const kSpeed = 0.5;
const skip = !haveExtrace ? `no extrace CLI at ${extraceBin} (set EXTRACE_BIN)` : false;

async function loadCase(name) {
  const capturePath = join(examples, "raw", `${name}.capture.json`);
  const capture = JSON.parse(await readFile(capturePath, "utf8"));
  const conductorTrace = JSON.parse(await readFile(join(examples, "raw", `${name}.trace.json`), "utf8"));
  const interpretedPath = join(examples, `${name}.jsonl`);
  const interpretedLines = (await readFile(interpretedPath, "utf8")).split("\n").filter(Boolean);
  const started = capture.events.find((e) => e.channel === "events.started");
  const hr = capture.events.map((e) => e.hr);
  return {
    capturePath, capture, conductorTrace, interpretedPath,
    interpretedId: JSON.parse(interpretedLines[0]).executionId,
    interpretedCount: interpretedLines.length,
    runId: started.payload.executionId,
    spanMs: hr[hr.length - 1] - hr[0],
  };
}

/** The reference: the interpreted stream ingested into its own store, projected by show --json. */
async function referenceTrace(dir, c) {
  const db = join(dir, "reference.db");
  await extrace(["--db", db, "ingest", c.interpretedPath]);
  return JSON.parse(await extrace(["--db", db, "show", c.interpretedId, "--json"]));
}

function near(actual, expected, what, deviations) {
  if (expected === undefined || expected === 0) {
    assert.equal(actual, expected, `${what}: ${actual} where the reference has ${expected}`);
    return;
  }
  assert.equal(typeof actual, "number", `${what}: missing`);
  const deviation = Math.abs(actual - expected);
  deviations.push(deviation);
  assert.ok(deviation <= kToleranceMs, `${what}: ${actual} vs ${expected} (${deviation} ms apart)`);
}

/** Our run against the interpreted stream's: everything the contract projects, times within 2 ms. */
function compareWithInterpreted(ours, ref) {
  const deviations = [];
  assert.equal(ours.status, ref.status, "status");
  assert.equal(ours.rootNodeId, ref.rootNodeId, "rootNodeId");
  assert.equal(ours.progress, ref.progress, "overall progress");
  near(ours.startTime, ref.startTime, "run startTime", deviations);
  near(ours.endTime, ref.endTime, "run endTime", deviations);
  const last = (t) => t.events[t.events.length - 1];
  assert.equal(last(ours).type, last(ref).type, "the run's last event");
  assert.equal(last(ours).data.message, last(ref).data.message, "the run's error message");
  assert.equal(ours.events.length, ref.events.length, "number of events");
  const a = flattenTrace(ours);
  const b = flattenTrace(ref);
  assert.deepEqual([...a.keys()], [...b.keys()], "nodes, in order");
  for (const [id, node] of b) {
    const mine = a.get(id);
    for (const key of ["nodeName", "nodeType", "state", "progress", "parentId"]) {
      assert.equal(mine[key], node[key], `${id}.${key}`);
    }
    near(mine.startTime, node.startTime, `${id}.startTime`, deviations);
    near(mine.endTime, node.endTime, `${id}.endTime`, deviations);
    assert.equal(mine.events.length, node.events.length, `${id}: number of events`);
    node.events.forEach((event, i) => {
      const other = mine.events[i];
      assert.equal(other.type, event.type, `${id}.events[${i}].type`);
      // The contract's fields; the interpreted stream also keeps the engine's extras (atomiton*).
      const fields = (d) => Object.fromEntries(["state", "errorMessage", "progress", "message"]
          .filter((k) => d[k] !== undefined).map((k) => [k, d[k]]));
      assert.deepEqual(fields(other.data), fields(event.data), `${id}.events[${i}].data`);
      near(other.timestamp, event.timestamp, `${id}.events[${i}].timestamp`, deviations);
    });
  }
  return { max: Math.max(0, ...deviations), count: deviations.length,
           exact: deviations.filter((d) => d === 0).length };
}

/** Our run against the conductor's own trace (top-level nodes only: it has no nested ones) and
 * the flow definition's nesting. */
function compareWithConductor(ours, conductorTrace, flow) {
  const deviations = [];
  const nodes = flattenTrace(ours);
  near(ours.startTime, conductorTrace.startTime, "run startTime", deviations);
  near(ours.endTime, conductorTrace.endTime, "run endTime", deviations);
  const failed = conductorTrace.nodes.some((n) => n.state === "error");
  assert.equal(ours.status, failed ? "error" : "completed", "status");
  for (const node of conductorTrace.nodes) {
    const mine = nodes.get(node.nodeId);
    assert.ok(mine, `${node.nodeId}: missing`);
    assert.equal(mine.state, node.state, `${node.nodeId}.state`);
    assert.equal(mine.nodeName, node.nodeName, `${node.nodeId}.nodeName`);
    near(mine.startTime, node.startTime, `${node.nodeId}.startTime`, deviations);
    near(mine.endTime, node.endTime, `${node.nodeId}.endTime`, deviations);
  }
  const walk = (group) => {
    for (const child of group.nodes ?? []) {
      assert.equal(nodes.get(child.id)?.parentId, child.parentId ?? group.id, `${child.id}: parent`);
      walk(child);
    }
  };
  assert.equal(ours.rootNodeId, flow.id, "the flow's root");
  walk(flow);
  return { max: Math.max(0, ...deviations), count: deviations.length,
           exact: deviations.filter((d) => d === 0).length };
}

for (const name of ["hello_world_flow", "node_error"]) {
  test(`replay ${name} into extrace serve: live on SSE, then the conductor's trace and the interpreted stream within ${kToleranceMs} ms`,
       { skip, timeout: 30000 }, async (t) => {
    const c = await loadCase(name);
    const dir = await mkdtemp(join(tmpdir(), "extrace-atomiton-"));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const liveDb = join(dir, "live.db");
    const serve = await startServe(liveDb);
    let ours;
    try {
      const runs = await subscribe(`${serve.url}v1/stream`);
      const stream = await subscribe(`${serve.url}v1/runs/${c.runId}/stream`);
      const began = performance.now();
      const replay = await run(process.execPath, [replayBin, "replay", c.capturePath, "--url", serve.url,
                                                 "--realtime", "--speed", String(kSpeed)]);
      const ended = performance.now();
      assert.equal(replay.code, 0, replay.stderr);
      assert.equal(replay.stderr, "");
      await Promise.race([stream.done, new Promise((r) => setTimeout(r, 5000))]);
      await runs.close();
      await stream.close();

      // Live: the run appeared, and its events came while the replay went on, not in one burst.
      const events = stream.messages.filter((m) => m.event === "message");
      const end = stream.messages.find((m) => m.event === "end");
      assert.equal(events.length, c.interpretedCount, "events on the run's stream");
      assert.deepEqual(events.map((m) => Number(m.id)), events.map((_, i) => i + 1), "seqs in order");
      assert.ok(end, "the stream's end");
      assert.equal(JSON.parse(end.data).status, name === "node_error" ? "error" : "completed");
      const appeared = runs.messages.find((m) => m.event === "run" && JSON.parse(m.data).executionId === c.runId);
      assert.ok(appeared, "the run on /v1/stream");
      const firstAt = events[0].at - began;
      const spread = events[events.length - 1].at - events[0].at;
      const replayMs = ended - began;
      t.diagnostic(`replay ${replayMs.toFixed(0)} ms; first event on SSE at +${firstAt.toFixed(0)} ms, ` +
                   `run on /v1/stream at +${(appeared.at - began).toFixed(0)} ms, events spread over ${spread.toFixed(0)} ms ` +
                   `(recorded span ${c.spanMs.toFixed(0)} ms at speed ${kSpeed})`);
      assert.ok(events[0].at < ended && appeared.at < ended, "the run was visible before the replay ended");
      assert.ok(appeared.at <= events[events.length - 1].at, "the run was listed before its last event");
      assert.ok(spread >= 0.5 * c.spanMs / kSpeed,
                `events arrived over ${spread.toFixed(0)} ms, the replay took ${(c.spanMs / kSpeed).toFixed(0)} ms`);

      const response = await fetch(`${serve.url}v1/runs/${c.runId}`);
      assert.equal(response.status, 200);
      ours = await response.json();
    } finally {
      const { code } = await serve.stop();
      assert.equal(code, 0, "extrace serve drained and stopped");
    }
    // GET /v1/runs/{id} is extrace show --json.
    assert.deepEqual(JSON.parse(await extrace(["--db", liveDb, "show", c.runId, "--json"])), ours);

    const interpreted = compareWithInterpreted(ours, await referenceTrace(dir, c));
    const conductor = compareWithConductor(ours, c.conductorTrace, c.capture.flowDefinition);
    const say = (d) => `${d.max} ms (${d.exact} of ${d.count} times equal)`;
    t.diagnostic(`largest time difference: ${say(interpreted)} from the interpreted stream, ` +
                 `${say(conductor)} from the conductor's trace`);
    assert.deepEqual(ours.diagnostics ?? [], [], "no anomaly in the recorded log");
  });
}

test("replay --file writes JSON Lines that extrace ingest stores as the same run",
     { skip, timeout: 30000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "extrace-atomiton-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  for (const name of ["hello_world_flow", "node_error"]) {
    const c = await loadCase(name);
    const out = join(dir, `${name}.jsonl`);
    const replay = await run(process.execPath, [replayBin, "replay", c.capturePath, "--file", out]);
    assert.equal(replay.code, 0, replay.stderr);
    const db = join(dir, `${name}.db`);
    const stored = await extrace(["--db", db, "ingest", out]);
    assert.match(stored, new RegExp(`stored ${c.interpretedCount} events, 0 duplicates`));
    const ours = JSON.parse(await extrace(["--db", db, "show", c.runId, "--json"]));
    compareWithInterpreted(ours, await referenceTrace(dir, c));
    await rm(join(dir, "reference.db"), { force: true });
  }
});

test("extrace-atomiton: usage errors exit 2, other errors 1, one line on stderr", async () => {
  const cases = [
    [[], 2], [["replay"], 2], [["play", "x.json"], 2], [["replay", "x.json", "--bogus"], 2],
    [["replay", "x.json", "--url", "http://127.0.0.1:1", "--file", "y"], 2], [["replay", "x.json", "--speed", "0"], 2],
    [["replay", join(tmpdir(), "extrace-atomiton-no-such-capture.json"), "--file", join(tmpdir(), "x.jsonl")], 1],
  ];
  for (const [args, code] of cases) {
    const result = await run(process.execPath, [replayBin, ...args]);
    assert.equal(result.code, code, `${args.join(" ")}: ${result.stderr}`);
    assert.match(result.stderr.split("\n")[0], /^extrace-atomiton: /);
    assert.equal(result.stdout, "");
  }
  const help = await run(process.execPath, [replayBin, "--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^usage: extrace-atomiton replay CAPTURE\.json/);
});
