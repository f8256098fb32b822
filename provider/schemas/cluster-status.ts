import { z } from "zod";
import { NodeRecordSchema } from "./node-record";

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
  definition: z.object({ machineType: z.string() }),
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
  quotaCount: z.number().int().optional(),
  quotaCoreCount: z.number().int().optional(),
  consumedCoreCount: z.number().int().optional(),
  familyQuotaCount: z.number().int().optional(),
  familyQuotaCoreCount: z.number().int().optional(),
  familyConsumedCoreCount: z.number().int().optional(),
  regionalQuotaCount: z.number().int().optional(),
  regionalQuotaCoreCount: z.number().int().optional(),
  regionalConsumedCoreCount: z.number().int().optional(),
  maxPlacementGroupSize: z.number().int(),
  maxPlacementGroupCoreSize: z.number().int().optional(),
  /** Seconds since the last capacity failure; negative means never (8.x). */
  lastCapacityFailure: z.number().optional(),
  placementGroups: z.array(PlacementGroupStatusSchema),
  virtualMachine: VirtualMachineSchema,
  /** Only with `nodes=true`. Real clients (scalelib) read node names here; records are accepted too. */
  activeNodes: z.array(z.union([z.string(), NodeRecordSchema])).optional(),
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

/** `GET /clusters/{cluster}/status`. */
export const ClusterStatusSchema = z.object({
  state: z.string(),
  targetState: z.string().optional(),
  /** How many more nodes may be added to the cluster. */
  maxCount: z.number().int(),
  maxCoreCount: z.number().int(),
  nodearrays: z.array(NodearrayStatusSchema),
  /** Only with `nodes=true`. */
  nodes: z.array(NodeRecordSchema).optional(),
});
export type ClusterStatus = z.infer<typeof ClusterStatusSchema>;
