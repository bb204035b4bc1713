// The shapes the Atomiton adapter relies on: the part of an Atomiton conductor it
// subscribes to (as seen in real captures, Develonaut/atomiton 723faa4b), and the part of
// extrace-client's recorder it calls. Structural types only: no dependency on Atomiton.

/** An unsubscribe function, or whatever a subscription returns (ignored unless a function). */
export type Unsubscribe = (() => void) | void | unknown;

/** A node of a flow definition as given to `conductor.node.run`; groups nest `nodes`. */
export interface AtomitonFlowNode {
  id: string;
  name?: string;
  type?: string;
  parentId?: string;
  weight?: number;
  nodes?: AtomitonFlowNode[];
  edges?: { source: string; target: string; [key: string]: unknown }[];
  [key: string]: unknown;
}

/** The flow definition: its root is a node too (usually `type: "group"`). */
export type AtomitonFlow = AtomitonFlowNode;

/** One node of the execution-graph store (only the top-level graph's nodes appear). */
export interface AtomitonGraphNode {
  id: string;
  name?: string;
  type?: string;
  weight?: number;
  state?: string;
  progress?: number;
  message?: string;
  startTime?: number;
  endTime?: number;
  error?: unknown;
  [key: string]: unknown;
}

/** A snapshot of the execution-graph store (`events.onProgress`, `node.store.subscribe`). */
export interface AtomitonStoreSnapshot {
  /** A Map in the real conductor; a plain object or an array is accepted too. */
  nodes: Map<string, AtomitonGraphNode> | Record<string, AtomitonGraphNode> | AtomitonGraphNode[];
  isExecuting?: boolean;
  startTime?: number;
  endTime?: number;
  cachedProgress?: number;
  [key: string]: unknown;
}

export interface AtomitonStartedEvent {
  executionId?: string;
  nodeId?: string;
  [key: string]: unknown;
}

/** `events.onCompleted`: `{executionId, result}` where result is what `node.run` returns. */
export interface AtomitonCompletedEvent {
  executionId?: string;
  result?: { success?: boolean; error?: unknown; [key: string]: unknown };
  [key: string]: unknown;
}

/** `events.onError`: `{executionId, error}`. */
export interface AtomitonErrorEvent {
  executionId?: string;
  error?: unknown;
  [key: string]: unknown;
}

/** The conductor's public surface the adapter uses. `node.run` is optional: when present,
 * the adapter wraps it to learn each run's flow definition. */
export interface AtomitonConductor {
  events: {
    onStarted(cb: (event: AtomitonStartedEvent) => void): Unsubscribe;
    onProgress(cb: (snapshot: AtomitonStoreSnapshot) => void): Unsubscribe;
    onCompleted(cb: (event: AtomitonCompletedEvent) => void): Unsubscribe;
    onError(cb: (event: AtomitonErrorEvent) => void): Unsubscribe;
  };
  node: {
    store: { subscribe(cb: (snapshot: AtomitonStoreSnapshot) => void): Unsubscribe };
    run?: (flow: AtomitonFlow, context?: unknown) => unknown;
    [key: string]: unknown;
  };
}

/** The node states of extrace's event format. */
export type NodeState = "pending" | "executing" | "completed" | "error" | "skipped";

/** What the adapter declares for a node (extrace-client's `startRun` node). */
export interface DeclaredNode {
  id: string;
  name: string;
  type: string;
  parentId?: string;
  weight?: number;
}

/** The part of extrace-client's RunHandle the adapter calls. */
export interface RunHandleLike {
  readonly executionId: string;
  nodeState(nodeId: string, state: NodeState,
            opts?: { errorMessage?: string; timestamp?: number }): Promise<void>;
  progress(nodeId: string, value: number, message?: string,
           opts?: { timestamp?: number }): Promise<void>;
  complete(opts?: { timestamp?: number }): Promise<void>;
  fail(message: string, opts?: { timestamp?: number }): Promise<void>;
}

/** The part of extrace-client's Recorder the adapter calls. */
export interface RecorderLike {
  startRun(opts: {
    executionId?: string;
    rootNodeId: string;
    nodes: DeclaredNode[];
    config?: Record<string, unknown>;
    timestamp?: number;
  }): Promise<RunHandleLike>;
}
