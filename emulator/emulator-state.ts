/**
 * The emulator's state: its clusters and nodes, capacity accounting, the wire form of its answers
 * and the admin changes. Over 400 lines because it is still one class; issue 10 splits it into a
 * store, capacity accounting, wire rendering and admin mutation. Left whole here: the split moves
 * every emulator test's footing and belongs with that restructuring, not with issue 15.
 */
import { randomUUID } from "node:crypto";
import type {
  Bucket,
  ClusterStatus,
  NodeCreationRequest,
  NodeCreationResult,
  NodeCreationSet,
  NodeList,
  NodeManagementAction,
  NodeManagementRequest,
  NodeManagementResult,
  NodeRecord,
  NodearrayStatus,
  OperationStatus,
  PlacementGroupStatus,
} from "../provider/schemas";
import { badRequest, EmulatorApiError, EXCEPTIONS, invalidAttribute, notFound } from "./api-error";
import { coreLimit, countLimit, fitUnder, partialAddMessage } from "./capacity";
import type { Fit, Limit } from "./capacity";
import { NodeAttributesSchema } from "./config";
import type { BucketDefinition, ClusterDefinition, NodearrayDefinition } from "./config";
import { compileNodeFilter, FilterSyntaxError } from "./node-filter";
import type { NodeFilter } from "./node-filter";
import { observePhase } from "./node-lifecycle";
import type { NodeObservation, NodePhase, ProvisioningFailure } from "./node-lifecycle";
import { formatIssues } from "./zod-issues";

/** How long the lifecycle phases last, in milliseconds. Zero makes a phase instantaneous. */
export interface EmulatorTiming {
  /** Acquiring -> Preparing. @default 1000 */
  readonly acquiringMs: number;
  /** Preparing -> Ready. @default 1000 */
  readonly preparingMs: number;
  /** Terminating -> gone, and Stopping -> Deallocated. @default 500 */
  readonly terminatingMs: number;
}

export const DEFAULT_TIMING: EmulatorTiming = Object.freeze({
  acquiringMs: 1000,
  preparingMs: 1000,
  terminatingMs: 500,
});

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

/** Selects nodes for the admin surface; without `cluster` every cluster is searched. */
export interface NodeSelector {
  readonly cluster?: string | undefined;
  readonly ids?: readonly string[] | undefined;
  readonly names?: readonly string[] | undefined;
}

/** A change of limits made through the admin surface. */
export interface CapacityChange {
  readonly cluster: string;
  readonly nodearray?: string | undefined;
  readonly machineType?: string | undefined;
  readonly maxCount?: number | undefined;
  readonly maxCoreCount?: number | undefined;
  readonly quotaCount?: number | undefined;
  readonly quotaCoreCount?: number | undefined;
  readonly consumedCoreCount?: number | undefined;
  readonly maxPlacementGroupSize?: number | undefined;
  readonly maxPlacementGroupCoreSize?: number | undefined;
  readonly valid?: boolean | undefined;
  readonly invalidReason?: string | undefined;
}

