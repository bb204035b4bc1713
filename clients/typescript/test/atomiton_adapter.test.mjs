// attachAtomiton's rules, with a hand-driven conductor and an in-memory recorder (a test
// double of the recorder surface, no server): nesting from the flow definition, only changes
// between snapshots, snapshots before onStarted, stale snapshots, how a failed run ends, the
// store-only fallback, and detaching.

import assert from "node:assert/strict";
import { test } from "node:test";

import { attachAtomiton } from "../dist/atomiton.js";
import { declareFlow } from "../dist/atomiton/graph.js";
import { decodeCaptureValue } from "../dist/atomiton/replay.js";

/** A conductor whose callbacks the test calls itself. */
function fakeConductor() {
  const listeners = { started: [], progress: [], completed: [], error: [], store: [] };
  const on = (name) => (cb) => {
    listeners[name].push(cb);
    return () => { listeners[name] = listeners[name].filter((x) => x !== cb); };
  };
  const conductor = {
    events: { onStarted: on("started"), onProgress: on("progress"), onCompleted: on("completed"), onError: on("error") },
    node: { store: { subscribe: on("store") }, run: async () => ({ success: true }) },
    emit(name, payload) { for (const cb of listeners[name]) cb(payload); },
    listeners,
  };
  return conductor;
}

/** Records every call as a line: ["start", opts] / [type, nodeId, ...]. */
function memoryRecorder() {
  const calls = [];
  return {
    calls,
    async startRun(opts) {
      calls.push(["start", opts]);
      const executionId = opts.executionId ?? "generated";
      return {
        executionId,
        async nodeState(id, state, o = {}) { calls.push(["state", id, state, o.timestamp, o.errorMessage]); },
        async progress(id, value, message, o = {}) { calls.push(["progress", id, value, message, o.timestamp]); },
        async complete(o = {}) { calls.push(["complete", o.timestamp]); },
        async fail(message, o = {}) { calls.push(["fail", message, o.timestamp]); },
      };
    },
  };
}

const node = (id, state, extra = {}) => ({ id, name: id.toUpperCase(), type: "t", weight: 10, state, progress: 0, ...extra });
const snap = (nodes, extra = {}) => ({ nodes: new Map(nodes.map((n) => [n.id, n])), startTime: 1000, ...extra });

test("declareFlow: nested groups and parentIds become parents, each node after its parent", () => {
  const flow = {
    id: "root", name: "Root", type: "group",
    nodes: [
      { id: "a", name: "A", type: "x" },
      { id: "late", name: "Late", type: "x", parentId: "g" },  // a flat parentId naming a group
      { id: "g", name: "G", type: "group", nodes: [{ id: "g1", type: "x" }, { id: "inner", type: "group", nodes: [{ id: "deep" }] }] },
      { id: "a", name: "duplicate" },
    ],
  };
  const nodes = declareFlow(flow, new Map([["a", 80], ["g", 0]]));
  assert.deepEqual(nodes.map((n) => [n.id, n.parentId, n.weight]), [
    ["root", undefined, undefined], ["a", "root", 80], ["g", "root", 0], ["late", "g", undefined],
    ["g1", "g", undefined], ["inner", "g", undefined], ["deep", "inner", undefined],
  ]);
  assert.equal(nodes.find((n) => n.id === "deep").name, "deep", "a node without a name is named by its id");
  assert.equal(nodes.find((n) => n.id === "deep").type, "node");
});

test("decodeCaptureValue: Maps and Errors come back as such", () => {
  const value = decodeCaptureValue({ nodes: { __map__: [["a", { x: 1 }]] }, error: { __error__: true, name: "TypeError", message: "m" } });
  assert.ok(value.nodes instanceof Map);
  assert.deepEqual(value.nodes.get("a"), { x: 1 });
  assert.ok(value.error instanceof Error);
  assert.equal(value.error.name, "TypeError");
});

