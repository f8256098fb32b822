/**
 * The reference tier (see README.md here): CycleCloud's own examples and the reference's minimal
 * records, read by the client's schemas and replayed against the emulator. Nothing here is written
 * from this project's reading of the API: where the client or the emulator disagrees with the
 * reference, the test says which and why.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import * as schemas from "../../wire/schemas";
import {
  ClusterStatusSchema,
  NodeCreationResultSchema,
  NodeListSchema,
  NodeManagementResultSchema,
  OperationStatusListSchema,
  OperationStatusSchema,
} from "../../wire/schemas";
import { errorMessage, HEAD_NODE, useEmulator } from "../emulator/helpers";
import type { Api, Reply } from "../emulator/helpers";
import type { RunningEmulator } from "../../emulator";
import { EXAMPLES, MANAGEMENT_SECTIONS } from "./examples";
import type { Expectation, ReferenceExample } from "./examples";
import {
  BUCKET,
  CLUSTER_STATUS,
  MINIMAL_RECORDS,
  NODE,
  NODE_CREATION_REQUEST,
  NODE_CREATION_SET_EMPTY_DEFINITION,
  NODE_MANAGEMENT_REQUEST,
  NODEARRAY,
  PLACEMENT_GROUP,
} from "./records";
import { describeSource } from "./sources";

const EXAMPLES_DIR = join(__dirname, "examples");
/** The emulator's default cluster, for CLUSTER_NAME (OPS) and ${CLUSTER} (HOWTO). */
const CLUSTER = "hpc";
const EXCEPTION = "com.cyclecomputing.cloud.exceptions";

function readExample(file: string): string {
  return readFileSync(join(EXAMPLES_DIR, file), "utf8");
}

function listExampleFiles(): string[] {
  return ["ops", "howto"].flatMap((dir) =>
    readdirSync(join(EXAMPLES_DIR, dir)).map((name) => `${dir}/${name}`),
  );
}

interface CurlRequest {
  readonly method: string;
  readonly path: string;
  readonly body: string | undefined;
}

/** Method, path (after `${CC-URL}`) and `--data-raw` body of one of the how-to's curl commands. */
function parseCurl(text: string): CurlRequest {
  const request = /--request (GET|POST) '\$\{CC-URL\}([^']*)'/.exec(text);
  if (request?.[1] === undefined || request[2] === undefined) {
    throw new Error(`not a curl command of the how-to: ${text}`);
  }
  const body = /--data-raw '([^']*)'/.exec(text)?.[1];
  return { method: request[1], path: request[2], body };
}

/** The example's path on the emulator: the generator's CLUSTER_NAME and the how-to's ${CLUSTER} are `hpc`. */
function emulatorPath(path: string): string {
  return path.replace("CLUSTER_NAME", CLUSTER).replace("${CLUSTER}", CLUSTER);
}

function requestOf(example: ReferenceExample): CurlRequest {
  if (example.curl !== undefined) {
    return parseCurl(readExample(example.curl.file));
  }
  if (example.requestPath === undefined) {
    throw new Error(`${example.id} has neither a request path nor a curl command`);
  }
  const file = example.requestBody?.file;
  return {
    method: example.method,
    path: example.requestPath,
    body: file === undefined ? undefined : readExample(file),
  };
}

function valueAt(root: unknown, path: readonly (string | number)[]): unknown {
  return path.reduce<unknown>(
    (value, key) => (typeof value === "object" && value !== null ? Reflect.get(value, key) : undefined),
    root,
  );
}

function withValueAt(root: unknown, path: readonly (string | number)[], substitute: unknown): unknown {
  const copy: unknown = structuredClone(root);
  const parent = valueAt(copy, path.slice(0, -1));
  const key = path[path.length - 1];
  if (typeof parent !== "object" || parent === null || key === undefined) {
    throw new Error(`no value at ${path.join(".")}`);
  }
  Reflect.set(parent, key, substitute);
  return copy;
}