/** Options of one create or scale call, set by faults. */
export interface AddOptions {
  /** Add at most this many nodes per set (a `maxAdded` fault). */
  readonly maxAddedPerSet?: number | undefined;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface BucketState extends Mutable<BucketDefinition> {
  lastCapacityFailureAt: number | undefined;
}

interface NodearrayState extends Omit<NodearrayDefinition, "buckets"> {
  maxCount: number;
  maxCoreCount: number;
  readonly buckets: readonly BucketState[];
}

interface ClusterState extends Omit<ClusterDefinition, "nodearrays"> {
  maxCount: number;
  maxCoreCount: number;
  readonly nodearrays: readonly NodearrayState[];
}

interface NodeState {
  readonly id: string;
  readonly name: string;
  readonly cluster: ClusterState;
  readonly nodearray: NodearrayState;
  readonly bucket: BucketState;
  readonly placementGroupId: string | undefined;
  readonly requestId: string | undefined;
  readonly operationId: string;
  /** Inherited nodearray attributes merged with the set's `nodeAttributes`. */
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly privateIp: string;
  readonly hostname: string;
  readonly instanceId: string;
  phase: NodePhase;
}

interface Operation {
  readonly id: string;
  readonly action: string;
  readonly startTime: string;
  readonly requestId: string | undefined;
  readonly cluster: string;
  readonly nodeIds: string[];
}

/** A node with what it looks like now. */
interface LiveNode {
  readonly node: NodeState;
  readonly seen: NodeObservation;
}

/** Which nodes count against limits and quota: the truth (create) or the status's optimistic view. */
interface Accounting {
  readonly limits: (seen: NodeObservation) => boolean;
  readonly quota: (seen: NodeObservation) => boolean;
}

/** What create and start check: every VM that exists, terminating ones included. */
const REAL: Accounting = {
  limits: (seen) => seen.holdsCapacity,
  quota: (seen) => !seen.gone,
};

/** What `availableCount` reports: terminating nodes are already treated as gone (CycleCloud's quirk). */
const OPTIMISTIC: Accounting = {
  limits: (seen) => seen.reducesAvailability,
  quota: (seen) => !seen.gone && seen.status !== "Terminating",
};

/** Keys of a node record the emulator manages; `nodeAttributes` cannot override them. */
const MANAGED_KEYS = new Set([
  "Name",
  "NodeId",
  "Template",
  "ClusterName",
  "MachineType",
  "Status",
  "State",
  "TargetState",
  "Region",
  "CoreCount",
  "Memory",
  "Infiniband",
  "PlacementGroupId",
  "RequestId",
  "Hostname",
  "PrivateIp",
  "PublicIp",
  "InstanceId",
  "StatusMessage",
]);

const DEFAULT_NODE_ATTRIBUTES: Readonly<Record<string, unknown>> = {
  KeepAlive: false,
  Interruptible: false,
  ShutdownPolicy: "Terminate",
  Configuration: {},
};

interface SetPlan {
  readonly set: NodeCreationSet;
  readonly nodearray: NodearrayState;
  /** Undefined: the first bucket that can satisfy the set is chosen when it is added. */
  readonly bucket: BucketState | undefined;
  readonly attributes: Readonly<Record<string, unknown>>;
}

function hexOctet(octet: number): string {
  return octet.toString(16).toUpperCase().padStart(2, "0");
}

function withoutManagedKeys(attributes: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(attributes).filter(([key]) => !MANAGED_KEYS.has(key)));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Nodearray attributes, then the set's attributes; `Configuration` objects are merged key by key. */
function mergeAttributes(
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
  if (isRecord(base) && isRecord(extra)) {
    merged["Configuration"] = { ...base, ...extra };
  }
  return structuredClone(merged);
}

/**
 * The emulator's whole world: clusters with their limits, nodes, operations and used request ids.
 * Public methods answer the API and the admin surface; they throw {@link EmulatorApiError}.
 */
export class EmulatorState {
  private clusters: ClusterState[] = [];
  private readonly nodes = new Map<string, NodeState>();
  private readonly operations = new Map<string, Operation>();
  /** requestId -> operation id, for every create and management request that named one. */
  private readonly requestIds = new Map<string, string>();
  private pendingFailures: ProvisioningFailure[] = [];
  private addressesHandedOut = 0;
  private currentTiming: EmulatorTiming;

  constructor(
    private readonly definitions: readonly ClusterDefinition[],
    private readonly initialTiming: EmulatorTiming,
    private readonly now: () => number = Date.now,
  ) {
    this.currentTiming = { ...initialTiming };
    this.reset();
  }

  get timing(): EmulatorTiming {
    return { ...this.currentTiming };
  }

  /** Back to the initial clusters and timing: no nodes, operations, used request ids or armed failures. */
  reset(): void {
    this.clusters = this.definitions.map((cluster) => ({
      ...cluster,
      nodearrays: cluster.nodearrays.map((nodearray) => ({
        ...nodearray,
        attributes: structuredClone(nodearray.attributes),
        buckets: nodearray.buckets.map((bucket) => ({ ...bucket, lastCapacityFailureAt: undefined })),
      })),
    }));
    this.nodes.clear();
    this.operations.clear();
    this.requestIds.clear();
    this.pendingFailures = [];
    this.addressesHandedOut = 0;
    this.currentTiming = { ...this.initialTiming };
  }

  // ---------------------------------------------------------------------------------------------
  // The CycleCloud API

  /** `GET /clusters/{cluster}/status[?nodes=true]`. */
  clusterStatus(clusterName: string, withNodes: boolean): ClusterStatus {
    const now = this.now();
    const cluster = this.cluster(clusterName);
    const live = this.live(now).filter((entry) => entry.node.cluster === cluster);
    const status: ClusterStatus = {
      state: cluster.state,
      targetState: cluster.targetState,
      // As the API document says: how much may still be added to the cluster (the configured
      // totals minus what live nodes use, with the same optimistic view of terminating nodes).
      ...this.clusterRemaining(live, cluster),
      nodearrays: cluster.nodearrays.map((nodearray) =>
        this.nodearrayStatus(live, cluster, nodearray, withNodes, now),
      ),
    };
    if (withNodes) {
      status.nodes = live.map((entry) => this.record(entry));
    }
    return status;
  }

  /** `GET /clusters/{cluster}/nodes[?operation=ID | ?request_id=ID]`. */
  listNodes(clusterName: string, filter: { operation?: string; requestId?: string }): NodeList {
    const now = this.now();
    const cluster = this.cluster(clusterName);
    const live = this.live(now).filter((entry) => entry.node.cluster === cluster);
    let operation: Operation | undefined;
    if (filter.requestId !== undefined) {
      const operationId = this.requestIds.get(filter.requestId);
      operation = operationId === undefined ? undefined : this.operations.get(operationId);
      if (operation?.cluster !== cluster.name) {
        throw notFound(`No operation found for request id ${filter.requestId}`);
      }
    } else if (filter.operation !== undefined) {
      operation = this.operations.get(filter.operation);
      if (operation?.cluster !== cluster.name) {
        throw notFound(`No operation found for operation id ${filter.operation}`);
      }
    }
    if (operation === undefined) {
      return { nodes: live.map((entry) => this.record(entry)) };
    }
    const ids = new Set(operation.nodeIds);
    return {
      nodes: live.filter((entry) => ids.has(entry.node.id)).map((entry) => this.record(entry)),
      operation: this.operationStatus(operation),
    };
  }

