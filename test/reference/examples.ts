/**
 * The manifest of examples/: for every file, the document and section it is copied from and how
 * the client's schemas must treat it. The files hold the lines between the fences of one code
 * block, verbatim (each line ending in a newline); they are excluded from prettier.
 *
 * The OPS examples are generated from CycleCloud's swagger and hold the generator's placeholders:
 * `"object"` where an array item is an object model (`"sets" : [ "object" ]`), `{ }` for a Node
 * (an untyped object: a valid Node, not a placeholder), `"string"` for an enum or string value.
 * A `"object"` item is not a valid value of its model, so such an example is marked `placeholder`:
 * the test checks that the schema refuses it exactly at the placeholders, and that it parses once
 * each placeholder is replaced by the model's minimal record (records.ts).
 */
import type { z } from "zod";
import {
  ClusterStatusSchema,
  NodeCreationRequestSchema,
  NodeCreationResultSchema,
  NodeListSchema,
  NodeManagementRequestSchema,
  NodeManagementResultSchema,
  OperationStatusListSchema,
  OperationStatusSchema,
} from "../../wire/schemas";
import {
  NODE_CREATION_RESULT_SET,
  NODE_CREATION_SET,
  NODE_MANAGEMENT_RESULT_NODE,
  NODEARRAY,
} from "./records";
import type { SourceRef } from "./sources";

export type Expectation =
  /** The schema reads the text as it is. */
  | { readonly kind: "parses"; readonly schema: z.ZodType; readonly note?: string }
  /** The schema refuses it exactly at `placeholders` and reads it once they are substituted. */
  | {
      readonly kind: "placeholder";
      readonly schema: z.ZodType;
      readonly placeholders: readonly {
        readonly path: readonly (string | number)[];
        readonly substitute: unknown;
      }[];
      readonly reason: string;
    }
  /** Not valid JSON as published; `repair` (appended) makes it JSON, which `then` describes. */
  | {
      readonly kind: "invalid-json";
      readonly reason: string;
      readonly repair: string;
      readonly then: Expectation;
    }
  /** The client has no schema for this model. */
  | { readonly kind: "no-client-schema"; readonly reason: string };

export interface ExampleFile {
  /** Relative to examples/. */
  readonly file: string;
  readonly source: SourceRef;
  readonly expect: Expectation;
}

export interface ReferenceExample {
  /** `ops/<section slug>` or `howto/<section slug>`. */
  readonly id: string;
  readonly source: SourceRef;
  readonly method: "GET" | "POST";
  /**
   * OPS: the "Request path" block, verbatim (CLUSTER_NAME, NODEARRAY_NAME and `string` are the
   * generator's placeholders). HOWTO: undefined; the path is read from the curl command.
   */
  readonly requestPath?: string;
  /** HOWTO: the curl command, verbatim (method, path and `--data-raw` body are read from it). */
  readonly curl?: Omit<ExampleFile, "expect">;
  /** OPS: the "Request body" block. HOWTO: the curl command's `--data-raw` body. */
  readonly requestBody?: Omit<ExampleFile, "file" | "source"> & { readonly file?: string };
  /**
   * The success code OPS documents for the operation ("Responses" table; for HOWTO examples, the
   * table of the same endpoint: the how-to documents no codes).
   */
  readonly documentedStatus: number;
  readonly response?: ExampleFile;
}

const PLACEHOLDER_REASON =
  'the swagger generator writes "object" for each item of an array of object models; it stands for a record, ' +
  "it is not one";

const ACTION_STRING =
  'action "string" is the generator\'s stand-in for the enum (create); the client types action as any string';

function ops(section: string, block?: string): SourceRef {
  return block === undefined ? { document: "OPS", section } : { document: "OPS", section, block };
}

function howto(section: string, block?: string): SourceRef {
  return block === undefined ? { document: "HOWTO", section } : { document: "HOWTO", section, block };
}

/** The seven management sections of OPS: byte-identical request and response examples. */
export const MANAGEMENT_SECTIONS = [
  { section: "Deallocate cluster nodes", slug: "deallocate-cluster-nodes", action: "deallocate" },
  { section: "Reimage cluster nodes", slug: "reimage-cluster-nodes", action: "reimage" },
  {
    section: "Terminate and remove cluster nodes",
    slug: "terminate-and-remove-cluster-nodes",
    action: "remove",
  },
  { section: "Restart cluster nodes", slug: "restart-cluster-nodes", action: "restart" },
  {
    section: "Terminate or deallocate cluster nodes",
    slug: "terminate-or-deallocate-cluster-nodes",
    action: "shutdown",
  },
  {
    section: "Start deallocated or terminated cluster nodes",
    slug: "start-deallocated-or-terminated-cluster-nodes",
    action: "start",
  },
  { section: "Terminate cluster nodes", slug: "terminate-cluster-nodes", action: "terminate" },
] as const;

