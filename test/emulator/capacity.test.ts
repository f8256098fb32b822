import { describe, expect, test } from "vitest";
import { ClusterStatusSchema, NodeCreationResultSchema } from "../../wire/schemas";
import type { Bucket } from "../../wire/schemas";
import { errorMessage, manualClock, parseWith, useEmulator, UUID } from "./helpers";

const clock = manualClock();
const env = useEmulator({ clock });

async function create(count: number, machineType?: string, placementGroupId?: string) {
  const reply = await env.http.post("/clusters/hpc/nodes/create", {
    sets: [
      {
        count,
        nodearray: "ondemand",
        ...(machineType === undefined ? {} : { definition: { machineType } }),
        ...(placementGroupId === undefined ? {} : { placementGroupId }),
      },
    ],
  });
  expect(reply.status).toBe(202);
  return parseWith(NodeCreationResultSchema, reply.json).sets;
}

async function capacity(change: Record<string, unknown>): Promise<void> {
  const reply = await env.http.admin("POST", "/capacity", { cluster: "hpc", ...change });
  expect(reply.status).toBe(200);
}

async function buckets(): Promise<Bucket[]> {
  const status = parseWith(ClusterStatusSchema, (await env.http.get("/clusters/hpc/status")).json);
  return status.nodearrays[0]?.buckets ?? [];
}

async function availability(): Promise<[number, number][]> {
  return (await buckets()).map((bucket) => [bucket.availableCount, bucket.availableCoreCount]);
}