  /** `POST /clusters/{cluster}/nodes/create`. */
  createNodes(
    clusterName: string,
    request: NodeCreationRequest,
    options: AddOptions = {},
  ): NodeCreationResult {
    const now = this.now();
    const cluster = this.cluster(clusterName);
    this.checkRequestIdUnused(request.requestId);
    const plans = this.planSets(cluster, request.sets, now);
    const operation = this.newOperation("create", cluster, request.requestId, now);
    const sets = plans.map((plan) => this.addSet(cluster, plan, operation, options, now));
    return { operationId: operation.id, sets };
  }

  /** `POST /clusters/{cluster}/scale/{nodearray}?totalNodeCount=N|totalCoreCount=N`. */
  scale(
    clusterName: string,
    nodearrayName: string,
    target: { readonly totalNodeCount: number } | { readonly totalCoreCount: number },
    options: AddOptions = {},
  ): NodeCreationResult {
    const now = this.now();
    const cluster = this.cluster(clusterName);
    const nodearray = cluster.nodearrays.find((candidate) => candidate.name === nodearrayName);
    if (nodearray === undefined) {
      throw notFound(`Nodearray ${nodearrayName} not found in cluster ${cluster.name}`);
    }
    const present = this.tally(
      this.live(now),
      (node) => node.nodearray === nodearray,
      (seen) => seen.reducesAvailability,
    );
    const operation = this.newOperation("scale", cluster, undefined, now);
    const reached =
      "totalNodeCount" in target
        ? present.count >= target.totalNodeCount
        : present.cores >= target.totalCoreCount;
    if (reached) {
      return { operationId: operation.id, sets: [{ added: 0 }] };
    }
    const missing = (bucket: BucketState): number =>
      "totalNodeCount" in target
        ? target.totalNodeCount - present.count
        : Math.ceil((target.totalCoreCount - present.cores) / bucket.vcpuCount);
    const chosen = this.chooseBucket(cluster, nodearray, undefined, missing, now);
    if (chosen === undefined) {
      return {
        operationId: operation.id,
        sets: [{ added: 0, message: `Nodearray ${nodearray.name} has no valid bucket` }],
      };
    }
    const set: NodeCreationSet = { count: chosen.count, nodearray: nodearray.name };
    const plan: SetPlan = {
      set,
      nodearray,
      bucket: chosen.bucket,
      attributes: mergeAttributes(nodearray.attributes, {}),
    };
    return { operationId: operation.id, sets: [this.addSet(cluster, plan, operation, options, now)] };
  }

  /** `POST /clusters/{cluster}/nodes/{terminate|deallocate|start|shutdown|remove}`. */
  manageNodes(
    clusterName: string,
    action: NodeManagementAction,
    request: NodeManagementRequest,
  ): NodeManagementResult {
    const now = this.now();
    const cluster = this.cluster(clusterName);
    this.checkRequestIdUnused(request.requestId);
    const { ids, names, hostnames, ip_addresses: ipAddresses, filter } = request;
    if (
      ids === undefined &&
      names === undefined &&
      hostnames === undefined &&
      ipAddresses === undefined &&
      filter === undefined
    ) {
      throw invalidAttribute(
        `A ${action} request must select nodes with at least one of ids, names, hostnames, ip_addresses or filter`,
      );
    }
    let predicate: NodeFilter | undefined;
    if (filter !== undefined) {
      try {
        predicate = compileNodeFilter(filter);
      } catch (error) {
        if (error instanceof FilterSyntaxError) {
          throw badRequest(
            `Unsupported filter expression ${JSON.stringify(filter)}: ${error.message}. The emulator supports ` +
              `comparisons of a node attribute with a string, number, boolean or null (===, ==, !==, !=), ` +
              `joined by && and || with parentheses`,
          );
        }
        throw error;
      }
    }
    const idSet = new Set(ids ?? []);
    const nameSet = new Set(names ?? []);
    const hostnameSet = new Set(hostnames ?? []);
    const ipSet = new Set(ipAddresses ?? []);
    const matched = this.live(now).filter((entry) => {
      const { node, seen } = entry;
      if (node.cluster !== cluster) {
        return false;
      }
      return (
        idSet.has(node.id) ||
        nameSet.has(node.name) ||
        (seen.addressed && (hostnameSet.has(node.hostname) || ipSet.has(node.privateIp))) ||
        (predicate !== undefined && predicate(this.record(entry)))
      );
    });
    const operation = this.newOperation(action, cluster, request.requestId, now);
    const results = matched.map(({ node }) => {
      operation.nodeIds.push(node.id);
      const error = this.applyAction(action, node, now);
      return error === undefined
        ? { name: node.name, id: node.id, status: "OK" }
        : { name: node.name, id: node.id, status: "Error", error };
    });
    return { operationId: operation.id, nodes: results };
  }

