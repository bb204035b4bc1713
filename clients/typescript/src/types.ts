// The contract as TypeScript types: the event format v1 (events in) and the
// ExecutionTrace (out), as written in ../shared/event-format.md, plus the JSON
// documents of extrace serve's API that the query client returns
// (schema/README.md, "Other JSON" and "JSON of the cross-run commands").
// Types only: nothing here exists at run time.

/** The five event types of the format. */
export type EventType = "started" | "progress" | "state-change" | "completed" | "error";

/** A node's state, as carried by a `state-change` event. */
export type NodeState = "pending" | "executing" | "completed" | "error" | "skipped";

/** A run's status in the projection: `incomplete` while it has no `completed`/`error` event. */
export type RunStatus = "completed" | "error" | "incomplete";

/** One node of a run's graph, as declared by its `started` event. */
export interface NodeDeclaration {
  id: string;
  name: string;
  type: string;
  /** The group node this node sits in; the root has none. */
  parentId?: string;
  /** Weight in the run's overall progress. Default: 1. */
  weight?: number;
}

/** `data` of a `started` event. Unknown fields are kept verbatim by extrace. */
export interface StartedData {
  rootNodeId: string;
  nodes: NodeDeclaration[];
  parentExecutionId?: string;
  parentNodeId?: string;
  config?: Record<string, unknown>;
  [field: string]: unknown;
}

/** `data` of a `state-change` event. */
export interface StateChangeData {
  state: NodeState;
  errorMessage?: string;
  [field: string]: unknown;
}

/** `data` of a `progress` event: the node's own progress, 0 to 100. */
export interface ProgressData {
  progress: number;
  message?: string;
  [field: string]: unknown;
}

/** `data` of an `error` event (the run failed as a whole). */
export interface ErrorData {
  message: string;
  [field: string]: unknown;
}

interface EventBase {
  /** The run, 1 to 256 characters. */
  executionId: string;
  /** The producer's sequence number inside the run (>= 1); absent: the store numbers it. */
  seq?: number;
  /** Milliseconds since the Unix epoch; a fraction is kept to the microsecond. */
  timestamp: number;
}

export interface StartedEvent extends EventBase {
  type: "started";
  data: StartedData;
}
export interface StateChangeEvent extends EventBase {
  type: "state-change";
  nodeId: string;
  data: StateChangeData;
}
export interface ProgressEvent extends EventBase {
  type: "progress";
  nodeId: string;
  data: ProgressData;
}
export interface CompletedEvent extends EventBase {
  type: "completed";
  data?: Record<string, unknown>;
}
export interface ErrorEvent extends EventBase {
  type: "error";
  data: ErrorData;
}

/** One line of JSON Lines input (`extrace ingest`, `POST /v1/events`): event format v1. */
export type ExtraceEvent = StartedEvent | StateChangeEvent | ProgressEvent | CompletedEvent | ErrorEvent;

// ---------------------------------------------------------------------------
// The ExecutionTrace out (GET /v1/runs/{id}, `extrace show --json`).

/** An event in a projected trace. Run-level `data` is rewritten (see the contract). */
export interface ExecutionTraceEvent {
  timestamp: number;
  type: EventType;
  data: unknown;
}

/** Run-level `data` of a `progress` event in `ExecutionTrace.events`. */
export interface RunProgressData {
  nodeId: string;
  /** The run's overall progress just after this event. */
  progress: number;
  message: string;
  allNodes: { id: string; name: string; state: NodeState; progress: number }[];
  [field: string]: unknown;
}

/** Run-level `data` of a `completed` event in `ExecutionTrace.events`. */
export interface RunCompletedData {
  totalDuration: number;
  nodesCompleted: number;
  nodesErrored: number;
  [field: string]: unknown;
}

export interface NodeExecutionTrace {
  nodeId: string;
  nodeName: string;
  nodeType: string;
  /** First `executing` state-change; 0 while the node never started. */
  startTime: number;
  endTime?: number;
  duration?: number;
  state: NodeState;
  progress: number;
  events: ExecutionTraceEvent[];
  childTraces?: NodeExecutionTrace[];
  /** Set on the node that stands for a child run: the child run's id. */
  executionId?: string;
}

export interface DiagnosticCount {
  kind: string;
  count: number;
  example: string;
}

export interface ExecutionTrace {
  executionId: string;
  rootNodeId: string;
  status: RunStatus;
  startTime: number;
  endTime?: number;
  duration?: number;
  /** The run's overall progress after its last event. */
  progress?: number;
  config: Record<string, unknown>;
  parentExecutionId?: string;
  parentNodeId?: string;
  events: ExecutionTraceEvent[];
  nodes: NodeExecutionTrace[];
  /** Anomalies of the log, one line each; only when there are any. */
  diagnostics?: string[];
  diagnosticCounts?: DiagnosticCount[];
}

// ---------------------------------------------------------------------------
// Other documents of the JSON API.

