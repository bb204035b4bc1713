// The recorder: records runs of a node graph as events of the format v1 and
// sends them to `extrace serve` (POST /v1/events) in batches, or appends them to
// a JSON Lines file for `extrace ingest`.
//
// Every recording call numbers its event (seq, per run) at once and returns a
// Promise that resolves when the event is buffered, not when it is sent: it
// waits only while `maxBuffered` events are unacknowledged (back-pressure).
// Because each event carries its own seq, a batch sent again after a lost
// answer is a no-op on the server (duplicates), never a second copy.
//
// Single-threaded like all of Node: a Recorder may be used from any number of
// concurrent async tasks; the events of a run are stored in call order.

import { randomUUID } from "node:crypto";
import { open, type FileHandle } from "node:fs/promises";
import { performance } from "node:perf_hooks";
import type {
  ApiErrorBody,
  ExtraceEvent,
  EventType,
  NodeDeclaration,
  NodeState,
} from "./types.js";

export interface RecorderOptions {
  /** Base URL of `extrace serve`, e.g. `http://127.0.0.1:7117`. Either `url` or `file`. */
  url?: string;
  /** A JSON Lines file to append to (for `extrace ingest FILE`). Either `url` or `file`. */
  file?: string;
  /** Bearer token, when the server runs with `--token-file`. */
  token?: string;
  /** Events per request (or per file write). Default: 500. */
  batchSize?: number;
  /** A partial batch is sent this long after its first event. Default: 50. */
  flushIntervalMs?: number;
  /** Unacknowledged events at most; recording calls wait beyond it. Default: 100_000. */
  maxBuffered?: number;
  /** Drop (and count in `stats().dropped`) instead of waiting when full. Default: false. */
  dropWhenFull?: boolean;
  /** Requests in flight at once (HTTP only; a file takes one write at a time). Default: 2. */
  maxInFlight?: number;
  /** A request without an answer after this long is aborted and retried. Default: 30_000. */
  requestTimeoutMs?: number;
  /** First back-off step of a retry. Default: 100. */
  retryBaseMs?: number;
  /** Cap of the back-off (before `Retry-After`, which may ask for more). Default: 5_000. */
  retryMaxMs?: number;
  /**
   * Called for every failure: `retryable` ones (network error, timeout, 429, 5xx; the
   * batch is being retried) and final ones (400/409: the event was refused; other 4xx:
   * the batch was refused; a write error of the file; events lost at a close deadline).
   */
  onError?: (error: RecorderError) => void;
  /** Print `extrace-client: N events not acknowledged were lost` at process exit. Default: true. */
  reportLostOnExit?: boolean;
}

export interface StartRunOptions {
  /** Default: `crypto.randomUUID()`. */
  executionId?: string;
  rootNodeId: string;
  /** The run's graph in declaration order; `rootNodeId` must be one of them. */
  nodes: NodeDeclaration[];
  parentExecutionId?: string;
  parentNodeId?: string;
  config?: Record<string, unknown>;
  /** Milliseconds since the epoch. Default: now (to the microsecond). */
  timestamp?: number;
}

export type StartChildRunOptions = Omit<StartRunOptions, "parentExecutionId" | "parentNodeId">;

export interface TimestampOption {
  /** Milliseconds since the epoch. Default: now (to the microsecond). */
  timestamp?: number;
}

export interface NodeStateOptions extends TimestampOption {
  errorMessage?: string;
}

export interface UncheckedEvent extends TimestampOption {
  type: EventType;
  nodeId?: string;
  data?: Record<string, unknown>;
}

/**
 * One run being recorded. Every method resolves once its event is buffered (after
 * waiting for room when `maxBuffered` events are unacknowledged); it rejects at once,
 * recording nothing, on local misuse (a progress outside 0..100, an unknown state,
 * a closed recorder).
 */