  /** `GET /operations/{id}`. */
  operation(id: string): OperationStatus {
    const operation = this.operations.get(id);
    if (operation === undefined) {
      throw notFound(`No operation found for operation id ${id}`);
    }
    return this.operationStatus(operation);
  }

  /** `GET /operations/?request_id=ID`: zero or one operation; without a request id, all of them. */
  findOperations(requestId: string | undefined): OperationStatus[] {
    if (requestId === undefined) {
      return [...this.operations.values()].map((operation) => this.operationStatus(operation));
    }
    const operationId = this.requestIds.get(requestId);
    const operation = operationId === undefined ? undefined : this.operations.get(operationId);
    return operation === undefined ? [] : [this.operationStatus(operation)];
  }

  // ---------------------------------------------------------------------------------------------
  // The admin surface

  /** Changes phase durations for transitions that start from now on; phases under way keep theirs. */
  setTiming(change: { readonly [K in keyof EmulatorTiming]?: number | undefined }): EmulatorTiming {
    this.currentTiming = {
      acquiringMs: change.acquiringMs ?? this.currentTiming.acquiringMs,
      preparingMs: change.preparingMs ?? this.currentTiming.preparingMs,
      terminatingMs: change.terminatingMs ?? this.currentTiming.terminatingMs,
    };
    return this.timing;
  }

  /** Makes the next `count` created nodes fail while provisioning (or hang in Acquiring). */
  failNextNodes(count: number, failure: ProvisioningFailure): number {
    for (let i = 0; i < count; i += 1) {
      this.pendingFailures.push(failure);
    }
    return this.pendingFailures.length;
  }

  /** Marks the selected nodes `Failed` at once, keeping their addresses. */
  failNodes(selector: NodeSelector, message: string): AdminNodeView[] {
    const now = this.now();
    const selected = this.select(selector, now);
    for (const { node, seen } of selected) {
      node.phase = { kind: "failed", since: now, message, addressed: seen.addressed };
    }
    return this.adminViews(
      selected.map((entry) => entry.node),
      now,
    );
  }

  /** Removes the selected nodes out of band: they vanish at once and hold nothing. */
  removeNodes(selector: NodeSelector): AdminNodeView[] {
    const now = this.now();
    const selected = this.select(selector, now);
    const views = this.adminViews(
      selected.map((entry) => entry.node),
      now,
    );
    for (const { node } of selected) {
      this.nodes.delete(node.id);
    }
    return views;
  }

  /** Changes limits of a cluster, a nodearray (with `nodearray`) or a bucket (with `machineType` too). */
  setCapacity(change: CapacityChange): ClusterStatus {
    const cluster = this.cluster(change.cluster);
    const bucketOnly = [
      "quotaCount",
      "quotaCoreCount",
      "consumedCoreCount",
      "maxPlacementGroupSize",
      "maxPlacementGroupCoreSize",
      "valid",
      "invalidReason",
    ] as const;
    if (change.nodearray === undefined) {
      if (change.machineType !== undefined) {
        throw badRequest("`machineType` needs `nodearray`");
      }
      this.rejectFields(change, bucketOnly, "a cluster");
      if (change.maxCount !== undefined) cluster.maxCount = change.maxCount;
      if (change.maxCoreCount !== undefined) cluster.maxCoreCount = change.maxCoreCount;
      return this.clusterStatus(cluster.name, false);
    }
    const nodearray = cluster.nodearrays.find((candidate) => candidate.name === change.nodearray);
    if (nodearray === undefined) {
      throw notFound(`Nodearray ${change.nodearray} not found in cluster ${cluster.name}`);
    }
    if (change.machineType === undefined) {
      this.rejectFields(change, bucketOnly, "a nodearray");
      if (change.maxCount !== undefined) nodearray.maxCount = change.maxCount;
      if (change.maxCoreCount !== undefined) nodearray.maxCoreCount = change.maxCoreCount;
      return this.clusterStatus(cluster.name, false);
    }
    const bucket = nodearray.buckets.find((candidate) => candidate.machineType === change.machineType);
    if (bucket === undefined) {
      throw notFound(`MachineType ${change.machineType} not found in nodearray ${nodearray.name}`);
    }
    if (change.maxCount !== undefined) bucket.maxCount = change.maxCount;
    if (change.maxCoreCount !== undefined) bucket.maxCoreCount = change.maxCoreCount;
    if (change.quotaCount !== undefined) bucket.quotaCount = change.quotaCount;
    if (change.quotaCoreCount !== undefined) bucket.quotaCoreCount = change.quotaCoreCount;
    if (change.consumedCoreCount !== undefined) bucket.consumedCoreCount = change.consumedCoreCount;
    if (change.maxPlacementGroupSize !== undefined)
      bucket.maxPlacementGroupSize = change.maxPlacementGroupSize;
    if (change.maxPlacementGroupCoreSize !== undefined) {
      bucket.maxPlacementGroupCoreSize = change.maxPlacementGroupCoreSize;
    }
    if (change.valid !== undefined) {
      bucket.valid = change.valid;
      bucket.invalidReason = change.valid ? undefined : (change.invalidReason ?? "NotActivated");
    } else if (change.invalidReason !== undefined) {
      bucket.invalidReason = change.invalidReason;
    }
    return this.clusterStatus(cluster.name, false);
  }

