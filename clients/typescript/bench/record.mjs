// Benchmark: one Node process recording a 65-node flow as fast as it can into
// `extrace serve` (POST /v1/events through the recorder, until close() resolved:
// everything acknowledged, durability full), against `extrace ingest` of the very
// same events (same ids, seqs and timestamps) from a JSON Lines file, in the same run.
//   node bench/record.mjs [--quick] [--events N]     (npm run bench; make bench-ts)
// --quick: 1/20 of the size (50,000 events instead of 1,000,000).
import { spawn } from "node:child_process";
import { mkdtemp, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createRecorder } from "../dist/index.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const bin = process.env.EXTRACE_BIN ? path.resolve(process.env.EXTRACE_BIN) : path.resolve(here, "../../../build/bin/extrace");
const args = process.argv.slice(2);
const quick = args.includes("--quick");
const eventsArg = args.indexOf("--events");
const target = eventsArg >= 0 ? Number(args[eventsArg + 1]) : quick ? 50_000 : 1_000_000;
const option = (name) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : undefined);
// The recorder's options (defaults unless given): --batch-size N --in-flight N.
const recorderOptions = {};
if (option("--batch-size") !== undefined) recorderOptions.batchSize = option("--batch-size");
if (option("--in-flight") !== undefined) recorderOptions.maxInFlight = option("--in-flight");

// The flow: a root, 8 groups, 7 leaves each = 65 nodes. A run: started, then per
// leaf executing, 100 progress events, completed; then completed: 5,714 events.
const nodes = [{ id: "bench", name: "Bench flow", type: "flow" }];
for (let g = 0; g < 8; g++) {
  nodes.push({ id: `g${g}`, name: `Group ${g}`, type: "group", parentId: "bench" });
  for (let l = 0; l < 7; l++) nodes.push({ id: `g${g}n${l}`, name: `Node ${g}.${l}`, type: "task", parentId: `g${g}` });
}
const leaves = nodes.filter((n) => n.type === "task").map((n) => n.id);
const PROGRESS = 100;
const perRun = 2 + leaves.length * (PROGRESS + 2);
const runs = Math.max(1, Math.round(target / perRun));
const total = runs * perRun;
const T0 = 1_790_000_000_000;

/** Records the runs; the same events every time (ids, timestamps). */
async function record(rec) {
  let t = T0;
  for (let r = 0; r < runs; r++) {
    const run = await rec.startRun({ executionId: `bench-${r}`, rootNodeId: "bench", nodes, timestamp: (t += 0.125) });
    for (const leaf of leaves) {
      await run.nodeState(leaf, "executing", { timestamp: (t += 0.125) });
      for (let p = 1; p <= PROGRESS; p++) await run.progress(leaf, p, undefined, { timestamp: (t += 0.125) });
      await run.nodeState(leaf, "completed", { timestamp: (t += 0.125) });
    }
    await run.complete({ timestamp: (t += 0.125) });
  }
}

function run(cmd, argv, { firstLine = false } = {}) {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, argv, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    p.stderr.on("data", (d) => (err += d));
    p.stdout.on("data", (d) => {
      out += d;
      if (firstLine && out.includes("\n")) resolve({ proc: p, line: out.slice(0, out.indexOf("\n")) });
    });
    p.on("error", reject);
    p.on("exit", (code) => (firstLine ? reject(new Error(`${cmd} exited ${code}: ${err}`)) : resolve({ code, out, err })));
  });
}

const dir = await mkdtemp(path.join(os.tmpdir(), "extrace-ts-bench-"));
try {
  // 1. The client into extrace serve.
  const serveDb = path.join(dir, "serve.db");
  const { proc: serve, line } = await run(bin, ["--db", serveDb, "serve", "--listen", "127.0.0.1:0"], { firstLine: true });
  const url = /listening on (http:\/\/[^/]+)\//.exec(line)[1];
  const rec = createRecorder({ url, ...recorderOptions });
  const t1 = performance.now();
  await record(rec);
  await rec.close();
  const clientSeconds = (performance.now() - t1) / 1000;
  const s = rec.stats();
  serve.kill("SIGTERM");
  await new Promise((r) => serve.once("exit", r));
  if (s.acknowledged !== total || s.stored !== total) throw new Error(`client: ${JSON.stringify(s)}, expected ${total}`);
  const peakRssMb = process.resourceUsage().maxRSS / 1024;

  // 2. The same events to a file, then extrace ingest of it (timed: the process).
  const file = path.join(dir, "events.jsonl");
  const fileRec = createRecorder({ file, batchSize: 5_000 });
  await record(fileRec);
  await fileRec.close();
  const bytes = (await stat(file)).size;
  const t2 = performance.now();
  const ing = await run(bin, ["--db", path.join(dir, "ingest.db"), "ingest", file]);
  const ingestSeconds = (performance.now() - t2) / 1000;
  if (ing.code !== 0 || !ing.err.includes(`stored ${total} events`) && !ing.out.includes(`stored ${total} events`)) {
    throw new Error(`extrace ingest: exit ${ing.code}: ${ing.err}${ing.out}`);
  }

  const clientRate = total / clientSeconds;
  const ingestRate = total / ingestSeconds;
  const ratio = clientRate / ingestRate;
  const fmt = (n) => Math.round(n).toLocaleString("en-US");
  console.log(`extrace-client benchmark${quick ? " (quick: 1/20 of the size)" : ""}: ${fmt(total)} events, ${runs} runs of a 65-node flow (${perRun} events each), node ${process.version}`);
  console.log(`  client -> extrace serve (POST /v1/events, until close() resolved)  ${fmt(clientRate)} events/s  (${clientSeconds.toFixed(2)} s, ${s.requests} requests, peak RSS ${peakRssMb.toFixed(0)} MB)`);
  console.log(`  extrace ingest of the same events from a file (${(bytes / 2 ** 20).toFixed(1)} MiB)  ${fmt(ingestRate)} events/s  (${ingestSeconds.toFixed(2)} s)`);
  console.log(`  ratio ${ratio.toFixed(2)}x (target >= 0.5x): ${ratio >= 0.5 ? "met" : "NOT met"}`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