describe("each limit binds a create and the status", () => {
  test("the bucket maxCount", async () => {
    expect(await create(4, "Standard_Fs32_v2")).toEqual([
      {
        added: 3,
        message:
          "Added 3 of 4 requested nodes: nodearray ondemand bucket Standard_Fs32_v2 maxCount of 3 reached",
      },
    ]);
    // The nodearray has 500 - 96 = 404 cores left: nine Standard_Hc44rs.
    expect(await availability()).toEqual([
      [0, 0],
      [9, 396],
    ]);
  });

  test("the bucket maxCoreCount", async () => {
    await capacity({ nodearray: "ondemand", machineType: "Standard_Fs32_v2", maxCoreCount: 64 });
    expect(await availability()).toEqual([
      [2, 64],
      [11, 484],
    ]);
    expect(await create(3, "Standard_Fs32_v2")).toEqual([
      {
        added: 2,
        message:
          "Added 2 of 3 requested nodes: nodearray ondemand bucket Standard_Fs32_v2 maxCoreCount of 64 reached",
      },
    ]);
  });

  test("the nodearray maxCount", async () => {
    await capacity({ nodearray: "ondemand", maxCount: 2 });
    expect(await availability()).toEqual([
      [2, 64],
      [2, 88],
    ]);
    expect(await create(3, "Standard_Hc44rs")).toEqual([
      { added: 2, message: "Added 2 of 3 requested nodes: nodearray ondemand maxCount of 2 reached" },
    ]);
  });

  test("the nodearray maxCoreCount", async () => {
    expect(await create(1, "Standard_Fs32_v2")).toEqual([{ added: 1 }]);
    // (500 - 32) / 44 = 10.6: ten more Standard_Hc44rs, one fewer than the bucket's 11.
    expect(await availability()).toEqual([
      [2, 64],
      [10, 440],
    ]);
    expect(await create(11, "Standard_Hc44rs")).toEqual([
      {
        added: 10,
        message: "Added 10 of 11 requested nodes: nodearray ondemand maxCoreCount of 500 reached",
      },
    ]);
  });

  test("the cluster maxCount", async () => {
    await capacity({ maxCount: 1 });
    expect(await availability()).toEqual([
      [1, 32],
      [1, 44],
    ]);
    expect(await create(2, "Standard_Hc44rs")).toEqual([
      { added: 1, message: "Added 1 of 2 requested nodes: cluster hpc maxCount of 1 reached" },
    ]);
  });

  test("the cluster maxCoreCount", async () => {
    await capacity({ maxCoreCount: 100 });
    expect(await availability()).toEqual([
      [3, 96],
      [2, 88],
    ]);
    expect(await create(3, "Standard_Hc44rs")).toEqual([
      { added: 2, message: "Added 2 of 3 requested nodes: cluster hpc maxCoreCount of 100 reached" },
    ]);
  });

  test("the quotaCount", async () => {
    await capacity({ nodearray: "ondemand", machineType: "Standard_Hc44rs", quotaCount: 2 });
    expect(await availability()).toEqual([
      [3, 96],
      [2, 88],
    ]);
    expect(await create(3, "Standard_Hc44rs")).toEqual([
      { added: 2, message: "Added 2 of 3 requested nodes: Standard_Hc44rs quotaCount of 2 reached" },
    ]);
  });

  test("the quotaCoreCount, counting the consumed baseline", async () => {
    // 176 cores of quota with 44 consumed elsewhere leaves room for three Standard_Hc44rs.
    await capacity({ nodearray: "ondemand", machineType: "Standard_Hc44rs", quotaCoreCount: 176 });
    expect(await availability()).toEqual([
      [3, 96],
      [3, 132],
    ]);
    expect(await create(4, "Standard_Hc44rs")).toEqual([
      { added: 3, message: "Added 3 of 4 requested nodes: Standard_Hc44rs quotaCoreCount of 176 reached" },
    ]);
    expect((await buckets())[1]?.consumedCoreCount).toBe(176);
  });

  test("the placement group size, per group", async () => {
    await capacity({ nodearray: "ondemand", machineType: "Standard_Hc44rs", maxPlacementGroupSize: 3 });
    expect(await create(4, "Standard_Hc44rs", "pg0")).toEqual([
      {
        added: 3,
        message: "Added 3 of 4 requested nodes: placement group pg0 maxPlacementGroupSize of 3 reached",
      },
    ]);
    expect(await create(1, "Standard_Hc44rs", "pg0")).toEqual([
      {
        added: 0,
        message: "Added 0 of 1 requested nodes: placement group pg0 maxPlacementGroupSize of 3 reached",
      },
    ]);
    expect(await create(2, "Standard_Hc44rs", "pg1")).toEqual([{ added: 2 }]);
    expect((await buckets())[1]?.placementGroups).toEqual([
      { name: "pg0", activeCount: 3, activeCoreCount: 132 },
      { name: "pg1", activeCount: 2, activeCoreCount: 88 },
    ]);
  });

  test("the placement group core size", async () => {
    await capacity({ nodearray: "ondemand", machineType: "Standard_Hc44rs", maxPlacementGroupCoreSize: 100 });
    expect(await create(3, "Standard_Hc44rs", "pg0")).toEqual([
      {
        added: 2,
        message: "Added 2 of 3 requested nodes: placement group pg0 maxPlacementGroupCoreSize of 100 reached",
      },
    ]);
  });

  test("an invalid bucket shows no availability and its reason", async () => {
    await capacity({ nodearray: "ondemand", machineType: "Standard_Fs32_v2", valid: false });
    const [fs32] = await buckets();
    expect(fs32 && [fs32.valid, fs32.invalidReason, fs32.availableCount, fs32.availableCoreCount]).toEqual([
      false,
      "NotActivated",
      0,
      0,
    ]);
  });
});

