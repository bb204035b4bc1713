// A typed client over extrace serve's JSON API (docs/http-api.md): the documents
// of `extrace list/show/compare/bottlenecks/history/regressions --json`, and
// `follow()`, an async iterator over a run's Server-Sent Events stream that
// reconnects with Last-Event-ID after a dropped connection.

import type {
  ApiErrorBody,
  BottlenecksDocument,
  CompareDocument,
  ExecutionTrace,
  ExtraceEvent,
  FlowsDocument,
  HealthDocument,
  HistoryDocument,
  RegressionsDocument,
  RunFilter,
  RunStatus,
  RunSummary,
} from "./types.js";

export interface ClientOptions {
  /** Base URL of `extrace serve`, e.g. `http://127.0.0.1:7117`. */
  url: string;
  /** Bearer token, when the server runs with `--token-file`. */
  token?: string;
  /** Per request (documents; not the event stream). Default: 30_000. */
  timeoutMs?: number;
}

/** An error answer of the API: `status` and the server's `code` and one-line message. */
export class ExtraceHttpError extends Error {
  override name = "ExtraceHttpError";
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/** What `follow()` yields. */
export type FollowItem =
  /** An event of the run, in seq order. */
  | { type: "event"; seq: number; event: ExtraceEvent }
  /** A child run of this run started (its events stream at its own id). */
  | { type: "child-run"; executionId: string }
  /** The run ended: the last item. */
  | { type: "end"; status: RunStatus };

export interface FollowOptions {
  /** Resume after this seq (as the `Last-Event-ID` header). Default: from the first event. */
  lastEventId?: number;
  /** Stops following (the iterator ends without an error). */
  signal?: AbortSignal;
  /** First delay before reconnecting after a dropped connection. Default: 100. */
  reconnectDelayMs?: number;
  /** Cap of the reconnect back-off. Default: 2_000. */
  maxReconnectDelayMs?: number;
  /** Called on each reconnect (after a dropped connection or a 503), with why. */
  onReconnect?: (reason: string, lastEventId: number) => void;
}

function timeParam(v: string | number | Date): string {
  return v instanceof Date ? v.toISOString() : String(v);
}

export class ExtraceClient {
  private readonly base: string;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;

