/**
 * For every model of the 8.x API reference (DOCUMENTS.RES), a minimal record: exactly the fields
 * the reference marks *required*, with the values of the reference's own field examples. Nested
 * models that are required get their own minimal record inside; optional ones are left out (that
 * is the point: a bucket without `definition`, a management result node without `status`).
 *
 * `expect` says how the client's schemas (wire/schemas) must treat the record:
 * - `parses`: the schema named by `schema` reads it.
 * - `opaque`: the reference types it as a bare object (Node); listings keep such records as sent
 *   in `unparsedNodes` rather than failing (see splitNodeRecords in wire/schemas/node-record.ts).
 * - `no-client-schema`: the client has no schema for the model (it never calls the endpoint); the
 *   record is kept so the tier covers every model, and the test checks that no schema exists.
 */
import type { z } from "zod";
import {
  BucketSchema,
  ClusterStatusSchema,
  NodeCreationRequestSchema,
  NodeCreationResultSchema,
  NodeCreationSetSchema,
  NodeListSchema,
  NodeManagementRequestSchema,
  NodeManagementResultSchema,
  NodearrayStatusSchema,
  OperationStatusSchema,
  PlacementGroupStatusSchema,
  VirtualMachineSchema,
} from "../../wire/schemas";
import type { SourceRef } from "./sources";

export type RecordExpectation =
  | { readonly kind: "parses"; readonly schema: z.ZodType }
  | { readonly kind: "opaque"; readonly reason: string }
  | { readonly kind: "no-client-schema"; readonly reason: string };

export interface MinimalRecord {
  /** The model's name in the reference, with the path of a nested model (`ClusterStatus.nodearrays[]`). */
  readonly model: string;
  /** RES, with the model's anchor as `block`. */
  readonly source: SourceRef;
  readonly record: Readonly<Record<string, unknown>>;
  readonly expect: RecordExpectation;
}

function res(section: string, anchor: string): SourceRef {
  return { document: "RES", section, block: `#${anchor}` };
}

const NO_USAGE_SCHEMA =
  "the client never calls GET /clusters/{cluster}/usage, so wire/schemas has no ClusterUsage schema " +
  "(and the emulator has no usage route)";

export const VIRTUAL_MACHINE = { gpuCount: 2, infiniband: true, memory: 7.5, pcpuCount: 16, vcpuCount: 32 };

export const PLACEMENT_GROUP = { activeCoreCount: 16, activeCount: 4, name: "my-placement-group" };

/** No `definition` (optional in the reference; point 2 of issue 11). */
export const BUCKET = {
  activeCoreCount: 40,
  activeCount: 10,
  availableCoreCount: 8,
  availableCount: 2,
  bucketId: "00000000-0000-0000-0000-000000000000",
  consumedCoreCount: 2,
  invalidReason: "DisabledMachineType",
  lastCapacityFailure: 180.0,
  maxCoreCount: 16,
  maxCount: 4,
  maxPlacementGroupCoreSize: 64,
  maxPlacementGroupSize: 16,
  placementGroups: [],
  quotaCoreCount: 16,
  quotaCount: 4,
  valid: true,
  virtualMachine: VIRTUAL_MACHINE,
};

/** `nodearray` is a Node: `{}` is the minimal one. */
export const NODEARRAY = { buckets: [], maxCoreCount: 16, maxCount: 4, name: "execute", nodearray: {} };

/** No `state` / `targetState` (optional: a cluster that never started has none; point 1). */
export const CLUSTER_STATUS = { maxCoreCount: 16, maxCount: 4, nodearrays: [] };

export const NODE_CREATION_SET = { count: 1, nodearray: "execute" };

/** `definition` without `machineType`: "the first bucket that matches" (point 4). */
export const NODE_CREATION_SET_EMPTY_DEFINITION = { count: 1, nodearray: "execute", definition: {} };

export const NODE_CREATION_REQUEST = { sets: [NODE_CREATION_SET] };

export const NODE_CREATION_RESULT_SET = { added: 1 };

export const NODE_CREATION_RESULT = {
  operationId: "00000000-0000-0000-0000-000000000000",
  sets: [NODE_CREATION_RESULT_SET],
};

/** No `status`, no `error` (point 3). */
export const NODE_MANAGEMENT_RESULT_NODE = { id: "id1", name: "name1" };

export const NODE_MANAGEMENT_RESULT = {
  nodes: [NODE_MANAGEMENT_RESULT_NODE],
  operationId: "00000000-0000-0000-0000-000000000000",
};

/** Every field is optional. */
export const NODE_MANAGEMENT_REQUEST = {};

/** `action` is `enum (create)` in the reference. */
export const OPERATION_STATUS = { action: "create", startTime: "2020-01-01T12:34:56Z" };

export const NODE_LIST = { nodes: [] };

/** "A node record. *Type* : object": no field is specified. */
export const NODE = {};

export const CLUSTER_USAGE_ITEM = { category: "cluster", hours: 0.0 };

