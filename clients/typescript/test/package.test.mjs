// Packaging: `npm pack` gives a tarball with dist/ (ES modules + .d.ts), README and
// package.json only; installed into a fresh project (offline: no runtime
// dependencies), it imports as `extrace-client` from JavaScript and type-checks
// from TypeScript (NodeNext resolution through `exports`).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { packageDir, tempDir } from "./helpers.mjs";

const run = promisify(execFile);
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

test("npm pack gives a package a user can install, import and type-check", async (t) => {
  const dir = await tempDir(t);
  const { stdout } = await run(npm, ["pack", "--json", "--ignore-scripts", "--pack-destination", dir], { cwd: packageDir });
  const [info] = JSON.parse(stdout.slice(stdout.indexOf("[")));
  const files = info.files.map((f) => f.path).sort();
  assert.ok(files.includes("dist/index.js") && files.includes("dist/index.d.ts"), files.join(" "));
  assert.ok(files.includes("dist/recorder.d.ts") && files.includes("README.md"));
  assert.ok(files.every((f) => f.startsWith("dist/") || ["README.md", "package.json"].includes(f)), files.join(" "));

  const app = path.join(dir, "app");
  await run("mkdir", ["-p", app]);
  await writeFile(path.join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
  await run(npm, ["install", "--offline", "--no-audit", "--no-fund", path.join(dir, info.filename)], { cwd: app });
  const pkg = JSON.parse(await readFile(path.join(app, "node_modules/extrace-client/package.json"), "utf8"));
  assert.deepEqual(pkg.dependencies ?? {}, {});

  await writeFile(
    path.join(app, "main.mjs"),
    `import { createRecorder, createClient } from "extrace-client";
     const rec = createRecorder({ file: "events.jsonl" });
     const run = await rec.startRun({ rootNodeId: "r", nodes: [{ id: "r", name: "R", type: "t" }] });
     await run.complete();
     await rec.close();
     console.log(typeof createClient, rec.stats().acknowledged);`,
  );
  const out = await run(process.execPath, ["main.mjs"], { cwd: app });
  assert.equal(out.stdout.trim(), "function 2");

  await writeFile(
    path.join(app, "check.ts"),
    `import { createRecorder, createClient, type ExecutionTrace, type ExtraceEvent, type RunHandle } from "extrace-client";
     const rec = createRecorder({ url: "http://127.0.0.1:7117", batchSize: 100 });
     export async function go(): Promise<number> {
       const run: RunHandle = await rec.startRun({ rootNodeId: "r", nodes: [{ id: "r", name: "R", type: "t" }] });
       await run.nodeState("r", "executing", { timestamp: 1 });
       const trace: ExecutionTrace = await createClient({ url: "http://x" }).getRun(run.executionId);
       const e: ExtraceEvent = { executionId: "x", timestamp: 1, type: "progress", nodeId: "r", data: { progress: 5 } };
       return trace.nodes.length + e.timestamp;
     }
     // @ts-expect-error: not a state
     void rec.startRun({ rootNodeId: "r", nodes: [] }).then((r) => r.nodeState("r", "done"));`,
  );
  const tsc = path.join(packageDir, "node_modules/typescript/bin/tsc");
  await run(process.execPath, [tsc, "--noEmit", "--strict", "--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022", "--types", "node", "--typeRoots", path.join(packageDir, "node_modules/@types"), "check.ts"], { cwd: app }).catch((e) => {
    assert.fail(`tsc: ${e.stdout}${e.stderr}`);
  });
});
