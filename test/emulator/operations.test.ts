import { describe, expect, test } from "vitest";
import { DEFAULT_EMULATOR_CONFIG } from "../../emulator";
import {
  NodeCreationResultSchema,
  NodeListSchema,
  NodeManagementResultSchema,
  OperationStatusListSchema,
  OperationStatusSchema,
} from "../../wire/schemas";
import { errorMessage, manualClock, parseWith, useEmulator, UUID } from "./helpers";

const clock = manualClock(Date.UTC(2026, 2, 14, 15, 9, 26, 535));
// The seed cluster plus a second one, to check that operations stay with their cluster.
const env = useEmulator({
  clock,
  config: {
    clusters: [
      ...DEFAULT_EMULATOR_CONFIG.clusters,
      {
        name: "other",
        maxCount: 10,
        maxCoreCount: 100,
        nodearrays: [
          {
            name: "ondemand",
            maxCount: 10,
            maxCoreCount: 100,
            buckets: [{ machineType: "Standard_D2_v3", vcpuCount: 2, memory: 8, maxCount: 10 }],
          },
        ],
      },
    ],
  },
});

async function create(requestId?: string): Promise<string> {
  const reply = await env.http.post("/clusters/hpc/nodes/create", {
    ...(requestId === undefined ? {} : { requestId }),
    sets: [{ count: 1, nodearray: "ondemand" }],
  });
  return parseWith(NodeCreationResultSchema, reply.json).operationId;
}

describe("GET /operations/{id}", () => {
  test("answers the operation's action and start time", async () => {
    const operationId = await create("op-1");
    expect(operationId).toMatch(UUID);
    clock.advance(60_000);
    const reply = await env.http.get(`/operations/${operationId}`);

    expect(reply.status).toBe(200);
    parseWith(OperationStatusSchema, reply.json);
    expect(reply.json).toEqual({ id: operationId, action: "create", startTime: "2026-03-14T15:09:26.535Z" });
  });

  test("names the action of management operations and scale", async () => {
    await create();
    const terminate = parseWith(
      NodeManagementResultSchema,
      (await env.http.post("/clusters/hpc/nodes/terminate", { names: ["ondemand-1"] })).json,
    );
    const scale = parseWith(
      NodeCreationResultSchema,
      (await env.http.post("/clusters/hpc/scale/ondemand?totalNodeCount=1")).json,
    );
    const actions = await Promise.all(
      [terminate.operationId, scale.operationId].map(
        async (id) => parseWith(OperationStatusSchema, (await env.http.get(`/operations/${id}`)).json).action,
      ),
    );
    expect(actions).toEqual(["terminate", "scale"]);
  });

  test("answers 404 for an unknown operation", async () => {
    const reply = await env.http.get("/operations/00000000-0000-0000-0000-000000000000");
    expect([reply.status, errorMessage(reply)]).toEqual([
      404,
      "No operation found for operation id 00000000-0000-0000-0000-000000000000",
    ]);
  });
});

describe("GET /operations/?request_id=ID", () => {
  test("answers a one-item array for a used request id and an empty one otherwise", async () => {
    const operationId = await create("op-2");
    for (const path of ["/operations/?request_id=op-2", "/operations?request_id=op-2"]) {
      const list = parseWith(OperationStatusListSchema, (await env.http.get(path)).json);
      expect(list.map((operation) => [operation.id, operation.action])).toEqual([[operationId, "create"]]);
    }
    const unknown = await env.http.get("/operations/?request_id=never-used");
    expect([unknown.status, unknown.json]).toEqual([200, []]);
  });

  test("finds management requests by their request id too", async () => {
    await create();
    const result = parseWith(
      NodeManagementResultSchema,
      (
        await env.http.post("/clusters/hpc/nodes/deallocate", {
          requestId: "dealloc-1",
          names: ["ondemand-1"],
        })
      ).json,
    );
    const list = parseWith(
      OperationStatusListSchema,
      (await env.http.get("/operations/?request_id=dealloc-1")).json,
    );
    expect(list.map((operation) => [operation.id, operation.action])).toEqual([
      [result.operationId, "deallocate"],
    ]);
  });

  test("lists every operation without a request id", async () => {
    const first = await create();
    const second = await create("op-3");
    const list = parseWith(OperationStatusListSchema, (await env.http.get("/operations/")).json);
    expect(list.map((operation) => operation.id)).toEqual([first, second]);
  });
});

describe("GET /clusters/{cluster}/nodes filters", () => {
  test("by operation gives that operation's nodes with the operation", async () => {
    const first = await create();
    await create();
    const list = parseWith(
      NodeListSchema,
      (await env.http.get(`/clusters/hpc/nodes?operation=${first}`)).json,
    );
    expect(list.nodes.map((node) => node.Name)).toEqual(["ondemand-1"]);
    expect(list.operation?.id).toBe(first);
  });

  test("without a filter gives every node of the cluster, the head node included, and no operation", async () => {
    await create();
    await create();
    const reply = await env.http.get("/clusters/hpc/nodes");
    const list = parseWith(NodeListSchema, reply.json);
    expect(list.nodes.map((node) => node.Name)).toEqual(["scheduler", "ondemand-1", "ondemand-2"]);
    expect(Object.keys(reply.json as object)).toEqual(["nodes"]);
  });

  test("an unknown request id is a 404 saying no operation was found", async () => {
    const reply = await env.http.get("/clusters/hpc/nodes?request_id=nope-123");
    expect([reply.status, reply.json]).toEqual([
      404,
      {
        Exception: "com.cyclecomputing.cloud.exceptions.NotFoundException",
        Message: "No operation found for request id nope-123",
        Detail:
          "Please see /opt/cycle_server/logs/cycle_server.log for lines tagged with request-1 for details.",
      },
    ]);
  });

  test("an unknown operation is a 404", async () => {
    const reply = await env.http.get("/clusters/hpc/nodes?operation=nope");
    expect([reply.status, errorMessage(reply)]).toEqual([404, "No operation found for operation id nope"]);
  });

  test("operations and request ids belong to their cluster", async () => {
    const operationId = await create("hpc-only");
    const byRequest = await env.http.get("/clusters/other/nodes?request_id=hpc-only");
    const byOperation = await env.http.get(`/clusters/other/nodes?operation=${operationId}`);
    expect([byRequest.status, byOperation.status]).toEqual([404, 404]);
    const otherNodes = await env.http.get("/clusters/other/nodes");
    expect(parseWith(NodeListSchema, otherNodes.json).nodes).toEqual([]);
  });

  test("operation and request_id together, or empty, are a 400", async () => {
    const both = await env.http.get("/clusters/hpc/nodes?operation=a&request_id=b");
    expect([both.status, errorMessage(both)]).toEqual([400, "Use either operation or request_id, not both"]);
    const empty = await env.http.get("/clusters/hpc/nodes?request_id=");
    expect([empty.status, errorMessage(empty)]).toEqual([400, "Query parameter request_id is empty"]);
  });
});
