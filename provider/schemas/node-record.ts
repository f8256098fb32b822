import { z } from "zod";

/**
 * `Status` values CycleCloud reports for a node. The schema accepts any string (servers add values
 * across versions); these are the ones the library reasons about.
 */
export const NodeStatus = {
  Off: "Off",
  Acquiring: "Acquiring",
  Allocation: "Allocation",
  Preparing: "Preparing",
  Ready: "Ready",
  Failed: "Failed",
  Unavailable: "Unavailable",
  Stopping: "Stopping",
  Terminating: "Terminating",
  Terminated: "Terminated",
  Deallocated: "Deallocated",
} as const;

/** A value a node record key may hold that a server may also send as `null`. */
const optionalString = z.string().nullish();
const optionalNumber = z.number().nullish();
const optionalBoolean = z.boolean().nullish();

/**
 * One node record, PascalCase as on the wire. Strict about the keys the library relies on
 * (`NodeId`, `Name`, `Template`, `Status`); every other key is optional, and unknown keys are
 * dropped.
 */
export const NodeRecordSchema = z.object({
  Name: z.string(),
  NodeId: z.string(),
  /** The nodearray the node was created from (there is no `NodeArray` key). */
  Template: z.string(),
  Status: z.string(),
  MachineType: optionalString,
  State: optionalString,
  TargetState: optionalString,
  Hostname: optionalString,
  PrivateIp: optionalString,
  PublicIp: optionalString,
  InstanceId: optionalString,
  PlacementGroupId: optionalString,
  Region: optionalString,
  ClusterName: optionalString,
  RequestId: optionalString,
  Configuration: z.record(z.string(), z.unknown()).nullish(),
  Tags: z.record(z.string(), z.unknown()).nullish(),
  KeepAlive: optionalBoolean,
  Interruptible: optionalBoolean,
  CoreCount: optionalNumber,
  Memory: optionalNumber,
  Infiniband: optionalBoolean,
  ShutdownPolicy: optionalString,
  /** Why the node is `Failed` (emulator and newer servers). */
  StatusMessage: optionalString,
});
export type NodeRecord = z.infer<typeof NodeRecordSchema>;

/** `OperationStatus`: there is no completion field; progress is read from node records. */
export const OperationStatusSchema = z.object({
  action: z.string(),
  startTime: z.string(),
  id: z.string().optional(),
});
export type OperationStatus = z.infer<typeof OperationStatusSchema>;

/** `GET /clusters/{cluster}/nodes` (optionally filtered by `operation` or `request_id`). */
export const NodeListSchema = z.object({
  nodes: z.array(NodeRecordSchema),
  operation: OperationStatusSchema.optional(),
});
export type NodeList = z.infer<typeof NodeListSchema>;

/** `GET /operations/?request_id=ID`: zero or one item. */
export const OperationStatusListSchema = z.array(OperationStatusSchema);