/** Checks one example text against its expectation; returns what the schema made of it. */
function checkExpectation(text: string, expectation: Expectation): unknown {
  switch (expectation.kind) {
    case "parses":
      return expectation.schema.parse(JSON.parse(text));
    case "placeholder": {
      const value: unknown = JSON.parse(text);
      for (const { path } of expectation.placeholders) {
        expect(valueAt(value, path), `placeholder at ${path.join(".")}`).toBe("object");
      }
      const refused = expectation.schema.safeParse(value);
      expect(refused.success, "the schema refuses the placeholder").toBe(false);
      const issuePaths = refused.error?.issues.map((issue) => issue.path) ?? [];
      for (const issuePath of issuePaths) {
        const atPlaceholder = expectation.placeholders.some(({ path }) =>
          path.every((key, i) => issuePath[i] === key),
        );
        expect(atPlaceholder, `issue at ${issuePath.join(".")} is at a placeholder`).toBe(true);
      }
      const substituted = expectation.placeholders.reduce<unknown>(
        (current, { path, substitute }) => withValueAt(current, path, substitute),
        value,
      );
      return expectation.schema.parse(substituted);
    }
    case "invalid-json":
      expect(() => JSON.parse(text) as unknown).toThrow(SyntaxError);
      return checkExpectation(text + expectation.repair, expectation.then);
    case "no-client-schema":
      expect(Object.keys(schemas).filter((name) => /usage/i.test(name))).toEqual([]);
      expect(() => JSON.parse(text) as unknown).not.toThrow();
      return undefined;
  }
}

describe("the example files", () => {
  it("are exactly the files the manifest lists, each naming a document and section", () => {
    const listed = EXAMPLES.flatMap((example) => [
      example.curl?.file,
      example.requestBody?.file,
      example.response?.file,
    ]).filter((file): file is string => file !== undefined);
    expect([...listed].sort()).toEqual(listExampleFiles().sort());
    for (const example of EXAMPLES) {
      expect(describeSource(example.source)).toMatch(
        /^MicrosoftDocs\/azure-docs@[0-9a-f]{8} articles\/.+ § .+/,
      );
    }
  });

  it("hold the seven management sections' byte-identical examples, one copy per section", () => {
    const requests = MANAGEMENT_SECTIONS.map(({ slug }) => readExample(`ops/${slug}.request-body.json`));
    const responses = MANAGEMENT_SECTIONS.map(({ slug }) => readExample(`ops/${slug}.response-202.json`));
    expect(new Set(requests).size).toBe(1);
    expect(new Set(responses).size).toBe(1);
  });

  it("every example has a replay below", () => {
    expect(Object.keys(REPLAYS).sort()).toEqual(EXAMPLES.map((example) => example.id).sort());
  });
});

describe("examples read by the client's schemas", () => {
  const parts = EXAMPLES.flatMap((example) => [
    ...(example.requestBody === undefined
      ? []
      : [{ name: `${example.id} request body`, example, part: example.requestBody }]),
    ...(example.response === undefined
      ? []
      : [{ name: `${example.id} response`, example, part: example.response }]),
  ]);

  it.each(parts)("$name", ({ example, part }) => {
    const text = part.file === undefined ? requestOf(example).body : readExample(part.file);
    expect(text).toBeDefined();
    checkExpectation(text ?? "", part.expect);
  });

  it("Get cluster nodes: the Node placeholder { } is kept as sent, the operation is read", () => {
    expect(NodeListSchema.parse(JSON.parse(readExample("ops/get-cluster-nodes.response-200.json")))).toEqual({
      nodes: [],
      unparsedNodes: [{}],
      operation: { action: "string", startTime: "2020-01-01T12:34:56Z" },
    });
  });

  it("Get cluster status: with the nodearray placeholder substituted, the Node { } is kept as sent", () => {
    const example = EXAMPLES.find((candidate) => candidate.id === "ops/get-cluster-status");
    const status = checkExpectation(
      readExample("ops/get-cluster-status.response-200.json"),
      example?.response?.expect ?? { kind: "no-client-schema", reason: "missing" },
    );
    expect(status).toEqual({
      maxCoreCount: 16,
      maxCount: 4,
      nodearrays: [NODEARRAY],
      nodes: [],
      unparsedNodes: [{}],
      state: "Starting",
      targetState: "Started",
    });
  });
});

