import { describe, expect, test } from "vitest";
import type { AdminNodeView } from "../../emulator";
import { ClusterStatusSchema, NodeListSchema } from "../../wire/schemas";
import type { NodeRecord } from "../../wire/schemas";
import { api, parseWith, start, useEmulator, ZERO_COUNTERS, ZERO_TIMING, arrayNodes } from "./helpers";

const env = useEmulator();

async function create(count: number, requestId?: string): Promise<void> {
  const reply = await env.http.post("/clusters/hpc/nodes/create", {
    ...(requestId === undefined ? {} : { requestId }),
    sets: [{ count, nodearray: "ondemand", definition: { machineType: "Standard_Hc44rs" } }],
  });
  expect(reply.status).toBe(202);
}

async function listNodes(): Promise<NodeRecord[]> {
  return arrayNodes(parseWith(NodeListSchema, (await env.http.get("/clusters/hpc/nodes")).json).nodes);
}

describe("the admin surface", () => {
  test("GET /health answers without credentials", async () => {
    const reply = await env.http.admin("GET", "/health");
    expect([reply.status, reply.json]).toEqual([200, { status: "ok" }]);
  });

  test("GET /nodes shows every node with the request and operation that created it", async () => {
    await create(1, "admin-nodes");
    await env.http.post("/clusters/hpc/nodes/create", { sets: [{ count: 1, nodearray: "ondemand" }] });
    const operations = (await env.http.get("/operations/")).json as { id: string }[];

    const reply = await env.http.admin("GET", "/nodes");
    expect(reply.status).toBe(200);
    const views = (reply.json as { nodes: AdminNodeView[] }).nodes;
    expect(
      views.map((view) => [view.cluster, view.nodearray, view.requestId, view.operationId, view.record.Name]),
    ).toEqual([
      ["hpc", "ondemand", "admin-nodes", operations[0]?.id, "ondemand-1"],
      ["hpc", "ondemand", null, operations[1]?.id, "ondemand-2"],
    ]);
    // The API also lists the head node; the admin surface lists it apart.
    expect(views.map((view) => view.record)).toEqual(
      arrayNodes(
        ((await env.http.get("/clusters/hpc/nodes")).json as { nodes: { Template: string }[] }).nodes,
      ),
    );
    expect(env.emulator.nodes()).toEqual(views);
  });

  test("GET /standalone-nodes shows the head node, Started, Fixed, in no request", async () => {
    const reply = await env.http.admin("GET", "/standalone-nodes");
    expect(reply.status).toBe(200);
    const views = (reply.json as { nodes: AdminNodeView[] }).nodes;
    expect(
      views.map((view) => [
        view.cluster,
        view.nodearray,
        view.requestId,
        view.record.Name,
        view.record.Status,
        view.record["Fixed"],
        view.record.Hostname,
        view.record.PrivateIp,
      ]),
    ).toEqual([["hpc", "scheduler", null, "scheduler", "Started", true, "ip-0A000004", "10.0.0.4"]]);
  });

  test("GET and DELETE /counters count every API request per route, faulted and rejected ones included", async () => {
    await env.http.get("/clusters/hpc/status");
    await env.http.get("/clusters/hpc/status", { auth: false });
    await env.http.get("/clusters/hpc/nodes");
    await env.http.post("/clusters/hpc/nodes/create", { sets: [{ count: 0, nodearray: "ondemand" }] });
    await env.http.admin("POST", "/faults", { route: "terminate", status: 503 });
    await env.http.post("/clusters/hpc/nodes/terminate", { ids: [] });
    await env.http.post("/clusters/hpc/nodes/deallocate", { ids: [] });
    await env.http.post("/clusters/hpc/nodes/start", { ids: [] });
    await env.http.post("/clusters/hpc/nodes/shutdown", { ids: [] });
    await env.http.post("/clusters/hpc/nodes/remove", { ids: [] });
    await env.http.post("/clusters/hpc/scale/ondemand?totalNodeCount=0");
    await env.http.get("/operations/");
    await env.http.get("/no/such/path");

    const reply = await env.http.admin("GET", "/counters");
    expect(reply.json).toEqual({
      total: 12,
      status: 2,
      nodes: 1,
      create: 1,
      terminate: 1,
      deallocate: 1,
      start: 1,
      shutdown: 1,
      remove: 1,
      scale: 1,
      operations: 1,
      terminate_node: 0,
      retry: 0,
    });
    expect(env.emulator.counters()).toEqual(reply.json);

    const cleared = await env.http.admin("DELETE", "/counters");
    expect(cleared.json).toEqual(ZERO_COUNTERS);
  });

  test("GET /requests lists API requests with their route, status and fault", async () => {
    await env.http.admin("POST", "/faults", { route: "status", status: 503 });
    await env.http.get("/clusters/hpc/status");
    await env.http.get("/clusters/hpc/status");
    const reply = await env.http.admin("GET", "/requests");
    const requests = (reply.json as { requests: { route: string; status: number; faultId: number | null }[] })
      .requests;
    expect(requests.map((request) => [request.route, request.status, request.faultId])).toEqual([
      ["status", 503, 1],
      ["status", 200, null],
    ]);
  });

  test("GET and POST /timing read and change phase durations", async () => {
    expect((await env.http.admin("GET", "/timing")).json).toEqual(ZERO_TIMING);
    const changed = await env.http.admin("POST", "/timing", { acquiringMs: 60_000 });
    expect([changed.status, changed.json]).toEqual([
      200,
      { acquiringMs: 60_000, preparingMs: 0, terminatingMs: 0 },
    ]);
    await create(1);
    expect((await listNodes()).map((node) => node.Status)).toEqual(["Acquiring"]);

    const invalid = await env.http.admin("POST", "/timing", { acquiringMs: -1, foo: 1 });
    expect([invalid.status, invalid.json]).toEqual([
      400,
      { error: 'acquiringMs: Too small: expected number to be >=0; (root): Unrecognized key: "foo"' },
    ]);
  });

  test("POST /fail-nodes makes nodes Failed at once, with a message", async () => {
    await create(3);
    const reply = await env.http.admin("POST", "/fail-nodes", { names: ["ondemand-1"] });
    expect(reply.status).toBe(200);
    expect((reply.json as { nodes: AdminNodeView[] }).nodes.map((view) => view.record.Name)).toEqual([
      "ondemand-1",
    ]);
    const second = env.emulator.nodes()[1]?.record.NodeId ?? "";
    await env.http.admin("POST", "/fail-nodes", { cluster: "hpc", ids: [second], message: "kernel panic" });

    const nodes = await listNodes();
    expect(nodes.map((node) => [node.Name, node.Status, node.StatusMessage, node.PrivateIp])).toEqual([
      ["ondemand-1", "Failed", "Node failed (injected by the emulator)", "10.1.0.4"],
      ["ondemand-2", "Failed", "kernel panic", "10.1.0.5"],
      ["ondemand-3", "Ready", undefined, "10.1.0.6"],
    ]);
    // Failed nodes still hold their VMs.
    const status = parseWith(ClusterStatusSchema, (await env.http.get("/clusters/hpc/status")).json);
    expect(status.nodearrays[0]?.buckets[1]?.activeCount).toBe(3);
  });

  test("POST /fail-nodes answers 404 when nothing matches and 400 without ids or names", async () => {
    await create(1);
    const none = await env.http.admin("POST", "/fail-nodes", { names: ["ondemand-9"] });
    expect([none.status, none.json]).toEqual([404, { error: "No node matched the given ids or names" }]);
    const otherCluster = await env.http.admin("POST", "/fail-nodes", {
      cluster: "nope",
      names: ["ondemand-1"],
    });
    expect([otherCluster.status, otherCluster.json]).toEqual([404, { error: "Cluster nope not found" }]);
    const empty = await env.http.admin("POST", "/fail-nodes", {});
    expect([empty.status, empty.json]).toEqual([400, { error: "(root): give `ids` or `names`" }]);
  });

  test("POST /fail-next-nodes fails the next nodes while preparing by default", async () => {
    const armed = await env.http.admin("POST", "/fail-next-nodes", { count: 2 });
    expect([armed.status, armed.json]).toEqual([200, { pending: 2 }]);
    await create(3);
    expect(
      (await listNodes()).map((node) => [node.Name, node.Status, node.StatusMessage, node.PrivateIp]),
    ).toEqual([
      ["ondemand-1", "Failed", "Node software configuration failed (injected by the emulator)", "10.1.0.4"],
      ["ondemand-2", "Failed", "Node software configuration failed (injected by the emulator)", "10.1.0.5"],
      ["ondemand-3", "Ready", undefined, "10.1.0.6"],
    ]);
  });

  test("POST /fail-next-nodes can fail while acquiring or leave nodes stuck in Acquiring", async () => {
    await env.http.admin("POST", "/fail-next-nodes", { count: 1, phase: "acquiring" });
    const pending = await env.http.admin("POST", "/fail-next-nodes", {
      count: 1,
      phase: "stuck",
      message: "ignored",
    });
    expect(pending.json).toEqual({ pending: 2 });
    await create(2);
    expect((await listNodes()).map((node) => [node.Status, node.StatusMessage, node.PrivateIp])).toEqual([
      ["Failed", "VM allocation failed (injected by the emulator)", null],
      ["Acquiring", undefined, null],
    ]);
  });

  test("POST /remove-nodes removes nodes out of band and frees their capacity at once", async () => {
    await env.http.admin("POST", "/timing", { terminatingMs: 60_000 });
    await create(11);
    await env.http.post("/clusters/hpc/nodes/terminate", { names: ["ondemand-11"] });
    const reply = await env.http.admin("POST", "/remove-nodes", { names: ["ondemand-2", "ondemand-11"] });
    expect((reply.json as { nodes: AdminNodeView[] }).nodes.map((view) => view.record.Name)).toEqual([
      "ondemand-2",
      "ondemand-11",
    ]);
    expect((await listNodes()).map((node) => node.Name)).toEqual([
      "ondemand-1",
      "ondemand-3",
      "ondemand-4",
      "ondemand-5",
      "ondemand-6",
      "ondemand-7",
      "ondemand-8",
      "ondemand-9",
      "ondemand-10",
    ]);
    const status = parseWith(ClusterStatusSchema, (await env.http.get("/clusters/hpc/status")).json);
    expect(status.nodearrays[0]?.buckets[1]?.activeCount).toBe(9);

    const none = await env.http.admin("POST", "/remove-nodes", { names: ["ondemand-2"] });
    expect([none.status, none.json]).toEqual([404, { error: "No node matched the given ids or names" }]);
  });

  test("POST /capacity changes a bucket, a nodearray or the cluster and answers the status", async () => {
    const bucket = await env.http.admin("POST", "/capacity", {
      cluster: "hpc",
      nodearray: "ondemand",
      machineType: "Standard_Hc44rs",
      maxCount: 5,
      maxCoreCount: 220,
      quotaCount: 4,
      quotaCoreCount: 400,
      consumedCoreCount: 0,
      maxPlacementGroupSize: 2,
      maxPlacementGroupCoreSize: 88,
    });
    expect(bucket.status).toBe(200);
    const hc44 = parseWith(ClusterStatusSchema, bucket.json).nodearrays[0]?.buckets[1];
    expect(
      hc44 && [
        hc44.maxCount,
        hc44.maxCoreCount,
        hc44.quotaCount,
        hc44.quotaCoreCount,
        hc44.consumedCoreCount,
        hc44.maxPlacementGroupSize,
        hc44.maxPlacementGroupCoreSize,
        hc44.availableCount,
      ],
    ).toEqual([5, 220, 4, 400, 0, 2, 88, 4]);

    const nodearray = await env.http.admin("POST", "/capacity", {
      cluster: "hpc",
      nodearray: "ondemand",
      maxCoreCount: 64,
    });
    const ondemand = parseWith(ClusterStatusSchema, nodearray.json).nodearrays[0];
    expect(
      ondemand && [ondemand.maxCount, ondemand.maxCoreCount, ondemand.buckets[1]?.availableCount],
    ).toEqual([100, 64, 1]);

    const cluster = await env.http.admin("POST", "/capacity", {
      cluster: "hpc",
      maxCount: 7,
      maxCoreCount: 700,
    });
    const status = parseWith(ClusterStatusSchema, cluster.json);
    expect([status.maxCount, status.maxCoreCount]).toEqual([7, 700]);

    const invalid = await env.http.admin("POST", "/capacity", {
      cluster: "hpc",
      nodearray: "ondemand",
      machineType: "Standard_Hc44rs",
      valid: false,
      invalidReason: "DisabledMachineType",
    });
    const disabled = parseWith(ClusterStatusSchema, invalid.json).nodearrays[0]?.buckets[1];
    expect(disabled && [disabled.valid, disabled.invalidReason, disabled.availableCount]).toEqual([
      false,
      "DisabledMachineType",
      0,
    ]);
    const valid = await env.http.admin("POST", "/capacity", {
      cluster: "hpc",
      nodearray: "ondemand",
      machineType: "Standard_Hc44rs",
      valid: true,
    });
    const enabled = parseWith(ClusterStatusSchema, valid.json).nodearrays[0]?.buckets[1];
    expect(enabled && [enabled.valid, enabled.invalidReason]).toEqual([true, ""]);
  });

  test("POST /capacity rejects unknown targets and fields that do not belong to the level", async () => {
    const cases: [Record<string, unknown>, number, string][] = [
      [{ cluster: "nope", maxCount: 1 }, 404, "Cluster nope not found"],
      [{ cluster: "hpc", nodearray: "gpu", maxCount: 1 }, 404, "Nodearray gpu not found in cluster hpc"],
      [
        { cluster: "hpc", nodearray: "ondemand", machineType: "Standard_X", maxCount: 1 },
        404,
        "MachineType Standard_X not found in nodearray ondemand",
      ],
      [{ cluster: "hpc", machineType: "Standard_Hc44rs" }, 400, "`machineType` needs `nodearray`"],
      [
        { cluster: "hpc", quotaCount: 1 },
        400,
        "`quotaCount` can only be changed on a bucket (give `nodearray` and `machineType`), not on a cluster",
      ],
      [
        { cluster: "hpc", nodearray: "ondemand", valid: false, maxPlacementGroupSize: 1 },
        400,
        "`maxPlacementGroupSize`, `valid` can only be changed on a bucket (give `nodearray` and `machineType`), not on a nodearray",
      ],
      [{ cluster: "hpc", maxCount: -1 }, 400, "maxCount: Too small: expected number to be >=0"],
    ];
    for (const [body, status, error] of cases) {
      const reply = await env.http.admin("POST", "/capacity", body);
      expect([reply.status, reply.json]).toEqual([status, { error }]);
    }
  });

  test("POST /reset restores the initial config and clears nodes, request ids, faults, counters and timing", async () => {
    await create(2, "before-reset");
    await env.http.admin("POST", "/capacity", { cluster: "hpc", maxCount: 1 });
    await env.http.admin("POST", "/timing", { acquiringMs: 5000 });
    await env.http.admin("POST", "/faults", { route: "status", status: 500 });
    await env.http.admin("POST", "/fail-next-nodes", { count: 1 });

    const reply = await env.http.admin("POST", "/reset");
    expect([reply.status, reply.json]).toEqual([200, { reset: true }]);

    expect((await env.http.admin("GET", "/faults")).json).toEqual({ faults: [] });
    expect((await env.http.admin("GET", "/counters")).json).toEqual(ZERO_COUNTERS);
    expect((await env.http.admin("GET", "/timing")).json).toEqual(ZERO_TIMING);
    const status = parseWith(ClusterStatusSchema, (await env.http.get("/clusters/hpc/status")).json);
    expect([status.maxCount, status.nodearrays[0]?.buckets[1]?.availableCount]).toEqual([100, 11]);
    expect(await listNodes()).toEqual([]);
    await create(1, "before-reset");
    expect((await listNodes()).map((node) => [node.Name, node.Status, node.PrivateIp])).toEqual([
      ["ondemand-1", "Ready", "10.1.0.4"],
    ]);
  });

  test("unknown admin routes are 404 and wrong methods 405", async () => {
    const unknown = await env.http.admin("GET", "/nope");
    expect([unknown.status, unknown.json]).toEqual([404, { error: "Unknown admin route /__emulator/nope" }]);
    const wrong = await env.http.admin("DELETE", "/nodes");
    expect([wrong.status, wrong.json]).toEqual([405, { error: "/__emulator/nodes accepts GET, not DELETE" }]);
    const badJson = await env.http.admin("POST", "/timing", "{");
    expect([badJson.status, badJson.json]).toEqual([
      400,
      { error: expect.stringMatching(/^Request body is not valid JSON: \S/) as unknown },
    ]);
    expect(env.emulator.counters().total).toBe(0);
  });

  test("with admin: false the admin surface is not served", async () => {
    const closed = await start({ admin: false });
    try {
      const anonymous = await api(closed).admin("GET", "/health");
      expect(anonymous.status).toBe(401);
      const authenticated = await api(closed).get("/__emulator/health");
      expect(authenticated.status).toBe(404);
    } finally {
      await closed.close();
    }
  });
});