export interface RunHandle {
  readonly executionId: string;
  nodeState(nodeId: string, state: NodeState, options?: NodeStateOptions): Promise<void>;
  progress(nodeId: string, value: number, message?: string, options?: TimestampOption): Promise<void>;
  /** The run ended (`completed` event). */
  complete(options?: TimestampOption): Promise<void>;
  /** The run failed as a whole (`error` event with `data.message`). */
  fail(message: string, options?: TimestampOption): Promise<void>;
  /** A child run of group node `parentNodeId` of this run. */
  startChildRun(parentNodeId: string, options: StartChildRunOptions): Promise<RunHandle>;
  /**
   * Records any event of this run without local checks (numbered like the others): for
   * fields the helpers do not set, and for testing the server's refusals. The server
   * still validates it: a bad one is refused (400) and reported as by `flush()`.
   */
  emitUnchecked(event: UncheckedEvent): Promise<void>;
}

export interface RecorderStats {
  /** Events accepted into the buffer. */
  enqueued: number;
  /** Events the server acknowledged (stored + duplicates), or written to the file. */
  acknowledged: number;
  stored: number;
  /** Events the server already had (a retried batch). */
  duplicates: number;
  /** Events refused by the server (400/409, other 4xx) or lost to a write error. */
  rejected: number;
  /** Events dropped because the buffer was full (`dropWhenFull`). */
  dropped: number;
  /** Events given up at a `close({ timeoutMs })` deadline. */
  lost: number;
  /** Events enqueued and not yet acknowledged (queued or in flight). */
  buffered: number;
  /** Recording calls waiting for room (back-pressure). */
  waiting: number;
  /** The largest `buffered` seen: never above `maxBuffered`. */
  maxBufferedSeen: number;
  /** Requests (or file writes) made, retries included. */
  requests: number;
  retries: number;
}

export type RecorderErrorKind = "retrying" | "rejected" | "write-failed" | "lost" | "timeout";

/** A failure of the recorder; see `RecorderOptions.onError`. */
export class RecorderError extends Error {
  override name = "RecorderError";
  /** `retrying`: will be retried; the others are final. */
  readonly kind: RecorderErrorKind;
  readonly retryable: boolean;
  /** HTTP status, when the server answered. */
  readonly status?: number;
  /** The server's error code (`invalid_input`, `conflict`, `busy`, ...). */
  readonly code?: string;
  /** The field at fault named by the server (`data.progress`), for a refused event. */
  readonly field?: string;
  /** The refused event's run and seq. */
  readonly executionId?: string;
  readonly seq?: number;
  /** Events this error concerns (refused, lost, or being retried). */
  readonly events: number;
  /** Attempt number of a retried batch (1 = the first retry is coming). */
  readonly attempt?: number;

  constructor(
    message: string,
    fields: {
      kind: RecorderErrorKind;
      events: number;
      status?: number;
      code?: string;
      field?: string;
      executionId?: string;
      seq?: number;
      attempt?: number;
      cause?: unknown;
    },
  ) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.kind = fields.kind;
    this.retryable = fields.kind === "retrying";
    this.events = fields.events;
    if (fields.status !== undefined) this.status = fields.status;
    if (fields.code !== undefined) this.code = fields.code;
    if (fields.field !== undefined) this.field = fields.field;
    if (fields.executionId !== undefined) this.executionId = fields.executionId;
    if (fields.seq !== undefined) this.seq = fields.seq;
    if (fields.attempt !== undefined) this.attempt = fields.attempt;
  }
}

export interface Recorder {
  startRun(options: StartRunOptions): Promise<RunHandle>;
  /**
   * Sends everything recorded before the call and resolves once the server acknowledged
   * it (or the file has it). Rejects with the first `RecorderError` that was final since
   * the last flush settled (a refused event: the server's `line N: field: what`).
   * Network errors are retried, without a deadline unless `timeoutMs` is given.
   */
  flush(options?: { timeoutMs?: number }): Promise<void>;
  /**
   * Flushes, then stops: resolves once everything was acknowledged. With `timeoutMs`
   * (default: none, it keeps retrying) what is still unacknowledged at the deadline is
   * given up (counted in `stats().lost`) and close rejects. Later recording calls reject.
   */
  close(options?: { timeoutMs?: number }): Promise<void>;
  stats(): RecorderStats;
}

