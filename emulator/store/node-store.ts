// Over 400 lines: the store's one class holds every lookup the handlers share; splitting it is planned with issue 23 (not done this session).
/**
 * The emulator's store: clusters with their (admin-changeable) limits, nodes, operations, used
 * request ids, armed provisioning failures and the lifecycle timing. It holds data and answers
 * lookups; what a request does with them lives in the handler modules.
 * A little over 400 lines: it is one class whose fields are the emulator's whole state (the caps on
 * operations and request ids and the replica's initial nodes added to it); the logic that acts on
 * that state already lives elsewhere, so a split would only spread the fields.
 */
import { randomUUID } from "node:crypto";
import { AdminError, EmulatorApiError, EXCEPTIONS, notFound } from "../server/api-error";
import { MAX_REQUEST_NODES } from "../config/limits";
import type {
  BucketDefinition,
  ClusterDefinition,
  FamilyQuota,
  InitialNodeDefinition,
  NodearrayDefinition,
  RegionalQuota,
} from "./cluster-definitions";
import { observePhase } from "./node-lifecycle";
import type { NodeObservation, NodePhase, ProvisioningFailure } from "./node-lifecycle";

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

/**
 * The emulator's time, in milliseconds since the epoch. Node lifecycles are computed from it
 * lazily (a node stores when it entered a phase; every read derives its status from `now()`), so
 * no timer drives them: a test that controls `now()` controls every transition.
 */
export interface EmulatorClock {
  now(): number;
}

/** Real time. */
export const SYSTEM_CLOCK: EmulatorClock = { now: () => Date.now() };

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export interface BucketState extends Mutable<BucketDefinition> {
  lastCapacityFailureAt: number | undefined;
}

export interface NodearrayState extends Omit<NodearrayDefinition, "buckets"> {
  maxCount: number;
  maxCoreCount: number;
  readonly buckets: readonly BucketState[];
}

export interface ClusterState extends Omit<ClusterDefinition, "nodearrays" | "quotas"> {
  maxCount: number;
  maxCoreCount: number;
  /** Changeable through the admin surface (`POST /__emulator/quotas`). */
  readonly quotas: { families: Record<string, FamilyQuota>; regions: Record<string, RegionalQuota> };
  readonly nodearrays: readonly NodearrayState[];
}

export interface NodeState {
  readonly id: string;
  readonly name: string;
  /**
   * A node of the cluster template in no nodearray (a head node). Its `nodearray` and `bucket`
   * are its own template's, not in `cluster.nodearrays`; it counts against regional and family
   * quotas but not against the cluster's, nodearrays' or buckets' limits.
   */
  readonly standalone: boolean;
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

export interface Operation {
  readonly id: string;
  readonly action: string;
  readonly startTime: string;
  readonly requestId: string | undefined;
  readonly cluster: string;
  readonly nodeIds: string[];
}

/** A node with what it looks like now. */
export interface LiveNode {
  readonly node: NodeState;
  readonly seen: NodeObservation;
}

/** What a new node is made of; the store adds its id, addresses and starting phase. */
export interface NewNode {
  readonly standalone?: boolean;
  readonly name: string;
  readonly cluster: ClusterState;
  readonly nodearray: NodearrayState;
  readonly bucket: BucketState;
  readonly placementGroupId: string | undefined;
  readonly attributes: Readonly<Record<string, unknown>>;
}

/**
 * Longest request id accepted (characters). CycleCloud's reference documents no limit; the emulator
 * sets one so a client cannot make it keep megabytes per id. The provider's ids are under 100.
 */
export const MAX_REQUEST_ID_LENGTH = 256;

/**
 * Operations kept. Beyond this, the oldest operations none of whose nodes exist any more are
 * forgotten, with their request ids (which can then be used again, and which listing answers "No
 * operation found for" like an unknown id). Operations with a live node are always kept.
 */
export const MAX_OPERATIONS = 10_000;

/** The operation id head nodes carry: they were made when the cluster started, by no API call. */
export const STANDALONE_OPERATION_ID = "00000000-0000-0000-0000-000000000000";

/** The phase an initial node starts in, by the `Status` it was seen in. */
function initialPhase(definition: InitialNodeDefinition, now: number, terminatingMs: number): NodePhase {
  switch (definition.status) {
    case "Ready":
      return { kind: "starting", since: 0, acquiringMs: 0, preparingMs: 0, failure: undefined };
    case "Failed":
      return { kind: "failed", since: 0, message: definition.statusMessage ?? "Failed", addressed: true };
    case "Deallocated":
      return { kind: "deallocated", since: 0, addressed: true };
    case "Off":
      return { kind: "off", since: 0 };
    case "Terminating":
      return { kind: "terminating", since: now, durationMs: terminatingMs, addressed: true };
  }
}

function hexOctet(octet: number): string {
  return octet.toString(16).toUpperCase().padStart(2, "0");
}

/** The emulator's whole world. Lookups throw {@link EmulatorApiError}. */
export class NodeStore {
  private clusterStates: ClusterState[] = [];
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
    readonly clock: EmulatorClock = SYSTEM_CLOCK,
  ) {
    this.currentTiming = { ...initialTiming };
    this.reset();
  }

