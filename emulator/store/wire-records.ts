/**
 * The wire form of the emulator's answers: node records, cluster status with its buckets,
 * operation status and the admin surface's node views. Rendering only: nothing here changes the
 * store.
 */
import type {
  Bucket,
  ClusterStatus,
  NodeRecord,
  NodearrayStatus,
  OperationStatus,
  PlacementGroupStatus,
} from "../../wire/schemas";
import { clusterRemaining, fitAt, OPTIMISTIC, quotaView, REAL } from "./capacity";
import type { BucketAt } from "./capacity";
import { observePhase } from "./node-lifecycle";
import type { ClusterState, LiveNode, NodearrayState, NodeState, Operation } from "./state";

/** A node record as the emulator sends it: the schema's keys plus inherited attributes. */
export type WireNodeRecord = NodeRecord & Record<string, unknown>;

/** One node as the admin surface shows it. */
export interface AdminNodeView {
  readonly cluster: string;
  readonly nodearray: string;
  /** The `requestId` of the create that made the node; null when the create had none. */
  readonly requestId: string | null;
  readonly operationId: string;
  readonly record: WireNodeRecord;
}

/** Keys of a node record the emulator manages; `nodeAttributes` cannot override them. */
const MANAGED_KEYS: ReadonlySet<string> = new Set(
  `Name NodeId Template ClusterName MachineType Status State TargetState Region CoreCount Memory Infiniband
   PlacementGroupId RequestId Hostname PrivateIp PublicIp InstanceId StatusMessage`.split(/\s+/),
);

const DEFAULT_NODE_ATTRIBUTES: Readonly<Record<string, unknown>> = {
  KeepAlive: false,
  Interruptible: false,
  ShutdownPolicy: "Terminate",
  Configuration: {},
};

/** `attributes` without the keys the emulator manages. */
export function withoutManagedKeys(attributes: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(attributes).filter(([key]) => !MANAGED_KEYS.has(key)));
}

/** A JSON object (not an array, not null). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A node's own attributes: defaults, then nodearray attributes, then the set's attributes, without
 * managed keys; `Configuration` objects are merged key by key.
 */
export function mergeAttributes(
  inherited: Readonly<Record<string, unknown>>,
  overrides: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const merged: Record<string, unknown> = {
    ...DEFAULT_NODE_ATTRIBUTES,
    ...withoutManagedKeys(inherited),
    ...withoutManagedKeys(overrides),
  };
  const base = inherited["Configuration"];
  const extra = overrides["Configuration"];
  if (isRecord(base) && isRecord(extra)) merged["Configuration"] = { ...base, ...extra };
  return structuredClone(merged);
}

/** A node as `GET .../nodes` and the status list it. */
export function nodeRecord({ node, seen }: LiveNode): WireNodeRecord {
  const managed: NodeRecord = {
    Name: node.name,
    NodeId: node.id,
    Template: node.nodearray.name,
    ClusterName: node.cluster.name,
    MachineType: node.bucket.machineType,
    Status: seen.status,
    State: seen.state,
    TargetState: seen.targetState,
    Region: node.nodearray.region,
    CoreCount: node.bucket.vcpuCount,
    Memory: node.bucket.memory,
    Infiniband: node.bucket.infiniband,
  };
  if (node.placementGroupId !== undefined) managed.PlacementGroupId = node.placementGroupId;
  if (node.requestId !== undefined) managed.RequestId = node.requestId;
  // The keys are always there, null until the VM has them: shipping clients index
  // `node["Hostname"]` / `node["PrivateIp"]` while a node is still Acquiring.
  managed.Hostname = seen.addressed ? node.hostname : null;
  managed.PrivateIp = seen.addressed ? node.privateIp : null;
  managed.InstanceId = seen.addressed ? node.instanceId : null;
  if (seen.statusMessage !== undefined) managed.StatusMessage = seen.statusMessage;
  // Inherited attributes never hold managed keys (see mergeAttributes), so the order only sets
  // the key order on the wire: identity first, as CycleCloud lists it.
  return { ...managed, ...structuredClone(node.attributes) };
}

export function operationStatus(operation: Operation): OperationStatus {
  return { id: operation.id, action: operation.action, startTime: operation.startTime };
}

