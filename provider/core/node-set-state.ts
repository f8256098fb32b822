import type { NodeRecord } from "../../wire/schemas";
import type { NodeSetInputs } from "./inputs";

/** A node of the set as recorded in state and outputs. Keys are omitted rather than undefined. */
export interface NodeInfo {
  id: string;
  name: string;
  status: string;
  hostname?: string;
  privateIp?: string;
  machineType?: string;
  placementGroupId?: string;
  requestId?: string;
  /** Why a `Failed` node failed: CycleCloud's `StatusMessage` (only on failed nodes). */
  statusMessage?: string;
  /** When the create request that made the node started (server time, ISO 8601). */
  requestedAt?: string;
  /**
   * Set (only) on a terminated node whose record CycleCloud kept: `Status` `Off` with
   * `TargetState` `Terminated`, as for nodes with `Fixed: true` ("Nodes with the Fixed attribute
   * set to true aren't removed on termination"). Its VM is gone; such a node is never in state.
   */
  recordKept?: true;
}

/** The outputs (state) of a node set: its inputs echoed, plus what it holds. */
export interface NodeSetState extends NodeSetInputs {
  /** Every create request this set has made (and adopted), in order. */
  requestIds: string[];
  /** Nodes adopted by id through `adoptExisting.nodeIds`. */
  adoptedNodeIds?: string[];
  nodes: NodeInfo[];
  nodeIds: string[];
  hostnames: string[];
  privateIps: string[];
  readyCount: number;
  failedCount: number;
  /** Members `Deallocated`: the warm pool, started first when `count` grows. */
  deallocatedCount: number;
  bucketId?: string;
  /**
   * With `externalRemovals: "forget"`: members something else removed since `count` last changed;
   * the set holds `count - forgottenCount` and does not replace them.
   */
  forgottenCount?: number;
  /** With `placementGroups`: nodes per placement group. */
  placementGroupCounts?: Record<string, number>;
}

/** How many members the set aims to hold: `count`, less the nodes it was told to forget. */
export function targetCount(state: {
  count: number;
  externalRemovals?: unknown;
  forgottenCount?: number | undefined;
}): number {
  if (state.externalRemovals !== "forget") return state.count;
  return Math.max(0, state.count - (state.forgottenCount ?? 0));
}

/** How the library judges a node's `Status`. */
export type NodePhase = "ready" | "provisioning" | "failed" | "deallocated" | "leaving" | "gone";

export function nodePhase(node: Pick<NodeInfo, "status" | "privateIp" | "recordKept">): NodePhase {
  // A terminated Fixed node: its VM is gone (nothing billable), only the record CycleCloud keeps
  // by design stays. It counts as terminated; the set neither holds nor waits on it.
  if (node.recordKept === true) return "gone";
  switch (node.status) {
    case "Ready":
      return node.privateIp ? "ready" : "provisioning";
    case "Failed":
    case "Unavailable":
      return "failed";
    // `Stopping` is deallocating: the node stays the set's (warm pool, or `onDelete: "deallocate"`).
    case "Deallocated":
    case "Stopping":
      return "deallocated";
    case "Terminating":
      return "leaving";
    case "Terminated":
      return "gone";
    default:
      // Off, Acquiring, Allocation, Preparing and statuses this library does not know yet.
      return "provisioning";
  }
}

/** A member of the set: a node that exists and is not on its way out. */
export function isMember(node: NodeInfo): boolean {
  const phase = nodePhase(node);
  return phase !== "leaving" && phase !== "gone";
}

/**
 * A node still provisioning although its create request started `readyTimeoutSeconds` ago or
 * more: stuck (e.g. `Acquiring` with no VM behind it); it is replaced like a failed node.
 */
export function isStuck(node: NodeInfo, readyTimeoutSeconds: number, now: number): boolean {
  if (nodePhase(node) !== "provisioning" || node.requestedAt === undefined) return false;
  const started = Date.parse(node.requestedAt);
  return Number.isFinite(started) && now - started >= readyTimeoutSeconds * 1000;
}

/** The fewest ready nodes an `up` needs to succeed: `minReady`, else the target. */
export function minReadyOf(inputs: { minReady?: number | undefined }, target: number): number {
  return Math.min(target, inputs.minReady ?? target);
}