  /** Every node of every cluster, with the request and operation that created it. */
  allNodes(): AdminNodeView[] {
    const now = this.now();
    return this.adminViews(
      this.live(now).map((entry) => entry.node),
      now,
    );
  }

  // ---------------------------------------------------------------------------------------------
  // Internals

  private cluster(name: string): ClusterState {
    const cluster = this.clusters.find((candidate) => candidate.name === name);
    if (cluster === undefined) {
      throw notFound(`Cluster ${name} not found`);
    }
    return cluster;
  }

  /** Every node with its current observation; nodes whose termination has completed are dropped. */
  private live(now: number): LiveNode[] {
    const entries: LiveNode[] = [];
    for (const node of this.nodes.values()) {
      const seen = observePhase(node.phase, now);
      if (seen.gone) {
        this.nodes.delete(node.id);
      } else {
        entries.push({ node, seen });
      }
    }
    return entries;
  }

  private checkRequestIdUnused(requestId: string | undefined): void {
    if (requestId !== undefined && this.requestIds.has(requestId)) {
      throw new EmulatorApiError(
        409,
        EXCEPTIONS.duplicateRequest,
        `Request id ${requestId} has already been used`,
      );
    }
  }

  private newOperation(
    action: string,
    cluster: ClusterState,
    requestId: string | undefined,
    now: number,
  ): Operation {
    const operation: Operation = {
      id: randomUUID(),
      action,
      startTime: new Date(now).toISOString(),
      requestId,
      cluster: cluster.name,
      nodeIds: [],
    };
    this.operations.set(operation.id, operation);
    if (requestId !== undefined) {
      this.requestIds.set(requestId, operation.id);
    }
    return operation;
  }

  private operationStatus(operation: Operation): OperationStatus {
    return { id: operation.id, action: operation.action, startTime: operation.startTime };
  }

  private clusterRemaining(
    live: readonly LiveNode[],
    cluster: ClusterState,
  ): { maxCount: number; maxCoreCount: number } {
    const use = this.tally(live, (node) => node.cluster === cluster, OPTIMISTIC.limits);
    return {
      maxCount: Math.max(0, cluster.maxCount - use.count),
      maxCoreCount: Math.max(0, cluster.maxCoreCount - use.cores),
    };
  }

  private tally(
    live: readonly LiveNode[],
    where: (node: NodeState) => boolean,
    counts: (seen: NodeObservation) => boolean,
  ): { count: number; cores: number } {
    let count = 0;
    let cores = 0;
    for (const { node, seen } of live) {
      if (where(node) && counts(seen)) {
        count += 1;
        cores += node.bucket.vcpuCount;
      }
    }
    return { count, cores };
  }

  /**
   * Every limit a new node of `bucket` (in `placementGroup`, if any) is subject to, as seen by
   * `accounting`. `withQuota` false leaves out the quota (a deallocated node being started
   * already holds its quota).
   */
  private limits(
    live: readonly LiveNode[],
    cluster: ClusterState,
    nodearray: NodearrayState,
    bucket: BucketState,
    placementGroup: string | undefined,
    accounting: Accounting,
    withQuota = true,
  ): Limit[] {
    const vcpu = bucket.vcpuCount;
    const inBucket = (node: NodeState): boolean => node.bucket === bucket;
    const bucketUse = this.tally(live, inBucket, accounting.limits);
    const nodearrayUse = this.tally(live, (node) => node.nodearray === nodearray, accounting.limits);
    const clusterUse = this.tally(live, (node) => node.cluster === cluster, accounting.limits);
    const scope = `nodearray ${nodearray.name} bucket ${bucket.machineType}`;
    const limits = [
      countLimit(`${scope} maxCount of ${String(bucket.maxCount)} reached`, bucket.maxCount, bucketUse.count),
      coreLimit(
        `${scope} maxCoreCount of ${String(bucket.maxCoreCount)} reached`,
        bucket.maxCoreCount,
        bucketUse.cores,
        vcpu,
      ),
      countLimit(
        `nodearray ${nodearray.name} maxCount of ${String(nodearray.maxCount)} reached`,
        nodearray.maxCount,
        nodearrayUse.count,
      ),
      coreLimit(
        `nodearray ${nodearray.name} maxCoreCount of ${String(nodearray.maxCoreCount)} reached`,
        nodearray.maxCoreCount,
        nodearrayUse.cores,
        vcpu,
      ),
      countLimit(
        `cluster ${cluster.name} maxCount of ${String(cluster.maxCount)} reached`,
        cluster.maxCount,
        clusterUse.count,
      ),
      coreLimit(
        `cluster ${cluster.name} maxCoreCount of ${String(cluster.maxCoreCount)} reached`,
        cluster.maxCoreCount,
        clusterUse.cores,
        vcpu,
      ),
    ];
    if (withQuota) {
      const quotaUse = this.tally(live, inBucket, accounting.quota);
      limits.push(
        countLimit(
          `${bucket.machineType} quotaCount of ${String(bucket.quotaCount)} reached`,
          bucket.quotaCount,
          quotaUse.count,
        ),
        coreLimit(
          `${bucket.machineType} quotaCoreCount of ${String(bucket.quotaCoreCount)} reached`,
          bucket.quotaCoreCount,
          bucket.consumedCoreCount + quotaUse.cores,
          vcpu,
        ),
      );
    }
    if (placementGroup !== undefined) {
      const groupUse = this.tally(
        live,
        (node) => inBucket(node) && node.placementGroupId === placementGroup,
        accounting.limits,
      );
      limits.push(
        countLimit(
          `placement group ${placementGroup} maxPlacementGroupSize of ${String(bucket.maxPlacementGroupSize)} reached`,
          bucket.maxPlacementGroupSize,
          groupUse.count,
        ),
        coreLimit(
          `placement group ${placementGroup} maxPlacementGroupCoreSize of ${String(bucket.maxPlacementGroupCoreSize)} reached`,
          bucket.maxPlacementGroupCoreSize,
          groupUse.cores,
          vcpu,
        ),
      );
    }
    return limits;
  }