describe("minimal records (only the fields the reference marks required)", () => {
  it.each(MINIMAL_RECORDS.map((entry) => ({ ...entry, name: `${entry.model} (${entry.expect.kind})` })))(
    "$name",
    ({ record, expect: expectation }) => {
      switch (expectation.kind) {
        case "parses":
          // Read, and nothing the reference requires is dropped.
          expect(expectation.schema.parse(record)).toEqual(record);
          return;
        case "opaque":
          expect(NodeListSchema.parse({ nodes: [record] })).toEqual({ nodes: [], unparsedNodes: [record] });
          expect(ClusterStatusSchema.parse({ ...CLUSTER_STATUS, nodes: [record] })).toEqual({
            ...CLUSTER_STATUS,
            nodes: [],
            unparsedNodes: [record],
          });
          return;
        case "no-client-schema":
          expect(Object.keys(schemas).filter((name) => /usage/i.test(name))).toEqual([]);
          return;
      }
    },
  );

  it("nested together: a status whose nodearray has a bucket with a placement group", () => {
    const status = {
      ...CLUSTER_STATUS,
      nodearrays: [
        { ...NODEARRAY, nodearray: NODE, buckets: [{ ...BUCKET, placementGroups: [PLACEMENT_GROUP] }] },
      ],
    };
    expect(ClusterStatusSchema.parse(status)).toEqual(status);
  });
});

interface ReplayContext {
  readonly http: Api;
  readonly emulator: RunningEmulator;
  readonly example: ReferenceExample;
  /** Sends the example's request (verbatim body, `text/plain` as the how-to sends it). */
  send(): Promise<Reply>;
}

function expectError(reply: Reply, status: number, exception: string, message: string): void {
  expect([
    reply.status,
    (reply.json as { Exception?: unknown } | undefined)?.Exception,
    errorMessage(reply),
  ]).toEqual([status, `${EXCEPTION}.${exception}`, message]);
}

function expectAccepted(reply: Reply): void {
  expect(reply.status).toBe(202);
  const operationId = (reply.json as { operationId?: unknown }).operationId;
  expect(reply.headers.get("location")).toBe(`/operations/${String(operationId)}`);
}

async function headNodeId(http: Api): Promise<string> {
  const list = NodeListSchema.parse((await http.get(`/clusters/${CLUSTER}/nodes`)).json);
  const head = list.nodes.find((node) => node.Name === HEAD_NODE);
  if (head === undefined) throw new Error("no head node");
  return head.NodeId;
}

/**
 * Routes of the reference the emulator does not emulate (emulator/README.md, differences: no
 * reimage, restart, guest health reports or usage): it answers its 404 for an unknown route.
 */
async function expectNotEmulated(reply: Promise<Reply>, method: string, path: string): Promise<void> {
  expectError(await reply, 404, "NotFoundException", `No such resource: ${method} ${path}`);
}

/** The management example's filter `State === "Started"` selects the default content's head node. */
async function replayManagement(context: ReplayContext, action: string): Promise<void> {
  const { http, emulator } = context;
  emulator.reset();
  if (action === "reimage" || action === "restart") {
    await expectNotEmulated(context.send(), "POST", `/clusters/hpc/nodes/${action}`);
    return;
  }
  const headId = await headNodeId(http);
  const reply = await context.send();
  expectAccepted(reply);
  // hostname1, id1, 10.0.1.1, name1 ... name no node of the emulator's cluster: only the filter
  // matches, and it matches the head node `scheduler` (State "Started"). The union of the
  // selectors is the head node alone.
  const expected =
    action === "start"
      ? {
          name: HEAD_NODE,
          id: headId,
          status: "Error",
          error: "Node scheduler cannot be started from status Started",
        }
      : { name: HEAD_NODE, id: headId, status: "OK" };
  expect(NodeManagementResultSchema.parse(reply.json).nodes).toEqual([expected]);
}