describe("partial adds", () => {
  test("later sets of one request see the nodes of earlier sets", async () => {
    const reply = await env.http.post("/clusters/hpc/nodes/create", {
      sets: [
        { count: 2, nodearray: "ondemand", definition: { machineType: "Standard_Fs32_v2" } },
        { count: 2, nodearray: "ondemand", definition: { machineType: "Standard_Fs32_v2" } },
      ],
    });
    parseWith(NodeCreationResultSchema, reply.json);
    expect(reply.json).toEqual({
      operationId: expect.stringMatching(UUID) as unknown,
      sets: [
        { added: 2 },
        {
          added: 1,
          message:
            "Added 1 of 2 requested nodes: nodearray ondemand bucket Standard_Fs32_v2 maxCount of 3 reached",
        },
      ],
    });
  });

  test("a full bucket adds nothing, says why, and records the capacity failure", async () => {
    await create(3, "Standard_Fs32_v2");
    expect((await buckets())[0]?.lastCapacityFailure).toBe(-1);
    expect(await create(1, "Standard_Fs32_v2")).toEqual([
      {
        added: 0,
        message:
          "Added 0 of 1 requested nodes: nodearray ondemand bucket Standard_Fs32_v2 maxCount of 3 reached",
      },
    ]);
    expect((await buckets()).map((bucket) => bucket.lastCapacityFailure)).toEqual([0, -1]);
    clock.advance(1500);
    expect((await buckets()).map((bucket) => bucket.lastCapacityFailure)).toEqual([1.5, -1]);
  });

  test("a set without definition goes to the first bucket that can take all of it", async () => {
    expect(await create(2)).toEqual([{ added: 2 }]);
    // One Standard_Fs32_v2 is left, so four go to Standard_Hc44rs.
    expect(await create(4)).toEqual([{ added: 4 }]);
    expect(env.emulator.nodes().map((node) => node.record.MachineType)).toEqual([
      "Standard_Fs32_v2",
      "Standard_Fs32_v2",
      "Standard_Hc44rs",
      "Standard_Hc44rs",
      "Standard_Hc44rs",
      "Standard_Hc44rs",
    ]);
  });

  test("an empty definition ({}) is a set without definition: the first bucket that can satisfy it", async () => {
    const reply = await env.http.post("/clusters/hpc/nodes/create", {
      sets: [{ count: 4, nodearray: "ondemand", definition: {} }],
    });
    expect(reply.status).toBe(202);
    expect(parseWith(NodeCreationResultSchema, reply.json).sets).toEqual([{ added: 4 }]);
    // Standard_Fs32_v2 (first) holds only 3, so all four go to Standard_Hc44rs.
    expect(env.emulator.nodes().map((node) => node.record.MachineType)).toEqual(
      Array(4).fill("Standard_Hc44rs"),
    );
  });

  test("a set without definition that fits nowhere goes where most of it fits", async () => {
    expect(await create(12)).toEqual([
      {
        added: 11,
        message:
          "Added 11 of 12 requested nodes: nodearray ondemand bucket Standard_Hc44rs maxCount of 11 reached",
      },
    ]);
  });
});

describe("terminating and deallocated nodes", () => {
  test("availableCount already frees terminating nodes while create still counts them (the quirk)", async () => {
    await env.http.admin("POST", "/timing", { terminatingMs: 1000 });
    await create(3, "Standard_Fs32_v2");
    const [first] = env.emulator.nodes();
    await env.http.post("/clusters/hpc/nodes/terminate", { ids: [first?.record.NodeId] });

    const [fs32] = await buckets();
    expect(fs32 && [fs32.activeCount, fs32.availableCount, fs32.consumedCoreCount]).toEqual([3, 1, 96]);
    expect(await create(1, "Standard_Fs32_v2")).toEqual([
      {
        added: 0,
        message:
          "Added 0 of 1 requested nodes: nodearray ondemand bucket Standard_Fs32_v2 maxCount of 3 reached",
      },
    ]);

    clock.advance(999);
    const [during] = await buckets();
    expect(during && [during.activeCount, during.availableCount, during.consumedCoreCount]).toEqual([
      3, 1, 96,
    ]);
    clock.advance(1);
    const [after] = await buckets();
    expect(after && [after.activeCount, after.availableCount, after.consumedCoreCount]).toEqual([2, 1, 64]);
    expect(await create(1, "Standard_Fs32_v2")).toEqual([{ added: 1 }]);
  });

  test("deallocated nodes free count and core limits but keep their quota", async () => {
    await capacity({
      nodearray: "ondemand",
      machineType: "Standard_Fs32_v2",
      quotaCount: 10,
      quotaCoreCount: 1000,
    });
    await create(3, "Standard_Fs32_v2");
    const [first] = env.emulator.nodes();
    await env.http.post("/clusters/hpc/nodes/deallocate", { ids: [first?.record.NodeId] });

    const [fs32] = await buckets();
    expect(
      fs32 && [fs32.activeCount, fs32.activeCoreCount, fs32.availableCount, fs32.consumedCoreCount],
    ).toEqual([2, 64, 1, 96]);

    await capacity({ nodearray: "ondemand", machineType: "Standard_Fs32_v2", quotaCount: 3 });
    expect((await buckets())[0]?.availableCount).toBe(0);
    expect(await create(1, "Standard_Fs32_v2")).toEqual([
      { added: 0, message: "Added 0 of 1 requested nodes: Standard_Fs32_v2 quotaCount of 3 reached" },
    ]);
  });
});

