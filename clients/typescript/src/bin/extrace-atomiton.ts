#!/usr/bin/env node
// extrace-atomiton: `replay CAPTURE.json` drives attachAtomiton with a recorded conductor's
// callbacks in their recorded order, into `extrace serve` (--url) or a JSON Lines file
// (--file) for `extrace ingest`. Exit codes: 0 ok, 2 usage, 1 anything else; errors are one
// line on stderr.

import { readFile } from "node:fs/promises";

import { attachAtomiton } from "../atomiton.js";
import { CaptureError, ReplayConductor, readCapture } from "../atomiton/replay.js";
import { createRecorder, RecorderError } from "../recorder.js";

const kUsage = `usage: extrace-atomiton replay CAPTURE.json [--url URL | --file OUT.jsonl]
                        [--token-file FILE] [--realtime] [--speed N] [--execution-id ID]
  --url URL          extrace serve to send the run to (default http://127.0.0.1:7117)
  --file OUT.jsonl   write the run's events there instead (for extrace ingest)
  --token-file FILE  the server's token (the file's first line)
  --realtime         deliver the callbacks with their recorded pacing
  --speed N          with --realtime, N times faster (default 1)
  --execution-id ID  record the run under ID (default: the conductor's executionId)`;

class UsageError extends Error {}

interface Args {
  capture: string;
  url?: string;
  file?: string;
  tokenFile?: string;
  realtime: boolean;
  speed?: number;
  executionId?: string;
}

function parseArgs(argv: string[]): Args | "help" {
  if (argv.includes("--help") || argv.includes("-h")) return "help";
  const [command, ...rest] = argv;
  if (command !== "replay") {
    throw new UsageError(command === undefined ? "missing command (replay)" : `unknown command: ${command}`);
  }
  const args: Partial<Args> & { realtime: boolean } = { realtime: false };
  const value = (i: number, flag: string): string => {
    const v = rest[i + 1];
    if (v === undefined || v === "") throw new UsageError(`${flag} needs a value`);
    return v;
  };
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const take = (): string => {
      if (eq > 0) return arg.slice(eq + 1);
      const v = value(i, flag);
      i++;
      return v;
    };
    switch (flag) {
      case "--url": args.url = take(); break;
      case "--file": args.file = take(); break;
      case "--token-file": args.tokenFile = take(); break;
      case "--execution-id": args.executionId = take(); break;
      case "--realtime": args.realtime = true; break;
      case "--speed": {
        const text = take();
        const speed = Number(text);
        if (!Number.isFinite(speed) || speed <= 0) throw new UsageError(`--speed: not a positive number: ${text}`);
        args.speed = speed;
        break;
      }
      default:
        if (arg.startsWith("-") && arg !== "-") throw new UsageError(`unknown option: ${arg}`);
        if (args.capture !== undefined) throw new UsageError(`one capture at a time (got ${args.capture} and ${arg})`);
        args.capture = arg;
    }
  }
  if (args.capture === undefined) throw new UsageError("missing CAPTURE.json");
  if (args.url !== undefined && args.file !== undefined) throw new UsageError("--url and --file exclude each other");
  if (args.file !== undefined && args.tokenFile !== undefined) throw new UsageError("--token-file goes with --url");
  return args as Args;
}

async function replay(args: Args): Promise<void> {
  const capture = await readCapture(args.capture);
  let token: string | undefined;
  if (args.tokenFile !== undefined) {
    token = (await readFile(args.tokenFile, "utf8")).split(/\r?\n/, 1)[0]!.trim();
  }
  let firstError: unknown;
  // Retries are the recorder's business; a final failure (a refused event, a write error) fails the replay.
  const onError = (error: unknown) => {
    if (!(error instanceof RecorderError && error.retryable)) firstError ??= error;
  };
  const recorder = args.file !== undefined
      ? createRecorder({ file: args.file, onError })
      : createRecorder({ url: args.url ?? "http://127.0.0.1:7117", onError,
                         ...(token !== undefined ? { token } : {}) });
  const conductor = new ReplayConductor(capture, {
    realtime: args.realtime, ...(args.speed !== undefined ? { speed: args.speed } : {}),
  });
  const detach = attachAtomiton(conductor, recorder, {
    now: conductor.clock,
    onError,
    ...(args.executionId !== undefined ? { executionId: () => args.executionId } : {}),
  });
  try {
    await conductor.run();
  } finally {
    await detach();
    await recorder.close();
  }
  if (firstError !== undefined) throw firstError;
  const started = capture.events.find((e) => e.channel === "events.started")?.payload as
      { executionId?: string } | undefined;
  const failed = capture.events.some((e) => e.channel === "events.error");
  const runId = args.executionId ?? started?.executionId ?? "(recorder's id)";
  process.stdout.write(`replayed ${capture.events.length} callbacks of ${args.capture}: run ${runId}` +
      ` ${failed ? "error" : "completed"} -> ${args.file ?? args.url ?? "http://127.0.0.1:7117"}\n`);
}

async function main(argv: string[]): Promise<number> {
  let args: Args | "help";
  try {
    args = parseArgs(argv);
  } catch (error) {
    process.stderr.write(`extrace-atomiton: ${(error as Error).message} (see --help)\n`);
    return 2;
  }
  if (args === "help") { process.stdout.write(`${kUsage}\n`); return 0; }
  try {
    await replay(args);
    return 0;
  } catch (error) {
    const text = error instanceof CaptureError || error instanceof Error
        ? error.message : String(error);
    process.stderr.write(`extrace-atomiton: ${text.split("\n")[0]}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