  private nodearrayStatus(
    live: readonly LiveNode[],
    cluster: ClusterState,
    nodearray: NodearrayState,
    withNodes: boolean,
    now: number,
  ): NodearrayStatus {
    return {
      name: nodearray.name,
      maxCount: nodearray.maxCount,
      maxCoreCount: nodearray.maxCoreCount,
      nodearray: { ...structuredClone(nodearray.attributes), Name: nodearray.name, Region: nodearray.region },
      buckets: nodearray.buckets.map((bucket) =>
        this.bucketStatus(live, cluster, nodearray, bucket, withNodes, now),
      ),
    };
  }

  private bucketStatus(
    live: readonly LiveNode[],
    cluster: ClusterState,
    nodearray: NodearrayState,
    bucket: BucketState,
    withNodes: boolean,
    now: number,
  ): Bucket {
    const inBucket = live.filter((entry) => entry.node.bucket === bucket);
    const active = inBucket.filter((entry) => REAL.limits(entry.seen));
    const quotaCores = this.tally(inBucket, () => true, REAL.quota).cores;
    const available = bucket.valid
      ? fitUnder(this.limits(live, cluster, nodearray, bucket, undefined, OPTIMISTIC)).fit
      : 0;
    const groups = new Map<string, PlacementGroupStatus>();
    for (const { node, seen } of inBucket) {
      if (node.placementGroupId === undefined) {
        continue;
      }
      const group = groups.get(node.placementGroupId) ?? {
        name: node.placementGroupId,
        activeCount: 0,
        activeCoreCount: 0,
      };
      if (REAL.limits(seen)) {
        group.activeCount += 1;
        group.activeCoreCount += bucket.vcpuCount;
      }
      groups.set(node.placementGroupId, group);
    }
    const status: Bucket = {
      bucketId: bucket.bucketId,
      definition: { machineType: bucket.machineType },
      maxCount: bucket.maxCount,
      maxCoreCount: bucket.maxCoreCount,
      activeCount: active.length,
      activeCoreCount: active.length * bucket.vcpuCount,
      availableCount: available,
      availableCoreCount: available * bucket.vcpuCount,
      quotaCount: bucket.quotaCount,
      quotaCoreCount: bucket.quotaCoreCount,
      consumedCoreCount: bucket.consumedCoreCount + quotaCores,
      maxPlacementGroupSize: bucket.maxPlacementGroupSize,
      maxPlacementGroupCoreSize: bucket.maxPlacementGroupCoreSize,
      valid: bucket.valid,
      placementGroups: [...groups.values()],
      virtualMachine: {
        vcpuCount: bucket.vcpuCount,
        memory: bucket.memory,
        infiniband: bucket.infiniband,
        ...(bucket.pcpuCount === undefined ? {} : { pcpuCount: bucket.pcpuCount }),
        ...(bucket.gpuCount === undefined ? {} : { gpuCount: bucket.gpuCount }),
      },
      lastCapacityFailure:
        bucket.lastCapacityFailureAt === undefined ? -1 : (now - bucket.lastCapacityFailureAt) / 1000,
    };
    if (bucket.invalidReason !== undefined) {
      status.invalidReason = bucket.invalidReason;
    }
    if (withNodes) {
      status.activeNodes = active.map((entry) => this.record(entry));
    }
    return status;
  }

