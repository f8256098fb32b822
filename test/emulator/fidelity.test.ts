/**
 * What shipping CycleCloud clients read that the emulator must answer like a real 8.x server
 * (issue 11): bucket activeNodes as names, address keys present as null, the reference's required
 * bucket fields, the head node and Fixed nodes, and the legacy /cloud/actions/ routes.
 */
import { describe, expect, test } from "vitest";
import { ClusterStatusSchema, NodeListSchema, NodeManagementResultSchema } from "../../wire/schemas";
import type { NodeRecord } from "../../wire/schemas";
import { arrayNodes, HEAD_NODE, parseWith, useEmulator } from "./helpers";

const env = useEmulator();

async function create(count: number, machineType = "Standard_Hc44rs", requestId?: string): Promise<void> {
  const reply = await env.http.post("/clusters/hpc/nodes/create", {
    ...(requestId === undefined ? {} : { requestId }),
    sets: [{ count, nodearray: "ondemand", definition: { machineType } }],
  });
  expect(reply.status).toBe(202);
}

async function allNodes(): Promise<NodeRecord[]> {
  return parseWith(NodeListSchema, (await env.http.get("/clusters/hpc/nodes")).json).nodes;
}

async function headNode(): Promise<NodeRecord | undefined> {
  return (await allNodes()).find((node) => node.Name === HEAD_NODE);
}

function legacyTerminate(query: string, body?: unknown) {
  return env.http.post(`/cloud/actions/terminate_node/hpc?${query}`, body);
}

describe("status with nodes=true", () => {
  test("bucket activeNodes are node names, and the status nodes leave the head node out", async () => {
    await create(2);
    const reply = await env.http.get("/clusters/hpc/status?nodes=true");
    const raw = reply.json as {
      nodes: { Name: string }[];
      nodearrays: { buckets: { activeNodes: unknown[] }[] }[];
    };
    expect(raw.nodearrays[0]?.buckets.map((bucket) => bucket.activeNodes)).toEqual([
      [],
      ["ondemand-1", "ondemand-2"],
    ]);
    // scalelib looks every status node's Template up among the nodearrays.
    expect(raw.nodes.map((node) => node.Name)).toEqual(["ondemand-1", "ondemand-2"]);
    parseWith(ClusterStatusSchema, reply.json);
  });

  test("every bucket carries the reference's required fields, with defaults", async () => {
    const status = (await env.http.get("/clusters/hpc/status")).json as {
      nodearrays: { buckets: Record<string, unknown>[] }[];
    };
    const required = [
      "activeCoreCount",
      "activeCount",
      "availableCoreCount",
      "availableCount",
      "bucketId",
      "consumedCoreCount",
      "invalidReason",
      "lastCapacityFailure",
      "maxCoreCount",
      "maxCount",
      "maxPlacementGroupCoreSize",
      "maxPlacementGroupSize",
      "placementGroups",
      "quotaCoreCount",
      "quotaCount",
      "valid",
      "virtualMachine",
    ];
    for (const bucket of status.nodearrays[0]?.buckets ?? []) {
      expect(Object.keys(bucket)).toEqual(expect.arrayContaining(required));
      expect(Object.keys(bucket["virtualMachine"] as object)).toEqual(
        expect.arrayContaining(["gpuCount", "infiniband", "memory", "pcpuCount", "vcpuCount"]),
      );
    }
    const [fs32] = status.nodearrays[0]?.buckets ?? [];
    expect(fs32 && [fs32["invalidReason"], fs32["lastCapacityFailure"], fs32["virtualMachine"]]).toEqual([
      "",
      -1,
      { vcpuCount: 32, memory: 64, infiniband: false, pcpuCount: 32, gpuCount: 0 },
    ]);
  });
});

