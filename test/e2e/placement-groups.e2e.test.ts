/**
 * Placement-group sizing through the engine (issue 12, items 4 and 7): a `placementGroupId` set
 * larger than one group is refused in preview with both numbers; a set spread with
 * `placementGroups` over three groups grows across them and shrinks from the last, with the
 * nodes per group as an output; a misspelt input key is refused in preview, while the keys the
 * engine adds to a dynamic resource's inputs (`__provider`) pass every check of this file.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AdminNodeView, RunningEmulator } from "../../emulator";
import {
  adminPost,
  expectFailure,
  expectSuccess,
  liveNodes,
  mutatingRequests,
  output,
  startE2eEmulator,
  Workspace,
} from "./harness";

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

describe("placement-group sizing through the Pulumi engine", () => {
  it("refuses in preview a placementGroupId set larger than one group, with both numbers", async () => {
    await program('count: 3, placementGroupId: "pg0"');
    const before = await mutatingRequests(emulator);

    const preview = expectFailure(await ws.pulumi(["preview"]));

    expect(output(preview)).toContain(
      "`count` 3 exceeds what one placement group of Standard_Hc44rs holds: 2 node(s) (maxPlacementGroupSize 2, maxPlacementGroupCoreSize 1760 = 40 node(s) of 44 cores)",
    );
    expect(output(preview)).toContain('`placementGroups: { prefix: "pg0-" }`');
    expect(await mutatingRequests(emulator)).toBe(before);
  });

  it("refuses placementGroupId and placementGroups together, naming both", async () => {
    await program('count: 3, placementGroupId: "pg0", placementGroups: { prefix: "pg" }');

    const preview = expectFailure(await ws.pulumi(["preview"]));

    expect(output(preview)).toContain("`placementGroupId` and `placementGroups` are exclusive");
  });

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

  it("grows by filling the last group, touching no full group", async () => {
    const before = (await liveNodes(emulator)).map((n) => n.record.NodeId);
    await program('count: 6, placementGroups: { prefix: "pg" }');

    expectSuccess(await ws.up());

    const nodes = await liveNodes(emulator);
    expect(perGroup(nodes)).toEqual({ pg0: 2, pg1: 2, pg2: 2 });
    expect(nodes.map((n) => n.record.NodeId)).toEqual(expect.arrayContaining(before));
    expect((await ws.outputs())["placementGroupCounts"]).toEqual({ pg0: 2, pg1: 2, pg2: 2 });
  });

  it("shrinks from the last group", async () => {
    const before = await liveNodes(emulator);
    await program('count: 3, placementGroups: { prefix: "pg" }');

    expectSuccess(await ws.up());

    const nodes = await liveNodes(emulator);
    expect(perGroup(nodes)).toEqual({ pg0: 2, pg1: 1 });
    // The kept nodes are the ones that were there: pg0's both, one of pg1's.
    const kept = before.filter((n) => n.record.PlacementGroupId === "pg0").map((n) => n.record.NodeId);
    expect(nodes.map((n) => n.record.NodeId)).toEqual(expect.arrayContaining(kept));
    expect((await ws.outputs())["placementGroupCounts"]).toEqual({ pg0: 2, pg1: 1 });
  });

  it("plans a replacement when the prefix changes", async () => {
    await program('count: 3, placementGroups: { prefix: "mpi" }');

    const preview = expectSuccess(await ws.preview());

    expect(preview.steps).toContainEqual(
      expect.objectContaining({ op: "replace", replaceReasons: ["placementGroups"] }),
    );
  });

  it("names the set's own old nodes when a replacement does not fit their group, and passes with deleteBeforeReplace", async () => {
    // Size 1 replaces the set: its new pg0 node is created while the old set's 2 still fill pg0.
    await program('count: 3, placementGroups: { prefix: "pg", size: 1 }');
    const before = await mutatingRequests(emulator);

    const refused = expectFailure(await ws.pulumi(["preview"]));

    expect(output(refused)).toContain(
      "placement group(s) 'pg0' +1 requested, 0 available (maxPlacementGroupSize 2, maxPlacementGroupCoreSize 1760 = 40 node(s) of 44 cores; " +
        "2 node(s) there are this set's own old ones: a replacement creates the new nodes before it terminates the old ones): " +
        "set `deleteBeforeReplace: true`",
    );
    expect(output(refused)).not.toContain("nodes of other sets");

    await program('count: 3, placementGroups: { prefix: "pg", size: 1 }, deleteBeforeReplace: true');
    const preview = expectSuccess(await ws.preview());

    expect(preview.steps).toContainEqual(
      expect.objectContaining({ op: "replace", replaceReasons: ["placementGroups"] }),
    );
    expect(output(preview)).toContain("'pg0' +1 (2 available)");
    expect(await mutatingRequests(emulator)).toBe(before);
  });

  it("refuses a misspelt input key in preview, naming the nearest known key", async () => {
    // Arguments spread from elsewhere get no compiler check: `countt` reaches the provider.
    await program(
      'count: 3, placementGroups: { prefix: "pg" }, ...extra',
      "const extra: Record<string, unknown> = { countt: 4 };",
    );
    const before = await mutatingRequests(emulator);

    const preview = expectFailure(await ws.pulumi(["preview"]));

    expect(output(preview)).toContain("`countt` is not an input of a node set: did you mean `count`?");
    expect(await mutatingRequests(emulator)).toBe(before);
  });

  it("refuses a misspelt connection setting in preview instead of dropping it", async () => {
    await program(
      'count: 3, placementGroups: { prefix: "pg" }, ...extra',
      'const extra: Record<string, unknown> = { connection: { usrname: "admin" } };',
    );
    const before = await mutatingRequests(emulator);

    const preview = expectFailure(await ws.pulumi(["preview"]));

    expect(output(preview)).toContain(
      "`connection.usrname` is not a connection setting: did you mean `username`?",
    );
    expect(await mutatingRequests(emulator)).toBe(before);
  });

  it("terminates every group's nodes on destroy", async () => {
    await program('count: 3, placementGroups: { prefix: "pg" }');

    expectSuccess(await ws.destroy());

    expect(await liveNodes(emulator)).toEqual([]);
    expect(await ws.nodeSets()).toEqual([]);
  });
});