  private record({ node, seen }: LiveNode): WireNodeRecord {
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
    if (node.placementGroupId !== undefined) {
      managed.PlacementGroupId = node.placementGroupId;
    }
    if (node.requestId !== undefined) {
      managed.RequestId = node.requestId;
    }
    if (seen.addressed) {
      managed.Hostname = node.hostname;
      managed.PrivateIp = node.privateIp;
      managed.InstanceId = node.instanceId;
    }
    if (seen.statusMessage !== undefined) {
      managed.StatusMessage = seen.statusMessage;
    }
    // Inherited attributes never hold managed keys (see mergeAttributes), so the order only sets
    // the key order on the wire: identity first, as CycleCloud lists it.
    return { ...managed, ...structuredClone(node.attributes) };
  }

  private adminViews(nodes: readonly NodeState[], now: number): AdminNodeView[] {
    return nodes.map((node) => ({
      cluster: node.cluster.name,
      nodearray: node.nodearray.name,
      requestId: node.requestId ?? null,
      operationId: node.operationId,
      record: this.record({ node, seen: observePhase(node.phase, now) }),
    }));
  }

  private select(selector: NodeSelector, now: number): LiveNode[] {
    const cluster = selector.cluster === undefined ? undefined : this.cluster(selector.cluster);
    const ids = new Set(selector.ids ?? []);
    const names = new Set(selector.names ?? []);
    return this.live(now).filter(
      ({ node }) =>
        (cluster === undefined || node.cluster === cluster) && (ids.has(node.id) || names.has(node.name)),
    );
  }

  private rejectFields(
    change: CapacityChange,
    fields: readonly (keyof CapacityChange)[],
    level: string,
  ): void {
    const present = fields.filter((field) => change[field] !== undefined);
    if (present.length > 0) {
      throw badRequest(
        `${present.map((field) => `\`${field}\``).join(", ")} can only be changed on a bucket ` +
          `(give \`nodearray\` and \`machineType\`), not on ${level}`,
      );
    }
  }

  /** Validates every set before anything is added: a request with one bad set adds nothing. */
  private planSets(cluster: ClusterState, sets: readonly NodeCreationSet[], now: number): SetPlan[] {
    const taken = new Set(
      this.live(now)
        .filter((entry) => entry.node.cluster === cluster)
        .map((entry) => entry.node.name),
    );
    return sets.map((set, index) => {
      const nodearray = cluster.nodearrays.find((candidate) => candidate.name === set.nodearray);
      if (nodearray === undefined) {
        throw invalidAttribute(`Nodearray ${set.nodearray} is not recognized in cluster ${cluster.name}`);
      }
      let bucket: BucketState | undefined;
      if (set.definition !== undefined) {
        const machineType = set.definition.machineType;
        bucket = nodearray.buckets.find((candidate) => candidate.machineType === machineType);
        if (bucket === undefined) {
          throw invalidAttribute(`MachineType ${machineType} is not recognized`);
        }
        if (!bucket.valid) {
          throw invalidAttribute(
            `MachineType ${machineType} is not valid for nodearray ${nodearray.name}: ${bucket.invalidReason ?? "NotActivated"}`,
          );
        }
      }
      const attributes = NodeAttributesSchema.safeParse(set.nodeAttributes ?? {});
      if (!attributes.success) {
        throw invalidAttribute(
          `Invalid nodeAttributes in sets[${String(index)}]: ${formatIssues(attributes.error)}`,
        );
      }
      const format = set.nameFormat;
      if (format !== undefined && !format.includes("%d")) {
        if (set.count > 1) {
          throw invalidAttribute(
            `nameFormat ${format} has no %d and can name only one node, but sets[${String(index)}].count is ${String(set.count)}`,
          );
        }
        if (taken.has(format)) {
          throw invalidAttribute(`Node ${format} already exists in cluster ${cluster.name}`);
        }
        taken.add(format);
      }
      return { set, nodearray, bucket, attributes: mergeAttributes(nodearray.attributes, attributes.data) };
    });
  }

  /**
   * The bucket a set without `definition` goes to: the first valid bucket where all of it fits,
   * else the valid bucket where most of it fits (the first of equals).
   */
  private chooseBucket(
    cluster: ClusterState,
    nodearray: NodearrayState,
    placementGroup: string | undefined,
    wanted: (bucket: BucketState) => number,
    now: number,
  ): { bucket: BucketState; count: number } | undefined {
    const live = this.live(now);
    let best: { bucket: BucketState; count: number; fit: number } | undefined;
    for (const bucket of nodearray.buckets) {
      if (!bucket.valid) {
        continue;
      }
      const count = wanted(bucket);
      const { fit } = fitUnder(this.limits(live, cluster, nodearray, bucket, placementGroup, REAL));
      if (fit >= count) {
        return { bucket, count };
      }
      if (best === undefined || fit > best.fit) {
        best = { bucket, count, fit };
      }
    }
    return best === undefined ? undefined : { bucket: best.bucket, count: best.count };
  }