/** A recorder into `extrace serve` (`{ url }`) or a JSON Lines file (`{ file }`). */
export function createRecorder(options: RecorderOptions): Recorder {
  return new RecorderImpl(options);
}

// ---------------------------------------------------------------------------

const NODE_STATES: ReadonlySet<string> = new Set(["pending", "executing", "completed", "error", "skipped"]);
const EVENT_TYPES: ReadonlySet<string> = new Set(["started", "progress", "state-change", "completed", "error"]);

/** Now, in ms since the epoch to the microsecond (Date.now() has whole ms only). */
function nowMs(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000) / 1000;
}

function checkTimestamp(t: number | undefined): number {
  if (t === undefined) return nowMs();
  if (typeof t !== "number" || !Number.isFinite(t)) {
    throw new TypeError(`timestamp: must be a finite number of milliseconds, got ${String(t)}`);
  }
  return t;
}

function checkString(what: string, v: unknown): asserts v is string {
  if (typeof v !== "string" || v.length === 0) throw new TypeError(`${what}: must be a non-empty string`);
}

function checkGraph(o: StartRunOptions): void {
  checkString("rootNodeId", o.rootNodeId);
  if (!Array.isArray(o.nodes) || o.nodes.length === 0) throw new TypeError("nodes: must be a non-empty array");
  const ids = new Set<string>();
  o.nodes.forEach((n, i) => {
    checkString(`nodes[${i}].id`, n?.id);
    if (ids.has(n.id)) throw new TypeError(`nodes[${i}].id: duplicate node id "${n.id}"`);
    ids.add(n.id);
    if (typeof n.name !== "string") throw new TypeError(`nodes[${i}].name: must be a string`);
    if (typeof n.type !== "string") throw new TypeError(`nodes[${i}].type: must be a string`);
    if (n.weight !== undefined && !(typeof n.weight === "number" && n.weight >= 0)) {
      throw new TypeError(`nodes[${i}].weight: must be a number >= 0`);
    }
  });
  o.nodes.forEach((n, i) => {
    if (n.parentId === undefined) return;
    if (n.id === o.rootNodeId) throw new TypeError(`nodes[${i}].parentId: the root node has no parent`);
    if (!ids.has(n.parentId)) throw new TypeError(`nodes[${i}].parentId: "${n.parentId}" is not a declared node`);
  });
  if (!ids.has(o.rootNodeId)) throw new TypeError(`rootNodeId: "${o.rootNodeId}" is not one of nodes`);
  if ((o.parentExecutionId === undefined) !== (o.parentNodeId === undefined)) {
    throw new TypeError("parentExecutionId and parentNodeId: give both or neither");
  }
  if (o.executionId !== undefined) {
    checkString("executionId", o.executionId);
    if (o.executionId.length > 256) throw new TypeError("executionId: longer than 256 characters");
  }
  if (o.config !== undefined && (typeof o.config !== "object" || o.config === null || Array.isArray(o.config))) {
    throw new TypeError("config: must be an object");
  }
}

/** A FIFO of event lines with O(1) take from the front. */
class LineQueue {
  private items: string[] = [];
  private head = 0;
  get size(): number {
    return this.items.length - this.head;
  }
  push(line: string): void {
    this.items.push(line);
  }
  take(n: number): string[] {
    const out = this.items.slice(this.head, this.head + n);
    this.head += out.length;
    if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return out;
  }
  unshift(lines: string[]): void {
    this.items = lines.concat(this.items.slice(this.head));
    this.head = 0;
  }
  clear(): number {
    const n = this.size;
    this.items = [];
    this.head = 0;
    return n;
  }
}

interface FlushWaiter {
  target: number;
  resolve: () => void;
  reject: (e: Error) => void;
}

const openRecorders = new Set<RecorderImpl>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const r of openRecorders) r.reportLoss();
  });
}

function sleep(ms: number, abort: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (abort.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      abort.removeEventListener("abort", done);
      resolve();
    }
    abort.addEventListener("abort", done, { once: true });
  });
}

