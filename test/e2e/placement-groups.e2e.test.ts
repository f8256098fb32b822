/**
 * Placement groups through the engine (issue 12, items 4 and 7): a set spread with
 * `placementGroups` over three groups, one create request per group, with the nodes per group as a
 * stack output (a map through the engine's serialization), and its destroy. The sizing refusals,
 * growing and shrinking across groups, the replacement plans and the misspelt keys test the
 * provider's own logic: test/engine-model/placement-groups.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AdminNodeView, RunningEmulator } from "../../emulator";
import { adminPost, expectSuccess, liveNodes, startE2eEmulator, Workspace } from "./harness";

const HC = "Standard_Hc44rs";

let emulator: RunningEmulator;
let ws: Workspace;

/** Replaces the program with one set `workers` of Standard_Hc44rs nodes and `args`. */
async function program(args: string, extra = ""): Promise<void> {
  await ws.writeProgram(
    [
      'import { CycleCloudNodeSet } from "pulumi-cyclecloud";',
      extra,
      `const workers = new CycleCloudNodeSet("workers", { cluster: "hpc", nodearray: "ondemand", machineType: "${HC}", ${args} });`,
      "export const nodeIds = workers.nodeIds;",
      "export const requestIds = workers.requestIds;",
      "export const placementGroupCounts = workers.placementGroupCounts;",
      "",
    ].join("\n"),
  );
}

/** Live nodes of the emulator per placement group. */
function perGroup(nodes: readonly AdminNodeView[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const node of nodes) {
    const group = node.record.PlacementGroupId ?? "(none)";
    counts[group] = (counts[group] ?? 0) + 1;
  }
  return counts;
}

beforeAll(async () => {
  emulator = await startE2eEmulator();
  // One placement group of Standard_Hc44rs holds at most 2 nodes in this cluster.
  await adminPost(emulator, "/capacity", {
    cluster: "hpc",
    nodearray: "ondemand",
    machineType: HC,
    maxPlacementGroupSize: 2,
  });
  ws = await Workspace.create({ example: "quickstart", label: "pgroups" });
  await ws.init(emulator);
});

afterAll(async () => {
  await ws?.dispose();
  await emulator?.close();
});

describe("placement groups through the Pulumi engine", () => {
  it("spreads 5 nodes over pg0, pg1, pg2 (the bucket's group size 2), one create request per group", async () => {
    await program('count: 5, placementGroups: { prefix: "pg" }');

    const up = expectSuccess(await ws.up());

    expect(up.stdout).toContain(
      "preflight placement groups of 2 node(s): 'pg0' +2 (2 available), 'pg1' +2 (2 available), 'pg2' +1 (2 available) - fits",
    );
    const nodes = await liveNodes(emulator);
    expect(perGroup(nodes)).toEqual({ pg0: 2, pg1: 2, pg2: 1 });
    expect(nodes.every((n) => n.record.Status === "Ready")).toBe(true);
    const base = (await ws.nodeSet()).id ?? "";
    expect(new Set(nodes.map((n) => n.requestId))).toEqual(
      new Set([`${base}.pg0-0`, `${base}.pg1-0`, `${base}.pg2-0`]),
    );
    const outputs = await ws.outputs();
    expect(outputs["placementGroupCounts"]).toEqual({ pg0: 2, pg1: 2, pg2: 1 });
    expect(outputs["requestIds"]).toEqual([`${base}.pg0-0`, `${base}.pg1-0`, `${base}.pg2-0`]);
    expect([...(outputs["nodeIds"] as string[])].sort()).toEqual(nodes.map((n) => n.record.NodeId).sort());
  });

  it("terminates every group's nodes on destroy", async () => {
    await program('count: 3, placementGroups: { prefix: "pg" }');

    expectSuccess(await ws.destroy());

    expect(await liveNodes(emulator)).toEqual([]);
    expect(await ws.nodeSets()).toEqual([]);
  });
});
