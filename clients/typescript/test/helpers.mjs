// Test helpers: the extrace CLI (EXTRACE_BIN, else ../../build/bin/extrace), a real
// `extrace serve` on a free loopback port, temporary stores, and a TCP proxy that
// can cut its connections (to force reconnects).
import { spawn, execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { existsSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { once } from "node:events";

const here = path.dirname(fileURLToPath(import.meta.url));
export const packageDir = path.resolve(here, "..");

export const extraceBin = process.env.EXTRACE_BIN
  ? path.resolve(process.env.EXTRACE_BIN)
  : path.resolve(packageDir, "../../build/bin/extrace");

if (!existsSync(extraceBin)) {
  throw new Error(`extrace CLI not found at ${extraceBin}: build it (make build) or set EXTRACE_BIN`);
}

/** A temporary folder, removed by the returned cleanup. */
export async function tempDir(t) {
  const dir = await mkdtemp(path.join(os.tmpdir(), "extrace-client-test-"));
  t?.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs the CLI; resolves { code, stdout, stderr } (never rejects on a non-zero exit). */
export function cli(args, { input } = {}) {
  return new Promise((resolve, reject) => {
    const child = execFile(extraceBin, args, { maxBuffer: 256 << 20 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== "number") return reject(err);
      resolve({ code: err ? err.code : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin.end(input);
  });
}

/**
 * Starts `extrace --db DB serve --listen 127.0.0.1:PORT` (PORT 0: a free one, read from
 * the first line of its stdout). Stopped (SIGTERM) after the test.
 */
export async function startServe(t, { db, port = 0, args = [] }) {
  const proc = spawn(extraceBin, ["--db", db, "serve", "--listen", `127.0.0.1:${port}`, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  proc.stderr.on("data", (d) => (stderr += d));
  const firstLine = await new Promise((resolve, reject) => {
    let out = "";
    const onData = (d) => {
      out += d;
      const nl = out.indexOf("\n");
      if (nl >= 0) {
        proc.stdout.off("data", onData);
        resolve(out.slice(0, nl));
      }
    };
    proc.stdout.on("data", onData);
    proc.once("exit", (code) => reject(new Error(`extrace serve exited ${code} before listening: ${stderr}`)));
  });
  proc.stdout.resume();
  const m = /listening on (http:\/\/127\.0\.0\.1:(\d+))\//.exec(firstLine);
  if (!m) throw new Error(`unexpected first line of extrace serve: ${firstLine}`);
  const server = {
    url: m[1],
    port: Number(m[2]),
    proc,
    stderr: () => stderr,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill("SIGTERM");
      await once(proc, "exit");
    },
    async kill() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill("SIGKILL");
      await once(proc, "exit");
    },
  };
  t?.after(() => server.stop());
  return server;
}

/** `extrace show ID --json` of the store, parsed. */
export async function showJson(db, id) {
  const r = await cli(["--db", db, "show", id, "--json"]);
  if (r.code !== 0) throw new Error(`extrace show ${id} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** `extrace events ID`, parsed. */
export async function storedEvents(db, id) {
  const r = await cli(["--db", db, "events", id]);
  if (r.code !== 0) throw new Error(`extrace events ${id} exited ${r.code}: ${r.stderr}`);
  return r.stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l));
}

/** A loopback TCP proxy to `target` ({ port }); `cut()` destroys every open connection. */
export async function startProxy(t, target) {
  const sockets = new Set();
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, "127.0.0.1");
    sockets.add(client);
    sockets.add(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("error", close).on("close", close);
    upstream.on("error", close).on("close", close);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const proxy = {
    url: `http://127.0.0.1:${server.address().port}`,
    connections: () => sockets.size / 2,
    cut() {
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    close() {
      proxy.cut();
      return new Promise((r) => server.close(() => r()));
    },
  };
  t?.after(() => proxy.close());
  return proxy;
}

/** A flow of `groups` groups of `leaves` leaves under one root: the `nodes` of startRun. */
export function flowNodes(rootId, groups, leaves) {
  const nodes = [{ id: rootId, name: `Flow ${rootId}`, type: "flow" }];
  for (let g = 0; g < groups; g++) {
    nodes.push({ id: `g${g}`, name: `Group ${g}`, type: "group", parentId: rootId });
    for (let l = 0; l < leaves; l++) {
      nodes.push({ id: `g${g}-n${l}`, name: `Node ${g}.${l}`, type: "task", parentId: `g${g}`, weight: 1 + (l % 3) });
    }
  }
  return nodes;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