/** `Retry-After` in ms (seconds or an HTTP date), or undefined. */
function retryAfterMs(header: string | null): number | undefined {
  if (header === null) return undefined;
  const s = Number(header.trim());
  if (Number.isFinite(s) && s >= 0) return s * 1000;
  const d = Date.parse(header);
  return Number.isNaN(d) ? undefined : Math.max(0, d - Date.now());
}

class RecorderImpl implements Recorder {
  private readonly url: string | undefined;
  private readonly file: string | undefined;
  private readonly headers: Record<string, string>;
  private readonly batchSize: number;
  private readonly flushIntervalMs: number;
  private readonly maxBuffered: number;
  private readonly dropWhenFull: boolean;
  private readonly maxInFlight: number;
  private readonly requestTimeoutMs: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private readonly onError: ((e: RecorderError) => void) | undefined;

  private readonly queue = new LineQueue();
  private inFlight = 0; // batches
  private enqueued = 0;
  private settled = 0; // acknowledged + rejected + lost (of enqueued)
  private readonly counters = {
    acknowledged: 0,
    stored: 0,
    duplicates: 0,
    rejected: 0,
    dropped: 0,
    lost: 0,
    maxBufferedSeen: 0,
    requests: 0,
    retries: 0,
  };
  private readonly roomWaiters: (() => void)[] = [];
  private flushWaiters: FlushWaiter[] = [];
  private pendingErrors: RecorderError[] = [];
  private timer: NodeJS.Timeout | undefined;
  private urgent = false; // send partial batches now (timer fired, or a flush waits)
  private closed = false;
  private readonly stop = new AbortController(); // close deadline: abandon retries
  private fileHandle: Promise<FileHandle> | undefined;

  constructor(o: RecorderOptions) {
    if ((o.url === undefined) === (o.file === undefined)) {
      throw new TypeError("createRecorder: give either url or file");
    }
    this.url = o.url === undefined ? undefined : o.url.replace(/\/+$/, "") + "/v1/events";
    this.file = o.file;
    this.headers = { "content-type": "application/x-ndjson" };
    if (o.token !== undefined) this.headers["authorization"] = `Bearer ${o.token}`;
    const positive = (name: string, v: number | undefined, def: number, min = 1): number => {
      if (v === undefined) return def;
      if (typeof v !== "number" || !(v >= min)) throw new TypeError(`createRecorder: ${name} must be a number >= ${min}`);
      return v;
    };
    this.batchSize = Math.floor(positive("batchSize", o.batchSize, 500));
    this.flushIntervalMs = positive("flushIntervalMs", o.flushIntervalMs, 50, 0);
    this.maxBuffered = Math.floor(positive("maxBuffered", o.maxBuffered, 100_000));
    this.dropWhenFull = o.dropWhenFull ?? false;
    this.maxInFlight = this.file !== undefined ? 1 : Math.floor(positive("maxInFlight", o.maxInFlight, 2));
    this.requestTimeoutMs = positive("requestTimeoutMs", o.requestTimeoutMs, 30_000);
    this.retryBaseMs = positive("retryBaseMs", o.retryBaseMs, 100, 0);
    this.retryMaxMs = positive("retryMaxMs", o.retryMaxMs, 5_000, 0);
    this.onError = o.onError;
    if (o.reportLostOnExit ?? true) {
      openRecorders.add(this);
      installExitHook();
    }
  }

  // --- recording --------------------------------------------------------------

  async startRun(o: StartRunOptions): Promise<RunHandle> {
    checkGraph(o);
    const timestamp = checkTimestamp(o.timestamp);
    const executionId = o.executionId ?? randomUUID();
    const data: Record<string, unknown> = { rootNodeId: o.rootNodeId, nodes: o.nodes };
    if (o.parentExecutionId !== undefined) {
      data["parentExecutionId"] = o.parentExecutionId;
      data["parentNodeId"] = o.parentNodeId;
    }
    if (o.config !== undefined) data["config"] = o.config;
    const run = new Run(this, executionId, new Set(o.nodes.map((n) => n.id)));
    await run.record({ executionId, timestamp, type: "started", data } as ExtraceEvent);
    return run;
  }

