import { z } from "zod";
import type { SplitNodeRecords } from "./node-record";
import { splitNodeRecords } from "./node-record";

export const PlacementGroupStatusSchema = z.object({
  name: z.string(),
  activeCount: z.number().int(),
  activeCoreCount: z.number().int(),
});
export type PlacementGroupStatus = z.infer<typeof PlacementGroupStatusSchema>;

export const VirtualMachineSchema = z.object({
  vcpuCount: z.number().int(),
  /** GB, may be fractional (327.83). */
  memory: z.number(),
  infiniband: z.boolean(),
  /** 8.x only. */
  pcpuCount: z.number().int().optional(),
  gpuCount: z.number().int().optional(),
  vcpuQuotaCount: z.number().int().optional(),
});
export type VirtualMachine = z.infer<typeof VirtualMachineSchema>;

/** One bucket: a VM size of a nodearray, with its capacity. */
export const BucketSchema = z.object({
  bucketId: z.string(),
  /**
   * The bucket's VM size, the key a create set's `definition` selects it by. Optional in the 8.x
   * reference: without it, see `bucketMachineType` (wire/bucket-lookup.ts).
   */
  definition: z.object({ machineType: z.string() }).optional(),
  /** false: the bucket only describes existing nodes (see `invalidReason`). */
  valid: z.boolean(),
  invalidReason: z.string().optional(),
  maxCount: z.number().int(),
  maxCoreCount: z.number().int(),
  activeCount: z.number().int(),
  activeCoreCount: z.number().int(),
  /** How many more nodes may be added now. Does not count nodes still terminating. */
  availableCount: z.number().int(),
  availableCoreCount: z.number().int(),
  /**
   * The combined subscription quota (the family quota within the regional one): total instances
   * and cores, and cores in use across the region. Required in the reference, absent on some
   * servers: an absent field is a layer not checked.
   */
  quotaCount: z.number().int().optional(),
  quotaCoreCount: z.number().int().optional(),
  consumedCoreCount: z.number().int().optional(),
  /**
   * The VM family's quota in the region (optional, 8.x), shared by every bucket of that family.
   * Zero on a spot (`Interruptible`) nodearray's buckets: the regional fields carry the spot quota.
   */
  familyQuotaCount: z.number().int().optional(),
  familyQuotaCoreCount: z.number().int().optional(),
  familyConsumedCoreCount: z.number().int().optional(),
  /** The region's quota (optional, 8.x), shared by every bucket of the region; spot quota for spot buckets. */
  regionalQuotaCount: z.number().int().optional(),
  regionalQuotaCoreCount: z.number().int().optional(),
  regionalConsumedCoreCount: z.number().int().optional(),
  maxPlacementGroupSize: z.number().int(),
  maxPlacementGroupCoreSize: z.number().int().optional(),
  /** Seconds since the last capacity failure; negative means never (8.x). */
  lastCapacityFailure: z.number().optional(),
  placementGroups: z.array(PlacementGroupStatusSchema),
  virtualMachine: VirtualMachineSchema,
  /**
   * Only with `nodes=true`: the names of the bucket's nodes (the reference; scalelib reads names).
   * Records (sent by earlier emulator versions) are accepted and kept as sent.
   */
  activeNodes: z.array(z.union([z.string(), z.record(z.string(), z.unknown())])).optional(),
});
export type Bucket = z.infer<typeof BucketSchema>;

export const NodearrayStatusSchema = z.object({
  name: z.string(),
  maxCount: z.number().int(),
  maxCoreCount: z.number().int(),
  /** The nodearray's own record (`Region`, `SubnetId`, `Configuration`, ...). */
  nodearray: z.record(z.string(), z.unknown()).optional(),
  buckets: z.array(BucketSchema),
});
export type NodearrayStatus = z.infer<typeof NodearrayStatusSchema>;

/** The fields of a cluster status besides `nodes`. */
const ClusterStatusFieldsSchema = z.object({
  /**
   * e.g. `Started`, `Starting`, `Terminated`. Optional in the reference: only a cluster that has
   * started at least once has a state.
   */
  state: z.string().optional(),
  /** The state the cluster is headed for (e.g. `Started`, `Terminated`); optional. */
  targetState: z.string().optional(),
  /**
   * "The maximum number of nodes that you can add to this cluster" (the reference): what remains,
   * unlike a nodearray's `maxCount`, a total. Some clients (scalelib) read it as a total; the
   * preflight takes the reference's reading and warns when the plan fits only under it.
   */
  maxCount: z.number().int(),
  maxCoreCount: z.number().int(),
  nodearrays: z.array(NodearrayStatusSchema),
});

/**
 * `GET /clusters/{cluster}/status`. With `nodes=true`, `nodes` holds the cluster's node records
 * (head node included), split as `splitNodeRecords` does.
 */
export const ClusterStatusSchema = ClusterStatusFieldsSchema.extend({
  nodes: z.array(z.unknown()).optional(),
}).transform(({ nodes, ...rest }): ClusterStatus =>
  nodes === undefined ? rest : { ...rest, ...splitNodeRecords(nodes) },
);
export type ClusterStatus = z.infer<typeof ClusterStatusFieldsSchema> & Partial<SplitNodeRecords>;