describe("node records", () => {
  test("Hostname, PrivateIp and InstanceId are present as null while the node has no VM address", async () => {
    await env.http.admin("POST", "/timing", { acquiringMs: 60_000 });
    await create(1);
    const raw = (await env.http.get("/clusters/hpc/nodes")).json as { nodes: Record<string, unknown>[] };
    const node = arrayNodes(raw.nodes as { Template?: unknown }[])[0] as Record<string, unknown> | undefined;
    expect(node && ["Hostname", "PrivateIp", "InstanceId"].map((key) => [key in node, node[key]])).toEqual([
      [true, null],
      [true, null],
      [true, null],
    ]);
  });
});

describe("the head node", () => {
  test("is listed unfiltered, Started and Fixed, and counts against no cluster limit", async () => {
    const head = await headNode();
    expect(
      head && [head.Template, head.Status, head.MachineType, head.Hostname, head.PrivateIp, head.RequestId],
    ).toEqual(["scheduler", "Started", "Standard_D4s_v3", "ip-0A000004", "10.0.0.4", undefined]);
    const raw = (await env.http.get("/clusters/hpc/nodes")).json as { nodes: Record<string, unknown>[] };
    expect(raw.nodes.find((node) => node["Name"] === HEAD_NODE)?.["Fixed"]).toBe(true);
    const status = parseWith(ClusterStatusSchema, (await env.http.get("/clusters/hpc/status")).json);
    expect([status.maxCount, status.maxCoreCount]).toEqual([100, 10000]);
    // It is in no bucket, but its cores are used in the region.
    expect(status.nodearrays[0]?.buckets.map((bucket) => bucket.regionalConsumedCoreCount)).toEqual([4, 4]);
  });

  test("terminate keeps a Fixed node's record (Off, no addresses); start brings it back; remove deletes it", async () => {
    const id = (await headNode())?.NodeId;
    const terminated = parseWith(
      NodeManagementResultSchema,
      (await env.http.post("/clusters/hpc/nodes/terminate", { ids: [id] })).json,
    );
    expect(terminated.nodes).toEqual([{ name: HEAD_NODE, id, status: "OK" }]);
    const off = await headNode();
    expect(off && [off.Status, off.TargetState, off.Hostname, off.PrivateIp]).toEqual([
      "Off",
      "Terminated",
      null,
      null,
    ]);
    const status = parseWith(ClusterStatusSchema, (await env.http.get("/clusters/hpc/status")).json);
    expect(status.nodearrays[0]?.buckets[0]?.regionalConsumedCoreCount).toBe(0);

    await env.http.post("/clusters/hpc/nodes/start", { names: [HEAD_NODE] });
    expect((await headNode())?.Status).toBe("Ready");

    await env.http.post("/clusters/hpc/nodes/remove", { names: [HEAD_NODE] });
    expect(await headNode()).toBeUndefined();
    // Reset brings the cluster's head node back.
    env.emulator.reset();
    expect((await headNode())?.Status).toBe("Started");
  });

  test("a nodearray node created Fixed is kept Off on terminate and deleted by remove", async () => {
    await env.http.post("/clusters/hpc/nodes/create", {
      sets: [{ count: 2, nodearray: "ondemand", nodeAttributes: { Fixed: true } }],
    });
    await env.http.post("/clusters/hpc/nodes/terminate", { names: ["ondemand-1", "ondemand-2"] });
    expect(arrayNodes(await allNodes()).map((node) => [node.Name, node.Status])).toEqual([
      ["ondemand-1", "Off"],
      ["ondemand-2", "Off"],
    ]);
    // Off nodes hold no capacity: the bucket is free again.
    const status = parseWith(ClusterStatusSchema, (await env.http.get("/clusters/hpc/status")).json);
    expect(
      status.nodearrays[0]?.buckets.map((bucket) => [bucket.activeCount, bucket.availableCount]),
    ).toEqual([
      [0, 3],
      [0, 11],
    ]);
    await env.http.post("/clusters/hpc/nodes/remove", { names: ["ondemand-1"] });
    expect(arrayNodes(await allNodes()).map((node) => node.Name)).toEqual(["ondemand-2"]);
  });
});

