// attachAtomiton(conductor, recorder): records an Atomiton conductor's runs into extrace as
// they happen, from the conductor's public surface (events.onStarted/onProgress/
// onCompleted/onError and node.store.subscribe). This file owns the subscriptions, the
// routing of callbacks to runs and the flow definitions; run_tracker.ts turns one run's
// callbacks into recorder calls. Single-threaded like the conductor.

import { errorText, isTime } from "./atomiton/graph.js";
import { RunTracker, Serial } from "./atomiton/run_tracker.js";
import type {
  AtomitonCompletedEvent, AtomitonConductor, AtomitonErrorEvent, AtomitonFlow,
  AtomitonStartedEvent, AtomitonStoreSnapshot, RecorderLike,
} from "./atomiton/surface.js";

export type {
  AtomitonCompletedEvent, AtomitonConductor, AtomitonErrorEvent, AtomitonFlow, AtomitonFlowNode,
  AtomitonGraphNode, AtomitonStartedEvent, AtomitonStoreSnapshot, RecorderLike, RunHandleLike,
} from "./atomiton/surface.js";

export interface AttachAtomitonOptions {
  /** The flow definition of the runs to come (its root id is onStarted's nodeId).
   * Default: the flow each `conductor.node.run(flow)` call is given (the adapter wraps
   * `node.run`); without either, the store's top-level nodes under the root. */
  flow?: AtomitonFlow;
  /** Wrap `conductor.node.run` to learn each run's flow definition. Default: true. */
  wrapRun?: boolean;
  /** The extrace run id of a conductor run. Default: the conductor's own executionId. */
  executionId?: (started: AtomitonStartedEvent) => string | undefined;
  /** The run's `config`. Default: {}. */
  config?: Record<string, unknown>;
  /** The clock for what the conductor gives no time for (ms since the epoch). Default: Date.now. */
  now?: () => number;
  /** How long a started run waits for its first store snapshot (which carries the nodes'
   * weights) before it is declared without. Default: 100 ms. */
  startGraceMs?: number;
  /** Called with each error of a recorder call (the adapter goes on). Default: none. */
  onError?: (error: unknown) => void;
}

/** Unsubscribes and restores `node.run`; resolves once every recorder call made so far settled. */
export interface AtomitonDetach {
  (): Promise<void>;
  /** Resolves once every recorder call made so far settled (stays attached). */
  settled(): Promise<void>;
}

/** Snapshots kept while a run is expected but not started yet. */
const kMaxEarlySnapshots = 1000;