test("only what changed between snapshots is recorded, at the conductor's times", async () => {
  const conductor = fakeConductor();
  const recorder = memoryRecorder();
  let clock = 1000;
  const detach = attachAtomiton(conductor, recorder, { now: () => clock });
  const flow = { id: "root", name: "Root", type: "group", nodes: [{ id: "a", name: "A", type: "t" }, { id: "b", name: "B", type: "t" }] };
  await conductor.node.run(flow);
  conductor.emit("started", { executionId: "e1", nodeId: "root" });
  const s0 = snap([node("a", "pending"), node("b", "pending")]);
  conductor.emit("progress", s0);
  conductor.emit("store", s0);                                              // the same again: nothing
  clock = 1010;
  conductor.emit("store", snap([node("a", "executing", { startTime: 1008 }), node("b", "pending")]));
  clock = 1020;
  const s2 = snap([node("a", "executing", { startTime: 1008, progress: 50, message: "half" }), node("b", "pending")]);
  conductor.emit("store", s2);
  conductor.emit("progress", s2);                                           // throttled copy: nothing
  clock = 1030;
  // b went from pending to completed between two snapshots: its start is recorded first.
  conductor.emit("store", snap([node("a", "completed", { startTime: 1008, endTime: 1025, progress: 100, message: "done" }),
                                node("b", "completed", { startTime: 1026, endTime: 1029, progress: 100 })], { endTime: 1029 }));
  clock = 1031;
  conductor.emit("store", snap([node("a", "executing", { startTime: 1008 }), node("b", "completed", { startTime: 1026, endTime: 1029, progress: 100 })]));  // stale
  conductor.emit("completed", { executionId: "e1", result: { success: true } });
  await detach();
  assert.deepEqual(recorder.calls, [
    ["start", { rootNodeId: "root", executionId: "e1", config: {}, timestamp: 1000,
                nodes: [{ id: "root", name: "Root", type: "group" },
                        { id: "a", name: "A", type: "t", parentId: "root", weight: 10 },
                        { id: "b", name: "B", type: "t", parentId: "root", weight: 10 }] }],
    ["state", "a", "executing", 1008, undefined],
    ["progress", "a", 50, "half", 1020],
    ["progress", "a", 100, "done", 1025],
    ["state", "a", "completed", 1025, undefined],
    ["state", "b", "executing", 1026, undefined],
    ["progress", "b", 100, undefined, 1029],
    ["state", "b", "completed", 1029, undefined],
    ["complete", 1029],
  ]);
});

test("snapshots before onStarted count once node.run was called; a failed run ends with fail", async () => {
  const conductor = fakeConductor();
  const recorder = memoryRecorder();
  let clock = 5000;
  const detach = attachAtomiton(conductor, recorder, { now: () => clock });
  conductor.emit("store", snap([node("a", "executing", { startTime: 4000 })], { startTime: 4000 }));  // no run coming: dropped
  conductor.node.run({ id: "r", nodes: [{ id: "a" }] });
  conductor.emit("store", snap([node("a", "executing", { startTime: 5001 })], { startTime: 5000 }));
  clock = 5002;
  conductor.emit("started", { executionId: "e2", nodeId: "r" });
  clock = 5003;
  conductor.emit("store", snap([node("a", "error", { startTime: 5001, endTime: 5003, error: new Error("boom") })], { startTime: 5000, endTime: 5003 }));
  clock = 5004;
  // The conductor reports completion and the error in one go: the run fails with the error's message.
  conductor.emit("completed", { executionId: "e2", result: { success: true } });
  conductor.emit("error", { executionId: "e2", error: new Error("the run failed") });
  await detach();
  assert.deepEqual(recorder.calls.map((c) => c[0] === "start" ? ["start", c[1].timestamp, c[1].nodes.map((n) => n.id)] : c), [
    ["start", 5000, ["r", "a"]],
    ["state", "a", "executing", 5001, undefined],
    ["state", "a", "error", 5003, "boom"],
    ["fail", "the run failed", 5003],
  ]);
});

test("a node in error fails the run even when the conductor only says completed", async () => {
  const conductor = fakeConductor();
  const recorder = memoryRecorder();
  const detach = attachAtomiton(conductor, recorder, { now: () => 10, flow: { id: "r", nodes: [{ id: "a" }] } });
  conductor.emit("started", { executionId: "e3", nodeId: "r" });
  conductor.emit("store", snap([node("a", "error", { startTime: 5, endTime: 9, error: "bad input" })], { startTime: 1 }));
  conductor.emit("completed", { executionId: "e3", result: { success: true } });
  await detach();
  assert.deepEqual(recorder.calls.at(-1), ["fail", "bad input", 10]);
  // result.success false names its error
  const other = memoryRecorder();
  const c2 = fakeConductor();
  const d2 = attachAtomiton(c2, other, { now: () => 10 });
  c2.emit("started", { executionId: "e4", nodeId: "r" });
  c2.emit("completed", { executionId: "e4", result: { success: false, error: { nodeId: "a", message: "EXECUTION_FAILED here" } } });
  await d2();
  assert.deepEqual(other.calls.at(-1), ["fail", "EXECUTION_FAILED here", 10]);
});