  private addSet(
    cluster: ClusterState,
    plan: SetPlan,
    operation: Operation,
    options: AddOptions,
    now: number,
  ): NodeCreationResult["sets"][number] {
    const { set, nodearray } = plan;
    const placementGroup = set.placementGroupId;
    const bucket =
      plan.bucket ?? this.chooseBucket(cluster, nodearray, placementGroup, () => set.count, now)?.bucket;
    if (bucket === undefined) {
      return {
        added: 0,
        message: partialAddMessage(0, set.count, `nodearray ${nodearray.name} has no valid bucket`),
      };
    }
    const fit: Fit = fitUnder(this.limits(this.live(now), cluster, nodearray, bucket, placementGroup, REAL));
    let added = Math.min(set.count, fit.fit);
    let reason = fit.binding?.description ?? "no capacity";
    if (options.maxAddedPerSet !== undefined && options.maxAddedPerSet < added) {
      added = options.maxAddedPerSet;
      reason = "insufficient capacity (injected by the emulator)";
    }
    for (const name of this.nodeNames(cluster, set, added, now)) {
      const node = this.newNode(cluster, plan, bucket, name, operation, now);
      this.nodes.set(node.id, node);
      operation.nodeIds.push(node.id);
    }
    if (added < set.count) {
      bucket.lastCapacityFailureAt = now;
      return { added, message: partialAddMessage(added, set.count, reason) };
    }
    return { added };
  }

  /** `nodearray-N` (or `nameFormat` with `%d`), using the lowest free indexes from `nameOffset` (default 1). */
  private nodeNames(cluster: ClusterState, set: NodeCreationSet, count: number, now: number): string[] {
    if (count === 0) {
      return [];
    }
    const format = set.nameFormat ?? `${set.nodearray}-%d`;
    if (!format.includes("%d")) {
      return [format];
    }
    const taken = new Set(
      this.live(now)
        .filter((entry) => entry.node.cluster === cluster)
        .map((entry) => entry.node.name),
    );
    const names: string[] = [];
    for (let index = set.nameOffset ?? 1; names.length < count; index += 1) {
      const name = format.replaceAll("%d", String(index));
      if (!taken.has(name)) {
        names.push(name);
      }
    }
    return names;
  }

  private newNode(
    cluster: ClusterState,
    plan: SetPlan,
    bucket: BucketState,
    name: string,
    operation: Operation,
    now: number,
  ): NodeState {
    const index = this.addressesHandedOut;
    this.addressesHandedOut += 1;
    const octets = [10, 1, Math.floor(index / 250), 4 + (index % 250)];
    return {
      id: randomUUID(),
      name,
      cluster,
      nodearray: plan.nodearray,
      bucket,
      placementGroupId: plan.set.placementGroupId,
      requestId: operation.requestId,
      operationId: operation.id,
      attributes: plan.attributes,
      privateIp: octets.join("."),
      hostname: `ip-${octets.map(hexOctet).join("")}`,
      instanceId: randomUUID().replaceAll("-", ""),
      phase: this.startingPhase(now, this.pendingFailures.shift()),
    };
  }

  private startingPhase(now: number, failure: ProvisioningFailure | undefined): NodePhase {
    return {
      kind: "starting",
      since: now,
      acquiringMs: this.currentTiming.acquiringMs,
      preparingMs: this.currentTiming.preparingMs,
      failure,
    };
  }

  /** Applies one management action to one node; returns the error text of an `Error` result. */
  private applyAction(action: NodeManagementAction, node: NodeState, now: number): string | undefined {
    const seen = observePhase(node.phase, now);
    const effective =
      action === "shutdown"
        ? node.attributes["ShutdownPolicy"] === "Deallocate"
          ? "deallocate"
          : "terminate"
        : action;
    switch (effective) {
      case "terminate":
      case "remove":
        if (seen.status !== "Terminating") {
          node.phase = {
            kind: "terminating",
            since: now,
            durationMs: this.currentTiming.terminatingMs,
            addressed: seen.addressed,
          };
        }
        return undefined;
      case "deallocate":
        if (seen.status === "Terminating") {
          return `Node ${node.name} is terminating and cannot be deallocated`;
        }
        if (seen.status !== "Stopping" && seen.status !== "Deallocated") {
          node.phase = {
            kind: "stopping",
            since: now,
            durationMs: this.currentTiming.terminatingMs,
            addressed: seen.addressed,
          };
        }
        return undefined;
      case "start":
        return this.start(node, seen, now);
    }
  }

  private start(node: NodeState, seen: NodeObservation, now: number): string | undefined {
    switch (seen.status) {
      case "Acquiring":
      case "Preparing":
      case "Ready":
        return undefined;
      case "Deallocated": {
        const fit = fitUnder(
          this.limits(
            this.live(now),
            node.cluster,
            node.nodearray,
            node.bucket,
            node.placementGroupId,
            REAL,
            false,
          ),
        );
        if (fit.fit < 1) {
          node.bucket.lastCapacityFailureAt = now;
          return `Cannot start node ${node.name}: ${fit.binding?.description ?? "no capacity"}`;
        }
        node.phase = this.startingPhase(now, undefined);
        return undefined;
      }
      default:
        return `Node ${node.name} cannot be started from status ${seen.status}`;
    }
  }
}