/** Nodes as the admin surface shows them, observed at `now`. */
export function adminViews(nodes: readonly { readonly node: NodeState }[], now: number): AdminNodeView[] {
  return nodes.map(({ node }) => ({
    cluster: node.cluster.name,
    nodearray: node.nodearray.name,
    requestId: node.requestId ?? null,
    operationId: node.operationId,
    record: nodeRecord({ node, seen: observePhase(node.phase, now) }),
  }));
}

/** What a cluster status is rendered from: the cluster's live nodes at `now`, with or without nodes. */
interface StatusView {
  readonly cluster: ClusterState;
  readonly live: readonly LiveNode[];
  readonly withNodes: boolean;
  readonly now: number;
}

/** `GET /clusters/{cluster}/status[?nodes=true]` for the cluster's live nodes at `now`. */
export function renderClusterStatus(view: StatusView): ClusterStatus {
  const { cluster, live } = view;
  const status: ClusterStatus = {
    state: cluster.state,
    targetState: cluster.targetState,
    // As the API document says: how much may still be added to the cluster (the configured
    // totals minus what live nodes use, with the same optimistic view of terminating nodes).
    ...clusterRemaining(live, cluster),
    nodearrays: cluster.nodearrays.map((nodearray) => nodearrayStatus(view, nodearray)),
  };
  if (view.withNodes) {
    // Nodearray nodes only: shipping clients (scalelib) look every status node's `Template` up
    // among the nodearrays, so a real server cannot list head nodes here. GET .../nodes lists them.
    status.nodes = live.filter(({ node }) => !node.standalone).map(nodeRecord);
  }
  return status;
}

function nodearrayStatus(view: StatusView, nodearray: NodearrayState): NodearrayStatus {
  return {
    name: nodearray.name,
    maxCount: nodearray.maxCount,
    maxCoreCount: nodearray.maxCoreCount,
    nodearray: { ...structuredClone(nodearray.attributes), Name: nodearray.name, Region: nodearray.region },
    buckets: nodearray.buckets.map((bucket) =>
      bucketStatus(view, { cluster: view.cluster, nodearray, bucket }),
    ),
  };
}

function placementGroups(inBucket: readonly LiveNode[], vcpuCount: number): PlacementGroupStatus[] {
  const groups = new Map<string, PlacementGroupStatus>();
  for (const { node, seen } of inBucket) {
    const name = node.placementGroupId;
    if (name === undefined) continue;
    const group = groups.get(name) ?? { name, activeCount: 0, activeCoreCount: 0 };
    if (REAL.limits(seen)) {
      group.activeCount += 1;
      group.activeCoreCount += vcpuCount;
    }
    groups.set(name, group);
  }
  return [...groups.values()];
}

function bucketStatus({ live, withNodes, now }: StatusView, at: BucketAt): Bucket {
  const bucket = at.bucket;
  const inBucket = live.filter((entry) => entry.node.bucket === bucket);
  const active = inBucket.filter((entry) => REAL.limits(entry.seen));
  const available = bucket.valid ? fitAt(live, { ...at, placementGroup: undefined }, OPTIMISTIC).fit : 0;
  const status: Bucket = {
    bucketId: bucket.bucketId,
    definition: { machineType: bucket.machineType },
    maxCount: bucket.maxCount,
    maxCoreCount: bucket.maxCoreCount,
    activeCount: active.length,
    activeCoreCount: active.length * bucket.vcpuCount,
    availableCount: available,
    availableCoreCount: available * bucket.vcpuCount,
    ...quotaView(live, at, REAL),
    maxPlacementGroupSize: bucket.maxPlacementGroupSize,
    maxPlacementGroupCoreSize: bucket.maxPlacementGroupCoreSize,
    valid: bucket.valid,
    placementGroups: placementGroups(inBucket, bucket.vcpuCount),
    virtualMachine: {
      vcpuCount: bucket.vcpuCount,
      memory: bucket.memory,
      infiniband: bucket.infiniband,
      pcpuCount: bucket.pcpuCount,
      gpuCount: bucket.gpuCount,
    },
    // Required by the reference even for a valid bucket, whose reason is the empty string.
    invalidReason: bucket.invalidReason,
    lastCapacityFailure:
      bucket.lastCapacityFailureAt === undefined ? -1 : (now - bucket.lastCapacityFailureAt) / 1000,
  };
  if (withNodes) {
    // Node names, as the reference types them (`< string > array`).
    status.activeNodes = active.map(({ node }) => node.name);
  }
  return status;
}
