/**
 * The shape of the emulator's state: clusters with their (admin-changeable) limits, nodes and
 * operations as the node store holds them, the lifecycle timing and the emulator's clock.
 */
import type {
  BucketDefinition,
  ClusterDefinition,
  FamilyQuota,
  NodearrayDefinition,
  RegionalQuota,
} from "./cluster-definitions";
import type { NodeObservation, NodePhase } from "./node-lifecycle";

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
export type NewNode = Pick<
  NodeState,
  "name" | "cluster" | "nodearray" | "bucket" | "placementGroupId" | "attributes"
> & {
  readonly standalone?: boolean;
};
