/**
 * `adoptExisting` through the engine (issue 12, item 5): nodes another tool made with a request id
 * of its own are adopted by the set without a create request and destroyed with the set. Growing
 * and shrinking around adopted nodes, refusing another set's request id, and adoptions previewed
 * later test the provider's own logic: test/engine-model/adopt-existing.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../emulator";
import { expectSuccess, liveNodes, startE2eEmulator, Workspace } from "./harness";

const HC = "Standard_Hc44rs";

let emulator: RunningEmulator;
let ws: Workspace;
/** The node ids of the nodes made outside Pulumi. */
let outside: string[];

async function counters(): Promise<Record<string, number>> {
  const response = await fetch(`${emulator.adminUrl}/counters`);
  return (await response.json()) as Record<string, number>;
}

/** Replaces the program with one set `workers` adopting request `outside-1`, of `count` nodes. */
async function program(count: number): Promise<void> {
  await ws.writeProgram(
    [
      'import { CycleCloudNodeSet } from "pulumi-cyclecloud";',
      `const workers = new CycleCloudNodeSet("workers", { cluster: "hpc", nodearray: "ondemand", machineType: "${HC}", count: ${count}, adoptExisting: { requestId: "outside-1" } });`,
      "export const nodeIds = workers.nodeIds;",
      "export const requestIds = workers.requestIds;",
      "",
    ].join("\n"),
  );
}

/** Another tool creates `count` nodes with its own request id, as in the API how-to. */
async function createOutside(requestId: string, count: number): Promise<void> {
  const response = await fetch(`${emulator.url}/clusters/hpc/nodes/create`, {
    method: "POST",
    headers: {
      Authorization: `Basic ${Buffer.from(`${emulator.username}:${emulator.password}`).toString("base64")}`,
    },
    body: JSON.stringify({
      requestId,
      sets: [{ count, nodearray: "ondemand", definition: { machineType: HC } }],
    }),
  });
  expect(response.status).toBe(202);
}

async function stateNodeIds(): Promise<string[]> {
  return [...((await ws.outputs())["nodeIds"] as string[])].sort();
}

beforeAll(async () => {
  emulator = await startE2eEmulator();
  // Another tool creates two nodes with its own request id, as in the API how-to.
  await createOutside("outside-1", 2);
  outside = (await liveNodes(emulator)).map((n) => n.record.NodeId).sort();
  expect(outside).toHaveLength(2);
  ws = await Workspace.create({ example: "quickstart", label: "adopt" });
  await ws.init(emulator);
});

afterAll(async () => {
  await ws?.dispose();
  await emulator?.close();
});

describe("adoptExisting through the Pulumi engine", () => {
  it("adopts the two nodes of request outside-1 without sending a create request", async () => {
    await program(2);

    const up = expectSuccess(await ws.up());

    expect(up.stdout).toContain("adopted 2 existing node(s)");
    expect((await counters())["create"]).toBe(1); // the other tool's
    expect(await stateNodeIds()).toEqual(outside);
    expect((await ws.outputs())["requestIds"]).toEqual(["outside-1"]);
    expect((await liveNodes(emulator)).map((n) => n.record.NodeId).sort()).toEqual(outside);
  });

  it("terminates the adopted nodes on destroy", async () => {
    expectSuccess(await ws.destroy());

    expect(await liveNodes(emulator)).toEqual([]);
    expect(await ws.nodeSets()).toEqual([]);
  });
});
