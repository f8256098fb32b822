import { describe, expect, test } from "vitest";
import { NodeListSchema, NodeManagementResultSchema } from "../../wire/schemas";
import type { NodeRecord } from "../../wire/schemas";
import { errorMessage, parseWith, useEmulator, arrayNodes } from "./helpers";

const env = useEmulator();

/** Creates `count` Standard_Hc44rs nodes (ondemand-1..N, 10.1.0.4.., ip-0A010004..) and returns their records. */
async function createNodes(count: number, nodeAttributes?: Record<string, unknown>): Promise<NodeRecord[]> {
  await env.http.post("/clusters/hpc/nodes/create", {
    requestId: `setup-${String(count)}`,
    sets: [
      {
        count,
        nodearray: "ondemand",
        definition: { machineType: "Standard_Hc44rs" },
        ...(nodeAttributes === undefined ? {} : { nodeAttributes }),
      },
    ],
  });
  return listNodes();
}

async function listNodes(): Promise<NodeRecord[]> {
  return arrayNodes(parseWith(NodeListSchema, (await env.http.get("/clusters/hpc/nodes")).json).nodes);
}

async function manage(action: string, body: unknown) {
  const reply = await env.http.post(`/clusters/hpc/nodes/${action}`, body);
  expect(reply.status).toBe(202);
  const result = parseWith(NodeManagementResultSchema, reply.json);
  expect(reply.headers.get("location")).toBe(`/operations/${result.operationId}`);
  return result;
}

function statuses(nodes: readonly NodeRecord[]): [string, string, string | null | undefined][] {
  return nodes.map((node) => [node.Name, node.Status, node.TargetState]);
}

describe("selectors", () => {
  test("ids, names, hostnames and ip_addresses are combined as a union, in node order", async () => {
    const nodes = await createNodes(5);
    const result = await manage("terminate", {
      ids: [nodes[4]?.NodeId],
      names: ["ondemand-2"],
      hostnames: ["ip-0A010004"],
      ip_addresses: ["10.1.0.7", "10.1.0.5"],
    });
    expect(result.nodes).toEqual([
      { name: "ondemand-1", id: nodes[0]?.NodeId, status: "OK" },
      { name: "ondemand-2", id: nodes[1]?.NodeId, status: "OK" },
      { name: "ondemand-4", id: nodes[3]?.NodeId, status: "OK" },
      { name: "ondemand-5", id: nodes[4]?.NodeId, status: "OK" },
    ]);
    expect((await listNodes()).map((node) => node.Name)).toEqual(["ondemand-3"]);
  });

  test("ids that match no node are left out of the result", async () => {
    const nodes = await createNodes(1);
    const result = await manage("terminate", {
      ids: ["00000000-0000-0000-0000-000000000000", nodes[0]?.NodeId],
    });
    expect(result.nodes).toEqual([{ name: "ondemand-1", id: nodes[0]?.NodeId, status: "OK" }]);
    const none = await manage("terminate", { ids: ["00000000-0000-0000-0000-000000000000"] });
    expect(none.nodes).toEqual([]);
  });

  test("a request without any selector is rejected", async () => {
    const reply = await env.http.post("/clusters/hpc/nodes/terminate", {});
    expect([reply.status, errorMessage(reply)]).toEqual([
      409,
      "A terminate request must select nodes with at least one of ids, names, hostnames, ip_addresses or filter",
    ]);
  });

  test("a filter expression selects by node attributes", async () => {
    await createNodes(2);
    await env.http.post("/clusters/hpc/nodes/create", { sets: [{ count: 1, nodearray: "ondemand" }] });
    const result = await manage("deallocate", {
      filter: `MachineType === "Standard_Hc44rs" && (Name == 'ondemand-2' || CoreCount != 44)`,
    });
    expect(result.nodes.map((node) => node.name)).toEqual(["ondemand-2"]);
  });

  test("a filter the emulator cannot evaluate is a 409 (the reference's Invalid input) that says what is supported", async () => {
    const reply = await env.http.post("/clusters/hpc/nodes/terminate", {
      filter: "Name.startsWith('ondemand')",
    });
    expect([reply.status, errorMessage(reply)]).toEqual([
      409,
      `Unsupported filter expression "Name.startsWith('ondemand')": unexpected character "." at offset 4. ` +
        "The emulator supports comparisons of a node attribute with a string, number, boolean or null " +
        '(===, ==, !==, !=) and membership in a set of those (Name in {"a", "b"}), joined by && and || ' +
        "with parentheses",
    ]);
  });

  test("a body that does not match NodeManagementRequest is a 409 naming the field", async () => {
    const reply = await env.http.post("/clusters/hpc/nodes/terminate", { ids: "ondemand-1" });
    expect([reply.status, errorMessage(reply)]).toEqual([
      409,
      "Invalid NodeManagementRequest: ids: Invalid input: expected array, received string",
    ]);
  });

  test("a reused requestId is answered 409, as for create", async () => {
    const nodes = await createNodes(2);
    await manage("terminate", { requestId: "term-1", ids: [nodes[0]?.NodeId] });
    const reply = await env.http.post("/clusters/hpc/nodes/terminate", {
      requestId: "term-1",
      ids: [nodes[1]?.NodeId],
    });
    expect([reply.status, errorMessage(reply)]).toEqual([409, "Request id term-1 has already been used"]);
    expect((await listNodes()).map((node) => node.Name)).toEqual(["ondemand-2"]);
  });

  test("an unknown cluster is a 404", async () => {
    const reply = await env.http.post("/clusters/nope/nodes/terminate", { ids: ["x"] });
    expect([reply.status, errorMessage(reply)]).toEqual([404, "Cluster nope not found"]);
  });
});