export function attachAtomiton(conductor: AtomitonConductor, recorder: RecorderLike,
                               options: AttachAtomitonOptions = {}): AtomitonDetach {
  const now = options.now ?? Date.now;
  const serial = new Serial(options.onError ?? (() => {}));
  const flows = new Map<string, AtomitonFlow>();
  const trackers = new Map<string, RunTracker>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  let current: RunTracker | undefined;
  const runsInFlight: object[] = [];  // node.run calls whose onStarted has not come, oldest first
  let lastEnd = 0;              // when the last run ended (clock time)
  let early: AtomitonStoreSnapshot[] = [];
  let detached = false;

  const onSnapshot = (snapshot: AtomitonStoreSnapshot) => {
    if (detached || !snapshot || typeof snapshot !== "object") return;
    if (current && !current.isEnded) { current.snapshot(snapshot); return; }
    // Before onStarted: kept when a run is known to be coming (or node.run is not wrapped).
    if ((runsInFlight.length > 0 || !wrapped) && early.length < kMaxEarlySnapshots) early.push(snapshot);
  };

  const onStarted = (event: AtomitonStartedEvent) => {
    if (detached) return;
    const startedAt = now();
    const conductorId = typeof event?.executionId === "string" ? event.executionId : undefined;
    const flow = pickFlow(event?.nodeId);
    const rootNodeId = typeof event?.nodeId === "string" ? event.nodeId : flow?.id ?? "root";
    runsInFlight.shift();
    const tracker = new RunTracker({
      recorder, serial, now, rootNodeId, flow, startedAt,
      executionId: options.executionId ? options.executionId(event) : conductorId,
      config: options.config ?? {},
    });
    if (conductorId !== undefined) trackers.set(conductorId, tracker);
    current = tracker;
    // Snapshots of a previous run (their store start is before that run's end) are stale.
    const kept = early.filter((s) => !isTime(s.startTime) || s.startTime >= lastEnd);
    early = [];
    for (const snapshot of kept) tracker.snapshot(snapshot);
    if (!tracker.isBegun) {
      const timer = setTimeout(() => { timers.delete(timer); tracker.begin(undefined); },
                               options.startGraceMs ?? 100);
      (timer as { unref?: () => void }).unref?.();
      timers.add(timer);
    }
  };

  const trackerOf = (executionId: unknown): RunTracker | undefined =>
    (typeof executionId === "string" ? trackers.get(executionId) : undefined) ?? current;

  const finish = (tracker: RunTracker, executionId: unknown) => {
    lastEnd = now();
    if (current === tracker) current = undefined;
    // Kept until its end went out, so that an onError right after onCompleted still counts.
    serial.push(() => { if (typeof executionId === "string") trackers.delete(executionId); });
  };

  const onCompleted = (event: AtomitonCompletedEvent) => {
    const tracker = trackerOf(event?.executionId);
    if (detached || !tracker || tracker.isFinalized) return;
    const result = event?.result;
    const failed = result?.success === false || (result?.error !== undefined && result.error !== null);
    const wasEnded = tracker.isEnded;
    tracker.end(failed ? { message: errorText(result?.error) } : undefined);
    if (!wasEnded) finish(tracker, event?.executionId);
  };

  const onError = (event: AtomitonErrorEvent) => {
    const tracker = trackerOf(event?.executionId);
    if (detached || !tracker || tracker.isFinalized) return;
    const wasEnded = tracker.isEnded;
    tracker.end({ message: errorText(event?.error) ?? errorText(event) });
    if (!wasEnded) finish(tracker, event?.executionId);
  };

  function pickFlow(rootId: unknown): AtomitonFlow | undefined {
    if (options.flow && (typeof rootId !== "string" || options.flow.id === rootId)) return options.flow;
    if (typeof rootId === "string" && flows.has(rootId)) return flows.get(rootId);
    return flows.size === 1 && typeof rootId !== "string" ? [...flows.values()][0] : undefined;
  }

  // Wrap node.run to see each flow definition before its run starts.
  const node = conductor.node;
  const originalRun = node.run;
  let wrapped = false;
  let wrapper: typeof originalRun;
  if (options.wrapRun !== false && typeof originalRun === "function") {
    wrapper = function (this: unknown, flow: AtomitonFlow, ...rest: unknown[]) {
      const ticket = {};
      if (!detached && flow && typeof flow.id === "string") {
        flows.set(flow.id, flow);
        runsInFlight.push(ticket);
      }
      // A run that settles without onStarted (it failed before starting) expects nothing more.
      const forget = () => {
        const at = runsInFlight.indexOf(ticket);
        if (at >= 0) runsInFlight.splice(at, 1);
        if (runsInFlight.length === 0 && !current) early = [];
      };
      let result: unknown;
      try {
        result = (originalRun as (...a: unknown[]) => unknown).apply(node, [flow, ...rest]);
      } catch (error) {
        forget();
        throw error;
      }
      if (result && typeof (result as PromiseLike<unknown>).then === "function") {
        (result as PromiseLike<unknown>).then(forget, forget);
      } else {
        forget();
      }
      return result;
    };
    try { node.run = wrapper; wrapped = node.run === wrapper; } catch { wrapped = false; }
  }

  const unsubscribers: unknown[] = [
    conductor.events.onStarted(onStarted),
    conductor.events.onProgress(onSnapshot),
    conductor.node.store.subscribe(onSnapshot),
    conductor.events.onCompleted(onCompleted),
    conductor.events.onError(onError),
  ];

  const detach = (async () => {
    if (!detached) {
      detached = true;
      for (const unsubscribe of unsubscribers) {
        if (typeof unsubscribe === "function") {
          try { unsubscribe(); } catch (error) { options.onError?.(error); }
        }
      }
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      // Runs waiting for their first snapshot are declared now rather than lost.
      for (const tracker of new Set([...trackers.values(), ...(current ? [current] : [])])) {
        tracker.begin(undefined);
      }
      if (wrapped && node.run === wrapper) {
        try { node.run = originalRun; } catch { /* frozen since: leave it */ }
      }
    }
    await serial.idle();
  }) as AtomitonDetach;
  detach.settled = () => serial.idle();
  return detach;
}