describe("legacy /cloud/actions/ routes", () => {
  test("terminate_node with an instance-filter on HostName or PrivateIp terminates the matches (200)", async () => {
    await create(3);
    const byHost = await legacyTerminate(
      `instance-filter=${encodeURIComponent('HostName in {"ip-0A010004","ip-0A010006"}')}`,
    );
    expect(byHost.status).toBe(200);
    const result = parseWith(NodeManagementResultSchema, byHost.json);
    expect(result.nodes.map((node) => [node.name, node.status])).toEqual([
      ["ondemand-1", "OK"],
      ["ondemand-3", "OK"],
    ]);
    const byIp = await legacyTerminate(`instance-filter=${encodeURIComponent('PrivateIp in {"10.1.0.5"}')}`);
    expect(byIp.status).toBe(200);
    expect(arrayNodes(await allNodes())).toEqual([]);
  });

  test("an instance-filter that matches nothing is an error saying no instances were found", async () => {
    await env.http.admin("POST", "/timing", { acquiringMs: 60_000 });
    await create(1);
    // A node still Acquiring has no instance yet.
    const reply = await legacyTerminate(
      `instance-filter=${encodeURIComponent('HostName in {"ip-0A010004"}')}`,
    );
    expect(reply.status).toBe(404);
    expect((reply.json as { Message: string }).Message).toBe("No instances were found matching your query");
    expect(reply.text).toContain("No instances were found matching your query");
  });

  test("the older node filter form, in the query or the body; no match says no nodes were found", async () => {
    await create(2);
    const query = await legacyTerminate(`filter=${encodeURIComponent('Name in {"ondemand-1"}')}`);
    expect(query.status).toBe(200);
    const body = await env.http.post("/cloud/actions/terminate_node/hpc", {
      filter: 'Name === "ondemand-2"',
    });
    expect(body.status).toBe(200);
    expect(arrayNodes(await allNodes())).toEqual([]);
    const none = await legacyTerminate(`filter=${encodeURIComponent('Name === "nope"')}`);
    expect([none.status, (none.json as { Message: string }).Message]).toEqual([
      404,
      "No nodes were found matching your query",
    ]);
  });

  test("terminate_node needs exactly one filter, and a known cluster", async () => {
    const none = await env.http.post("/cloud/actions/terminate_node/hpc");
    expect([none.status, (none.json as { Message?: string }).Message]).toEqual([
      400,
      'Give exactly one node selection: the query parameter instance-filter, the query parameter filter, or a body {"filter": ...}',
    ]);
    expect(
      (await legacyTerminate(`filter=${encodeURIComponent('Name === "x"')}&instance-filter=x`)).status,
    ).toBe(400);
    expect((await env.http.post("/cloud/actions/terminate_node/nope?filter=x%20%3D%3D%3D%201")).status).toBe(
      404,
    );
    expect((await env.http.get("/cloud/actions/retry/hpc")).status).toBe(405);
  });

  test("retry starts the cluster's Failed nodes over and answers 200 with a JSON object", async () => {
    await env.http.admin("POST", "/fail-next-nodes", { count: 1 });
    await create(2);
    expect(arrayNodes(await allNodes()).map((node) => node.Status)).toEqual(["Failed", "Ready"]);
    const reply = await env.http.post("/cloud/actions/retry/hpc");
    expect(reply.status).toBe(200);
    expect(parseWith(NodeManagementResultSchema, reply.json).nodes.map((node) => node.name)).toEqual([
      "ondemand-1",
    ]);
    expect(arrayNodes(await allNodes()).map((node) => node.Status)).toEqual(["Ready", "Ready"]);
    const again = await env.http.post("/cloud/actions/retry/hpc");
    expect([again.status, (again.json as { nodes: unknown[] }).nodes]).toEqual([200, []]);
  });
});
