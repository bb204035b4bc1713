// One conductor run as the adapter records it: declares the run when the first store
// snapshot (or the run's end) comes, turns each snapshot into the changes since the
// previous one (state-changes at the conductor's own startTime/endTime, progress and
// message at the time the snapshot arrived), and ends the run with complete or fail.
// Not thread-safe (JavaScript runs it on one thread); the recorder calls it makes run
// one after another in the adapter's Serial, in the order the callbacks came.

import {
  declareFlow, declareFromSnapshot, declaredFromGraphNode, errorText, isTerminal, isTime,
  snapshotNodes, snapshotWeights, stateRank, toNodeState,
} from "./graph.js";
import type {
  AtomitonFlow, AtomitonGraphNode, AtomitonStoreSnapshot, NodeState, RecorderLike, RunHandleLike,
} from "./surface.js";

/** Runs async jobs one after another; a job that throws is reported and the next one runs. */
export class Serial {
  private tail: Promise<void> = Promise.resolve();
  constructor(private readonly onError: (error: unknown) => void) {}
  push(job: () => Promise<void> | void): void {
    this.tail = this.tail.then(job).catch((error: unknown) => {
      try { this.onError(error); } catch { /* a failing handler must not stop the queue */ }
    });
  }
  idle(): Promise<void> { return this.tail; }
}

export interface TrackerSetup {
  recorder: RecorderLike;
  serial: Serial;
  now: () => number;
  /** The extrace run id; undefined lets the recorder choose one. */
  executionId: string | undefined;
  rootNodeId: string;
  flow: AtomitonFlow | undefined;
  config: Record<string, unknown>;
  /** When onStarted came (the clock's time). */
  startedAt: number;
}

interface NodeView { state: NodeState; progress: number; message: string | undefined }

/** How far a store's run-level startTime may be from onStarted's time and still be this run's. */
const kStartSlackMs = 1000;

export class RunTracker {
  private handle: RunHandleLike | undefined;
  private begun = false;
  private ended = false;
  private finalized = false;
  private failure: string | undefined;
  private failed = false;
  private latest: AtomitonStoreSnapshot | undefined;
  private runStart = 0;
  private lastNodeTime = 0;
  private readonly views = new Map<string, NodeView>();

  constructor(private readonly setup: TrackerSetup) {}

  get isEnded(): boolean { return this.ended; }
  get isBegun(): boolean { return this.begun; }

  /** Declares the run (once); weights and start time come from the snapshot when given. */
  begin(snapshot: AtomitonStoreSnapshot | undefined): void {
    if (this.begun) return;
    this.begun = true;
    const { flow, rootNodeId, startedAt } = this.setup;
    let nodes = flow ? declareFlow(flow, snapshotWeights(snapshot))
                     : declareFromSnapshot(rootNodeId, snapshot);
    if (flow) {
      // Nodes the store runs that the flow does not hold go under the root.
      const known = new Set(nodes.map((n) => n.id));
      const extra = snapshotNodes(snapshot).filter((n) => !known.has(n.id))
          .map((n) => declaredFromGraphNode(n, rootNodeId));
      nodes = nodes.concat(extra);
    }
    const storeStart = snapshot?.startTime;
    this.runStart = isTime(storeStart) && Math.abs(storeStart - startedAt) <= kStartSlackMs
        ? storeStart : startedAt;
    const request = {
      rootNodeId, nodes, config: this.setup.config, timestamp: this.runStart,
      ...(this.setup.executionId !== undefined ? { executionId: this.setup.executionId } : {}),
    };
    this.setup.serial.push(async () => {
      this.handle = await this.setup.recorder.startRun(request);
    });
  }

  /** A store snapshot: records what changed since the previous one. */
  snapshot(snapshot: AtomitonStoreSnapshot): void {
    if (this.ended) return;
    this.begin(snapshot);
    let stale = false;
    for (const node of snapshotNodes(snapshot)) stale = !this.diffNode(node) || stale;
    if (!stale) this.latest = snapshot;
  }