  get timing(): EmulatorTiming {
    return { ...this.currentTiming };
  }

  set timing(timing: EmulatorTiming) {
    this.currentTiming = { ...timing };
  }

  /** Back to the initial clusters and timing: no nodes, operations, used request ids or armed failures. */
  reset(): void {
    this.clusterStates = this.definitions.map((cluster) => ({
      ...cluster,
      quotas: structuredClone(cluster.quotas),
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
    this.addStandaloneNodes();
    this.addInitialNodes();
  }

  /** The clusters' initial nodearray nodes (a replica's), in the phases their definitions say. */
  private addInitialNodes(): void {
    const now = this.clock.now();
    for (const cluster of this.clusterStates) {
      for (const definition of cluster.initialNodes ?? []) {
        const nodearray = cluster.nodearrays.find((n) => n.name === definition.nodearray);
        const bucket = nodearray?.buckets.find((b) => b.machineType === definition.machineType);
        if (nodearray === undefined || bucket === undefined) {
          throw new Error(
            `initial node ${definition.name}: no bucket ${definition.machineType} in nodearray ${definition.nodearray}`,
          );
        }
        const index = this.addressesHandedOut;
        this.addressesHandedOut += 1;
        const octets = [10, 1, Math.floor(index / 250), 4 + (index % 250)];
        const id = definition.id ?? randomUUID();
        this.nodes.set(id, {
          id,
          name: definition.name,
          standalone: false,
          cluster,
          nodearray,
          bucket,
          placementGroupId: definition.placementGroupId,
          requestId: definition.requestId,
          operationId: STANDALONE_OPERATION_ID,
          attributes: structuredClone(definition.attributes),
          privateIp: definition.privateIp ?? octets.join("."),
          hostname: definition.hostname ?? `ip-${octets.map(hexOctet).join("")}`,
          instanceId: definition.instanceId ?? randomUUID().replaceAll("-", ""),
          phase: initialPhase(definition, now, this.currentTiming.terminatingMs),
        });
      }
    }
  }

  /** The clusters' head nodes, `Started` since the epoch, addressed from 10.0.0.4 on. */
  private addStandaloneNodes(): void {
    let index = 0;
    for (const cluster of this.clusterStates) {
      for (const definition of cluster.standaloneNodes) {
        const octets = [10, 0, Math.floor(index / 250), 4 + (index % 250)];
        index += 1;
        const bucket: BucketState = {
          bucketId: STANDALONE_OPERATION_ID,
          machineType: definition.machineType,
          vcpuCount: definition.vcpuCount,
          memory: definition.memory,
          infiniband: false,
          pcpuCount: definition.vcpuCount,
          gpuCount: 0,
          maxCount: 1,
          maxCoreCount: definition.vcpuCount,
          quotaCount: 1,
          quotaCoreCount: definition.vcpuCount,
          consumedCoreCount: 0,
          maxPlacementGroupSize: 1,
          maxPlacementGroupCoreSize: definition.vcpuCount,
          family: definition.family,
          valid: true,
          invalidReason: "",
          lastCapacityFailureAt: undefined,
        };
        const node: NodeState = {
          id: randomUUID(),
          name: definition.name,
          standalone: true,
          cluster,
          // The node's own template, which is not one of the cluster's nodearrays.
          nodearray: {
            name: definition.name,
            maxCount: 1,
            maxCoreCount: definition.vcpuCount,
            region: definition.region,
            spot: false,
            attributes: {},
            buckets: [bucket],
          },
          bucket,
          placementGroupId: undefined,
          requestId: undefined,
          operationId: STANDALONE_OPERATION_ID,
          attributes: structuredClone(definition.attributes),
          privateIp: octets.join("."),
          hostname: `ip-${octets.map(hexOctet).join("")}`,
          instanceId: randomUUID().replaceAll("-", ""),
          phase: { kind: "started", since: 0 },
        };
        this.nodes.set(node.id, node);
      }
    }
  }

  cluster(name: string): ClusterState {
    const cluster = this.clusterStates.find((candidate) => candidate.name === name);
    if (cluster === undefined) {
      throw notFound(`Cluster ${name} not found`);
    }
    return cluster;
  }

  /** Every node with its observation at `now`; nodes whose termination has completed are dropped. */
  live(now: number): LiveNode[] {
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

  /** The live nodes of one cluster. */
  liveIn(cluster: ClusterState, now: number): LiveNode[] {
    return this.live(now).filter((entry) => entry.node.cluster === cluster);
  }

  /**
   * 400 when a request id is longer than {@link MAX_REQUEST_ID_LENGTH}; 409 DuplicateRequest when a
   * create or management request reuses one.
   */
  checkRequestIdUnused(requestId: string | undefined): void {
    if (requestId !== undefined && requestId.length > MAX_REQUEST_ID_LENGTH) {
      throw new EmulatorApiError(
        400,
        EXCEPTIONS.invalidRequest,
        `requestId is ${requestId.length} characters long; the emulator accepts at most ${MAX_REQUEST_ID_LENGTH}`,
      );
    }
    if (requestId !== undefined && this.requestIds.has(requestId)) {
      throw new EmulatorApiError(
        409,
        EXCEPTIONS.duplicateRequest,
        `Request id ${requestId} has already been used`,
      );
    }
  }

  newOperation(action: string, cluster: ClusterState, requestId: string | undefined, now: number): Operation {
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
    this.forgetOldOperations(operation.id);
    return operation;
  }

  /** Keeps at most {@link MAX_OPERATIONS}: drops the oldest whose nodes are all gone (see there). */
  private forgetOldOperations(newest: string): void {
    let excess = this.operations.size - MAX_OPERATIONS;
    for (const [id, operation] of this.operations) {
      if (excess <= 0) {
        return;
      }
      if (id !== newest && operation.nodeIds.every((nodeId) => !this.nodes.has(nodeId))) {
        this.operations.delete(id);
        if (operation.requestId !== undefined && this.requestIds.get(operation.requestId) === id) {
          this.requestIds.delete(operation.requestId);
        }
        excess -= 1;
      }
    }
  }

  operation(id: string): Operation | undefined {
    return this.operations.get(id);
  }

  operationOfRequest(requestId: string): Operation | undefined {
    const operationId = this.requestIds.get(requestId);
    return operationId === undefined ? undefined : this.operations.get(operationId);
  }

  allOperations(): Operation[] {
    return [...this.operations.values()];
  }

  /**
   * Adds a node to `operation`, with the next private address and, if `fail-next-nodes` is armed,
   * the next provisioning failure.
   */
  addNode(spec: NewNode, operation: Operation, now: number): NodeState {
    const index = this.addressesHandedOut;
    this.addressesHandedOut += 1;
    const octets = [10, 1, Math.floor(index / 250), 4 + (index % 250)];
    const node: NodeState = {
      ...spec,
      standalone: spec.standalone ?? false,
      id: randomUUID(),
      requestId: operation.requestId,
      operationId: operation.id,
      privateIp: octets.join("."),
      hostname: `ip-${octets.map(hexOctet).join("")}`,
      instanceId: randomUUID().replaceAll("-", ""),
      phase: this.startingPhase(now, this.pendingFailures.shift()),
    };
    this.nodes.set(node.id, node);
    operation.nodeIds.push(node.id);
    return node;
  }

  deleteNode(node: NodeState): void {
    this.nodes.delete(node.id);
  }

  /** Arms `count` more provisioning failures; returns how many are armed. */
  armFailures(count: number, failure: ProvisioningFailure): number {
    const pending = this.pendingFailures.length;
    if (pending + count > MAX_REQUEST_NODES) {
      throw new AdminError(
        400,
        `count: at most ${String(MAX_REQUEST_NODES)} failures can be armed at once; ${String(pending)} already are (POST /__emulator/reset clears them)`,
      );
    }
    for (let i = 0; i < count; i += 1) {
      this.pendingFailures.push(failure);
    }
    return this.pendingFailures.length;
  }

  /** The phase of a node (re)starting at `now`, with the current timing. */
  startingPhase(now: number, failure: ProvisioningFailure | undefined): NodePhase {
    return {
      kind: "starting",
      since: now,
      acquiringMs: this.currentTiming.acquiringMs,
      preparingMs: this.currentTiming.preparingMs,
      failure,
    };
  }
}