/** A member that counts towards `count`: ready or on its way to ready. */
export function isHealthy(node: NodeInfo): boolean {
  const phase = nodePhase(node);
  return phase === "ready" || phase === "provisioning";
}

export function toNodeInfo(record: NodeRecord): NodeInfo {
  const info: NodeInfo = { id: record.NodeId, name: record.Name, status: record.Status };
  if (record.Hostname) info.hostname = record.Hostname;
  if (record.PrivateIp) info.privateIp = record.PrivateIp;
  if (record.MachineType) info.machineType = record.MachineType;
  if (record.PlacementGroupId) info.placementGroupId = record.PlacementGroupId;
  if (record.RequestId) info.requestId = record.RequestId;
  if (record.StatusMessage && nodePhase(info) === "failed") info.statusMessage = record.StatusMessage;
  if (isKeptTerminatedRecord(record)) info.recordKept = true;
  return info;
}

/**
 * A record CycleCloud keeps after terminating its node (`Fixed: true`): `Status` `Off`, `TargetState`
 * `Terminated`, no address. An `Off` node on its way to `Started` (or with an address) is not one.
 */
function isKeptTerminatedRecord(record: Pick<NodeRecord, "Status" | "TargetState" | "PrivateIp">): boolean {
  return record.Status === "Off" && record.TargetState === "Terminated" && !record.PrivateIp;
}

/**
 * `localeCompare(b, "en", { numeric: true })`, with one collator: `localeCompare` with a locale
 * builds a collator on each call, which sorting thousands of nodes pays in time and memory.
 */
const compareNames = new Intl.Collator("en", { numeric: true }).compare;

/** Sorts by name with numeric parts compared as numbers (`ondemand-2` before `ondemand-10`). */
export function byName(a: NodeInfo, b: NodeInfo): number {
  return compareNames(a.name, b.name) || a.id.localeCompare(b.id);
}

/** The state of a set holding `nodes` (members only, sorted), with the flat convenience lists. */
export function nodeSetState(
  inputs: NodeSetInputs,
  holdings: Pick<NodeSetState, "requestIds" | "adoptedNodeIds" | "nodes" | "bucketId" | "forgottenCount">,
): NodeSetState {
  const nodes = holdings.nodes.filter(isMember).sort(byName);
  const state: NodeSetState = {
    ...inputs,
    requestIds: [...holdings.requestIds],
    nodes,
    nodeIds: nodes.map((n) => n.id),
    hostnames: nodes.flatMap((n) => (n.hostname ? [n.hostname] : [])),
    privateIps: nodes.flatMap((n) => (n.privateIp ? [n.privateIp] : [])),
    readyCount: nodes.filter((n) => nodePhase(n) === "ready").length,
    failedCount: nodes.filter((n) => nodePhase(n) === "failed").length,
    deallocatedCount: nodes.filter((n) => nodePhase(n) === "deallocated").length,
  };
  if (holdings.adoptedNodeIds?.length) state.adoptedNodeIds = [...holdings.adoptedNodeIds];
  if (holdings.bucketId) state.bucketId = holdings.bucketId;
  if (holdings.forgottenCount) state.forgottenCount = holdings.forgottenCount;
  if (inputs.placementGroups !== undefined) {
    const counts: Record<string, number> = {};
    for (const { placementGroupId: group = "(none)" } of nodes) counts[group] = (counts[group] ?? 0) + 1;
    state.placementGroupCounts = counts;
  }
  return state;
}

/** "3/4 ready, 1 preparing": the progress line of a set of nodes. */
export function describeProgress(nodes: readonly NodeInfo[], expected: number): string {
  const ready = nodes.filter((n) => nodePhase(n) === "ready").length;
  const others = new Map<string, number>();
  for (const node of nodes) {
    if (nodePhase(node) === "ready") continue;
    const label = node.status === "Ready" ? "waiting for address" : node.status.toLowerCase();
    others.set(label, (others.get(label) ?? 0) + 1);
  }
  return [`${ready}/${expected} ready`, ...[...others].map(([label, n]) => `${n} ${label}`)].join(", ");
}
