// Test helpers around the extrace CLI: finding it (EXTRACE_BIN, else ../../build/bin/extrace
// from the package), running a command, starting `extrace serve` on a free port and
// stopping it, an SSE subscriber that keeps each message with its arrival time, and reading
// an ExecutionTrace's nodes into a flat map with their parents. No test of its own.

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

export const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const extraceBin = process.env.EXTRACE_BIN ?? resolve(packageDir, "../../build/bin/extrace");
export const haveExtrace = existsSync(extraceBin);

/** Runs a command to its end: {code, stdout, stderr}. */
export function run(command, args, { input } = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => { stdout += d; });
    child.stderr.on("data", (d) => { stderr += d; });
    child.on("error", reject);
    child.on("close", (code) => resolvePromise({ code, stdout, stderr }));
    child.stdin.end(input ?? "");
  });
}

export async function extrace(args) {
  const result = await run(extraceBin, args);
  if (result.code !== 0) {
    throw new Error(`extrace ${args.join(" ")}: exit ${result.code}: ${result.stderr.trim()}`);
  }
  return result.stdout;
}

/** `extrace serve --listen 127.0.0.1:0 --db DB`: resolves with {url, stop()} once it listens. */
export function startServe(db) {
  const child = spawn(extraceBin, ["--db", db, "serve", "--listen", "127.0.0.1:0"],
                      { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => { stderr += d; });
  const exited = new Promise((r) => child.on("exit", (code, signal) => r({ code, signal })));
  return new Promise((resolvePromise, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`extrace serve did not listen: ${stderr}`)), 10000);
    child.stdout.on("data", (d) => {
      out += d;
      const match = /listening on (http:\/\/\S+?\/)/.exec(out);
      if (!match) return;
      clearTimeout(timer);
      child.stdout.removeAllListeners("data");
      child.stdout.resume();
      resolvePromise({
        url: match[1],
        async stop() {
          child.kill("SIGTERM");
          return exited;
        },
      });
    });
    exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`extrace serve exited ${code}: ${stderr}`));
    });
  });
}

/**
 * Subscribes to an SSE URL: `messages` fill up as they come ({event, id, data, at}, `at` the
 * performance.now() of arrival); `done` resolves when the server ends the stream or close()
 * is called.
 */
export async function subscribe(url) {
  const controller = new AbortController();
  const response = await fetch(url, { signal: controller.signal, headers: { accept: "text/event-stream" } });
  if (response.status !== 200) throw new Error(`${url}: ${response.status}`);
  const messages = [];
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const done = (async () => {
    let buffer = "";
    try {
      for (;;) {
        const { value, done: end } = await reader.read();
        if (end) break;
        const at = performance.now();
        buffer += decoder.decode(value, { stream: true });
        let cut;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const message = { event: "message", id: undefined, data: "", at };
          const data = [];
          for (const line of block.split("\n")) {
            if (line.startsWith(":")) continue;
            const colon = line.indexOf(":");
            const field = colon < 0 ? line : line.slice(0, colon);
            const text = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
            if (field === "event") message.event = text;
            else if (field === "id") message.id = text;
            else if (field === "data") data.push(text);
          }
          if (data.length === 0 && message.id === undefined) continue;
          message.data = data.join("\n");
          messages.push(message);
        }
      }
    } catch (error) {
      if (error.name !== "AbortError") throw error;
    }
  })();
  return { messages, done, close() { controller.abort(); return done; } };
}

/** The nodes of an ExecutionTrace by id, each with its parent's id (the root's children have the
 * root's id; `childTraces` give the rest). */
export function flattenTrace(trace) {
  const nodes = new Map();
  const walk = (list, parentId) => {
    for (const node of list ?? []) {
      nodes.set(node.nodeId, { ...node, parentId });
      walk(node.childTraces, node.nodeId);
    }
  };
  const top = trace.nodes ?? [];
  const rootAlone = top.length === 1 && top[0].nodeId === trace.rootNodeId;
  walk(top, rootAlone ? undefined : trace.rootNodeId);
  return nodes;
}
