/**
 * A cluster as the node store holds it: the config with every default filled in (see
 * parseEmulatorConfig in ./config), and the regional quota defaults.
 */

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
