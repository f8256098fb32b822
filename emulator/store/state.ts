/**
 * The shape of the emulator's state: clusters as the config defines them (every default filled in
 * by parseEmulatorConfig in ../config/config), the same with their (admin-changeable) limits, nodes
 * and operations as the node store holds them, the lifecycle timing and the emulator's clock.
 */
import type { NodeObservation, NodePhase } from "./node-lifecycle";

/** A bucket with every default filled in. */
export interface BucketDefinition {
  readonly bucketId: string;
  readonly machineType: string;
  readonly vcpuCount: number;
  readonly memory: number;
  readonly infiniband: boolean;
  readonly pcpuCount: number;
  readonly gpuCount: number;
  readonly maxCount: number;
  readonly maxCoreCount: number;
  readonly quotaCount: number;
  readonly quotaCoreCount: number;
  readonly consumedCoreCount: number;
  readonly maxPlacementGroupSize: number;
  readonly maxPlacementGroupCoreSize: number;
  /** A key of the cluster's quota families; undefined: the bucket is a family of its own. */
  readonly family: string | undefined;
  readonly valid: boolean;
  /** "" for a valid bucket (the reference requires the field; it is meaningful only when invalid). */
  readonly invalidReason: string;
}

export interface NodearrayDefinition {
  readonly name: string;
  readonly maxCount: number;
  readonly maxCoreCount: number;
  readonly region: string;
  /** `Interruptible: true` in its attributes: spot VMs, charged to the regional spot quota. */
  readonly spot: boolean;
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly buckets: readonly BucketDefinition[];
}

export interface FamilyQuota {
  readonly coreCount: number;
  readonly consumedCoreCount: number;
}

export interface RegionalQuota {
  readonly coreCount: number;
  readonly consumedCoreCount: number;
  readonly spotCoreCount: number;
  readonly spotConsumedCoreCount: number;
}

/** A region's quota when the config gives none (large enough never to bind by accident). */
export const DEFAULT_REGIONAL_QUOTA: RegionalQuota = Object.freeze({
  coreCount: 100_000,
  consumedCoreCount: 0,
  spotCoreCount: 100_000,
  spotConsumedCoreCount: 0,
});

export interface QuotaDefinitions {
  readonly families: Readonly<Record<string, FamilyQuota>>;
  readonly regions: Readonly<Record<string, RegionalQuota>>;
}

/** The quota of `region`, with defaults for what the config leaves out. */
export function regionalQuota(quotas: QuotaDefinitions, region: string): RegionalQuota {
  return Object.hasOwn(quotas.regions, region)
    ? (quotas.regions[region] ?? DEFAULT_REGIONAL_QUOTA)
    : DEFAULT_REGIONAL_QUOTA;
}

export interface StandaloneNodeDefinition {
  readonly name: string;
  readonly machineType: string;
  readonly vcpuCount: number;
  readonly memory: number;
  readonly region: string;
  readonly family: string | undefined;
  /** With `Fixed` (default true). */
  readonly attributes: Readonly<Record<string, unknown>>;
}

export interface ClusterDefinition {
  readonly name: string;
  readonly state: string;
  readonly targetState: string;
  readonly maxCount: number;
  readonly maxCoreCount: number;
  readonly quotas: QuotaDefinitions;
  readonly standaloneNodes: readonly StandaloneNodeDefinition[];
  readonly nodearrays: readonly NodearrayDefinition[];
  /** Nodearray nodes present from the start, made outside any API call (a replica's nodes). */
  readonly initialNodes?: readonly InitialNodeDefinition[];
}

/** A nodearray node the cluster holds from the start (see `emulator/config/replica.ts`). */
export interface InitialNodeDefinition {
  readonly name: string;
  readonly nodearray: string;
  readonly machineType: string;
  readonly placementGroupId?: string | undefined;
  /** The node's own keys (not the managed ones: `Name`, `Status`, ...). */
  readonly attributes: Readonly<Record<string, unknown>>;
  /** What its `Status` is: `Ready` (running), `Failed`, `Deallocated`, `Off` or `Terminating`. */
  readonly status: "Ready" | "Failed" | "Deallocated" | "Off" | "Terminating";
  /** The record's own values, when it has them (else the emulator makes them up). */
  readonly statusMessage?: string | undefined;
  /** The `RequestId` of the create that made it, when it has one. */
  readonly requestId?: string | undefined;
  readonly id?: string | undefined;
  readonly privateIp?: string | undefined;
  readonly hostname?: string | undefined;
  readonly instanceId?: string | undefined;
}

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