/** Per example id: what the emulator answers to the example's request, and why. */
const REPLAYS: Record<string, (context: ReplayContext) => Promise<void>> = {
  "ops/get-cluster-nodes": async ({ send, emulator }) => {
    emulator.reset();
    const reply = await send();
    expect(reply.status).toBe(200);
    expect(NodeListSchema.parse(reply.json).nodes.map((node) => node.Name)).toEqual([HEAD_NODE]);
  },
  "ops/create-cluster-nodes": async ({ send, http, emulator }) => {
    emulator.reset();
    // The body's only set is the generator's "object", not a set: the reference's one documented
    // error for create is 409 "Invalid input".
    expectError(
      await send(),
      409,
      "InvalidRequestException",
      "Invalid NodeCreationRequest: sets[0]: Invalid input: expected object, received string",
    );
    // With the placeholder replaced by the reference's minimal set (nodearray "execute", the
    // reference's example name, which the emulator's cluster does not have): refused by name.
    const withMinimalSet = {
      requestId: "00000000-0000-0000-0000-000000000000",
      sets: NODE_CREATION_REQUEST.sets,
    };
    expectError(
      await http.post(`/clusters/${CLUSTER}/nodes/create`, withMinimalSet),
      409,
      "InvalidAttributeException",
      "Nodearray execute is not recognized in cluster hpc",
    );
    // The same set on the cluster's nodearray is accepted (the refused requests did not use up the requestId).
    const accepted = await http.post(`/clusters/${CLUSTER}/nodes/create`, {
      ...withMinimalSet,
      sets: [{ count: 1, nodearray: "ondemand" }],
    });
    expectAccepted(accepted);
    expect(NodeCreationResultSchema.parse(accepted.json).sets).toEqual([{ added: 1 }]);
  },
  ...Object.fromEntries(
    MANAGEMENT_SECTIONS.map(({ slug, action }) => [
      `ops/${slug}`,
      (context: ReplayContext) => replayManagement(context, action),
    ]),
  ),
  "ops/submit-guest-health-report-for-cluster-node": async ({ send }) => {
    await expectNotEmulated(send(), "POST", "/clusters/hpc/nodes/string/ghr");
  },
  "ops/get-guest-health-report-for-cluster-node": async ({ send }) => {
    await expectNotEmulated(send(), "GET", "/clusters/hpc/nodes/string/ghr");
  },
  "ops/scale-cluster-to-size": async ({ send, http, emulator }) => {
    emulator.reset();
    // The example gives neither totalNodeCount nor totalCoreCount, and the reference asks for one
    // of them: 409 "Invalid input" (NODEARRAY_NAME, a placeholder too, is not reached).
    expectError(
      await send(),
      409,
      "InvalidRequestException",
      "Give exactly one of the query parameters totalNodeCount and totalCoreCount",
    );
    const scaled = await http.post(`/clusters/${CLUSTER}/scale/ondemand?totalNodeCount=1`);
    expectAccepted(scaled);
    expect(NodeCreationResultSchema.parse(scaled.json).sets).toEqual([{ added: 1 }]);
  },
  "ops/get-cluster-status": async ({ send }) => {
    const reply = await send();
    expect(reply.status).toBe(200);
    expect(ClusterStatusSchema.parse(reply.json).nodearrays.map((nodearray) => nodearray.name)).toEqual([
      "ondemand",
    ]);
  },
  "ops/get-usage-and-optional-cost-information-for-a-cluster": async ({ send }) => {
    await expectNotEmulated(send(), "GET", "/clusters/hpc/usage");
  },
  "ops/list-the-status-of-operations": async ({ send, http, emulator }) => {
    emulator.reset();
    const created = await http.post(`/clusters/${CLUSTER}/nodes/create`, {
      sets: [{ count: 1, nodearray: "ondemand" }],
    });
    const reply = await send();
    expect(reply.status).toBe(200);
    expect(OperationStatusListSchema.parse(reply.json)).toEqual([
      expect.objectContaining({
        action: "create",
        id: (created.json as { operationId: string }).operationId,
      }),
    ]);
  },
  "ops/gets-operation-status-by-id": async ({ send, http, emulator }) => {
    emulator.reset();
    // The all-zero id is the generator's placeholder: no operation has it (the emulator's ids are
    // random UUIDs), so 404 "Not found", which the reference documents for this route.
    expectError(
      await send(),
      404,
      "NotFoundException",
      "No operation found for operation id 00000000-0000-0000-0000-000000000000",
    );
    const created = await http.post(`/clusters/${CLUSTER}/nodes/create`, {
      sets: [{ count: 1, nodearray: "ondemand" }],
    });
    const operationId = (created.json as { operationId: string }).operationId;
    const reply = await http.get(`/operations/${operationId}`);
    expect(reply.status).toBe(200);
    expect(OperationStatusSchema.parse(reply.json)).toMatchObject({ action: "create" });
  },

  // The how-to's examples, replayed in the document's order on one emulator (no reset between).
  "howto/determine-cluster-status": async ({ send, emulator }) => {
    emulator.reset();
    const reply = await send();
    expect(reply.status).toBe(200);
    // The emulator's default content is the how-to's cluster: its answer holds every value of the
    // (closed) example.
    const closed = JSON.parse(
      readExample("howto/determine-cluster-status.response.txt") + "]\n}\n",
    ) as unknown;
    expect(reply.json).toMatchObject(closed as Record<string, unknown>);
  },
  "howto/create-nodes": async ({ send }) => {
    const reply = await send();
    expectAccepted(reply);
    expect(reply.json).toEqual({ operationId: expect.any(String), sets: [{ added: 1 }] });
  },
  "howto/create-nodes-follow-up": async ({ send }) => {
    const reply = await send();
    expect(reply.status).toBe(200);
    const list = NodeListSchema.parse(reply.json);
    expect(list.nodes.map((node) => [node.Name, node.Template])).toEqual([["ondemand-1", "ondemand"]]);
    expect(list.operation?.action).toBe("create");
  },
  "howto/add-tightly-coupled-nodes": async ({ send }) => {
    // The how-to reuses the requestId of "Create nodes": replayed after it, the reference's rule
    // applies ("returns a 409 error").
    expectError(
      await send(),
      409,
      "DuplicateRequestException",
      "Request id 463270ca-abcd-1234-98d6-431ee3ef8ed5 has already been used",
    );
  },
  "howto/delete-nodes": async ({ send, http }) => {
    // The id names a node of the how-to author's cluster, not of the emulator's: nothing matches,
    // and the emulator answers 202 with no nodes.
    const reply = await send();
    expectAccepted(reply);
    expect(NodeManagementResultSchema.parse(reply.json).nodes).toEqual([]);
    // With the id of the node "Create nodes" made, the answer has the example's shape.
    const created = NodeListSchema.parse(
      (await http.get(`/clusters/${CLUSTER}/nodes?request_id=463270ca-abcd-1234-98d6-431ee3ef8ed5`)).json,
    ).nodes;
    const id = created[0]?.NodeId;
    const terminated = await http.post(`/clusters/${CLUSTER}/nodes/terminate`, { ids: [id] });
    expectAccepted(terminated);
    expect(terminated.json).toEqual({
      operationId: expect.any(String),
      nodes: [{ name: "ondemand-1", id, status: "OK" }],
    });
  },
};

