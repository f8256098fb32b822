import { describe, expect, test } from "vitest";
import {
  ClusterStatusSchema,
  NodeCreationResultSchema,
  NodeListSchema,
  NodeManagementResultSchema,
} from "../../wire/schemas";
import { manualClock, parseWith, SEED_REQUEST_ID, useEmulator, UUID, arrayNodes } from "./helpers";

/**
 * The seed how-to's own requests, replayed in order against a fresh emulator, with each response
 * checked field by field against the shapes the seed shows.
 */
describe("the seed document's requests", () => {
  // One emulator for the whole replay, never reset: each request sees what the ones before it did.
  // The clock stands still at 2026-01-01T00:00:00.000Z, so operation start times are exact.
  const env = useEmulator({ clock: manualClock() }, { resetBeforeEach: false });
  const PG_REQUEST_ID = "5f0c9a1e-abcd-1234-8e2b-0c6f2d1a9b77";

  test("the status call answers the seed's example numbers", async () => {
    const reply = await env.http.get("/clusters/hpc/status");

    expect(reply.status).toBe(200);
    expect(reply.headers.get("content-type")).toBe("application/json; charset=utf-8");
    parseWith(ClusterStatusSchema, reply.json);
    // Spelled out in full on purpose, not taken from test/fixtures/seed.ts or the emulator's default
    // config: this is the check that the emulator answers the seed document's own numbers.
    expect(reply.json).toEqual({
      state: "Started",
      targetState: "Started",
      maxCount: 100,
      maxCoreCount: 10000,
      nodearrays: [
        {
          name: "ondemand",
          maxCount: 100,
          maxCoreCount: 500,
          nodearray: {
            Name: "ondemand",
            Region: "westus2",
            SubnetId: "hpc-rg/hpc-vnet/compute",
            Interruptible: false,
            ShutdownPolicy: "Terminate",
            Configuration: {},
          },
          buckets: [
            {
              bucketId: "cd56af52-abcd-1234-a4e7-e6a91ca519a2",
              definition: { machineType: "Standard_Fs32_v2" },
              maxCount: 3,
              maxCoreCount: 96,
              activeCount: 0,
              activeCoreCount: 0,
              availableCount: 3,
              availableCoreCount: 96,
              quotaCount: 3,
              quotaCoreCount: 100,
              consumedCoreCount: 0,
              maxPlacementGroupSize: 40,
              maxPlacementGroupCoreSize: 1280,
              valid: true,
              placementGroups: [],
              virtualMachine: {
                vcpuCount: 32,
                memory: 64.0,
                infiniband: false,
                // Not in the seed's example; required by the 8.x reference.
                pcpuCount: 32,
                gpuCount: 0,
              },
              lastCapacityFailure: -1,
              // Not in the seed's example: required by the reference (invalidReason), or read by
              // shipping clients (the family and regional quota fields). The bucket is a family of
              // its own; the region has the default quota, 4 cores of it used by the head node.
              invalidReason: "",
              familyQuotaCount: 3,
              familyQuotaCoreCount: 100,
              familyConsumedCoreCount: 0,
              regionalQuotaCount: 3125,
              regionalQuotaCoreCount: 100000,
              regionalConsumedCoreCount: 4,
            },
            {
              bucketId: "d81e001a-abcd-1234-9754-79815cb7b225",
              definition: { machineType: "Standard_Hc44rs" },
              maxCount: 11,
              maxCoreCount: 484,
              activeCount: 0,
              activeCoreCount: 0,
              availableCount: 11,
              availableCoreCount: 484,
              quotaCount: 200,
              quotaCoreCount: 8800,
              consumedCoreCount: 44,
              maxPlacementGroupSize: 40,
              maxPlacementGroupCoreSize: 1760,
              valid: true,
              placementGroups: [],
              virtualMachine: {
                vcpuCount: 44,
                memory: 327.83,
                infiniband: true,
                // Not in the seed's example; required by the 8.x reference.
                pcpuCount: 44,
                gpuCount: 0,
              },
              lastCapacityFailure: -1,
              // Not in the seed's example: required by the reference (invalidReason), or read by
              // shipping clients (the family and regional quota fields). The bucket is a family of
              // its own; the region has the default quota, 4 cores of it used by the head node.
              invalidReason: "",
              familyQuotaCount: 200,
              familyQuotaCoreCount: 8800,
              familyConsumedCoreCount: 44,
              regionalQuotaCount: 2272,
              regionalQuotaCoreCount: 100000,
              regionalConsumedCoreCount: 4,
            },
          ],
        },
      ],
    });
  });

  let firstNodeId = "";
  let seedOperationId = "";

  test("the one-node create with Content-Type text/plain answers 202 with the operation", async () => {
    const reply = await env.http.post(
      "/clusters/hpc/nodes/create",
      `{ "requestId" : "${SEED_REQUEST_ID}",
"sets" : [
{
"count" : 1,
"nodearray" : "ondemand"
}
]
}`,
      { contentType: "text/plain" },
    );

    expect(reply.status).toBe(202);
    const result = parseWith(NodeCreationResultSchema, reply.json);
    seedOperationId = result.operationId;
    expect(seedOperationId).toMatch(UUID);
    expect(reply.json).toEqual({ operationId: seedOperationId, sets: [{ added: 1 }] });
    expect(reply.headers.get("location")).toBe(`/operations/${result.operationId}`);
  });

  test("listing by request_id gives the created node and the operation", async () => {
    const reply = await env.http.get(`/clusters/hpc/nodes?request_id=${SEED_REQUEST_ID}`);

    expect(reply.status).toBe(200);
    const list = parseWith(NodeListSchema, reply.json);
    const node = list.nodes[0];
    firstNodeId = node?.NodeId ?? "";
    expect(firstNodeId).toMatch(UUID);
    expect(node?.InstanceId).toMatch(/^[0-9a-f]{32}$/);
    // NodeId and InstanceId are random: their format is checked above, and the record below holds them.
    expect(reply.json).toEqual({
      nodes: [
        {
          Name: "ondemand-1",
          NodeId: firstNodeId,
          Template: "ondemand",
          ClusterName: "hpc",
          MachineType: "Standard_Fs32_v2",
          Status: "Ready",
          State: "Started",
          TargetState: "Started",
          Region: "westus2",
          CoreCount: 32,
          Memory: 64,
          Infiniband: false,
          RequestId: SEED_REQUEST_ID,
          Hostname: "ip-0A010004",
          PrivateIp: "10.1.0.4",
          InstanceId: node?.InstanceId,
          KeepAlive: false,
          Interruptible: false,
          ShutdownPolicy: "Terminate",
          Configuration: {},
          SubnetId: "hpc-rg/hpc-vnet/compute",
        },
      ],
      operation: { id: seedOperationId, action: "create", startTime: "2026-01-01T00:00:00.000Z" },
    });
  });

  test("the placement-group create sent literally with the reused seed request id is answered 409", async () => {
    const reply = await env.http.post(
      "/clusters/hpc/nodes/create",
      `{ "requestId" : "${SEED_REQUEST_ID}",
"sets" : [
{
"count" : 4,
"nodearray" : "ondemand",
"placementGroupId" : "pg0",
"definition" : { "machineType" : "Standard_Hc44rs" }
}
]
}`,
    );

    expect(reply.status).toBe(409);
    expect(reply.json).toEqual({
      Exception: "com.cyclecomputing.cloud.exceptions.DuplicateRequestException",
      Message: `Request id ${SEED_REQUEST_ID} has already been used`,
      Detail:
        "Please see /opt/cycle_server/logs/cycle_server.log for lines tagged with request-4 for details.",
    });
    expect(env.emulator.nodes().map((node) => node.record.Name)).toEqual(["ondemand-1"]);
  });

  test("the placement-group create with a fresh request id adds four InfiniBand nodes in pg0", async () => {
    const reply = await env.http.post("/clusters/hpc/nodes/create", {
      requestId: PG_REQUEST_ID,
      sets: [
        {
          count: 4,
          nodearray: "ondemand",
          placementGroupId: "pg0",
          definition: { machineType: "Standard_Hc44rs" },
        },
      ],
    });

    expect(reply.status).toBe(202);
    const result = parseWith(NodeCreationResultSchema, reply.json);
    expect(reply.json).toEqual({ operationId: expect.stringMatching(UUID) as unknown, sets: [{ added: 4 }] });

    const list = parseWith(
      NodeListSchema,
      (await env.http.get(`/clusters/hpc/nodes?request_id=${PG_REQUEST_ID}`)).json,
    );
    expect(
      list.nodes.map((node) => [
        node.Name,
        node.MachineType,
        node.PlacementGroupId,
        node.Infiniband,
        node.CoreCount,
        node.Memory,
        node.PrivateIp,
        node.Hostname,
        node.Status,
      ]),
    ).toEqual([
      ["ondemand-2", "Standard_Hc44rs", "pg0", true, 44, 327.83, "10.1.0.5", "ip-0A010005", "Ready"],
      ["ondemand-3", "Standard_Hc44rs", "pg0", true, 44, 327.83, "10.1.0.6", "ip-0A010006", "Ready"],
      ["ondemand-4", "Standard_Hc44rs", "pg0", true, 44, 327.83, "10.1.0.7", "ip-0A010007", "Ready"],
      ["ondemand-5", "Standard_Hc44rs", "pg0", true, 44, 327.83, "10.1.0.8", "ip-0A010008", "Ready"],
    ]);
    expect(list.operation?.id).toBe(result.operationId);
  });

  test("the status then shows both sets, the placement group and the nodearray core limit binding", async () => {
    const status = parseWith(ClusterStatusSchema, (await env.http.get("/clusters/hpc/status")).json);
    const [fs32, hc44] = status.nodearrays[0]?.buckets ?? [];

    expect(
      fs32 && [fs32.activeCount, fs32.activeCoreCount, fs32.availableCount, fs32.availableCoreCount],
    ).toEqual([1, 32, 2, 64]);
    expect(fs32?.consumedCoreCount).toBe(32);
    expect(fs32?.placementGroups).toEqual([]);
    // 500 - 32 - 4 * 44 = 292 cores left in the nodearray: 6 more Standard_Hc44rs, not 11 - 4 = 7.
    expect(
      hc44 && [hc44.activeCount, hc44.activeCoreCount, hc44.availableCount, hc44.availableCoreCount],
    ).toEqual([4, 176, 6, 264]);
    expect(hc44?.consumedCoreCount).toBe(44 + 176);
    expect(hc44?.placementGroups).toEqual([{ name: "pg0", activeCount: 4, activeCoreCount: 176 }]);
  });

  test("the terminate by id answers the seed's result shape and the node is gone", async () => {
    const third = env.emulator.nodes().find((node) => node.record.Name === "ondemand-3");
    const id = third?.record.NodeId ?? "";

    const reply = await env.http.post(
      "/clusters/hpc/nodes/terminate",
      `{
"ids" : ["${id}"]
}`,
    );

    expect(reply.status).toBe(202);
    const result = parseWith(NodeManagementResultSchema, reply.json);
    expect(reply.json).toEqual({
      operationId: expect.stringMatching(UUID) as unknown,
      nodes: [{ name: "ondemand-3", id, status: "OK" }],
    });
    expect(reply.headers.get("location")).toBe(`/operations/${result.operationId}`);
    const nodes = arrayNodes(
      parseWith(NodeListSchema, (await env.http.get("/clusters/hpc/nodes")).json).nodes,
    );
    expect(nodes.map((node) => node.Name)).toEqual(["ondemand-1", "ondemand-2", "ondemand-4", "ondemand-5"]);
    expect(nodes[0]?.NodeId).toBe(firstNodeId);
  });
});