  /** Buffers one event line; waits for room first when full (in call order). */
  enqueue(line: string): Promise<void> | undefined {
    if (this.closed) return Promise.reject(new Error("extrace-client: the recorder is closed"));
    if (this.roomWaiters.length === 0 && this.buffered() < this.maxBuffered) {
      this.push(line);
      return undefined;
    }
    return new Promise<void>((resolve) => {
      this.roomWaiters.push(() => {
        this.push(line);
        resolve();
      });
    });
  }

  /** With dropWhenFull: whether the next event would have to wait (so is dropped). */
  shouldDrop(): boolean {
    if (!this.dropWhenFull || this.closed) return false;
    if (this.buffered() < this.maxBuffered) return false;
    this.counters.dropped++;
    return true;
  }

  checkOpen(): void {
    if (this.closed) throw new Error("extrace-client: the recorder is closed");
  }

  private buffered(): number {
    return this.enqueued - this.settled;
  }

  private push(line: string): void {
    this.queue.push(line);
    this.enqueued++;
    const b = this.buffered();
    if (b > this.counters.maxBufferedSeen) this.counters.maxBufferedSeen = b;
    if (this.queue.size >= this.batchSize) this.pump();
    else if (this.urgent) this.pump();
    else this.armTimer();
  }

  private armTimer(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.urgent = true;
      this.pump();
    }, this.flushIntervalMs);
  }

  /** Starts batches while there is room in flight and something to send. */
  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queue.size > 0) {
      if (this.queue.size < this.batchSize && !this.urgent) break;
      const lines = this.queue.take(this.batchSize);
      this.inFlight++;
      const send = this.file !== undefined ? this.writeBatch(lines) : this.postBatch(lines);
      void send.finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
    if (this.queue.size === 0) {
      this.urgent = this.flushWaiters.length > 0;
      if (this.timer !== undefined && this.queue.size === 0) {
        clearTimeout(this.timer);
        this.timer = undefined;
      }
    } else if (!this.urgent) {
      this.armTimer();
    }
  }

  /** `n` events of the buffer are done with (acknowledged, refused or lost). */
  private settle(n: number): void {
    if (n <= 0) return;
    this.settled += n;
    while (this.roomWaiters.length > 0 && this.buffered() < this.maxBuffered) {
      this.roomWaiters.shift()!();
    }
    this.settleFlushes();
  }

  private settleFlushes(): void {
    if (this.flushWaiters.length === 0) return;
    const done = this.flushWaiters.filter((w) => this.settled >= w.target);
    if (done.length === 0) return;
    this.flushWaiters = this.flushWaiters.filter((w) => this.settled < w.target);
    const error = this.pendingErrors[0];
    this.pendingErrors = [];
    for (const w of done) {
      if (error === undefined) w.resolve();
      else w.reject(error);
    }
  }

  private report(e: RecorderError): void {
    if (e.kind !== "retrying") this.pendingErrors.push(e);
    if (this.onError !== undefined) {
      try {
        this.onError(e);
      } catch {
        // a throwing callback must not break the sender
      }
    }
  }

  // --- sending ----------------------------------------------------------------

  private backoff(attempt: number, retryAfter: number | undefined): number {
    const ceiling = Math.min(this.retryMaxMs, this.retryBaseMs * 2 ** Math.min(attempt - 1, 30));
    const jittered = Math.random() * ceiling; // full jitter
    return retryAfter === undefined ? jittered : Math.max(jittered, retryAfter);
  }

  private async postBatch(lines: string[]): Promise<void> {
    let start = 0; // lines[0..start) are acknowledged
    for (let attempt = 0; ; ) {
      if (this.stop.signal.aborted) {
        this.giveUp(lines.length - start);
        return;
      }
      let retryAfter: number | undefined;
      let failure: RecorderError;
      const remaining = lines.length - start;
      try {
        this.counters.requests++;
        const abort = new AbortController();
        const onStop = (): void => abort.abort();
        this.stop.signal.addEventListener("abort", onStop, { once: true });
        const timer = setTimeout(() => abort.abort(), this.requestTimeoutMs);
        let res: Response;
        let text: string;
        try {
          res = await fetch(this.url!, {
            method: "POST",
            headers: this.headers,
            body: (start === 0 ? lines : lines.slice(start)).join("\n") + "\n",
            signal: abort.signal,
          });
          text = await res.text();
        } finally {
          clearTimeout(timer);
          this.stop.signal.removeEventListener("abort", onStop);
        }
        let body: Partial<ApiErrorBody> = {};
        try {
          body = JSON.parse(text) as Partial<ApiErrorBody>;
        } catch {
          body = { error: text.slice(0, 200) };
        }
        const stored = typeof body.stored === "number" ? body.stored : 0;
        const duplicates = typeof body.duplicates === "number" ? body.duplicates : 0;
        if (res.ok) {
          this.acknowledge(remaining, stored, duplicates);
          return;
        }
        if (res.status === 400 || res.status === 409) {
          // Line N is refused; the lines before it are stored, none after it.
          const m = /^line (\d+): ([^:]+):/.exec(body.error ?? "");
          const before = Math.min(remaining - 1, m ? Number(m[1]) - 1 : stored + duplicates);
          this.acknowledge(before, stored, duplicates);
          const bad = lines[start + before]!;
          const rest = lines.slice(start + before + 1);
          let id: { executionId?: string; seq?: number } = {};
          try {
            id = JSON.parse(bad) as typeof id;
          } catch {
            // our own line: always JSON
          }
          this.counters.rejected++;
          this.report(
            new RecorderError(
              `extrace serve refused event seq ${id.seq} of run "${id.executionId}" (HTTP ${res.status}): ${(body.error ?? "").replace(/^line \d+: /, "")}`,
              {
                kind: "rejected",
                events: 1,
                status: res.status,
                ...(body.code !== undefined ? { code: body.code } : {}),
                ...(m ? { field: m[2]! } : {}),
                ...(id.executionId !== undefined ? { executionId: id.executionId } : {}),
                ...(id.seq !== undefined ? { seq: id.seq } : {}),
              },
            ),
          );
          // The events after the refused one go back to the front of the queue.
          if (rest.length > 0) this.queue.unshift(rest);
          this.settle(1);
          if (rest.length > 0) this.urgent = true;
          return;
        }
        if (res.status === 429 || res.status >= 500) {
          // 503 says how much of the body was stored before the store got busy.
          const done = Math.min(remaining, stored + duplicates);
          this.acknowledge(done, stored, duplicates);
          start += done;
          retryAfter = retryAfterMs(res.headers.get("retry-after"));
          failure = new RecorderError(
            `extrace serve answered ${res.status}${body.error ? `: ${body.error}` : ""}; retrying`,
            { kind: "retrying", events: lines.length - start, status: res.status, ...(body.code ? { code: body.code } : {}) },
          );
        } else {
          // 401, 403, 404, 413, ...: retrying would not help.
          this.counters.rejected += remaining;
          this.report(
            new RecorderError(`extrace serve refused a batch of ${remaining} events (HTTP ${res.status}): ${body.error ?? ""}`, {
              kind: "rejected",
              events: remaining,
              status: res.status,
              ...(body.code !== undefined ? { code: body.code } : {}),
            }),
          );
          this.settle(remaining);
          return;
        }
      } catch (e) {
        if (this.stop.signal.aborted) continue; // gives up above
        const cause = (e as { cause?: { code?: string; message?: string } }).cause;
        const why =
          (e as Error).name === "AbortError"
            ? `no answer within ${this.requestTimeoutMs} ms`
            : `${(e as Error).message}${cause?.code ? ` (${cause.code})` : cause?.message ? ` (${cause.message})` : ""}`;
        failure = new RecorderError(`extrace-client: sending ${remaining} events to ${this.url} failed: ${why}; retrying`, {
          kind: "retrying",
          events: remaining,
          cause: e,
        });
      }
      attempt++;
      this.counters.retries++;
      const f = failure;
      this.report(
        new RecorderError(f.message, {
          kind: "retrying",
          events: f.events,
          attempt,
          ...(f.status !== undefined ? { status: f.status } : {}),
          ...(f.code !== undefined ? { code: f.code } : {}),
          ...(f.cause !== undefined ? { cause: f.cause } : {}),
        }),
      );
      await sleep(this.backoff(attempt, retryAfter), this.stop.signal);
    }
  }

  private acknowledge(n: number, stored: number, duplicates: number): void {
    if (n <= 0) return;
    this.counters.acknowledged += n;
    this.counters.stored += stored;
    this.counters.duplicates += duplicates;
    this.settle(n);
  }

  private giveUp(n: number): void {
    this.counters.lost += n;
    this.settle(n);
  }

  private async writeBatch(lines: string[]): Promise<void> {
    if (this.stop.signal.aborted) {
      this.giveUp(lines.length);
      return;
    }
    try {
      this.fileHandle ??= open(this.file!, "a");
      const fh = await this.fileHandle;
      this.counters.requests++;
      await fh.write(lines.join("\n") + "\n"); // one write per batch
      this.acknowledge(lines.length, lines.length, 0);
    } catch (e) {
      this.counters.rejected += lines.length;
      this.report(
        new RecorderError(`extrace-client: writing ${lines.length} events to ${this.file} failed: ${(e as Error).message}`, {
          kind: "write-failed",
          events: lines.length,
          cause: e,
        }),
      );
      this.settle(lines.length);
    }
  }

  // --- flush, close, stats -----------------------------------------------------

  flush(options: { timeoutMs?: number } = {}): Promise<void> {
    const target = this.enqueued + this.roomWaiters.length;
    const p = new Promise<void>((resolve, reject) => {
      this.flushWaiters.push({ target, resolve, reject });
    });
    this.urgent = true;
    this.pump();
    this.settleFlushes();
    if (options.timeoutMs === undefined || !Number.isFinite(options.timeoutMs)) return p;
    return new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => {
        reject(
          new RecorderError(`extrace-client: flush: ${this.buffered()} events not acknowledged after ${options.timeoutMs} ms`, {
            kind: "timeout",
            events: this.buffered(),
          }),
        );
      }, options.timeoutMs);
      p.then(resolve, reject).finally(() => clearTimeout(t));
    });
  }

  async close(options: { timeoutMs?: number } = {}): Promise<void> {
    if (this.closed) {
      await this.flush();
      return;
    }
    let flushError: unknown;
    const flushed = this.flush().catch((e: unknown) => {
      flushError = e;
    });
    this.closed = true;
    let deadline: NodeJS.Timeout | undefined;
    if (options.timeoutMs !== undefined && Number.isFinite(options.timeoutMs)) {
      deadline = setTimeout(() => this.abandon(), options.timeoutMs);
    }
    await flushed;
    if (deadline !== undefined) clearTimeout(deadline);
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.fileHandle !== undefined) {
      const fh = await this.fileHandle.catch(() => undefined);
      await fh?.close().catch(() => undefined);
    }
    if (this.counters.lost === 0) openRecorders.delete(this);
    if (flushError !== undefined) throw flushError;
  }

  /** The close deadline passed: stop retrying, count what is left as lost. */
  private abandon(): void {
    const n = this.buffered() + this.roomWaiters.length;
    this.report(
      new RecorderError(`extrace-client: close: gave up on ${n} events not acknowledged by ${this.url ?? this.file}`, {
        kind: "lost",
        events: n,
      }),
    );
    this.stop.abort();
    const queued = this.queue.clear();
    // Waiting callers get their events counted as lost without buffering them.
    const waiting = this.roomWaiters.length;
    this.roomWaiters.length = 0;
    this.enqueued += waiting;
    this.giveUp(queued + waiting);
  }

  /** At process exit: print how many events were never acknowledged. */
  reportLoss(): void {
    const n = this.buffered() + this.roomWaiters.length + this.counters.lost;
    if (n > 0) process.stderr.write(`extrace-client: ${n} events not acknowledged were lost\n`);
  }

  stats(): RecorderStats {
    return {
      enqueued: this.enqueued,
      acknowledged: this.counters.acknowledged,
      stored: this.counters.stored,
      duplicates: this.counters.duplicates,
      rejected: this.counters.rejected,
      dropped: this.counters.dropped,
      lost: this.counters.lost,
      buffered: this.buffered(),
      waiting: this.roomWaiters.length,
      maxBufferedSeen: this.counters.maxBufferedSeen,
      requests: this.counters.requests,
      retries: this.counters.retries,
    };
  }
}