/** An element of `GET /v1/runs` (`extrace list --json`). */
export interface RunSummary {
  executionId: string;
  rootNodeId: string | null;
  status: RunStatus;
  startTime: number | null;
  duration: number | null;
  eventCount: number;
  parentExecutionId: string | null;
}

/** Filters of `GET /v1/runs`. Times: ISO 8601 strings, epoch ms or Dates. */
export interface RunFilter {
  flow?: string;
  status?: RunStatus;
  since?: string | number | Date;
  until?: string | number | Date;
  node?: string;
  state?: NodeState;
  error?: string;
  slowerThan?: number;
  limit?: number;
}

export interface CompareNode {
  nodeId: string;
  path: string;
  nodeName: string;
  kind: "leaf" | "group";
  durationA: number | null;
  durationB: number | null;
  delta: number | null;
  ratio: number | null;
  stateA: NodeState | null;
  stateB: NodeState | null;
}

/** `GET /v1/compare?a=&b=` (`extrace compare A B --json`). */
export interface CompareDocument {
  a: string;
  b: string;
  flowA: string | null;
  flowB: string | null;
  statusA: RunStatus;
  statusB: RunStatus;
  durationA: number | null;
  durationB: number | null;
  durationDelta: number | null;
  nodes: CompareNode[];
  onlyInA: string[];
  onlyInB: string[];
  diagnostics: string[];
}

export interface BottleneckNode {
  nodeId: string;
  path: string;
  nodeName: string;
  executionId: string;
  kind: "leaf" | "group";
  state: NodeState;
  startTime: number | null;
  endTime: number | null;
  totalTime: number | null;
  selfTime: number | null;
  childrenTime: number | null;
  share: number | null;
  slack: number | null;
  onCriticalPath: boolean;
  open: boolean;
}

export interface Stall {
  nodeId: string;
  start: number;
  gap: number;
  from: string;
  to: string;
  fromSeq: number;
  toSeq: number;
}

export interface OpenNode {
  nodeId: string;
  nodeName: string;
  state: NodeState;
  progress: number;
  lastEvent: number;
  silentFor: number;
}

/** `GET /v1/runs/{id}/bottlenecks` (`extrace bottlenecks ID --json`). */
export interface BottlenecksDocument {
  executionId: string;
  rootNodeId: string;
  status: RunStatus;
  startTime: number;
  endTime: number | null;
  runDuration: number;
  coveredTime: number;
  runSelfTime: number;
  nodes: BottleneckNode[];
  criticalPath: string[];
  stalls: Stall[];
  openNodes: OpenNode[];
  diagnostics: string[];
}

export interface HistoryNode {
  nodeId: string;
  nodeName: string;
  parentId: string | null;
  depth: number;
  group: boolean;
  runs: number;
  failures: number;
  samples: number;
  p50: number | null;
  p95: number | null;
  max: number | null;
  latest: number | null;
  latestState: NodeState | null;
  latestRank: number | null;
  durations: (number | null)[];
}

/** `GET /v1/flows/{flow}/history` (`extrace history FLOW --json`). */
export interface HistoryDocument {
  flow: string;
  last: number;
  summary: {
    runs: number;
    completed: number;
    failed: number;
    incomplete: number;
    p50: number | null;
    p95: number | null;
    max: number | null;
  };
  runs: { executionId: string; startTime: number; duration: number | null; status: RunStatus }[];
  nodes: HistoryNode[];
}

export interface Regression {
  nodeId: string;
  nodeName: string;
  parentId: string | null;
  group: boolean;
  basis: "ratio" | "median+mad";
  baseline: number;
  latest: number;
  ratio: number;
  added: number;
  mad: number | null;
  spread: number | null;
  samples: number;
  explains: string[];
}

/** `GET /v1/flows/{flow}/regressions` (`extrace regressions FLOW --json`). */
export interface RegressionsDocument {
  flow: string;
  run: string;
  runStatus: RunStatus;
  status: "regressed" | "ok" | "not-enough-runs";
  basis: "ratio" | "median+mad" | null;
  spread: "measured" | null;
  threshold: number;
  k: number;
  minBaselineRuns: number;
  minSpreadRuns: number;
  baselineRuns: number;
  judgedNodes: number;
  unjudgedNodes: number;
  regressions: Regression[];
}

/** `GET /v1/flows` (`extrace flows --json`). */
export interface FlowsDocument {
  flows: {
    flow: string;
    runs: number;
    completed: number;
    error: number;
    incomplete: number;
    lastRun: RunSummary;
    recentDurationsMs: number[];
  }[];
}

/** `GET /v1/health`. */
export interface HealthDocument {
  status: "ok" | "draining";
  version: string;
  ingest: { requests: number; commits: number; events: number; queued: number };
  connections: number;
  streams: number;
}

/** `POST /v1/events`, 200: K events new, D identical to stored ones. */
export interface IngestResult {
  stored: number;
  duplicates: number;
}

/** Every error answer of the API; ingest errors also carry `stored` and `duplicates`. */
export interface ApiErrorBody {
  error: string;
  code: string;
  stored?: number;
  duplicates?: number;
}
