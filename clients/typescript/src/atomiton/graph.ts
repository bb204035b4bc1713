// Reading Atomiton's shapes: a flow definition flattened into the nodes extrace declares
// (nested groups -> parentId), the nodes of a store snapshot (a Map in the real conductor),
// node states and error messages. Pure functions.

import type {
  AtomitonFlow, AtomitonFlowNode, AtomitonGraphNode, AtomitonStoreSnapshot, DeclaredNode,
  NodeState,
} from "./surface.js";

/** Bound on group nesting while walking a flow (a cycle of objects stops here). */
const kMaxDepth = 256;

/**
 * The flow's nodes in declaration order, root first, each after its parent. A node's
 * parent is its own `parentId` when that names another node of the flow, else the group
 * whose `nodes` hold it. Weights come from `weights` (the store's), else the flow's own.
 * Duplicate ids keep their first declaration; a parent chain that loops goes to the root.
 */
export function declareFlow(flow: AtomitonFlow, weights: ReadonlyMap<string, number>):
    DeclaredNode[] {
  const found: { node: AtomitonFlowNode; container?: string }[] = [];
  const seen = new Set<string>();
  const walk = (node: AtomitonFlowNode, container: string | undefined, depth: number) => {
    if (depth > kMaxDepth || typeof node?.id !== "string" || node.id === "" || seen.has(node.id)) {
      return;
    }
    seen.add(node.id);
    found.push(container === undefined ? { node } : { node, container });
    if (Array.isArray(node.nodes)) {
      for (const child of node.nodes) walk(child, node.id, depth + 1);
    }
  };
  walk(flow, undefined, 0);

  const rootId = flow.id;
  const parentOf = new Map<string, string>();
  for (const { node, container } of found) {
    if (node.id === rootId) continue;
    const own = typeof node.parentId === "string" && node.parentId !== node.id &&
        seen.has(node.parentId) ? node.parentId : undefined;
    parentOf.set(node.id, own ?? container ?? rootId);
  }
  // A parentId chain that never reaches the root (a loop) is cut at the root.
  for (const id of parentOf.keys()) {
    const chain = new Set<string>([id]);
    let at = parentOf.get(id);
    while (at !== undefined && at !== rootId) {
      if (chain.has(at)) { parentOf.set(id, rootId); break; }
      chain.add(at);
      at = parentOf.get(at);
    }
  }

  const children = new Map<string, AtomitonFlowNode[]>();
  for (const { node } of found) {
    const parent = parentOf.get(node.id);
    if (parent === undefined) continue;
    const list = children.get(parent) ?? [];
    list.push(node);
    children.set(parent, list);
  }
  const out: DeclaredNode[] = [];
  const emit = (node: AtomitonFlowNode, parentId: string | undefined) => {
    const declared: DeclaredNode = {
      id: node.id,
      name: typeof node.name === "string" && node.name !== "" ? node.name : node.id,
      type: typeof node.type === "string" && node.type !== "" ? node.type : "node",
    };
    if (parentId !== undefined) declared.parentId = parentId;
    const weight = weights.get(node.id) ?? node.weight;
    if (parentId !== undefined && isWeight(weight)) declared.weight = weight;
    out.push(declared);
    for (const child of children.get(node.id) ?? []) emit(child, node.id);
  };
  emit(flow, undefined);
  return out;
}

/** Nodes for a run whose flow definition is unknown: the root, and the store's nodes under it. */
export function declareFromSnapshot(rootNodeId: string, snapshot: AtomitonStoreSnapshot | undefined):
    DeclaredNode[] {
  const out: DeclaredNode[] = [{ id: rootNodeId, name: rootNodeId, type: "group" }];
  for (const node of snapshotNodes(snapshot)) {
    if (node.id === rootNodeId) continue;
    out.push(declaredFromGraphNode(node, rootNodeId));
  }
  return out;
}

export function declaredFromGraphNode(node: AtomitonGraphNode, parentId: string): DeclaredNode {
  const declared: DeclaredNode = {
    id: node.id,
    name: typeof node.name === "string" && node.name !== "" ? node.name : node.id,
    type: typeof node.type === "string" && node.type !== "" ? node.type : "node",
    parentId,
  };
  if (isWeight(node.weight)) declared.weight = node.weight;
  return declared;
}

/** The snapshot's nodes in the store's order, whatever container holds them. */
export function snapshotNodes(snapshot: AtomitonStoreSnapshot | undefined): AtomitonGraphNode[] {
  const nodes = snapshot?.nodes;
  let list: unknown[];
  if (nodes instanceof Map) list = [...nodes.entries()].map(([id, n]) => withId(n, id));
  else if (Array.isArray(nodes)) list = nodes;
  else if (nodes && typeof nodes === "object") {
    list = Object.entries(nodes).map(([id, n]) => withId(n, id));
  } else list = [];
  return list.filter((n): n is AtomitonGraphNode =>
    !!n && typeof n === "object" && typeof (n as AtomitonGraphNode).id === "string");
}

function withId(node: unknown, key: string): unknown {
  if (!node || typeof node !== "object") return node;
  const n = node as AtomitonGraphNode;
  return typeof n.id === "string" ? n : { ...n, id: key };
}

/** The store's weights by node id. */
export function snapshotWeights(snapshot: AtomitonStoreSnapshot | undefined): Map<string, number> {
  const weights = new Map<string, number>();
  for (const node of snapshotNodes(snapshot)) {
    if (isWeight(node.weight)) weights.set(node.id, node.weight);
  }
  return weights;
}

const kStates: ReadonlySet<string> = new Set(["pending", "executing", "completed", "error", "skipped"]);

/** Atomiton's node state as one of extrace's, or undefined for one extrace has no name for. */
export function toNodeState(state: unknown): NodeState | undefined {
  if (typeof state !== "string") return undefined;
  if (kStates.has(state)) return state as NodeState;
  if (state === "running") return "executing";
  if (state === "failed") return "error";
  return undefined;
}

/** 0 pending, 1 executing, 2 ended: a snapshot never moves a node back. */
export function stateRank(state: NodeState): number {
  return state === "pending" ? 0 : state === "executing" ? 1 : 2;
}

export function isTerminal(state: NodeState): boolean {
  return stateRank(state) === 2;
}

/** One line out of whatever the conductor put in an `error` (a string, an Error, an object). */
export function errorText(error: unknown): string | undefined {
  if (error === undefined || error === null) return undefined;
  if (typeof error === "string") return error === "" ? undefined : error;
  if (typeof error === "object") {
    const message = (error as { message?: unknown }).message;
    if (typeof message === "string" && message !== "") return message;
  }
  const text = String(error);
  return text === "" || text === "[object Object]" ? undefined : text;
}

export function isTime(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value) && value > 0;
}

function isWeight(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value) && value >= 0;
}