  /**
   * The run's end. `error` set: the run failed with that message. A failure reported after a
   * completion whose recorder call has not gone out yet still turns it into a failure; a node
   * that ended in error makes the run fail too.
   */
  end(error: { message: string | undefined } | undefined): void {
    if (error) {
      this.failed = true;
      this.failure ??= error.message;
    }
    if (this.ended) return;
    this.begin(this.latest);
    this.ended = true;
    const timestamp = this.endTime();
    this.setup.serial.push(async () => {
      this.finalized = true;
      const handle = this.handle;
      if (!handle) return;
      const nodeError = this.firstNodeError();
      if (this.failed || nodeError !== undefined) {
        await handle.fail(this.failure ?? nodeError?.message ?? "run failed", { timestamp });
      } else {
        await handle.complete({ timestamp });
      }
    });
  }

  /** True once the end went to the recorder (a later failure report changes nothing). */
  get isFinalized(): boolean { return this.finalized; }

  /** Records the node's changes; false for a node older than what was recorded. */
  private diffNode(node: AtomitonGraphNode): boolean {
    const prev = this.views.get(node.id) ?? { state: "pending", progress: 0, message: undefined };
    const state = toNodeState(node.state) ?? prev.state;
    if (stateRank(state) < stateRank(prev.state)) return false;  // an older snapshot
    const progress = typeof node.progress === "number" && Number.isFinite(node.progress)
        ? Math.min(100, Math.max(0, node.progress)) : prev.progress;
    const message = typeof node.message === "string" ? node.message : prev.message;
    const progressChanged = progress !== prev.progress || message !== prev.message;
    const now = this.setup.now();
    const id = node.id;

    if (state !== prev.state && state === "executing") {
      this.state(id, "executing", isTime(node.startTime) ? node.startTime : now);
      if (progressChanged) this.progress(id, progress, message, now);
    } else if (state !== prev.state && isTerminal(state)) {
      if (prev.state === "pending" && state !== "skipped" && isTime(node.startTime)) {
        this.state(id, "executing", node.startTime);
      }
      const endTime = isTime(node.endTime) ? node.endTime : now;
      if (progressChanged) this.progress(id, progress, message, Math.min(now, endTime));
      const errorMessage = state === "error" ? errorText(node.error) : undefined;
      this.state(id, state, endTime, errorMessage);
    } else if (progressChanged) {
      this.progress(id, progress, message, now);
    }
    this.views.set(id, { state, progress, message });
    return true;
  }

  private state(id: string, state: NodeState, timestamp: number, errorMessage?: string): void {
    this.lastNodeTime = Math.max(this.lastNodeTime, timestamp);
    const opts = errorMessage !== undefined ? { errorMessage, timestamp } : { timestamp };
    this.call((h) => h.nodeState(id, state, opts));
  }

  private progress(id: string, value: number, message: string | undefined, timestamp: number): void {
    this.lastNodeTime = Math.max(this.lastNodeTime, timestamp);
    this.call((h) => h.progress(id, value, message, { timestamp }));
  }

  private call(job: (handle: RunHandleLike) => Promise<void>): void {
    this.setup.serial.push(async () => { if (this.handle) await job(this.handle); });
  }

  /** The store's run-level endTime when it is this run's last word, else now. The store
   * moves endTime each time a node finishes, so it counts only if no node ended after it. */
  private endTime(): number {
    const storeEnd = this.latest?.endTime;
    const now = this.setup.now();
    if (isTime(storeEnd) && storeEnd >= this.runStart && storeEnd >= this.lastNodeTime &&
        storeEnd <= now) {
      return storeEnd;
    }
    return Math.max(now, this.runStart);
  }

  private firstNodeError(): { id: string; message: string | undefined } | undefined {
    for (const node of snapshotNodes(this.latest)) {
      if (toNodeState(node.state) === "error") {
        return { id: node.id, message: errorText(node.error) };
      }
    }
    for (const [id, view] of this.views) {
      if (view.state === "error") return { id, message: undefined };
    }
    return undefined;
  }
}