export const EXAMPLES: readonly ReferenceExample[] = [
  {
    id: "ops/get-cluster-nodes",
    source: ops("Get cluster nodes"),
    method: "GET",
    requestPath: "/clusters/CLUSTER_NAME/nodes",
    documentedStatus: 200,
    response: {
      file: "ops/get-cluster-nodes.response-200.json",
      source: ops("Get cluster nodes", "Response 200"),
      expect: {
        kind: "parses",
        schema: NodeListSchema,
        note: `nodes [ { } ] holds one Node, an untyped object: kept as sent in unparsedNodes. ${ACTION_STRING}`,
      },
    },
  },
  {
    id: "ops/create-cluster-nodes",
    source: ops("Create cluster nodes"),
    method: "POST",
    requestPath: "/clusters/CLUSTER_NAME/nodes/create",
    requestBody: {
      file: "ops/create-cluster-nodes.request-body.json",
      expect: {
        kind: "placeholder",
        schema: NodeCreationRequestSchema,
        placeholders: [{ path: ["sets", 0], substitute: NODE_CREATION_SET }],
        reason: PLACEHOLDER_REASON,
      },
    },
    documentedStatus: 202,
    response: {
      file: "ops/create-cluster-nodes.response-202.json",
      source: ops("Create cluster nodes", "Response 202"),
      expect: {
        kind: "placeholder",
        schema: NodeCreationResultSchema,
        placeholders: [{ path: ["sets", 0], substitute: NODE_CREATION_RESULT_SET }],
        reason: PLACEHOLDER_REASON,
      },
    },
  },
  ...MANAGEMENT_SECTIONS.map(({ section, slug, action }): ReferenceExample => ({
    id: `ops/${slug}`,
    source: ops(section),
    method: "POST",
    requestPath: `/clusters/CLUSTER_NAME/nodes/${action}`,
    requestBody: {
      file: `ops/${slug}.request-body.json`,
      expect: { kind: "parses", schema: NodeManagementRequestSchema },
    },
    documentedStatus: 202,
    response: {
      file: `ops/${slug}.response-202.json`,
      source: ops(section, "Response 202"),
      expect: {
        kind: "placeholder",
        schema: NodeManagementResultSchema,
        placeholders: [{ path: ["nodes", 0], substitute: NODE_MANAGEMENT_RESULT_NODE }],
        reason: PLACEHOLDER_REASON,
      },
    },
  })),
  {
    id: "ops/submit-guest-health-report-for-cluster-node",
    source: ops("Submit Guest Health Report for cluster node"),
    method: "POST",
    requestPath: "/clusters/CLUSTER_NAME/nodes/string/ghr",
    documentedStatus: 202,
  },
  {
    id: "ops/get-guest-health-report-for-cluster-node",
    source: ops("Get Guest Health Report for cluster node"),
    method: "GET",
    requestPath: "/clusters/CLUSTER_NAME/nodes/string/ghr",
    documentedStatus: 200,
  },
  {
    id: "ops/scale-cluster-to-size",
    source: ops("Scale cluster to size"),
    method: "POST",
    requestPath: "/clusters/CLUSTER_NAME/scale/NODEARRAY_NAME",
    documentedStatus: 202,
    response: {
      file: "ops/scale-cluster-to-size.response-202.json",
      source: ops("Scale cluster to size", "Response 202"),
      expect: {
        kind: "placeholder",
        schema: NodeCreationResultSchema,
        placeholders: [{ path: ["sets", 0], substitute: NODE_CREATION_RESULT_SET }],
        reason: PLACEHOLDER_REASON,
      },
    },
  },
  {
    id: "ops/get-cluster-status",
    source: ops("Get cluster status"),
    method: "GET",
    requestPath: "/clusters/CLUSTER_NAME/status",
    documentedStatus: 200,
    response: {
      file: "ops/get-cluster-status.response-200.json",
      source: ops("Get cluster status", "Response 200"),
      expect: {
        kind: "placeholder",
        schema: ClusterStatusSchema,
        placeholders: [{ path: ["nodearrays", 0], substitute: NODEARRAY }],
        reason: `${PLACEHOLDER_REASON} (nodearrays). nodes [ { } ] holds one Node, an untyped object: kept as sent in unparsedNodes`,
      },
    },
  },
  {
    id: "ops/get-usage-and-optional-cost-information-for-a-cluster",
    source: ops("Get usage and optional cost information for a cluster"),
    method: "GET",
    requestPath: "/clusters/CLUSTER_NAME/usage",
    documentedStatus: 200,
    response: {
      file: "ops/get-usage-and-optional-cost-information-for-a-cluster.response-200.json",
      source: ops("Get usage and optional cost information for a cluster", "Response 200"),
      expect: {
        kind: "no-client-schema",
        reason: "the client never calls the usage endpoint: wire/schemas has no ClusterUsage schema",
      },
    },
  },
  {
    id: "ops/list-the-status-of-operations",
    source: ops("List the status of operations"),
    method: "GET",
    requestPath: "/operations/",
    documentedStatus: 200,
    response: {
      file: "ops/list-the-status-of-operations.response-200.json",
      source: ops("List the status of operations", "Response 200"),
      expect: { kind: "parses", schema: OperationStatusListSchema, note: ACTION_STRING },
    },
  },
  {
    id: "ops/gets-operation-status-by-id",
    source: ops("Gets operation status by ID"),
    method: "GET",
    requestPath: "/operations/00000000-0000-0000-0000-000000000000",
    documentedStatus: 200,
    response: {
      file: "ops/gets-operation-status-by-id.response-200.json",
      source: ops("Gets operation status by ID", "Response 200"),
      expect: { kind: "parses", schema: OperationStatusSchema, note: ACTION_STRING },
    },
  },
  {
    id: "howto/determine-cluster-status",
    source: howto("Determine cluster status"),
    method: "GET",
    curl: {
      file: "howto/determine-cluster-status.request.sh",
      source: howto("Determine cluster status", "bash block"),
    },
    documentedStatus: 200,
    response: {
      file: "howto/determine-cluster-status.response.txt",
      source: howto("Determine cluster status", "json block"),
      expect: {
        kind: "invalid-json",
        reason:
          "as published, the nodearrays array and the top-level object are never closed (the last `]` " +
          "and `}` close the buckets array and the nodearray), so JSON.parse refuses it; kept verbatim as text",
        repair: "]\n}\n",
        then: {
          kind: "parses",
          schema: ClusterStatusSchema,
          note:
            "once closed it is a ClusterStatus the client reads, although it lacks fields the reference marks " +
            "required (the nodearray's nodearray; the buckets' invalidReason, lastCapacityFailure, " +
            "virtualMachine.pcpuCount and gpuCount), which the client's schema keeps optional",
        },
      },
    },
  },
  {
    id: "howto/create-nodes",
    source: howto("Create nodes"),
    method: "POST",
    curl: {
      file: "howto/create-nodes.request.sh",
      source: howto("Create nodes", "first bash block"),
    },
    requestBody: { expect: { kind: "parses", schema: NodeCreationRequestSchema } },
    documentedStatus: 202,
    response: {
      file: "howto/create-nodes.response.json",
      source: howto("Create nodes", "json block"),
      expect: { kind: "parses", schema: NodeCreationResultSchema },
    },
  },
  {
    id: "howto/create-nodes-follow-up",
    source: howto("Create nodes"),
    method: "GET",
    curl: {
      file: "howto/create-nodes.follow-up-request.sh",
      source: howto("Create nodes", "second bash block (ends in a stray line continuation)"),
    },
    documentedStatus: 200,
  },
  {
    id: "howto/add-tightly-coupled-nodes",
    source: howto("Add tightly-coupled nodes"),
    method: "POST",
    curl: {
      file: "howto/add-tightly-coupled-nodes.request.sh",
      source: howto("Add tightly-coupled nodes", "bash block"),
    },
    requestBody: { expect: { kind: "parses", schema: NodeCreationRequestSchema } },
    documentedStatus: 202,
  },
  {
    id: "howto/delete-nodes",
    source: howto("Delete nodes"),
    method: "POST",
    curl: {
      file: "howto/delete-nodes.request.sh",
      source: howto("Delete nodes", "bash block"),
    },
    requestBody: { expect: { kind: "parses", schema: NodeManagementRequestSchema } },
    documentedStatus: 202,
    response: {
      file: "howto/delete-nodes.response.json",
      source: howto("Delete nodes", "json block"),
      expect: { kind: "parses", schema: NodeManagementResultSchema },
    },
  },
];
