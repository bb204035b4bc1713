// A recorded Atomiton conductor played back: reads a capture file (what each channel of the
// conductor delivered, in order, with its time; see shared/examples/atomiton/raw/README.md),
// decodes its Maps and Errors, and a ReplayConductor with the conductor's surface whose
// node.run(flow) delivers the capture's callbacks in their recorded order, optionally paced
// as recorded. Its clock() is the recorded Date.now() of the callback being delivered.

import { readFile } from "node:fs/promises";
import { performance } from "node:perf_hooks";

import type {
  AtomitonCompletedEvent, AtomitonConductor, AtomitonErrorEvent, AtomitonFlow,
  AtomitonStartedEvent, AtomitonStoreSnapshot,
} from "./surface.js";

export interface CaptureEvent {
  seq: number;
  /** Date.now() when the callback ran. */
  receivedAt: number;
  /** performance.now() when the callback ran. */
  hr?: number;
  channel: string;
  payload: unknown;
}

export interface Capture {
  case?: string;
  flowRootId?: string;
  flowDefinition: AtomitonFlow;
  runContext?: unknown;
  result?: unknown;
  events: CaptureEvent[];
}

type Channel = "started" | "progress" | "store" | "completed" | "error";

const kChannels: Readonly<Record<string, Channel>> = {
  "events.started": "started",
  "events.progress": "progress",
  "store.state": "store",
  "events.completed": "completed",
  "events.error": "error",
};

/** Thrown for a capture file that cannot be replayed; the message is one line. */
export class CaptureError extends Error {}

/** JSON of a capture back to the values the conductor delivered: `{"__map__": [...]}` -> Map,
 * `{"__error__": true, ...}` -> Error. */
export function decodeCaptureValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decodeCaptureValue);
  if (!value || typeof value !== "object") return value;
  const record = value as Record<string, unknown>;
  if (Array.isArray(record.__map__)) {
    return new Map((record.__map__ as unknown[]).map((entry) => {
      const [key, item] = Array.isArray(entry) ? entry : [undefined, entry];
      return [decodeCaptureValue(key), decodeCaptureValue(item)] as [unknown, unknown];
    }));
  }
  if (record.__error__ === true) {
    const error = new Error(typeof record.message === "string" ? record.message : "");
    if (typeof record.name === "string") error.name = record.name;
    if (typeof record.stack === "string") error.stack = record.stack;
    return error;
  }
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(record)) out[key] = decodeCaptureValue(item);
  return out;
}

/** Reads and checks a capture file. */
export async function readCapture(path: string): Promise<Capture> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new CaptureError(`${path}: cannot read: ${(error as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new CaptureError(`${path}: not JSON: ${(error as Error).message}`);
  }
  return checkCapture(raw, path);
}

export function checkCapture(raw: unknown, where: string): Capture {
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) {
    throw new CaptureError(`${where}: a capture is a JSON object`);
  }
  const capture = raw as Record<string, unknown>;
  const flow = capture.flowDefinition as AtomitonFlow | undefined;
  if (!flow || typeof flow !== "object" || typeof flow.id !== "string") {
    throw new CaptureError(`${where}: flowDefinition: must be an object with an id`);
  }
  if (!Array.isArray(capture.events)) throw new CaptureError(`${where}: events: must be an array`);
  const events = capture.events.map((event: unknown, i: number): CaptureEvent => {
    const e = event as Partial<CaptureEvent> | null;
    if (!e || typeof e !== "object") throw new CaptureError(`${where}: events[${i}]: must be an object`);
    if (typeof e.channel !== "string" || !(e.channel in kChannels)) {
      throw new CaptureError(`${where}: events[${i}].channel: unknown channel ${JSON.stringify(e.channel)}`);
    }
    if (typeof e.receivedAt !== "number" || !Number.isFinite(e.receivedAt)) {
      throw new CaptureError(`${where}: events[${i}].receivedAt: must be a number of milliseconds`);
    }
    return {
      seq: typeof e.seq === "number" ? e.seq : i + 1,
      receivedAt: e.receivedAt,
      ...(typeof e.hr === "number" && Number.isFinite(e.hr) ? { hr: e.hr } : {}),
      channel: e.channel,
      payload: decodeCaptureValue(e.payload),
    };
  });
  return {
    ...(typeof capture.case === "string" ? { case: capture.case } : {}),
    ...(typeof capture.flowRootId === "string" ? { flowRootId: capture.flowRootId } : {}),
    flowDefinition: decodeCaptureValue(flow) as AtomitonFlow,
    runContext: decodeCaptureValue(capture.runContext),
    result: decodeCaptureValue(capture.result),
    events,
  };
}

export interface ReplayOptions {
  /** Keep the recorded pacing between callbacks. Default: false (as fast as possible). */
  realtime?: boolean;
  /** With realtime: how many times faster than recorded. Default: 1. */
  speed?: number;
}

type Listener = (payload: never) => void;

/** A conductor whose node.run(flow) plays the capture's callbacks back. */
export class ReplayConductor implements AtomitonConductor {
  private readonly listeners: Record<Channel, Set<Listener>> = {
    started: new Set(), progress: new Set(), store: new Set(), completed: new Set(), error: new Set(),
  };
  private now: number;
  readonly events: AtomitonConductor["events"];
  readonly node: AtomitonConductor["node"];

  constructor(private readonly capture: Capture, private readonly options: ReplayOptions = {}) {
    this.now = capture.events[0]?.receivedAt ?? Date.now();
    this.events = {
      onStarted: (cb: (e: AtomitonStartedEvent) => void) => this.listen("started", cb),
      onProgress: (cb: (s: AtomitonStoreSnapshot) => void) => this.listen("progress", cb),
      onCompleted: (cb: (e: AtomitonCompletedEvent) => void) => this.listen("completed", cb),
      onError: (cb: (e: AtomitonErrorEvent) => void) => this.listen("error", cb),
    };
    this.node = {
      store: { subscribe: (cb: (s: AtomitonStoreSnapshot) => void) => this.listen("store", cb) },
      run: (_flow: AtomitonFlow, _context?: unknown) => this.play(),
    };
  }

  /** The recorded Date.now() of the callback being delivered (the first one's before). */
  readonly clock = (): number => this.now;

  /** Runs the capture's flow as recorded: node.run(capture.flowDefinition, capture.runContext). */
  run(): Promise<unknown> {
    return Promise.resolve(this.node.run!(this.capture.flowDefinition, this.capture.runContext));
  }

  private listen(channel: Channel, cb: Listener): () => void {
    this.listeners[channel].add(cb);
    return () => { this.listeners[channel].delete(cb); };
  }

  private async play(): Promise<unknown> {
    const { events } = this.capture;
    const speed = this.options.speed !== undefined && this.options.speed > 0 ? this.options.speed : 1;
    const began = performance.now();
    const first = events[0];
    for (const event of events) {
      if (this.options.realtime && first) {
        const offset = (event.hr !== undefined && first.hr !== undefined)
            ? event.hr - first.hr : event.receivedAt - first.receivedAt;
        const wait = began + offset / speed - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      }
      this.now = event.receivedAt;
      const channel = kChannels[event.channel]!;
      for (const cb of [...this.listeners[channel]]) (cb as (p: unknown) => void)(event.payload);
    }
    return this.capture.result;
  }
}