class Run implements RunHandle {
  private seq = 0;

  constructor(
    private readonly recorder: RecorderImpl,
    readonly executionId: string,
    private readonly nodeIds: ReadonlySet<string>,
  ) {}

  /** Numbers the event and buffers it (the seq is taken now: call order is log order). */
  async record(event: ExtraceEvent): Promise<void> {
    this.recorder.checkOpen();
    if (this.recorder.shouldDrop()) return;
    const { executionId, ...rest } = event;
    const line = JSON.stringify({ executionId, seq: ++this.seq, ...rest });
    await this.recorder.enqueue(line);
  }

  private checkNode(nodeId: string): void {
    checkString("nodeId", nodeId);
    if (!this.nodeIds.has(nodeId)) throw new TypeError(`nodeId: "${nodeId}" is not a node of run ${this.executionId}`);
  }

  async nodeState(nodeId: string, state: NodeState, options: NodeStateOptions = {}): Promise<void> {
    this.checkNode(nodeId);
    if (!NODE_STATES.has(state)) throw new TypeError(`state: "${String(state)}" is not one of ${[...NODE_STATES].join(", ")}`);
    const data: { state: NodeState; errorMessage?: string } = { state };
    if (options.errorMessage !== undefined) data.errorMessage = String(options.errorMessage);
    const timestamp = checkTimestamp(options.timestamp);
    await this.record({ executionId: this.executionId, timestamp, type: "state-change", nodeId, data });
  }