  constructor(options: ClientOptions) {
    if (typeof options?.url !== "string") throw new TypeError("createClient: url is required");
    this.base = options.url.replace(/\/+$/, "");
    this.headers = { accept: "application/json" };
    if (options.token !== undefined) this.headers["authorization"] = `Bearer ${options.token}`;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  private url(path: string, params: Record<string, string | number | undefined> = {}): string {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
    const s = q.toString();
    return `${this.base}${path}${s ? `?${s}` : ""}`;
  }

  private async getText(path: string, params?: Record<string, string | number | undefined>): Promise<string> {
    const res = await fetch(this.url(path, params), {
      headers: this.headers,
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await res.text();
    if (!res.ok) throw httpError(res.status, text);
    return text;
  }

  private async getJson<T>(path: string, params?: Record<string, string | number | undefined>): Promise<T> {
    return JSON.parse(await this.getText(path, params)) as T;
  }

  /** `GET /v1/runs`: the runs, newest first (`extrace list --json`). */
  listRuns(filter: RunFilter = {}): Promise<RunSummary[]> {
    return this.getJson("/v1/runs", {
      flow: filter.flow,
      status: filter.status,
      since: filter.since === undefined ? undefined : timeParam(filter.since),
      until: filter.until === undefined ? undefined : timeParam(filter.until),
      node: filter.node,
      state: filter.state,
      error: filter.error,
      slowerThan: filter.slowerThan,
      limit: filter.limit,
    });
  }

  /** `GET /v1/runs/{id}`: the ExecutionTrace (`extrace show --json`); id, `latest` or a prefix. */
  getRun(id: string, options: { flow?: string } = {}): Promise<ExecutionTrace> {
    return this.getJson(`/v1/runs/${encodeURIComponent(id)}`, { flow: options.flow });
  }

  /** `GET /v1/runs/{id}/events`: the stored events (`extrace events`). */
  async events(id: string, options: { afterSeq?: number; node?: string } = {}): Promise<ExtraceEvent[]> {
    const text = await this.getText(`/v1/runs/${encodeURIComponent(id)}/events`, {
      afterSeq: options.afterSeq,
      node: options.node,
    });
    return text
      .split("\n")
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l) as ExtraceEvent);
  }

  /** `GET /v1/compare?a=&b=` (`extrace compare A B --json`). */
  compare(a: string, b: string): Promise<CompareDocument> {
    return this.getJson("/v1/compare", { a, b });
  }

  /** `GET /v1/runs/{id}/bottlenecks` (`extrace bottlenecks ID --json`). */
  bottlenecks(id: string, options: { top?: number } = {}): Promise<BottlenecksDocument> {
    return this.getJson(`/v1/runs/${encodeURIComponent(id)}/bottlenecks`, { top: options.top });
  }

  /** `GET /v1/flows` (`extrace flows --json`). */
  flows(): Promise<FlowsDocument> {
    return this.getJson("/v1/flows");
  }

  /** `GET /v1/flows/{flow}/history` (`extrace history FLOW --json`). */
  history(flow: string, options: { last?: number } = {}): Promise<HistoryDocument> {
    return this.getJson(`/v1/flows/${encodeURIComponent(flow)}/history`, { last: options.last });
  }

  /** `GET /v1/flows/{flow}/regressions` (`extrace regressions FLOW --json`); 200 also when regressed. */
  regressions(
    flow: string,
    options: { run?: string; baseline?: number; threshold?: number } = {},
  ): Promise<RegressionsDocument> {
    return this.getJson(`/v1/flows/${encodeURIComponent(flow)}/regressions`, {
      run: options.run,
      baseline: options.baseline,
      threshold: options.threshold,
    });
  }

  /** `GET /v1/health`. */
  health(): Promise<HealthDocument> {
    return this.getJson("/v1/health");
  }

  /**
   * Follows a run live (`GET /v1/runs/{id}/stream`): every event in seq order, child-run
   * announcements, then `{ type: "end" }`, after which the iterator is done. A dropped
   * connection is reconnected with `Last-Event-ID` (back-off from `reconnectDelayMs`),
   * nothing missed and nothing twice; a 204 on reconnect means the run had ended.
   * Rejects on 4xx (unknown `latest`, ambiguous prefix, wrong token). Breaking out of
   * the loop, or `signal`, closes the connection.
   */
  async *follow(id: string, options: FollowOptions = {}): AsyncGenerator<FollowItem, void, undefined> {
    const url = this.url(`/v1/runs/${encodeURIComponent(id)}/stream`);
    const base = options.reconnectDelayMs ?? 100;
    const cap = options.maxReconnectDelayMs ?? 2_000;
    // `id:` is a watermark: every seq at or below it was sent. An event above it (one
    // that overtook a hole) may come again after a reconnect: `above` skips it.
    let watermark = options.lastEventId ?? 0;
    const above = new Set<number>();
    let failures = 0;
    const advance = (id: string | undefined): void => {
      const n = Number(id);
      if (id === undefined || !Number.isSafeInteger(n) || n <= watermark) return;
      watermark = n;
      for (const s of above) if (s <= watermark) above.delete(s);
    };
    const stop = new AbortController();
    const onAbort = (): void => stop.abort();
    options.signal?.addEventListener("abort", onAbort, { once: true });
    if (options.signal?.aborted) return;
    try {
      for (;;) {
        let reason: string;
        let retryAfter = 0;
        const headers: Record<string, string> = { ...this.headers, accept: "text/event-stream" };
        if (watermark > 0) headers["last-event-id"] = String(watermark);
        try {
          const res = await fetch(url, { headers, signal: stop.signal });
          if (res.status === 204) return;
          if (res.status === 503 || res.status === 429 || res.status >= 500) {
            const text = await res.text();
            retryAfter = Number(res.headers.get("retry-after") ?? 0) * 1000 || 0;
            reason = `HTTP ${res.status}: ${text.slice(0, 200)}`;
          } else if (!res.ok || res.body === null) {
            throw httpError(res.status, await res.text());
          } else {
            for await (const msg of sseMessages(res.body)) {
              failures = 0;
              if (msg.event === "message") {
                const event = JSON.parse(msg.data) as ExtraceEvent;
                const seq = event.seq ?? 0;
                const fresh = seq > watermark && !above.has(seq);
                advance(msg.id);
                if (seq > watermark) above.add(seq);
                if (fresh) yield { type: "event", seq, event };
              } else if (msg.event === "child-run") {
                advance(msg.id);
                const d = JSON.parse(msg.data) as { executionId: string };
                yield { type: "child-run", executionId: d.executionId };
              } else if (msg.event === "end") {
                const d = JSON.parse(msg.data) as { status: RunStatus };
                yield { type: "end", status: d.status };
                return;
              }
            }
            reason = "the stream ended before the run did";
          }
        } catch (e) {
          if (stop.signal.aborted) return;
          if (e instanceof ExtraceHttpError) throw e;
          reason = (e as Error).message;
          const cause = (e as { cause?: { code?: string } }).cause;
          if (cause?.code) reason += ` (${cause.code})`;
        }
        failures++;
        options.onReconnect?.(reason, watermark);
        const delay = Math.max(retryAfter, Math.random() * Math.min(cap, base * 2 ** Math.min(failures - 1, 20)));
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, delay);
          stop.signal.addEventListener(
            "abort",
            () => {
              clearTimeout(t);
              resolve();
            },
            { once: true },
          );
        });
        if (stop.signal.aborted) return;
      }
    } finally {
      options.signal?.removeEventListener("abort", onAbort);
      stop.abort(); // closes the connection when the consumer stopped early
    }
  }
}