test("without a flow definition the store's nodes go under the root; detach unsubscribes and restores node.run", async () => {
  const conductor = fakeConductor();
  const originalRun = conductor.node.run;
  const recorder = memoryRecorder();
  const detach = attachAtomiton(conductor, recorder, { now: () => 50, wrapRun: false, executionId: () => "mine" });
  assert.equal(conductor.node.run, originalRun);
  conductor.emit("started", { executionId: "e5", nodeId: "root" });
  conductor.emit("store", snap([node("a", "pending"), node("b", "pending", { weight: 0 })], { startTime: 49 }));
  await detach();
  assert.deepEqual(recorder.calls[0][1], {
    rootNodeId: "root", executionId: "mine", config: {}, timestamp: 49,
    nodes: [{ id: "root", name: "root", type: "group" }, { id: "a", name: "A", type: "t", parentId: "root", weight: 10 },
            { id: "b", name: "B", type: "t", parentId: "root", weight: 0 }],
  });
  for (const list of Object.values(conductor.listeners)) assert.equal(list.length, 0);

  const wrapped = fakeConductor();
  const run = wrapped.node.run;
  const detachWrapped = attachAtomiton(wrapped, memoryRecorder());
  assert.notEqual(wrapped.node.run, run);
  await detachWrapped();
  assert.equal(wrapped.node.run, run);
});

test("a run whose first snapshot never comes is declared after the grace period", async () => {
  const conductor = fakeConductor();
  const recorder = memoryRecorder();
  const detach = attachAtomiton(conductor, recorder, { now: () => 7, startGraceMs: 10, flow: { id: "r", nodes: [{ id: "a" }] } });
  conductor.emit("started", { executionId: "e6", nodeId: "r" });
  await new Promise((r) => setTimeout(r, 40));
  await detach.settled();
  assert.equal(recorder.calls.length, 1);
  assert.equal(recorder.calls[0][1].timestamp, 7);
  await detach();
});

test("two runs one after the other: each callback goes to its run, a late snapshot of the first is not the second's", async () => {
  const conductor = fakeConductor();
  const recorder = memoryRecorder();
  let clock = 100;
  const detach = attachAtomiton(conductor, recorder, { now: () => clock });
  const flow = { id: "r", nodes: [{ id: "a" }] };
  conductor.node.run(flow);
  conductor.emit("started", { executionId: "first", nodeId: "r" });
  conductor.emit("store", snap([node("a", "executing", { startTime: 101 })], { startTime: 100 }));
  clock = 110;
  const done = snap([node("a", "completed", { startTime: 101, endTime: 109, progress: 100 })], { startTime: 100, endTime: 109 });
  conductor.emit("store", done);
  conductor.emit("completed", { executionId: "first", result: { success: true } });
  conductor.emit("progress", done);                  // the throttle's trailing call, after the end: ignored
  clock = 200;
  conductor.node.run(flow);
  conductor.emit("progress", done);                  // still the old store: its start is before the first run's end
  conductor.emit("store", snap([node("a", "pending")], { startTime: 200 }));
  conductor.emit("started", { executionId: "second", nodeId: "r" });
  clock = 205;
  conductor.emit("store", snap([node("a", "executing", { startTime: 204 })], { startTime: 200 }));
  conductor.emit("error", { executionId: "second", error: new Error("stopped") });
  await detach();
  const lines = recorder.calls.map((c) => c[0] === "start" ? ["start", c[1].executionId, c[1].timestamp] : c);
  assert.deepEqual(lines, [
    ["start", "first", 100],
    ["state", "a", "executing", 101, undefined],
    ["progress", "a", 100, undefined, 109],
    ["state", "a", "completed", 109, undefined],
    ["complete", 109],
    ["start", "second", 200],
    ["state", "a", "executing", 204, undefined],
    ["fail", "stopped", 205],
  ]);
});

test("a node.run that fails before onStarted leaves no snapshot waiting for the next run", async () => {
  const conductor = fakeConductor();
  conductor.node.run = async () => { throw new Error("invalid flow"); };
  const recorder = memoryRecorder();
  const detach = attachAtomiton(conductor, recorder, { now: () => 1 });
  conductor.emit("store", snap([node("a", "pending")]));
  await assert.rejects(conductor.node.run({ id: "r", nodes: [{ id: "a" }] }), /invalid flow/);
  conductor.emit("store", snap([node("a", "executing", { startTime: 1 })]));   // no run coming: dropped
  conductor.emit("started", { executionId: "e", nodeId: "r" });
  conductor.emit("store", snap([node("a", "pending")]));
  conductor.emit("completed", { executionId: "e", result: { success: true } });
  await detach();
  assert.deepEqual(recorder.calls.map((c) => c[0]), ["start", "complete"]);
});