describe("scale", () => {
  async function scale(query: string) {
    return env.http.post(`/clusters/hpc/scale/ondemand?${query}`);
  }

  test("adds nodes up to totalNodeCount, once", async () => {
    const reply = await scale("totalNodeCount=2");
    expect(reply.status).toBe(202);
    const result = parseWith(NodeCreationResultSchema, reply.json);
    expect(reply.json).toEqual({ operationId: expect.stringMatching(UUID) as unknown, sets: [{ added: 2 }] });
    expect(reply.headers.get("location")).toBe(`/operations/${result.operationId}`);

    const again = parseWith(NodeCreationResultSchema, (await scale("totalNodeCount=2")).json);
    expect(again.sets).toEqual([{ added: 0 }]);
    expect(env.emulator.nodes().map((node) => node.record.Name)).toEqual(["ondemand-1", "ondemand-2"]);
  });

  test("adds enough nodes of the first bucket that can reach totalCoreCount", async () => {
    await scale("totalNodeCount=2");
    // 64 cores present; 36 more: two Standard_Fs32_v2 do not fit (one left), one Standard_Hc44rs does.
    const result = parseWith(NodeCreationResultSchema, (await scale("totalCoreCount=100")).json);
    expect(result.sets).toEqual([{ added: 1 }]);
    expect(env.emulator.nodes().map((node) => node.record.MachineType)).toEqual([
      "Standard_Fs32_v2",
      "Standard_Fs32_v2",
      "Standard_Hc44rs",
    ]);
  });

  test("reports a partial scale like a partial create", async () => {
    const result = parseWith(NodeCreationResultSchema, (await scale("totalNodeCount=12")).json);
    expect(result.sets).toEqual([
      {
        added: 11,
        message:
          "Added 11 of 12 requested nodes: nodearray ondemand bucket Standard_Hc44rs maxCount of 11 reached",
      },
    ]);
  });

  test("rejects missing, doubled and malformed totals with 409 (the reference lists only 409 for scale)", async () => {
    const expectations: [string, string][] = [
      ["", "Give exactly one of the query parameters totalNodeCount and totalCoreCount"],
      [
        "totalNodeCount=1&totalCoreCount=32",
        "Give exactly one of the query parameters totalNodeCount and totalCoreCount",
      ],
      ["totalNodeCount=-1", "Query parameter totalNodeCount must be a non-negative integer, not -1"],
      ["totalCoreCount=1.5", "Query parameter totalCoreCount must be a non-negative integer, not 1.5"],
    ];
    for (const [query, message] of expectations) {
      const reply = await scale(query);
      expect([reply.status, errorMessage(reply)]).toEqual([409, message]);
    }
  });

  test("answers 404 for an unknown nodearray or cluster", async () => {
    const nodearray = await env.http.post("/clusters/hpc/scale/gpu?totalNodeCount=1");
    expect([nodearray.status, errorMessage(nodearray)]).toEqual([
      404,
      "Nodearray gpu not found in cluster hpc",
    ]);
    const cluster = await env.http.post("/clusters/nope/scale/ondemand?totalNodeCount=1");
    expect([cluster.status, errorMessage(cluster)]).toEqual([404, "Cluster nope not found"]);
  });
});