let fixture: ReturnType<typeof useEmulator> | undefined;

function context(example: ReferenceExample): ReplayContext {
  if (fixture === undefined) throw new Error("no emulator");
  const { http, emulator } = fixture;
  return {
    http,
    emulator,
    example,
    send: () => {
      const request = requestOf(example);
      return http.request(request.method, emulatorPath(request.path), request.body);
    },
  };
}

describe("example requests replayed against the emulator (default content, basic auth)", () => {
  fixture = useEmulator({}, { resetBeforeEach: false });

  for (const example of EXAMPLES) {
    const replay = REPLAYS[example.id];
    it(`${example.id}: ${example.method} (the reference documents ${String(example.documentedStatus)})`, async () => {
      expect(replay, `a replay for ${example.id}`).toBeDefined();
      await replay?.(context(example));
    });
  }

  it("howto/add-tightly-coupled-nodes on a fresh cluster: 202, four Standard_Hc44rs nodes in placement group pg0", async () => {
    const example = EXAMPLES.find((candidate) => candidate.id === "howto/add-tightly-coupled-nodes");
    if (example === undefined) throw new Error("howto/add-tightly-coupled-nodes missing");
    const { emulator } = context(example);
    emulator.reset();
    const reply = await context(example).send();
    expectAccepted(reply);
    expect(NodeCreationResultSchema.parse(reply.json).sets).toEqual([{ added: 4 }]);
    const nodes = emulator.nodes().filter((node) => node.nodearray === "ondemand");
    expect(nodes.map((node) => [node.record.MachineType, node.record.PlacementGroupId])).toEqual(
      Array.from({ length: 4 }, () => ["Standard_Hc44rs", "pg0"]),
    );
  });

  it("the seven management examples share one requestId: on one server only the first is accepted", async () => {
    fixture?.emulator.reset();
    const replies: number[] = [];
    for (const { slug } of MANAGEMENT_SECTIONS) {
      const body = readExample(`ops/${slug}.request-body.json`);
      const example = EXAMPLES.find((candidate) => candidate.id === `ops/${slug}`);
      if (example?.requestPath === undefined) throw new Error(`ops/${slug} missing`);
      replies.push((await fixture?.http.post(emulatorPath(example.requestPath), body))?.status ?? 0);
    }
    // deallocate 202, reimage 404 (not emulated), then remove, restart(404), shutdown, start,
    // terminate: 409, the requestId of the deallocate.
    expect(replies).toEqual([202, 404, 409, 404, 409, 409, 409]);
  });
});