/** A client of `extrace serve`'s JSON API. */
export function createClient(options: ClientOptions): ExtraceClient {
  return new ExtraceClient(options);
}

function httpError(status: number, text: string): ExtraceHttpError {
  let body: Partial<ApiErrorBody> = {};
  try {
    body = JSON.parse(text) as Partial<ApiErrorBody>;
  } catch {
    body = { error: text.slice(0, 200) };
  }
  return new ExtraceHttpError(`extrace serve answered ${status}: ${body.error ?? ""}`, status, body.code);
}

interface SseMessage {
  event: string;
  data: string;
  id: string | undefined;
}

/** Server-Sent Events parsing (the WHATWG rules) over a fetch body. */
async function* sseMessages(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let event = "";
  let data: string[] = [];
  let id: string | undefined;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let start = 0;
      const eol = /\r\n|\r|\n/g;
      for (;;) {
        eol.lastIndex = start;
        const m = eol.exec(buffer);
        if (m === null) break;
        const end = m.index;
        // A lone \r at the very end may be the first half of \r\n: wait for more.
        if (m[0] === "\r" && end + 1 === buffer.length) break;
        const line = buffer.slice(start, end);
        start = end + m[0].length;
        if (line === "") {
          if (data.length > 0 || event !== "") {
            yield { event: event || "message", data: data.join("\n"), id };
          }
          event = "";
          data = [];
          id = undefined;
          continue;
        }
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? "" : line.slice(colon + 1);
        if (value.startsWith(" ")) value = value.slice(1);
        if (field === "data") data.push(value);
        else if (field === "event") event = value;
        else if (field === "id" && !value.includes("\0")) id = value;
      }
      buffer = buffer.slice(start);
    }
  } finally {
    reader.cancel().catch(() => undefined);
  }
}