describe("actions", () => {
  test("terminate and remove make nodes disappear", async () => {
    await createNodes(2);
    await manage("terminate", { names: ["ondemand-1"] });
    await manage("remove", { names: ["ondemand-2"] });
    expect(await listNodes()).toEqual([]);
  });

  test("deallocate keeps the node Deallocated and start brings it back to Ready", async () => {
    await createNodes(1);
    await manage("deallocate", { names: ["ondemand-1"] });
    const deallocated = await listNodes();
    expect(statuses(deallocated)).toEqual([["ondemand-1", "Deallocated", "Deallocated"]]);
    expect(deallocated[0]?.PrivateIp).toBe("10.1.0.4");

    const again = await manage("deallocate", { names: ["ondemand-1"] });
    expect(again.nodes.map((node) => node.status)).toEqual(["OK"]);

    await manage("start", { names: ["ondemand-1"] });
    expect(statuses(await listNodes())).toEqual([["ondemand-1", "Ready", "Started"]]);
  });

  test("start answers OK for a node already started and Error for a failed one", async () => {
    const nodes = await createNodes(2);
    await env.http.admin("POST", "/fail-nodes", { names: ["ondemand-2"] });
    const result = await manage("start", { names: ["ondemand-1", "ondemand-2"] });
    expect(result.nodes).toEqual([
      { name: "ondemand-1", id: nodes[0]?.NodeId, status: "OK" },
      {
        name: "ondemand-2",
        id: nodes[1]?.NodeId,
        status: "Error",
        error: "Node ondemand-2 cannot be started from status Failed",
      },
    ]);
  });

  test("start of a deallocated node fails per node when its bucket is full again", async () => {
    await env.http.post("/clusters/hpc/nodes/create", {
      sets: [{ count: 3, nodearray: "ondemand", definition: { machineType: "Standard_Fs32_v2" } }],
    });
    await env.http.admin("POST", "/capacity", {
      cluster: "hpc",
      nodearray: "ondemand",
      machineType: "Standard_Fs32_v2",
      quotaCount: 10,
      quotaCoreCount: 1000,
    });
    await manage("deallocate", { names: ["ondemand-1"] });
    await env.http.post("/clusters/hpc/nodes/create", {
      sets: [{ count: 1, nodearray: "ondemand", definition: { machineType: "Standard_Fs32_v2" } }],
    });
    const result = await manage("start", { names: ["ondemand-1"] });
    expect(result.nodes.map((node) => [node.name, node.status, node.error])).toEqual([
      [
        "ondemand-1",
        "Error",
        "Cannot start node ondemand-1: nodearray ondemand bucket Standard_Fs32_v2 maxCount of 3 reached",
      ],
    ]);
    expect(statuses(await listNodes())).toEqual([
      ["ondemand-1", "Deallocated", "Deallocated"],
      ["ondemand-2", "Ready", "Started"],
      ["ondemand-3", "Ready", "Started"],
      ["ondemand-4", "Ready", "Started"],
    ]);
  });

  test("start of a deallocated node does not apply the nodearray's limit (as CycleCloud)", async () => {
    await env.http.post("/clusters/hpc/nodes/create", {
      sets: [{ count: 2, nodearray: "ondemand", definition: { machineType: "Standard_Fs32_v2" } }],
    });
    await manage("deallocate", { names: ["ondemand-1"] });
    await env.http.admin("POST", "/capacity", { cluster: "hpc", nodearray: "ondemand", maxCount: 1 });
    const result = await manage("start", { names: ["ondemand-1"] });
    expect(result.nodes.map((node) => [node.name, node.status])).toEqual([["ondemand-1", "OK"]]);
    // A create is refused by the same limit.
    const created = await env.http.post("/clusters/hpc/nodes/create", {
      sets: [{ count: 1, nodearray: "ondemand", definition: { machineType: "Standard_Fs32_v2" } }],
    });
    expect(JSON.stringify(created)).toContain("maxCount of 1 reached");
  });

  test("shutdown terminates by default and deallocates nodes whose ShutdownPolicy is Deallocate", async () => {
    await createNodes(1);
    await env.http.post("/clusters/hpc/nodes/create", {
      sets: [{ count: 1, nodearray: "ondemand", nodeAttributes: { ShutdownPolicy: "Deallocate" } }],
    });
    const result = await manage("shutdown", { names: ["ondemand-1", "ondemand-2"] });
    expect(result.nodes.map((node) => [node.name, node.status])).toEqual([
      ["ondemand-1", "OK"],
      ["ondemand-2", "OK"],
    ]);
    expect(statuses(await listNodes())).toEqual([["ondemand-2", "Deallocated", "Deallocated"]]);
  });

  test("deallocate of a terminating node is an Error result", async () => {
    await env.http.admin("POST", "/timing", { terminatingMs: 60_000 });
    const nodes = await createNodes(1);
    await manage("terminate", { names: ["ondemand-1"] });
    const result = await manage("deallocate", { names: ["ondemand-1"] });
    expect(result.nodes).toEqual([
      {
        name: "ondemand-1",
        id: nodes[0]?.NodeId,
        status: "Error",
        error: "Node ondemand-1 is terminating and cannot be deallocated",
      },
    ]);
    const again = await manage("terminate", { names: ["ondemand-1"] });
    expect(again.nodes.map((node) => node.status)).toEqual(["OK"]);
    expect(statuses(await listNodes())).toEqual([["ondemand-1", "Terminating", "Terminated"]]);
  });

  test("listing by a management operation shows the nodes it touched", async () => {
    await env.http.admin("POST", "/timing", { terminatingMs: 60_000 });
    await createNodes(3);
    const result = await manage("terminate", { names: ["ondemand-1", "ondemand-3"] });
    const list = parseWith(
      NodeListSchema,
      (await env.http.get(`/clusters/hpc/nodes?operation=${result.operationId}`)).json,
    );
    expect(statuses(list.nodes)).toEqual([
      ["ondemand-1", "Terminating", "Terminated"],
      ["ondemand-3", "Terminating", "Terminated"],
    ]);
    expect([list.operation?.id, list.operation?.action]).toEqual([result.operationId, "terminate"]);
  });
});