describe("minimal request records replayed against the emulator", () => {
  const env = useEmulator();

  it("NodeCreationRequest: refused only for the reference's example nodearray name", async () => {
    expectError(
      await env.http.post(`/clusters/${CLUSTER}/nodes/create`, NODE_CREATION_REQUEST),
      409,
      "InvalidAttributeException",
      "Nodearray execute is not recognized in cluster hpc",
    );
    const reply = await env.http.post(`/clusters/${CLUSTER}/nodes/create`, {
      sets: [{ ...NODE_CREATION_REQUEST.sets[0], nodearray: "ondemand" }],
    });
    expectAccepted(reply);
    expect(NodeCreationResultSchema.parse(reply.json).sets).toEqual([{ added: 1 }]);
  });

  it('a set with "definition": {} is placed in the first bucket that can satisfy it', async () => {
    const reply = await env.http.post(`/clusters/${CLUSTER}/nodes/create`, {
      sets: [{ ...NODE_CREATION_SET_EMPTY_DEFINITION, nodearray: "ondemand" }],
    });
    expectAccepted(reply);
    expect(
      env.emulator
        .nodes()
        .filter((node) => node.nodearray === "ondemand")
        .map((node) => node.record.MachineType),
    ).toEqual(["Standard_Fs32_v2"]);
  });

  it("NodeManagementRequest {}: refused (the reference is silent on a request that selects nothing)", async () => {
    // Every selector is optional in the reference, and several are "treated as a union"; it does
    // not say what a request with none means. The emulator refuses it with the reference's one
    // documented error for the management actions, 409 "Invalid input" (docs/emulator-model.md,
    // Management), rather than guess between "no node" and "every node".
    expectError(
      await env.http.post(`/clusters/${CLUSTER}/nodes/terminate`, NODE_MANAGEMENT_REQUEST),
      409,
      "InvalidAttributeException",
      "A terminate request must select nodes with at least one of ids, names, hostnames, ip_addresses or filter",
    );
  });
});
