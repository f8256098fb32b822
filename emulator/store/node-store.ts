/**
 * The emulator's store: clusters with their (admin-changeable) limits, nodes, operations, used
 * request ids, armed provisioning failures and the lifecycle timing. It holds data and answers
 * lookups; what a request does with them lives in the handler modules. The shape of that state is
 * in state.ts, the nodes a cluster starts with in initial-nodes.ts.
 */
import { randomUUID } from "node:crypto";
import { AdminError, badRequest, EmulatorApiError, EXCEPTIONS, notFound } from "../server/http-io";
import { MAX_REQUEST_NODES } from "../config/limits";
import type { ClusterDefinition } from "./state";
import { initialNodes, standaloneNodes, vmIdentity } from "./initial-nodes";
import { observePhase } from "./node-lifecycle";
import type { NodePhase, ProvisioningFailure } from "./node-lifecycle";
import { SYSTEM_CLOCK } from "./state";
import type {
  ClusterState,
  EmulatorClock,
  EmulatorTiming,
  LiveNode,
  NewNode,
  NodearrayState,
  NodeState,
  Operation,
} from "./state";

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

/** The nodearray `name` of `cluster`; 404 when there is none. */
export function findNodearray(cluster: ClusterState, name: string): NodearrayState {
  const nodearray = cluster.nodearrays.find((candidate) => candidate.name === name);
  if (nodearray === undefined) throw notFound(`Nodearray ${name} not found in cluster ${cluster.name}`);
  return nodearray;
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
  /** Durations of the phases nodes enter from now on (`POST /__emulator/timing` changes them). */
  timing: EmulatorTiming;

  constructor(
    private readonly definitions: readonly ClusterDefinition[],
    private readonly initialTiming: EmulatorTiming,
    readonly clock: EmulatorClock = SYSTEM_CLOCK,
  ) {
    this.timing = initialTiming;
    this.reset();
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
    this.timing = this.initialTiming;
    const initial = initialNodes(this.clusterStates, this.clock.now(), this.timing.terminatingMs);
    for (const node of [...standaloneNodes(this.clusterStates), ...initial]) {
      this.nodes.set(node.id, node);
    }
    this.addressesHandedOut = initial.length;
  }

  cluster(name: string): ClusterState {
    const cluster = this.clusterStates.find((candidate) => candidate.name === name);
    if (cluster === undefined) throw notFound(`Cluster ${name} not found`);
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
    if (requestId === undefined) return;
    if (requestId.length > MAX_REQUEST_ID_LENGTH) {
      const message = `requestId is ${requestId.length} characters long; the emulator accepts at most ${MAX_REQUEST_ID_LENGTH}`;
      throw badRequest(message);
    }
    if (this.requestIds.has(requestId)) {
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
    if (requestId !== undefined) this.requestIds.set(requestId, operation.id);
    this.forgetOldOperations(operation.id);
    return operation;
  }

  /** Keeps at most {@link MAX_OPERATIONS}: drops the oldest whose nodes are all gone (see there). */
  private forgetOldOperations(newest: string): void {
    let excess = this.operations.size - MAX_OPERATIONS;
    for (const [id, operation] of this.operations) {
      if (excess <= 0) return;
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
    const node: NodeState = {
      ...spec,
      standalone: spec.standalone ?? false,
      id: randomUUID(),
      requestId: operation.requestId,
      operationId: operation.id,
      ...vmIdentity(1, this.addressesHandedOut),
      phase: this.startingPhase(now, this.pendingFailures.shift()),
    };
    this.addressesHandedOut += 1;
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
    this.pendingFailures.push(...new Array<ProvisioningFailure>(count).fill(failure));
    return this.pendingFailures.length;
  }

  /** The phase of a node (re)starting at `now`, with the current timing. */
  startingPhase(now: number, failure: ProvisioningFailure | undefined): NodePhase {
    return {
      kind: "starting",
      since: now,
      acquiringMs: this.timing.acquiringMs,
      preparingMs: this.timing.preparingMs,
      failure,
    };
  }
}