  async progress(nodeId: string, value: number, message?: string, options: TimestampOption = {}): Promise<void> {
    this.checkNode(nodeId);
    if (typeof value !== "number" || !(value >= 0 && value <= 100)) {
      throw new RangeError(`progress: must be a number from 0 to 100, got ${String(value)}`);
    }
    const data: { progress: number; message?: string } = { progress: value };
    if (message !== undefined) data.message = String(message);
    const timestamp = checkTimestamp(options.timestamp);
    await this.record({ executionId: this.executionId, timestamp, type: "progress", nodeId, data });
  }

  async complete(options: TimestampOption = {}): Promise<void> {
    const timestamp = checkTimestamp(options.timestamp);
    await this.record({ executionId: this.executionId, timestamp, type: "completed" });
  }

  async fail(message: string, options: TimestampOption = {}): Promise<void> {
    if (typeof message !== "string") throw new TypeError("message: must be a string");
    const timestamp = checkTimestamp(options.timestamp);
    await this.record({ executionId: this.executionId, timestamp, type: "error", data: { message } });
  }

  async startChildRun(parentNodeId: string, options: StartChildRunOptions): Promise<RunHandle> {
    this.checkNode(parentNodeId);
    return this.recorder.startRun({ ...options, parentExecutionId: this.executionId, parentNodeId });
  }

  async emitUnchecked(e: UncheckedEvent): Promise<void> {
    if (!EVENT_TYPES.has(e.type)) throw new TypeError(`type: "${String(e.type)}" is not an event type`);
    const event: Record<string, unknown> = {
      executionId: this.executionId,
      timestamp: checkTimestamp(e.timestamp),
      type: e.type,
    };
    if (e.nodeId !== undefined) event["nodeId"] = e.nodeId;
    if (e.data !== undefined) event["data"] = e.data;
    await this.record(event as unknown as ExtraceEvent);
  }
}