export const MINIMAL_RECORDS: readonly MinimalRecord[] = [
  {
    model: "ClusterStatus",
    source: res("ClusterStatus", "clusterstatus"),
    record: CLUSTER_STATUS,
    expect: { kind: "parses", schema: ClusterStatusSchema },
  },
  {
    model: "ClusterStatus.nodearrays[]",
    source: res("ClusterStatus", "clusterstatus-nodearrays"),
    record: NODEARRAY,
    expect: { kind: "parses", schema: NodearrayStatusSchema },
  },
  {
    model: "ClusterStatus.nodearrays[].buckets[]",
    source: res("ClusterStatus", "clusterstatus-buckets"),
    record: BUCKET,
    expect: { kind: "parses", schema: BucketSchema },
  },
  {
    model: "ClusterStatus.nodearrays[].buckets[].definition",
    source: res("ClusterStatus", "clusterstatus-buckets-definition"),
    record: { machineType: "A2" },
    expect: { kind: "parses", schema: BucketSchema.shape.definition },
  },
  {
    model: "ClusterStatus.nodearrays[].buckets[].placementGroups[]",
    source: res("ClusterStatus", "clusterstatus-buckets-placementgroups"),
    record: PLACEMENT_GROUP,
    expect: { kind: "parses", schema: PlacementGroupStatusSchema },
  },
  {
    model: "ClusterStatus.nodearrays[].buckets[].virtualMachine",
    source: res("ClusterStatus", "clusterstatus-buckets-virtualmachine"),
    record: VIRTUAL_MACHINE,
    expect: { kind: "parses", schema: VirtualMachineSchema },
  },
  {
    model: "ClusterUsage",
    source: res("ClusterUsage", "clusterusage"),
    record: { usage: [] },
    expect: { kind: "no-client-schema", reason: NO_USAGE_SCHEMA },
  },
  {
    model: "ClusterUsage.usage[]",
    source: res("ClusterUsage", "clusterusage-usage"),
    record: { breakdown: [], end: "string", start: "string", total: CLUSTER_USAGE_ITEM },
    expect: { kind: "no-client-schema", reason: NO_USAGE_SCHEMA },
  },
  {
    model: "ClusterUsageItem",
    source: res("ClusterUsageItem", "clusterusageitem"),
    record: CLUSTER_USAGE_ITEM,
    expect: { kind: "no-client-schema", reason: NO_USAGE_SCHEMA },
  },
  {
    model: "ClusterUsageItem.details[]",
    source: res("ClusterUsageItem", "clusterusageitem-details"),
    record: {},
    expect: { kind: "no-client-schema", reason: NO_USAGE_SCHEMA },
  },
  {
    model: "Node",
    source: res("Node", "node"),
    record: NODE,
    expect: {
      kind: "opaque",
      reason:
        "the reference specifies no field of a node record; the client reads the nodes it manages " +
        "(Name, NodeId, Template, Status) and keeps any other record as sent in unparsedNodes, so " +
        "one such record does not fail a listing or a status",
    },
  },
  {
    model: "NodeCreationRequest",
    source: res("NodeCreationRequest", "nodecreationrequest"),
    record: NODE_CREATION_REQUEST,
    expect: { kind: "parses", schema: NodeCreationRequestSchema },
  },
  {
    model: "NodeCreationRequest.sets[]",
    source: res("NodeCreationRequest", "nodecreationrequest-sets"),
    record: NODE_CREATION_SET,
    expect: { kind: "parses", schema: NodeCreationSetSchema },
  },
  {
    model: "NodeCreationRequest.sets[] with an empty definition",
    source: res("NodeCreationRequest", "nodecreationrequest-sets"),
    record: NODE_CREATION_SET_EMPTY_DEFINITION,
    expect: { kind: "parses", schema: NodeCreationSetSchema },
  },
  {
    model: "NodeCreationRequest.sets[].definition",
    source: res("NodeCreationRequest", "nodecreationrequest-definition"),
    record: {},
    expect: { kind: "parses", schema: NodeCreationSetSchema.shape.definition },
  },
  {
    model: "NodeCreationResult",
    source: res("NodeCreationResult", "nodecreationresult"),
    record: NODE_CREATION_RESULT,
    expect: { kind: "parses", schema: NodeCreationResultSchema },
  },
  {
    model: "NodeCreationResult.sets[]",
    source: res("NodeCreationResult", "nodecreationresult-sets"),
    record: NODE_CREATION_RESULT_SET,
    expect: { kind: "parses", schema: NodeCreationResultSchema.shape.sets.element },
  },
  {
    model: "NodeList",
    source: res("NodeList", "nodelist"),
    record: NODE_LIST,
    expect: { kind: "parses", schema: NodeListSchema },
  },
  {
    model: "NodeManagementRequest",
    source: res("NodeManagementRequest", "nodemanagementrequest"),
    record: NODE_MANAGEMENT_REQUEST,
    expect: { kind: "parses", schema: NodeManagementRequestSchema },
  },
  {
    model: "NodeManagementResult",
    source: res("NodeManagementResult", "nodemanagementresult"),
    record: NODE_MANAGEMENT_RESULT,
    expect: { kind: "parses", schema: NodeManagementResultSchema },
  },
  {
    model: "NodeManagementResult.nodes[]",
    source: res("NodeManagementResult", "nodemanagementresult-nodes"),
    record: NODE_MANAGEMENT_RESULT_NODE,
    expect: { kind: "parses", schema: NodeManagementResultSchema.shape.nodes.element },
  },
  {
    model: "OperationStatus",
    source: res("OperationStatus", "operationstatus"),
    record: OPERATION_STATUS,
    expect: { kind: "parses", schema: OperationStatusSchema },
  },
];
